package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// worktree is a temporary git worktree holding another commit of the
// workspace's repository.
type worktree struct {
	repo string // the workspace
	dir  string // the worktree
	tmp  string // its parent, removed with it
}

// addWorktree checks out commit sha of the repository at repo into a new
// worktree under tmpRoot. A commit missing from a shallow clone is fetched
// from origin first.
func addWorktree(ctx context.Context, repo, sha, tmpRoot string, log io.Writer) (*worktree, error) {
	if !publish.IsSHA(sha) {
		return nil, fmt.Errorf("base commit %q is not a 40-hex-digit SHA", report.Clip(sha, 60))
	}
	if _, err := git(ctx, repo, "cat-file", "-e", sha+"^{commit}"); err != nil {
		fmt.Fprintf(
			log,
			"base commit %s is not in the checkout; fetching it from origin\n",
			history.ShortCommit(sha),
		)
		if _, ferr := git(ctx, repo, "fetch", "--no-tags", "--depth=1", "origin", sha); ferr != nil {
			return nil, fmt.Errorf(
				"base commit %s is not in the checkout and could not be fetched (%v): check out with actions/checkout's fetch-depth: 0, or set baseline: none",
				history.ShortCommit(sha),
				ferr,
			)
		}
	}
	tmp, err := os.MkdirTemp(tmpRoot, "workerbench-base-")
	if err != nil {
		return nil, fmt.Errorf("base worktree: %w", err)
	}
	w := &worktree{repo: repo, dir: filepath.Join(tmp, "base"), tmp: tmp}
	if _, err := git(ctx, repo, "worktree", "add", "--detach", w.dir, sha); err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("check out base commit %s: %w", history.ShortCommit(sha), err)
	}
	fmt.Fprintf(log, "base commit %s checked out in %s\n", history.ShortCommit(sha), w.dir)
	return w, nil
}

// remove deletes the worktree and git's record of it. It runs on a fresh
// context: it must happen even after an interrupt.
func (w *worktree) remove(log io.Writer) {
	ctx := context.Background()
	if _, err := git(ctx, w.repo, "worktree", "remove", "--force", w.dir); err != nil {
		fmt.Fprintf(log, "warning: remove base worktree: %v\n", err)
	}
	os.RemoveAll(w.tmp)
	git(ctx, w.repo, "worktree", "prune")
}

// git runs git -C dir args in its own process group and returns stdout;
// an error carries git's stderr.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", append([]string{"-C", dir}, args...)...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf(
			"git %s: %w: %s",
			strings.Join(args, " "),
			err,
			strings.TrimSpace(stderr.String()),
		)
	}
	return stdout.String(), nil
}
