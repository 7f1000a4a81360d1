package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// sameJSON checks that stdout is results.json in out: the same bytes, so
// also JSON that parses to the same.
func sameJSON(t *testing.T, what, stdout, out string) {
	t.Helper()
	file, err := os.ReadFile(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got, want any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%s: stdout is not JSON: %v\n%s", what, err, stdout)
	}
	if err := json.Unmarshal(file, &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || stdout != string(file) {
		t.Errorf("%s: stdout is not results.json:\n%s\nresults.json:\n%s", what, stdout, file)
	}
}

// TestRunJSON: run --json writes results.json to stdout and everything
// for people, the table and the progress, to stderr.
func TestRunJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir, out := t.TempDir(), t.TempDir()
	code, stdout, stderr := runCLI(t, "run", "--cmd", demoServerTemplate(t), "--dir", dir,
		"--env", asCLIEnv+"=1", "--health", "/health", "--matrix", "1x1,2x1", "--path", "/?ms=10",
		"--duration", "200ms", "--warmup", "50ms", "--sequential", "10", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	sameJSON(t, "run --json", stdout, out)
	if !strings.Contains(stderr, "workers") || !strings.Contains(stderr, "[2/2] 2x1") {
		t.Errorf("table or progress missing from stderr:\n%s", stderr)
	}
	if left := serverPids(dir); len(left) > 0 {
		t.Errorf("processes left running: %v", left)
	}
}

// TestABJSON: ab --json likewise, with the verdict.
func TestABJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	base, head, out := t.TempDir(), t.TempDir(), t.TempDir()
	code, stdout, stderr := runCLI(t, "ab", "--cmd", demoServerTemplate(t), "--base-dir", base,
		"--head-dir", head, "--env", asCLIEnv+"=1", "--health", "/health", "--matrix", "1x1",
		"--path", "/?ms=10", "--duration", "100ms", "--warmup", "50ms", "--sequential", "5",
		"--trials", "4", "--max-pairs", "4", "--confirm-pairs", "0", "--quiet", "--out", out, "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	sameJSON(t, "ab --json", stdout, out)
	if !strings.Contains(stdout, `"verdict"`) || !strings.Contains(stderr, "overall:") {
		t.Errorf("no verdict in the JSON, or no table on stderr:\n%s", stderr)
	}
}

// TestCompareJSON: compare and merge --json write the comparison's
// results.json to stdout, the table to stderr.
func TestCompareJSON(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	base := resultsFile(t, dir, "base.json", 1, "runner-a", "1x1", "3x3")
	head := resultsFile(t, dir, "head.json", 0.85, "runner-a", "1x1", "3x3")
	code, stdout, stderr := runCLI(t, "compare", base, head, "--json", "--out", out)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	sameJSON(t, "compare --json", stdout, out)
	if !strings.Contains(stderr, "regressed") {
		t.Errorf("no table on stderr:\n%s", stderr)
	}
}
