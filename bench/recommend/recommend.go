// Package recommend answers the question the workers × threads experiment
// asks: from a measured matrix (memory per worker and per thread, how much
// of a request is CPU, how many requests each slot really serves), which
// configuration should the server run on a target machine, and why.
package recommend

import (
	"fmt"
	"math"
	"slices"

	"github.com/workerbench/workerbench/bench/profile"
	"github.com/workerbench/workerbench/bench/results"
)

// Target is the machine a recommendation is for.
type Target struct {
	CPUs         int     // cores; must be positive
	MemoryBudget uint64  // bytes of Σ PSS the server may use; 0 for no limit
	P99          float64 // seconds; 0 for no latency target
}

// maxThreads bounds the threads per worker a recommendation asks for:
// beyond it the GIL's hand-offs and the app's own pools (database
// connections) decide more than the server does, and the matrix rarely
// measured that far.
const maxThreads = 16

// For recommends a configuration for t from the measured cells of r (the
// first endpoint's, as results.Run.Best does), given the server's runtime
// and concurrency model. ok is false when no cell was measured.
//
// The rules, each a reason in the result:
//   - Workers are processes: each keeps one core busy at most under a
//     GIL, GVL or a single-threaded runtime, so as many workers as cores,
//     fewer when the memory budget does not hold them.
//   - Threads serve requests that wait: a CPU-bound handler gets one (more
//     add nothing), an I/O-bound one enough slots to keep the cores busy
//     (cores × S0 ÷ CPU per request), at most 16 per worker; an event-loop
//     server gets one (its loop serves the waiting requests).
//   - The expected throughput is the lower of what the slots serve (slots
//     × measured concurrency per slot ÷ S0) and what the cores can compute
//     (usable cores ÷ CPU per request).
func For(r *results.Run, t Target) (results.Recommendation, bool) {
	cells := measured(r)
	if len(cells) == 0 || t.CPUs < 1 {
		return results.Recommendation{}, false
	}
	rt := profile.Runtime(r.Runtime)
	eventLoop := r.Model == string(profile.EventLoop)
	m := fitMemory(cells)
	s0, cpu, perSlot := serviceFigures(cells)
	cpuBound := cpu >= 0.5*s0

	rec := results.Recommendation{
		TargetCPUs: t.CPUs, MemoryBudgetBytes: t.MemoryBudget, P99TargetS: t.P99,
		PSSPerWorkerBytes: uint64(math.Max(m.perWorker, 0)), PSSPerThreadBytes: uint64(math.Max(m.perThread, 0)),
		RuleOfThumbWorkers: 2*t.CPUs + 1,
	}
	// Threads per worker for w workers: what keeps the cores busy.
	need := math.Ceil(float64(t.CPUs) * s0 / cpu)
	threadsFor := func(w int) int {
		if eventLoop || cpuBound {
			return 1
		}
		return int(max(min(math.Ceil(need/float64(w)), maxThreads), 1))
	}
	bytes := func(w, threads int) float64 {
		return m.base + float64(w)*m.perWorker + float64(w*threads)*m.perThread
	}
	w := t.CPUs
	why := fmt.Sprintf("%d workers, one per core: a worker process computes on one core at a time (%s)",
		w, runtimeWhy(rt))
	if t.MemoryBudget > 0 {
		for w > 1 && bytes(w, threadsFor(w)) > float64(t.MemoryBudget) {
			w--
		}
		if w < t.CPUs {
			why = fmt.Sprintf("%d workers, not one per core: at %s of Σ PSS each (plus %s shared), the %s "+
				"budget holds %d", w, mib(m.perWorker+float64(threadsFor(w))*m.perThread), mib(m.base),
				mib(float64(t.MemoryBudget)), w)
		}
	}
	rec.Reasons = append(rec.Reasons, why+".")
	threads := threadsFor(w)
	switch {
	case eventLoop:
		rec.Reasons = append(rec.Reasons, "1 thread: each worker's event loop serves the requests that wait.")
	case cpuBound:
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("1 thread: the handler is CPU-bound (%s of CPU "+
			"in a %s request), so more threads would only queue for the core.", secs(cpu), secs(s0)))
	default:
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("%d threads per worker: a request waits %s and computes "+
			"%s, so about %.0f requests in service keep %d cores busy%s.", threads, secs(s0), secs(cpu), need,
			t.CPUs, capped(need, w, threads)))
	}
	rec.Workers, rec.Threads = w, threads

	slots := float64(w * threads)
	bySlots := slots * perSlot / s0
	usable := float64(min(w, t.CPUs))
	if !gilBound(rt) && !eventLoop {
		usable = float64(min(w*threads, t.CPUs))
	}
	byCPU := usable / cpu
	rec.ExpectedRPS = math.Min(bySlots, byCPU)
	if eventLoop {
		rec.ExpectedRPS = byCPU
	}
	rec.ExpectedPSSBytes = uint64(math.Max(bytes(w, threads), 0))
	if t.P99 > 0 {
		rec.Reasons = append(rec.Reasons, p99Reason(cells, w, threads, t.P99))
	}
	if !slices.ContainsFunc(cells, func(c results.Cell) bool {
		return c.Workers == w && c.Threads == threads
	}) {
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("Not measured: the matrix has no %dx%d, so "+
			"its throughput and memory are estimated from the cells that were; add %dx%d to the "+
			"matrix to measure it.", w, threads, w, threads))
	}
	return rec, true
}

// measured returns the measured cells of r's first endpoint.
func measured(r *results.Run) []results.Cell {
	var out []results.Cell
	for _, c := range r.Cells {
		if c.Failed() || c.ThroughputRPS <= 0 || len(out) > 0 && c.Endpoint != out[0].Endpoint {
			continue
		}
		out = append(out, c)
	}
	return out
}

// serviceFigures are the medians over cells of S0 and server CPU per
// request (seconds), and of the concurrency each slot achieved (at most 1;
// 1 where it cannot be told).
func serviceFigures(cells []results.Cell) (s0, cpu, perSlot float64) {
	var s0s, cpus, per []float64
	for _, c := range cells {
		s0s = append(s0s, c.ServiceTimeS)
		if c.ServerCPUPerRequestS > 0 {
			cpus = append(cpus, c.ServerCPUPerRequestS)
		}
		if c.Slots > 0 && c.Bound != "cpu" && c.Sweep == nil {
			per = append(per, min(c.Concurrency/float64(c.Slots), 1))
		}
	}
	s0, cpu, perSlot = median(s0s), median(cpus), median(per)
	if cpu <= 0 {
		cpu = s0 // nothing measured it: assume the worst, that all of it computes
	}
	if perSlot <= 0 {
		perSlot = 1
	}
	return s0, cpu, perSlot
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}

// memory is Σ PSS ≈ base + perWorker × workers + perThread × slots,
// in bytes.
type memory struct{ base, perWorker, perThread float64 }

// fitMemory estimates the memory model from the cells' peak Σ PSS: the
// cost of a worker from cells that differ only in workers, of a thread
// from cells that differ only in threads (medians of the pairwise slopes,
// robust to one noisy cell), and the base from what is left.
func fitMemory(cells []results.Cell) memory {
	pss := func(c results.Cell) float64 {
		return float64(max(c.Memory.PeakPSSBytes, c.Memory.PSSBytes))
	}
	// Threads first: between cells of the same workers only they differ.
	var perThread []float64
	for i, a := range cells {
		for _, b := range cells[i+1:] {
			if pss(a) > 0 && pss(b) > 0 && a.Workers == b.Workers && a.Threads != b.Threads {
				perThread = append(perThread, (pss(b)-pss(a))/float64(b.Workers*(b.Threads-a.Threads)))
			}
		}
	}
	m := memory{perThread: math.Max(median(perThread), 0)}
	// Then workers, each with its threads' share taken out.
	var perWorker []float64
	for i, a := range cells {
		for _, b := range cells[i+1:] {
			if pss(a) > 0 && pss(b) > 0 && a.Threads == b.Threads && a.Workers != b.Workers {
				dw := float64(b.Workers - a.Workers)
				perWorker = append(perWorker, (pss(b)-pss(a))/dw-float64(a.Threads)*m.perThread)
			}
		}
	}
	m.perWorker = median(perWorker)
	var bases []float64
	for _, c := range cells {
		if p := pss(c); p > 0 {
			bases = append(bases, p-m.perWorker*float64(c.Workers)-m.perThread*float64(c.Workers*c.Threads))
		}
	}
	m.base = math.Max(median(bases), 0)
	return m
}

// gilBound reports whether threads of one process compute one at a time.
func gilBound(rt profile.Runtime) bool {
	return rt == profile.CPython || rt == profile.Ruby || rt == profile.Node
}

func runtimeWhy(rt profile.Runtime) string {
	switch rt {
	case profile.CPython:
		return "Python's GIL"
	case profile.Ruby:
		return "Ruby's GVL"
	case profile.Node:
		return "Node runs JavaScript on one thread"
	}
	return "more workers than cores only share them"
}

func capped(need float64, w, threads int) string {
	if threads == maxThreads && need > float64(w*threads) {
		return fmt.Sprintf(" (capped at %d: measure more threads before going further)", maxThreads)
	}
	return ""
}

// p99Reason compares the p99 target with the p99 measured at the
// recommended configuration, or at the nearest measured one. A closed loop
// of C connections keeps C requests at the server, of which K (the
// achieved concurrency) are in service and the rest queue, so a request's
// latency there is about C ÷ K service times: the p99 without that queue,
// p99 × K ÷ C, says whether the target can hold while the load stays below
// what the server serves.
func p99Reason(cells []results.Cell, w, threads int, target float64) string {
	best := cells[0]
	dist := func(c results.Cell) int { return abs(c.Workers-w) + abs(c.Threads-threads) }
	for _, c := range cells[1:] {
		if dist(c) < dist(best) {
			best = c
		}
	}
	at := "at " + best.Name()
	if dist(best) != 0 {
		at += " (the nearest measured)"
	}
	if best.Latency.P99 <= target {
		return fmt.Sprintf("The p99 target of %s holds even at full load: %s p99 was %s with %d "+
			"connections.", secs(target), at, secs(best.Latency.P99), best.Connections)
	}
	unqueued := best.Latency.P99
	if c, k := float64(best.Connections), best.Concurrency; k > 0 && c > k {
		unqueued *= k / c
	}
	if unqueued <= target {
		return fmt.Sprintf("The p99 target of %s holds while requests do not queue: %s p99 was %s "+
			"with %d connections for about %.0f in service; without the wait it is about %s. "+
			"Keep the load below the expected throughput.",
			secs(target), at, secs(best.Latency.P99), best.Connections, best.Concurrency,
			secs(unqueued))
	}
	return fmt.Sprintf("The p99 target of %s does not hold at any load: %s p99 was %s, and about "+
		"%s without waiting for a slot; workers and threads add capacity, not speed.",
		secs(target), at, secs(best.Latency.P99), secs(unqueued))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

func secs(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2f s", s)
	case s >= 0.001:
		return fmt.Sprintf("%.1f ms", s*1e3)
	default:
		return fmt.Sprintf("%.0f µs", s*1e6)
	}
}
