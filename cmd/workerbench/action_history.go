package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/history/databranch"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// historySetup is where the action keeps the history of the default
// branch: a data branch of the repository's origin and the series in it.
type historySetup struct {
	branch string // "" with history: none
	series string
	repo   string // a directory inside the checkout, whose origin holds the branch
	token  string // github-token, for a checkout that kept no credentials
}

// branchRE is what the action accepts as a data branch name: stricter
// than git, so that no name needs quoting anywhere it is shown.
var branchRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$`)

// parseHistoryInputs reads the history and history-series inputs.
func parseHistoryInputs(in actionInputs, repo string) (historySetup, []error) {
	h := historySetup{branch: in.History, series: in.HistorySeries, repo: repo, token: in.GitHubToken}
	var errs []error
	switch {
	case h.branch == "":
		h.branch = databranch.DefaultBranch
	case h.branch == "none":
		h.branch = ""
	case !branchRE.MatchString(h.branch) || strings.Contains(h.branch, "..") ||
		strings.HasSuffix(h.branch, ".lock") || strings.HasSuffix(h.branch, "/"):
		errs = append(errs, fmt.Errorf(
			"input history %q: want a branch name like %s, or none",
			h.branch, databranch.DefaultBranch))
	}
	if h.series == "" {
		h.series = history.DefaultSeries
	}
	if !history.ValidSeries(h.series) {
		errs = append(errs, fmt.Errorf(
			"input history-series %q: want 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit",
			h.series))
	}
	return h, errs
}

func (h historySetup) dataBranch(ctx context.Context, o actionOptions) *databranch.Branch {
	return &databranch.Branch{Repo: h.repo, Remote: "origin", Name: h.branch, Log: o.stderr,
		Env: gitCredentials(ctx, h.repo, o.getenv("GITHUB_SERVER_URL"), h.token)}
}

// gitCredentials is the environment that lets git fetch and push the data
// branch with token when the checkout kept no credentials
// (actions/checkout with persist-credentials: false, which keeps the
// token out of .git/config while a pull request's server runs): the
// header actions/checkout would store, for serverURL only, given to git
// through GIT_CONFIG_* variables, so it is written nowhere and appears on
// no command line. A checkout that kept its credentials gets nothing
// more: two Authorization headers are refused.
func gitCredentials(ctx context.Context, repo, serverURL, token string) []string {
	if token == "" || serverURL == "" {
		return nil
	}
	cmd := exec.CommandContext(ctx, "git", "config", "--get-regexp", `^http\..*\.extraheader$`)
	cmd.Dir = repo
	if out, err := cmd.Output(); err == nil && len(bytes.TrimSpace(out)) > 0 {
		return nil
	}
	basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + token))
	return []string{
		"GIT_CONFIG_COUNT=1",
		"GIT_CONFIG_KEY_0=http." + strings.TrimSuffix(serverURL, "/") + "/.extraheader",
		"GIT_CONFIG_VALUE_0=AUTHORIZATION: basic " + basic,
	}
}

// pushEvent is the part of a push event the action reads.
type pushEvent struct {
	Ref        string `json:"ref"`
	Repository struct {
		DefaultBranch string `json:"default_branch"`
	} `json:"repository"`
}

// onDefaultBranch reports whether the push event is to the default
// branch. An event that does not name the default branch counts as one:
// GitHub's always does, and a workflow triggered on push usually names
// its branches.
func onDefaultBranch(getenv func(string) string) (ok bool, ref, def string) {
	var ev pushEvent
	if data, err := os.ReadFile(getenv("GITHUB_EVENT_PATH")); err == nil {
		_ = json.Unmarshal(data, &ev) // a broken event names no branch
	}
	ref = ev.Ref
	if ref == "" {
		ref = getenv("GITHUB_REF")
	}
	def = ev.Repository.DefaultBranch
	return def == "" || ref == "refs/heads/"+def, ref, def
}

// record appends res to the history when the event is a push to the
// default branch. Recording never fails the step: the measurement stands
// on its own. A token that may not push (no contents: write) gets a
// notice that says how to grant it; anything else a warning.
func (h historySetup) record(
	ctx context.Context,
	o actionOptions,
	gha *publish.Actions,
	res *results.Run,
) error {
	if h.branch == "" || o.getenv("GITHUB_EVENT_NAME") != "push" {
		return nil
	}
	ok, ref, def := onDefaultBranch(o.getenv)
	if !ok {
		fmt.Fprintf(o.stderr, "history: not recorded: the push is to %s, not to the default "+
			"branch %s\n", ref, def)
		return nil
	}
	recs, err := history.FromResults(res, history.Meta{Series: h.series, Commit: res.Commit})
	if err != nil {
		return gha.Warning("workerbench: history not recorded", err.Error())
	}
	b := h.dataBranch(ctx, o)
	pushed, err := recordOnBranch(ctx, b, recs, res.Commit, h.series, o.stderr)
	if isPermissionDenied(err) {
		return gha.Notice("workerbench: history not recorded",
			fmt.Sprintf("the token may not push to the data branch %s (%s). To record the history "+
				"of the default branch, give this job `permissions: contents: write` (the action "+
				"pushes with its github-token input); or turn history off with `history: none`",
				h.branch, firstLine(err)))
	}
	if err != nil {
		return gha.Warning("workerbench: history not recorded", err.Error())
	}
	fmt.Fprintf(o.stderr, "history: recorded %s in series %s on branch %s (commit %s",
		history.ShortCommit(res.Commit), h.series, h.branch, history.ShortCommit(pushed.Commit))
	if pushed.Attempts > 1 {
		fmt.Fprintf(o.stderr, ", after %d attempts", pushed.Attempts)
	}
	fmt.Fprintln(o.stderr, ")")
	if pushed.Created {
		if def == "" {
			def = "the default branch"
		}
		// Said once, on the first record: the branch is new in the
		// repository, and a user who did not ask for it learns how to stop it.
		fmt.Fprintf(o.stderr, "history: branch created: %s, in this repository, keeps %s's "+
			"history (a record per push, shown as a trend on pull requests); to turn it off, "+
			"give the action history: none\n", h.branch, def)
	}
	return nil
}

// isPermissionDenied reports whether a push failed because the token may
// not write: GitHub answers 403 (a token without contents: write), git asks
// for a user name when no credentials are stored, and a remote may refuse
// in words.
func isPermissionDenied(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"error: 403", "permission to", "permission denied",
		"could not read username", "terminal prompts disabled", "authentication failed",
		"write access to repository not granted"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// firstLine is the first line of err's message, to quote in a notice.
func firstLine(err error) string {
	line, _, _ := strings.Cut(err.Error(), "\n")
	return report.Clip(line, 300)
}

// trend is the Markdown block of the default branch's trend for a pull
// request's comment and summary: the series' sparkline per cell and its
// latest change point, read from the data branch (read-only). A missing
// branch or series is "no history yet"; any other failure to read it is
// logged and leaves the block out, never failing the step.
func (h historySetup) trend(ctx context.Context, o actionOptions, defaultBranch string) string {
	if h.branch == "" {
		return ""
	}
	label := report.Escape(defaultBranch)
	var recs []history.Record
	err := h.dataBranch(ctx, o).Read(ctx, func(dir string) error {
		hist, err := history.Dir{Path: dir}.Load()
		if err != nil {
			return err
		}
		printWarnings(o.stderr, hist.Warnings)
		for _, s := range hist.Series {
			if s.Name == h.series {
				recs = append(recs, s.Records...)
			}
		}
		return nil
	})
	noHistory := fmt.Sprintf("_No history of %s yet: each push to it adds a record to the "+
		"branch %s (series %s)._\n", label, report.Escape(h.branch), report.Escape(h.series))
	switch {
	case errors.Is(err, databranch.ErrNoBranch):
		fmt.Fprintf(o.stderr, "history: no branch %s yet: no trend to show\n", h.branch)
		return noHistory
	case err != nil:
		fmt.Fprintf(o.stderr, "warning: history: cannot read the branch %s: %v\n", h.branch, err)
		return ""
	case len(recs) == 0:
		fmt.Fprintf(o.stderr, "history: the branch %s has no series %s yet\n", h.branch, h.series)
		return noHistory
	}
	return history.TrendMarkdown(recs, history.MarkdownOptions{Title: label + "'s trend"})
}
