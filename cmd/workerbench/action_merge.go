package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// mergeRun is mode merge: the job after a matrix of shard jobs. It reads
// each shard's results from results-dir/*/results.json (the layout of
// actions/download-artifact with a pattern and merge-multiple: false), puts
// them together as `workerbench merge` does, and reports the whole matrix
// once, as benchmark mode would have: one summary, one set of charts, one
// comment, one history record.
func mergeRun(ctx context.Context, o actionOptions, gha *publish.Actions, in actionInputs) error {
	eventName := o.getenv("GITHUB_EVENT_NAME")
	ev, err := eventOf(o, eventName)
	if err != nil {
		return err
	}
	workspace := o.getenv("GITHUB_WORKSPACE")
	if workspace == "" {
		wd, err := os.Getwd()
		if err != nil {
			return err
		}
		workspace = wd
	}
	var errs []error
	if in.Shard != "" {
		errs = append(errs, fmt.Errorf("input shard is %s but mode is merge: shard is for the "+
			"jobs that measure, the merge job reads them all", in.Shard))
	}
	comment, err := commentInput(in)
	if err != nil {
		errs = append(errs, err)
	}
	fail, err := boolInput("fail-on-regression", in.FailOnRegression, false)
	if err != nil {
		errs = append(errs, err)
	}
	upload, err := boolInput("upload-artifacts", in.UploadArtifacts, true)
	if err != nil {
		errs = append(errs, err)
	}
	if err := retentionInput(in.RetentionDays); err != nil {
		errs = append(errs, err)
	}
	key, err := commentKeyOf(in, o.getenv)
	if err != nil {
		errs = append(errs, err)
	}
	hist, herrs := parseHistoryInputs(in, inWorkspace(workspace, in.WorkingDirectory))
	errs = append(errs, herrs...)
	if err := errors.Join(errs...); err != nil {
		return usageError{err}
	}
	dir := in.ResultsDir
	if dir == "" {
		dir = filepath.Join(tempRoot(o.getenv), "workerbench")
	}
	dir = inWorkspace(workspace, dir)

	paths, names, err := findShards(dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.stderr, "merging %d shard results: %s\n", len(paths), strings.Join(names, ", "))
	runs, err := readShards(paths)
	if err != nil {
		return err
	}
	res, err := results.Merge(runs, names)
	if err != nil {
		return usageError{err}
	}
	if err := gha.SetOutput("dir", dir); err != nil {
		return err
	}
	if err := writeOutputs(dir, res); err != nil {
		return err
	}
	if len(res.Missing) > 0 {
		msg := fmt.Sprintf("no shard measured %s: a shard job failed before uploading its "+
			"results, or was skipped; the verdict is never unchanged with cells missing",
			strings.Join(res.Missing, ", "))
		if err := gha.Warning("workerbench: cells missing", msg); err != nil {
			return err
		}
	}
	labels := report.MarkdownOptions{Title: o.getenv("GITHUB_REPOSITORY")}
	if res.IsComparison() && isPREvent(eventName) {
		labels.Base = ev.PullRequest.Base.Ref + " " + history.ShortCommit(ev.PullRequest.Base.SHA)
		labels.Head = ev.PullRequest.Head.Ref + " " + history.ShortCommit(ev.PullRequest.Head.SHA)
	}
	if upload {
		labels.ArtifactURL = runURL(o.getenv, o.getenv("GITHUB_RUN_ID"))
	}
	rep := reporter{o: o, gha: gha, labels: labels, key: key}
	if isPREvent(eventName) {
		rep.trend = hist.trend(ctx, o, ev.defaultBranch())
	}
	body, err := rep.summarize(res, filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	if err := hist.record(ctx, o, gha, res); err != nil {
		return err
	}
	if isPREvent(eventName) {
		p := publish.Payload{PR: ev.Number, HeadSHA: ev.PullRequest.Head.SHA, Body: body,
			Key: key.key}
		if err := publish.WritePayload(dir, p); err != nil {
			return err
		}
		policy := commentWhen(comment, res.Verdict)
		if err := rep.comment(ctx, in.GitHubToken, ev.Number, body, policy); err != nil {
			return err
		}
	}
	if fail && res.Verdict == results.Regressed {
		return errRegression
	}
	return nil
}

// findShards lists the shards' results under dir, one directory each
// (DIR/NAME/results.json), in name order, and names them by directory.
func findShards(dir string) (paths, names []string, err error) {
	found, err := filepath.Glob(filepath.Join(dir, "*", "results.json"))
	if err != nil {
		return nil, nil, err
	}
	slices.Sort(found)
	for _, p := range found {
		paths = append(paths, p)
		names = append(names, filepath.Base(filepath.Dir(p)))
	}
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("mode merge: no shard results in %s (want DIR/NAME/results.json, "+
			"one directory per shard): download the shard jobs' artifacts there with "+
			"actions/download-artifact, a pattern such as workerbench-* and merge-multiple: false; "+
			"did every shard job fail?", dir)
	}
	return paths, names, nil
}
