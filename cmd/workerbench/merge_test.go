package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/results"
)

// shardDir writes shard i of 2 of a compared four-cell matrix into a
// directory of its own, with the cells names, and returns the directory.
func shardDir(t *testing.T, i int, commit string, verdicts map[string]results.Verdict) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "shard")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	r := &results.Run{Schema: results.Schema, Command: "gunicorn --bind {bind} app:app", Commit: commit,
		Settings: results.Settings{Threshold: 0.05, Seed: int64(i)},
		Shard:    &results.Shard{Index: i, Count: 2, Cells: []string{"1x1", "1x3", "3x1", "3x3"}}}
	for _, name := range []string{"1x1", "1x3", "3x1", "3x3"} {
		v, ok := verdicts[name]
		if !ok {
			continue
		}
		s, err := bench.ParseShape(name)
		if err != nil {
			t.Fatal(err)
		}
		ratio, p := 1.0, 0.5
		if v == results.Regressed {
			ratio, p = 0.88, 0.001
		}
		base := results.Cell{Workers: s.Workers, Threads: s.Threads, Slots: s.Workers * s.Threads, ThroughputRPS: 100}
		r.Cells = append(r.Cells, results.Cell{Workers: s.Workers, Threads: s.Threads, Slots: s.Workers * s.Threads, ThroughputRPS: 100 * ratio,
			Comparison: results.Comparison{Base: &base, Ratio: ratio, CILow: ratio - 0.01, CIHigh: ratio + 0.01, PValue: p, Verdict: v}})
	}
	if err := results.Write(filepath.Join(dir, "results.json"), r); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestMergeCommand(t *testing.T) {
	one := shardDir(t, 1, "abc", map[string]results.Verdict{"1x1": results.Unchanged, "3x1": results.Unchanged})
	two := shardDir(t, 2, "abc", map[string]results.Verdict{"1x3": results.Unchanged, "3x3": results.Regressed})
	other := shardDir(t, 2, "fff", map[string]results.Verdict{"1x3": results.Unchanged, "3x3": results.Unchanged})
	out := t.TempDir()

	code, stdout, stderr := runCLI(t, "merge", one, two, "--out", out, "--fail-on-regression")
	if code != exitRegression || !strings.Contains(stdout, "overall: regressed") {
		t.Errorf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil || len(res.Cells) != 4 || res.Shard != nil {
		t.Fatalf("merged results: %v, %+v", err, res)
	}
	if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
		t.Error(err)
	}

	code, stdout, stderr = runCLI(t, "merge", one)
	if code != exitOK || !strings.Contains(stderr, "shard 2/2 is missing") || !strings.Contains(stderr, "no shard measured 1x3, 3x3") ||
		!strings.Contains(stdout, "inconclusive") {
		t.Errorf("merge of one shard: exit %d\n%s%s", code, stdout, stderr)
	}

	code, _, stderr = runCLI(t, "merge", one, other)
	if code != exitUsage || !strings.Contains(stderr, "differ in commit (abc, fff)") || !strings.Contains(stderr, one) {
		t.Errorf("merge of two commits: exit %d\n%s", code, stderr)
	}
	code, _, stderr = runCLI(t, "merge")
	if code != exitUsage || !strings.Contains(stderr, "merge takes the shards' results") {
		t.Errorf("merge of nothing: exit %d\n%s", code, stderr)
	}
}

// TestMergeNeutralisesCommands: shards that differ in a hostile command
// are refused with the difference on one line, no workflow command in it.
func TestMergeNeutralisesCommands(t *testing.T) {
	one := shardDir(t, 1, "abc", map[string]results.Verdict{"1x1": results.Unchanged})
	two := shardDir(t, 2, "abc", map[string]results.Verdict{"3x3": results.Unchanged})
	path := filepath.Join(two, "results.json")
	r, err := results.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	r.Command = "x\n::error title=FORGED-VIA-MERGE::x"
	r.Warnings = []string{injection}
	if err := results.Write(path, r); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "merge", one, two)
	if code != exitUsage || !strings.Contains(stderr, `"x\n::error title=FORGED-VIA-MERGE::x"`) {
		t.Errorf("merge: exit %d\n%s%s", code, stdout, stderr)
	}
	checkNoCommands(t, "merge stdout", stdout)
	checkNoCommands(t, "merge stderr", stderr)
}
