// Package databranch keeps a directory of files on an orphan branch of a
// git repository — a branch with no history in common with the code, for
// data such as workerbench's history and its charts — read and written
// with the git command.
//
// It works with git's plumbing, a temporary index and a temporary
// directory, not with a checkout or a worktree: the user's work tree,
// index, HEAD and branches are never touched, no worktree is registered
// (the one trace is a private ref, refs/workerbench/NAME, holding the tip
// last fetched), a bare repository works too, and the repository's remote
// configuration (and the credentials actions/checkout stores in it) is
// what fetches and pushes.
//
// Update is a transaction: fetch the branch's tip, materialise its files,
// let the caller change them, commit on top of the tip, and push with a
// lease on that tip. When another writer pushed first, the lease fails and
// the whole round runs again on the new tip, so the caller's change is
// applied to the latest files, not merged textually: two jobs appending to
// the same file never conflict and no record is lost. A missing branch is
// created by the first push (with a lease that it is still missing).
//
// The branch's own history is bounded too: once the tip is MaxCommits
// deep, the next update starts a new root commit (force-pushed under the
// same lease), so old versions of data and images stop piling up in the
// repository, the growth that turns a gh-pages benchmark branch into
// gigabytes.
package databranch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// DefaultBranch is the branch used when Branch.Name is empty.
const DefaultBranch = "workerbench-data"

// ErrNoBranch is returned by Read when the remote has no such branch yet.
var ErrNoBranch = errors.New("the data branch does not exist yet")

// Branch is a data branch on a remote of a local repository.
type Branch struct {
	// Repo is a git repository (a work tree or a bare repository) whose
	// object store and remote configuration are used; "" is the current
	// directory.
	Repo string
	// Remote is a remote's name or URL (default "origin").
	Remote string
	// Name is the branch (default DefaultBranch).
	Name string
	// Attempts bounds the rounds of Update (default 10).
	Attempts int
	// Backoff is the pause before round n (n ≥ 2). The default grows from
	// 200 ms to 5 s, with jitter so that two writers that collided do not
	// collide again.
	Backoff func(n int) time.Duration
	// MaxCommits is the depth at which the branch starts again from a new
	// root commit (default 100; negative: never).
	MaxCommits int
	// Author names the commits (default "workerbench").
	Author, Email string
	// Log receives a line per retry; nil discards them.
	Log io.Writer
	// Env is added to the environment of every git command, e.g.
	// credentials as GIT_CONFIG_* variables that are never written to the
	// repository's configuration.
	Env []string
}

// Pushed says what Update did.
type Pushed struct {
	Commit    string // the new tip; the old one when nothing changed
	Attempts  int    // rounds it took
	Created   bool   // the branch did not exist
	Restarted bool   // the commit is a new root (see MaxCommits)
	Unchanged bool   // the files were the same: nothing pushed
}

func (b *Branch) name() string {
	if b.Name == "" {
		return DefaultBranch
	}
	return b.Name
}

func (b *Branch) remote() string {
	if b.Remote == "" {
		return "origin"
	}
	return b.Remote
}

func (b *Branch) ref() string { return "refs/heads/" + b.name() }

// Read materialises the branch's files in a temporary directory, calls fn
// with it, and removes it. It returns ErrNoBranch when the remote has no
// such branch.
func (b *Branch) Read(ctx context.Context, fn func(dir string) error) error {
	if err := b.check(); err != nil {
		return err
	}
	tip, err := b.fetch(ctx)
	if err != nil {
		return err
	}
	if tip == "" {
		return fmt.Errorf("%w: %s has no branch %s", ErrNoBranch, b.remote(), b.name())
	}
	tmp, err := os.MkdirTemp("", "workerbench-data-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	work, err := b.materialise(ctx, tmp, tip)
	if err != nil {
		return err
	}
	return fn(work)
}

// Update applies fn to the branch's files and pushes the result as one
// commit with message. fn may run more than once (once per round, each
// time on fresh files from the latest tip), so it must only depend on what
// it finds in dir and on its own inputs. An error from fn ends Update
// without pushing.
func (b *Branch) Update(
	ctx context.Context,
	message string,
	fn func(dir string) error,
) (Pushed, error) {
	if err := b.check(); err != nil {
		return Pushed{}, err
	}
	attempts := b.Attempts
	if attempts < 1 {
		attempts = 10
	}
	restart := b.MaxCommits >= 0
	var last error
	for n := 1; n <= attempts; n++ {
		if n > 1 {
			wait := b.backoff(n)
			b.logf(
				"workerbench: push to %s lost a race (%v); trying again in %v (attempt %d of %d)\n",
				b.name(),
				last,
				wait.Round(time.Millisecond),
				n,
				attempts,
			)
			select {
			case <-ctx.Done():
				return Pushed{}, ctx.Err()
			case <-time.After(wait):
			}
		}
		p, err := b.round(ctx, message, fn, restart)
		p.Attempts = n
		var rej *rejected
		switch {
		case err == nil:
			return p, nil
		case errors.As(err, &rej) && rej.retry:
			last = err
		case errors.As(err, &rej) && p.Restarted:
			// A protected branch may refuse the forced push of a new root;
			// keep the history growing rather than fail.
			b.logf(
				"workerbench: %s refused a new root commit (%v); committing on top instead\n",
				b.name(),
				err,
			)
			restart, last = false, err
		default:
			return p, err
		}
	}
	return Pushed{
			Attempts: attempts,
		}, fmt.Errorf(
			"push to %s: gave up after %d attempts: %w",
			b.name(),
			attempts,
			last,
		)
}

func (b *Branch) round(
	ctx context.Context,
	message string,
	fn func(dir string) error,
	restart bool,
) (Pushed, error) {
	tip, err := b.fetch(ctx)
	if err != nil {
		return Pushed{}, err
	}
	tmp, err := os.MkdirTemp("", "workerbench-data-")
	if err != nil {
		return Pushed{}, err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "work")
	if tip != "" {
		if work, err = b.materialise(ctx, tmp, tip); err != nil {
			return Pushed{}, err
		}
	} else if err := os.Mkdir(work, 0o755); err != nil {
		return Pushed{}, err
	}
	if err := fn(work); err != nil {
		return Pushed{}, err
	}
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	// --force: the repository's ignore rules (a global *.png, say) are
	// the user's, not the data branch's.
	if _, err := b.git(ctx, env, "--work-tree="+work, "add", "--all", "--force"); err != nil {
		return Pushed{}, err
	}
	tree, err := b.git(ctx, env, "write-tree")
	if err != nil {
		return Pushed{}, err
	}
	p := Pushed{Created: tip == ""}
	parent := tip
	if tip != "" {
		old, err := b.git(ctx, nil, "rev-parse", tip+"^{tree}")
		if err != nil {
			return Pushed{}, err
		}
		if old == tree {
			p.Commit, p.Unchanged = tip, true
			return p, nil
		}
		if restart {
			depth, err := b.git(ctx, nil, "rev-list", "--count", tip)
			if err != nil {
				return Pushed{}, err
			}
			if d, _ := strconv.Atoi(depth); d >= b.maxCommits() {
				parent, p.Restarted = "", true
			}
		}
	}
	args := []string{"commit-tree", tree, "-m", message}
	if parent != "" {
		args = append(args, "-p", parent)
	}
	commit, err := b.git(ctx, b.ident(), args...)
	if err != nil {
		return Pushed{}, err
	}
	p.Commit = commit
	return p, b.push(ctx, commit, tip)
}

func (b *Branch) maxCommits() int {
	if b.MaxCommits == 0 {
		return 100
	}
	return b.MaxCommits
}

// fetch brings the branch's tip into refs/workerbench/NAME and returns
// it, or "" when the remote has no such branch.
func (b *Branch) fetch(ctx context.Context) (string, error) {
	out, err := b.git(ctx, nil, "ls-remote", "--heads", b.remote(), b.ref())
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(out) == "" {
		return "", nil
	}
	local := "refs/workerbench/" + b.name()
	// No --depth: the branch's history is short (MaxCommits), and a
	// shallow fetch would make a full clone shallow.
	if _, err := b.git(ctx, nil, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head", b.remote(), "+"+b.ref()+":"+local); err != nil {
		return "", err
	}
	return b.git(ctx, nil, "rev-parse", "--verify", local+"^{commit}")
}

// materialise writes the files of commit into tmp/work through a
// temporary index in tmp, and returns tmp/work.
func (b *Branch) materialise(ctx context.Context, tmp, commit string) (string, error) {
	work := filepath.Join(tmp, "work")
	env := []string{"GIT_INDEX_FILE=" + filepath.Join(tmp, "index")}
	if _, err := b.git(ctx, env, "read-tree", commit); err != nil {
		return "", err
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return "", err
	}
	// Into work as the work tree, not with --prefix: checkout-index --all
	// from a subdirectory of a checkout (Repo = examples/flask, say) takes
	// only that subdirectory's entries, and the next commit would drop the
	// rest of the branch.
	if _, err := b.git(ctx, env, "--work-tree="+work, "checkout-index", "--all"); err != nil {
		return "", err
	}
	return work, nil
}

// rejected is a push the remote refused; retry says whether another
// round can succeed (the tip moved) or not (permissions, a hook).
type rejected struct {
	reason string
	retry  bool
}

func (r *rejected) Error() string { return "rejected: " + r.reason }

func (b *Branch) push(ctx context.Context, commit, tip string) error {
	lease := "--force-with-lease=" + b.ref() + ":" + tip // tip "" = must not exist
	out, err := b.git(
		ctx,
		nil,
		"push",
		"--porcelain",
		"--no-verify",
		lease,
		b.remote(),
		commit+":"+b.ref(),
	)
	if err == nil {
		return nil
	}
	// Porcelain: "!\tsrc:dst\t[rejected] (stale info)".
	for _, line := range strings.Split(out+"\n"+err.Error(), "\n") {
		if !strings.HasPrefix(line, "!") {
			continue
		}
		reason := line
		if i := strings.LastIndex(line, "\t"); i >= 0 {
			reason = line[i+1:]
		}
		return &rejected{reason: reason, retry: raced(reason)}
	}
	return err
}

// raced reports whether a rejection means another writer moved the branch
// (or held its lock) meanwhile.
func raced(reason string) bool {
	for _, s := range []string{"stale info", "fetch first", "non-fast-forward", "failed to update ref", "cannot lock ref", "failed to lock", "incorrect old value"} {
		if strings.Contains(reason, s) {
			return true
		}
	}
	return false
}

func (b *Branch) backoff(n int) time.Duration {
	if b.Backoff != nil {
		return b.Backoff(n)
	}
	d := min(200*time.Millisecond<<(n-2), 5*time.Second)
	return d/2 + rand.N(d) // jitter: [d/2, 3d/2)
}

func (b *Branch) ident() []string {
	name, email := b.Author, b.Email
	if name == "" {
		name = "workerbench"
	}
	if email == "" {
		email = "workerbench@users.noreply.github.com"
	}
	return []string{
		"GIT_AUTHOR_NAME=" + name,
		"GIT_AUTHOR_EMAIL=" + email,
		"GIT_COMMITTER_NAME=" + name,
		"GIT_COMMITTER_EMAIL=" + email,
	}
}

func (b *Branch) check() error {
	if strings.HasPrefix(b.name(), "-") || strings.ContainsAny(b.name(), " ~^:?*[\\") ||
		strings.Contains(b.name(), "..") {
		return fmt.Errorf("data branch %q is not a valid branch name", b.name())
	}
	if strings.HasPrefix(b.remote(), "-") {
		return fmt.Errorf("remote %q is not a remote", b.remote())
	}
	return nil
}

func (b *Branch) logf(format string, a ...any) {
	if b.Log != nil {
		fmt.Fprintf(b.Log, format, a...)
	}
}

// git runs git in the repository with extra environment and returns its
// trimmed standard output; an error carries the command and its stderr.
func (b *Branch) git(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = b.Repo
	// A prompt would hang a CI job; C locale keeps push's reasons parseable.
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "LANGUAGE=C")
	cmd.Env = append(append(cmd.Env, b.Env...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		where := b.Repo
		if where == "" {
			where = "."
		}
		return strings.TrimSpace(
				stdout.String(),
			), fmt.Errorf(
				"git %s (in %s): %s",
				args[0],
				where,
				msg,
			)
	}
	return strings.TrimSpace(stdout.String()), nil
}
