package bench

import (
	"context"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/internal/machineload"
)

// runMatrix runs cfg in a fresh directory and asserts that no process of
// any server is left afterwards.
func runMatrix(t *testing.T, cfg Config) (*results.Run, error) {
	t.Helper()
	if cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	r := &Runner{Config: &cfg, Progress: testWriter{t}, LogDir: filepath.Join(t.TempDir(), "logs")}
	res, err := r.Run(context.Background())
	assertNoProcesses(t, cfg.Dir)
	return res, err
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

func within(got, want, tol float64) bool { return math.Abs(got-want) <= tol*want }

// TestEstimatorGroundTruth checks achieved concurrency against servers whose
// concurrency is known exactly: K slots, 50 ms per request.
func TestEstimatorGroundTruth(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers for about 40 s")
	}
	cmd, env := slotServerCommand(t, 50*time.Millisecond)
	cfg := DefaultConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 1}, {1, 2}, {1, 4}, {1, 8}, {1, 16}, {1, 32}}
	cfg.Endpoints = []Endpoint{{Path: "/"}}
	cfg.Health = "/health"
	cfg.Duration = 2 * time.Second
	cfg.Warmup = 500 * time.Millisecond
	machineload.Within(t, func(b *machineload.Bands) {
		res, err := runMatrix(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range res.Cells {
			t.Logf(
				"K=%2d: S0 %.2fms X %.1f/s K^ %.3f (%.1f%%) gen CPU %.0fµs/req",
				c.Slots,
				c.ServiceTimeS*1e3,
				c.ThroughputRPS,
				c.Concurrency,
				100*(c.Concurrency/float64(c.Slots)-1),
				c.GeneratorCPUPerRequestS*1e6,
			)
			if !within(c.Concurrency, float64(c.Slots), 0.03) {
				b.Errorf(
					"%s: achieved concurrency %.3f, want %d ± 3%%",
					c.Name(),
					c.Concurrency,
					c.Slots,
				)
			}
			if c.Errors != 0 {
				t.Errorf("%s: %d errors %v", c.Name(), c.Errors, c.ErrorKinds)
			}
			if c.Sweep != nil || c.Efficiency == 0 {
				t.Errorf("%s: swept (%v) or without efficiency: slots bound this server",
					c.Name(), c.Sweep != nil)
			}
		}
	})
}

// TestEstimatorFewConnections: with fewer connections than slots, the
// server can only be as concurrent as the client lets it.
func TestEstimatorFewConnections(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := slotServerCommand(t, 50*time.Millisecond)
	cfg := DefaultConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{2, 8}}
	cfg.Connections = 4
	cfg.Health = "/health"
	cfg.Duration = 2 * time.Second
	cfg.Warmup = 300 * time.Millisecond
	machineload.Within(t, func(b *machineload.Bands) {
		res, err := runMatrix(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		c := res.Cells[0]
		if !within(c.Concurrency, 4, 0.03) {
			b.Errorf("2x8 with 4 connections: concurrency %.3f, want 4 ± 3%%", c.Concurrency)
		}
		if len(c.Diagnostics) == 0 {
			t.Errorf("no diagnostic about connections < slots")
		}
	})
}

// TestBurstWaves is the seed experiment on the ground-truth server.
func TestBurstWaves(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := slotServerCommand(t, 100*time.Millisecond)
	cfg := DefaultConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 1}, {3, 3}}
	cfg.Health = "/health"
	cfg.Duration = 500 * time.Millisecond
	cfg.Warmup = 200 * time.Millisecond
	cfg.Bursts = []int{5, 18}
	res, err := runMatrix(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][][]int{
		"1x1": {{1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}},
		"3x3": {{5}, {9, 9}},
	}
	for _, c := range res.Cells {
		for i, b := range c.Bursts {
			if !reflect.DeepEqual(b.Waves, want[c.Name()][i]) {
				t.Errorf(
					"%s burst %d: waves %v, want %v",
					c.Name(),
					b.Size,
					b.Waves,
					want[c.Name()][i],
				)
			}
			if len(b.Requests) != b.Size {
				t.Errorf("%s burst %d: %d request records", c.Name(), b.Size, len(b.Requests))
			}
		}
	}
}

// TestFailedCellKeepsGoing: a server that cannot start fails its cell with
// its log, and the next cell is still measured.
func TestFailedCellKeepsGoing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir := t.TempDir()
	script := filepath.Join(dir, "srv.sh")
	exe, _ := os.Executable()
	// Workers = 2 fails at start with a message; anything else execs the slot server.
	os.WriteFile(
		script,
		[]byte(
			"#!/bin/sh\nif [ \"$1\" = 2 ]; then echo 'ImportError: no module named app' >&2; exit 3; fi\nexec "+exe+" -bind \"$2\" -workers 1 -threads 1 -sleep 20ms\n",
		),
		0o755,
	)
	cfg := DefaultConfig()
	cfg.Command = script + " {workers} {bind}"
	cfg.Env = []string{slotServerEnv + "=1"}
	cfg.Dir = dir
	cfg.Matrix = []Shape{{2, 1}, {1, 1}}
	cfg.Health = "/health"
	cfg.Duration = 300 * time.Millisecond
	cfg.Warmup = 100 * time.Millisecond
	res, err := runMatrix(t, cfg)
	if !errors.Is(err, ErrCellsFailed) {
		t.Fatalf("Run error = %v, want ErrCellsFailed", err)
	}
	if len(res.Cells) != 2 {
		t.Fatalf("%d cells, want 2", len(res.Cells))
	}
	bad, good := res.Cells[0], res.Cells[1]
	if !bad.Failed() || len(bad.LogTail) == 0 ||
		bad.LogTail[len(bad.LogTail)-1] != "ImportError: no module named app" {
		t.Errorf("failed cell: error %q log tail %q", bad.Error, bad.LogTail)
	}
	if good.Failed() || good.ThroughputRPS == 0 {
		t.Errorf("second cell not measured: %+v", good)
	}
}

func gunicornOrSkip(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("runs gunicorn")
	}
	path, err := exec.LookPath("/usr/bin/gunicorn")
	if err != nil {
		t.Skip("gunicorn is not installed (apt-get install gunicorn python3-flask)")
	}
	if exec.Command("/usr/bin/python3", "-c", "import flask").Run() != nil {
		t.Skip("python3-flask is not installed")
	}
	return path
}

// flaskDir is a fresh directory holding the example Flask app.
func flaskDir(t *testing.T) string {
	t.Helper()
	return fixtureDir(t, "wsgi")
}

// TestGunicornSeed reproduces the seed on real gunicorn + Flask: 1x1 serves
// 1, 1x3 and 3x1 serve 3, 3x3 with --worker-connections 3 serves 9.
func TestGunicornSeed(t *testing.T) {
	g := gunicornOrSkip(t)
	cfg := DefaultConfig()
	cfg.Command = g + " --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} app:app"
	cfg.Dir = flaskDir(t)
	cfg.Matrix = []Shape{{1, 1}, {1, 3}, {3, 1}, {3, 3}}
	cfg.Endpoints = []Endpoint{{Path: "/?ms=200"}}
	cfg.Health = "/health"
	cfg.Duration = 3 * time.Second
	cfg.Bursts = []int{5, 18}
	machineload.Within(t, func(b *machineload.Bands) {
		res, err := runMatrix(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]results.Cell{}
		for _, c := range res.Cells {
			byName[c.Name()] = c
			t.Logf(
				"%s: S0 %.1fms X %.2f/s K %.2f eff %.2f PSS %.1f MiB RSS %.1f MiB procs %d cpu/req %.2fms waves %v %v",
				c.Name(),
				c.ServiceTimeS*1e3,
				c.ThroughputRPS,
				c.Concurrency,
				c.Efficiency,
				float64(c.Memory.PSSBytes)/(1<<20),
				float64(c.Memory.RSSBytes)/(1<<20),
				c.Memory.Processes,
				c.ServerCPUPerRequestS*1e3,
				c.Bursts[0].Waves,
				c.Bursts[1].Waves,
			)
			if !within(c.Concurrency, float64(c.Slots), 0.07) {
				b.Errorf("%s: concurrency %.2f, want %d ± 7%%", c.Name(), c.Concurrency, c.Slots)
			}
		}
		if w := byName["1x1"].Bursts[0].Waves; !reflect.DeepEqual(w, []int{1, 1, 1, 1, 1}) {
			b.Errorf("1x1 burst 5: waves %v, want five waves of 1", w)
		}
		if w := byName["3x3"].Bursts[1].Waves; !reflect.DeepEqual(w, []int{9, 9}) {
			b.Errorf("3x3 burst 18: waves %v, want 9 9", w)
		}
		// Workers cost memory, threads barely do. Σ PSS, what the report
		// shows, moves with the rest of the machine: a page of the python
		// binary or of a library is charged in part to every process that
		// maps it, so Python servers of other tests running beside this one
		// take part of the cells' file-backed PSS (six idle python3 processes
		// that imported Flask took 6.7 MiB off a 1x1 gunicorn's 44 MiB; a
		// loaded .ci/run saw 1x3 6.3 MiB above 1x1). A worker costs about
		// 16 MiB of PSS here (32 MiB from 1x1 to 3x1), more than other
		// processes can take from 3x1's file pages, so the workers' band
		// holds on PSS. The threads' band is on RSS, which other processes do
		// not move: 1x1 and 1x3 run the same two processes (a master and one
		// worker), so their RSS compares like with like, and the threads' own
		// stacks and arenas measured 0.4 MiB. A thread counted as a process,
		// or threads run as workers, would add a worker's 35 MiB of RSS.
		mem := func(n string) (pss, rss float64) {
			m := byName[n].Memory
			return float64(m.PSSBytes) / (1 << 20), float64(m.RSSBytes) / (1 << 20)
		}
		pss11, rss11 := mem("1x1")
		pss13, rss13 := mem("1x3")
		pss31, _ := mem("3x1")
		t.Logf("from 1x1: 3x1 Σ PSS %+.1f MiB; 1x3 Σ PSS %+.1f MiB, Σ RSS %+.1f MiB",
			pss31-pss11, pss13-pss11, rss13-rss11)
		if d := pss31 - pss11; d < 10 {
			b.Errorf("Σ PSS grew %.1f MiB from 1 to 3 workers, want ≥ 10", d)
		}
		if p1, p3 := byName["1x1"].Memory.Processes, byName["1x3"].Memory.Processes; p1 != p3 {
			b.Errorf("1x1 ran %d processes and 1x3 %d, want the same: threads are not processes", p1, p3)
		} else if d := rss13 - rss11; d > 5 {
			b.Errorf("Σ RSS of the same %d processes grew %.1f MiB from 1 to 3 threads, want < 5", p1, d)
		}
	})
}

// TestGunicornCPUBound: a pure-Python handler is limited by cores, not by
// slots; threads do not help (the GIL).
func TestGunicornCPUBound(t *testing.T) {
	g := gunicornOrSkip(t)
	cfg := DefaultConfig()
	cfg.Command = g + " --bind {bind} --workers {workers} --threads {threads} app:app"
	cfg.Dir = flaskDir(t)
	cfg.Matrix = []Shape{{4, 1}, {1, 4}}
	cfg.Endpoints = []Endpoint{{Name: "cpu", Path: "/cpu"}, {Name: "sleep", Path: "/?ms=30"}}
	cfg.Health = "/health"
	cfg.Duration = 3 * time.Second
	machineload.Within(t, func(b *machineload.Bands) {
		res, err := runMatrix(t, cfg)
		if err != nil {
			t.Fatal(err)
		}
		cells := map[string]results.Cell{}
		for _, c := range res.Cells {
			cells[c.Name()] = c
			t.Logf(
				"%s: S0 %.1fms X %.1f/s K %.2f server CPU/req %.1fms (%.0f%% of S0, %s-bound)",
				c.Name(),
				c.ServiceTimeS*1e3,
				c.ThroughputRPS,
				c.Concurrency,
				c.ServerCPUPerRequestS*1e3,
				100*c.CPUBoundness,
				c.Bound,
			)
		}
		// S0 is measured on an idle machine, where one busy core may run at a
		// higher clock and nothing competes for caches; under load each request
		// costs more CPU, and S0 itself varies between boots by ±20% for a 5 ms
		// handler, so K lands around the core count (1.5–2.5 seen on 2 cores). The
		// upper bound still tells cores from the 4 slots. So 4 workers must show
		// more than one core's work and clearly more than 4 threads under the
		// GIL, and never more than the cores. Other packages' tests beside this
		// one took 0.75 of 2 cores in one CI run (4x1 read 1.25): machineload.Within
		// reads a fault only from a quiet machine.
		cores := float64(res.Host.CPUs)
		k4x1, k1x4 := cells["4x1 cpu"].Concurrency, cells["1x4 cpu"].Concurrency
		if cores >= 2 && k4x1 < 1.15 || k4x1 > 1.5*cores {
			b.Errorf("4x1 cpu: concurrency %.2f, want more than one core's work, at most ≈ %v cores",
				k4x1, cores)
		}
		if k1x4 < 0.7 || k1x4 > 1.25 {
			b.Errorf("1x4 cpu: concurrency %.2f, want ≈ 1 (GIL)", k1x4)
		}
		if cores >= 2 && k4x1 < 1.2*k1x4 {
			b.Errorf(
				"4 workers reached %.2f, 4 threads %.2f: workers should parallelise a CPU-bound handler and threads should not",
				k4x1,
				k1x4,
			)
		}
		for _, shape := range []string{"4x1", "1x4"} {
			cpu, sleep := cells[shape+" cpu"], cells[shape+" sleep"]
			if cpu.CPUBoundness <= 2*sleep.CPUBoundness || cpu.Bound != "cpu" || sleep.Bound != "io" {
				b.Errorf(
					"%s: CPU share cpu %.2f (%s) vs sleep %.2f (%s)",
					shape,
					cpu.CPUBoundness,
					cpu.Bound,
					sleep.CPUBoundness,
					sleep.Bound,
				)
			}
		}
	})
}
