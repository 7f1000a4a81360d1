package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/charts"
)

func compareCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCmdLine("compare")
	fs := cl.fs
	threshold := thresholdFlag(results.DefaultThreshold)
	fs.Var(
		&threshold,
		"threshold",
		"smallest throughput change worth reporting, `PCT` like 5% or 0.05",
	)
	fail := fs.Bool("fail-on-regression", false, "exit 3 when the verdict is regressed")
	out := fs.String(
		"out",
		"",
		"write the comparison's results.json, summary.md and charts to `DIR`",
	)
	asJSON := fs.Bool("json", false, jsonUsage)
	files, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(files) != 2 {
		cl.problemf("compare takes two results files, BASE.json HEAD.json; got %d", len(files))
	}
	if err := cl.err(); err != nil {
		return err
	}
	base, err := results.Read(files[0])
	if err != nil {
		return usagef("base: %w", err)
	}
	head, err := results.Read(files[1])
	if err != nil {
		return usagef("head: %w", err)
	}
	res, err := results.Compare(base, head, float64(threshold))
	if err != nil {
		return usageError{err}
	}
	return reportComparison(res, *out, *fail, *asJSON, stdout, stderr)
}

// reportComparison ends compare and merge: res's warnings on stderr, its
// table on stdout (or with asJSON its results.json, and the table on
// stderr), the outputs in out (when set), and errRegression when
// failOnRegression is set and res regressed.
func reportComparison(
	res *results.Run,
	out string,
	failOnRegression, asJSON bool,
	stdout, stderr io.Writer,
) error {
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", report.Plain(w))
	}
	table := stdout
	if asJSON {
		table = stderr
	}
	if err := report.Table(table, res); err != nil {
		return err
	}
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		if err := writeOutputs(out, res); err != nil {
			return err
		}
	}
	if asJSON {
		if err := writeJSON(stdout, res); err != nil {
			return err
		}
	}
	if failOnRegression && res.Verdict == results.Regressed {
		return errRegression
	}
	return nil
}

func plotCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCmdLine("plot")
	out := cl.fs.String("out", "", "`DIR` to write the charts to (required)")
	files, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		cl.problemf("plot takes one results file, got %d", len(files))
	}
	if *out == "" {
		cl.problemf("plot: --out DIR is required")
	}
	if err := cl.err(); err != nil {
		return err
	}
	res, err := results.Read(files[0])
	if err != nil {
		return usageError{err}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	paths, err := charts.Write(res, *out)
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	if err != nil {
		return fmt.Errorf("render charts: %w", err)
	}
	return nil
}
