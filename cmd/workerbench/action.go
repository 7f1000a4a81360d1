package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// actionInputs are the action.yml inputs, read once from INPUT_* variables.
// Every field is one input; TestActionInputsMatchActionYML keeps this list
// and action.yml in step.
type actionInputs struct {
	Command          string // command
	WorkingDirectory string // working-directory
	Matrix           string // matrix
	Path             string // path
	Config           string // config
	Duration         string // duration
	Trials           string // trials
	Threshold        string // threshold
	Baseline         string // baseline: auto | base | file | none
	BaselineFile     string // baseline-file
	FailOnRegression string // fail-on-regression
	Comment          string // comment: always | on-regression | never
	GitHubToken      string // github-token
	UploadArtifacts  string // upload-artifacts
	ArtifactName     string // artifact-name
	Mode             string // mode: benchmark | publish
	ResultsDir       string // results-dir
	Args             string // args
}

// readActionInputs reads every input the action declares.
func readActionInputs(gha *publish.Actions) actionInputs {
	return actionInputs{
		Command:          gha.Input("command"),
		WorkingDirectory: gha.Input("working-directory"),
		Matrix:           gha.Input("matrix"),
		Path:             gha.Input("path"),
		Config:           gha.Input("config"),
		Duration:         gha.Input("duration"),
		Trials:           gha.Input("trials"),
		Threshold:        gha.Input("threshold"),
		Baseline:         gha.Input("baseline"),
		BaselineFile:     gha.Input("baseline-file"),
		FailOnRegression: gha.Input("fail-on-regression"),
		Comment:          gha.Input("comment"),
		GitHubToken:      gha.Input("github-token"),
		UploadArtifacts:  gha.Input("upload-artifacts"),
		ArtifactName:     gha.Input("artifact-name"),
		Mode:             gha.Input("mode"),
		ResultsDir:       gha.Input("results-dir"),
		Args:             gha.Input("args"),
	}
}

// actionOptions carries what the action command depends on.
type actionOptions struct {
	getenv     func(string) string
	stdout     io.Writer // the step log: annotations and the result table
	stderr     io.Writer // progress
	httpClient *http.Client
	retry      publish.RetryPolicy
}

func actionCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stderr, "usage: workerbench action\n\nThe GitHub Action's entry point: reads INPUT_* (see action.yml) and GITHUB_* variables.")
		return nil
	}
	if len(args) > 0 {
		return usagef("action takes no arguments (inputs come from INPUT_* variables), got %q", args[0])
	}
	return actionRun(ctx, actionOptions{getenv: getenv, stdout: stdout, stderr: stderr, httpClient: http.DefaultClient})
}

// actionRun dispatches on the mode input.
func actionRun(ctx context.Context, o actionOptions) error {
	gha := publish.NewActions(o.getenv, o.stdout)
	in := readActionInputs(gha)
	switch in.Mode {
	case "", "benchmark":
		return benchmarkRun(ctx, o, gha, in)
	case "publish":
		return publishRun(ctx, o, gha, in)
	default:
		return usagef("input mode %q: want benchmark or publish", in.Mode)
	}
}

// prEvent is the part of a pull_request event the action reads.
type prEvent struct {
	Number      int `json:"number"`
	PullRequest struct {
		Number int    `json:"number"`
		Head   prSide `json:"head"`
		Base   prSide `json:"base"`
	} `json:"pull_request"`
}

type prSide struct {
	SHA  string `json:"sha"`
	Ref  string `json:"ref"`
	Repo struct {
		FullName string `json:"full_name"`
	} `json:"repo"`
}

// readPREvent reads the pull_request event at path and validates the
// fields the action acts on.
func readPREvent(path string) (prEvent, error) {
	var ev prEvent
	if path == "" {
		return ev, errors.New("GITHUB_EVENT_PATH is not set: cannot read the pull_request event")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ev, fmt.Errorf("read event: %w", err)
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return ev, fmt.Errorf("read event %s: %w", path, err)
	}
	if ev.Number == 0 {
		ev.Number = ev.PullRequest.Number
	}
	if ev.Number < 1 || ev.Number > publish.MaxPR {
		return ev, fmt.Errorf("read event %s: pull request number %d is invalid", path, ev.Number)
	}
	for _, s := range []struct{ name, sha string }{{"base", ev.PullRequest.Base.SHA}, {"head", ev.PullRequest.Head.SHA}} {
		if !publish.IsSHA(s.sha) {
			return ev, fmt.Errorf("read event %s: pull_request.%s.sha %q is not a 40-hex-digit commit SHA", path, s.name, report.Clip(s.sha, 60))
		}
	}
	return ev, nil
}

func shortSHA(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// benchSetup is a validated benchmark: the parsed flags plus the action's
// own choices.
type benchSetup struct {
	flags        *runFlags
	ab           abFlags
	baseline     string // base | file | none
	baselineFile string
	comment      string // always | on-regression | never
	fail         bool
	upload       bool
	workspace    string
	headDir      string // workspace + working-directory
	outDir       string
}

// parseBenchInputs turns the inputs into run/ab flags and validates them
// with the same code as the CLI.
func parseBenchInputs(o actionOptions, in actionInputs, eventName string, stderr io.Writer) (*benchSetup, error) {
	s := &benchSetup{workspace: o.getenv("GITHUB_WORKSPACE")}
	if s.workspace == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		s.workspace = wd
	}
	var errs []error
	s.baseline = in.Baseline
	switch s.baseline {
	case "", "auto":
		s.baseline = "none"
		if isPREvent(eventName) {
			s.baseline = "base"
		}
	case "base":
		if !isPREvent(eventName) {
			errs = append(errs, fmt.Errorf("input baseline is base but the event is %q: the base commit is known only on pull_request; use baseline: none or file", eventName))
		}
	case "file":
		s.baselineFile = inWorkspace(s.workspace, in.BaselineFile)
		if in.BaselineFile == "" {
			errs = append(errs, errors.New("input baseline is file but baseline-file is empty: give the path of a results.json"))
		}
	case "none":
	default:
		errs = append(errs, fmt.Errorf("input baseline %q: want auto, base, file or none", in.Baseline))
	}
	s.comment = in.Comment
	switch s.comment {
	case "":
		s.comment = "always"
	case "always", "on-regression", "never":
	default:
		errs = append(errs, fmt.Errorf("input comment %q: want always, on-regression or never", in.Comment))
	}
	var err error
	if s.fail, err = boolInput("fail-on-regression", in.FailOnRegression, false); err != nil {
		errs = append(errs, err)
	}
	if s.upload, err = boolInput("upload-artifacts", in.UploadArtifacts, true); err != nil {
		errs = append(errs, err)
	}
	s.headDir = inWorkspace(s.workspace, in.WorkingDirectory)
	s.outDir = in.ResultsDir
	if s.outDir == "" {
		s.outDir = filepath.Join(tempRoot(o.getenv), "workerbench")
	}
	s.outDir = inWorkspace(s.workspace, s.outDir)
	if err := errors.Join(errs...); err != nil {
		return nil, usageError{err}
	}

	args := []string{"--dir", s.headDir, "--out", s.outDir}
	for _, f := range []struct{ flag, value string }{
		{"--cmd", in.Command}, {"--matrix", in.Matrix}, {"--path", in.Path},
		{"--duration", in.Duration}, {"--trials", in.Trials}, {"--threshold", in.Threshold},
	} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}
	if in.Config != "" {
		args = append(args, "--config", inWorkspace(s.workspace, in.Config))
	}
	// args is split on white space only: it carries flags like
	// "--warmup 200ms --max-pairs 6", never a command.
	args = append(args, strings.Fields(in.Args)...)
	defaults := bench.DefaultConfig()
	if s.baseline == "base" {
		defaults = bench.DefaultABConfig()
	}
	s.flags, err = parseRunFlags("action", defaults, args, stderr, s.ab.register)
	if err != nil {
		return nil, fmt.Errorf("action inputs: %w", err)
	}
	return s, nil
}

func isPREvent(name string) bool { return name == "pull_request" || name == "pull_request_target" }

// boolInput parses a true/false input; empty means def.
func boolInput(name, v string, def bool) (bool, error) {
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("input %s %q: want true or false", name, v)
	}
	return b, nil
}

// inWorkspace resolves p against the workspace unless it is absolute.
func inWorkspace(workspace, p string) string {
	if p == "" {
		return workspace
	}
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(workspace, p)
}

func tempRoot(getenv func(string) string) string {
	if t := getenv("RUNNER_TEMP"); t != "" {
		return t
	}
	return os.TempDir()
}

// benchmarkRun is mode benchmark: measure (against the PR's base when there
// is one), then report everywhere.
func benchmarkRun(ctx context.Context, o actionOptions, gha *publish.Actions, in actionInputs) error {
	eventName := o.getenv("GITHUB_EVENT_NAME")
	var ev prEvent
	if isPREvent(eventName) {
		var err error
		if ev, err = readPREvent(o.getenv("GITHUB_EVENT_PATH")); err != nil {
			return err
		}
	}
	s, err := parseBenchInputs(o, in, eventName, o.stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.outDir, 0o755); err != nil {
		return fmt.Errorf("input results-dir: %w", err)
	}
	// Set early so the upload step finds the directory even if the run fails.
	if err := gha.SetOutput("dir", s.outDir); err != nil {
		return err
	}
	res, runErr := measureForAction(ctx, o, s, ev)
	if res == nil {
		return runErr
	}
	labels := report.MarkdownOptions{Title: o.getenv("GITHUB_REPOSITORY")}
	if s.baseline == "base" {
		labels.Base = ev.PullRequest.Base.Ref + " " + shortSHA(ev.PullRequest.Base.SHA)
		labels.Head = ev.PullRequest.Head.Ref + " " + shortSHA(ev.PullRequest.Head.SHA)
	}
	if s.upload {
		labels.ArtifactURL = runURL(o.getenv, o.getenv("GITHUB_RUN_ID"))
	}
	if err := writeOutputs(s.outDir, res); err != nil {
		return errors.Join(runErr, err)
	}
	rep := reporter{o: o, gha: gha, labels: labels}
	comment, err := rep.summarize(res, filepath.Join(s.outDir, "results.json"))
	if err != nil {
		return errors.Join(runErr, err)
	}
	if isPREvent(eventName) {
		// The artifact carries what a workflow_run stage needs to comment
		// for a fork, whose token here is read-only.
		if err := publish.WritePayload(s.outDir, publish.Payload{PR: ev.Number, HeadSHA: ev.PullRequest.Head.SHA, Body: comment}); err != nil {
			return errors.Join(runErr, err)
		}
		if err := rep.comment(ctx, in.GitHubToken, ev.Number, comment, commentWhen(s.comment, res.Verdict)); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if runErr == nil && s.fail && res.Verdict == results.Regressed {
		return errRegression
	}
	return runErr
}

// commentPolicy is what to do with the sticky comment.
type commentPolicy int

const (
	noComment     commentPolicy = iota
	upsertComment               // create it, or update it
	updateComment               // update it if it exists, create none
)

// commentWhen applies the comment input to a verdict. With on-regression
// a comment is created only for a regression, but one that exists (the
// PR regressed on an earlier push) is always brought up to date, so it
// never keeps saying "regressed" after a fix.
func commentWhen(mode string, verdict results.Verdict) commentPolicy {
	switch {
	case mode == "always", mode == "on-regression" && verdict == results.Regressed:
		return upsertComment
	case mode == "on-regression":
		return updateComment
	default:
		return noComment
	}
}

// runURL links the workflow run whose page lists the artifacts.
func runURL(getenv func(string) string, runID string) string {
	server, repo := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY")
	if server == "" || repo == "" || runID == "" {
		return ""
	}
	return strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + runID
}

// measureForAction runs the benchmark the baseline input asks for.
func measureForAction(ctx context.Context, o actionOptions, s *benchSetup, ev prEvent) (*results.Run, error) {
	cfg := s.flags.cfg
	runner := bench.Runner{Config: cfg, Version: buildVersion().Version, LogDir: filepath.Join(s.outDir, "logs")}
	if !s.flags.quiet {
		runner.Progress = o.stderr
	}
	// Results name the directories as the repository does, not as this
	// runner's disk does (the base is a temporary worktree).
	rel, err := filepath.Rel(s.workspace, s.headDir)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = s.headDir
	}
	relabel := func(res *results.Run) {
		res.Dir = rel
		if res.BaseDir != "" {
			res.BaseDir = rel + " at " + shortSHA(ev.PullRequest.Base.SHA)
		}
	}
	save := func(res *results.Run) error {
		relabel(res)
		return writeResults(s.outDir, res)
	}
	res, err := measureBaseline(ctx, o, s, ev, runner, rel, save)
	if res != nil {
		relabel(res)
	}
	return res, err
}

// measureBaseline runs the benchmark against the baseline s names.
func measureBaseline(ctx context.Context, o actionOptions, s *benchSetup, ev prEvent, runner bench.Runner, rel string, save func(*results.Run) error) (*results.Run, error) {
	switch s.baseline {
	case "base":
		if filepath.IsAbs(rel) {
			return nil, usagef("input working-directory %q is outside the workspace %s", s.headDir, s.workspace)
		}
		wt, err := addWorktree(ctx, s.workspace, ev.PullRequest.Base.SHA, tempRoot(o.getenv), o.stderr)
		if err != nil {
			return nil, err
		}
		defer wt.remove(o.stderr)
		baseDir := filepath.Join(wt.dir, rel)
		if fi, err := os.Stat(baseDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("working-directory %q does not exist in the base commit %s: nothing to compare against (use baseline: none)", rel, shortSHA(ev.PullRequest.Base.SHA))
		}
		opts := s.ab.options()
		opts.BaseDir, opts.HeadDir = baseDir, s.headDir
		a, err := bench.NewAB(runner, opts)
		if err != nil {
			return nil, usageError{fmt.Errorf("action inputs: %w", err)}
		}
		a.Save = save
		return a.Run(ctx)
	case "file":
		runner.Save = save
		head, runErr := runner.Run(ctx)
		if head == nil {
			return nil, runErr
		}
		base, err := results.Read(s.baselineFile)
		if err != nil {
			return head, errors.Join(runErr, fmt.Errorf("input baseline-file: %w", err))
		}
		res, err := results.Compare(base, head, float64(s.ab.threshold))
		if err != nil {
			return head, errors.Join(runErr, fmt.Errorf("compare with baseline-file: %w", err))
		}
		for _, w := range res.Warnings {
			fmt.Fprintf(o.stderr, "warning: %s\n", w)
		}
		return res, runErr
	default:
		runner.Save = save
		return runner.Run(ctx)
	}
}

// reporter writes one result to the step's outputs, summary, annotations
// and the pull request.
type reporter struct {
	o      actionOptions
	gha    *publish.Actions
	labels report.MarkdownOptions
}

// commentBudget leaves room in GitHub's comment limit for the marker the
// Commenter adds.
const commentBudget = publish.MaxCommentChars - 256

// summarize prints the table, writes the outputs, the job summary and the
// warnings, and returns the Markdown for the comment.
func (r reporter) summarize(res *results.Run, resultsPath string) (string, error) {
	if err := report.Table(r.o.stdout, res); err != nil {
		return "", err
	}
	var summary, comment strings.Builder
	opts := r.labels
	opts.MaxBytes = publish.MaxSummaryBytes - 4096
	if err := report.Markdown(&summary, res, opts); err != nil {
		return "", err
	}
	opts.MaxBytes = commentBudget
	if err := report.Markdown(&comment, res, opts); err != nil {
		return "", err
	}
	var errs []error
	if err := r.gha.AppendSummary(summary.String()); err != nil {
		errs = append(errs, err)
	}
	verdict := string(res.Verdict)
	if verdict == "" {
		verdict = "none"
	}
	for _, kv := range [][2]string{
		{"verdict", verdict},
		{"regressed", strconv.FormatBool(res.Verdict == results.Regressed)},
		{"results", resultsPath},
		{"summary", comment.String()},
		{"best-config", bestConfig(res)},
	} {
		if err := r.gha.SetOutput(kv[0], kv[1]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range res.Cells {
		if c.Verdict == results.Regressed {
			msg := fmt.Sprintf("%s: throughput head/base %.3f [%.3f, %.3f]", c.Name(), c.Ratio, c.CILow, c.CIHigh)
			errs = append(errs, r.gha.Warning("workerbench: concurrency regressed", msg))
		}
	}
	return comment.String(), errors.Join(errs...)
}

// bestConfig is the best cell (Results.Best), "WxT", or "" when none was
// measured.
func bestConfig(res *results.Run) string {
	c, ok := res.Best()
	if !ok {
		return ""
	}
	return fmt.Sprintf("%dx%d", c.Workers, c.Threads)
}

// comment creates or updates the sticky comment as policy says. A
// read-only token is not an error: the summary holds the results and a
// notice says how to get comments.
func (r reporter) comment(ctx context.Context, token string, pr int, body string, policy commentPolicy) error {
	if policy == noComment {
		return nil
	}
	if token == "" {
		return r.gha.Notice("workerbench: no comment", "input github-token is empty, so the results are only in the job summary")
	}
	owner, repo, ok := strings.Cut(r.o.getenv("GITHUB_REPOSITORY"), "/")
	if !ok {
		return fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", r.o.getenv("GITHUB_REPOSITORY"))
	}
	client, err := newGitHubClient(r.o.getenv("GITHUB_API_URL"), token, r.o.httpClient)
	if err != nil {
		return err
	}
	commenter := publish.NewCommenter(client, owner, repo, publish.WithRetry(r.o.retry))
	var c publish.Comment
	if policy == updateComment {
		var found bool
		c, found, err = commenter.Update(ctx, pr, body)
		if err == nil && !found {
			fmt.Fprintf(r.o.stderr, "no workerbench comment on #%d, and no regression to report: none posted (comment: on-regression)\n", pr)
			return nil
		}
	} else {
		c, err = commenter.Upsert(ctx, pr, body)
	}
	if errors.Is(err, publish.ErrReadOnly) {
		return r.gha.Notice("workerbench: results are in the job summary",
			"the token cannot comment on pull requests (a fork or Dependabot pull request gets a read-only one). "+
				"To get the sticky comment, grant the job `permissions: pull-requests: write`, or for fork pull requests "+
				"use the two-stage workflow_run publish (README, GitHub Action, Fork pull requests)")
	}
	if err != nil {
		return fmt.Errorf("comment on pull request #%d: %w", pr, err)
	}
	verb := "updated"
	if c.Created {
		verb = "created"
	}
	fmt.Fprintf(r.o.stderr, "%s the workerbench comment on #%d: %s\n", verb, pr, c.URL)
	return nil
}
