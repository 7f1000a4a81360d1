package bench

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/internal/machineload"
)

// eventLoopCommand is the ground-truth server in event-loop mode: no slot
// limit, each request computing cpu on its worker's one loop, then
// sleeping.
func eventLoopCommand(t *testing.T, sleep, cpu time.Duration) (cmd string, env []string) {
	cmd, env = slotServerCommand(t, sleep)
	return cmd + " -event-loop -cpu " + cpu.String(), env
}

// sweepConfig is a short run of one cell of cmd with the sweep on.
func sweepConfig(cmd string, env []string, maxConns int) Config {
	cfg := DefaultConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 1}}
	cfg.Health = "/health"
	cfg.Duration = 500 * time.Millisecond
	cfg.Warmup = 200 * time.Millisecond
	cfg.SweepMaxConnections = maxConns
	cfg.SweepTime = 30 * time.Second
	return cfg
}

// TestSweepFindsTheKnee runs the event-loop server with 2 ms of CPU and
// 50 ms of waiting per request: one loop computes 500 requests a second at
// most, so the peak useful concurrency is 500/s × 52 ms = 26, far above
// the closed loop's 8 connections, and no efficiency applies.
func TestSweepFindsTheKnee(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers for about 10 s")
	}
	cmd, env := eventLoopCommand(t, 50*time.Millisecond, 2*time.Millisecond)
	machineload.Within(t, func(b *machineload.Bands) {
		res, err := runMatrix(t, sweepConfig(cmd, env, 1024))
		if err != nil {
			t.Fatal(err)
		}
		c := res.Cells[0]
		s := c.Sweep
		if s == nil {
			b.Errorf("no sweep: concurrency %.2f with %d connections", c.Concurrency, c.Connections)
			return
		}
		logSweep(t, c)
		if !within(s.PeakConcurrency, 26, 0.2) {
			b.Errorf("peak useful concurrency %.1f, want 26 ± 20%%", s.PeakConcurrency)
		}
		if !within(s.PeakThroughputRPS, 500, 0.2) {
			b.Errorf("throughput at the peak %.0f req/s, want 500 ± 20%%", s.PeakThroughputRPS)
		}
		if s.Limited != results.LimitedThroughput {
			b.Errorf("sweep stopped by %q, want %q", s.Limited, results.LimitedThroughput)
		}
		if s.USL == nil || s.USL.R2 < 0.9 {
			b.Errorf("USL fit %+v, want R² ≥ 0.9", s.USL)
		}
		if c.Efficiency != 0 {
			b.Errorf("efficiency %.2f of a cell without slots, want none (0)", c.Efficiency)
		}
		if c.Errors != 0 {
			t.Errorf("%d errors %v", c.Errors, c.ErrorKinds)
		}
	})
}

// TestSweepBounds: a handler that only waits has no knee below the
// connection bound, so the sweep stops there, having doubled its way up.
func TestSweepBounds(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers for about 6 s")
	}
	cmd, env := eventLoopCommand(t, 50*time.Millisecond, 0)
	machineload.Within(t, func(b *machineload.Bands) {
		res, err := runMatrix(t, sweepConfig(cmd, env, 100))
		if err != nil {
			t.Fatal(err)
		}
		c := res.Cells[0]
		if c.Sweep == nil {
			b.Errorf("no sweep: concurrency %.2f with %d connections", c.Concurrency, c.Connections)
			return
		}
		logSweep(t, c)
		var conns []int
		for _, p := range c.Sweep.Points {
			conns = append(conns, p.Connections)
		}
		if want := []int{8, 16, 32, 64, 100}; !equalInts(conns, want) {
			b.Errorf("swept %v connections, want %v", conns, want)
		}
		if c.Sweep.Limited != results.LimitedConnections || c.Sweep.PeakConnections != 100 {
			b.Errorf("stopped by %q at a peak of %d connections, want %q at 100",
				c.Sweep.Limited, c.Sweep.PeakConnections, results.LimitedConnections)
		}
		if c.Sweep.PeakConcurrency < 80 {
			b.Errorf("peak useful concurrency %.1f with 100 connections, want ≥ 80",
				c.Sweep.PeakConcurrency)
		}
		if st := res.Settings; st.SweepMaxConnections != 100 || st.SweepTimeS <= 0 {
			t.Errorf("settings record a sweep of %d connections and %.0f s, want 100 and the time",
				st.SweepMaxConnections, st.SweepTimeS)
		}
	})
}

// TestSweepOff: --sweep=false leaves a cell the connections limited as
// measured, without efficiency, with a diagnostic that says why.
func TestSweepOff(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real server")
	}
	cmd, env := eventLoopCommand(t, 50*time.Millisecond, 0)
	cfg := sweepConfig(cmd, env, 100)
	cfg.Sweep = false
	res, err := runMatrix(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cells[0]
	if c.Sweep != nil || c.Efficiency != 0 || !c.LimitedByConnections() {
		t.Errorf("sweep %v, efficiency %.2f, limited by connections %v; want none, 0, true",
			c.Sweep, c.Efficiency, c.LimitedByConnections())
	}
	if len(c.Diagnostics) == 0 {
		t.Error("no diagnostic says the connections were the limit")
	}
	if st := res.Settings; st.SweepMaxConnections != 0 || st.SweepTimeS != 0 {
		t.Errorf("settings record a sweep (%d connections, %.0f s) that was off",
			st.SweepMaxConnections, st.SweepTimeS)
	}
}

func logSweep(t *testing.T, c results.Cell) {
	t.Helper()
	t.Logf("%s: S0 %.1f ms, %d connections: K %.2f", c.Name(), 1e3*c.ServiceTimeS,
		c.Connections, c.Concurrency)
	for _, p := range c.Sweep.Points {
		t.Logf("  %5d connections: %7.1f req/s  p50 %6.1f ms  p99 %6.1f ms  K %.1f",
			p.Connections, p.ThroughputRPS, 1e3*p.P50S, 1e3*p.P99S, p.ThroughputRPS*c.ServiceTimeS)
	}
	t.Logf("  peak useful concurrency %.1f at %.1f req/s (%d connections), stopped: %s",
		c.Sweep.PeakConcurrency, c.Sweep.PeakThroughputRPS, c.Sweep.PeakConnections,
		c.Sweep.Limited)
	if u := c.Sweep.USL; u != nil {
		t.Logf("  USL λ %.4g σ %.4g κ %.4g N* %.0f R² %.4f",
			u.Lambda, u.Sigma, u.Kappa, u.PeakN, u.R2)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestABDoesNotSweep: ab compares an event-loop server at the default
// connection count, without a sweep and without efficiency on either side,
// and says that the connections were the limit.
func TestABDoesNotSweep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := eventLoopCommand(t, 20*time.Millisecond, 0)
	cfg := DefaultABConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 1}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup = 200*time.Millisecond, 100*time.Millisecond
	cfg.Trials = 2
	cfg.Dir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := DefaultABOptions()
	o.BaseDir, o.HeadDir, o.Seed, o.MaxPairs, o.ConfirmPairs = cfg.Dir, cfg.Dir, 1, 2, 0
	machineload.Within(t, func(b *machineload.Bands) {
		a := newAB(t, Runner{Config: &cfg, Progress: testWriter{t},
			LogDir: filepath.Join(t.TempDir(), "logs")}, o)
		res, err := a.Run(context.Background())
		assertNoProcesses(t, cfg.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if st := res.Settings; st.SweepMaxConnections != 0 || st.SweepTimeS != 0 {
			t.Errorf("ab's settings record a sweep (%d connections, %.0f s)", st.SweepMaxConnections,
				st.SweepTimeS)
		}
		c := res.Cells[0]
		for _, side := range []*results.Cell{&c, c.Base} {
			if side == nil {
				t.Fatal("no base side")
			}
			if side.Sweep != nil || side.Efficiency != 0 {
				b.Errorf("sweep %v, efficiency %.2f: ab must neither sweep nor give an efficiency",
					side.Sweep != nil, side.Efficiency)
			}
			if !slices.ContainsFunc(side.Diagnostics, func(d string) bool {
				return strings.Contains(d, "run sweeps it upward")
			}) {
				b.Errorf("no diagnostic says the connections were the limit: %q", side.Diagnostics)
			}
		}
	})
}
