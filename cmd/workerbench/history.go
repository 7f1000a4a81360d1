package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/history/databranch"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/charts"
)

// historyFlags are where a history lives: a directory, or a data branch
// on a remote of a repository.
type historyFlags struct {
	dir, branch, remote, repo string
}

func (h *historyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.dir, "history", "", "the history `DIR` (one JSON-lines file per series)")
	fs.StringVar(
		&h.branch,
		"branch",
		"",
		"keep the history on this data `BRANCH` of --remote instead (e.g. "+databranch.DefaultBranch+")",
	)
	fs.StringVar(
		&h.remote,
		"remote",
		"origin",
		"with --branch: the `REMOTE` (name or URL) holding the branch",
	)
	fs.StringVar(
		&h.repo,
		"repo",
		".",
		"with --branch: the local git `REPO` whose remote and credentials are used",
	)
}

func (h *historyFlags) check(cmd string) error {
	switch {
	case h.dir == "" && h.branch == "":
		return usagef(
			"%s: give the history, --history DIR or --branch %s",
			cmd,
			databranch.DefaultBranch,
		)
	case h.dir != "" && h.branch != "":
		return usagef("%s: give --history DIR or --branch BRANCH, not both", cmd)
	}
	return nil
}

func (h *historyFlags) dataBranch(stderr io.Writer) *databranch.Branch {
	return &databranch.Branch{Repo: h.repo, Remote: h.remote, Name: h.branch, Log: stderr}
}

// historyCmd is "workerbench history add".
func historyCmd(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
	switch {
	case len(args) > 0 && (isHelpFlag(args[0]) || args[0] == "help"):
		// add is its only subcommand: its help is history's.
		return historyAddCmd(ctx, []string{"-h"}, getenv, stdout, stderr)
	case len(args) == 0:
		return seeHelp{usagef("history: no subcommand given: want add"), "history"}
	case args[0] != "add":
		msg := fmt.Sprintf("history: unknown subcommand %q: want add", args[0])
		if len(suggest(args[0], []string{"add"})) > 0 {
			msg = fmt.Sprintf("history: unknown subcommand %q; did you mean add?", args[0])
		}
		return seeHelp{usagef("%s", msg), "history"}
	}
	return historyAddCmd(ctx, args[1:], getenv, stdout, stderr)
}

var commitRE = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)

func historyAddCmd(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
	cl := newCmdLine("history")
	fs := cl.fs
	var where historyFlags
	where.register(fs)
	commit := fs.String(
		"commit",
		"",
		"the `SHA` measured (default: git rev-parse HEAD in --repo, else $GITHUB_SHA)",
	)
	series := fs.String(
		"series",
		history.DefaultSeries,
		"the series `NAME` (one per benchmark job: 1–64 of a-z 0-9 . _ -)",
	)
	files, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		cl.problemf("history add takes one results file; got %d", len(files))
	}
	cl.check(where.check("history add"))
	if !history.ValidSeries(*series) {
		cl.problemf(
			"--series %q: want 1 to 64 of a-z 0-9 . _ -, starting with a letter or digit",
			*series,
		)
	}
	if err := cl.err(); err != nil {
		return err
	}
	sha, err := commitToRecord(ctx, *commit, where.repo, getenv)
	if err != nil {
		return err
	}
	res, err := results.Read(files[0])
	if err != nil {
		return usageError{err}
	}
	m := history.Meta{Series: *series, Commit: sha}
	if res.Started == "" {
		m.Time = time.Now()
	}
	recs, err := history.FromResults(res, m)
	if err != nil {
		return usagef("%s: %w", files[0], err)
	}

	if where.dir != "" {
		warns, err := history.Dir{Path: where.dir}.Append(recs...)
		printWarnings(stderr, warns)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "recorded %s in %s (%s)\n", history.ShortCommit(sha), where.dir, recordFiles(recs))
		return nil
	}

	b := where.dataBranch(stderr)
	pushed, err := recordOnBranch(ctx, b, recs, sha, *series, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(
		stdout,
		"recorded %s on branch %s of %s (%s; commit %s",
		history.ShortCommit(sha),
		b.Name,
		where.remote,
		recordFiles(recs),
		history.ShortCommit(pushed.Commit),
	)
	if pushed.Created {
		fmt.Fprint(stdout, ", branch created")
	}
	if pushed.Attempts > 1 {
		fmt.Fprintf(stdout, ", after %d attempts", pushed.Attempts)
	}
	fmt.Fprintln(stdout, ")")
	return nil
}

// recordOnBranch appends recs, the records of commit sha in series, to the
// history on the data branch b and redraws the branch's dashboard, in one
// commit pushed with a lease (Update runs it again on the new tip when
// another writer won the race). Warnings about the history go to stderr.
func recordOnBranch(
	ctx context.Context,
	b *databranch.Branch,
	recs []history.Record,
	sha, series string,
	stderr io.Writer,
) (databranch.Pushed, error) {
	msg := fmt.Sprintf("workerbench: record %s (%s)", history.ShortCommit(sha), series)
	var warns []error
	pushed, err := b.Update(ctx, msg, func(dir string) error {
		warns = nil // this round's, not a lost round's
		d := history.Dir{Path: dir}
		w, err := d.Append(recs...)
		warns = append(warns, w...)
		if err != nil {
			return err
		}
		w, err = writeDashboard(d, sha)
		warns = append(warns, w...)
		return err
	})
	printWarnings(stderr, warns)
	return pushed, err
}

// commitToRecord is --commit, else HEAD of the repository, else
// $GITHUB_SHA.
func commitToRecord(
	ctx context.Context,
	flagValue, repo string,
	getenv func(string) string,
) (string, error) {
	if flagValue != "" {
		if !commitRE.MatchString(flagValue) {
			return "", usagef("--commit %q: want a commit SHA, 7 to 64 hex digits", flagValue)
		}
		return strings.ToLower(flagValue), nil
	}
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--verify", "HEAD^{commit}")
	cmd.Dir = repo
	if out, err := cmd.Output(); err == nil {
		if sha := strings.TrimSpace(string(out)); commitRE.MatchString(sha) {
			return sha, nil
		}
	}
	if sha := getenv("GITHUB_SHA"); commitRE.MatchString(sha) {
		return strings.ToLower(sha), nil
	}
	return "", usagef(
		"no commit to record: %s is not a git checkout and GITHUB_SHA is not set; give --commit SHA",
		repo,
	)
}

func recordFiles(recs []history.Record) string {
	var names []string
	for _, r := range recs {
		names = append(names, history.FileName(r.Series, r.Endpoint))
	}
	return strings.Join(names, ", ")
}

func printWarnings(w io.Writer, warns []error) {
	for _, e := range warns {
		fmt.Fprintf(w, "warning: %v\n", e)
	}
}

// trendCmd is "workerbench trend".
func trendCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCmdLine("trend")
	fs := cl.fs
	var where historyFlags
	where.register(fs)
	out := fs.String(
		"out",
		"",
		"write the trend charts (PNG and SVG) and trend.md to `DIR` (required)",
	)
	last := fs.Int("last", 10, "show the last `N` pushes of each cell")
	rest, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		cl.problemf("trend takes no arguments; got %q", rest[0])
	}
	cl.check(where.check("trend"))
	if *out == "" {
		cl.problemf("trend: --out DIR is required")
	}
	if *last < 1 {
		cl.problemf("--last %d: must be at least 1", *last)
	}
	if where.dir != "" {
		if fi, err := os.Stat(where.dir); err != nil || !fi.IsDir() {
			cl.problemf("--history %q: not a directory", where.dir)
		}
	}
	if err := cl.err(); err != nil {
		return err
	}
	if where.dir != "" {
		return trendOf(history.Dir{Path: where.dir}, where.dir, *out, *last, stdout, stderr)
	}
	err = where.dataBranch(stderr).Read(ctx, func(dir string) error {
		return trendOf(history.Dir{Path: dir}, "branch "+where.branch, *out, *last, stdout, stderr)
	})
	if errors.Is(err, databranch.ErrNoBranch) {
		return fmt.Errorf("%w: the first history add --branch %s creates it", err, where.branch)
	}
	return err
}

// trendOf renders the trend of every series in d into out and prints it.
func trendOf(d history.Dir, name, out string, last int, stdout, stderr io.Writer) error {
	h, err := d.Load()
	if err != nil {
		return err
	}
	printWarnings(stderr, h.Warnings)
	if h.Records() == 0 {
		return fmt.Errorf("history %s has no records: add one with workerbench history add", name)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	trends := h.Trends(history.Options{})
	var md strings.Builder
	for i, t := range trends {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		if err := history.WriteTrendText(stdout, t, last); err != nil {
			return err
		}
		paths, err := charts.WriteTrend(t, out)
		if err != nil {
			return fmt.Errorf("trend charts: %w", err)
		}
		for _, p := range paths {
			fmt.Fprintln(stderr, p)
		}
		history.WriteTrendMarkdown(&md, t, history.ChartLinks{}) // a strings.Builder does not fail
	}
	path := filepath.Join(out, "trend.md")
	if err := os.WriteFile(path, []byte(md.String()), 0o644); err != nil {
		return fmt.Errorf("write trend: %w", err)
	}
	fmt.Fprintln(stderr, path)
	return nil
}

// writeDashboard renders the charts of every series of d into d/charts (as
// SVG) and writes d/README.md, which embeds them: opening the data branch
// on GitHub shows the trend. Charts of cells that left the matrix are
// removed.
func writeDashboard(d history.Dir, commit string) ([]error, error) {
	h, err := d.Load()
	if err != nil {
		return nil, err
	}
	// RemoveAll removes a planted charts symlink itself, not what it
	// names, and the charts are written into a new directory.
	chartDir := filepath.Join(d.Path, history.ChartDir)
	if err := os.RemoveAll(chartDir); err != nil {
		return h.Warnings, err
	}
	trends := h.Trends(history.Options{})
	for _, t := range trends {
		// SVG only: it compresses and deltas well, where a PNG per cell
		// per push would grow the repository by ~100 KB each.
		if _, err := charts.WriteTrend(t, chartDir, "svg"); err != nil {
			return h.Warnings, fmt.Errorf("trend charts: %w", err)
		}
	}
	var b strings.Builder
	history.WriteDashboard(&b, trends, commit) // a strings.Builder does not fail
	// Atomically, by rename: a README.md planted on the branch as a
	// symbolic link is replaced, not followed to what it names.
	return h.Warnings, results.WriteFileAtomic(filepath.Join(d.Path, "README.md"), []byte(b.String()))
}
