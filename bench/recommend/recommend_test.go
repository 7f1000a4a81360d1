package recommend

import (
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

const mi = 1 << 20

// sleepApp is the seed's matrix for an I/O-bound handler that waits 100 ms
// and computes 1 ms, with 20 MiB of Σ PSS per worker over 30 MiB shared.
func sleepApp() *results.Run {
	cell := func(w, t int) results.Cell {
		pss := uint64(30*mi + 20*mi*w + w*t*mi/8)
		return results.Cell{Workers: w, Threads: t, Slots: w * t, Connections: 3 * w * t,
			ServiceTimeS: 0.1, ServerCPUPerRequestS: 0.001, Bound: "io",
			ThroughputRPS: float64(w*t) / 0.1, Concurrency: float64(w * t),
			Latency: results.Latency{P99: 0.31}, Memory: results.Memory{PeakPSSBytes: pss, PSSBytes: pss}}
	}
	return &results.Run{Runtime: "cpython", Model: "slots",
		Cells: []results.Cell{cell(1, 1), cell(1, 3), cell(3, 1), cell(3, 3)}}
}

// cpuApp is a handler that computes 25 ms of its 26 ms.
func cpuApp() *results.Run {
	cell := func(w, t int, x float64) results.Cell {
		pss := uint64(30*mi + 20*mi*w)
		return results.Cell{Workers: w, Threads: t, Slots: w * t, ServiceTimeS: 0.026,
			ServerCPUPerRequestS: 0.025, Bound: "cpu", ThroughputRPS: x, BusyCores: x * 0.025,
			Memory: results.Memory{PeakPSSBytes: pss}}
	}
	return &results.Run{Runtime: "cpython", Model: "slots",
		Cells: []results.Cell{cell(1, 1, 38), cell(1, 4, 36), cell(2, 1, 76), cell(4, 1, 78)}}
}

func TestFor(t *testing.T) {
	tests := []struct {
		name    string
		run     *results.Run
		target  Target
		config  string
		reasons []string
	}{
		// Memory binds: 21 workers of 20 MiB and 16 threads of 1/8 MiB
		// each (22 MiB) fit in 512 MiB over the 30 MiB shared, not 32.
		{"I/O-bound, 32 cores, 512 MiB", sleepApp(), Target{CPUs: 32, MemoryBudget: 512 * mi}, "21x16",
			[]string{"21 workers, not one per core: at 22 MiB of Σ PSS each (plus 30 MiB shared), the 512 MiB budget holds 21",
				"16 threads per worker: a request waits 100.0 ms and computes 1.0 ms, so about 3200 requests in service keep 32 cores busy (capped at 16"}},
		{"I/O-bound, 2 cores, no budget", sleepApp(), Target{CPUs: 2}, "2x16",
			[]string{"2 workers, one per core: a worker process computes on one core at a time (Python's GIL)"}},
		{"I/O-bound, 4 cores, 100 MiB", sleepApp(), Target{CPUs: 4, MemoryBudget: 100 * mi}, "3x16",
			[]string{"3 workers, not one per core"}},
		{"CPU-bound, 4 cores", cpuApp(), Target{CPUs: 4}, "4x1",
			[]string{"4 workers, one per core", "1 thread: the handler is CPU-bound (25.0 ms of CPU in a 26.0 ms request)"}},
		// 2x16 is nowhere in the matrix: the figures are the model's.
		{"not measured", sleepApp(), Target{CPUs: 2}, "2x16",
			[]string{"Not measured: the matrix has no 2x16, so its throughput and memory are estimated from the cells that were; add 2x16 to the matrix to measure it."}},
		// 27 connections for 9 slots: each request waited for two others.
		{"p99 target, queueing", sleepApp(), Target{CPUs: 3, P99: 0.3}, "3x16",
			[]string{"The p99 target of 300.0 ms holds while requests do not queue: at 3x3 (the nearest measured) p99 was 310.0 ms with 27 connections for about 9 in service; without the wait it is about 103.3 ms."}},
		{"p99 target, met", sleepApp(), Target{CPUs: 3, P99: 0.5}, "3x16",
			[]string{"The p99 target of 500.0 ms holds even at full load: at 3x3 (the nearest measured) p99 was 310.0 ms"}},
		{"p99 target, slower than the handler", sleepApp(), Target{CPUs: 3, P99: 0.05}, "3x16",
			[]string{"The p99 target of 50.0 ms does not hold at any load", "about 103.3 ms without waiting for a slot", "add capacity, not speed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := For(tt.run, tt.target)
			if !ok {
				t.Fatal("no recommendation")
			}
			t.Logf("%s: %v; expect %.0f req/s, %.0f MiB", rec.Config(), rec.Reasons, rec.ExpectedRPS, float64(rec.ExpectedPSSBytes)/mi)
			if rec.Config() != tt.config {
				t.Errorf("recommended %s, want %s", rec.Config(), tt.config)
			}
			all := strings.Join(rec.Reasons, " ")
			for _, r := range tt.reasons {
				if !strings.Contains(all, r) {
					t.Errorf("reasons %q lack %q", rec.Reasons, r)
				}
			}
			if tt.target.MemoryBudget > 0 && rec.ExpectedPSSBytes > tt.target.MemoryBudget {
				t.Errorf("expected Σ PSS %d MiB is over the budget", rec.ExpectedPSSBytes/mi)
			}
			if rec.RuleOfThumbWorkers != 2*tt.target.CPUs+1 {
				t.Errorf("rule of thumb %d workers", rec.RuleOfThumbWorkers)
			}
		})
	}
	// 4x1 was measured: nothing to add.
	if rec, _ := For(cpuApp(), Target{CPUs: 4}); strings.Contains(strings.Join(rec.Reasons, " "), "Not measured") {
		t.Errorf("a measured 4x1 is called not measured: %q", rec.Reasons)
	}
	if _, ok := For(&results.Run{Cells: []results.Cell{{Workers: 1, Threads: 1, Error: "x"}}}, Target{CPUs: 2}); ok {
		t.Error("a recommendation from no measured cell")
	}
}

func TestFitMemory(t *testing.T) {
	m := fitMemory(sleepApp().Cells)
	if m.perWorker != 20*mi || m.perThread != mi/8 || m.base != 30*mi {
		t.Errorf("memory model %+v, want 20 MiB per worker, 1/8 MiB per thread, 30 MiB base", m)
	}
}
