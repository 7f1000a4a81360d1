// Package recommend answers the question the workers × threads experiment
// asks: from a measured matrix (memory per worker and per thread, how much
// of a request is CPU, how many requests each slot really serves), which
// configuration should the server run on a target machine, and why.
package recommend

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/profile"
	"github.com/workerbench/workerbench/bench/results"
)

// Target is the machine a recommendation is for.
type Target struct {
	CPUs         int     // cores; must be positive
	MemoryBudget uint64  // bytes of Σ PSS the server may use; 0 for no limit
	P99          float64 // seconds; 0 for no latency target
	// Deployed is the configuration the project deploys, on this target:
	// its workers evaluated for CPUs. Zero when nothing is deployed.
	Deployed Config
	// FromDeployment says CPUs or MemoryBudget are the deployment
	// machine's, as the user gave none.
	FromDeployment bool
}

// Config is a workers × threads configuration.
type Config struct{ Workers, Threads int }

// String is "WxT".
func (c Config) String() string { return fmt.Sprintf("%dx%d", c.Workers, c.Threads) }

// maxThreads bounds the threads per worker a recommendation asks for:
// beyond it the GIL's hand-offs and the app's own pools (database
// connections) decide more than the server does, and the matrix rarely
// measured that far.
const maxThreads = 16

// busySlot is the concurrency per slot from which a slot counts as busy:
// what a slot of a healthy server misses (0 to 3%) is the client's turn
// between requests, not a resource its requests share.
const busySlot = 0.9

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
//     (cores × S0 ÷ CPU per request, ÷ the concurrency a slot achieved
//     here), at most 16 per worker; an event-loop server gets one (its
//     loop serves the waiting requests).
//   - The expected throughput is the lower of what the slots serve (slots
//     × measured concurrency per slot ÷ S0) and what the cores can compute
//     (usable cores ÷ CPU per request).
//   - The expected memory is the fit of fitMemory, never below a measured
//     cell the configuration dominates; when the matrix could not fit a
//     cost it needs (no two cells share a thread count, or a worker
//     count), it is left out, and a reason names the cost, the cells to
//     add and the most a dominated cell measured.
//
// Throughput gets no such floor: the target's cores are not those the
// cells ran on, and more threads can serve less (GIL hand-offs), so a
// measured cell does not bound what a configuration dominating it serves.
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
		UnknownCosts: m.unknown(), RuleOfThumbWorkers: 2*t.CPUs + 1,
	}
	// Threads per worker for w workers: what keeps the cores busy. need
	// requests in service keep them computing; a slot held perSlot of a
	// request on average in the cells measured here (GIL hand-offs, a
	// shared pool), so that takes need ÷ perSlot slots, as the throughput
	// model below counts them, when perSlot is below busySlot.
	need := math.Ceil(float64(t.CPUs) * s0 / cpu)
	slots := need
	if perSlot < busySlot {
		slots = math.Ceil(need / perSlot)
	}
	threadsFor := func(w int) int {
		if eventLoop || cpuBound {
			return 1
		}
		return int(max(min(math.Ceil(slots/float64(w)), maxThreads), 1))
	}
	w := t.CPUs
	why := fmt.Sprintf("%d workers, one per core: a worker process computes on one core at a time (%s)",
		w, runtimeWhy(rt))
	if budget := float64(t.MemoryBudget); budget > 0 {
		// Where the fit needs an unknown cost, at gives a lower bound:
		// over the budget there is over it for certain.
		for w > 1 {
			if b, _ := m.at(w, threadsFor(w)); b <= budget {
				break
			}
			w--
		}
		if w < t.CPUs {
			why = m.overBudget(w, threadsFor(w), threadsFor(w+1), budget)
		}
	}
	rec.Reasons = append(rec.Reasons, why+".")
	threads := threadsFor(w)
	switch {
	case eventLoop:
		rec.Reasons = append(rec.Reasons, "1 thread: each worker's event loop serves the requests that wait.")
	case cpuBound:
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("1 thread: the handler is CPU-bound (%s of CPU "+
			"in a %s request), so more threads would only queue for the core.",
			human.Seconds(cpu), human.Seconds(s0)))
	default:
		perSlotWhy := ""
		if slots > need {
			perSlotWhy = fmt.Sprintf("; a slot served %.2f requests at a time in the cells measured here, "+
				"so that takes about %.0f slots", perSlot, slots)
		}
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("%d threads per worker: a request waits %s and computes "+
			"%s, so about %.0f requests in service keep %d cores busy%s%s.",
			threads, human.Seconds(s0), human.Seconds(cpu), need, t.CPUs, perSlotWhy, capped(slots, w, threads)))
	}
	rec.Workers, rec.Threads = w, threads
	if est, told := m.at(w, threads); told {
		rec.ExpectedPSSBytes = uint64(est)
	}
	if len(rec.UnknownCosts) > 0 {
		rec.Reasons = append(rec.Reasons, m.unknownWhy(), m.estimateWhy(w, threads, t.MemoryBudget))
	}

	throughput := func(w, threads int) float64 {
		bySlots := float64(w*threads) * perSlot / s0
		usable := float64(min(w, t.CPUs))
		if !gilBound(rt) && !eventLoop {
			usable = float64(min(w*threads, t.CPUs))
		}
		byCPU := usable / cpu
		if eventLoop {
			return byCPU
		}
		return math.Min(bySlots, byCPU)
	}
	rec.ExpectedRPS = throughput(w, threads)
	rec.VsDeployed = vsDeployed(r, t, rec, throughput, m)
	if t.P99 > 0 {
		rec.Reasons = append(rec.Reasons, p99Reason(cells, w, threads, t.P99))
	}
	if !slices.ContainsFunc(cells, func(c results.Cell) bool {
		return c.Workers == w && c.Threads == threads
	}) {
		what := "throughput and memory are"
		if rec.ExpectedPSSBytes == 0 {
			what = "throughput is"
		}
		rec.Reasons = append(rec.Reasons, fmt.Sprintf("Not measured: the matrix has no %dx%d, so "+
			"its %s estimated from the cells that were; add %dx%d to the matrix to measure it.",
			w, threads, what, w, threads))
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

// Names of the memory costs in results.Recommendation.UnknownCosts.
const (
	costPerWorker = "pss_per_worker"
	costPerThread = "pss_per_thread"
)

// memory is Σ PSS ≈ base + perWorker × workers + perThread × slots,
// in bytes, as fitted from cells (those with Σ PSS measured). A cost the
// matrix could not fit (workerKnown or threadKnown false) is 0.
type memory struct {
	base, perWorker, perThread float64
	workerKnown, threadKnown   bool
	cells                      []results.Cell
}

// pss is a cell's peak Σ PSS in bytes, 0 when not measured.
func pss(c results.Cell) float64 {
	return float64(max(c.Memory.PeakPSSBytes, c.Memory.PSSBytes))
}

// fitMemory estimates the memory model from the cells' peak Σ PSS: the
// cost of a worker from cells that differ only in workers, of a thread
// from cells that differ only in threads (medians of the pairwise slopes,
// robust to one noisy cell), and the base from what is left. Without such
// a pair a cost is unknown, not 0: with 1x1 and 2x2 alone both are, and a
// fit that took them as 0 put 4x16 at 52.4 MiB, below the 60.7 MiB the 2x2
// measured.
func fitMemory(cells []results.Cell) memory {
	var m memory
	for _, c := range cells {
		if pss(c) > 0 {
			m.cells = append(m.cells, c)
		}
	}
	// Threads first: between cells of the same workers only they differ.
	var perThread []float64
	for i, a := range m.cells {
		for _, b := range m.cells[i+1:] {
			if a.Workers == b.Workers && a.Threads != b.Threads {
				perThread = append(perThread, (pss(b)-pss(a))/float64(b.Workers*(b.Threads-a.Threads)))
			}
		}
	}
	m.threadKnown = len(perThread) > 0
	m.perThread = math.Max(median(perThread), 0)
	// Then workers, each with its threads' share taken out.
	var perWorker []float64
	for i, a := range m.cells {
		for _, b := range m.cells[i+1:] {
			if a.Threads == b.Threads && a.Workers != b.Workers {
				dw := float64(b.Workers - a.Workers)
				perWorker = append(perWorker, (pss(b)-pss(a))/dw-float64(a.Threads)*m.perThread)
			}
		}
	}
	m.workerKnown = len(perWorker) > 0
	m.perWorker = median(perWorker)
	var bases []float64
	for _, c := range m.cells {
		bases = append(bases, pss(c)-m.perWorker*float64(c.Workers)-m.perThread*float64(c.Workers*c.Threads))
	}
	m.base = math.Max(median(bases), 0)
	return m
}

// unknown names the costs the matrix could not fit, none when it measured
// no memory at all.
func (m memory) unknown() []string {
	var out []string
	if len(m.cells) > 0 && !m.workerKnown {
		out = append(out, costPerWorker)
	}
	if len(m.cells) > 0 && !m.threadKnown {
		out = append(out, costPerThread)
	}
	return out
}

// at is the Σ PSS of w workers of t threads: what was measured there, or
// the fit, and never below a measured cell with no more workers and no
// more threads (floor): more processes and threads do not use less. told
// is false when the fit needs a cost the matrix could not fit; bytes is
// then only that floor, a lower bound.
func (m memory) at(w, t int) (bytes float64, told bool) {
	var floor float64
	if c, ok := m.floor(w, t); ok {
		floor = pss(c)
	}
	// An unknown cost is 0 in the fit, which is still right where it
	// does not vary: every cell has w's workers, or t's threads (a
	// worker's cost then includes its threads').
	switch {
	case slices.ContainsFunc(m.cells, func(c results.Cell) bool { return c.Workers == w && c.Threads == t }):
		return floor, true
	case !m.workerKnown && slices.ContainsFunc(m.cells, func(c results.Cell) bool { return c.Workers != w }),
		!m.threadKnown && slices.ContainsFunc(m.cells, func(c results.Cell) bool { return c.Threads != t }):
		return floor, false
	}
	fit := m.base + float64(w)*m.perWorker + float64(w*t)*m.perThread
	return max(fit, floor, 0), true
}

// floor returns the measured cell with the most Σ PSS among those with no
// more than w workers and t threads; ok is false when there is none.
func (m memory) floor(w, t int) (most results.Cell, ok bool) {
	for _, c := range m.cells {
		if c.Workers <= w && c.Threads <= t && (!ok || pss(c) > pss(most)) {
			most, ok = c, true
		}
	}
	return most, ok
}

// overBudget says why w workers of threads each, not one more (of more
// threads each), fit the budget.
func (m memory) overBudget(w, threads, moreThreads int, budget float64) string {
	if m.workerKnown && m.threadKnown {
		return fmt.Sprintf("%d workers, not one per core: at %s of Σ PSS each (plus %s shared), the %s "+
			"budget holds %d", w, mib(m.perWorker+float64(threads)*m.perThread), mib(m.base), mib(budget), w)
	}
	over, told := m.at(w+1, moreThreads)
	if c, ok := m.floor(w+1, moreThreads); !told && ok {
		return fmt.Sprintf("%d workers, not one per core: %dx%d would need at least the %s of Σ PSS "+
			"measured at %dx%d, over the %s budget", w, w+1, moreThreads, mib1(pss(c)), c.Workers, c.Threads,
			mib(budget))
	}
	return fmt.Sprintf("%d workers, not one per core: %dx%d would need about %s of Σ PSS, over the %s budget",
		w, w+1, moreThreads, mib(over), mib(budget))
}

// unknownWhy says which costs the matrix could not fit, and the cells
// to add so that it can.
func (m memory) unknownWhy() string {
	add := cellsToAdd(m.cells, !m.workerKnown, !m.threadKnown)
	switch {
	case !m.workerKnown && !m.threadKnown:
		them := "both"
		if len(add) > 1 {
			them = "them"
		}
		return fmt.Sprintf("Memory per worker and per thread unknown: no two cells share a thread count or "+
			"a worker count; add %s to the matrix to measure %s.", strings.Join(add, " and "), them)
	case !m.workerKnown:
		return fmt.Sprintf("Memory per worker unknown: no two cells share a thread count; add %s to the "+
			"matrix to measure it.", strings.Join(add, " and "))
	}
	return fmt.Sprintf("Memory per thread unknown: no two cells share a worker count; add %s to the "+
		"matrix to measure it.", strings.Join(add, " and "))
}

// estimateWhy says what the unknown costs leave of the expected Σ PSS of
// w workers of t threads.
func (m memory) estimateWhy(w, t int, budget uint64) string {
	cost := "that cost"
	if len(m.unknown()) > 1 {
		cost = "those costs"
	}
	config := fmt.Sprintf("%dx%d", w, t)
	if _, told := m.at(w, t); told {
		because := "every cell has " + config + "'s worker count"
		switch {
		case slices.ContainsFunc(m.cells, func(c results.Cell) bool { return c.Workers == w && c.Threads == t }):
			because = config + " was measured"
		case !m.threadKnown:
			because = "every cell has " + config + "'s thread count"
		}
		return fmt.Sprintf("The expected Σ PSS of %s does not depend on %s: %s.", config, cost, because)
	}
	s := fmt.Sprintf("The Σ PSS of %s is not estimated, as it depends on %s", config, cost)
	c, ok := m.floor(w, t)
	switch {
	case ok && budget > 0:
		s += fmt.Sprintf(": it is at least the %s measured at %dx%d, and only that was checked against "+
			"the %s budget", mib1(pss(c)), c.Workers, c.Threads, mib(float64(budget)))
	case ok:
		s += fmt.Sprintf(": it is at least the %s measured at %dx%d", mib1(pss(c)), c.Workers, c.Threads)
	case budget > 0:
		s += fmt.Sprintf(", and the %s budget was not checked", mib(float64(budget)))
	}
	return s + "."
}

// cellsToAdd returns cells that would let the matrix fit the costs it
// could not: one that shares a thread count with a measured cell (for a
// worker's cost) and one that shares a worker count (for a thread's), or
// one that does both. Their workers and threads are the matrix's own, or
// twice its only one; the fewest slots, then workers, first.
func cellsToAdd(cells []results.Cell, worker, thread bool) []string {
	values := func(of func(results.Cell) int) []int {
		var v []int
		for _, c := range cells {
			v = append(v, of(c))
		}
		slices.Sort(v)
		if v = slices.Compact(v); len(v) == 1 {
			v = append(v, 2*v[0])
		}
		return v
	}
	type cell struct {
		w, t           int
		worker, thread bool // whether adding it fits that cost
	}
	var cands []cell
	for _, w := range values(func(c results.Cell) int { return c.Workers }) {
		for _, t := range values(func(c results.Cell) int { return c.Threads }) {
			c := cell{w: w, t: t}
			for _, m := range cells {
				if m.Workers == w && m.Threads == t {
					c.worker, c.thread = false, false
					break
				}
				c.worker = c.worker || m.Threads == t
				c.thread = c.thread || m.Workers == w
			}
			cands = append(cands, c)
		}
	}
	slices.SortStableFunc(cands, func(a, b cell) int {
		return cmp.Or(cmp.Compare(a.w*a.t, b.w*b.t), cmp.Compare(a.w, b.w))
	})
	first := func(ok func(cell) bool) []string {
		if i := slices.IndexFunc(cands, ok); i >= 0 {
			return []string{fmt.Sprintf("%dx%d", cands[i].w, cands[i].t)}
		}
		return nil
	}
	if worker && thread {
		if both := first(func(c cell) bool { return c.worker && c.thread }); both != nil {
			return both
		}
	}
	var out []string
	if worker {
		out = append(out, first(func(c cell) bool { return c.worker })...)
	}
	if thread {
		out = append(out, first(func(c cell) bool { return c.thread })...)
	}
	return out
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
			"connections.", human.Seconds(target), at, human.Seconds(best.Latency.P99), best.Connections)
	}
	unqueued := best.Latency.P99
	if c, k := float64(best.Connections), best.Concurrency; k > 0 && c > k {
		unqueued *= k / c
	}
	if unqueued <= target {
		return fmt.Sprintf("The p99 target of %s holds while requests do not queue: %s p99 was %s "+
			"with %d connections for about %.0f in service; without the wait it is about %s. "+
			"Keep the load below the expected throughput.",
			human.Seconds(target), at, human.Seconds(best.Latency.P99), best.Connections,
			best.Concurrency, human.Seconds(unqueued))
	}
	return fmt.Sprintf("The p99 target of %s does not hold at any load: %s p99 was %s, and about "+
		"%s without waiting for a slot; workers and threads add capacity, not speed.",
		human.Seconds(target), at, human.Seconds(best.Latency.P99), human.Seconds(unqueued))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }

// mib1 is mib to a tenth, for a lower bound that rounding up would break.
func mib1(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
