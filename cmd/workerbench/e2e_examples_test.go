package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// The example workflows under examples/workflows run under act as users
// copy them, with only what a test must change rewritten (see
// exampleWorkflow): the action is the local copy, setup steps that need
// sudo become no-ops, and the matrix and windows are small. A rewrite that
// no longer matches its example fails the test, so the examples cannot
// drift from what is tested.

// e2eTiny are the inputs that make a run take about a second per cell,
// with the indentation of an action's inputs in the examples.
const e2eTiny = `path: /?ms=5
          duration: 200ms
          trials: 2
          args: --warmup 100ms --sequential 5 --max-pairs 2 --confirm-pairs 0 --health /health`

// e2eRaceWorkflow records one push from two jobs at once.
const e2eRaceWorkflow = `name: concurrency history race
on: push
permissions: { contents: write }
jobs:
  history:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        job: [1, 2]
    steps:
      - uses: actions/checkout@v4
      - uses: workerbench/workerbench@e2e
        with:
          command: gunicorn --bind {bind} --workers {workers} --threads {threads} app:app
          working-directory: app
          matrix: 1x1
          ` + e2eTiny + `
          artifact-name: workerbench-${{ matrix.job }}
`

// exampleSetup are the rewrites every example needs under act: the local
// action, no sudo, the test repository's app directory.
var exampleSetup = []string{
	"workerbench/workerbench@v1", "workerbench/workerbench@e2e",
	"run: sudo apt-get update -qq && sudo apt-get install -y -qq gunicorn python3-flask",
	"run: echo set-up",
	"working-directory: examples/flask", "working-directory: app",
}

// exampleWorkflow reads examples/workflows/NAME, applies exampleSetup, the
// tiny matrix windows (e2eTiny) and the rewrites (old, new pairs; each old
// must occur) and writes it under the e2e's root, returning its path for
// act's -W.
func (e *e2e) exampleWorkflow(t *testing.T, name string, rewrites ...string) string {
	t.Helper()
	all := append(slices.Clone(exampleSetup), "path: /?ms=100", e2eTiny)
	return e.writeExample(t, name, append(all, rewrites...)...)
}

// writeExample is exampleWorkflow with only the rewrites given.
func (e *e2e) writeExample(t *testing.T, name string, rewrites ...string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "workflows", name))
	if err != nil {
		t.Fatal(err)
	}
	yml := string(data)
	for i := 0; i < len(rewrites); i += 2 {
		if !strings.Contains(yml, rewrites[i]) {
			t.Fatalf("examples/workflows/%s no longer has %q, which the test rewrites", name,
				rewrites[i])
		}
		yml = strings.ReplaceAll(yml, rewrites[i], rewrites[i+1])
	}
	path := filepath.Join(e.root, "workflows", name)
	writeFile(t, path, yml)
	return path
}

// pushEvent writes a push event to main at sha and returns its path.
func (e *e2e) pushEvent(t *testing.T, sha string) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "after": sha,
		"repository": map[string]any{"full_name": e2eRepo, "default_branch": "main"},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.root, "push-"+sha[:7]+".json")
	writeFile(t, path, string(data))
	return path
}

// actRun runs act once and logs how long it took; wantOK says whether act
// must succeed (a workflow with a failed job fails).
func (e *e2e) actRun(t *testing.T, name string, wantOK bool, env map[string]string) (
	out, dir string,
) {
	t.Helper()
	start := time.Now()
	out, dir, err := e.runAct(t, name, false, env)
	if (err == nil) != wantOK {
		t.Fatalf("%s: act: %v, want success %v\n%s", name, err, wantOK, out)
	}
	t.Logf("%s: act finished in %s", name, time.Since(start).Round(100*time.Millisecond))
	return out, dir
}

// TestE2EActHistory runs examples/workflows/workerbench.yml under act with
// a bare repository as origin: a push of the base commit to main and a push
// of the head commit each add one record to the data branch, which then
// holds both records, the README and the trend chart; two jobs recording
// the same push at once both land; a pull request afterwards gets a comment
// with main's trend of the four records under the comparison, and leaves
// the data branch alone.
func TestE2EActHistory(t *testing.T) {
	e := newE2E(t)
	e.workflow = e.exampleWorkflow(t, "workerbench.yml", "matrix: 1x1,1x3,3x1,3x3", "matrix: 1x1")

	e.event = "push"
	for i, sha := range []string{e.repo.base, e.repo.head} {
		gitIn(t, e.repo.dir, "reset", "-q", "--hard", sha)
		e.eventFile = e.pushEvent(t, sha)
		out, _ := e.actRun(t, "push-"+sha[:7], true, nil)
		want := "history: recorded " + sha[:7] + " in series default on branch workerbench-data"
		if !strings.Contains(out, want) {
			t.Errorf("push %d: the log lacks %q:\n%s", i+1, want, out)
		}
		if created := strings.Contains(out, "branch created"); created != (i == 0) {
			t.Errorf("push %d: branch created %v, want %v", i+1, created, i == 0)
		}
		if strings.Contains(out, "starting base and head servers") {
			t.Errorf("push %d: the pull-request job ran", i+1)
		}
	}
	if n := len(e.api.Comments(7)); n != 0 {
		t.Errorf("the pushes commented %d times", n)
	}

	lines := strings.Split(gitIn(t, e.origin, "show", "workerbench-data:default.jsonl"), "\n")
	if len(lines) != 2 {
		t.Fatalf("data branch holds %d records, want 2:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	for i, sha := range []string{e.repo.base, e.repo.head} {
		var rec struct {
			Schema, Series, Commit string
			Cells                  []struct {
				Workers, Threads int
				RPS              []float64 `json:"rps"`
			}
		}
		if err := json.Unmarshal([]byte(lines[i]), &rec); err != nil {
			t.Fatalf("record %d: %v", i+1, err)
		}
		if rec.Schema != "workerbench/history/v1" || rec.Series != "default" || rec.Commit != sha ||
			len(rec.Cells) != 1 || rec.Cells[0].Workers != 1 || len(rec.Cells[0].RPS) == 0 ||
			rec.Cells[0].RPS[0] <= 0 {
			t.Errorf("record %d is not the push of %s with 1x1 measured: %s", i+1, sha, lines[i])
		}
	}
	files := "\n" + gitIn(t, e.origin, "ls-tree", "-r", "--name-only", "workerbench-data") + "\n"
	readme := gitIn(t, e.origin, "show", "workerbench-data:README.md")
	for _, f := range []string{"README.md", "charts/trend-default-1x1.svg"} {
		if !strings.Contains(files, "\n"+f+"\n") {
			t.Errorf("data branch lacks %s; it has:%s", f, files)
		}
	}
	if !strings.Contains(readme, "charts/trend-default-1x1.svg") {
		t.Errorf("the data branch's README.md does not show the chart:\n%s", readme)
	}
	tip := gitIn(t, e.origin, "rev-parse", "workerbench-data")

	// Two jobs of one push recording at once (act runs them in parallel;
	// their run steps start milliseconds apart): both records land. Whether
	// their pushes overlap is up to the measurement's timing, so the log
	// says; databranch's TestRaceBothKept forces the lost race.
	raceWorkflow := e.workflow
	e.workflow = filepath.Join(e.root, "workflows", "race.yml")
	writeFile(t, e.workflow, e2eRaceWorkflow)
	out, raceDir := e.actRun(t, "two-jobs", true, nil)
	want := "history: recorded " + e.repo.head[:7] + " in series default on branch workerbench-data"
	if n := strings.Count(out, want); n != 2 {
		t.Errorf("two jobs at once: %d records logged, want 2:\n%s", n, out)
	}
	t.Logf("two jobs at once: workerbench started in both %s apart; a push lost the race "+
		"and started again: %v", runStepsApart(t, raceDir), strings.Contains(out, "attempts)"))
	e.workflow = raceWorkflow
	lines = strings.Split(gitIn(t, e.origin, "show", "workerbench-data:default.jsonl"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[2], e.repo.head) ||
		!strings.Contains(lines[3], e.repo.head) {
		t.Errorf("after two jobs at once the data branch holds %d records, want 4, the last two "+
			"of %s:\n%s", len(lines), e.repo.head, strings.Join(lines, "\n"))
	}
	tip = gitIn(t, e.origin, "rev-parse", "workerbench-data")

	e.event, e.eventFile = "pull_request", writeE2EEvent(t, e.root, e.repo)
	out, _ = e.actRun(t, "pull-request", true, nil)
	e.checkComment(t, 3, 0, out)
	body := e.api.Comments(7)[0].Body
	trend := "**main's trend** — `default`, 4 pushes"
	i, j := strings.Index(body, "| cell | base req/s"), strings.Index(body, trend)
	if i < 0 || j < i || !strings.Contains(body[j:], "\n| 1x1 | ") {
		t.Errorf("comment lacks main's trend of 4 pushes with a 1x1 row under the comparison:\n%s",
			body)
	}
	t.Logf("main's trend in the comment:\n%s", body[max(j, 0):])
	if got := gitIn(t, e.origin, "rev-parse", "workerbench-data"); got != tip {
		t.Errorf("the pull request moved the data branch")
	}
}

// TestE2EActShards runs examples/workflows/workerbench-sharded.yml under
// act on a pull request, as two shards of a two-cell matrix and the merge
// job that comments:
//   - both shards: one comment, listing both cells; each shard's artifact
//     holds its one cell, and the merged results.json validates and plots;
//   - shard 2 killed before it measures (a step of the test fails it, so
//     it uploads nothing): the merged comment names the missing cell and
//     the verdict is inconclusive;
//   - shards of two different commits (shard 1 from the killed run, at a
//     new head commit, shard 2 from the first): the merge job fails naming
//     both shards and commits, and the comment is left as it was;
//   - a push to main: the record job puts the merged run on the data
//     branch as one record of both cells.
func TestE2EActShards(t *testing.T) {
	e := newE2E(t)
	kill := `run: |
          case " $WORKERBENCH_E2E_KILL " in
            *" ${{ matrix.shard }} "*) echo "shard ${{ matrix.shard }} killed"; exit 1 ;;
          esac`
	e.workflow = e.exampleWorkflow(t, "workerbench-sharded.yml",
		"matrix: 1x1,1x2,1x4,1x8,2x1,2x2,2x4,2x8,4x1,4x2,4x4,4x8,8x1,8x2,8x4,8x8",
		"matrix: 1x1,2x1",
		"shard: [1, 2, 3, 4]", "shard: [1, 2]",
		"shard: ${{ matrix.shard }}/4", "shard: ${{ matrix.shard }}/2",
		// The setup step of the shard job; the merge jobs have none.
		"run: echo set-up", kill)

	// Both shards.
	out, dir := e.actRun(t, "both", true, nil)
	e.checkComment(t, 1, 0, out)
	body := e.api.Comments(7)[0].Body
	for _, want := range []string{"| 1x1 |", "| 2x1 |"} {
		if !strings.Contains(body, want) {
			t.Errorf("both shards: comment lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "missing") || strings.Contains(body, "not measured") {
		t.Errorf("both shards: comment says something is missing:\n%s", body)
	}
	if !strings.Contains(out, "merging 2 shard results: workerbench-1, workerbench-2") {
		t.Errorf("both shards: the merge job did not read both artifacts:\n%s", out)
	}
	for i, cell := range []string{"1x1", "2x1"} {
		res := readArtifact(t, dir, "workerbench-"+string(rune('1'+i)))
		if res.Shard == nil || res.Shard.Index != i+1 || res.Shard.Count != 2 ||
			len(res.Cells) != 1 || res.Cells[0].Name() != cell {
			t.Errorf("shard %d measured %v (shard %+v), want only %s", i+1, cellNames(res),
				res.Shard, cell)
		}
	}
	merged := readArtifact(t, dir, "workerbench")
	if merged.Shard != nil || len(merged.Missing) != 0 || len(merged.Cells) != 2 ||
		merged.Commit != e.repo.head {
		t.Errorf("merged results: shard %+v, missing %v, cells %v, commit %s", merged.Shard,
			merged.Missing, cellNames(merged), merged.Commit)
	}
	var stdout, stderr bytes.Buffer
	plotDir := filepath.Join(e.root, "plot")
	err := run(context.Background(), []string{"plot", filepath.Join(dir, "artifacts",
		"workerbench", "results.json"), "--out", plotDir}, os.Getenv, &stdout, &stderr)
	if err != nil {
		t.Errorf("plot of the merged results: %v\n%s", err, stderr.String())
	} else if _, err := os.Stat(filepath.Join(plotDir, "throughput.svg")); err != nil {
		t.Errorf("plot of the merged results: %v", err)
	}
	t.Logf("comment over both shards:\n%s", body)

	// A new head commit, and shard 2 killed.
	writeFile(t, filepath.Join(e.repo.dir, "app", "README"), "head 2\n")
	gitIn(t, e.repo.dir, "add", ".")
	gitIn(t, e.repo.dir, "commit", "-q", "-m", "head 2")
	head1 := e.repo.head
	e.repo.head = gitIn(t, e.repo.dir, "rev-parse", "HEAD")
	e.eventFile = writeE2EEvent(t, e.root, e.repo)
	out, killedDir := e.actRun(t, "killed", false, map[string]string{"WORKERBENCH_E2E_KILL": "2"})
	if !strings.Contains(out, "shard 2 killed") {
		t.Fatalf("shard 2 was not killed:\n%s", out)
	}
	e.checkComment(t, 2, 1, out)
	body = e.api.Comments(7)[0].Body
	heading := strings.SplitN(body, "\n", 3)[1]
	if !strings.Contains(heading, "inconclusive") || !strings.Contains(heading, "2x1") {
		t.Errorf("killed shard: the heading does not say inconclusive naming 2x1: %q", heading)
	}
	for _, want := range []string{"| 1x1 |", "2x1 not measured"} {
		if !strings.Contains(body, want) {
			t.Errorf("killed shard: comment lacks %q:\n%s", want, body)
		}
	}
	if !strings.Contains(out, "no shard measured 2x1") {
		t.Errorf("killed shard: no warning naming 2x1 in the log:\n%s", out)
	}
	if merged := readArtifact(t, killedDir, "workerbench"); merged.Verdict != results.Inconclusive {
		t.Errorf("killed shard: merged verdict %q, want inconclusive", merged.Verdict)
	}
	t.Logf("comment with shard 2 killed:\n%s", body)

	// Shard 1 of the new head and shard 2 of the old one; both shard jobs
	// are killed, so the merge job finds only these two.
	mixed := filepath.Join(e.root, "runs", "two-commits", "artifacts")
	copyTree(t, filepath.Join(killedDir, "artifacts", "workerbench-1"),
		filepath.Join(mixed, "workerbench-1"), nil)
	copyTree(t, filepath.Join(dir, "artifacts", "workerbench-2"),
		filepath.Join(mixed, "workerbench-2"), nil)
	out, _ = e.actRun(t, "two-commits", false, map[string]string{"WORKERBENCH_E2E_KILL": "1 2"})
	refusal := "workerbench-1 and workerbench-2 differ in commit (" + e.repo.head + ", " + head1 + ")"
	if !strings.Contains(out, refusal) {
		t.Errorf("two commits: the log lacks %q:\n%s", refusal, out)
	}
	if e.api.Edited() != 1 || len(e.api.Comments(7)) != 1 {
		t.Errorf("two commits: the comment changed (%d edits, %d comments)", e.api.Edited(),
			len(e.api.Comments(7)))
	}

	// A push to main: the record job records the merged run, both cells
	// in one record, and nothing comments.
	e.event, e.eventFile = "push", e.pushEvent(t, e.repo.head)
	out, _ = e.actRun(t, "push", true, nil)
	want := "history: recorded " + e.repo.head[:7] + " in series default on branch workerbench-data"
	if !strings.Contains(out, want) || strings.Contains(out, "[concurrency/comment") {
		t.Errorf("push: the log lacks %q, or the comment job ran:\n%s", want, out)
	}
	rec := gitIn(t, e.origin, "show", "workerbench-data:default.jsonl")
	if strings.Count(rec, "\n") != 0 || !strings.Contains(rec, `"workers":1,"threads":1`) ||
		!strings.Contains(rec, `"workers":2,"threads":1`) {
		t.Errorf("push: the data branch does not hold one record of both cells:\n%s", rec)
	}
	if e.api.Edited() != 1 || e.api.Created() != 1 {
		t.Errorf("push: the comment changed (%d edits, %d creates)", e.api.Edited(), e.api.Created())
	}
}

// runStepsApart is how far apart the jobs of an act run started the
// action's step that runs workerbench (from the BASH_ENV stamps).
func runStepsApart(t *testing.T, dir string) time.Duration {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "stamps"))
	if err != nil {
		t.Fatalf("stamps: %v", err)
	}
	var starts []time.Time
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if ts, script, _ := strings.Cut(line, " "); strings.Contains(script, "-composite-run") {
			starts = append(starts, parseUnixTime(t, ts))
		}
	}
	if len(starts) < 2 {
		t.Fatalf("stamps: %d starts of the run step, want 2:\n%s", len(starts), data)
	}
	d := starts[1].Sub(starts[0])
	return max(d, -d).Round(time.Millisecond)
}

// readArtifact reads results.json of the artifact name uploaded in the
// act run whose directory is dir.
func readArtifact(t *testing.T, dir, name string) *results.Run {
	t.Helper()
	res, err := results.Read(filepath.Join(dir, "artifacts", name, "results.json"))
	if err != nil {
		t.Fatalf("artifact %s: %v", name, err)
	}
	return res
}

func cellNames(res *results.Run) []string {
	var names []string
	for _, c := range res.Cells {
		names = append(names, c.Name())
	}
	return names
}
