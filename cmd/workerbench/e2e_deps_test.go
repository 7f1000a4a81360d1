package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

// e2eDepsWorkflow benchmarks testdata/deps's app on a pull request that
// changes only requirements.txt (slowdep 1.0 → 2.0), with one 1x2 cell
// and short windows. %SETUP% is the action's setup and command inputs, or
// a step that installs the head's requirements into the job's one
// environment, as a workflow without setup does, and the command that
// serves from it. WHEELHOUSE, the test's offline wheels, is in the job's
// environment (act --env).
const e2eDepsWorkflow = `name: concurrency
on: pull_request
permissions: { contents: read, pull-requests: write }
jobs:
  concurrency:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
%SETUP%
          working-directory: app
          matrix: 1x2
          path: /
          duration: 300ms
          trials: 8
          args: --warmup 200ms --sequential 5 --confirm-pairs 2 --health /health
`

// e2eDepsSetup: each side installs its own requirements into its own
// virtualenv and serves from it.
const e2eDepsSetup = `      - uses: workerbench/workerbench@e2e
        with:
          setup: ` + depsSetup + `
          command: ` + depsVenvCmd

// e2eDepsNoSetup: the job installs the head's requirements once, where
// Debian's gunicorn finds them, and both sides run with them.
const e2eDepsNoSetup = `      - name: install requirements
        run: |
          site="$RUNNER_TEMP/site-packages"
          ` + debianPython + ` -m pip install --no-index --disable-pip-version-check \
            --find-links "$WHEELHOUSE" --target "$site" -r app/requirements.txt
          echo "PYTHONPATH=$site" >> "$GITHUB_ENV"
      - uses: workerbench/workerbench@e2e
        with:
          command: ` + gunicornTemplate

// TestE2EActDeps runs the action under act on a pull request whose only
// change is requirements.txt (slowdep 1.0 → 2.0, 10 ms → 15 ms a request):
//   - with setup, each side installs its own: the sticky comment says
//     regressed and names requirements.txt as measured, and the artifact's
//     server logs show base on slowdep 1.0 and head on 2.0;
//   - the same pull request with a workflow that installs the head's
//     requirements into the job and gives no setup: both sides run 2.0,
//     the comment (updated) says unchanged and warns that requirements.txt
//     changed but the verdict does not include it.
func TestE2EActDeps(t *testing.T) {
	e := newE2E(t)
	wheelhouse := buildWheelhouse(t)
	e.depsPullRequest(t)
	env := map[string]string{"WHEELHOUSE": wheelhouse}

	e.workflow = e.depsWorkflow(t, "setup", e2eDepsSetup)
	out, dir := e.actRun(t, "setup", true, env)
	e.checkComment(t, 1, 0, out)
	body := e.api.Comments(7)[0].Body
	heading := strings.SplitN(body, "\n", 3)[1]
	t.Logf("with setup, the comment's heading: %s", heading)
	if !strings.Contains(strings.ToLower(heading), "regressed") {
		t.Errorf("with setup: the heading does not say regressed: %q", heading)
	}
	if !hasLine(body, "requirements.txt", "includes") || strings.Contains(body, "one environment") {
		t.Errorf("with setup: the comment does not say the verdict includes the change to "+
			"requirements.txt:\n%s", body)
	}
	for _, side := range []string{"base", "head"} {
		if !strings.Contains(out, "setup ("+side+"): done in") {
			t.Errorf("with setup: the log does not say %s's setup was done:\n%s", side, out)
		}
	}
	res := readArtifact(t, dir, "workerbench")
	c := depsCell(t, res)
	logFigures(t, res, c)
	if res.Verdict != results.Regressed {
		t.Errorf("with setup: verdict %q, want regressed", res.Verdict)
	}
	if d := res.Dependencies; d == nil || !slices.Equal(d.Changed, []string{"requirements.txt"}) ||
		!d.Setup {
		t.Errorf("with setup: dependencies %+v, want changed [requirements.txt] and setup true", d)
	}
	if s := res.Setup; s == nil || s.WallTime.BaseS <= 0 || s.WallTime.HeadS <= 0 {
		t.Errorf("with setup: setup %+v, want both sides' wall times", s)
	} else {
		t.Logf("with setup: setup took base %.1fs, head %.1fs", s.WallTime.BaseS, s.WallTime.HeadS)
	}
	artifact := filepath.Join(dir, "artifacts", "workerbench")
	serverSaid(t, "base", artifact, c.Base.Log, "app: slowdep 1.0 from ")
	serverSaid(t, "head", artifact, c.Log, "app: slowdep 2.0 from ")

	e.workflow = e.depsWorkflow(t, "no-setup", e2eDepsNoSetup)
	out, dir = e.actRun(t, "no-setup", true, env)
	e.checkComment(t, 2, 1, out)
	body = e.api.Comments(7)[0].Body
	heading = strings.SplitN(body, "\n", 3)[1]
	t.Logf("without setup, the comment's heading: %s", heading)
	if !strings.Contains(strings.ToLower(heading), "no concurrency regression") ||
		!strings.Contains(heading, "requirements.txt") {
		t.Errorf("without setup: the heading does not say no regression and that "+
			"requirements.txt changed: %q", heading)
	}
	if !strings.Contains(body, "[!WARNING]") ||
		!hasLine(body, "requirements.txt", "one environment", "setup") {
		t.Errorf("without setup: the comment does not warn that requirements.txt changed, both "+
			"sides ran in one environment and what setup does:\n%s", body)
	}
	if !hasLine(out, "warning", "requirements.txt", "one environment", "setup") {
		t.Errorf("without setup: the log has no warning naming requirements.txt:\n%s", out)
	}
	res = readArtifact(t, dir, "workerbench")
	c = depsCell(t, res)
	logFigures(t, res, c)
	if res.Verdict != results.Unchanged {
		t.Errorf("without setup: verdict %q, want unchanged (both sides ran slowdep 2.0)",
			res.Verdict)
	}
	if d := res.Dependencies; d == nil || !slices.Equal(d.Changed, []string{"requirements.txt"}) ||
		d.Setup {
		t.Errorf("without setup: dependencies %+v, want changed [requirements.txt] and setup false",
			d)
	}
	if res.Setup != nil {
		t.Errorf("without setup: results.json records a setup: %+v", res.Setup)
	}
	artifact = filepath.Join(dir, "artifacts", "workerbench")
	serverSaid(t, "base", artifact, c.Base.Log, "app: slowdep 2.0 from ")
	serverSaid(t, "head", artifact, c.Log, "app: slowdep 2.0 from ")
}

// depsPullRequest puts testdata/deps's app in app/ on top of the
// repository's main (the base commit: slowdep 1.0), then a head commit
// that changes only requirements.txt to slowdep 2.0, and points the
// pull_request event at the two.
func (e *e2e) depsPullRequest(t *testing.T) {
	t.Helper()
	dir := e.repo.dir
	app := filepath.Join(dir, "app")
	if err := os.RemoveAll(app); err != nil {
		t.Fatal(err)
	}
	copyTree(t, filepath.Join("..", "..", "testdata", "deps", "app"), app,
		map[string]bool{".venv": true, ".deps": true, "__pycache__": true})
	gitIn(t, dir, "add", "-A", ".")
	gitIn(t, dir, "commit", "-q", "-m", "slowdep app")
	e.repo.base = gitIn(t, dir, "rev-parse", "HEAD")

	req := filepath.Join(app, "requirements.txt")
	data, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	bumped := strings.Replace(string(data), "\nslowdep==1.0\n", "\nslowdep==2.0\n", 1)
	if bumped == string(data) {
		t.Fatalf("testdata/deps/app/requirements.txt no longer pins slowdep==1.0:\n%s", data)
	}
	writeFile(t, req, bumped)
	gitIn(t, dir, "commit", "-q", "-am", "slowdep 2.0")
	e.repo.head = gitIn(t, dir, "rev-parse", "HEAD")
	if diff := gitIn(t, dir, "diff", "--name-only", e.repo.base, e.repo.head); diff != "app/requirements.txt" {
		t.Fatalf("the pull request changes %q, want only app/requirements.txt", diff)
	}
	e.eventFile = writeE2EEvent(t, e.root, e.repo)
}

// depsWorkflow writes e2eDepsWorkflow with steps for %SETUP% under the
// e2e's root and returns its path for act's -W.
func (e *e2e) depsWorkflow(t *testing.T, name, steps string) string {
	t.Helper()
	path := filepath.Join(e.root, "workflows", "deps-"+name+".yml")
	writeFile(t, path, strings.Replace(e2eDepsWorkflow, "%SETUP%", steps, 1))
	return path
}

// depsCell is the one cell of an artifact's results, with its base.
func depsCell(t *testing.T, res *results.Run) results.Cell {
	t.Helper()
	if len(res.Cells) != 1 || res.Cells[0].Base == nil || res.Cells[0].Name() != "1x2" {
		t.Fatalf("the artifact's results have cells %v, want 1x2 with its base", cellNames(res))
	}
	return res.Cells[0]
}
