package recommend

import (
	"fmt"
	"math"
	"slices"
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

// halfSlots is a handler that waits 20 ms and computes 4 ms, whose slots
// each held half a request on average (threads waiting on a shared pool).
func halfSlots() *results.Run {
	cell := func(w, t int) results.Cell {
		pss := uint64(30*mi + 20*mi*w)
		return results.Cell{Workers: w, Threads: t, Slots: w * t, Connections: 2 * w * t,
			ServiceTimeS: 0.02, ServerCPUPerRequestS: 0.004, Bound: "io",
			ThroughputRPS: 0.5 * float64(w*t) / 0.02, Concurrency: 0.5 * float64(w*t),
			Memory: results.Memory{PeakPSSBytes: pss, PSSBytes: pss}}
	}
	return &results.Run{Runtime: "cpython", Model: "slots",
		Cells: []results.Cell{cell(1, 1), cell(1, 3), cell(3, 1), cell(3, 3)}}
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
				"16 threads per worker: a request waits 100 ms and computes 1.00 ms, so about 3200 requests in service keep 32 cores busy (capped at 16"}},
		{"I/O-bound, 2 cores, no budget", sleepApp(), Target{CPUs: 2}, "2x16",
			[]string{"2 workers, one per core: a worker process computes on one core at a time (Python's GIL)"}},
		{"I/O-bound, 4 cores, 100 MiB", sleepApp(), Target{CPUs: 4, MemoryBudget: 100 * mi}, "3x16",
			[]string{"3 workers, not one per core"}},
		// 10 requests in service keep 2 cores busy, and a slot holds half
		// of one: 20 slots, not the 10 that would serve half as much.
		{"slots half busy, 2 cores", halfSlots(), Target{CPUs: 2}, "2x10",
			[]string{"10 threads per worker: a request waits 20.0 ms and computes 4.00 ms, so about 10 requests in service keep 2 cores busy; a slot served 0.50 requests at a time in the cells measured here, so that takes about 20 slots."}},
		{"CPU-bound, 4 cores", cpuApp(), Target{CPUs: 4}, "4x1",
			[]string{"4 workers, one per core", "1 thread: the handler is CPU-bound (25.0 ms of CPU in a 26.0 ms request)"}},
		// 2x16 is nowhere in the matrix: the figures are the model's.
		{"not measured", sleepApp(), Target{CPUs: 2}, "2x16",
			[]string{"Not measured: the matrix has no 2x16, so its throughput and memory are estimated from the cells that were; add 2x16 to the matrix to measure it."}},
		// 27 connections for 9 slots: each request waited for two others.
		{"p99 target, queueing", sleepApp(), Target{CPUs: 3, P99: 0.3}, "3x16",
			[]string{"The p99 target of 300 ms holds while requests do not queue: at 3x3 (the nearest measured) p99 was 310 ms with 27 connections for about 9 in service; without the wait it is about 103 ms."}},
		{"p99 target, met", sleepApp(), Target{CPUs: 3, P99: 0.5}, "3x16",
			[]string{"The p99 target of 500 ms holds even at full load: at 3x3 (the nearest measured) p99 was 310 ms"}},
		{"p99 target, slower than the handler", sleepApp(), Target{CPUs: 3, P99: 0.05}, "3x16",
			[]string{"The p99 target of 50.0 ms does not hold at any load", "about 103 ms without waiting for a slot", "add capacity, not speed"}},
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
	if m.perWorker != 20*mi || m.perThread != mi/8 || m.base != 30*mi || !m.workerKnown || !m.threadKnown {
		t.Errorf("memory model %+v, want 20 MiB per worker, 1/8 MiB per thread, 30 MiB base", m)
	}
}

// sized is a cell of a matrix and its peak Σ PSS in MiB.
type sized struct {
	workers, threads int
	mib              float64
}

// matrixOf is a run of the cells given: of sleepApp's I/O-bound handler,
// or of cpuApp's CPU-bound one when cpu.
func matrixOf(cpu bool, cells ...sized) *results.Run {
	r := &results.Run{Runtime: "cpython", Model: "slots"}
	for _, s := range cells {
		w, t := s.workers, s.threads
		c := results.Cell{Workers: w, Threads: t, Slots: w * t, Connections: 3 * w * t,
			ServiceTimeS: 0.1, ServerCPUPerRequestS: 0.001, Bound: "io",
			ThroughputRPS: float64(w*t) / 0.1, Concurrency: float64(w * t),
			Memory: results.Memory{PeakPSSBytes: uint64(s.mib * mi)}}
		if cpu {
			c.ServiceTimeS, c.ServerCPUPerRequestS, c.Bound = 0.026, 0.025, "cpu"
			c.ThroughputRPS = 38 * float64(w)
		}
		r.Cells = append(r.Cells, c)
	}
	return r
}

// TestMemoryHonesty pins what the recommendation says of memory when the
// matrix cannot fit a cost: it names the cost and the cells to
// add, leaves out an estimate that would need it, and never puts a
// configuration below a measured cell it dominates.
func TestMemoryHonesty(t *testing.T) {
	io, cpu := false, true
	tests := []struct {
		name    string
		run     *results.Run
		target  Target
		config  string
		unknown []string
		pssMiB  float64 // expected Σ PSS; 0 when left out
		reasons []string
		absent  []string
	}{
		// A fit that took both costs as 0 put 4x16
		// at 52.4 MiB, below the 60.7 MiB the 2x2 measured.
		{"1x1,2x2", matrixOf(io, sized{1, 1, 44.1}, sized{2, 2, 60.7}), Target{CPUs: 4}, "4x16",
			[]string{"pss_per_worker", "pss_per_thread"}, 0,
			[]string{"Memory per worker and per thread unknown: no two cells share a thread count or a worker count; add 1x2 to the matrix to measure both.",
				"The Σ PSS of 4x16 is not estimated, as it depends on those costs: it is at least the 60.7 MiB measured at 2x2.",
				"Not measured: the matrix has no 4x16, so its throughput is estimated"}, nil},
		{"1x1,2x2, a budget", matrixOf(io, sized{1, 1, 44.1}, sized{2, 2, 60.7}), Target{CPUs: 4, MemoryBudget: 512 * mi}, "4x16",
			[]string{"pss_per_worker", "pss_per_thread"}, 0,
			[]string{"at least the 60.7 MiB measured at 2x2, and only that was checked against the 512 MiB budget."}, nil},
		// The seed's matrix fits both: 30 + 2 × 20 + 32 × 1/8 MiB.
		{"1x1,1x3,3x1,3x3", sleepApp(), Target{CPUs: 2}, "2x16", nil, 74,
			[]string{"its throughput and memory are estimated"}, []string{"unknown", "not estimated", "Σ PSS of"}},
		{"single cell", matrixOf(io, sized{1, 1, 50}), Target{CPUs: 2}, "2x16",
			[]string{"pss_per_worker", "pss_per_thread"}, 0,
			[]string{"Memory per worker and per thread unknown: no two cells share a thread count or a worker count; add 2x1 and 1x2 to the matrix to measure them.",
				"it is at least the 50.0 MiB measured at 1x1."}, nil},
		{"single cell, recommended", matrixOf(cpu, sized{1, 1, 50}), Target{CPUs: 1}, "1x1",
			[]string{"pss_per_worker", "pss_per_thread"}, 50,
			[]string{"The expected Σ PSS of 1x1 does not depend on those costs: 1x1 was measured."}, []string{"Not measured"}},
		// One thread count: a worker's cost includes its thread's, right
		// at that count (8x1 is 30 + 8 × 20 MiB), unknown at any other.
		{"per-thread unknown", matrixOf(cpu, sized{1, 1, 50}, sized{2, 1, 70}, sized{4, 1, 110}), Target{CPUs: 8}, "8x1",
			[]string{"pss_per_thread"}, 190,
			[]string{"Memory per thread unknown: no two cells share a worker count; add 1x2 to the matrix to measure it.",
				"The expected Σ PSS of 8x1 does not depend on that cost: every cell has 8x1's thread count."},
			[]string{"per worker unknown"}},
		{"per-thread unknown, a budget", matrixOf(cpu, sized{1, 1, 50}, sized{2, 1, 70}, sized{4, 1, 110}), Target{CPUs: 8, MemoryBudget: 150 * mi}, "6x1",
			[]string{"pss_per_thread"}, 150,
			[]string{"6 workers, not one per core: 7x1 would need about 170 MiB of Σ PSS, over the 150 MiB budget."}, nil},
		{"per-thread unknown, more threads", matrixOf(io, sized{1, 1, 50}, sized{2, 1, 70}, sized{4, 1, 110}), Target{CPUs: 8}, "8x16",
			[]string{"pss_per_thread"}, 0,
			[]string{"add 1x2 to the matrix", "The Σ PSS of 8x16 is not estimated, as it depends on that cost: it is at least the 110.0 MiB measured at 4x1."}, nil},
		// A lower bound over the budget is over it: 4x16 dominates the
		// 4x1 and its 110 MiB; 3x16 only the 70 MiB of the 2x1.
		{"per-thread unknown, bound over the budget", matrixOf(io, sized{1, 1, 50}, sized{2, 1, 70}, sized{4, 1, 110}), Target{CPUs: 4, MemoryBudget: 100 * mi}, "3x16",
			[]string{"pss_per_thread"}, 0,
			[]string{"3 workers, not one per core: 4x16 would need at least the 110.0 MiB of Σ PSS measured at 4x1, over the 100 MiB budget."}, nil},
		// One worker count: 1x16 is 50 + 16 × 1/8 MiB.
		{"per-worker unknown", matrixOf(io, sized{1, 1, 50.125}, sized{1, 4, 50.5}), Target{CPUs: 1}, "1x16",
			[]string{"pss_per_worker"}, 52,
			[]string{"Memory per worker unknown: no two cells share a thread count; add 2x1 to the matrix to measure it.",
				"The expected Σ PSS of 1x16 does not depend on that cost: every cell has 1x16's worker count."}, nil},
		{"per-worker unknown, more workers", matrixOf(io, sized{1, 1, 50.125}, sized{1, 4, 50.5}), Target{CPUs: 4}, "4x16",
			[]string{"pss_per_worker"}, 0,
			[]string{"it is at least the 50.5 MiB measured at 1x4."}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := For(tt.run, tt.target)
			if !ok {
				t.Fatal("no recommendation")
			}
			t.Logf("%s: %q; %.1f MiB", rec.Config(), rec.Reasons, float64(rec.ExpectedPSSBytes)/mi)
			if rec.Config() != tt.config {
				t.Errorf("recommended %s, want %s", rec.Config(), tt.config)
			}
			if !slices.Equal(rec.UnknownCosts, tt.unknown) {
				t.Errorf("unknown costs %q, want %q", rec.UnknownCosts, tt.unknown)
			}
			if got := float64(rec.ExpectedPSSBytes) / mi; math.Abs(got-tt.pssMiB) > 0.01 {
				t.Errorf("expected Σ PSS %.2f MiB, want %.2f", got, tt.pssMiB)
			}
			if slices.Contains(rec.UnknownCosts, "pss_per_worker") && rec.PSSPerWorkerBytes != 0 ||
				slices.Contains(rec.UnknownCosts, "pss_per_thread") && rec.PSSPerThreadBytes != 0 {
				t.Errorf("an unknown cost has a figure: %d per worker, %d per thread",
					rec.PSSPerWorkerBytes, rec.PSSPerThreadBytes)
			}
			all := strings.Join(rec.Reasons, " ")
			for _, r := range tt.reasons {
				if !strings.Contains(all, r) {
					t.Errorf("reasons %q lack %q", rec.Reasons, r)
				}
			}
			for _, r := range tt.absent {
				if strings.Contains(all, r) {
					t.Errorf("reasons %q say %q", rec.Reasons, r)
				}
			}
			if s := belowMeasured(fitMemory(measured(tt.run))); s != "" {
				t.Error(s)
			}
		})
	}
}

// belowMeasured returns the first configuration up to 8x16 that m puts
// below a measured cell it dominates, estimated or only bounded, or "".
func belowMeasured(m memory) string {
	for w := 1; w <= 8; w++ {
		for th := 1; th <= maxThreads; th++ {
			got, _ := m.at(w, th)
			for _, c := range m.cells {
				if c.Workers <= w && c.Threads <= th && got < pss(c) {
					return fmt.Sprintf("%dx%d at %.1f MiB, below the %.1f MiB measured at %s",
						w, th, got/mi, pss(c)/mi, c.Name())
				}
			}
		}
	}
	return ""
}

func TestCellsToAdd(t *testing.T) {
	tests := []struct {
		name           string
		cells          []sized
		worker, thread bool
		want           []string
	}{
		{"1x1,2x2: one cell fits both", []sized{{1, 1, 1}, {2, 2, 1}}, true, true, []string{"1x2"}},
		{"2x2,4x8: the fewest slots", []sized{{2, 2, 1}, {4, 8, 1}}, true, true, []string{"4x2"}},
		{"one cell: two, of twice its values", []sized{{2, 3, 1}}, true, true, []string{"4x3", "2x6"}},
		{"one thread count", []sized{{1, 1, 1}, {2, 1, 1}, {4, 1, 1}}, false, true, []string{"1x2"}},
		{"one worker count", []sized{{1, 1, 1}, {1, 4, 1}}, true, false, []string{"2x1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cellsToAdd(matrixOf(false, tt.cells...).Cells, tt.worker, tt.thread); !slices.Equal(got, tt.want) {
				t.Errorf("add %q, want %q", got, tt.want)
			}
		})
	}
}
