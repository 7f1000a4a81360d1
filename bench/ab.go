package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/workerbench/workerbench/bench/internal/stats"
	"github.com/workerbench/workerbench/bench/results"
)

// AB compares a base and a head version of the same server, cell by cell,
// on this machine. Make one with NewAB.
//
// For each cell both servers are booted once and run side by side (one
// idles while the other is loaded), and closed-loop trials alternate
// between them in pairs whose order is drawn from a seeded random source.
// Each trial is a fresh load window with its own warm-up, not a fresh boot:
// a boot costs seconds plus the service-time measurement, and pairs taken
// seconds apart on the same two servers see the same machine (noisy
// neighbours, clock changes), which is what makes pairing remove noise.
// What this does not sample is boot-to-boot variation of one version;
// the calibration (see docs/statistics.md) measured how often that causes
// false alarms.
type AB struct {
	Runner
	ABOptions
	plan stats.Plan
}

// ABOptions are what a comparison adds to a run's Config.
type ABOptions struct {
	BaseDir, HeadDir string
	BaseEnv, HeadEnv []string // extra environment per side, KEY=VALUE with placeholders
	Threshold        float64  // smallest change that counts, a fraction in (0, 1)
	// MaxPairs bounds the pairs per cell before the verdict is inconclusive;
	// Config.Trials is the first batch. ConfirmPairs is how many more pairs
	// must uphold a regression or improvement before it is reported.
	MaxPairs, ConfirmPairs int
	Seed                   uint64 // of the pair order; 0 draws one from the clock
}

// DefaultABOptions returns the defaults every comparison starts from.
func DefaultABOptions() ABOptions {
	p := stats.DefaultPlan()
	return ABOptions{Threshold: results.DefaultThreshold, MaxPairs: p.Max, ConfirmPairs: p.Confirm}
}

// DefaultABConfig returns run's defaults made for the dozen or more trials
// a verdict takes: short windows (a window is still lengthened per cell
// until each connection completes several requests), a short queue (see
// Config.ShortQueue), warm-ups that end once the closed loop is steady
// (Config.SteadyWarmup), S0 from 5 sequential requests instead of 50 (it
// does not enter the verdict), and the plan's first batch of pairs as
// Trials. The calibration in docs/statistics.md measured the verdict with
// them.
func DefaultABConfig() Config {
	cfg := DefaultConfig()
	cfg.Duration = 400 * time.Millisecond
	cfg.Warmup = 500 * time.Millisecond
	cfg.Sequential = 5
	cfg.ShortQueue = true
	cfg.SteadyWarmup = true
	cfg.Trials = stats.DefaultPlan().Initial
	return cfg
}

// Validate checks o for a comparison under cfg, whose Trials is the first
// batch of pairs. Its error names each bad field and how to fix it.
func (o ABOptions) Validate(cfg *Config) error {
	var errs []error
	for _, d := range []struct{ name, dir string }{{"base-dir", o.BaseDir}, {"head-dir", o.HeadDir}} {
		if d.dir == "" {
			errs = append(errs, fmt.Errorf("--%s is required", d.name))
		} else if fi, err := os.Stat(d.dir); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("--%s %q: not a directory", d.name, d.dir))
		}
	}
	for _, side := range []struct {
		name string
		env  []string
	}{{"base-env", o.BaseEnv}, {"head-env", o.HeadEnv}} {
		for _, e := range side.env {
			if err := checkEnv(e); err != nil {
				errs = append(errs, fmt.Errorf("--%s %w", side.name, err))
			}
		}
	}
	if !(o.Threshold > 0 && o.Threshold < 1) {
		errs = append(
			errs,
			fmt.Errorf("threshold %g: must be between 0%% and 100%%", 100*o.Threshold),
		)
	}
	if o.MaxPairs < cfg.Trials {
		errs = append(
			errs,
			fmt.Errorf(
				"--max-pairs %d is less than --trials %d: raise --max-pairs or lower --trials",
				o.MaxPairs,
				cfg.Trials,
			),
		)
	}
	if o.ConfirmPairs < 0 {
		errs = append(errs, fmt.Errorf("--confirm-pairs %d: must be 0 or more", o.ConfirmPairs))
	}
	return errors.Join(errs...)
}

// NewAB validates o and returns the comparison it describes, run by r: the
// one way both the CLI and the GitHub Action make one.
func NewAB(r Runner, o ABOptions) (*AB, error) {
	if err := o.Validate(r.Config); err != nil {
		return nil, err
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	// The overall verdict corrects over every cell of the matrix, all
	// shards' (merge recomputes it), so a cell stopped at its first look
	// must be significant among all of them.
	plan := stats.Plan{
		Initial: r.Config.Trials,
		Step:    stats.DefaultPlan().Step,
		Max:     o.MaxPairs,
		Confirm: o.ConfirmPairs,
		Cells:   len(r.Config.Matrix) * len(r.Config.Endpoints),
	}
	return &AB{Runner: r, ABOptions: o, plan: plan}, nil
}

// Run measures every cell on both sides and returns head's results with
// the comparison filled in. Failed cells, interrupts and an OS other than
// Linux behave as in Runner.Run.
func (a *AB) Run(ctx context.Context) (*results.Run, error) {
	if err := checkPlatform(); err != nil {
		return nil, err // nothing measured, no server started
	}
	res := a.newRun(a.HeadDir)
	res.RunComparison = results.RunComparison{BaseCommand: a.Config.template.String(), BaseDir: a.BaseDir}
	res.Settings.Threshold = a.Threshold
	res.Settings.Seed = int64(a.Seed)
	res.Settings.SweepMaxConnections, res.Settings.SweepTimeS = 0, 0 // ab never sweeps
	res.Dependencies = a.dependencies()
	res.Warnings = append(res.Warnings, a.sharedDatabases()...)
	res.Warnings = append(res.Warnings, a.baseDeployment(res, os.Environ(), runtime.NumCPU())...)
	for _, w := range res.Warnings {
		a.progress("warning: %s", w)
	}
	err := a.eachShape(ctx, res, shapeLoop{
		sides: []setupSide{
			{name: "base", dir: a.BaseDir, env: a.BaseEnv},
			{name: "head", dir: a.HeadDir, env: a.HeadEnv},
		},
		starting: "starting base and head servers",
		measure:  a.compareShape,
		measured: func(step string, c results.Cell) {
			a.progress(
				"%s %s: %s, head/base %.3f [%.3f, %.3f] after %d pairs",
				step,
				c.Name(),
				c.Verdict,
				c.Ratio,
				c.CILow,
				c.CIHigh,
				c.Pairs,
			)
		},
		update: a.finish,
	})
	if errors.As(err, new(*SetupError)) {
		return nil, err // nothing measured, no server started
	}
	return res, err
}

// finish sets the overall verdict from the cells so far, and the trials
// setting to the most pairs a cell ran (the plan adds pairs adaptively;
// each cell records its own count).
func (a *AB) finish(res *results.Run) {
	v, o := results.Combine(res.Cells, a.Threshold)
	res.Verdict, res.Overall = v, &o
	for _, c := range res.Cells {
		res.Settings.Trials = max(res.Settings.Trials, c.Pairs)
	}
}

// sideError is a failure on one side of a comparison, "base" or "head".
type sideError struct {
	side string
	err  error
}

func (e *sideError) Error() string { return e.side + ": " + e.err.Error() }
func (e *sideError) Unwrap() error { return e.err }

// compareShape boots base and head for one shape and compares the
// endpoints w names (see shapeLoop.measure). It returns with both servers
// being stopped, so that the next shape boots meanwhile; stop waits for
// them.
func (a *AB) compareShape(
	ctx context.Context,
	w shapeWork,
	logs *logs,
	ready func(),
) (cells []results.Cell, stop func([]results.Cell)) {
	cfg, shape := a.Config, w.shape
	logOf := map[string]string{
		"base": logs.path("server-base-" + shape.String() + ".log"),
		"head": logs.path("server-head-" + shape.String() + ".log"),
	}
	booting := time.Now()
	base, head, err := a.openBoth(ctx, shape, logOf)
	if err != nil {
		var se *sideError
		errors.As(err, &se)
		return cfg.failedCells(w, err, logs.ref(logOf[se.side], true)), nil
	}
	boot := time.Since(booting)
	ready() // waiting here is the previous shape's stop, counted there
	var baseCells []results.Cell
	defer func() {
		stopped := stopAll([]*session{base, head})
		stop = func(cells []results.Cell) { stopped([][]results.Cell{baseCells, cells}) }
		if len(cells) > 0 {
			cells[0].WallTime.BootS += boot.Seconds()
		}
	}()
	// Either server dying ends the measurement at once, as in Runner.Run.
	mctx, cancel := context.WithCancel(head.ctx)
	defer cancel()
	defer context.AfterFunc(base.ctx, cancel)()

	for _, j := range w.endpoints {
		e := cfg.Endpoints[j]
		started := time.Now()
		bc, hc := cfg.blankCell(shape, e), cfg.blankCell(shape, e)
		bm := base.meter(e, &bc, a.sideProgress("base"))
		hm := head.meter(e, &hc, a.sideProgress("head"))
		rng := rand.New(rand.NewPCG(a.Seed, uint64(w.index)<<16|uint64(j)))
		err := a.compare(mctx, bm, hm, rng)
		// A server's exit is the cause; what the generator saw then is a
		// consequence.
		if e := base.exited(); e != nil {
			err = &sideError{"base", e}
		} else if e := head.exited(); e != nil {
			err = &sideError{"head", e}
		}
		c := hc
		if err != nil {
			side := "head"
			var se *sideError
			if errors.As(err, &se) {
				side = se.side
			}
			c.Error, c.FailedSide = err.Error(), side
			c.LogExcerpt = map[string]*session{"base": base, "head": head}[side].p.LogExcerpt(
				excerptLines,
			)
			c.LogTail = append(
				prefixed("base: ", base.p.LogTail(tailLines/2)),
				prefixed("head: ", head.p.LogTail(tailLines/2))...)
			c.Log = logs.ref(logOf[side], true)
		} else {
			c = results.ComparePaired(bc, hc, a.Threshold, a.Seed)
		}
		c.WallTime = &results.WallTime{}
		c.WallTime.Add(bm.spent)
		c.WallTime.Add(hm.spent)
		c.WallTime.TotalS = time.Since(started).Seconds()
		cells = append(cells, c)
		baseCells = append(baseCells, bc)
		if ctx.Err() != nil {
			break
		}
	}
	setMemory(baseCells, base.memory())
	setMemory(cells, head.memory())
	for i := range cells {
		if cells[i].Log == "" {
			cells[i].Log = logs.ref(logOf["head"], false)
		}
		if cells[i].Base != nil {
			cells[i].Base.Memory = baseCells[i].Memory
			cells[i].Base.Log = logs.ref(logOf["base"], false)
		}
	}
	return cells, nil // stop is set as the servers start stopping
}

// openBoth boots base and head at once, each taking its time to load its
// app, and returns when both answer. On failure nothing is left running and
// the error is a *sideError around a *bootError, base's when both failed.
func (a *AB) openBoth(
	ctx context.Context,
	shape Shape,
	logOf map[string]string,
) (base, head *session, err error) {
	lb, err := a.launch("base", shape, a.BaseDir, a.BaseEnv, logOf["base"])
	if err != nil {
		return nil, nil, &sideError{"base", err}
	}
	lh, err := a.launch("head", shape, a.HeadDir, a.HeadEnv, logOf["head"])
	if err != nil {
		a.stop(lb.p, nil)
		return nil, nil, &sideError{"head", err}
	}
	base, err = a.attach(ctx, lb)
	if err != nil {
		a.stop(lh.p, nil)
		return nil, nil, &sideError{"base", err}
	}
	head, err = a.attach(ctx, lh)
	if err != nil {
		base.close(nil)
		return nil, nil, &sideError{"head", err}
	}
	return base, head, nil
}

// compare measures one endpoint on both sides: service times, pairs until
// the plan has its verdict, then each side's bursts and diagnostics. Its
// errors are *sideError.
func (a *AB) compare(ctx context.Context, bm, hm *meter, rng *rand.Rand) error {
	if err := serviceTimes(ctx, bm, hm); err != nil {
		return err
	}
	if _, err := a.pairs(ctx, bm, hm, rng); err != nil {
		return err
	}
	if err := bm.finish(ctx); err != nil {
		return &sideError{"base", err}
	}
	if err := hm.finish(ctx); err != nil {
		return &sideError{"head", err}
	}
	return nil
}

// serviceTimes measures S0 on both sides at once: one request at a time
// each, so the two servers share the machine at a concurrency of two at
// most, which costs an I/O-bound handler nothing and leaves a CPU-bound one
// a core each, and it halves the time S0 takes (it does not enter the
// verdict). Each side's progress lines are printed together once both are
// done. Its errors are *sideError, base's when both failed.
func serviceTimes(ctx context.Context, bm, hm *meter) error {
	ms := []*meter{bm, hm}
	errs := make([]error, len(ms))
	held := make([][]func(), len(ms))
	progress := []func(string, ...any){bm.progress, hm.progress}
	started := time.Now()
	var wg sync.WaitGroup
	for i, m := range ms {
		m.progress = func(format string, a ...any) {
			held[i] = append(held[i], func() { progress[i](format, a...) })
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = m.serviceTime(ctx)
		}()
	}
	wg.Wait()
	for i, m := range ms {
		m.progress = progress[i]
		for _, p := range held[i] {
			p()
		}
	}
	// The cell's wall time counts the two at once once.
	bm.spent.ServiceTimeS, hm.spent.ServiceTimeS = time.Since(started).Seconds(), 0
	for i, side := range []string{"base", "head"} {
		if errs[i] != nil {
			return &sideError{side, errs[i]}
		}
	}
	return nil
}

// pairs runs interleaved pairs of trials until the sequential plan has its
// verdict, and returns that decision. Its errors are *sideError.
func (a *AB) pairs(ctx context.Context, bm, hm *meter, rng *rand.Rand) (stats.Decision, error) {
	seq := stats.NewSequential(a.plan, a.Threshold)
	for k := seq.Next(); k > 0; k = seq.Next() {
		for range k {
			var p stats.Pair
			first, second := bm, hm
			headFirst := rng.IntN(2) == 1
			if headFirst {
				first, second = hm, bm
			}
			x1, err := first.trial(ctx)
			if err != nil {
				return stats.Decision{}, &sideError{sideName(headFirst), err}
			}
			x2, err := second.trial(ctx)
			if err != nil {
				return stats.Decision{}, &sideError{sideName(!headFirst), err}
			}
			if headFirst {
				p = stats.Pair{Base: x2, Head: x1}
			} else {
				p = stats.Pair{Base: x1, Head: x2}
			}
			seq.Add(p)
			a.trialDone()
			a.progress(
				"      %s: pair %d: base %.1f, head %.1f req/s (%+.1f%%)",
				hm.cell.Name(),
				len(seq.Pairs()),
				p.Base,
				p.Head,
				100*(p.Head/p.Base-1),
			)
		}
	}
	return seq.Decision(), nil
}

func sideName(head bool) string {
	if head {
		return "head"
	}
	return "base"
}

func (a *AB) sideProgress(side string) func(string, ...any) {
	return func(format string, args ...any) {
		a.progress(strings.Replace(format, ": ", " ("+side+"): ", 1), args...)
	}
}

func prefixed(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + l
	}
	return out
}
