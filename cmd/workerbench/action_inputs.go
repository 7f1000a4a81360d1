package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// actionInputs are the action.yml inputs, read once from INPUT_* variables.
// Every field is one input; TestActionInputsMatchActionYML keeps this list
// and action.yml in step.
type actionInputs struct {
	Command          string // command
	Server           string // server
	App              string // app
	WorkingDirectory string // working-directory
	Setup            string // setup
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
	RetentionDays    string // retention-days, for the upload step
	CommentKey       string // comment-key (commentKeyOf)
	Mode             string // mode: benchmark | merge | publish
	ResultsDir       string // results-dir
	Args             string // args
	Shard            string // shard: I/N
	History          string // history: a data branch, or none
	HistorySeries    string // history-series
	// CommentAuthor is comment-author; reporter.comment, which every
	// mode's comment goes through, reads it.
	CommentAuthor          string
	AllowPullRequestTarget string // allow-pull-request-target
}

// readActionInputs reads every input the action declares.
func readActionInputs(gha *publish.Actions) actionInputs {
	return actionInputs{
		Command:                gha.Input("command"),
		Server:                 gha.Input("server"),
		App:                    gha.Input("app"),
		WorkingDirectory:       gha.Input("working-directory"),
		Setup:                  gha.Input("setup"),
		Matrix:                 gha.Input("matrix"),
		Path:                   gha.Input("path"),
		Config:                 gha.Input("config"),
		Duration:               gha.Input("duration"),
		Trials:                 gha.Input("trials"),
		Threshold:              gha.Input("threshold"),
		Baseline:               gha.Input("baseline"),
		BaselineFile:           gha.Input("baseline-file"),
		FailOnRegression:       gha.Input("fail-on-regression"),
		Comment:                gha.Input("comment"),
		GitHubToken:            gha.Input("github-token"),
		UploadArtifacts:        gha.Input("upload-artifacts"),
		ArtifactName:           gha.Input("artifact-name"),
		RetentionDays:          gha.Input("retention-days"),
		CommentKey:             gha.Input("comment-key"),
		Mode:                   gha.Input("mode"),
		ResultsDir:             gha.Input("results-dir"),
		Args:                   gha.Input("args"),
		Shard:                  gha.Input("shard"),
		History:                gha.Input("history"),
		HistorySeries:          gha.Input("history-series"),
		CommentAuthor:          gha.Input("comment-author"),
		AllowPullRequestTarget: gha.Input("allow-pull-request-target"),
	}
}

// checkBenchEvent refuses to benchmark on pull_request_target unless the
// input allow-pull-request-target accepts it. That event runs with the
// base repository's write token and secrets, and its default checkout is
// the base: measured as is, the base would be labelled head; with the
// pull request's head checked out, its code runs with that token (a
// "pwn request").
func checkBenchEvent(in actionInputs, eventName string) error {
	if eventName != "pull_request_target" {
		return nil
	}
	allow, err := boolInput("allow-pull-request-target", in.AllowPullRequestTarget, false)
	if err != nil {
		return usageError{err}
	}
	if allow {
		return nil
	}
	return usagef("the event is pull_request_target, which workerbench refuses to benchmark: " +
		"it runs with the base repository's write token and secrets, and checks out the base, " +
		"so the base would be measured and labelled head; checking out the pull request's head " +
		"instead runs its untrusted code with that token. Benchmark on pull_request (read-only " +
		"for forks) and comment from a workflow_run job with mode: publish " +
		"(examples/workflows/workerbench-fork-*.yml). To benchmark here anyway, check out the " +
		"pull request's head yourself and set allow-pull-request-target: true")
}

// benchSetup is a validated benchmark: the parsed flags plus the action's
// own choices.
type benchSetup struct {
	flags        *runFlags
	ab           abFlags
	baseline     string // base | file | none
	baselineFile string
	comment      string // always | on-regression | never
	shard        string // I/N, or "" for the whole matrix
	history      historySetup
	key          commentKey
	fail         bool
	upload       bool
	workspace    string
	headDir      string // workspace + working-directory
	outDir       string
}

// parseBenchInputs turns the inputs into run/ab flags and validates them
// with the same code as the CLI.
func parseBenchInputs(
	o actionOptions,
	in actionInputs,
	eventName string,
	stderr io.Writer,
) (*benchSetup, error) {
	s := &benchSetup{workspace: o.getenv("GITHUB_WORKSPACE")}
	if s.workspace == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		s.workspace = wd
	}
	var errs []error
	var err error
	s.baseline = in.Baseline
	switch s.baseline {
	case "", "auto":
		s.baseline = "none"
		if isPREvent(eventName) {
			s.baseline = "base"
		}
	case "base":
		if !isPREvent(eventName) {
			errs = append(
				errs,
				fmt.Errorf(
					"input baseline is base but the event is %q: the base commit is known only on pull_request; use baseline: none or file",
					eventName,
				),
			)
		}
	case "file":
		s.baselineFile = inWorkspace(s.workspace, in.BaselineFile)
		if in.BaselineFile == "" {
			errs = append(
				errs,
				errors.New(
					"input baseline is file but baseline-file is empty: give the path of a results.json",
				),
			)
		}
	case "none":
	default:
		errs = append(
			errs,
			fmt.Errorf("input baseline %q: want auto, base, file or none", in.Baseline),
		)
	}
	s.shard = in.Shard
	s.comment, err = commentInput(in)
	if err != nil {
		errs = append(errs, err)
	}
	if s.fail, err = boolInput("fail-on-regression", in.FailOnRegression, false); err != nil {
		errs = append(errs, err)
	}
	if s.upload, err = boolInput("upload-artifacts", in.UploadArtifacts, true); err != nil {
		errs = append(errs, err)
	}
	if err := retentionInput(in.RetentionDays); err != nil {
		errs = append(errs, err)
	}
	if s.key, err = commentKeyOf(in, o.getenv); err != nil {
		errs = append(errs, err)
	}
	s.headDir = inWorkspace(s.workspace, in.WorkingDirectory)
	var herrs []error
	s.history, herrs = parseHistoryInputs(in, s.headDir)
	errs = append(errs, herrs...)
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
		{"--cmd", in.Command}, {"--server", in.Server}, {"--app", in.App},
		{"--setup", in.Setup}, {"--matrix", in.Matrix}, {"--path", in.Path},
		{"--duration", in.Duration}, {"--trials", in.Trials}, {"--threshold", in.Threshold},
	} {
		if f.value != "" {
			args = append(args, f.flag, f.value)
		}
	}
	if in.Config != "" {
		args = append(args, "--config", inWorkspace(s.workspace, in.Config))
	}
	if in.Shard != "" {
		args = append(args, "--shard", in.Shard)
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

// commentInput is the comment input: by default always, but never for a
// shard job, whose results are a part of the matrix; its merge job
// comments on all of it. A shard asked to comment is refused before
// anything is measured.
func commentInput(in actionInputs) (string, error) {
	switch in.Comment {
	case "":
		if in.Shard != "" {
			return "never", nil
		}
		return "always", nil
	case "always", "on-regression":
		if in.Shard != "" {
			return "", fmt.Errorf(
				"input comment is %s but shard is %s: a shard measures part of the matrix, so "+
					"its comment would be partial; the merge job (mode: merge) comments on all "+
					"of it: use comment: never in shard jobs",
				in.Comment, in.Shard)
		}
		return in.Comment, nil
	case "never":
		return "never", nil
	}
	return "", fmt.Errorf("input comment %q: want always, on-regression or never", in.Comment)
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
