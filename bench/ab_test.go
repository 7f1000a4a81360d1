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
