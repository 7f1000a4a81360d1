package bench

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// TestAB runs base and head ground-truth servers side by side: the same
// server is not a regression; a 20% slower head is.
func TestAB(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := slotServerCommand(t, 5*time.Millisecond)
	cfg := DefaultABConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 2}, {2, 1}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup = 100*time.Millisecond, 50*time.Millisecond
	cfg.Dir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		slowdown string
		want     []results.Verdict
	}{
		{"same server", "0", []results.Verdict{results.Unchanged, results.Inconclusive}},
		{"head 20% slower", "0.2", []results.Verdict{results.Regressed}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var saved int
			var statuses []Status
			o := DefaultABOptions()
			o.BaseDir, o.HeadDir, o.Seed = cfg.Dir, cfg.Dir, 1
			o.HeadEnv = []string{"WORKERBENCH_SLOWDOWN=" + tt.slowdown}
			a := newAB(
				t,
				Runner{
					Config:   &cfg,
					Progress: testWriter{t},
					LogDir:   filepath.Join(t.TempDir(), "logs"),
					Save:     func(*results.Run) error { saved++; return nil },
					OnStatus: func(s Status) { statuses = append(statuses, s) },
				},
				o,
			)
			res, err := a.Run(context.Background())
			assertNoProcesses(t, cfg.Dir)
			if err != nil {
				t.Fatal(err)
			}
			// Once per cell, and again when figures across cells are derived.
			if saved < len(cfg.Matrix) || saved > len(cfg.Matrix)+1 {
				t.Errorf("results saved %d times, want once per cell (%d) and at most once more",
					saved, len(cfg.Matrix))
			}
			for _, c := range res.Cells {
				t.Logf(
					"%s: %s ratio %.3f [%.3f, %.3f] p=%.4f pairs %d",
					c.Name(),
					c.Verdict,
					c.Ratio,
					c.CILow,
					c.CIHigh,
					c.PValue,
					c.Pairs,
				)
				if !contains(tt.want, c.Verdict) {
					t.Errorf("%s: verdict %q, want one of %v", c.Name(), c.Verdict, tt.want)
				}
				if c.Base == nil || len(c.Base.Trials) != len(c.Trials) ||
					c.Base.ServiceTimeS == 0 ||
					c.Base.Memory.PSSBytes == 0 {
					t.Errorf("%s: base side missing or unpaired: %+v", c.Name(), c.Base)
				}
			}
			if !contains(tt.want, res.Verdict) {
				t.Errorf("overall verdict %q, want one of %v", res.Verdict, tt.want)
			}
			checkStatuses(t, statuses, res)
			checkWallTime(t, res)
			most := 0
			for _, c := range res.Cells {
				most = max(most, c.Pairs)
			}
			if res.Settings.Trials != most {
				t.Errorf(
					"settings.trials %d, want the most pairs a cell ran, %d",
					res.Settings.Trials,
					most,
				)
			}
		})
	}
}

// checkStatuses checks what OnStatus saw of a run of one endpoint per
// shape: each shape announced in order with the run's total, its pairs
// counted one by one up to the cell's, and every shape's time kept.
func checkStatuses(t *testing.T, statuses []Status, res *results.Run) {
	t.Helper()
	last := map[int]Status{}
	for _, s := range statuses {
		if s.Total != len(res.Cells) || s.Index < 1 || s.Index > s.Total {
			t.Fatalf("status %+v: want index 1..%d of %d", s, len(res.Cells), len(res.Cells))
		}
		if p, ok := last[s.Index]; ok && s.Trials < p.Trials {
			t.Errorf("status of shape %d went back from %d to %d pairs", s.Index, p.Trials, s.Trials)
		}
		last[s.Index] = s
	}
	for i, c := range res.Cells {
		want := Shape{c.Workers, c.Threads}
		if s := last[i+1]; s.Shape != want || s.Trials != c.Pairs {
			t.Errorf("%s: last status %v with %d pairs, want %s with %d", c.Name(), s.Shape,
				s.Trials, want, c.Pairs)
		}
	}
	end := statuses[len(statuses)-1]
	if len(end.Done) != len(res.Cells) {
		t.Errorf("status at the end has %d shapes done, want %d", len(end.Done), len(res.Cells))
	}
	if _, ok := end.Left(time.Now()); !ok {
		t.Error("no estimate of the time left after every shape was done")
	}
}

// checkWallTime checks that every cell of a run of one endpoint per shape
// says where its wall time went: a boot, windows, and phases that add up
// to no more than its total.
func checkWallTime(t *testing.T, res *results.Run) {
	t.Helper()
	for _, c := range res.Cells {
		w := c.WallTime
		if w == nil {
			t.Errorf("%s: no wall_time", c.Name())
			continue
		}
		if w.BootS <= 0 || w.ServiceTimeS <= 0 || w.WindowS <= 0 || w.TotalS <= 0 {
			t.Errorf("%s: wall_time %+v: want boot, S0, windows and a total", c.Name(), *w)
		}
		if w.OtherS() < -0.01 {
			t.Errorf("%s: wall_time phases add up to more than the total: %+v", c.Name(), *w)
		}
	}
}

// newAB makes the comparison o describes, or fails the test.
func newAB(t *testing.T, r Runner, o ABOptions) *AB {
	t.Helper()
	a, err := NewAB(r, o)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func contains(list []results.Verdict, s results.Verdict) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestABServerDiesMidTrial: when head's server dies in the middle of a
// long trial window, the cell fails at once (as in run), naming the side,
// and both servers are stopped.
func TestABServerDiesMidTrial(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := slotServerCommand(t, 5*time.Millisecond)
	cfg := DefaultABConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 2}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup, cfg.Sequential = 30*time.Second, 50*time.Millisecond, 10
	cfg.Grace = 2 * time.Second
	baseDir, headDir := t.TempDir(), t.TempDir()
	cfg.Dir = headDir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	k := &killer{t: t, dir: headDir, trigger: "(head): service time", delay: 500 * time.Millisecond}
	o := DefaultABOptions()
	o.BaseDir, o.HeadDir, o.Seed = baseDir, headDir, 1
	a := newAB(t, Runner{Config: &cfg, Progress: k, LogDir: filepath.Join(t.TempDir(), "logs")}, o)
	begin := time.Now()
	res, err := a.Run(context.Background())
	took := time.Since(begin)
	k.wg.Wait()
	assertNoProcesses(t, baseDir)
	assertNoProcesses(t, headDir)
	if k.killed == 0 {
		t.Fatal("nothing was killed")
	}
	if !errors.Is(err, ErrCellsFailed) || len(res.Cells) != 1 {
		t.Fatalf("Run error = %v with %d cells, want the cell failed", err, len(res.Cells))
	}
	c := res.Cells[0]
	if !strings.HasPrefix(c.Error, "head: server exited during measurement") {
		t.Errorf("cell error %q, want head's server named", c.Error)
	}
	if took > 15*time.Second {
		t.Errorf(
			"ab took %v with 30 s windows: the trial was not cut short when the server died",
			took,
		)
	}
}
