package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/load"
	"github.com/workerbench/workerbench/bench/proctree"
	"github.com/workerbench/workerbench/bench/server"
)

// ErrCellsFailed is returned (wrapped) by Run when at least one cell could
// not be measured; the results still hold every cell, failed ones with Error.
var ErrCellsFailed = errors.New("some cells failed")

// Runner measures every cell of a validated Config.
type Runner struct {
	Config *Config
	// Progress receives one human-readable line per step; nil discards.
	Progress io.Writer
	// Save is called with the results so far after every cell, so a crash
	// or an interrupt loses nothing already measured; nil skips it.
	Save func(*Results) error
	// LogDir receives one server log per cell; "" uses a temporary directory.
	LogDir string
	// Version is recorded in the results.
	Version string
}

// Run boots the server once per cell, measures it, and returns the
// results. A failed cell does not stop the run: it is recorded with its
// reason and log tail, and Run returns ErrCellsFailed at the end. When ctx
// is cancelled, Run stops the server, marks the results interrupted and
// returns them with ctx's error.
func (r *Runner) Run(ctx context.Context) (*Results, error) {
	cfg := r.Config
	res := &Results{
		Schema:   Schema,
		Version:  r.Version,
		Host:     ThisHost(),
		Command:  cfg.Command,
		Dir:      cfg.Dir,
		Started:  time.Now().UTC().Format(time.RFC3339),
		Settings: cfg.settings(),
	}
	logDir := r.LogDir
	if logDir == "" {
		d, err := os.MkdirTemp("", "workerbench-logs-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		logDir = d
	} else if err := os.MkdirAll(logDir, 0o755); err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	var failed []string
	for i, shape := range cfg.Matrix {
		r.progress("[%d/%d] %s: starting server", i+1, len(cfg.Matrix), shape)
		logPath := filepath.Join(logDir, "server-"+shape.String()+".log")
		cells := r.measureShape(ctx, shape, logPath)
		if ctx.Err() != nil {
			res.Interrupted = true
			// A cell cut short by the interrupt measured nothing trustworthy.
			r.save(res)
			return res, ctx.Err()
		}
		for _, c := range cells {
			if c.Failed() {
				failed = append(failed, c.Name())
				r.progress("[%d/%d] %s: FAILED: %s", i+1, len(cfg.Matrix), c.Name(), c.Error)
			} else {
				r.progress("[%d/%d] %s: %.1f req/s, concurrency %.2f of %d slots", i+1, len(cfg.Matrix), c.Name(), c.ThroughputRPS, c.Concurrency, c.Slots)
			}
			if r.LogDir != "" {
				c.Log = logPath
			}
		}
		res.Cells = append(res.Cells, cells...)
		r.save(res)
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("%w: %s", ErrCellsFailed, strings.Join(failed, ", "))
	}
	return res, nil
}

func (r *Runner) save(res *Results) {
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

// measureShape boots the server for one shape and measures every endpoint.
// It always stops the server and reaps its whole process group.
func (r *Runner) measureShape(ctx context.Context, shape Shape, logPath string) (cells []Cell) {
	cfg := r.Config
	blank := func(e Endpoint) Cell {
		c := Cell{Workers: shape.Workers, Threads: shape.Threads, Slots: shape.Slots(), Mode: "closed", Connections: cfg.ConnectionsFor(shape)}
		if len(cfg.Endpoints) > 1 {
			c.Endpoint = e.Label()
		}
		return c
	}
	failAll := func(err error, tail []string) []Cell {
		out := make([]Cell, len(cfg.Endpoints))
		for i, e := range cfg.Endpoints {
			out[i] = blank(e)
			out[i].Error = err.Error()
			out[i].LogTail = tail
		}
		return out
	}

	port, err := freePort(cfg.Host)
	if err != nil {
		return failAll(err, nil)
	}
	env := os.Environ()
	if len(cfg.Env) > 0 {
		env = append(env, cfg.Env...)
	}
	argv := cfg.template.Expand(cfg.Host, port, shape)
	p, err := server.Start(server.Spec{Argv: argv, Dir: cfg.Dir, Env: env, LogPath: logPath})
	if err != nil {
		return failAll(fmt.Errorf("start server: %w", err), nil)
	}
	defer func() {
		if err := p.Stop(cfg.Grace); err != nil {
			for i := range cells {
				cells[i].Diagnostics = append(cells[i].Diagnostics, "stopping the server: "+err.Error())
			}
		}
	}()

	addr := net.JoinHostPort(cfg.Host, fmt.Sprint(port))
	health := load.Target{Addr: addr, Path: cfg.Health, Timeout: 2 * time.Second, AllowRemote: cfg.AllowRemote}
	probe := func(ctx context.Context) error {
		_, err := load.Sequential(ctx, health, 1)
		return err
	}
	start := time.Now()
	if err := p.WaitReady(ctx, probe, cfg.StartupTimeout); err != nil {
		return failAll(err, p.LogTail(20))
	}
	r.progress("      %s: ready after %s", shape, time.Since(start).Round(time.Millisecond))

	watch := proctree.Watch(ctx, p.Pgid(), time.Second)
	for _, e := range cfg.Endpoints {
		c := blank(e)
		if err := r.measureEndpoint(ctx, p, addr, e, &c); err != nil {
			c.Error = err.Error()
			c.LogTail = p.LogTail(20)
		}
		cells = append(cells, c)
		if ctx.Err() != nil {
			break
		}
	}
	mem := watch.Stop()
	for i := range cells {
		cells[i].Memory = Memory{
			PSSBytes: mem.Last.PSS, RSSBytes: mem.Last.RSS,
			PeakPSSBytes: mem.Peak.PSS, PeakRSSBytes: mem.Peak.RSS,
			Processes: mem.Last.Procs,
		}
	}
	return cells
}

// measureEndpoint measures one endpoint of a running server into c.
func (r *Runner) measureEndpoint(ctx context.Context, p *server.Process, addr string, e Endpoint, c *Cell) error {
	cfg := r.Config
	t := cfg.target(addr, e)
	shape := Shape{c.Workers, c.Threads}

	// Unloaded service time S0: a few warm-up requests, then the median of
	// cfg.Sequential requests one at a time.
	if _, err := load.Sequential(ctx, t, 3); err != nil {
		return fmt.Errorf("warm-up request: %w", err)
	}
	lat, err := load.Sequential(ctx, t, cfg.Sequential)
	if err != nil {
		return fmt.Errorf("service time: %w", err)
	}
	s0 := median(lat).Seconds()
	c.ServiceTimeS = s0
	r.progress("      %s: service time %s (median of %d sequential requests)", c.Name(), fmtSeconds(s0), len(lat))

	opts := load.Options{Connections: c.Connections, Warmup: cfg.Warmup, Duration: cfg.Duration, Requests: cfg.Requests}
	var (
		reports   []load.Report
		serverCPU time.Duration
		cpu0      proctree.Usage
	)
	opts.OnWindowStart = func() { cpu0, _ = proctree.Measure(p.Pgid()) }
	opts.OnWindowEnd = func() {
		cpu1, _ := proctree.Measure(p.Pgid())
		serverCPU += cpu1.CPU - cpu0.CPU
	}
	for i := range cfg.Trials {
		rep, err := load.Closed(ctx, t, opts)
		if err != nil {
			return fmt.Errorf("trial %d: %w", i+1, err)
		}
		if rep.Requests == 0 {
			return fmt.Errorf("trial %d: no request succeeded in %s (%s)", i+1, rep.Window, describeErrors(rep.Errors))
		}
		reports = append(reports, rep)
		x := rep.Throughput()
		c.Trials = append(c.Trials, Trial{ThroughputRPS: x, Concurrency: x * s0, Requests: rep.Requests, Errors: sum(rep.Errors), P99S: rep.Quantile(0.99).Seconds()})
		if cfg.Trials > 1 {
			r.progress("      %s: trial %d/%d: %.1f req/s", c.Name(), i+1, cfg.Trials, x)
		}
	}
	summarize(c, reports, serverCPU, shape)

	if len(cfg.Bursts) > 0 {
		if err := drain(ctx, t, s0, c.Connections); err != nil {
			return err
		}
	}
	for _, n := range cfg.Bursts {
		b, err := burst(ctx, t, n, s0)
		if err != nil {
			return fmt.Errorf("burst %d: %w", n, err)
		}
		c.Bursts = append(c.Bursts, b)
		r.progress("      %s: burst %d: waves %v", c.Name(), n, b.Waves)
	}
	diagnose(c, cfg)
	return nil
}

// summarize derives the cell's figures from its trials.
func summarize(c *Cell, reports []load.Report, serverCPU time.Duration, shape Shape) {
	xs := make([]float64, len(c.Trials))
	for i, t := range c.Trials {
		xs[i] = t.ThroughputRPS
	}
	c.ThroughputRPS = medianFloat(xs)
	c.Concurrency = c.ThroughputRPS * c.ServiceTimeS
	c.Efficiency = c.Concurrency / float64(shape.Slots())

	merged := reports[0].Latency
	var genCPU time.Duration
	c.ErrorKinds = map[string]int64{}
	for i, rep := range reports {
		if i > 0 {
			merged.Merge(rep.Latency)
		}
		c.Requests += rep.Requests
		genCPU += rep.GeneratorCPU
		for k, v := range rep.Errors {
			c.ErrorKinds[k] += v
			c.Errors += v
		}
	}
	if len(c.ErrorKinds) == 0 {
		c.ErrorKinds = nil
	}
	q := func(p float64) float64 { return float64(merged.ValueAtQuantile(p)) / 1e6 }
	c.Latency = Latency{P50: q(50), P90: q(90), P99: q(99), Max: float64(merged.Max()) / 1e6}
	if c.Requests > 0 {
		c.ServerCPUPerRequestS = serverCPU.Seconds() / float64(c.Requests)
		c.GeneratorCPUPerRequestS = genCPU.Seconds() / float64(c.Requests)
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
func burst(ctx context.Context, t load.Target, n int, s0 float64) (Burst, error) {
	outs, err := load.Burst(ctx, t, n)
	if err != nil {
		return Burst{}, err
	}
	ends := make([]float64, len(outs))
	b := Burst{Size: n, Requests: make([]BurstRequest, len(outs))}
	for i, o := range outs {
		ends[i] = -1
		if o.Err == "" {
			ends[i] = o.End.Seconds()
		}
		b.Requests[i] = BurstRequest{StartS: o.Start.Seconds(), EndS: o.End.Seconds(), Status: o.Status, Error: o.Err}
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
func diagnose(c *Cell, cfg *Config) {
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

func (c *Config) settings() Settings {
	return Settings{
		DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(), Trials: c.Trials,
		Connections: c.Connections, KeepAlive: c.KeepAlive, Bursts: c.Bursts, Seed: c.Seed,
	}
}

// ThisHost describes the machine we run on.
func ThisHost() Host {
	h := Host{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH}
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

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianFloat(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func sum(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
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
