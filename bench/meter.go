package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/internal/load"
	"github.com/workerbench/workerbench/bench/internal/proctree"
	"github.com/workerbench/workerbench/bench/internal/stats"
	"github.com/workerbench/workerbench/bench/results"
)

// meter measures one endpoint of one running server into a cell: its
// service time once, any number of closed-loop trials, then finish.
type meter struct {
	cfg      *Config
	pgid     int
	target   load.Target
	cell     *results.Cell
	progress func(format string, a ...any)
	// model is the server's concurrency model (results.Run.Model); sweep
	// says whether finish sweeps a cell that the connections limited.
	model string
	sweep bool

	// Accumulated over trials; reports are folded in as they arrive so
	// that a long run holds one histogram, not one per trial.
	latency      *hdrhistogram.Histogram
	lastX        float64 // throughput of the latest trial
	requests     int64
	errors       map[string]int64
	serverCPU    time.Duration
	generatorCPU time.Duration
	windows      time.Duration // measured, summed over trials
	queued       int           // most connections a closed loop has used
	// spent is where the meter's wall time went, by phase.
	spent results.WallTime
}

// add folds one trial's report into the meter.
func (m *meter) add(rep load.Report) {
	if m.latency == nil {
		m.latency = rep.Latency
	} else {
		m.latency.Merge(rep.Latency)
	}
	m.lastX = rep.Throughput()
	m.requests += rep.Requests
	m.generatorCPU += rep.GeneratorCPU
	for k, v := range rep.Errors {
		if m.errors == nil {
			m.errors = map[string]int64{}
		}
		m.errors[k] += v
	}
}

// serviceTime measures the unloaded service time S0: a few warm-up
// requests, then the median of cfg.Sequential requests one at a time,
// less what they waited in the transport (transportStall).
func (m *meter) serviceTime(ctx context.Context) error {
	defer m.timed(&m.spent.ServiceTimeS)()
	if _, _, err := sequential(ctx, m.target, serviceWarmups(m.cfg.Sequential)); err != nil {
		return fmt.Errorf("warm-up request: %w", err)
	}
	ts, bad, err := sequential(ctx, m.target, m.cfg.Sequential)
	if err != nil {
		return fmt.Errorf("service time: %w", err)
	}
	if bad > 0 {
		m.cell.Diagnostics = append(
			m.cell.Diagnostics,
			fmt.Sprintf(
				"service time: %d of %d sequential requests had an unexpected status and were left out",
				bad,
				int(bad)+len(ts),
			),
		)
	}
	m.cell.ServiceTimeS = medianTotal(ts)
	m.progress(
		"      %s: service time %s (median of %d sequential requests)",
		m.cell.Name(),
		human.Seconds(m.cell.ServiceTimeS),
		len(ts),
	)
	first := make([]time.Duration, len(ts))
	for i, t := range ts {
		first[i] = t.FirstByte
	}
	return m.transportStall(ctx, medianSeconds(first))
}

// serviceWarmups is how many requests go before S0's, so that a first
// request that loads what the app imports lazily is not among them: 3 for
// run's 50, 1 for ab's 5 (whose median shrugs off one slow request, and
// whose server has answered its readiness probe already).
func serviceWarmups(sequential int) int { return min(max(sequential/5, 1), 3) }

// sequential is load.SequentialTimings that skips responses with an
// unexpected status (a handler that fails now and then still has a service
// time), as long as at least as many succeed as fail. Any other error ends
// it: a timeout would make every retry as slow, a refused connection means
// the server is gone.
func sequential(
	ctx context.Context,
	t load.Target,
	n int,
) (ts []load.Timing, bad int64, err error) {
	for len(ts) < n {
		got, err := load.SequentialTimings(ctx, t, n-len(ts))
		ts = append(ts, got...)
		if err == nil {
			break
		}
		var le *load.Error
		if !errors.As(err, &le) || le.Kind != load.KindStatus || ctx.Err() != nil {
			return ts, bad, err
		}
		if bad++; bad > int64(n) {
			return ts, bad, fmt.Errorf(
				"%d of %d requests failed, last: %w",
				bad,
				bad+int64(len(ts)),
				err,
			)
		}
	}
	return ts, bad, nil
}

// medianTotal is the median of the requests' times to their last byte, in
// seconds.
func medianTotal(ts []load.Timing) float64 {
	d := make([]time.Duration, len(ts))
	for i, t := range ts {
		d[i] = t.Total
	}
	return medianSeconds(d)
}

// trial runs one closed-loop trial, records it in the cell and returns its
// throughput. Server CPU is sampled at the window's edges.
func (m *meter) trial(ctx context.Context) (float64, error) {
	c, cfg := m.cell, m.cfg
	var cpu0, cpu1 proctree.Usage
	start, opened := time.Now(), time.Time{}
	defer func() { m.spentLoad(start, opened) }()
	warmup, steadyAfter := m.warmup()
	opts := load.Options{
		Connections: c.Connections, Warmup: warmup, SteadyAfter: steadyAfter, Duration: m.window(),
		Requests: cfg.Requests,
		OnWindowStart: func() {
			opened = time.Now()
			cpu0, _ = proctree.Measure(m.pgid)
		},
		OnWindowEnd: func() { cpu1, _ = proctree.Measure(m.pgid) },
	}
	n := len(c.Trials) + 1
	var rep load.Report
	// A window in which nothing completed and nothing failed saw a stall
	// (the machine or the server paused longer than the window): measure
	// again with a longer window rather than give up on the cell.
	for attempt := 0; ; attempt++ {
		var err error
		rep, err = load.Closed(ctx, m.target, opts)
		if err != nil {
			return 0, fmt.Errorf("trial %d: %w", n, err)
		}
		if rep.Requests > 0 || rep.ErrorCount() > 0 || attempt == maxStallRetries ||
			opts.Duration == 0 {
			break
		}
		opts.Duration *= 2
		m.progress(
			"      %s: trial %d: no request completed in %s; measuring again with a %s window",
			c.Name(),
			n,
			rep.Window.Round(time.Millisecond),
			opts.Duration,
		)
	}
	if rep.Requests == 0 {
		return 0, fmt.Errorf(
			"trial %d: no request succeeded in %s (%s)",
			n,
			rep.Window,
			describeErrors(rep.Errors),
		)
	}
	m.serverCPU += cpu1.CPU - cpu0.CPU
	m.windows += rep.Window
	m.add(rep)
	x := rep.Throughput()
	c.Trials = append(
		c.Trials,
		results.Trial{
			ThroughputRPS: x,
			Concurrency:   x * c.ServiceTimeS,
			Requests:      rep.Requests,
			Errors:        rep.ErrorCount(),
			P99S:          rep.Quantile(0.99).Seconds(),
		},
	)
	return x, nil
}

// maxStallRetries bounds how often a trial that saw neither a completion
// nor an error is measured again.
const maxStallRetries = 2

// timed starts timing a phase; calling what it returns adds the time since
// to *phase (seconds).
func (m *meter) timed(phase *float64) func() {
	start := time.Now()
	return func() { *phase += time.Since(start).Seconds() }
}

// spentLoad accounts for a closed loop that started at start and whose
// last window opened at opened (zero if none did): the window and what
// follows it to now is window time, the rest warm-up (dialling included).
func (m *meter) spentLoad(start, opened time.Time) {
	now := time.Now()
	if opened.IsZero() {
		opened = now
	}
	m.spent.WarmupS += opened.Sub(start).Seconds()
	m.spent.WindowS += now.Sub(opened).Seconds()
}

// warmup is the trial's warm-up, and with cfg.SteadyWarmup how many
// requests every connection completes before it ends (load.Options). The
// first trial warms up for cfg.Warmup: the server may be cold (lazy
// imports, pools, caches). Later ones find it warm and only need the closed
// loop to reach its steady state: once every connection has had a request
// served, which takes one cycle of the loop (C ÷ X; 2 × S0 with a short
// queue), the requests in flight and queued are those of every later
// moment. The window's estimate starts at each connection's first
// completion anyway.
//
// With cfg.SteadyWarmup the warm-up ends when that is observed rather than
// after a fixed time: on the first trial once every connection has
// completed two requests (a cold worker's slow first answer delays its
// connection's count, so a warm-up waits for it), on later ones one, at
// most two estimated cycles (a server that serves connections unfairly
// may leave one waiting).
func (m *meter) warmup() (time.Duration, int) {
	w := m.cfg.Warmup
	if m.lastX <= 0 {
		if m.cfg.SteadyWarmup {
			return w, 2
		}
		return w, 0
	}
	cycle := time.Duration(float64(m.cell.Connections) / m.lastX * float64(time.Second))
	if m.cfg.SteadyWarmup {
		return min(w, 2*cycle), 1
	}
	return min(w, cycle), 0
}

// minCycles is how many closed-loop cycles a window should span: each
// connection then has the 3 intervals between completions that load needs
// for its per-connection throughput estimate, plus a cycle for the
// window's phase. After a warm-up a connection's first interval starts at
// its last completion before the window; without one, at its first in the
// window, which takes a cycle more.
func minCycles(warmup time.Duration) int {
	if warmup > 0 {
		return 4
	}
	return 5
}

// countPrecision is the precision a plain count of completions should
// reach when the per-connection estimate would need a longer window. Each
// slot's completions are a stream with a phase error of one request, so a
// count over a window W is off by about S0 ÷ W: 1% takes 100 × S0.
const countPrecision = 0.01

// maxStretch bounds how far a window is lengthened beyond --duration.
const maxStretch = 10

// window is the trial's measurement window: the configured duration,
// lengthened (up to maxStretch ×) so that it measures throughput well:
// long enough for every connection to complete minCycles requests, or, if
// that is longer, for the plain count to reach countPrecision. A
// connection's cycle is C ÷ X: estimated from the slots and S0 before the
// first trial, measured after it. The first trial says what it did and why.
func (m *meter) window() time.Duration {
	c, d := m.cell, m.cfg.Duration
	if m.cfg.Requests > 0 || d <= 0 || c.ServiceTimeS <= 0 {
		return d
	}
	x := float64(min(c.Slots, c.Connections)) / c.ServiceTimeS
	if m.lastX > 0 {
		x = m.lastX
	}
	cycles := minCycles(m.cfg.Warmup)
	w, need, perConn := windowFor(d, c.Connections, x, c.ServiceTimeS, cycles)
	if w <= d || len(c.Trials) > 0 {
		return w
	}
	capped := ""
	if w < need {
		capped = fmt.Sprintf(" (capped at %d × --duration)", maxStretch)
	}
	if need == perConn {
		m.progress(
			"      %s: window %s instead of %s, so that each of %d connections completes %d requests%s",
			c.Name(),
			w.Round(10*time.Millisecond),
			d,
			c.Connections,
			cycles,
			capped,
		)
	} else {
		m.progress("      %s: window %s instead of %s: at %.0f req/s with %d connections, %s measures throughput to ±%.0f%% only, %s to ±%.1f%%%s",
			c.Name(), w.Round(100*time.Millisecond), d, x, c.Connections, d, 100*c.ServiceTimeS/d.Seconds(), w.Round(100*time.Millisecond), 100*c.ServiceTimeS/w.Seconds(), capped)
	}
	return w
}

// windowFor is the window that measures a throughput of about x with
// conns connections well (see window): d lengthened, up to maxStretch × d,
// to need, the shorter of perConn (each connection completes cycles
// requests) and the time the plain count needs to reach countPrecision.
func windowFor(d time.Duration, conns int, x, s0 float64, cycles int) (w, need, perConn time.Duration) {
	if !(x > 0) || !(s0 > 0) {
		return d, 0, 0
	}
	perConn = time.Duration(float64(cycles) * float64(conns) / x * float64(time.Second))
	count := time.Duration(s0 / countPrecision * float64(time.Second))
	need = min(perConn, count)
	return min(max(d, need), maxStretch*d), need, perConn
}

// finish derives the cell's figures from its trials, fires the bursts and
// adds diagnostics.
func (m *meter) finish(ctx context.Context) error {
	c := m.cell
	m.summarize()
	if m.sweep && c.LimitedByConnections() {
		done := m.timed(&m.spent.SweepS)
		err := m.sweepConnections(ctx)
		done()
		if err != nil {
			return fmt.Errorf("connection sweep: %w", err)
		}
	}
	if err := m.bursts(ctx); err != nil {
		return err
	}
	if err := m.keepAliveOff(ctx); err != nil {
		return err
	}
	diagnose(c, m.cfg.facts())
	return nil
}

// bursts waits for the server to go idle, then fires cfg.Bursts.
func (m *meter) bursts(ctx context.Context) error {
	c, cfg := m.cell, m.cfg
	if len(cfg.Bursts) == 0 {
		return nil
	}
	defer m.timed(&m.spent.BurstS)()
	if err := drain(ctx, m.target, c.ServiceTimeS, max(c.Connections, m.queued)); err != nil {
		return err
	}
	for _, n := range cfg.Bursts {
		b, err := burst(ctx, m.target, n, c.ServiceTimeS)
		if err != nil {
			return fmt.Errorf("burst %d: %w", n, err)
		}
		c.Bursts = append(c.Bursts, b)
		m.progress("      %s: burst %d: waves %v", c.Name(), n, b.Waves)
	}
	return nil
}

// summarize derives the cell's figures from its trials.
func (m *meter) summarize() {
	c := m.cell
	xs := make([]float64, len(c.Trials))
	for i, t := range c.Trials {
		xs[i] = t.ThroughputRPS
	}
	c.ThroughputRPS = 0
	if len(xs) > 0 {
		c.ThroughputRPS = stats.Median(xs)
	}
	c.Concurrency = c.ThroughputRPS * c.ServiceTimeS
	c.Efficiency = 0
	if results.SlotsApply(m.model, *c) {
		c.Efficiency = c.Concurrency / float64(c.Slots)
	}
	c.Requests = m.requests
	c.ErrorKinds = m.errors
	c.Errors = 0
	for _, v := range m.errors {
		c.Errors += v
	}
	if m.latency != nil {
		q := func(p float64) float64 { return float64(m.latency.ValueAtQuantile(p)) / 1e6 }
		c.Latency = results.Latency{
			P50: q(50),
			P90: q(90),
			P99: q(99),
			Max: float64(m.latency.Max()) / 1e6,
		}
	}
	if c.Requests > 0 {
		c.ServerCPUPerRequestS = m.serverCPU.Seconds() / float64(c.Requests)
		c.GeneratorCPUPerRequestS = m.generatorCPU.Seconds() / float64(c.Requests)
	}
	if c.ServiceTimeS > 0 {
		c.CPUBoundness = c.ServerCPUPerRequestS / c.ServiceTimeS
	}
	if m.windows > 0 {
		c.BusyCores = m.serverCPU.Seconds() / m.windows.Seconds()
	}
	c.Bound = "io"
	if c.CPUBoundness >= 0.5 {
		// A handler that computes: its parallelism is the cores it keeps
		// busy, counted directly; X × S0 leans on an S0 that some servers
		// (uWSGI) measure 3.1 ms on one boot and 5 ms on the next.
		c.Bound = "cpu"
		if c.BusyCores > 0 {
			c.Concurrency = c.BusyCores
			if c.Efficiency > 0 {
				c.Efficiency = c.Concurrency / float64(c.Slots)
			}
		}
	}
}

// drain waits until requests queued by an earlier closed loop have been
// served (the server keeps serving requests whose clients hung up), so a
// burst starts on an idle server: it sends single requests until one takes
// about the unloaded service time.
func drain(ctx context.Context, t load.Target, s0 float64, queued int) error {
	limit := time.Duration(s0*float64(queued+2)*float64(time.Second)) + 5*time.Second
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		lat, err := load.Sequential(ctx, t, 1)
		if err != nil {
			return fmt.Errorf("waiting for the server to go idle: %w", err)
		}
		if lat[0].Seconds() < 1.5*s0+0.010 {
			return nil
		}
	}
	return fmt.Errorf("server still busy %s after the load stopped", limit.Round(time.Second))
}

// burst fires n requests at once and groups their completions into waves.
func burst(ctx context.Context, t load.Target, n int, s0 float64) (results.Burst, error) {
	outs, err := load.Burst(ctx, t, n)
	if err != nil {
		return results.Burst{}, err
	}
	ends := make([]float64, len(outs))
	b := results.Burst{Size: n, Requests: make([]results.BurstRequest, len(outs))}
	for i, o := range outs {
		ends[i] = -1
		if o.Err == "" {
			ends[i] = o.End.Seconds()
		}
		b.Requests[i] = results.BurstRequest{
			StartS: o.Start.Seconds(),
			EndS:   o.End.Seconds(),
			Status: o.Status,
			Error:  o.Err,
		}
	}
	sizes, waveOf := Waves(ends, WaveTolerance(s0))
	b.Waves = sizes
	for i := range b.Requests {
		b.Requests[i].Wave = waveOf[i]
	}
	return b, nil
}

// medianSeconds is the median of ds in seconds.
func medianSeconds(ds []time.Duration) float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = d.Seconds()
	}
	return stats.Median(xs)
}

// setMemory records the process group's memory in every cell, and what
// the count of its working processes says (diagnoseProcesses).
func setMemory(cells []results.Cell, mem proctree.Summary) {
	for i := range cells {
		cells[i].Memory = results.Memory{
			PSSBytes: mem.Last.PSS, RSSBytes: mem.Last.RSS,
			PeakPSSBytes: mem.Peak.PSS, PeakRSSBytes: mem.Peak.RSS,
			Processes: mem.Last.Procs, WorkingProcesses: mem.Working, WorkersReplaced: mem.Started,
		}
	}
	diagnoseProcesses(cells)
}
