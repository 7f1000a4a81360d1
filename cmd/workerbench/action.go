package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// actionOptions carries what the action command depends on.
type actionOptions struct {
	getenv     func(string) string
	stdout     io.Writer // the step log: annotations and the result table
	stderr     io.Writer // progress
	httpClient *http.Client
	retry      publish.RetryPolicy
}

func actionCmd(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(
			stderr,
			"usage: workerbench action\n\nThe GitHub Action's entry point: reads INPUT_* (see action.yml) and GITHUB_* variables.",
		)
		return nil
	}
	if len(args) > 0 {
		return usagef(
			"action takes no arguments (inputs come from INPUT_* variables), got %q",
			args[0],
		)
	}
	return actionRun(
		ctx,
		actionOptions{
			getenv:     getenv,
			stdout:     stdout,
			stderr:     stderr,
			httpClient: http.DefaultClient,
		},
	)
}

// actionRun dispatches on the mode input.
func actionRun(ctx context.Context, o actionOptions) error {
	gha := publish.NewActions(o.getenv, o.stdout)
	in := readActionInputs(gha)
	switch in.Mode {
	case "", "benchmark":
		return benchmarkRun(ctx, o, gha, in)
	case "merge":
		return mergeRun(ctx, o, gha, in)
	case "publish":
		return publishRun(ctx, o, gha, in)
	default:
		return usagef("input mode %q: want benchmark, merge or publish", in.Mode)
	}
}

// benchmarkRun is mode benchmark: measure (against the PR's base when there
// is one), then report everywhere.
func benchmarkRun(
	ctx context.Context,
	o actionOptions,
	gha *publish.Actions,
	in actionInputs,
) error {
	eventName := o.getenv("GITHUB_EVENT_NAME")
	if err := checkBenchEvent(in, eventName); err != nil {
		return err
	}
	ev, err := eventOf(o, eventName)
	if err != nil {
		return err
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
		labels.Base = ev.PullRequest.Base.Ref + " " + history.ShortCommit(ev.PullRequest.Base.SHA)
		labels.Head = ev.PullRequest.Head.Ref + " " + history.ShortCommit(ev.PullRequest.Head.SHA)
	}
	if s.upload {
		labels.ArtifactURL = runURL(o.getenv, o.getenv("GITHUB_RUN_ID"))
	}
	if err := writeOutputs(s.outDir, res); err != nil {
		return errors.Join(runErr, err)
	}
	rep := reporter{o: o, gha: gha, labels: labels, key: s.key}
	if isPREvent(eventName) && s.shard == "" {
		rep.trend = s.history.trend(ctx, o, ev.defaultBranch())
	}
	comment, err := rep.summarize(res, filepath.Join(s.outDir, "results.json"))
	if err != nil {
		return errors.Join(runErr, err)
	}
	if s.shard == "" { // a shard is part of a push: its merge job records it
		if err := s.history.record(ctx, o, gha, res); err != nil {
			return errors.Join(runErr, err)
		}
	}
	if isPREvent(eventName) {
		// The artifact carries what a workflow_run stage needs to comment
		// for a fork, whose token here is read-only.
		p := publish.Payload{PR: ev.Number, HeadSHA: ev.PullRequest.Head.SHA, Body: comment,
			Key: s.key.key}
		if err := publish.WritePayload(s.outDir, p); err != nil {
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

// runURL links the workflow run whose page lists the artifacts.
func runURL(getenv func(string) string, runID string) string {
	server, repo := getenv("GITHUB_SERVER_URL"), getenv("GITHUB_REPOSITORY")
	if server == "" || repo == "" || runID == "" {
		return ""
	}
	return strings.TrimSuffix(server, "/") + "/" + repo + "/actions/runs/" + runID
}
