package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/results"
)

// measureForAction runs the benchmark the baseline input asks for.
func measureForAction(
	ctx context.Context,
	o actionOptions,
	s *benchSetup,
	ev prEvent,
) (*results.Run, error) {
	cfg := s.flags.cfg
	runner := bench.Runner{
		Config:  cfg,
		Version: buildVersion().Version,
		LogDir:  filepath.Join(s.outDir, "logs"),
	}
	if !s.flags.quiet {
		runner.Progress = o.stderr
	}
	// Results name the directories as the repository does, not as this
	// runner's disk does (the base is a temporary worktree).
	rel, err := filepath.Rel(s.workspace, s.headDir)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = s.headDir
	}
	// The commits measured: a pull request's head and base, or what the
	// workspace has checked out. Shards of one run must agree on them.
	commit := ev.PullRequest.Head.SHA
	if commit == "" {
		commit, _ = commitToRecord(ctx, "", s.headDir, o.getenv)
	}
	relabel := func(res *results.Run) {
		res.Dir, res.Commit = rel, commit
		if res.BaseDir != "" {
			res.BaseDir = rel + " at " + history.ShortCommit(ev.PullRequest.Base.SHA)
			res.BaseCommit = ev.PullRequest.Base.SHA
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
func measureBaseline(
	ctx context.Context,
	o actionOptions,
	s *benchSetup,
	ev prEvent,
	runner bench.Runner,
	rel string,
	save func(*results.Run) error,
) (*results.Run, error) {
	switch s.baseline {
	case "base":
		if filepath.IsAbs(rel) {
			return nil, usagef(
				"input working-directory %q is outside the workspace %s",
				s.headDir,
				s.workspace,
			)
		}
		wt, err := addWorktree(
			ctx,
			s.workspace,
			ev.PullRequest.Base.SHA,
			tempRoot(o.getenv),
			o.stderr,
		)
		if err != nil {
			return nil, err
		}
		defer wt.remove(o.stderr)
		baseDir := filepath.Join(wt.dir, rel)
		if fi, err := os.Stat(baseDir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf(
				"working-directory %q does not exist in the base commit %s: nothing to compare against (use baseline: none)",
				rel,
				history.ShortCommit(ev.PullRequest.Base.SHA),
			)
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
