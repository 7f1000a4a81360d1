package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/publish"
	flaskapp "github.com/workerbench/workerbench/examples/flask"
)

// The end-to-end test runs the action the way GitHub would, under
// nektos/act on this host: a pull_request workflow in a throwaway
// repository uses workerbench/workerbench@e2e, which act resolves to this
// checkout; every third-party action is a local stand-in, and
// GITHUB_API_URL points at a fake API on loopback. Nothing leaves the
// machine.
//
//	WORKERBENCH_E2E=1 go test -run TestE2EAct ./cmd/workerbench/
//
// WORKERBENCH_E2E_ACT names the act binary (default: act on PATH, then
// $(go env GOPATH)/bin/act); WORKERBENCH_E2E_ACTION_DIR the action's
// checkout (default: this repository).

const e2eRepo = "o/workerbench-e2e"

// e2eWorkflow is the user's workflow: the README's, with a matrix and
// windows small enough for a test.
const e2eWorkflow = `name: concurrency
on: pull_request
permissions: { contents: read, pull-requests: write }
jobs:
  concurrency:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - uses: workerbench/workerbench@e2e
        id: bench
        with:
          command: /usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} app:app
          working-directory: app
          matrix: 1x1
          path: /?ms=5
          duration: 200ms
          trials: 2
          args: --warmup 100ms --sequential 5 --max-pairs 2 --confirm-pairs 0 --health /health
      - name: outputs
        env:
          VERDICT: ${{ steps.bench.outputs.verdict }}
          BEST: ${{ steps.bench.outputs.best-config }}
          RESULTS: ${{ steps.bench.outputs.results }}
        run: |
          echo "verdict=$VERDICT best=$BEST"
          test -n "$VERDICT" && test "$BEST" = 1x1 && test -s "$RESULTS"
`

// noopAction stands in for actions/setup-go and actions/upload-artifact,
// which act would otherwise fetch from GitHub even when skipped.
const noopAction = `name: no-op stand-in
description: stands in for a third-party action that cannot be fetched offline
inputs:
  go-version-file: { description: ignored, default: '' }
  cache: { description: ignored, default: '' }
  name: { description: ignored, default: '' }
  path: { description: ignored, default: '' }
  if-no-files-found: { description: ignored, default: '' }
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "no-op stand-in for a third-party action"
`

// checkoutAction stands in for actions/checkout: in act's host mode the
// workspace starts empty, so it copies the test repository (with .git, so
// the base commit is there) into it.
const checkoutAction = `name: checkout stand-in
description: copies the test repository into the workspace
inputs:
  fetch-depth: { description: ignored, default: '1' }
runs:
  using: composite
  steps:
    - shell: bash
      env:
        SRC: %SRC%
      run: cp -a "$SRC/." "$GITHUB_WORKSPACE/"
`

func TestE2EAct(t *testing.T) {
	if os.Getenv("WORKERBENCH_E2E") != "1" {
		t.Skip("set WORKERBENCH_E2E=1 to run the action under nektos/act")
	}
	needGunicorn(t)
	act := findAct(t)
	actionDir := os.Getenv("WORKERBENCH_E2E_ACTION_DIR")
	if actionDir == "" {
		var err error
		if actionDir, err = filepath.Abs("../.."); err != nil {
			t.Fatal(err)
		}
	}
	root := t.TempDir()
	repo := newE2ERepo(t, filepath.Join(root, "repo"))
	stubs := map[string]string{
		"actions/checkout@v4":        strings.ReplaceAll(checkoutAction, "%SRC%", repo.dir),
		"actions/setup-go@v5":        noopAction,
		"actions/upload-artifact@v4": noopAction,
	}
	api := newFakeAPI(t, e2eRepo)
	args := []string{
		"pull_request",
		"-P", "ubuntu-latest=-self-hosted",
		"-W", ".github/workflows/concurrency.yml",
		"-e", writeE2EEvent(t, root, repo),
		"--action-cache-path", filepath.Join(root, "act-cache"),
		"--action-offline-mode",
		"--local-repository", "workerbench/workerbench@e2e=" + actionDir,
		"--env", "GITHUB_API_URL=" + api.URL(),
		"-s", "GITHUB_TOKEN=" + testToken,
	}
	for ref, yml := range stubs {
		dir := filepath.Join(root, "stubs", strings.NewReplacer("/", "_", "@", "_").Replace(ref))
		writeFile(t, filepath.Join(dir, "action.yml"), yml)
		args = append(args, "--local-repository", ref+"="+dir)
	}

	for run := 1; run <= 2; run++ {
		start := time.Now()
		out, err := runAct(t, act, repo.dir, args)
		if strings.Contains(out, testToken) {
			t.Errorf("run %d: act's log shows the token", run)
		}
		if err != nil {
			t.Fatalf("run %d: act: %v\n%s", run, err, out)
		}
		t.Logf("run %d: act finished in %s", run, time.Since(start).Round(time.Second))
		comments, creates, edits := api.snapshot(7)
		if len(comments) != 1 || creates != 1 || edits != run-1 {
			t.Fatalf("after run %d: %d comments, %d creates, %d edits; want 1, 1, %d\n%s", run, len(comments), creates, edits, run-1, out)
		}
		body := comments[0].Body
		marker, rest, _ := strings.Cut(body, "\n")
		heading, _, _ := strings.Cut(rest, "\n")
		if marker != publish.Marker {
			t.Errorf("run %d: comment starts with %q, want the marker", run, marker)
		}
		if !strings.HasPrefix(heading, "### ") || !containsAny(strings.ToLower(heading), "regress", "unchanged", "improved", "inconclusive", "no change") {
			t.Errorf("run %d: first line does not state the verdict: %q", run, heading)
		}
		if run == 2 {
			t.Logf("comment after run 2:\n%s", body)
		}
	}
}

// findAct returns the act binary or fails: the test was asked for.
func findAct(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WORKERBENCH_E2E_ACT"); p != "" {
		return p
	}
	if p, err := exec.LookPath("act"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "act")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("WORKERBENCH_E2E=1 but act is not installed: go install github.com/nektos/act@v0.2.89")
	return ""
}

// newE2ERepo is a repository holding the example app (base commit, then a
// head commit) and the workflow, with an origin that names e2eRepo so that
// act sets GITHUB_REPOSITORY to it. Nothing is ever fetched from origin.
func newE2ERepo(t *testing.T, dir string) testRepo {
	t.Helper()
	gitT := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	writeFile(t, filepath.Join(dir, "app", "app.py"), string(flaskapp.App))
	writeFile(t, filepath.Join(dir, ".github", "workflows", "concurrency.yml"), e2eWorkflow)
	gitT("init", "-q", "-b", "main")
	gitT("remote", "add", "origin", "https://github.com/"+e2eRepo)
	gitT("add", ".")
	gitT("commit", "-q", "-m", "base")
	base := gitT("rev-parse", "HEAD")
	writeFile(t, filepath.Join(dir, "app", "app.py"), string(flaskapp.App)+"\n# head\n")
	gitT("commit", "-q", "-am", "head")
	return testRepo{dir: dir, base: base, head: gitT("rev-parse", "HEAD")}
}

func writeE2EEvent(t *testing.T, root string, repo testRepo) string {
	t.Helper()
	ev := prEventJSON(repo.base, repo.head)
	ev["repository"] = map[string]any{"full_name": e2eRepo}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "event.json")
	writeFile(t, path, string(data))
	return path
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runAct runs act in dir in its own process group, killed as a whole if it
// outlives its deadline, and returns its combined output.
func runAct(t *testing.T, act, dir string, args []string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, act, args...)
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// Whatever act left in its group (servers are reaped by workerbench
	// itself; this is a backstop).
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return out.String(), err
}
