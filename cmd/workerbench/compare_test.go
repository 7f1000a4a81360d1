package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
)

// resultsFile writes a results file with one cell per name whose trials
// have throughput scaled by scale, and returns its path.
func resultsFile(t *testing.T, dir, name string, scale float64, host string, cells ...string) string {
	t.Helper()
	r := &results.Run{Schema: results.Schema, Host: results.Host{CPUs: 2, OS: "linux", Arch: "amd64", Hostname: host}, Command: "gunicorn --bind {bind} app:app", Settings: results.Settings{DurationS: 5}}
	for _, n := range cells {
		s, err := bench.ParseShape(n)
		if err != nil {
			t.Fatal(err)
		}
		c := results.Cell{Workers: s.Workers, Threads: s.Threads, Slots: s.Slots(), Mode: "closed", ServiceTimeS: 0.2}
		for i := range 12 {
			x := scale * float64(5*s.Slots()) * (1 + 0.002*float64(i%5-2))
			c.Trials = append(c.Trials, results.Trial{ThroughputRPS: x, Concurrency: x * 0.2})
		}
		c.ThroughputRPS = c.Trials[6].ThroughputRPS
		c.Concurrency = c.ThroughputRPS * 0.2
		r.Cells = append(r.Cells, c)
	}
	path := filepath.Join(dir, name)
	if err := results.Write(path, r); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareCommand(t *testing.T) {
	dir := t.TempDir()
	base := resultsFile(t, dir, "base.json", 1, "runner-a", "1x1", "3x3")
	same := resultsFile(t, dir, "same.json", 1, "runner-a", "1x1", "3x3")
	slower := resultsFile(t, dir, "slower.json", 0.85, "runner-a", "1x1", "3x3")
	otherHost := resultsFile(t, dir, "other.json", 1, "runner-b", "1x1", "3x3")
	fewer := resultsFile(t, dir, "fewer.json", 1, "runner-a", "1x1", "2x2")
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema": "workerbench/results/v1", "cells": [`), 0o644)
	foreign := filepath.Join(dir, "foreign.json")
	os.WriteFile(foreign, []byte(`{"schema": "benchstat/v9", "cells": []}`), 0o644)

	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr []string
	}{
		{"unchanged", []string{"compare", base, same}, 0, []string{"unchanged"}, nil},
		{"regressed", []string{"compare", base, slower}, 0, []string{"regressed", "-15.0%"}, nil},
		{"fail on regression", []string{"compare", "--fail-on-regression", base, slower}, exitRegression, []string{"regressed"}, []string{"throughput regressed"}},
		{"flags after the files", []string{"compare", base, slower, "--fail-on-regression"}, exitRegression, []string{"regressed"}, []string{"throughput regressed"}},
		{"flags between the files", []string{"compare", base, "--threshold", "20%", slower, "--fail-on-regression"}, 0, nil, nil},
		{"a file named like a flag after --", []string{"compare", base, "--", "--fail-on-regression"}, exitUsage, nil, []string{"--fail-on-regression: no such file"}},
		{"threshold above change", []string{"compare", "--threshold", "20%", base, slower}, 0, nil, nil},
		{"different hosts", []string{"compare", base, otherHost}, 0, nil, []string{"warning:", "runner-a", "runner-b"}},
		{"cells on one side", []string{"compare", base, fewer}, 0, []string{"1x1"}, []string{"warning:", "3x3", "2x2"}},
		{"corrupt", []string{"compare", base, corrupt}, exitUsage, nil, []string{"head: read results", "corrupt.json", "not valid results JSON"}},
		{"foreign schema", []string{"compare", foreign, base}, exitUsage, nil, []string{"base: read results", `schema "benchstat/v9" is not "workerbench/results/v1"`}},
		{"missing file", []string{"compare", base, filepath.Join(dir, "nope.json")}, exitUsage, nil, []string{"no such file"}},
		{"one file", []string{"compare", base}, exitUsage, nil, []string{"two results files"}},
		{"bad threshold", []string{"compare", "--threshold", "150%", base, same}, exitUsage, nil, []string{`threshold "150%": must be between 0% and 100%`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout, stderr)
			}
			for _, s := range tt.stdout {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.stderr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, stderr)
				}
			}
		})
	}
}

func TestPlotCommand(t *testing.T) {
	dir := t.TempDir()
	res := resultsFile(t, dir, "results.json", 1, "h", "1x1", "1x3", "3x1", "3x3")
	out := filepath.Join(dir, "charts")
	code, stdout, stderr := runCLI(t, "plot", res, "--out", out)
	if code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr)
	}
	for _, name := range []string{"concurrency.png", "concurrency.svg", "throughput.png", "heatmap.svg"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("plot did not write %s (stdout %q)", name, stdout)
		}
	}
	corrupt := filepath.Join(dir, "corrupt.json")
	os.WriteFile(corrupt, []byte("{\"schema\": \"workerbench/results/v1\", \"cells\": [{\"workers\": 0"), 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"plot", corrupt, "--out", out}, "not valid results JSON"},
		{[]string{"plot", res}, "--out DIR is required"},
		{[]string{"plot", "--out", out}, "one results file"},
		{[]string{"plot", "/no/such.json", "--out", out}, "no such file"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %d and %q", tt.args, code, stderr, exitUsage, tt.want)
		}
	}
}

func TestABBadInput(t *testing.T) {
	dir := t.TempDir()
	const cmd = "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app"
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no dirs", []string{"ab", "--cmd", cmd}, "--base-dir is required"},
		{"missing base", []string{"ab", "--cmd", cmd, "--base-dir", "/no/base", "--head-dir", dir}, `--base-dir "/no/base": not a directory`},
		{"missing head", []string{"ab", "--cmd", cmd, "--base-dir", dir, "--head-dir", "/no/head"}, `--head-dir "/no/head": not a directory`},
		{"bad threshold", []string{"ab", "--cmd", cmd, "--base-dir", dir, "--head-dir", dir, "--threshold", "five"}, `threshold "five"`},
		{"bad env", []string{"ab", "--cmd", cmd, "--base-dir", dir, "--head-dir", dir, "--head-env", "X"}, `"X": want KEY=VALUE`},
		{"pairs", []string{"ab", "--cmd", cmd, "--base-dir", dir, "--head-dir", dir, "--trials", "12", "--max-pairs", "4"}, "--max-pairs 4 is less than --trials 12"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitUsage || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitUsage, tt.want)
			}
		})
	}
}

// TestBestConfigMatchesSummary: the action's best-config output and the
// summary's heading name the same cell, by the one rule (Results.Best),
// here where the highest concurrency and the highest throughput differ.
func TestBestConfigMatchesSummary(t *testing.T) {
	res := &results.Run{Schema: results.Schema, Cells: []results.Cell{
		{Workers: 4, Threads: 1, Slots: 4, ThroughputRPS: 90, Concurrency: 2.2, Efficiency: 0.55},
		{Workers: 1, Threads: 4, Slots: 4, ThroughputRPS: 60, Concurrency: 3.9, Efficiency: 0.98},
	}}
	var md strings.Builder
	if err := report.Markdown(&md, res, report.MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	heading, _, _ := strings.Cut(md.String(), "\n")
	best := bestConfig(res)
	if best != "4x1" || !strings.Contains(heading, "best "+best+" = ") {
		t.Errorf("best-config %q, summary heading %q: want both to name 4x1", best, heading)
	}
}

// TestCompareAndPlotNeutraliseCommands: compare's warnings and table, and
// plot's list of charts, carry a hostile file's text with no workflow
// command in them.
func TestCompareAndPlotNeutraliseCommands(t *testing.T) {
	dir := t.TempDir()
	run := hostileRun()
	run.RunComparison = results.RunComparison{Warnings: []string{injection}}
	for i := range run.Cells {
		run.Cells[i].Comparison = results.Comparison{}
		run.Cells[i].Trials = []results.Trial{{ThroughputRPS: 80}, {ThroughputRPS: 90}, {ThroughputRPS: 85}}
	}
	head := filepath.Join(dir, "head.json")
	if err := results.Write(head, run); err != nil {
		t.Fatal(err)
	}
	run.Host.Hostname, run.Command = injection+"-base", injection+"-base"
	base := filepath.Join(dir, "base.json")
	if err := results.Write(base, run); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "compare", base, head)
	if code != exitOK || !strings.Contains(stderr, "warning: x ::warning title=FORGED::y") {
		t.Errorf("compare: exit %d\n%s%s", code, stdout, stderr)
	}
	checkNoCommands(t, "compare stdout", stdout)
	checkNoCommands(t, "compare stderr", stderr)
	code, stdout, stderr = runCLI(t, "plot", head, "--out", filepath.Join(dir, "charts"))
	if code != exitOK {
		t.Errorf("plot: exit %d\n%s", code, stderr)
	}
	checkNoCommands(t, "plot stdout", stdout)
	checkNoCommands(t, "plot stderr", stderr)
}
