package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-github/v60/github"
	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// publishCmd is `workerbench publish [--dir DIR]`: the privileged second
// stage of the fork-safe flow, run from a workflow_run workflow. The
// inputs are the action's (INPUT_*); --dir overrides results-dir.
func publishCmd(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
	cl := newCmdLine("publish")
	dir := cl.fs.String(
		"dir",
		"",
		"`DIR` of the downloaded results artifact: results.json and payload.json (default: input results-dir)",
	)
	pos, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		cl.problemf("publish takes no arguments, got %q", pos[0])
	}
	if err := cl.err(); err != nil {
		return err
	}
	o := actionOptions{
		getenv:     getenv,
		stdout:     stdout,
		stderr:     stderr,
		httpClient: http.DefaultClient,
	}
	gha := publish.NewActions(getenv, stdout)
	in := readActionInputs(gha)
	if *dir != "" {
		in.ResultsDir = *dir
	}
	return publishRun(ctx, o, gha, in)
}

// publishRun posts the comment for a results artifact. Everything in the
// artifact is untrusted: the payload is validated and checked against the
// trusted workflow_run event, and the comment is rendered again from
// results.json rather than taken from the payload's body.
func publishRun(ctx context.Context, o actionOptions, gha *publish.Actions, in actionInputs) error {
	if name := o.getenv("GITHUB_EVENT_NAME"); name != "workflow_run" {
		return usagef(
			"mode publish runs in a workflow_run workflow, but the event is %q: use mode: benchmark here",
			name,
		)
	}
	if in.ResultsDir == "" {
		return usagef(
			"input results-dir is empty: give the directory the results artifact was downloaded to",
		)
	}
	workspace := o.getenv("GITHUB_WORKSPACE")
	dir := inWorkspace(workspace, in.ResultsDir)
	hist, herrs := parseHistoryInputs(in, inWorkspace(workspace, in.WorkingDirectory))
	if _, err := commentKeyOf(in, o.getenv); err != nil { // the input, checked early
		herrs = append(herrs, err)
	}
	if err := errors.Join(herrs...); err != nil {
		return usageError{err}
	}
	evPath := o.getenv("GITHUB_EVENT_PATH")
	ev, err := publish.ReadRunEvent(evPath)
	if err != nil {
		return err
	}
	p, err := publish.ReadPayload(dir)
	if err != nil {
		return err
	}
	res, err := readUntrustedResults(filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	client, err := newGitHubClient(o.getenv("GITHUB_API_URL"), in.GitHubToken, o.httpClient)
	if err != nil {
		return err
	}
	if err := publish.VerifyPayload(ctx, ev, p, client.PullRequests); err != nil {
		return err
	}
	key, err := publishKeyOf(in, o.getenv, p)
	if err != nil {
		return usageError{err}
	}
	labels := report.MarkdownOptions{Title: ev.Repo, Head: history.ShortCommit(p.HeadSHA)}
	if id := runIDOf(evPath); id != "" {
		labels.ArtifactURL = runURL(o.getenv, id)
	}
	rep := reporter{o: o, gha: gha, labels: labels, key: key}
	// main's trend comes from this repository's data branch, never from the
	// artifact, and only when a checkout of this repository is there (this
	// stage need not check anything out).
	if _, err := os.Stat(filepath.Join(workspace, ".git")); err == nil && workspace != "" {
		_, _, def := onDefaultBranch(o.getenv)
		if def == "" {
			def = "the default branch"
		}
		rep.trend = hist.trend(ctx, o, def)
	}
	body, err := rep.summarize(res, filepath.Join(dir, "results.json"))
	if err != nil {
		return err
	}
	mode := in.Comment
	if mode == "" {
		mode = "always"
	}
	policy := commentWhen(mode, res.Verdict)
	if policy == noComment {
		return nil
	}
	if in.GitHubToken == "" {
		return usagef(
			"input github-token is empty: the publish stage needs a token with pull-requests: write",
		)
	}
	return rep.comment(ctx, in.GitHubToken, p.PR, body, policy)
}

// readUntrustedResults reads results.json from an artifact: a regular
// file, not a symlink, within bench's size limit and schema checks.
func readUntrustedResults(path string) (*results.Run, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("read results artifact: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read results artifact: %s is not a regular file", path)
	}
	return results.Read(path)
}

// runIDOf returns workflow_run.id from the trusted event: the first
// stage's run, whose page lists its artifacts.
func runIDOf(eventPath string) string {
	data, err := os.ReadFile(eventPath)
	if err != nil {
		return ""
	}
	var ev struct {
		WorkflowRun struct {
			ID int64 `json:"id"`
		} `json:"workflow_run"`
	}
	if json.Unmarshal(data, &ev) != nil || ev.WorkflowRun.ID <= 0 {
		return ""
	}
	return strconv.FormatInt(ev.WorkflowRun.ID, 10)
}

// newGitHubClient returns a go-github client for the API at apiURL
// (GITHUB_API_URL; default https://api.github.com) authenticated with token.
func newGitHubClient(apiURL, token string, hc *http.Client) (*github.Client, error) {
	if apiURL == "" {
		apiURL = "https://api.github.com"
	}
	u, err := url.Parse(strings.TrimSuffix(apiURL, "/") + "/")
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf(
			"GITHUB_API_URL %q: want an http(s) URL like https://api.github.com",
			apiURL,
		)
	}
	c := github.NewClient(hc)
	if token != "" {
		c = c.WithAuthToken(token)
	}
	c.BaseURL = u
	return c, nil
}
