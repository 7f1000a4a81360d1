package results

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// validResults is a small results file with one measured and one failed
// cell.
func validResults(t testing.TB) []byte {
	r := &Run{
		Schema:  Schema,
		Host:    Host{CPUs: 2, OS: "linux", Arch: "amd64"},
		Command: "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app",
		Deployed: &Deployed{Cell: "1x3", Workers: 1, Threads: 3, Profile: "gunicorn", App: "app:app",
			Args: []string{"--preload"}, WorkersExpr: "$WEB_CONCURRENCY default 1",
			Sources: []Source{{File: "Procfile", Line: 1, What: "web process"},
				{What: "WEB_CONCURRENCY in the environment"}},
			Machine: &Machine{CPUs: 1, MemoryMiB: 512}},
		Recommendation: &Recommendation{Workers: 2, Threads: 8, TargetCPUs: 1, Reasons: []string{"x"},
			VsDeployed: &VersusDeployed{
				Measured:             &Versus{Config: "1x3", Deployed: "1x3", ThroughputRatio: 1, PSSRatio: 1},
				Target:               &Versus{Config: "2x8", Deployed: "1x3", ThroughputRatio: 2.4, PSSRatio: 1.1},
				TargetFromDeployment: true}},
		Cells: []Cell{
			{
				Workers:       1,
				Threads:       3,
				Slots:         3,
				Mode:          "closed",
				Connections:   9,
				Requests:      300,
				ServiceTimeS:  0.1,
				ThroughputRPS: 29.4,
				Concurrency:   2.94,
				Efficiency:    0.98,
				Trials: []Trial{
					{ThroughputRPS: 29.4, Concurrency: 2.94},
				},
				Bursts: []Burst{
					{Size: 5, Waves: []int{3, 2}, Requests: []BurstRequest{{EndS: 0.1}}},
				},
			},
			{
				Workers: 3,
				Threads: 1,
				Slots:   3,
				Mode:    "closed",
				Error:   "server exited during startup (exit status 3)",
				LogTail: []string{"ImportError: x"},
			},
		},
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDecodeResultsRejects: a corrupt, truncated, foreign, hostile or
// oversize file is an error that says what is wrong, never trusted.
func TestDecodeResultsRejects(t *testing.T) {
	good := validResults(t)
	if _, err := Decode(bytes.NewReader(good)); err != nil {
		t.Fatalf("valid file: %v", err)
	}
	for _, tt := range []struct {
		name string
		data string
		want string
	}{
		{"empty", "", "not valid results JSON"},
		{"truncated", string(good[:len(good)/2]), "not valid results JSON (corrupt or truncated?)"},
		{"garbage", "\x00\x01PNG", "not valid results JSON"},
		{"no schema", `{"cells": []}`, `no "schema" field`},
		{"other schema", `{"schema": "workerbench/results/v9", "cells": []}`, `schema "workerbench/results/v9" is not "workerbench/results/v1"`},
		{"array", `[1, 2]`, "not valid results JSON"},
		{"zero workers", `{"schema": "workerbench/results/v1", "cells": [{"workers": 0, "threads": 1}]}`, "cells[0]: workers and threads must be ≥ 1"},
		{"absurd threads", `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 100000}]}`, "beyond any real configuration"},
		{"wrong type", `{"schema": "workerbench/results/v1", "cells": [{"workers": "three"}]}`, "not valid results JSON"},
		{"negative burst", `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, "bursts": [{"size": -1}]}]}`, "out of range"},
		{"bad base cell", `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, "base": {"workers": 0, "threads": 1}}]}`, "cells[0].base: workers and threads must be ≥ 1"},
		{"base of another shape", `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, "base": {"workers": 2, "threads": 1}}]}`, "cells[0].base is 2x1, not 1x1"},
		{"nested base", `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, "base": {"workers": 1, "threads": 1, "base": {"workers": 1, "threads": 1}}}]}`, "has a base of its own"},
		{"too many dependency files", `{"schema": "workerbench/results/v1", "cells": [], "dependencies": {"changed": [` +
			strings.Repeat(`"a",`, 1000) + `"b"]}}`, "dependencies.changed lists 1001 files"},
		{"deployed cell unlike its numbers", `{"schema": "workerbench/results/v1", "cells": [], "deployed": {"cell": "3x3", "workers": 3, "threads": 2, "profile": "gunicorn", "sources": [{"file": "Procfile", "line": 1}]}}`,
			`deployed: cell "3x3" is not its workers and threads, 3x2`},
		{"deployed by an unknown server", `{"schema": "workerbench/results/v1", "cells": [], "deployed": {"cell": "3x2", "workers": 3, "threads": 2, "profile": "<img>", "sources": [{"file": "Procfile", "line": 1}]}}`,
			`deployed: profile "<img>": want gunicorn,`},
		{"deployed from nowhere", `{"schema": "workerbench/results/v1", "cells": [], "deployed": {"cell": "3x2", "workers": 3, "threads": 2, "profile": "gunicorn", "sources": []}}`,
			`deployed: sources: 0, want 1 to 32`},
		{"deployed app too long", `{"schema": "workerbench/results/v1", "cells": [], "deployed": {"cell": "3x2", "workers": 3, "threads": 2, "profile": "gunicorn", "app": "` + strings.Repeat("a", 300) + `", "sources": [{"file": "Procfile", "line": 1}]}}`,
			`deployed: app: 300 bytes, want at most 256`},
		{"deployed args beyond their limit", `{"schema": "workerbench/results/v1", "cells": [], "deployed": {"args": [` + strings.Repeat(`"a",`, 64) + `"b"]}}`,
			`deployed.args: more than 64 elements`},
		{"deployed machine absurd", `{"schema": "workerbench/results/v1", "cells": [], "deployed": {"cell": "3x2", "workers": 3, "threads": 2, "profile": "gunicorn", "sources": [{"file": "fly.toml"}], "machine": {"cpus": -1}}}`,
			`deployed: machine: -1 CPUs`},
		{"base deployed bad", `{"schema": "workerbench/results/v1", "cells": [], "base_deployed": {"cell": "0x2", "workers": 0, "threads": 2, "profile": "gunicorn", "sources": [{"file": "Procfile"}]}}`,
			`base_deployed: 0x2 is not a configuration`},
		{"versus a free text cell", `{"schema": "workerbench/results/v1", "cells": [], "recommendation": {"vs_deployed": {"target": {"config": "@everyone", "deployed": "3x2"}}}}`,
			`recommendation.vs_deployed.target.config "@everyone": want WORKERSxTHREADS`},
		{"versus a negative ratio", `{"schema": "workerbench/results/v1", "cells": [], "recommendation": {"vs_deployed": {"measured": {"config": "2x8", "deployed": "3x2", "pss_ratio": -1}}}}`,
			`recommendation.vs_deployed.measured: a ratio of -1 is out of range`},
		{"hostile base burst", `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, "base": {"workers": 1, "threads": 1, "bursts": [{"size": -5}]}}]}`, "cells[0].base.bursts[0]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode(strings.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("DecodeResults = %v, %v; want an error containing %q", r, err, tt.want)
			}
		})
	}
}

// endless is an infinite stream of spaces.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

// TestDecodeResultsSizeLimit: an endless or huge artifact is refused after
// MaxSize bytes, not read into memory.
func TestDecodeResultsSizeLimit(t *testing.T) {
	counted := &countingReader{r: endless{}}
	_, err := Decode(counted)
	if err == nil || !strings.Contains(err.Error(), "larger than 32 MiB") {
		t.Fatalf("Decode(endless) = %v, want a size error", err)
	}
	if counted.n > MaxSize+1<<16 {
		t.Errorf("read %d bytes of an endless stream, want about %d", counted.n, MaxSize)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestReadResultsNamesThePath: the error says which file is bad.
func TestReadResultsNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "results.json")
	os.WriteFile(path, validResults(t)[:100], 0o644)
	_, err := Read(path)
	if err == nil || !strings.Contains(err.Error(), path) ||
		!strings.Contains(err.Error(), "truncated") {
		t.Errorf("Read(truncated) = %v, want the path and the reason", err)
	}
}

// TestWriteResultsAtomicLeavesOldOrNew: WriteResults replaces the file in
// one rename; no temporary file is left behind, and a reader never sees a
// partial file (a rename is atomic, so checking after each write suffices
// for the file; the crash case is TestCrashKeepsLastCompleteState in
// cmd/workerbench).
func TestWriteResultsAtomicLeavesOldOrNew(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "results.json")
	for n := 1; n <= 3; n++ {
		r, err := Decode(bytes.NewReader(validResults(t)))
		if err != nil {
			t.Fatal(err)
		}
		r.Cells = r.Cells[:n%2+1]
		if err := Write(path, r); err != nil {
			t.Fatal(err)
		}
		got, err := Read(path)
		if err != nil || len(got.Cells) != n%2+1 {
			t.Fatalf("after write %d: %v cells, %v", n, got, err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v, want results.json alone", names)
	}
}

// FuzzDecodeResults: whatever an artifact holds, DecodeResults either
// refuses it or returns results that pass validation and survive a round
// trip through WriteResults' encoding.
func FuzzDecodeResults(f *testing.F) {
	good := validResults(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte(`{"schema": "workerbench/results/v1", "cells": []}`))
	f.Add(
		[]byte(
			`{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, "latency_s": {"p50": 1e308}}]}`,
		),
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			if r != nil {
				t.Fatalf("DecodeResults returned results with error %v", err)
			}
			return
		}
		if r.Schema != Schema {
			t.Fatalf("accepted schema %q", r.Schema)
		}
		for _, c := range r.Cells {
			if c.Workers < 1 || c.Threads < 1 || c.Workers > 1024 || c.Threads > 1024 {
				t.Fatalf("accepted cell %dx%d", c.Workers, c.Threads)
			}
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("accepted results do not encode: %v", err)
		}
		again, err := Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-encoded results do not decode: %v\n%s", err, out)
		}
		if len(again.Cells) != len(r.Cells) {
			t.Fatalf("round trip: %d cells, then %d", len(r.Cells), len(again.Cells))
		}
	})
}

// TestBest: one rule for the best cell, used by the summary's heading and
// the action's best-config output: the highest throughput (not the highest
// concurrency, which a slower service time inflates), among the first
// endpoint's cells, the cheaper configuration on a tie.
func TestBest(t *testing.T) {
	r := &Run{Cells: []Cell{
		{Workers: 1, Threads: 1, ThroughputRPS: 50, Concurrency: 1},
		{Workers: 4, Threads: 1, ThroughputRPS: 90, Concurrency: 2.2},
		{Workers: 1, Threads: 4, ThroughputRPS: 60, Concurrency: 3.9}, // slow S0: high K, low X
		{Workers: 2, Threads: 2, ThroughputRPS: 90, Concurrency: 2.2, Slots: 4},
		{Workers: 8, Threads: 8, Error: "server exited"},
	}}
	r.Cells[1].Slots = 4
	if c, ok := r.Best(); !ok || c.Name() != "2x2" {
		t.Errorf(
			"Best = %s, %v; want 2x2 (ties 4x1 on throughput with fewer workers)",
			c.Name(),
			ok,
		)
	}
	multi := &Run{Cells: []Cell{
		{Workers: 1, Threads: 1, Endpoint: "cpu", ThroughputRPS: 40},
		{Workers: 2, Threads: 1, Endpoint: "sleep", ThroughputRPS: 400},
		{Workers: 2, Threads: 1, Endpoint: "cpu", ThroughputRPS: 80},
	}}
	if c, _ := multi.Best(); c.Name() != "2x1 cpu" {
		t.Errorf(
			"Best = %s, want 2x1 cpu: throughputs of different endpoints do not compare",
			c.Name(),
		)
	}
	if _, ok := (&Run{Cells: []Cell{{Workers: 1, Threads: 1, Error: "x"}}}).Best(); ok {
		t.Error("Best found a cell among failed ones")
	}
}

// TestDerived: the facts the renderers share have one owner here.
func TestDerived(t *testing.T) {
	for _, tt := range []struct {
		name string
		r    Run
		want float64
	}{
		{"default", Run{}, DefaultThreshold},
		{"settings", Run{Settings: Settings{Threshold: 0.03}}, 0.03},
		{"overall first", Run{Settings: Settings{Threshold: 0.03}, RunComparison: RunComparison{Overall: &Overall{Threshold: 0.1}}}, 0.1},
	} {
		if got := tt.r.Threshold(); got != tt.want {
			t.Errorf("Threshold of %s: %v, want %v", tt.name, got, tt.want)
		}
	}
	run := Run{Cells: []Cell{{Workers: 1, Threads: 1}}}
	compared := Run{
		Cells: []Cell{
			{
				Workers:    1,
				Threads:    1,
				Comparison: Comparison{Base: &Cell{Workers: 1, Threads: 1}, Verdict: Regressed},
			},
		},
	}
	if run.IsComparison() || !compared.IsComparison() {
		t.Errorf("IsComparison: run %v, compared %v", run.IsComparison(), compared.IsComparison())
	}
	if v := compared.OverallVerdict(); v != Regressed {
		t.Errorf("OverallVerdict from the cells = %q, want regressed", v)
	}
	compared.Verdict = Inconclusive
	if v := compared.OverallVerdict(); v != Inconclusive {
		t.Errorf("OverallVerdict = %q, want the recorded inconclusive", v)
	}
}
