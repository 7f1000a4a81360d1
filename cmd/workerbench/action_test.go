package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
	flaskapp "github.com/workerbench/workerbench/examples/flask"
	"go.yaml.in/yaml/v3"
)

const gunicornPath = "/usr/bin/gunicorn"

// needGunicorn skips tests that benchmark the example Flask app.
func needGunicorn(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real servers")
	}
	if _, err := os.Stat(gunicornPath); err != nil {
		t.Skip("gunicorn is not installed at " + gunicornPath)
	}
	if path, why := findGunicorn(); path == "" {
		t.Skip(why)
	}
}

// testRepo is a git repository with the example app in app/: a base commit
// and a head commit on top of it.
type testRepo struct{ dir, base, head string }

func newTestRepo(t *testing.T) testRepo {
	t.Helper()
	dir := t.TempDir()
	gitT := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test",
			"-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	gitT("init", "-q", "-b", "main")
	if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app", "app.py"), flaskapp.App, 0o644); err != nil {
		t.Fatal(err)
	}
	gitT("add", ".")
	gitT("commit", "-q", "-m", "base")
	base := gitT("rev-parse", "HEAD")
	head := append(append([]byte{}, flaskapp.App...), "\n# head\n"...)
	if err := os.WriteFile(filepath.Join(dir, "app", "app.py"), head, 0o644); err != nil {
		t.Fatal(err)
	}
	gitT("commit", "-q", "-am", "head")
	return testRepo{dir: dir, base: base, head: gitT("rev-parse", "HEAD")}
}

// prEventJSON is a pull_request event for PR 7 of o/r.
func prEventJSON(base, head string) map[string]any {
	side := func(sha, ref string) map[string]any {
		return map[string]any{"sha": sha, "ref": ref, "repo": map[string]any{"full_name": "o/r"}}
	}
	return map[string]any{
		"action": "synchronize", "number": 7,
		"pull_request": map[string]any{
			"number": 7, "base": side(base, "main"), "head": side(head, "feature"),
		},
		"repository": map[string]any{"full_name": "o/r"},
	}
}

// fastInputs benchmark the example app at 1x1 in about a second per side.
func fastInputs() map[string]string {
	const command = gunicornPath + " --bind {bind} --workers {workers} --threads {threads} app:app"
	const args = "--warmup 100ms --sequential 5 --max-pairs 2 --confirm-pairs 0 --health /health"
	return map[string]string{
		"command":           command,
		"working-directory": "app",
		"matrix":            "1x1",
		"path":              "/?ms=5",
		"duration":          "200ms",
		"trials":            "2",
		"args":              args,
		"github-token":      githubtest.Token,
	}
}

// actionEnv is the environment of one action step, with temp files for
// the event, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
type actionEnv struct {
	vars            map[string]string
	output, summary string
	resultsDir      string
}

func newActionEnv(t *testing.T, api *githubtest.Server, workspace, eventName string, event any,
	inputs map[string]string,
) *actionEnv {
	t.Helper()
	dir := t.TempDir()
	e := &actionEnv{
		output:     filepath.Join(dir, "output"),
		summary:    filepath.Join(dir, "summary"),
		resultsDir: filepath.Join(dir, "results"),
	}
	data, err := json.Marshal(event)
	if err != nil {
		t.Fatal(err)
	}
	eventPath := filepath.Join(dir, "event.json")
	for path, content := range map[string][]byte{eventPath: data, e.output: nil, e.summary: nil} {
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e.vars = map[string]string{
		"GITHUB_ACTIONS":      "true",
		"GITHUB_EVENT_NAME":   eventName,
		"GITHUB_EVENT_PATH":   eventPath,
		"GITHUB_REPOSITORY":   "o/r",
		"GITHUB_API_URL":      api.URL(),
		"GITHUB_SERVER_URL":   "https://github.example",
		"GITHUB_RUN_ID":       "4242",
		"GITHUB_WORKSPACE":    workspace,
		"GITHUB_OUTPUT":       e.output,
		"GITHUB_STEP_SUMMARY": e.summary,
		"RUNNER_TEMP":         dir,
		"INPUT_RESULTS-DIR":   e.resultsDir,
	}
	for k, v := range inputs {
		e.vars["INPUT_"+strings.ToUpper(k)] = v
	}
	return e
}

// run runs `workerbench action` in-process with e's environment.
func (e *actionEnv) run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return e.vars[k] }
	err := run(context.Background(), append([]string{"action"}, args...), getenv, &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

// outputs parses GITHUB_OUTPUT, requiring the heredoc form for every value.
func (e *actionEnv) outputs(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(e.output)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok || delim == "" {
			t.Fatalf("GITHUB_OUTPUT line %d is not NAME<<DELIMITER: %q", i+1, lines[i])
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("GITHUB_OUTPUT: value of %s is not closed by %s", name, delim)
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// assertNoToken fails if the token appears in the output streams or any
// file the step wrote.
func (e *actionEnv) assertNoToken(t *testing.T, streams ...string) {
	t.Helper()
	for i, s := range streams {
		if strings.Contains(s, githubtest.Token) {
			t.Errorf("stream %d contains the token", i)
		}
	}
	for _, root := range []string{e.output, e.summary, e.resultsDir} {
		filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err == nil && bytes.Contains(data, []byte(githubtest.Token)) {
				t.Errorf("%s contains the token", path)
			}
			return nil
		})
	}
}

func TestActionPullRequestCommentCreatedThenUpdated(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	ev := prEventJSON(repo.base, repo.head)

	e := newActionEnv(t, api, repo.dir, "pull_request", ev, fastInputs())
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("first run: exit %d\nstderr:\n%s", code, stderr)
	}
	comments, creates, edits := api.Comments(7), api.Created(), api.Edited()
	if len(comments) != 1 || creates != 1 || edits != 0 {
		t.Fatalf("after the first run: %d comments, %d creates, %d edits; want 1, 1, 0",
			len(comments), creates, edits)
	}
	body := comments[0].Body
	first, rest, _ := strings.Cut(body, "\n")
	if first != publish.Marker {
		t.Errorf("comment starts with %q, want the marker", first)
	}
	heading, _, _ := strings.Cut(rest, "\n")
	verdicts := []string{
		"regressed", "unchanged", "improved", "Inconclusive", "inconclusive",
		"No change", "no change",
	}
	if !strings.HasPrefix(heading, "### ") || !containsAny(heading, verdicts...) {
		t.Errorf("comment's first line does not state the verdict: %q", heading)
	}
	for _, want := range []string{
		"main " + repo.base[:7], "feature " + repo.head[:7],
		"https://github.example/o/r/actions/runs/4242",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("comment lacks %q:\n%s", want, body)
		}
	}
	t.Logf("comment:\n%s", body)

	out := e.outputs(t)
	res, err := results.Read(out["results"])
	if err != nil {
		t.Fatalf("output results: %v", err)
	}
	if out["verdict"] != string(res.Verdict) || res.Verdict == "" {
		t.Errorf("output verdict %q, results verdict %q", out["verdict"], res.Verdict)
	}
	want := map[bool]string{true: "true", false: "false"}[res.Verdict == results.Regressed]
	if out["regressed"] != want {
		t.Errorf("output regressed %q, want %q", out["regressed"], want)
	}
	if out["best-config"] != "1x1" || out["dir"] != e.resultsDir {
		t.Errorf("outputs best-config %q dir %q", out["best-config"], out["dir"])
	}
	// Directories as the repository names them, not the runner's paths
	// (the base is a temporary worktree).
	if res.Dir != "app" || res.BaseDir != "app at "+repo.base[:7] {
		t.Errorf("results name the directories %q and %q, want app and app at %s",
			res.Dir, res.BaseDir, repo.base[:7])
	}
	if strings.Contains(body, e.vars["RUNNER_TEMP"]) || strings.Contains(body, repo.dir) {
		t.Errorf("the comment shows a path on the runner:\n%s", body)
	}
	if !strings.Contains(out["summary"], "\n") ||
		!strings.HasPrefix(body, publish.Marker+"\n"+out["summary"][:40]) {
		t.Errorf("output summary is not the multi-line comment body: %q", out["summary"])
	}
	summary, _ := os.ReadFile(e.summary)
	if len(summary) == 0 || len(summary) > publish.MaxSummaryBytes ||
		!strings.HasPrefix(string(summary), "### ") {
		t.Errorf("job summary: %d bytes, starts %q", len(summary), report.Clip(string(summary), 40))
	}
	for _, f := range []string{
		"results.json", "summary.md", "payload.json", "concurrency.png", "concurrency.svg",
	} {
		if _, err := os.Stat(filepath.Join(e.resultsDir, f)); err != nil {
			t.Errorf("results dir: %v", err)
		}
	}
	p, err := publish.ReadPayload(e.resultsDir)
	if err != nil || p.PR != 7 || p.HeadSHA != repo.head {
		t.Errorf("payload %+v, %v", p, err)
	}
	wt, _ := git(context.Background(), repo.dir, "worktree", "list")
	if strings.Count(strings.TrimSpace(wt), "\n") != 0 {
		t.Errorf("base worktree left behind:\n%s", wt)
	}
	e.assertNoToken(t, stdout, stderr)

	// Second push: the same comment is edited, not duplicated.
	e2 := newActionEnv(t, api, repo.dir, "pull_request", ev, fastInputs())
	code, stdout, stderr = e2.run(t)
	if code != exitOK {
		t.Fatalf("second run: exit %d\nstderr:\n%s", code, stderr)
	}
	comments, creates, edits = api.Comments(7), api.Created(), api.Edited()
	if len(comments) != 1 || creates != 1 || edits != 1 {
		t.Fatalf("after the second run: %d comments, %d creates, %d edits; want 1, 1, 1",
			len(comments), creates, edits)
	}
	e2.assertNoToken(t, stdout, stderr)
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// plainInputs run without a baseline: one measurement, fastest.
func plainInputs() map[string]string {
	in := fastInputs()
	in["baseline"] = "none"
	in["trials"] = "1"
	return in
}

func TestActionReadOnlyTokenFallsBackToSummary(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	api.Fail("POST", githubtest.ReadOnly)
	e := newActionEnv(t, api, repo.dir, "pull_request", prEventJSON(repo.base, repo.head),
		plainInputs())
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d, want 0 with a read-only token\nstderr:\n%s", code, stderr)
	}
	notice := "::notice title=workerbench%3A results are in the job summary::"
	if !strings.Contains(stdout, notice) || !strings.Contains(stdout, "pull-requests: write") {
		t.Errorf("no notice saying how to enable comments:\n%s", stdout)
	}
	summary, _ := os.ReadFile(e.summary)
	if !strings.HasPrefix(string(summary), "### ") {
		t.Errorf("job summary not written: %q", report.Clip(string(summary), 80))
	}
	if out := e.outputs(t); out["verdict"] != "none" || out["regressed"] != "false" {
		t.Errorf("outputs without baseline: verdict %q regressed %q",
			out["verdict"], out["regressed"])
	}
	if comments := api.Comments(7); len(comments) != 0 {
		t.Errorf("%d comments created with a read-only token", len(comments))
	}
	e.assertNoToken(t, stdout, stderr)
}

func TestActionFindsCommentOnPage3(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	for range 230 {
		api.AddComment(7, "alice", "LGTM")
	}
	api.AddComment(7, githubtest.Bot, publish.Marker+"\nold results")
	for range 19 {
		api.AddComment(7, "bob", "another comment")
	}
	e := newActionEnv(t, api, repo.dir, "pull_request", prEventJSON(repo.base, repo.head),
		plainInputs())
	if code, _, stderr := e.run(t); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	comments, creates, edits := api.Comments(7), api.Created(), api.Edited()
	if len(comments) != 250 || creates != 0 || edits != 1 {
		t.Fatalf("%d comments, %d creates, %d edits; want 250, 0, 1", len(comments), creates, edits)
	}
	c := comments[230]
	if !strings.HasPrefix(c.Body, publish.Marker) || strings.Contains(c.Body, "old results") {
		t.Errorf("comment on page 3 not updated: %q", report.Clip(c.Body, 80))
	}
}

func TestActionPushRunsWithoutComment(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	in := fastInputs()
	in["trials"] = "1"
	e := newActionEnv(t, api, repo.dir, "push", map[string]any{"after": repo.head}, in)
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if _, err := results.Read(filepath.Join(e.resultsDir, "results.json")); err != nil {
		t.Errorf("push: results not saved: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.resultsDir, publish.PayloadFile)); err == nil {
		t.Error("push wrote a payload.json")
	}
	if comments, creates := api.Comments(7), api.Created(); len(comments)+creates != 0 {
		t.Error("push commented")
	}
	e.assertNoToken(t, stdout, stderr)
}

func TestActionBadInputs(t *testing.T) {
	repo := t.TempDir()
	// A project in working-directory whose Procfile runs a script: with no
	// command, the action reads it there, and says it cannot.
	writeFile(t, filepath.Join(repo, "scripted", "Procfile"), "web: bin/start\n")
	api := githubtest.New(t, "o/r")
	sha := strings.Repeat("a", 40)
	type in = map[string]string
	push := map[string]any{}
	// withCommand is a command and one more input.
	withCommand := func(input, value string) in { return in{"command": "x {bind}", input: value} }
	tests := []struct {
		name      string
		eventName string
		event     any
		inputs    map[string]string
		wantCode  int
		want      string
	}{
		{"bad mode", "push", push, in{"mode": "deploy"}, exitUsage,
			`input mode "deploy": want benchmark, merge or publish`},
		{"bad baseline", "push", push, withCommand("baseline", "main"), exitUsage,
			`input baseline "main": want auto, base, file or none`},
		{"base on push", "push", push, withCommand("baseline", "base"), exitUsage,
			"the base commit is known only on pull_request"},
		{"file without path", "push", push, withCommand("baseline", "file"), exitUsage,
			"baseline-file is empty"},
		{"bad comment", "push", push, withCommand("comment", "sometimes"), exitUsage,
			`input comment "sometimes"`},
		{"bad bool", "push", push, withCommand("fail-on-regression", "yes please"), exitUsage,
			`input fail-on-regression "yes please": want true or false`},
		{"bad matrix", "push", push, withCommand("matrix", "3"), exitUsage, "--matrix"},
		{"no command", "push", push, in{}, exitUsage, "command is empty"},
		{"deployed by a script", "push", push, in{"working-directory": "scripted"}, exitUsage,
			"Procfile line 1: web: bin/start runs a script workerbench cannot read; pass --cmd"},
		{"server and command", "push", push, in{"command": "x {bind}", "server": "gunicorn", "app": "app:app"},
			exitUsage, `--server gunicorn and --cmd "x {bind}" are both given`},
		{"bad base sha", "pull_request", prEventJSON("main", sha), in{"command": "x {bind}"},
			exitError, `pull_request.base.sha "main" is not a 40-hex-digit commit SHA`},
		{"publish outside workflow_run", "pull_request", prEventJSON(sha, sha),
			in{"mode": "publish"}, exitUsage, "mode publish runs in a workflow_run workflow"},
		{"bad shard", "push", push, withCommand("shard", "5/4"), exitUsage,
			`shard "5/4": want 1 ≤ I ≤ N ≤ 1000`},
		{"shard that comments", "push", push,
			in{"command": "x {bind}", "shard": "1/2", "comment": "always"}, exitUsage,
			"input comment is always but shard is 1/2: a shard measures part of the matrix"},
		{"bad history", "push", push, withCommand("history", "my data"), exitUsage,
			`input history "my data": want a branch name like workerbench-data, or none`},
		{"bad history series", "push", push, withCommand("history-series", "Web API"), exitUsage,
			`input history-series "Web API": want 1 to 64 of a-z 0-9 . _ -`},
		{"merge with shard", "push", push, in{"mode": "merge", "shard": "1/2"}, exitUsage,
			"input shard is 1/2 but mode is merge"},
		{"merge without shards", "push", push, in{"mode": "merge"}, exitError,
			"mode merge: no shard results in"},
		{"pull_request_target", "pull_request_target", prEventJSON(sha, sha),
			in{"command": "x {bind}"}, exitUsage,
			"the event is pull_request_target, which workerbench refuses to benchmark"},
		{"pull_request_target not allowed", "pull_request_target", prEventJSON(sha, sha),
			withCommand("allow-pull-request-target", "false"), exitUsage,
			"comment from a workflow_run job with mode: publish"},
		{"bad allow-pull-request-target", "pull_request_target", prEventJSON(sha, sha),
			withCommand("allow-pull-request-target", "maybe"), exitUsage,
			`input allow-pull-request-target "maybe": want true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.inputs["github-token"] = githubtest.Token
			e := newActionEnv(t, api, repo, tt.eventName, tt.event, tt.inputs)
			code, stdout, stderr := e.run(t)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want %d; stderr does not contain %q:\n%s",
					code, tt.wantCode, tt.want, stderr)
			}
			e.assertNoToken(t, stdout, stderr)
		})
	}
}

// actionYML is the part of action.yml the consistency test reads.
type actionYML struct {
	Inputs map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID  string            `yaml:"id"`
			Run string            `yaml:"run"`
			Env map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// TestActionInputsMatchActionYML checks that every input action.yml
// declares is passed to the action step and read by the code, and that
// the code reads no input action.yml does not declare.
func TestActionInputsMatchActionYML(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a actionYML
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Errorf("runs.using %q, want composite", a.Runs.Using)
	}
	var declared []string
	for name, in := range a.Inputs {
		declared = append(declared, name)
		if in.Description == "" || in.Default == nil {
			t.Errorf("input %s needs a description and a default", name)
		}
		if name != strings.ToLower(name) || strings.Contains(name, "_") {
			t.Errorf("input %s is not kebab-case", name)
		}
	}
	sort.Strings(declared)

	var read []string
	getenv := func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read = append(read, strings.ToLower(name))
		}
		return ""
	}
	readActionInputs(publish.NewActions(getenv, &bytes.Buffer{}))
	sort.Strings(read)
	if !slices.Equal(declared, read) {
		t.Errorf("inputs declared in action.yml:\n  %v\nread by readActionInputs:\n  %v",
			declared, read)
	}

	var step *struct {
		ID  string            `yaml:"id"`
		Run string            `yaml:"run"`
		Env map[string]string `yaml:"env"`
	}
	for i := range a.Runs.Steps {
		s := &a.Runs.Steps[i]
		if strings.Contains(s.Run, "${{") {
			t.Errorf("step %q has an expression inside run: (pass it through env:)", s.ID)
		}
		if s.ID == "run" {
			step = s
		}
	}
	if step == nil {
		t.Fatal("action.yml has no step with id run")
	}
	for _, name := range declared {
		key := "INPUT_" + strings.ToUpper(name)
		if got, want := step.Env[key], "${{ inputs."+name+" }}"; got != want {
			t.Errorf("step run: env %s = %q, want %q", key, got, want)
		}
	}
	for _, o := range []string{"verdict", "regressed", "results", "summary", "best-config"} {
		if got, want := a.Outputs[o].Value, "${{ steps.run.outputs."+o+" }}"; got != want {
			t.Errorf("output %s value %q, want %q", o, got, want)
		}
	}
}

// TestActionCommentOnRegression: with comment: on-regression, a pull
// request that did not regress gets no comment, but one that has the
// comment of an earlier regressed push gets it updated, so the PR never
// keeps saying "regressed" after the fix.
func TestActionCommentOnRegression(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	ev := prEventJSON(repo.base, repo.head)
	in := fastInputs()
	in["comment"] = "on-regression"

	e := newActionEnv(t, api, repo.dir, "pull_request", ev, in)
	code, _, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	if verdict := e.outputs(t)["verdict"]; verdict == string(results.Regressed) {
		t.Skip("the same app measured as a regression: cannot test the no-regression case")
	}
	if comments, creates := api.Comments(7), api.Created(); len(comments) != 0 || creates != 0 {
		t.Fatalf("no regression and no earlier comment, but %d comments were created", creates)
	}

	old := publish.Marker + "\n### ❌ workerbench: throughput regressed (an earlier push)"
	api.AddComment(7, githubtest.Bot, old)
	e2 := newActionEnv(t, api, repo.dir, "pull_request", ev, in)
	if code, _, stderr := e2.run(t); code != exitOK {
		t.Fatalf("exit %d\nstderr:\n%s", code, stderr)
	}
	comments, creates, edits := api.Comments(7), api.Created(), api.Edited()
	if len(comments) != 1 || creates != 0 || edits != 1 {
		t.Fatalf("%d comments, %d creates, %d edits; want the earlier comment edited",
			len(comments), creates, edits)
	}
	if comments[0].Body == old || strings.Contains(comments[0].Body, "an earlier push") {
		t.Errorf("the earlier regressed comment was not brought up to date:\n%s", comments[0].Body)
	}
}

// TestActionCommentAuthor: the sticky comment is the one that starts with
// the marker and is by the token's identity; anyone else's marked comment
// is left alone and a new comment posted, which the log says once.
func TestActionCommentAuthor(t *testing.T) {
	needGunicorn(t)
	const forged = publish.Marker + "\nforged results"
	tests := []struct {
		name        string
		login       string // the token's user (githubtest.Server.SetLogin)
		author      string // input comment-author
		others      []string
		ours        string // author of an old comment of ours, if any
		wantBy      string
		wantCreated bool
		wantLog     string
	}{
		{name: "another's marker", others: []string{"mallory", "mallory"},
			wantBy: githubtest.Bot, wantCreated: true,
			wantLog: "ignored 2 comments with the workerbench marker by mallory: " +
				"only comments by github-actions[bot] are workerbench's"},
		{name: "the bot's own", others: []string{"mallory"}, ours: githubtest.Bot,
			wantBy: githubtest.Bot, wantLog: "by mallory"},
		{name: "a personal access token's user", login: "alice", others: []string{githubtest.Bot},
			ours: "alice", wantBy: "alice", wantLog: "by github-actions[bot]: only comments by alice"},
		{name: "comment-author", login: "alice", author: "my-app[bot]", others: []string{"alice"},
			ours: "my-app[bot]", wantBy: "my-app[bot]", wantLog: "only comments by my-app[bot]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := newTestRepo(t)
			api := githubtest.New(t, "o/r")
			api.SetLogin(tt.login)
			for _, login := range tt.others {
				api.AddComment(7, login, forged)
			}
			if tt.ours != "" {
				api.AddComment(7, tt.ours, publish.Marker+"\nold results")
			}
			in := plainInputs()
			in["comment-author"] = tt.author
			e := newActionEnv(t, api, repo.dir, "pull_request", prEventJSON(repo.base, repo.head), in)
			code, stdout, stderr := e.run(t)
			if code != exitOK {
				t.Fatalf("exit %d\n%s", code, stderr)
			}
			comments := api.Comments(7)
			for _, c := range comments[:len(tt.others)] {
				if c.Body != forged {
					t.Errorf("%s's comment changed to %q", c.Login, report.Clip(c.Body, 80))
				}
			}
			last := comments[len(comments)-1]
			if last.Login != tt.wantBy || !strings.HasPrefix(last.Body, publish.Marker) ||
				strings.Contains(last.Body, "old results") {
				t.Errorf("last comment by %s: %q; want the results by %s",
					last.Login, report.Clip(last.Body, 80), tt.wantBy)
			}
			if tt.wantCreated != (api.Created() == 1) || api.Created()+api.Edited() != 1 {
				t.Errorf("%d created, %d edited; want created %v", api.Created(), api.Edited(),
					tt.wantCreated)
			}
			if n := strings.Count(stderr, "with the workerbench marker"); n != 1 ||
				!strings.Contains(stderr, tt.wantLog) {
				t.Errorf("stderr says %d times that comments were ignored, want once: %q\n%s",
					n, tt.wantLog, stderr)
			}
			if strings.Contains(stdout, "set comment-author") {
				t.Errorf("warned about comment-author:\n%s", stdout)
			}
			e.assertNoToken(t, stdout, stderr)
		})
	}
}

// TestActionWarnsOfAMisconfiguredCommentAuthor: a comment posted under
// another login than comment-author would not be found next time.
func TestActionWarnsOfAMisconfiguredCommentAuthor(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	in := plainInputs()
	in["comment-author"] = "my-app[bot]"
	e := newActionEnv(t, api, repo.dir, "pull_request", prEventJSON(repo.base, repo.head), in)
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := "the comment was posted as github-actions[bot], but workerbench looks for comments " +
		"by my-app[bot]"
	if !strings.Contains(stdout, "::warning") || !strings.Contains(stdout, want) {
		t.Errorf("stdout has no warning %q:\n%s", want, stdout)
	}
}

// TestActionPullRequestTargetAllowed: with allow-pull-request-target the
// event is benchmarked and commented like pull_request.
func TestActionPullRequestTargetAllowed(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	in := plainInputs()
	in["allow-pull-request-target"] = "true"
	e := newActionEnv(t, api, repo.dir, "pull_request_target", prEventJSON(repo.base, repo.head),
		in)
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if api.Created() != 1 {
		t.Errorf("%d comments created, want 1", api.Created())
	}
	e.assertNoToken(t, stdout, stderr)
}
