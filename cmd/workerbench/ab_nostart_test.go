package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

// TestABSideDoesNotStart runs ab on real gunicorn where head's app has a
// syntax error: the terminal's overall line, the summary's heading and
// its verdict column say that head does not start, in Python's words and
// with the line, and results.json records the side.
func TestABSideDoesNotStart(t *testing.T) {
	needGunicorn(t)
	src, err := os.ReadFile(filepath.Join("..", "..", "examples", "flask", "app.py"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	base, head, out := filepath.Join(tmp, "base"), filepath.Join(tmp, "head"), filepath.Join(tmp, "out")
	broken := strings.Replace(string(src), "def sleep():", "def sleep(:", 1)
	if broken == string(src) {
		t.Fatal("examples/flask/app.py has no def sleep(): to break")
	}
	for dir, app := range map[string]string{base: string(src), head: broken} {
		os.Mkdir(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(app), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCLI(t, "ab",
		"--cmd", gunicornPath+" --bind {bind} --workers {workers} --threads {threads} app:app",
		"--base-dir", base, "--head-dir", head, "--matrix", "1x1,2x2", "--path", "/?ms=5",
		"--duration", "200ms", "--out", out)
	if code != exitError {
		t.Errorf("exit %d, want %d\n%s", code, exitError, stderr)
	}
	const why = "head does not start: SyntaxError: invalid syntax (app.py:"
	if !strings.Contains(stdout, "overall: no verdict — "+why) {
		t.Errorf("stdout lacks the overall line %q:\n%s", why, stdout)
	}
	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(md), "### ❌ "+why) || !strings.Contains(string(md), "| ❌ head does not start |") {
		t.Errorf("summary.md does not lead with %q:\n%s", why, md)
	}
	r, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Cells {
		if c.FailedSide != "head" || !c.NotStarted {
			t.Errorf("%s: failed_side %q, not_started %v; want head, true", c.Name(), c.FailedSide, c.NotStarted)
		}
	}
}
