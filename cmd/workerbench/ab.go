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
	"github.com/workerbench/workerbench/bench/results"
)

// abFlags are the flags ab adds to run's, bound to the engine's options.
type abFlags struct {
	opts             bench.ABOptions
	baseEnv, headEnv multiFlag
	threshold        thresholdFlag
	failOnRegression bool
}

// register binds the flags to fs, from the defaults. parseRunFlags may
// call it twice (again over a config file), so it starts afresh each time.
func (f *abFlags) register(fs *flag.FlagSet) {
	*f = abFlags{opts: bench.DefaultABOptions()}
	f.threshold = thresholdFlag(f.opts.Threshold)
	fs.StringVar(&f.opts.BaseDir, "base-dir", "", "working `DIR` of the base version (required)")
	fs.StringVar(&f.opts.HeadDir, "head-dir", "", "working `DIR` of the head version (required)")
	fs.Var(
		&f.baseEnv,
		"base-env",
		"extra environment `KEY=VALUE` for the base server only (repeatable)",
	)
	fs.Var(
		&f.headEnv,
		"head-env",
		"extra environment `KEY=VALUE` for the head server only (repeatable)",
	)
	fs.Var(
		&f.threshold,
		"threshold",
		"smallest throughput change worth reporting, `PCT` like 5% or 0.05",
	)
	fs.IntVar(
		&f.opts.MaxPairs,
		"max-pairs",
		f.opts.MaxPairs,
		"pairs per cell before giving up as inconclusive",
	)
	fs.IntVar(
		&f.opts.ConfirmPairs,
		"confirm-pairs",
		f.opts.ConfirmPairs,
		"extra pairs that must uphold a regression before it is reported",
	)
	fs.Uint64Var(
		&f.opts.Seed,
		"seed",
		0,
		"seed of the pair order (default: from the clock; recorded in results)",
	)
	fs.BoolVar(
		&f.failOnRegression,
		"fail-on-regression",
		false,
		"exit 3 when the verdict is regressed",
	)
}

// options are the engine's options as the flags set them.
func (f *abFlags) options() bench.ABOptions {
	o := f.opts
	o.BaseEnv, o.HeadEnv, o.Threshold = f.baseEnv, f.headEnv, float64(f.threshold)
	return o
}

func abCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var af abFlags
	var asJSON bool
	f, err := parseRunLine("ab", bench.DefaultABConfig(), args,
		func(fs *flag.FlagSet) {
			af.register(fs)
			fs.BoolVar(&asJSON, "json", false, jsonUsage)
		},
		func(cfg *bench.Config) error { return af.options().Validate(cfg) })
	if err != nil {
		return err
	}
	table := stdout
	if asJSON {
		table = stderr
	}
	a, err := bench.NewAB(
		bench.Runner{Config: f.cfg, Version: buildVersion().Version},
		af.options(),
	)
	if err != nil {
		return usageError{err}
	}
	endStatus := func() {}
	if !f.quiet {
		a.Progress = stderr
		if isTerminal(stderr) {
			l := newStatusLine(stderr, "pair")
			a.Progress, a.OnStatus, endStatus = l, l.Update, l.Close
		}
	}
	if f.out != "" {
		if err := os.MkdirAll(f.out, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		a.LogDir = filepath.Join(f.out, "logs")
		a.Save = func(res *results.Run) error { return writeResults(f.out, res) }
	}
	start := time.Now()
	res, runErr := a.Run(ctx)
	endStatus()
	if res == nil {
		return runErr
	}
	if err := report.Table(table, res); err != nil {
		return err
	}
	if f.verbose {
		if err := report.WallTime(stderr, res); err != nil {
			return err
		}
	}
	if !f.quiet {
		fmt.Fprintf(
			stderr,
			"compared %s in %s%s (seed %d)\n",
			report.Plural(len(res.Cells), "cell"),
			time.Since(start).Round(time.Second),
			setupNote(res),
			a.Seed,
		)
	}
	if f.out != "" {
		if err := writeOutputs(f.out, res); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if runErr == nil && af.failOnRegression && res.Verdict == results.Regressed {
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
