package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/stats"
)

// abOptions are the flags ab adds to run's.
type abOptions struct {
	baseDir, headDir string
	baseEnv, headEnv multiFlag
	threshold        thresholdFlag
	maxPairs         int
	confirmPairs     int
	seed             uint64
	failOnRegression bool
}

func (o *abOptions) register(fs *flag.FlagSet) {
	o.threshold = thresholdFlag(stats.DefaultThreshold)
	fs.StringVar(&o.baseDir, "base-dir", "", "working `DIR` of the base version (required)")
	fs.StringVar(&o.headDir, "head-dir", "", "working `DIR` of the head version (required)")
	fs.Var(&o.baseEnv, "base-env", "extra environment `KEY=VALUE` for the base server only (repeatable)")
	fs.Var(&o.headEnv, "head-env", "extra environment `KEY=VALUE` for the head server only (repeatable)")
	fs.Var(&o.threshold, "threshold", "smallest throughput change worth reporting, `PCT` like 5% or 0.05")
	fs.IntVar(&o.maxPairs, "max-pairs", stats.DefaultPlan().Max, "pairs per cell before giving up as inconclusive")
	fs.IntVar(&o.confirmPairs, "confirm-pairs", stats.DefaultPlan().Confirm, "extra pairs that must uphold a regression before it is reported")
	fs.Uint64Var(&o.seed, "seed", 0, "seed of the pair order (default: from the clock; recorded in results)")
	fs.BoolVar(&o.failOnRegression, "fail-on-regression", false, "exit 3 when the verdict is regressed")
}

// abDefaults are run's defaults with windows short enough for the dozens
// of trials a verdict takes; a window is still lengthened per cell until
// each connection completes several requests.
func abDefaults() bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Duration = time.Second
	cfg.Warmup = 500 * time.Millisecond
	cfg.Trials = stats.DefaultPlan().Initial
	return cfg
}

func abCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o abOptions
	f, err := parseRunFlags("ab", abDefaults(), args, stderr, o.register)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var errs []error
	for _, d := range []struct{ flag, dir string }{{"--base-dir", o.baseDir}, {"--head-dir", o.headDir}} {
		if d.dir == "" {
			errs = append(errs, fmt.Errorf("%s is required", d.flag))
		} else if fi, err := os.Stat(d.dir); err != nil || !fi.IsDir() {
			errs = append(errs, fmt.Errorf("%s %q: not a directory", d.flag, d.dir))
		}
	}
	for _, e := range append(append([]string{}, o.baseEnv...), o.headEnv...) {
		if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
			errs = append(errs, fmt.Errorf("--base-env/--head-env %q: want KEY=VALUE", e))
		}
	}
	if o.maxPairs < f.cfg.Trials {
		errs = append(errs, fmt.Errorf("--max-pairs %d is less than --trials %d", o.maxPairs, f.cfg.Trials))
	}
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}
	if o.seed == 0 {
		o.seed = uint64(time.Now().UnixNano())
	}
	a := &bench.AB{
		Runner:  bench.Runner{Config: f.cfg, Version: buildVersion().Version},
		BaseDir: o.baseDir, HeadDir: o.headDir,
		BaseEnv: o.baseEnv, HeadEnv: o.headEnv,
		Threshold: float64(o.threshold),
		Plan:      stats.Plan{Initial: f.cfg.Trials, Step: stats.DefaultPlan().Step, Max: o.maxPairs, Confirm: o.confirmPairs},
		Seed:      o.seed,
	}
	if !f.quiet {
		a.Progress = stderr
	}
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		a.LogDir = filepath.Join(f.out, "logs")
		a.Save = func(res *bench.Results) error { return writeResults(f.out, res) }
	}
	start := time.Now()
	res, runErr := a.Run(ctx)
	if res == nil {
		return runErr
	}
	if err := report.Table(stdout, res); err != nil {
		return err
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "compared %s in %s (seed %d)\n", report.Plural(len(res.Cells), "cell"), time.Since(start).Round(time.Second), o.seed)
	}
	if f.out != "" {
		if err := writeOutputs(f.out, res); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if runErr == nil && o.failOnRegression && res.Verdict == bench.Regressed {
		return errRegression
	}
	return runErr
}

// thresholdFlag is a fraction written as "5%" or "0.05".
type thresholdFlag float64

func (t *thresholdFlag) String() string { return fmt.Sprintf("%g%%", 100*float64(*t)) }

func (t *thresholdFlag) Set(s string) error {
	v, err := parseThreshold(s)
	if err != nil {
		return err
	}
	*t = thresholdFlag(v)
	return nil
}

// parseThreshold parses "5%" or "0.05" into a fraction in (0, 1).
func parseThreshold(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("threshold %q: want a percentage like 5%% or a fraction like 0.05", s)
	}
	if pct {
		v /= 100
	}
	if !(v > 0 && v < 1) {
		return 0, fmt.Errorf("threshold %q: must be between 0%% and 100%%", s)
	}
	return v, nil
}
