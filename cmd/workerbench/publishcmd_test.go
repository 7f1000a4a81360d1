package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// artifactDir writes a results artifact as the benchmark stage of a fork
// pull request leaves it, with a payload body that must not be posted.
func artifactDir(t *testing.T, pr int, headSHA string) string {
	t.Helper()
	dir := t.TempDir()
	cell := results.Cell{
		Workers: 3, Threads: 3, Slots: 9, Mode: "closed",
		ThroughputRPS: 88, Concurrency: 8.9, Efficiency: 0.99,
		Comparison: results.Comparison{
			Ratio: 0.8, CILow: 0.78, CIHigh: 0.82, Verdict: results.Regressed, Pairs: 10,
		},
	}
	base := cell
	base.ThroughputRPS = 110
	cell.Base = &base
	res := &results.Run{
		Schema:        results.Schema,
		Command:       "gunicorn --bind {bind} app:app",
		Cells:         []results.Cell{cell},
		RunComparison: results.RunComparison{Verdict: results.Regressed},
	}
	if err := results.Write(filepath.Join(dir, "results.json"), res); err != nil {
		t.Fatal(err)
	}
	forged := publish.Payload{
		PR: pr, HeadSHA: headSHA, Body: "FORGED BODY [click](https://evil.example)",
	}
	if err := publish.WritePayload(dir, forged); err != nil {
		t.Fatal(err)
	}
	return dir
}

func workflowRunEvent(headSHA string) map[string]any {
	return map[string]any{
		"repository": map[string]any{"id": 1, "full_name": "o/r"},
		"workflow_run": map[string]any{
			"id": 99, "head_sha": headSHA,
			"head_repository": map[string]any{"full_name": "fork/r"},
			"pull_requests":   []any{}, // empty for fork pull requests
		},
	}
}

func TestPublishModeCommentsFromArtifact(t *testing.T) {
	head := strings.Repeat("b", 40)
	api := githubtest.New(t, "o/r")
	api.AddPull(7, githubtest.Pull{HeadSHA: head, HeadRepo: "fork/r"})
	dir := artifactDir(t, 7, head)
	e := newActionEnv(t, api, t.TempDir(), "workflow_run", workflowRunEvent(head),
		map[string]string{"mode": "publish", "github-token": githubtest.Token, "results-dir": dir})
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	comments, creates := api.Comments(7), api.Created()
	if len(comments) != 1 || creates != 1 {
		t.Fatalf("%d comments, %d creates; want 1 created", len(comments), creates)
	}
	body := comments[0].Body
	if strings.Contains(body, "FORGED") {
		t.Error("posted the payload's body instead of rendering results.json")
	}
	runURL := "https://github.example/o/r/actions/runs/99"
	if !strings.Contains(body, "regressed") || !strings.Contains(body, runURL) {
		t.Errorf("comment does not state the verdict or link the first stage's run:\n%s", body)
	}
	out := e.outputs(t)
	if out["verdict"] != string(results.Regressed) || out["regressed"] != "true" {
		t.Errorf("outputs %v", out)
	}
	e.assertNoToken(t, stdout, stderr)
}

func TestPublishRejectsUntrustedArtifacts(t *testing.T) {
	head := strings.Repeat("b", 40)
	tests := []struct {
		name   string
		mutate func(t *testing.T, dir string)
		event  string // head SHA in the event
		want   string
	}{
		{"head sha mismatch", nil, strings.Repeat("c", 40), "does not match workflow_run.head_sha"},
		{"pr of someone else", func(t *testing.T, dir string) {
			p := map[string]any{
				"schema": publish.PayloadSchema, "pr": 8, "head_sha": head, "body": "x",
			}
			data, _ := json.Marshal(p)
			os.WriteFile(filepath.Join(dir, publish.PayloadFile), data, 0o644)
		}, head, "get pull request #8"},
		{"symlinked results", func(t *testing.T, dir string) {
			os.Rename(filepath.Join(dir, "results.json"), filepath.Join(dir, "real.json"))
			os.Symlink("real.json", filepath.Join(dir, "results.json"))
		}, head, "not a regular file"},
		{"extra payload field", func(t *testing.T, dir string) {
			p := `{"schema":"` + publish.PayloadSchema + `","pr":7,"head_sha":"` + head +
				`","body":"x","token":"y"}`
			os.WriteFile(filepath.Join(dir, publish.PayloadFile), []byte(p), 0o644)
		}, head, "unknown field"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// No pull request is registered: each artifact is rejected
			// before the API is asked about #7 (a stub for #7 went unused
			// in all four cases), and asking would now fail on a 404.
			api := githubtest.New(t, "o/r")
			dir := artifactDir(t, 7, head)
			if tt.mutate != nil {
				tt.mutate(t, dir)
			}
			e := newActionEnv(t, api, t.TempDir(), "workflow_run", workflowRunEvent(tt.event),
				map[string]string{
					"mode": "publish", "github-token": githubtest.Token, "results-dir": dir,
				})
			code, _, stderr := e.run(t)
			if code == exitOK || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d; stderr does not contain %q:\n%s", code, tt.want, stderr)
			}
			if comments := api.Comments(7); len(comments) != 0 {
				t.Error("commented from a rejected artifact")
			}
		})
	}
}

func TestPublishCommandDirFlag(t *testing.T) {
	head := strings.Repeat("b", 40)
	api := githubtest.New(t, "o/r")
	api.AddPull(7, githubtest.Pull{HeadSHA: head, HeadRepo: "fork/r"})
	dir := artifactDir(t, 7, head)
	e := newActionEnv(t, api, t.TempDir(), "workflow_run", workflowRunEvent(head),
		map[string]string{"github-token": githubtest.Token})
	var out, errb strings.Builder
	getenv := func(k string) string { return e.vars[k] }
	err := run(context.Background(), []string{"publish", "--dir", dir}, getenv, &out, &errb)
	if err != nil {
		t.Fatalf("publish --dir: %v\n%s", err, errb.String())
	}
	if comments := api.Comments(7); len(comments) != 1 {
		t.Errorf("%d comments, want 1", len(comments))
	}
}

// TestPublishModeShowsTrend: the publish stage, given a checkout of the
// base repository (whose origin holds the data branch), adds main's trend
// from that branch to the comment it renders; the artifact has no say.
func TestPublishModeShowsTrend(t *testing.T) {
	head := strings.Repeat("b", 40)
	repo := newTestRepo(t)
	withOrigin(t, repo)
	tmp := t.TempDir()
	for i := range 3 {
		code, _, stderr := runCLI(t, "history", "add", "--branch", "workerbench-data",
			"--repo", repo.dir, "--commit", sha(i), pushResults(t, tmp, i))
		if code != 0 {
			t.Fatalf("history add: exit %d\n%s", code, stderr)
		}
	}
	api := githubtest.New(t, "o/r")
	api.AddPull(7, githubtest.Pull{HeadSHA: head, HeadRepo: "fork/r"})
	ev := workflowRunEvent(head)
	ev["repository"].(map[string]any)["default_branch"] = "main"
	e := newActionEnv(t, api, repo.dir, "workflow_run", ev, map[string]string{"mode": "publish",
		"github-token": githubtest.Token, "results-dir": artifactDir(t, 7, head)})
	code, _, stderr := e.run(t)
	if code != exitOK || len(api.Comments(7)) != 1 {
		t.Fatalf("exit %d, %d comments\n%s", code, len(api.Comments(7)), stderr)
	}
	body := api.Comments(7)[0].Body
	if !strings.Contains(body, "**main's trend** — `default`, 3 pushes") ||
		!strings.Contains(body, "| 3x3 | ") {
		t.Errorf("comment lacks main's trend of 3 pushes:\n%s", body)
	}
}

// injection is text a hostile artifact puts in every free-text field: in
// a GitHub Actions log each of its lines would be a workflow command.
const injection = "x\n::warning title=FORGED::y\r::error::z ##[error]w\u2028::add-mask::workerbench\n  ::stop-commands::t"

// hostileRun is a comparison whose every free-text field carries injection
// (enumerated fields cannot: Decode refuses them).
func hostileRun() *results.Run {
	cell := results.Cell{
		Workers: 3, Threads: 3, Slots: 9, Mode: "closed", Endpoint: injection,
		ThroughputRPS: 88, Concurrency: 8.9, Efficiency: 0.99,
		Diagnostics: []string{injection},
		Bursts: []results.Burst{{Size: 2, Waves: []int{2},
			Requests: []results.BurstRequest{{Error: injection}}}},
		Comparison: results.Comparison{
			Ratio: 0.8, CILow: 0.78, CIHigh: 0.82, Verdict: results.Regressed, Pairs: 10,
			Method: injection,
		},
	}
	base := cell
	base.ThroughputRPS = 110
	cell.Base = &base
	failed := results.Cell{Workers: 1, Threads: 1, Slots: 1, Endpoint: injection, Error: injection,
		LogTail: []string{injection}, LogExcerpt: []string{injection}}
	failed.Base = &results.Cell{Workers: 1, Threads: 1, Slots: 1, Error: injection}
	return &results.Run{
		Schema:  results.Schema,
		Host:    results.Host{CPUs: 2, OS: injection, Arch: injection, Hostname: injection, CPUModel: injection},
		Command: injection, Dir: injection, Commit: injection, Server: injection,
		Cells:       []results.Cell{cell, failed},
		Diagnostics: []string{injection},
		Setup:       &results.Setup{Command: injection},
		Recommendation: &results.Recommendation{Workers: 3, Threads: 3, TargetCPUs: 2,
			Reasons: []string{injection}},
		RunComparison: results.RunComparison{
			Verdict: results.Regressed, BaseCommand: injection, BaseDir: injection, BaseCommit: injection,
			Overall:         &results.Overall{Ratio: 0.8, CILow: 0.7, CIHigh: 0.9, Threshold: 0.05, Method: injection},
			Warnings:        []string{injection},
			BaseDiagnostics: []string{injection},
			Dependencies:    &results.Dependencies{Changed: []string{injection}},
		},
	}
}

// ownAnnotation starts the action's annotation of a regression.
const ownAnnotation = "::warning title=workerbench%3A concurrency regressed::"

// checkNoCommands fails when a line of a job's log would be read by the
// runner as a workflow command other than the action's own annotations,
// which the library escapes.
func checkNoCommands(t *testing.T, name, log string) {
	t.Helper()
	for _, l := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(l, ownAnnotation) {
			continue // one command, whose message cannot start another
		}
		if strings.HasPrefix(strings.TrimLeftFunc(l, unicode.IsSpace), "::") || strings.Contains(l, "##[") {
			t.Errorf("%s: line %q is a workflow command", name, l)
		}
	}
}

// TestPublishNeutralisesCommands: an artifact's text reaches the publish
// job's log (the table, the errors) with no workflow command in it; the
// step outputs carry validated values only.
func TestPublishNeutralisesCommands(t *testing.T) {
	head := strings.Repeat("b", 40)
	api := githubtest.New(t, "o/r")
	api.AddPull(7, githubtest.Pull{HeadSHA: head, HeadRepo: "fork/r"})
	dir := artifactDir(t, 7, head)
	if err := results.Write(filepath.Join(dir, "results.json"), hostileRun()); err != nil {
		t.Fatal(err)
	}
	e := newActionEnv(t, api, t.TempDir(), "workflow_run", workflowRunEvent(head),
		map[string]string{"mode": "publish", "github-token": githubtest.Token, "results-dir": dir})
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	checkNoCommands(t, "stdout", stdout)
	checkNoCommands(t, "stderr", stderr)
	if !strings.Contains(stdout, "\n"+ownAnnotation) {
		t.Errorf("the regression's annotation is missing or neutralised:\n%s", stdout)
	}
	for _, l := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(l, ownAnnotation) && strings.Contains(l, "%0A") {
			t.Errorf("the annotation carries the artifact's line breaks: %q", l)
		}
	}
	out := e.outputs(t)
	if out["verdict"] != "regressed" || out["regressed"] != "true" || out["best-config"] != "3x3" {
		t.Errorf("outputs verdict %q, regressed %q, best-config %q", out["verdict"], out["regressed"],
			out["best-config"])
	}

	// A forged verdict is refused, naming the field, and never printed
	// at the start of a line.
	data, _ := os.ReadFile(filepath.Join(dir, "results.json"))
	forged := strings.Replace(string(data), `"verdict": "regressed"`,
		`"verdict": "regressed\n::warning title=FORGED::x"`, 1)
	os.WriteFile(filepath.Join(dir, "results.json"), []byte(forged), 0o644)
	code, stdout, stderr = e.run(t)
	if code == exitOK || !strings.Contains(stderr, `verdict "regressed\n::warning title=FORGED::x": want`) {
		t.Errorf("forged verdict: exit %d\n%s", code, stderr)
	}
	checkNoCommands(t, "stdout", stdout)
	checkNoCommands(t, "stderr", stderr)
}
