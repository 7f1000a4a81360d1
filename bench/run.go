package bench

import (
	"context"
	"errors"
	"fmt"
	"github.com/workerbench/workerbench/bench/results"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/workerbench/workerbench/bench/internal/load"
	"github.com/workerbench/workerbench/bench/internal/proctree"
	"github.com/workerbench/workerbench/bench/internal/stats"
)

// ErrCellsFailed is matched (errors.Is) by the error Run returns when at
// least one cell could not be measured; the results still hold every cell,
// failed ones with Error. The error itself is a *CellsFailedError.
var ErrCellsFailed = errors.New("cells failed")

// CellsFailedError names the cells that could not be measured.
type CellsFailedError struct {
	Failed []string // cell names
	Total  int      // cells in the run
}

func (e *CellsFailedError) Error() string {
	names := strings.Join(e.Failed, ", ")
	switch {
	case e.Total == 1 && len(e.Failed) == 1:
		return "cell " + names + " failed"
	case len(e.Failed) == e.Total:
		return fmt.Sprintf("all %d cells failed: %s", e.Total, names)
	default:
		return fmt.Sprintf("%d of %d cells failed: %s", len(e.Failed), e.Total, names)
	}
}

// Is makes errors.Is(err, ErrCellsFailed) hold.
func (e *CellsFailedError) Is(target error) bool { return target == ErrCellsFailed }

// ErrRequestErrors is returned (wrapped) by Run when every cell was measured
// but some requests failed: a worker died and was respawned, the handler
// answered 5xx now and then. Such a cell keeps its figures (throughput
// counts successful requests only), its errors by kind, a diagnostic and the
// server's log tail; the run still ends in an error, because figures from a
// server that failed requests are not the ones the user asked for.
var ErrRequestErrors = errors.New("some requests failed")

// Runner measures every cell of a validated Config.
type Runner struct {
	Config *Config
	// Progress receives one human-readable line per step; nil discards.
	Progress io.Writer
	// Save is called with the results so far after every cell, so a crash
	// or an interrupt loses nothing already measured; nil skips it.
	Save func(*results.Run) error
	// LogDir receives one server log per cell; "" uses a temporary directory.
	LogDir string
	// Version is recorded in the results.
	Version string

	killNoted bool // a server that had to be killed was reported
}

// Run boots the server once per cell, measures it, and returns the
// results. A failed cell does not stop the run: it is recorded with its
// reason and log tail, and Run returns ErrCellsFailed at the end. When ctx
// is cancelled, Run stops the server, marks the results interrupted and
// returns them with ctx's error.
func (r *Runner) Run(ctx context.Context) (*results.Run, error) {
	cfg := r.Config
	res := &results.Run{
		Schema:   results.Schema,
		Version:  r.Version,
		Host:     ThisHost(),
		Command:  cfg.Command,
		Dir:      cfg.Dir,
		Started:  time.Now().UTC().Format(time.RFC3339),
		Settings: cfg.settings(),
	}
	logs, err := r.openLogs()
	if err != nil {
		return nil, err
	}
	defer logs.close(r.progress)
	var failed, erred []string
	for i, shape := range cfg.Matrix {
		step := fmt.Sprintf("[%d/%d]", i+1, len(cfg.Matrix))
		r.progress("%s %s: starting server", step, shape)
		logPath := logs.path("server-" + shape.String() + ".log")
		cells := r.measureShape(ctx, shape, logPath)
		if ctx.Err() != nil {
			res.Interrupted = true
			// A cell cut short by the interrupt measured nothing trustworthy.
			r.save(res)
			return res, ctx.Err()
		}
		for j, c := range cells {
			cells[j].Log = logs.ref(logPath, c.Failed())
			if c.Errors > 0 && !c.Failed() {
				erred = append(erred, fmt.Sprintf("%s (%s)", c.Name(), describeErrors(c.ErrorKinds)))
			}
			if c.Failed() {
				failed = append(failed, c.Name())
				r.progressFailed(step, c, logPath)
			} else {
				r.progress("%s %s: %.1f req/s, concurrency %.2f of %d slots", step, c.Name(), c.ThroughputRPS, c.Concurrency, c.Slots)
			}
		}
		res.Cells = append(res.Cells, cells...)
		r.save(res)
	}
	var errs []error
	if len(failed) > 0 {
		errs = append(errs, &CellsFailedError{Failed: failed, Total: len(res.Cells)})
	}
	if len(erred) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrRequestErrors, strings.Join(erred, ", ")))
	}
	return res, errors.Join(errs...)
}

// progressFailed prints a failed cell: the reason, what the server's log
// says about it, and where the log is.
func (r *Runner) progressFailed(step string, c results.Cell, logPath string) {
	r.progress("%s %s: FAILED: %s", step, c.Name(), c.Error)
	for _, l := range c.LogExcerpt {
		r.progress("      | %s", l)
	}
	if logPath != "" {
		r.progress("      log: %s", logPath)
	}
}

// logs is where a run writes its server logs: the output directory's
// logs/, or a temporary directory whose logs of failed cells outlive the
// run (they are the only record of why) while the rest is removed.
type logs struct {
	dir       string
	temporary bool
	keep      map[string]bool // temporary logs of failed cells
}

func (r *Runner) openLogs() (*logs, error) {
	if r.LogDir != "" {
		if err := os.MkdirAll(r.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("create log dir: %w", err)
		}
		return &logs{dir: r.LogDir}, nil
	}
	d, err := os.MkdirTemp("", "workerbench-logs-")
	if err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	return &logs{dir: d, temporary: true, keep: map[string]bool{}}, nil
}

func (l *logs) path(name string) string { return filepath.Join(l.dir, name) }

// pathOf turns a ref back into a path a user can open.
func (l *logs) pathOf(ref string) string {
	if ref == "" || filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(filepath.Dir(l.dir), ref)
}

// ref is how results refer to the server log at path: relative to the
// output directory (the log dir's parent), the full path of a temporary
// log that is kept because its cell failed, or "" for one that goes.
func (l *logs) ref(path string, failed bool) string {
	if !l.temporary {
		return filepath.Join(filepath.Base(l.dir), filepath.Base(path))
	}
	if failed {
		l.keep[path] = true
		return path
	}
	return ""
}

// close removes a temporary directory's logs but those of failed cells,
// and says where those are.
func (l *logs) close(progress func(string, ...any)) {
	if !l.temporary {
		return
	}
	if len(l.keep) == 0 {
		os.RemoveAll(l.dir)
		return
	}
	entries, _ := os.ReadDir(l.dir)
	for _, e := range entries {
		if p := filepath.Join(l.dir, e.Name()); !l.keep[p] {
			os.RemoveAll(p)
		}
	}
	progress("logs of failed cells kept in %s (no --out was given)", l.dir)
}

func (r *Runner) save(res *results.Run) {
	if r.Save == nil {
		return
	}
	if err := r.Save(res); err != nil {
		r.progress("warning: saving results: %v", err)
	}
}

func (r *Runner) progress(format string, a ...any) {
	if r.Progress != nil {
		fmt.Fprintf(r.Progress, format+"\n", a...)
	}
}

// blankCell is a cell of shape for endpoint e, before measurement.
func (c *Config) blankCell(shape Shape, e Endpoint) results.Cell {
	cell := results.Cell{Workers: shape.Workers, Threads: shape.Threads, Slots: shape.Slots(), Mode: "closed", Connections: c.ConnectionsFor(shape)}
	if len(c.Endpoints) > 1 {
		cell.Endpoint = e.Label()
	}
	return cell
}

// failedCells records err, and what the server's log says when err is a
// *bootError, for every endpoint of shape.
func (c *Config) failedCells(shape Shape, err error) []results.Cell {
	var be *bootError
	errors.As(err, &be)
	out := make([]results.Cell, len(c.Endpoints))
	for i, e := range c.Endpoints {
		out[i] = c.blankCell(shape, e)
		out[i].Error = err.Error()
		if be != nil {
			out[i].LogExcerpt, out[i].LogTail = be.excerpt, be.tail
		}
	}
	return out
}

// measureShape boots the server for one shape and measures every endpoint.
// It always stops the server and reaps its whole process group.
func (r *Runner) measureShape(ctx context.Context, shape Shape, logPath string) (cells []results.Cell) {
	cfg := r.Config
	p, addr, err := r.boot(ctx, "", shape, cfg.Dir, nil, logPath)
	if err != nil {
		return cfg.failedCells(shape, err)
	}
	defer func() { r.stop(p, cells) }()
	mctx, cancel := untilExit(ctx, p)
	defer cancel()

	watch := proctree.Watch(mctx, p.Pgid(), time.Second)
	for _, e := range cfg.Endpoints {
		c := cfg.blankCell(shape, e)
		m := &meter{cfg: cfg, pgid: p.Pgid(), target: cfg.target(addr, e), cell: &c, progress: r.progress}
		err := m.serviceTime(mctx)
		for i := 0; err == nil && i < cfg.Trials; i++ {
			var x float64
			x, err = m.trial(mctx)
			if err == nil && cfg.Trials > 1 {
				r.progress("      %s: trial %d/%d: %.1f req/s", c.Name(), i+1, cfg.Trials, x)
			}
		}
		if err == nil {
			err = m.finish(mctx)
		}
		if e := exitedErr(p); e != nil {
			err = e // the cause; what the generator saw then is a consequence
		}
		if err != nil {
			c.Error = err.Error()
			c.LogExcerpt = p.LogExcerpt(excerptLines)
		}
		if err != nil || c.Errors > 0 {
			c.LogTail = p.LogTail(tailLines)
		}
		cells = append(cells, c)
		if ctx.Err() != nil {
			break
		}
	}
	setMemory(cells, watch.Stop())
	return cells
}

// setMemory records the process group's memory in every cell.
func setMemory(cells []results.Cell, mem proctree.Summary) {
	for i := range cells {
		cells[i].Memory = results.Memory{
			PSSBytes: mem.Last.PSS, RSSBytes: mem.Last.RSS,
			PeakPSSBytes: mem.Peak.PSS, PeakRSSBytes: mem.Peak.RSS,
			Processes: mem.Last.Procs,
		}
	}
}

// meter measures one endpoint of one running server into a cell: its
// service time once, any number of closed-loop trials, then finish.
type meter struct {
	cfg      *Config
	pgid     int
	target   load.Target
	cell     *results.Cell
	progress func(format string, a ...any)

	// Accumulated over trials; reports are folded in as they arrive so
	// that a long run holds one histogram, not one per trial.
	latency      *hdrhistogram.Histogram
	lastX        float64 // throughput of the latest trial
	requests     int64
	errors       map[string]int64
	serverCPU    time.Duration
	generatorCPU time.Duration
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
// requests, then the median of cfg.Sequential requests one at a time.
func (m *meter) serviceTime(ctx context.Context) error {
	if _, _, err := sequential(ctx, m.target, 3); err != nil {
		return fmt.Errorf("warm-up request: %w", err)
	}
	lat, bad, err := sequential(ctx, m.target, m.cfg.Sequential)
	if err != nil {
		return fmt.Errorf("service time: %w", err)
	}
	if bad > 0 {
		m.cell.Diagnostics = append(m.cell.Diagnostics, fmt.Sprintf("service time: %d of %d sequential requests had an unexpected status and were left out", bad, int(bad)+len(lat)))
	}
	m.cell.ServiceTimeS = medianSeconds(lat)
	m.progress("      %s: service time %s (median of %d sequential requests)", m.cell.Name(), fmtSeconds(m.cell.ServiceTimeS), len(lat))
	return nil
}

// sequential is load.Sequential that skips responses with an unexpected
// status (a handler that fails now and then still has a service time), as
// long as at least as many succeed as fail. Any other error ends it: a
// timeout would make every retry as slow, a refused connection means the
// server is gone.
func sequential(ctx context.Context, t load.Target, n int) (lat []time.Duration, bad int64, err error) {
	for len(lat) < n {
		got, err := load.Sequential(ctx, t, n-len(lat))
		lat = append(lat, got...)
		if err == nil {
			break
		}
		var le *load.Error
		if !errors.As(err, &le) || le.Kind != load.KindStatus || ctx.Err() != nil {
			return lat, bad, err
		}
		if bad++; bad > int64(n) {
			return lat, bad, fmt.Errorf("%d of %d requests failed, last: %w", bad, bad+int64(len(lat)), err)
		}
	}
	return lat, bad, nil
}

// trial runs one closed-loop trial, records it in the cell and returns its
// throughput. Server CPU is sampled at the window's edges.
func (m *meter) trial(ctx context.Context) (float64, error) {
	c, cfg := m.cell, m.cfg
	var cpu0, cpu1 proctree.Usage
	opts := load.Options{
		Connections: c.Connections, Warmup: cfg.Warmup, Duration: m.window(), Requests: cfg.Requests,
		OnWindowStart: func() { cpu0, _ = proctree.Measure(m.pgid) },
		OnWindowEnd:   func() { cpu1, _ = proctree.Measure(m.pgid) },
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
		if rep.Requests > 0 || rep.ErrorCount() > 0 || attempt == maxStallRetries || opts.Duration == 0 {
			break
		}
		opts.Duration *= 2
		m.progress("      %s: trial %d: no request completed in %s; measuring again with a %s window", c.Name(), n, rep.Window.Round(time.Millisecond), opts.Duration)
	}
	if rep.Requests == 0 {
		return 0, fmt.Errorf("trial %d: no request succeeded in %s (%s)", n, rep.Window, describeErrors(rep.Errors))
	}
	m.serverCPU += cpu1.CPU - cpu0.CPU
	m.add(rep)
	x := rep.Throughput()
	c.Trials = append(c.Trials, results.Trial{ThroughputRPS: x, Concurrency: x * c.ServiceTimeS, Requests: rep.Requests, Errors: rep.ErrorCount(), P99S: rep.Quantile(0.99).Seconds()})
	return x, nil
}

// maxStallRetries bounds how often a trial that saw neither a completion
// nor an error is measured again.
const maxStallRetries = 2

// minCycles is how many closed-loop cycles a window should span: each
// connection then completes the 4 requests load needs for its
// per-connection throughput estimate, plus one for the window's phase.
const minCycles = 5

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
	if x <= 0 {
		return d
	}
	perConn := time.Duration(minCycles * float64(c.Connections) / x * float64(time.Second))
	count := time.Duration(c.ServiceTimeS / countPrecision * float64(time.Second))
	need := min(perConn, count)
	w := min(max(d, need), maxStretch*d)
	if w <= d || len(c.Trials) > 0 {
		return w
	}
	capped := ""
	if w < need {
		capped = fmt.Sprintf(" (capped at %d × --duration)", maxStretch)
	}
	if need == perConn {
		m.progress("      %s: window %s instead of %s, so that each of %d connections completes %d requests%s",
			c.Name(), w.Round(10*time.Millisecond), d, c.Connections, minCycles, capped)
	} else {
		m.progress("      %s: window %s instead of %s: at %.0f req/s with %d connections, %s measures throughput to ±%.0f%% only, %s to ±%.1f%%%s",
			c.Name(), w.Round(100*time.Millisecond), d, x, c.Connections, d, 100*c.ServiceTimeS/d.Seconds(), w.Round(100*time.Millisecond), 100*c.ServiceTimeS/w.Seconds(), capped)
	}
	return w
}

// finish derives the cell's figures from its trials, fires the bursts and
// adds diagnostics.
func (m *meter) finish(ctx context.Context) error {
	c, cfg := m.cell, m.cfg
	m.summarize()
	if len(cfg.Bursts) > 0 {
		if err := drain(ctx, m.target, c.ServiceTimeS, c.Connections); err != nil {
			return err
		}
	}
	for _, n := range cfg.Bursts {
		b, err := burst(ctx, m.target, n, c.ServiceTimeS)
		if err != nil {
			return fmt.Errorf("burst %d: %w", n, err)
		}
		c.Bursts = append(c.Bursts, b)
		m.progress("      %s: burst %d: waves %v", c.Name(), n, b.Waves)
	}
	diagnose(c, cfg)
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
	c.Efficiency = c.Concurrency / float64(c.Slots)
	c.Requests = m.requests
	c.ErrorKinds = m.errors
	c.Errors = 0
	for _, v := range m.errors {
		c.Errors += v
	}
	if m.latency != nil {
		q := func(p float64) float64 { return float64(m.latency.ValueAtQuantile(p)) / 1e6 }
		c.Latency = results.Latency{P50: q(50), P90: q(90), P99: q(99), Max: float64(m.latency.Max()) / 1e6}
	}
	if c.Requests > 0 {
		c.ServerCPUPerRequestS = m.serverCPU.Seconds() / float64(c.Requests)
		c.GeneratorCPUPerRequestS = m.generatorCPU.Seconds() / float64(c.Requests)
	}
	if c.ServiceTimeS > 0 {
		c.CPUBoundness = c.ServerCPUPerRequestS / c.ServiceTimeS
	}
	c.Bound = "io"
	if c.CPUBoundness >= 0.5 {
		c.Bound = "cpu"
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
		b.Requests[i] = results.BurstRequest{StartS: o.Start.Seconds(), EndS: o.End.Seconds(), Status: o.Status, Error: o.Err}
	}
	sizes, waveOf := Waves(ends, WaveTolerance(s0))
	b.Waves = sizes
	for i := range b.Requests {
		b.Requests[i].Wave = waveOf[i]
	}
	return b, nil
}

// greedyAccept explains the commonest shortfall of threaded workers.
const greedyAccept = "threaded workers that accept more connections than they have threads (gunicorn gthread's --worker-connections, default 1000) queue requests behind busy threads while other workers idle; try --worker-connections equal to --threads"

// diagnose adds plain-language notes on what the figures mean.
func diagnose(c *results.Cell, cfg *Config) {
	add := func(format string, a ...any) { c.Diagnostics = append(c.Diagnostics, fmt.Sprintf(format, a...)) }
	if c.Connections < c.Slots {
		add("only %d connections for %d slots: achieved concurrency cannot exceed %d", c.Connections, c.Slots, c.Connections)
	}
	if c.Bound == "cpu" {
		add("CPU-bound handler (%.0f%% of the service time is server CPU): throughput is limited by cores (%d here), and Python threads add none because of the GIL", 100*c.CPUBoundness, runtime.NumCPU())
	} else if c.Efficiency < 0.9 && c.Connections >= c.Slots {
		hint := ""
		if c.Workers > 1 && c.Threads > 1 {
			hint = ": " + greedyAccept
		}
		add("achieved %.1f of %d configured slots (%.0f%%)%s", c.Concurrency, c.Slots, 100*c.Efficiency, hint)
	}
	if c.Errors > 0 {
		add("%d errors (%s)", c.Errors, describeErrors(c.ErrorKinds))
	}
	for _, b := range c.Bursts {
		if len(b.Waves) > 0 && b.Size >= c.Slots && b.Waves[0] < c.Slots && c.Bound == "io" {
			hint := ""
			if c.Workers > 1 && c.Threads > 1 {
				hint = ": " + greedyAccept
			}
			add("burst %d: first wave served %d requests at once, not %d%s", b.Size, b.Waves[0], c.Slots, hint)
		}
		if w := b.LargestWave(); w > c.PeakInFlight {
			c.PeakInFlight = w
		}
	}
	// At low request rates the generator's fixed costs (timers, sampling)
	// dominate its per-request figure; only warn when it really takes a
	// tenth of a core or more.
	if genCores := c.GeneratorCPUPerRequestS * c.ThroughputRPS; genCores > 0.1 && c.GeneratorCPUPerRequestS > c.ServerCPUPerRequestS {
		add("the load generator used more CPU per request (%s, %.0f%% of a core) than the server (%s): on a small runner it competes with the server for cores", fmtSeconds(c.GeneratorCPUPerRequestS), 100*genCores, fmtSeconds(c.ServerCPUPerRequestS))
	}
}

func (c *Config) target(addr string, e Endpoint) load.Target {
	t := load.Target{
		Addr: addr, Method: e.Method, Path: e.Path, Body: []byte(e.Body), Status: e.Status,
		KeepAlive: c.KeepAlive, Timeout: c.Timeout, AllowRemote: c.AllowRemote,
	}
	keys := make([]string, 0, len(e.Headers))
	for k := range e.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		t.Header = append(t.Header, [2]string{k, e.Headers[k]})
	}
	return t
}

func (c *Config) settings() results.Settings {
	return results.Settings{
		DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(), Trials: c.Trials,
		Connections: c.Connections, KeepAlive: c.KeepAlive, Bursts: c.Bursts, Seed: c.Seed,
	}
}

// ThisHost describes the machine we run on.
func ThisHost() results.Host {
	h := results.Host{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
	h.Hostname, _ = os.Hostname()
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				h.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	return h
}

// freePort asks the kernel for a free port on host. Another process could
// take it before the server binds; the server then fails to start and the
// cell says so.
func freePort(host string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port on %s: %w", host, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// medianSeconds is the median of ds in seconds.
func medianSeconds(ds []time.Duration) float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = d.Seconds()
	}
	return stats.Median(xs)
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

func fmtSeconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2fs", s)
	case s >= 0.001:
		return fmt.Sprintf("%.1fms", s*1e3)
	default:
		return fmt.Sprintf("%.0fµs", s*1e6)
	}
}
