package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// TestCrashKeepsLastCompleteState: workerbench killed by SIGKILL in the
// middle of its second cell leaves results.json and summary.md as they were
// after the first cell, complete and valid (each is replaced by a rename,
// never rewritten in place).
func TestCrashKeepsLastCompleteState(t *testing.T) {
	if testing.Short() {
		t.Skip("builds workerbench and runs real servers")
	}
	bin := buildCLI(t)
	dir, out := t.TempDir(), t.TempDir()
	r := startCLI(t, bin, "run", "--cmd", bin+" demo-server --bind {bind} --workers {workers} --threads {threads} --sleep 20ms",
		"--dir", dir, "--health", "/health", "--matrix", "1x1,1x2", "--duration", "30s", "--requests", "100", "--warmup", "100ms", "--sequential", "10", "--out", out)
	r.waitLine(t, "1x2: service time", time.Minute)
	if err := r.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	waitNoServers(t, dir, 5*time.Second)
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Interrupted || len(res.Cells) != 1 || res.Cells[0].Name() != "1x1" || res.Cells[0].Failed() {
		t.Errorf("results.json after the crash: interrupted %v, cells %+v; want the 1x1 cell alone", res.Interrupted, res.Cells)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(md), "1×1") && !strings.Contains(string(md), "1x1") {
		t.Errorf("summary.md after the crash: %v\n%s", err, md)
	}
}

// TestCorruptResultsReported: plot and compare refuse a corrupt, truncated
// or foreign results file with exit 2 and a message naming the file.
func TestCorruptResultsReported(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	data, _ := json.Marshal(&results.Run{Schema: results.Schema, Cells: []results.Cell{{Workers: 1, Threads: 1, Slots: 1, ThroughputRPS: 10, Trials: []results.Trial{{ThroughputRPS: 10}}}}})
	os.WriteFile(good, data, 0o644)
	files := map[string]string{
		"truncated.json": string(data[:len(data)/2]),
		"empty.json":     "",
		"foreign.json":   `{"schema": "someone-else/v1", "cells": []}`,
		"hostile.json":   `{"schema": "workerbench/results/v1", "cells": [{"workers": -1, "threads": 99999}]}`,
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(content), 0o644)
		for _, args := range [][]string{
			{"plot", path, "--out", filepath.Join(dir, "charts")},
			{"compare", good, path},
			{"compare", path, good},
		} {
			code, stdout, stderr := runCLI(t, args...)
			if code != exitUsage || !strings.Contains(stderr, path) || stdout != "" {
				t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d, nothing on stdout and the path on stderr", args, code, stdout, stderr, exitUsage)
			}
		}
	}
}

// TestHostileServerTextEscaped: a server's log lines, its error and the
// directory it runs in reach summary.md escaped: no raw HTML, no @-mention,
// no broken code fence, whatever the server prints.
func TestHostileServerTextEscaped(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a real (failing) server")
	}
	const hostile = "</details><img src=x onerror=alert(1)> @everyone #1 ```` | a | b |"
	dir := filepath.Join(t.TempDir(), "<b>@here ``` |x|")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "srv.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho '"+hostile+"' >&2\necho '```' >&2\necho '"+hostile+"' >&2\nexit 3\n"), 0o755)
	out := t.TempDir()
	code, _, stderr := runCLI(t, "run", "--cmd", "'"+script+"' {bind}", "--dir", dir, "--matrix", "1x1", "--out", out, "--quiet")
	if code != exitError {
		t.Fatalf("exit %d, want %d: %s", code, exitError, stderr)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "alert(1)") {
		t.Fatalf("summary.md does not show the server's log:\n%s", md)
	}
	prose := outsideFences(string(md))
	for _, bad := range []string{"<img", "@everyone", "@here", "<b>", "</details><img"} {
		if strings.Contains(prose, bad) {
			t.Errorf("summary.md has %q outside code blocks:\n%s", bad, md)
		}
	}
	if strings.Count(prose, "<details>") != strings.Count(prose, "</details>") {
		t.Errorf("summary.md: <details> and </details> do not pair up:\n%s", md)
	}
}

// outsideFences returns the Markdown text outside fenced code blocks
// (CommonMark: a fence of n backticks is closed by at least n).
func outsideFences(md string) string {
	var b strings.Builder
	fence := 0
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		n := len(trimmed) - len(strings.TrimLeft(trimmed, "`"))
		switch {
		case fence == 0 && n >= 3:
			fence = n
		case fence > 0 && n >= fence && strings.TrimSpace(trimmed[n:]) == "":
			fence = 0
		case fence == 0:
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
