package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/proctree"
	"github.com/workerbench/workerbench/bench/stats"
)

// AB compares a base and a head version of the same server, cell by cell,
// on this machine.
//
// For each cell both servers are booted once and run side by side (one
// idles while the other is loaded), and closed-loop trials alternate
// between them in pairs whose order is drawn from a seeded random source.
// Each trial is a fresh load window with its own warm-up, not a fresh boot:
// a boot costs seconds plus the service-time measurement, and pairs taken
// seconds apart on the same two servers see the same machine (noisy
// neighbours, clock changes), which is what makes pairing remove noise.
// What this does not sample is boot-to-boot variation of one version;
// the calibration (see README) measured how often that causes false alarms.
type AB struct {
	Runner
	BaseDir, HeadDir string
	BaseEnv, HeadEnv []string // extra environment per side
	Threshold        float64  // fraction; 0 means stats.DefaultThreshold
	Plan             stats.Plan
	Seed             uint64
}

// Run measures every cell on both sides and returns head's results with
// the comparison filled in. Failed cells and interrupts behave as in
// Runner.Run.
func (a *AB) Run(ctx context.Context) (*Results, error) {
	cfg := a.Config
	if a.Threshold == 0 {
		a.Threshold = stats.DefaultThreshold
	}
	res := &Results{
		Schema: Schema, Version: a.Version, Host: ThisHost(),
		Command: cfg.Command, BaseCommand: cfg.Command,
		Dir: a.HeadDir, BaseDir: a.BaseDir,
		Started:  time.Now().UTC().Format(time.RFC3339),
		Settings: cfg.settings(),
	}
	res.Settings.Threshold = a.Threshold
	res.Settings.Seed = int64(a.Seed)
	logDir, cleanup, err := a.logDir()
	if err != nil {
		return nil, err
	}
	defer cleanup()

	var failed []string
	for i, shape := range cfg.Matrix {
		a.progress("[%d/%d] %s: starting base and head servers", i+1, len(cfg.Matrix), shape)
		cells := a.compareShape(ctx, i, shape, logDir)
		if ctx.Err() != nil {
			res.Interrupted = true
			a.finish(res)
			a.save(res)
			return res, ctx.Err()
		}
		for _, c := range cells {
			if c.Failed() {
				failed = append(failed, c.Name())
				a.progress("[%d/%d] %s: FAILED: %s", i+1, len(cfg.Matrix), c.Name(), c.Error)
				continue
			}
			a.progress("[%d/%d] %s: %s, head/base %.3f [%.3f, %.3f] after %d pairs", i+1, len(cfg.Matrix), c.Name(), c.Verdict, c.Ratio, c.CILow, c.CIHigh, c.ComparisonPairs)
		}
		res.Cells = append(res.Cells, cells...)
		a.finish(res)
		a.save(res)
	}
	if len(failed) > 0 {
		return res, fmt.Errorf("%w: %s", ErrCellsFailed, strings.Join(failed, ", "))
	}
	return res, nil
}

// finish sets the overall verdict from the cells so far.
func (a *AB) finish(res *Results) {
	v, o := OverallVerdict(res.Cells, a.Threshold)
	res.Verdict, res.Overall = v, &o
}

// compareShape boots base and head for one shape and compares every
// endpoint. Both servers are always stopped.
func (a *AB) compareShape(ctx context.Context, index int, shape Shape, logDir string) (cells []Cell) {
	cfg := a.Config
	fail := func(side string, err error) []Cell {
		var be *bootError
		var tail []string
		if errors.As(err, &be) {
			tail = be.tail
		}
		out := cfg.failedCells(shape, fmt.Errorf("%s: %w", side, err), tail)
		return out
	}
	baseLog := filepath.Join(logDir, "server-base-"+shape.String()+".log")
	headLog := filepath.Join(logDir, "server-head-"+shape.String()+".log")
	base, baseAddr, err := a.boot(ctx, "base", shape, a.BaseDir, a.BaseEnv, baseLog)
	if err != nil {
		return fail("base", err)
	}
	var baseCells []Cell
	defer func() { a.stop(base, baseCells) }()
	head, headAddr, err := a.boot(ctx, "head", shape, a.HeadDir, a.HeadEnv, headLog)
	if err != nil {
		return fail("head", err)
	}
	defer func() { a.stop(head, cells) }()

	baseWatch := proctree.Watch(ctx, base.Pgid(), time.Second)
	headWatch := proctree.Watch(ctx, head.Pgid(), time.Second)
	for j, e := range cfg.Endpoints {
		bc, hc := cfg.blankCell(shape, e), cfg.blankCell(shape, e)
		bm := &meter{cfg: cfg, pgid: base.Pgid(), target: cfg.target(baseAddr, e), cell: &bc, progress: a.sideProgress("base")}
		hm := &meter{cfg: cfg, pgid: head.Pgid(), target: cfg.target(headAddr, e), cell: &hc, progress: a.sideProgress("head")}
		rng := rand.New(rand.NewPCG(a.Seed, uint64(index)<<16|uint64(j)))
		err := serviceTimes(ctx, bm, hm)
		if err == nil {
			_, err = a.pairs(ctx, bm, hm, rng)
		}
		if err == nil {
			if err = bm.finish(ctx); err != nil {
				err = fmt.Errorf("base: %w", err)
			}
		}
		if err == nil {
			if err = hm.finish(ctx); err != nil {
				err = fmt.Errorf("head: %w", err)
			}
		}
		if err != nil {
			hc.Error = err.Error()
			hc.LogTail = append(prefixed("base: ", base.LogTail(10)), prefixed("head: ", head.LogTail(10))...)
			cells = append(cells, hc)
		} else {
			cells = append(cells, ComparePaired(bc, hc, a.Threshold, a.Seed))
		}
		baseCells = append(baseCells, bc)
		if ctx.Err() != nil {
			break
		}
	}
	setMemory(baseCells, baseWatch.Stop())
	setMemory(cells, headWatch.Stop())
	for i := range cells {
		cells[i].Log = a.logRef(headLog)
		if cells[i].Base != nil {
			cells[i].Base.Memory = baseCells[i].Memory
			cells[i].Base.Log = a.logRef(baseLog)
		}
	}
	return cells
}

// serviceTimes measures S0 on both sides.
func serviceTimes(ctx context.Context, bm, hm *meter) error {
	if err := bm.serviceTime(ctx); err != nil {
		return fmt.Errorf("base: %w", err)
	}
	if err := hm.serviceTime(ctx); err != nil {
		return fmt.Errorf("head: %w", err)
	}
	return nil
}

// pairs runs interleaved pairs of trials until the sequential plan has its
// verdict, and returns that decision.
func (a *AB) pairs(ctx context.Context, bm, hm *meter, rng *rand.Rand) (stats.Decision, error) {
	seq := stats.NewSequential(a.Plan, a.Threshold)
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
				return stats.Decision{}, fmt.Errorf("%s: %w", sideName(headFirst), err)
			}
			x2, err := second.trial(ctx)
			if err != nil {
				return stats.Decision{}, fmt.Errorf("%s: %w", sideName(!headFirst), err)
			}
			if headFirst {
				p = stats.Pair{Base: x2, Head: x1}
			} else {
				p = stats.Pair{Base: x1, Head: x2}
			}
			seq.Add(p)
			a.progress("      %s: pair %d: base %.1f, head %.1f req/s (%+.1f%%)", hm.cell.Name(), len(seq.Pairs()), p.Base, p.Head, 100*(p.Head/p.Base-1))
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
