package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

// pushResults writes the results of push i of a two-cell matrix, 3x3
// dropping 8% from push 12 on.
func pushResults(t *testing.T, dir string, i int) string {
	t.Helper()
	r := &results.Run{Schema: results.Schema, Version: "test",
		Host: results.Host{CPUs: 2, OS: "linux", Arch: "amd64"}, Command: "gunicorn --bind {bind} app:app",
		Settings: results.Settings{DurationS: 5, Trials: 2}, Started: fmt.Sprintf("2025-03-01T12:%02d:00Z", i%60)}
	for _, s := range []int{1, 3} {
		level := float64(10 * s * s)
		if s == 3 && i >= 12 {
			level *= 0.92
		}
		wiggle := 1 + 0.01*float64((i*7)%5-2) // ±2%, deterministic
		c := results.Cell{Workers: s, Threads: s, Slots: s * s, Mode: "closed", ServiceTimeS: 0.1,
			ThroughputRPS: level * wiggle, Concurrency: level * wiggle * 0.1}
		c.Trials = []results.Trial{{ThroughputRPS: level * wiggle * 0.999}, {ThroughputRPS: level * wiggle * 1.001}}
		r.Cells = append(r.Cells, c)
	}
	path := filepath.Join(dir, fmt.Sprintf("results-%d.json", i))
	if err := results.Write(path, r); err != nil {
		t.Fatal(err)
	}
	return path
}

func sha(i int) string { return fmt.Sprintf("%07x%033x", 0xabc0000+i, i) }

func TestHistoryAddAndTrend(t *testing.T) {
	tmp := t.TempDir()
	hist := filepath.Join(tmp, "history")
	for i := range 24 {
		code, stdout, stderr := runCLI(t, "history", "add", "--history", hist, "--commit", sha(i), pushResults(t, tmp, i))
		if code != 0 || stderr != "" {
			t.Fatalf("history add %d: exit %d\n%s", i, code, stderr)
		}
		if want := fmt.Sprintf("recorded %s in %s (default.jsonl)\n", sha(i)[:7], hist); stdout != want {
			t.Fatalf("stdout %q, want %q", stdout, want)
		}
	}
	out := filepath.Join(tmp, "out")
	code, stdout, stderr := runCLI(t, "trend", "--history", hist, "--out", out, "--last", "5")
	if code != 0 {
		t.Fatalf("trend: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"default: 24 pushes\n",
		"  1x1    9.90 req/s",
		"no change point",
		"  3x3    ",
		"at " + sha(12)[:7] + ", 11 pushes ago",
		"         last 5: ",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"trend-default-1x1.png", "trend-default-1x1.svg", "trend-default-3x3.png", "trend-default-3x3.svg", "trend.md"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "trend.md"))
	if !strings.Contains(string(md), "](trend-default-3x3.png)](trend-default-3x3.svg)") || !strings.Contains(string(md), "| 3x3 |") {
		t.Errorf("trend.md:\n%s", md)
	}
}

func TestHistoryBadInput(t *testing.T) {
	tmp := t.TempDir()
	pushed := pushResults(t, tmp, 0)
	interrupted := filepath.Join(tmp, "interrupted.json")
	r, _ := results.Read(pushed)
	r.Interrupted = true
	results.Write(interrupted, r)
	corrupt := filepath.Join(tmp, "corrupt.json")
	os.WriteFile(corrupt, []byte(`{"schema": "workerbench/results/v1", "cells": [`), 0o644)
	empty := t.TempDir()
	notGit := t.TempDir()
	badHist := t.TempDir()
	os.WriteFile(filepath.Join(badHist, "default.jsonl"), []byte("{not json\n"), 0o644)

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"history alone", []string{"history"}, exitUsage, "history: no subcommand given: want add"},
		{"history rm", []string{"history", "rm"}, exitUsage, `unknown subcommand "rm"`},
		{"no file", []string{"history", "add", "--history", empty, "--commit", sha(1)}, exitUsage, "history add takes one results file; got 0"},
		{"two files", []string{"history", "add", "--history", empty, "--commit", sha(1), pushed, pushed}, exitUsage, "got 2"},
		{"no history", []string{"history", "add", "--commit", sha(1), pushed}, exitUsage, "give the history, --history DIR or --branch workerbench-data"},
		{"both", []string{"history", "add", "--history", empty, "--branch", "x", "--commit", sha(1), pushed}, exitUsage, "not both"},
		{"bad commit", []string{"history", "add", "--history", empty, "--commit", "main", pushed}, exitUsage, `--commit "main": want a commit SHA`},
		{"no commit", []string{"history", "add", "--history", empty, "--repo", notGit, pushed}, exitUsage, "no commit to record: " + notGit + " is not a git checkout and GITHUB_SHA is not set"},
		{"bad series", []string{"history", "add", "--history", empty, "--commit", sha(1), "--series", "My Bench", pushed}, exitUsage, `--series "My Bench"`},
		{"missing results", []string{"history", "add", "--history", empty, "--commit", sha(1), "/no/results.json"}, exitUsage, "/no/results.json"},
		{"corrupt results", []string{"history", "add", "--history", empty, "--commit", sha(1), corrupt}, exitUsage, "not valid results JSON"},
		{"interrupted", []string{"history", "add", "--history", empty, "--commit", sha(1), interrupted}, exitUsage, interrupted + ": the run was interrupted"},
		{"trend no out", []string{"trend", "--history", empty}, exitUsage, "trend: --out DIR is required"},
		{"trend no history", []string{"trend", "--out", tmp}, exitUsage, "trend: give the history"},
		{"trend missing dir", []string{"trend", "--history", "/no/such/history", "--out", tmp}, exitUsage, `--history "/no/such/history": not a directory`},
		{"trend empty", []string{"trend", "--history", empty, "--out", tmp}, exitError, "history " + empty + " has no records: add one with workerbench history add"},
		{"trend corrupt", []string{"trend", "--history", badHist, "--out", tmp}, exitError, "warning: default.jsonl:1: corrupt record"},
		{"trend stray", []string{"trend", "--history", empty, "--out", tmp, "extra"}, exitUsage, `trend takes no arguments; got "extra"`},
		{"trend last", []string{"trend", "--history", empty, "--out", tmp, "--last", "0"}, exitUsage, "--last 0: must be at least 1"},
		{"trend bad branch", []string{"trend", "--branch", "a b", "--repo", notGit, "--out", tmp}, exitError, `data branch "a b" is not a valid branch name`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tt.code, stderr, tt.want)
			}
			if tt.code == exitUsage && stdout != "" {
				t.Errorf("stdout %q on a usage error", stdout)
			}
		})
	}
}

func TestHistoryCommitFromEnvironment(t *testing.T) {
	tmp := t.TempDir()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if k == "GITHUB_SHA" {
			return sha(7)
		}
		return ""
	}
	err := run(context.Background(), []string{"history", "add", "--history", tmp, "--repo", t.TempDir(), pushResults(t, tmp, 0)}, getenv, &out, &errb)
	if err != nil || !strings.Contains(out.String(), "recorded "+sha(7)[:7]) {
		t.Errorf("GITHUB_SHA: %v %s %s", err, out.String(), errb.String())
	}
}

// gitRepo makes a bare remote and a clone with one commit, as a CI job
// would have; it returns the clone and its HEAD.
func gitRepo(t *testing.T) (remote, clone, head string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	g := func(dir string, args ...string) string {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	remote = filepath.Join(root, "remote.git")
	g(root, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	clone = filepath.Join(root, "clone")
	g(root, "clone", "--quiet", remote, clone)
	os.WriteFile(filepath.Join(clone, "app.py"), []byte("app\n"), 0o644)
	g(clone, "add", ".")
	g(clone, "commit", "--quiet", "-m", "app")
	g(clone, "push", "--quiet", "origin", "HEAD:main")
	return remote, clone, g(clone, "rev-parse", "HEAD")
}

// history add --branch records on the data branch (creating it), with
// the charts and a README that embeds them; trend --branch reads it.
func TestHistoryOnBranch(t *testing.T) {
	remote, clone, head := gitRepo(t)
	tmp := t.TempDir()
	code, stdout, stderr := runCLI(t, "history", "add", "--branch", "workerbench-data", "--repo", clone, pushResults(t, tmp, 0))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "recorded "+head[:7]+" on branch workerbench-data of origin (default.jsonl; commit ") || !strings.Contains(stdout, "branch created") {
		t.Errorf("stdout %q", stdout)
	}
	for i := 1; i < 3; i++ {
		code, _, stderr = runCLI(t, "history", "add", "--branch", "workerbench-data", "--repo", clone, "--commit", sha(i), pushResults(t, tmp, i))
		if code != 0 {
			t.Fatalf("push %d: exit %d: %s", i, code, stderr)
		}
	}
	ls := exec.Command("git", "ls-tree", "-r", "--name-only", "workerbench-data")
	ls.Dir = remote
	files, err := ls.Output()
	if err != nil {
		t.Fatal(err)
	}
	want := "README.md\ncharts/trend-default-1x1.svg\ncharts/trend-default-3x3.svg\ndefault.jsonl\n"
	if string(files) != want {
		t.Errorf("data branch files:\n%s\nwant\n%s", files, want)
	}
	show := exec.Command("git", "show", "workerbench-data:README.md")
	show.Dir = remote
	readme, _ := show.Output()
	if !strings.Contains(string(readme), "![3x3: throughput and achieved concurrency per push](charts/trend-default-3x3.svg)") || !strings.Contains(string(readme), "Last recorded: `"+sha(2)[:7]+"`") {
		t.Errorf("README.md:\n%s", readme)
	}

	out := filepath.Join(tmp, "out")
	code, stdout, stderr = runCLI(t, "trend", "--branch", "workerbench-data", "--repo", clone, "--out", out)
	if code != 0 || !strings.Contains(stdout, "default: 3 pushes") {
		t.Errorf("trend --branch: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, _, stderr = runCLI(t, "trend", "--branch", "nothing-here", "--repo", clone, "--out", out)
	if code != exitError || !strings.Contains(stderr, "origin has no branch nothing-here: the first history add --branch nothing-here creates it") {
		t.Errorf("missing branch: exit %d: %s", code, stderr)
	}
}

// TestHistoryBranchSymlinks: links planted on the data branch (README.md
// to a file of the runner's, charts to a directory, a series file to
// another file) are never written through: the files they name are left
// as they were, README.md and charts become the branch's own again, and
// the series whose file is a link is refused, naming it.
func TestHistoryBranchSymlinks(t *testing.T) {
	remote, clone, _ := gitRepo(t)
	tmp := t.TempDir()
	if code, _, stderr := runCLI(t, "history", "add", "--branch", "workerbench-data", "--repo", clone,
		"--commit", sha(0), pushResults(t, tmp, 0)); code != 0 {
		t.Fatalf("first record: exit %d: %s", code, stderr)
	}
	victim := filepath.Join(tmp, "victim")
	victimDir := filepath.Join(tmp, "victim-dir")
	os.WriteFile(victim, []byte("the runner's own file\n"), 0o644)
	os.Mkdir(victimDir, 0o755)
	os.WriteFile(filepath.Join(victimDir, "keep"), []byte("keep\n"), 0o644)

	plant := filepath.Join(tmp, "plant")
	git := func(dir string, args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=m", "GIT_AUTHOR_EMAIL=m@example.com",
			"GIT_COMMITTER_NAME=m", "GIT_COMMITTER_EMAIL=m@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	git(tmp, "clone", "--quiet", "--branch", "workerbench-data", remote, plant)
	os.Remove(filepath.Join(plant, "README.md"))
	os.RemoveAll(filepath.Join(plant, "charts"))
	os.Symlink(victim, filepath.Join(plant, "README.md"))
	os.Symlink(victimDir, filepath.Join(plant, "charts"))
	git(plant, "add", "-A")
	git(plant, "commit", "--quiet", "-m", "plant links")
	git(plant, "push", "--quiet", "origin", "workerbench-data")

	code, _, stderr := runCLI(t, "history", "add", "--branch", "workerbench-data", "--repo", clone,
		"--commit", sha(1), pushResults(t, tmp, 1))
	if code != 0 {
		t.Fatalf("record over planted links: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "the runner's own file\n" {
		t.Errorf("the file README.md linked to now holds %q", b)
	}
	if ents, _ := os.ReadDir(victimDir); len(ents) != 1 || ents[0].Name() != "keep" {
		t.Errorf("the directory charts linked to now holds %v", ents)
	}
	tree := git(remote, "ls-tree", "-r", "workerbench-data")
	for _, want := range []string{"100644 blob", "\tREADME.md", "\tcharts/trend-default-3x3.svg"} {
		if !strings.Contains(tree, want) {
			t.Errorf("data branch tree lacks %q:\n%s", want, tree)
		}
	}
	if strings.Contains(tree, "120000") {
		t.Errorf("a link is still on the data branch:\n%s", tree)
	}

	// A series file that is a link is refused, and nothing is pushed.
	git(plant, "pull", "--quiet", "origin", "workerbench-data")
	os.Remove(filepath.Join(plant, "default.jsonl"))
	os.Symlink(victim, filepath.Join(plant, "default.jsonl"))
	git(plant, "add", "-A")
	git(plant, "commit", "--quiet", "-m", "plant a series link")
	git(plant, "push", "--quiet", "origin", "workerbench-data")
	code, _, stderr = runCLI(t, "history", "add", "--branch", "workerbench-data", "--repo", clone,
		"--commit", sha(2), pushResults(t, tmp, 2))
	if code == 0 || !strings.Contains(stderr, "default.jsonl: not a regular file") {
		t.Errorf("series link: exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(victim); string(b) != "the runner's own file\n" {
		t.Errorf("the file default.jsonl linked to now holds %q", b)
	}
}
