package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/internal/load"
	"github.com/workerbench/workerbench/bench/recommend"
	"github.com/workerbench/workerbench/bench/results"
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
	// OnStatus, if set, is called as a long run moves on: a shape started,
	// a trial (or, in a comparison, a trial pair) done, a shape done.
	OnStatus func(Status)

	killNoted bool   // a server that had to be killed was reported
	status    Status // where the run stands, for OnStatus
}

// Run boots the server once per cell, measures it, and returns the
// results. A failed cell does not stop the run: it is recorded with its
// reason and what the server's log says, and Run returns ErrCellsFailed at
// the end. When ctx is cancelled, Run stops the server, marks the results
// interrupted and returns them with ctx's error. On any OS but Linux it
// measures nothing and returns ErrNotLinux.
func (r *Runner) Run(ctx context.Context) (*results.Run, error) {
	if err := checkPlatform(); err != nil {
		return nil, err // nothing measured, no server started
	}
	res := r.newRun(r.Config.Dir)
	err := r.eachShape(ctx, res, shapeLoop{
		sides:    []setupSide{{name: "head", dir: r.Config.Dir}},
		starting: "starting server",
		measure: func(ctx context.Context, w shapeWork, logs *logs, _ func()) ([]results.Cell, func([]results.Cell)) {
			return r.measureShape(ctx, w, logs), nil
		},
		measured: func(step string, c results.Cell) {
			if s := c.Sweep; s != nil {
				r.progress("%s %s: peak useful concurrency %.1f at %.1f req/s (%d connections; "+
					"no slots: the connections were swept)", step, c.Name(),
					s.PeakConcurrency, s.PeakThroughputRPS, s.PeakConnections)
				return
			}
			r.progress(
				"%s %s: %.1f req/s, concurrency %.2f of %d slots",
				step,
				c.Name(),
				c.ThroughputRPS,
				c.Concurrency,
				c.Slots,
			)
		},
	})
	if errors.As(err, new(*SetupError)) {
		return nil, err // nothing measured, no server started
	}
	return res, err
}

// newRun starts the results of a run of the server in dir.
func (r *Runner) newRun(dir string) *results.Run {
	cfg := r.Config
	return &results.Run{
		Schema:   results.Schema,
		Version:  r.Version,
		Host:     ThisHost(),
		Command:  cfg.template.String(),
		Server:   cfg.Server,
		Model:    string(cfg.model),
		Runtime:  string(cfg.runtime),
		Dir:      dir,
		Started:  time.Now().UTC().Format(time.RFC3339),
		Settings: cfg.settings(),
		Shard:    cfg.shardOf(),
		Deployed: cfg.deployed(),
	}
}

// shapeLoop says how a run measures each shape of the matrix: Run boots
// one server per shape, AB.Run two.
type shapeLoop struct {
	sides    []setupSide // set up before the first shape (Config.Setup)
	starting string      // what the first progress line of a shape says it does
	// measure measures the endpoints of a shape that w names into cells,
	// their Log set. It calls ready once its servers answer and before it
	// measures: ready waits until the previous shape's servers have
	// stopped. It either stops every server it started, returning a nil
	// stop, or returns with its servers being stopped and a stop that
	// waits for them and notes in the cells (as recorded) what stopping
	// revealed, so the next shape boots while these stop.
	measure func(ctx context.Context, w shapeWork, logs *logs, ready func()) (cells []results.Cell, stop func([]results.Cell))
	// measured prints the progress line of a cell that was measured.
	measured func(step string, c results.Cell)
	// update, if set, derives figures across cells (AB: the overall
	// verdict) before each save.
	update func(res *results.Run)
}

// eachShape is the loop Run and AB.Run share: for each shape of the
// matrix in order it reports progress, measures, keeps the cells in res
// and saves res, so that a crash or an interrupt loses nothing already
// measured. At an interrupt it marks res interrupted (the shape cut short
// measured nothing trustworthy), saves it and returns ctx's error. At the
// end its error names the cells that failed (CellsFailedError) and those
// whose requests failed now and then (ErrRequestErrors).
func (r *Runner) eachShape(ctx context.Context, res *results.Run, l shapeLoop) error {
	logs, err := r.openLogs()
	if err != nil {
		return err
	}
	defer logs.close(r.progress)
	save := func() {
		if l.update != nil {
			l.update(res)
		}
		r.save(res)
	}
	if err := r.runSetup(ctx, res, logs, l.sides); err != nil {
		if ctx.Err() != nil {
			res.Interrupted = true
			save()
		}
		return err
	}
	if d := r.Config.Deployed; d != nil {
		r.progress("%s, one of the %d cells of the matrix %s", d.Summary(), len(r.Config.Matrix),
			FormatMatrix(r.Config.Matrix))
	}
	matrix := r.Config.work() // the shapes this run boots: its shard's, or all
	if len(matrix) == 0 {
		r.progress("shard %s: no cells of the matrix fall to this shard", r.Config.Shard)
		save() // an empty shard is valid: results with no cells
	}
	// The previous shape's servers, still stopping, and where its cells are.
	var stopping func([]results.Cell)
	var from, to int
	ready := func() {
		if stopping == nil {
			return
		}
		started := time.Now()
		stopping(res.Cells[from:to])
		stopping = nil
		if from < to && res.Cells[from].WallTime != nil {
			// What nothing overlapped: the last shape's stop, or the
			// part of an earlier one that outlasted the next boot.
			waited := time.Since(started).Seconds()
			res.Cells[from].WallTime.StopS += waited
			res.Cells[from].WallTime.TotalS += waited
		}
	}
	defer ready()
	var failed, erred []string
	for i, w := range matrix {
		step := fmt.Sprintf("[%d/%d]", i+1, len(matrix))
		r.progress("%s %s: %s", step, w.shape, l.starting)
		r.shapeStarted(w.shape, i+1, len(matrix))
		started := time.Now()
		readied := false
		cells, stop := l.measure(ctx, w, logs, func() {
			waiting := time.Now()
			ready()
			readied = true
			started = started.Add(time.Since(waiting)) // the wait is the previous shape's
		})
		if !readied {
			ready()
		}
		spendShape(cells, time.Since(started))
		r.shapeDone()
		if ctx.Err() != nil {
			if stop != nil {
				stop(cells)
			}
			res.Interrupted = true
			save()
			return ctx.Err()
		}
		for _, c := range cells {
			if c.Failed() {
				failed = append(failed, c.Name())
				r.progressFailed(step, c, logs.pathOf(c.Log))
				continue
			}
			if c.Errors > 0 {
				erred = append(
					erred,
					fmt.Sprintf("%s (%s)", c.Name(), describeErrors(c.ErrorKinds)),
				)
			}
			l.measured(step, c)
		}
		from = len(res.Cells)
		res.Cells = append(res.Cells, cells...)
		to, stopping = len(res.Cells), stop
		save()
	}
	ready()
	if len(matrix) > 1 {
		f := r.Config.facts()
		res.Diagnostics = append(res.Diagnostics, diagnoseRun(res.Cells, f)...)
		if res.IsComparison() {
			res.BaseDiagnostics = append(res.BaseDiagnostics, diagnoseRun(baseCells(res.Cells), f)...)
		}
	}
	r.recommend(res)
	save()
	var errs []error
	if len(failed) > 0 {
		errs = append(errs, &CellsFailedError{Failed: failed, Total: len(res.Cells)})
	}
	if len(erred) > 0 {
		errs = append(errs, fmt.Errorf("%w: %s", ErrRequestErrors, strings.Join(erred, ", ")))
	}
	return errors.Join(errs...)
}

// spendShape records in cells, measured on one boot of a shape, the wall
// time the shape took: what the cells' own work left over (booting,
// stopping, the gaps between) is the first cell's.
func spendShape(cells []results.Cell, total time.Duration) {
	if len(cells) == 0 {
		return
	}
	if cells[0].WallTime == nil {
		cells[0].WallTime = &results.WallTime{}
	}
	rest := total.Seconds()
	for _, c := range cells[1:] {
		if c.WallTime != nil {
			rest -= c.WallTime.TotalS
		}
	}
	cells[0].WallTime.TotalS = rest
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
	cell := results.Cell{
		Workers:     shape.Workers,
		Threads:     shape.Threads,
		Slots:       shape.Slots(),
		Mode:        "closed",
		Connections: c.ConnectionsFor(shape),
	}
	if len(c.Endpoints) > 1 {
		cell.Endpoint = e.Label()
	}
	return cell
}

// failedCells records err, and what the server's log says when err is a
// *bootError, for the endpoints of w, whose server log is log.
func (c *Config) failedCells(w shapeWork, err error, log string) []results.Cell {
	var be *bootError
	errors.As(err, &be)
	out := make([]results.Cell, len(w.endpoints))
	for i, e := range w.endpoints {
		out[i] = c.blankCell(w.shape, c.Endpoints[e])
		out[i].Error = err.Error()
		out[i].Log = log
		if be != nil {
			out[i].LogExcerpt, out[i].LogTail = be.excerpt, be.tail
			out[i].NotStarted = true
		}
		if se := (*sideError)(nil); errors.As(err, &se) {
			out[i].FailedSide = se.side
		}
	}
	return out
}

// measureShape boots the server for one shape and measures the endpoints w
// names. It always stops the server and reaps its whole process group.
func (r *Runner) measureShape(ctx context.Context, w shapeWork, logs *logs) (cells []results.Cell) {
	cfg, shape := r.Config, w.shape
	log := logs.path("server-" + shape.String() + ".log")
	booting := time.Now()
	s, err := r.open(ctx, "", shape, cfg.Dir, nil, log)
	if err != nil {
		return cfg.failedCells(w, err, logs.ref(log, true))
	}
	boot := time.Since(booting)
	defer func() {
		stopping := time.Now()
		s.close(cells)
		if len(cells) > 0 {
			cells[0].WallTime.BootS += boot.Seconds()
			cells[0].WallTime.StopS += time.Since(stopping).Seconds()
		}
	}()
	for _, i := range w.endpoints {
		e := cfg.Endpoints[i]
		started := time.Now()
		c := cfg.blankCell(shape, e)
		m := s.meter(e, &c, r.progress)
		m.sweep = cfg.Sweep
		err := m.serviceTime(s.ctx)
		for i := 0; err == nil && i < cfg.Trials; i++ {
			var x float64
			x, err = m.trial(s.ctx)
			r.trialDone()
			if err == nil && cfg.Trials > 1 {
				r.progress("      %s: trial %d/%d: %.1f req/s", c.Name(), i+1, cfg.Trials, x)
			}
		}
		if err == nil {
			err = m.finish(s.ctx)
		}
		s.record(&c, err)
		c.Log = logs.ref(log, c.Failed())
		c.WallTime = &m.spent
		c.WallTime.TotalS = time.Since(started).Seconds()
		cells = append(cells, c)
		if ctx.Err() != nil {
			break
		}
	}
	setMemory(cells, s.memory())
	return cells
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
	s := results.Settings{
		DurationS: c.Duration.Seconds(), WarmupS: c.Warmup.Seconds(), Trials: c.Trials,
		Connections: c.Connections, KeepAlive: c.KeepAlive, Bursts: c.Bursts, Seed: c.Seed,
	}
	if c.Sweep {
		s.SweepMaxConnections, s.SweepTimeS = c.SweepMaxConnections, c.SweepTime.Seconds()
	}
	return s
}

// recommend records the configuration the measured cells recommend for
// the target machine (this one unless Config.Target says otherwise), and
// says it.
func (r *Runner) recommend(res *results.Run) {
	t := r.Config.recommendFor(runtime.NumCPU())
	rec, ok := recommend.For(res, t)
	if !ok {
		return
	}
	res.Recommendation = &rec
	r.progress("recommended for %d cores: %s%s", t.CPUs, rec.Config(), versusLine(rec.VsDeployed))
}
