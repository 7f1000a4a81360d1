package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

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

// reporter writes one result to the step's outputs, summary, annotations
// and the pull request.
type reporter struct {
	o      actionOptions
	gha    *publish.Actions
	labels report.MarkdownOptions
	// trend, when set, is the default branch's trend (historySetup.trend),
	// shown under the results in the summary and the comment.
	trend string
	// key tells this job's comment from other workerbench jobs' on the
	// pull request.
	key commentKey
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
	trend := r.trend
	if len(trend) > commentBudget/4 { // a history of many endpoints: the results come first
		trend = ""
	}
	opts := r.labels
	opts.MaxBytes = publish.MaxSummaryBytes - 4096 - len(trend)
	if err := report.Markdown(&summary, res, opts); err != nil {
		return "", err
	}
	opts.MaxBytes = commentBudget - len(trend)
	if err := report.Markdown(&comment, res, opts); err != nil {
		return "", err
	}
	if trend != "" {
		summary.WriteString("\n" + trend)
		comment.WriteString("\n" + trend)
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
		{"recommended-config", recommendedConfig(res)},
	} {
		if err := r.gha.SetOutput(kv[0], kv[1]); err != nil {
			errs = append(errs, err)
		}
	}
	for _, c := range res.Cells {
		if c.Verdict == results.Regressed {
			// The cell's name holds its endpoint, from an artifact in the
			// publish job: one line, clipped, so it cannot pose as more.
			msg := fmt.Sprintf(
				"%s: throughput head/base %.3f [%.3f, %.3f]",
				report.Clip(report.Plain(c.Name()), 80),
				c.Ratio,
				c.CILow,
				c.CIHigh,
			)
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
func (r reporter) comment(
	ctx context.Context,
	token string,
	pr int,
	body string,
	policy commentPolicy,
) error {
	if policy == noComment {
		return nil
	}
	if token == "" {
		return r.gha.Notice(
			"workerbench: no comment",
			"input github-token is empty, so the results are only in the job summary",
		)
	}
	owner, repo, ok := strings.Cut(r.o.getenv("GITHUB_REPOSITORY"), "/")
	if !ok {
		return fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name", r.o.getenv("GITHUB_REPOSITORY"))
	}
	client, err := newGitHubClient(r.o.getenv("GITHUB_API_URL"), token, r.o.httpClient)
	if err != nil {
		return err
	}
	// The author is the token's user when GET /user answers, else the
	// input, else github-actions[bot]; an input given is not asked about.
	author := r.gha.Input("comment-author")
	commenter := publish.NewCommenter(client, owner, repo, publish.WithKey(r.key.key),
		publish.WithRetry(r.o.retry), publish.WithTokenAuthor(), publish.WithAuthor(author))
	var c publish.Comment
	if policy == updateComment {
		var found bool
		c, found, err = commenter.Update(ctx, pr, body)
		r.logIgnored(c)
		if err == nil && !found {
			fmt.Fprintf(
				r.o.stderr,
				"no workerbench comment on #%d, and no regression to report: none posted (comment: on-regression)\n",
				pr,
			)
			return nil
		}
	} else {
		c, err = commenter.Upsert(ctx, pr, body)
		r.logIgnored(c)
	}
	if errors.Is(err, publish.ErrReadOnly) {
		return r.gha.Notice(
			"workerbench: results are in the job summary",
			"the token cannot comment on pull requests (a fork or Dependabot pull request gets a read-only one). "+
				"To get the sticky comment, grant the job `permissions: pull-requests: write`, or for fork pull requests "+
				"use the two-stage workflow_run publish (docs/action.md, Fork pull requests)",
		)
	}
	if err != nil {
		return fmt.Errorf("comment on pull request #%d: %w", pr, err)
	}
	verb := "updated"
	switch {
	case c.Created:
		verb = "created"
	case c.Adopted:
		verb = "took over (from a version before comment keys)"
	}
	fmt.Fprintf(r.o.stderr, "%s the workerbench comment by %s on #%d: %s\n", verb, c.Login, pr, c.URL)
	if r.key.key != "" {
		fmt.Fprintf(r.o.stderr, "comment-key %s (from %s): workerbench jobs with other keys "+
			"keep comments of their own\n", r.key.key, r.key.from)
	}
	if err := r.gha.SetOutput("comment-url", c.URL); err != nil {
		return err
	}
	if c.Created && c.Login != "" && !strings.EqualFold(c.Login, c.Author) {
		return r.gha.Warning("workerbench: set comment-author",
			fmt.Sprintf("the comment was posted as %s, but workerbench looks for comments by %s, "+
				"so every run will post a new one: set the input comment-author to %s",
				c.Login, c.Author, c.Login))
	}
	return nil
}

// logIgnored says once that comments which start with the marker but are
// by another author were passed over: anyone can post the marker, and only
// the token's own comment is the sticky one.
func (r reporter) logIgnored(c publish.Comment) {
	if len(c.Ignored) == 0 {
		return
	}
	var logins []string
	for _, ig := range c.Ignored {
		if !slices.Contains(logins, ig.Login) {
			logins = append(logins, ig.Login)
		}
	}
	fmt.Fprintf(r.o.stderr, "ignored %s with the workerbench marker by %s: only comments by %s "+
		"are workerbench's (input comment-author)\n",
		report.Plural(len(c.Ignored), "comment"), strings.Join(logins, ", "), c.Author)
}

// recommendedConfig is the configuration the run recommends for the target
// machine (results.Run.Recommendation), "WxT", or "" when none was made.
func recommendedConfig(res *results.Run) string {
	if res.Recommendation == nil {
		return ""
	}
	return res.Recommendation.Config()
}
