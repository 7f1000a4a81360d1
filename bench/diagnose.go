package bench

import (
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/internal/stats"
	"github.com/workerbench/workerbench/bench/profile"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
)

// greedyAccept explains the commonest shortfall of threaded workers.
const greedyAccept = "threaded workers that accept more connections than they have threads (gunicorn gthread's --worker-connections, default 1000) queue requests behind busy threads while other workers idle; try --worker-connections equal to --threads"

// facts are what diagnose knows beyond a cell's figures: the machine's
// cores, the server's runtime and concurrency model, and its command.
type facts struct {
	cpus    int
	runtime profile.Runtime
	model   profile.Model
	argv    []string
}

// facts returns the facts of this machine and command.
func (c *Config) facts() facts {
	return facts{cpus: runtime.NumCPU(), runtime: c.runtime, model: c.model, argv: c.template.argv}
}

// greedyHint is the greedy-accept hint for cell c, "" when its command
// does not let a worker accept more connections than it has threads.
func (f facts) greedyHint(c *results.Cell) string {
	if c.Workers > 1 && profile.GreedyAccept(f.argv, c.Threads) {
		return ": " + greedyAccept
	}
	return ""
}

// diagnose adds plain-language notes on what the figures of a measured
// cell mean. It is a pure function of the cell's figures and f.
func diagnose(c *results.Cell, f facts) {
	add := func(format string, a ...any) {
		c.Diagnostics = append(c.Diagnostics, fmt.Sprintf(format, a...))
	}
	slots := f.model != profile.EventLoop
	if slots && c.Connections < c.Slots {
		add("only %d connections for %d slots: achieved concurrency cannot exceed %d",
			c.Connections, c.Slots, c.Connections)
	}
	switch {
	case c.Bound == "cpu":
		add("CPU-bound handler (%.0f%% of the service time is server CPU): throughput is limited "+
			"by cores (%d here, %.2f kept busy), and %s",
			100*c.CPUBoundness, f.cpus, c.BusyCores, f.runtime.Note())
		if k := c.ThroughputRPS * c.ServiceTimeS; k > 1.15*float64(f.cpus) {
			add("CPU-bound concurrency above the core count: throughput × S0 gives %.2f on %d cores, "+
				"so the unloaded service time (%s) is not the handler's cost under load; "+
				"busy cores (%.2f) are reported instead", k, f.cpus, human.Seconds(c.ServiceTimeS), c.BusyCores)
		}
	case c.Efficiency > 0 && c.Efficiency < 0.9 && c.Connections >= c.Slots:
		// Efficiency is 0 (left out) where no slots bound the server.
		add("achieved %.1f of %d configured slots (%.0f%%)%s", c.Concurrency, c.Slots,
			100*c.Efficiency, f.greedyHint(c))
	}
	reached := fmt.Sprintf("reached the %d connections of the closed loop", c.Connections)
	if c.TransportStallS > 0 {
		reached = fmt.Sprintf("is what the %d connections of the closed loop allow when each "+
			"response also waits %s in the transport", c.Connections, human.Seconds(c.TransportStallS))
	}
	if s := c.Sweep; s != nil && len(s.Points) > 0 {
		add("concurrency %.2f %s: the load generator, "+
			"not the server, was the limit (no slots bound it, as in an event loop); "+
			"swept %d → %d connections: peak useful concurrency %.1f at %.1f req/s (%s)",
			c.Concurrency,
			reached, c.Connections, s.Points[len(s.Points)-1].Connections,
			s.PeakConcurrency, s.PeakThroughputRPS, s.Why())
		if k, ok := s.Knee(); ok && k.GeneratorCores > k.BusyCores &&
			k.GeneratorCores+k.BusyCores > 0.75*float64(f.cpus) {
			add("at the peak the load generator kept %.2f cores busy and the server %.2f, of %d: "+
				"the machine's cores, not the server, may have set the peak", k.GeneratorCores,
				k.BusyCores, f.cpus)
		}
	} else if c.LimitedByConnections() {
		add("concurrency %.2f %s: the load generator, "+
			"not the server, was the limit (no slots bound it, as in an event loop); throughput "+
			"was measured at this connection count (run sweeps it upward to find the peak)",
			c.Concurrency, reached)
	}
	if note := blockedLoopNote(c, f); note != "" {
		add("%s", note)
	}
	if c.TransportStallS > 0 {
		off := ""
		if t := c.KeepAliveOff; t != nil {
			off = fmt.Sprintf("; with --keep-alive=false %.1f req/s, not %.1f", t.ThroughputRPS,
				c.ThroughputRPS)
		}
		add("kept-alive responses waited %s in the transport (S0 %s on new connections): "+
			"written in pieces without TCP_NODELAY, the client's delayed ACK holds the rest "+
			"(uvicorn --workers ≥ 2); S0 and concurrency leave the wait out%s",
			human.Seconds(c.TransportStallS), human.Seconds(c.ServiceTimeNewConnS), off)
	}
	// One slot's requests in turn should wait about alike; a tail this
	// long means some connections are served much later than others.
	if slots && c.Latency.P50 > 0 && c.Latency.P99 >= 10*c.Latency.P50 && c.Latency.P99 >= 10*c.ServiceTimeS {
		add("unfair scheduling: p99 is %.0f × p50 (%s against %s): some connections wait far "+
			"longer than others (puma serves kept-alive connections unfairly); throughput is right, "+
			"the tail latency is the server's scheduling", c.Latency.P99/c.Latency.P50,
			human.Seconds(c.Latency.P99), human.Seconds(c.Latency.P50))
	}
	if c.Errors > 0 {
		add("%d errors (%s)", c.Errors, describeErrors(c.ErrorKinds))
	}
	for _, b := range c.Bursts {
		if slots && len(b.Waves) > 0 && b.Size >= c.Slots && b.Waves[0] < c.Slots && c.Bound == "io" {
			add("burst %d: first wave served %d requests at once, not %d%s", b.Size, b.Waves[0],
				c.Slots, f.greedyHint(c))
		}
		if w := b.LargestWave(); w > c.PeakInFlight {
			c.PeakInFlight = w
		}
	}
	// At low request rates the generator's fixed costs (timers, sampling)
	// dominate its per-request figure; only warn when it really takes a
	// tenth of a core or more.
	if genCores := c.GeneratorCPUPerRequestS * c.ThroughputRPS; genCores > 0.1 &&
		c.GeneratorCPUPerRequestS > c.ServerCPUPerRequestS {
		add("the load generator used more CPU per request (%s, %.0f%% of a core) than the server "+
			"(%s): on a small runner it competes with the server for cores",
			human.Seconds(c.GeneratorCPUPerRequestS), 100*genCores, human.Seconds(c.ServerCPUPerRequestS))
	}
}

// blockedLoopNote is the note for an event-loop (or greenlet) server that
// served about one request at a time per worker on a handler that waits,
// with far more connections than workers: something blocks the loop while
// a request waits. It is the commonest async mistake, and its cause
// depends on the runtime. "" when the figures do not say so.
func blockedLoopNote(c *results.Cell, f facts) string {
	if f.model != profile.EventLoop || c.Bound != "io" || c.Sweep != nil ||
		c.Connections < 2*c.Workers || c.Concurrency > 1.2*float64(c.Workers) {
		return ""
	}
	var causes string
	switch {
	case f.runtime == profile.Node:
		causes = "synchronous work on the main thread (fs.*Sync, child_process.execSync, a long loop)"
	case slices.ContainsFunc(f.argv, func(a string) bool { return strings.Contains(a, "gevent") }):
		causes = "a call gevent cannot patch (a C database driver or library that blocks in C), or " +
			"one made before monkey-patching"
	default:
		causes = "a blocking call inside async def (time.sleep, requests, a sync database driver: " +
			"await an async one or run it in a thread), or sync views under an ASGI server that runs " +
			"sync code in one thread per process (Django's ASGI handler)"
	}
	per := "about one per worker"
	if n := math.Round(c.Concurrency); c.Workers > 1 && c.Concurrency < 0.75*float64(c.Workers) {
		// One idle worker accepted every kept-alive connection at once.
		per = fmt.Sprintf("about one per worker that got connections (%.0f of %d: kept-alive "+
			"connections stay with the worker that accepted them)", max(n, 1), c.Workers)
	}
	return fmt.Sprintf("the event loop is blocked while a request waits: %.2f requests at a time "+
		"on %s with %d connections, %s, though the handler computes little (%.0f%% of S0); "+
		"likely %s", c.Concurrency, report.Plural(c.Workers, "worker"), c.Connections, per,
		100*c.CPUBoundness, causes)
}

// poolNote is the note for a swept cell (an event-loop server) whose
// peak came while its processes were mostly idle: not the loop but a pool
// of about the peak's size per process capped it. Starlette and FastAPI
// run plain def endpoints in a thread pool of 40 per process; a database
// connection pool or a semaphore does the same. The peak is shared by the
// processes that did the work (kept-alive connections may all land on
// one worker), so it needs the cell's memory sampled. "" when the figures
// do not say so.
func poolNote(c *results.Cell) string {
	s := c.Sweep
	if s == nil {
		return ""
	}
	k, ok := s.Knee()
	procs := c.Workers
	if n := c.Memory.WorkingProcesses; n > 0 && n < procs {
		procs = n
	}
	per := s.PeakConcurrency / float64(procs)
	if !ok || s.Limited != "throughput" && s.Limited != "latency" || per < 2 ||
		k.BusyCores >= 0.5*float64(procs) {
		return ""
	}
	which := "per process"
	if procs < c.Workers {
		which = fmt.Sprintf("per process (%d of %d workers did the work)", procs, c.Workers)
	}
	return fmt.Sprintf("about %.0f requests in service %s at the peak, while each used %.2f of a "+
		"core: not the event loop but a pool of about that size per process capped it (the "+
		"thread pool that runs sync endpoints, 40 under Starlette and FastAPI; a database "+
		"connection pool; a semaphore)", per, which, k.BusyCores/float64(procs))
}

// diagnoseProcesses notes, once the server's processes were sampled, a
// server where fewer processes did the work than the workers asked for:
// uvicorn --reload runs one worker whatever --workers says (beside a
// reloader and Python's resource tracker, which count as processes but
// compute nothing), and a worker that no connection reached idles.
func diagnoseProcesses(cells []results.Cell) {
	for i := range cells {
		c := &cells[i]
		n := c.Memory.WorkingProcesses
		if n == 0 {
			n = c.Memory.Processes
		}
		if note := poolNote(c); note != "" {
			c.Diagnostics = append(c.Diagnostics, note)
		}
		if r := c.Memory.WorkersReplaced; r > 0 {
			c.Diagnostics = append(c.Diagnostics, fmt.Sprintf(
				"workers were replaced %s while measuring (%d new processes seen): gunicorn's "+
					"--max-requests, a memory limit, or crashes; a replaced worker boots again and "+
					"serves nothing meanwhile, so fewer slots served than configured",
				times(r), r))
		}
		if c.Workers > 1 && n > 0 && n < c.Workers {
			c.Diagnostics = append(c.Diagnostics, fmt.Sprintf(
				"%s did the work where %d workers were asked (the others, if any, used under a "+
					"tenth of the busiest one's CPU): the server runs fewer workers than asked "+
					"(uvicorn --reload runs one), or the connections reached only some of them, "+
					"so this cell measures a smaller server than its label", processes(n), c.Workers))
		}
	}
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("at least %d times", n)
}

func processes(n int) string {
	if n == 1 {
		return "one process"
	}
	return fmt.Sprintf("%d processes", n)
}

// diagnoseRun returns the notes on a run as a whole, which no one cell
// shows (Run.Diagnostics).
func diagnoseRun(cells []results.Cell, f facts) []string {
	return append(diagnoseBoots(cells), diagnoseWorkerCap(cells, f)...)
}

// baseCells are the base sides of a comparison's cells.
func baseCells(cells []results.Cell) []results.Cell {
	var out []results.Cell
	for _, c := range cells {
		if c.Base != nil {
			out = append(out, *c.Base)
		}
	}
	return out
}

// diagnoseWorkerCap notes what caps every worker below its threads: when
// the cells that fell short of their slots all served about the same
// number of requests at a time per worker, whatever their threads and
// workers, something of that size in each process serves at most that
// many: a connection pool, a semaphore, a lock. A Flask app whose handler
// holds one of 2 pooled connections read 1x3 2.01 and 3x3 6.06.
func diagnoseWorkerCap(cells []results.Cell, f facts) []string {
	if f.model == profile.EventLoop {
		return nil
	}
	byEndpoint := map[string][]int{}
	for i, c := range cells {
		if !c.Failed() && c.Bound == "io" && c.Threads > 1 && c.Efficiency > 0 && c.Efficiency < 0.85 &&
			c.Sweep == nil {
			byEndpoint[c.Endpoint] = append(byEndpoint[c.Endpoint], i)
		}
	}
	var notes []string
	for _, e := range slices.Sorted(maps.Keys(byEndpoint)) {
		idx := byEndpoint[e]
		if len(idx) < 2 {
			continue
		}
		per := make([]float64, len(idx))
		for j, i := range idx {
			per[j] = cells[i].Concurrency / float64(cells[i].Workers)
		}
		m := stats.Median(per)
		if slices.ContainsFunc(per, func(p float64) bool { return p < 0.9*m || p > 1.1*m }) {
			continue
		}
		var figures []string
		for _, i := range idx {
			figures = append(figures, fmt.Sprintf("%dx%d %.2f", cells[i].Workers, cells[i].Threads,
				cells[i].Concurrency))
		}
		what := ""
		if e != "" {
			what = " on " + e
		}
		notes = append(notes, fmt.Sprintf("each worker served about %.0f requests at a time%s "+
			"whatever its threads (%s): a pool, semaphore or lock of about %.0f per process caps it "+
			"(a database connection pool, say); more threads add nothing until it grows",
			m, what, strings.Join(figures, ", "), m))
	}
	return notes
}

// diagnoseBoots returns notes, across the cells of a run, on a CPU-bound
// endpoint whose unloaded service time moved between boots by more than a
// fifth (uWSGI's varied 3.1–5 ms): its X × S0 is then no measure of
// parallelism. They are the run's notes, said once (Run.Diagnostics).
func diagnoseBoots(cells []results.Cell) []string {
	byEndpoint := map[string][]int{}
	for i, c := range cells {
		if !c.Failed() && c.Bound == "cpu" && c.ServiceTimeS > 0 {
			byEndpoint[c.Endpoint] = append(byEndpoint[c.Endpoint], i)
		}
	}
	var notes []string
	for _, e := range slices.Sorted(maps.Keys(byEndpoint)) {
		idx := byEndpoint[e]
		lo, hi := cells[idx[0]].ServiceTimeS, cells[idx[0]].ServiceTimeS
		for _, i := range idx {
			lo, hi = min(lo, cells[i].ServiceTimeS), max(hi, cells[i].ServiceTimeS)
		}
		if len(idx) < 2 || hi < 1.2*lo {
			continue
		}
		what := "this CPU-bound endpoint"
		if e != "" {
			what = "CPU-bound " + e
		}
		notes = append(notes, fmt.Sprintf("the service time of %s varied between boots (S0 %s → %s "+
			"across %s): busy cores, not throughput × S0, measure its parallelism",
			what, human.Seconds(lo), human.Seconds(hi), cellNames(cells, idx)))
	}
	return notes
}

// cellNames names cells[idx]: "1x1, 2x1 and 4x1", or "all 16 cells" past
// four.
func cellNames(cells []results.Cell, idx []int) string {
	if len(idx) > 4 {
		return fmt.Sprintf("%d cells", len(idx))
	}
	names := make([]string, len(idx))
	for i, j := range idx {
		names[i] = fmt.Sprintf("%dx%d", cells[j].Workers, cells[j].Threads)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

func describeErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "no errors recorded"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
