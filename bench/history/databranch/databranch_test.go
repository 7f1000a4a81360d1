package databranch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// git runs git in dir for the test's own setup.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(
		os.Environ(),
		"GIT_AUTHOR_NAME=t",
		"GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t",
		"GIT_COMMITTER_EMAIL=t@example.com",
		"GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_CONFIG_NOSYSTEM=1",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// setup makes a bare "remote" with a main branch, and n clones of it (as
// n CI jobs would have).
func setup(t *testing.T, n int) (remote string, clones []string) {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	root := t.TempDir()
	remote = filepath.Join(root, "remote.git")
	git(t, root, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	seed := filepath.Join(root, "seed")
	git(t, root, "init", "--quiet", "--initial-branch=main", seed)
	os.WriteFile(filepath.Join(seed, "app.py"), []byte("print('hi')\n"), 0o644)
	git(t, seed, "add", ".")
	git(t, seed, "commit", "--quiet", "-m", "code")
	git(t, seed, "push", "--quiet", remote, "main")
	for i := range n {
		c := filepath.Join(root, fmt.Sprintf("clone%d", i))
		git(t, root, "clone", "--quiet", remote, c)
		clones = append(clones, c)
	}
	return remote, clones
}

func fastBackoff(int) time.Duration { return time.Millisecond }

// appendLine adds line to log.txt.
func appendLine(line string) func(string) error {
	return func(dir string) error {
		f, err := os.OpenFile(
			filepath.Join(dir, "log.txt"),
			os.O_APPEND|os.O_CREATE|os.O_WRONLY,
			0o644,
		)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = fmt.Fprintln(f, line)
		return err
	}
}

func readFile(t *testing.T, b *Branch, name string) string {
	t.Helper()
	var got string
	err := b.Read(context.Background(), func(dir string) error {
		data, err := os.ReadFile(filepath.Join(dir, name))
		got = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMissingBranchIsCreated(t *testing.T) {
	remote, clones := setup(t, 1)
	b := &Branch{Repo: clones[0]}
	err := b.Read(context.Background(), func(string) error { return nil })
	if !errors.Is(err, ErrNoBranch) ||
		!strings.Contains(err.Error(), "origin has no branch workerbench-data") {
		t.Fatalf("Read of a missing branch: %v", err)
	}
	p, err := b.Update(context.Background(), "first record", appendLine("one"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.Created || p.Attempts != 1 || p.Unchanged {
		t.Errorf("first push: %+v", p)
	}
	if got := git(t, remote, "rev-parse", "refs/heads/workerbench-data"); got != p.Commit {
		t.Errorf("remote tip %s, pushed %s", got, p.Commit)
	}
	// An orphan: no parent, nothing of main in it.
	if parents := git(t, remote, "rev-list", "--parents", "-n1", p.Commit); parents != p.Commit {
		t.Errorf("first commit has parents: %s", parents)
	}
	if files := git(t, remote, "ls-tree", "--name-only", p.Commit); files != "log.txt" {
		t.Errorf("data branch holds %q", files)
	}
	if got := readFile(t, b, "log.txt"); got != "one\n" {
		t.Errorf("log.txt = %q", got)
	}
	// The user's checkout is untouched: same branch, clean, no new refs
	// but the private one.
	if st := git(t, clones[0], "status", "--porcelain"); st != "" {
		t.Errorf("work tree changed: %s", st)
	}
	if head := git(t, clones[0], "symbolic-ref", "HEAD"); head != "refs/heads/main" {
		t.Errorf("HEAD is %s", head)
	}
	if br := git(t, clones[0], "branch", "--list"); br != "* main" {
		t.Errorf("branches: %q", br)
	}
	if wt := git(t, clones[0], "worktree", "list", "--porcelain"); strings.Count(
		wt,
		"worktree ",
	) != 1 {
		t.Errorf("worktrees registered: %s", wt)
	}
}

// TestRepoSubdirectory: Repo may be a directory inside the checkout (the
// action passes its working-directory); every update still sees, and
// keeps, the whole branch.
func TestRepoSubdirectory(t *testing.T) {
	_, clones := setup(t, 1)
	sub := filepath.Join(clones[0], "app")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	b := &Branch{Repo: sub}
	ctx := context.Background()
	if _, err := b.Update(ctx, "one", appendLine("one")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, "two", appendLine("two")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, b, "log.txt"); got != "one\ntwo\n" {
		t.Errorf("log.txt = %q, want both lines", got)
	}
}

// Two writers that read the same tip: the second push loses the race,
// runs again on the winner's files, and both lines are kept.
func TestRaceBothKept(t *testing.T) {
	_, clones := setup(t, 2)
	a := &Branch{Repo: clones[0], Backoff: fastBackoff}
	b := &Branch{Repo: clones[1], Backoff: fastBackoff}
	if _, err := a.Update(context.Background(), "seed", appendLine("zero")); err != nil {
		t.Fatal(err)
	}
	// Both rounds hold in fn until both have read the tip.
	var ready sync.WaitGroup
	ready.Add(2)
	var once [2]sync.Once
	hold := func(i int, line string) func(string) error {
		return func(dir string) error {
			once[i].Do(func() { ready.Done(); ready.Wait() })
			return appendLine(line)(dir)
		}
	}
	var wg sync.WaitGroup
	results := make([]Pushed, 2)
	errs := make([]error, 2)
	for i, br := range []*Branch{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = br.Update(
				context.Background(),
				fmt.Sprintf("writer %d", i),
				hold(i, fmt.Sprintf("writer %d", i)),
			)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if results[0].Attempts+results[1].Attempts != 3 {
		t.Errorf(
			"attempts %d and %d: want one writer to lose the race once",
			results[0].Attempts,
			results[1].Attempts,
		)
	}
	got := readFile(t, a, "log.txt")
	if !strings.Contains(got, "writer 0\n") || !strings.Contains(got, "writer 1\n") ||
		strings.Count(got, "\n") != 3 {
		t.Errorf("log.txt = %q, want zero and both writers once", got)
	}
}

// Many writers, many appends each, at random moments: nothing is lost,
// and the branch never fails to create.
func TestManyWritersNoneLost(t *testing.T) {
	_, clones := setup(t, 4)
	const each = 4
	var wg sync.WaitGroup
	errs := make(chan error, len(clones)*each)
	var log bytes.Buffer
	var logMu sync.Mutex
	for i, c := range clones {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := &Branch{
				Repo:     c,
				Backoff:  func(n int) time.Duration { return time.Duration(n*(i+1)) * time.Millisecond },
				Attempts: 30,
				Log:      &lockedWriter{&logMu, &log},
			}
			for k := range each {
				if _, err := br.Update(context.Background(), "record", appendLine(fmt.Sprintf("w%d-%d", i, k))); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := strings.Fields(readFile(t, &Branch{Repo: clones[0]}, "log.txt"))
	if len(got) != len(clones)*each {
		t.Errorf("%d lines, want %d: %v", len(got), len(clones)*each, got)
	}
	t.Logf("retries:\n%s", log.String())
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestUnchangedIsNotPushed(t *testing.T) {
	remote, clones := setup(t, 1)
	b := &Branch{Repo: clones[0]}
	p1, err := b.Update(context.Background(), "one", appendLine("x"))
	if err != nil {
		t.Fatal(err)
	}
	p2, err := b.Update(context.Background(), "nothing", func(string) error { return nil })
	if err != nil || !p2.Unchanged || p2.Commit != p1.Commit {
		t.Errorf("no change: %+v %v", p2, err)
	}
	if n := git(t, remote, "rev-list", "--count", "workerbench-data"); n != "1" {
		t.Errorf("%s commits", n)
	}
}

func TestFnErrorPushesNothing(t *testing.T) {
	remote, clones := setup(t, 1)
	b := &Branch{Repo: clones[0], Name: "data"}
	boom := errors.New("boom")
	_, err := b.Update(context.Background(), "x", func(dir string) error {
		os.WriteFile(filepath.Join(dir, "half"), nil, 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	if refs := git(t, remote, "for-each-ref"); strings.Contains(refs, "data") {
		t.Errorf("branch created after an error: %s", refs)
	}
}

// The branch's depth is bounded: at MaxCommits the next update is a new
// root with all the files.
func TestMaxCommitsRestarts(t *testing.T) {
	remote, clones := setup(t, 1)
	b := &Branch{Repo: clones[0], MaxCommits: 3}
	var restarted []int
	for i := range 8 {
		p, err := b.Update(context.Background(), "r", appendLine(fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		if p.Restarted {
			restarted = append(restarted, i)
		}
		if n := git(t, remote, "rev-list", "--count", "workerbench-data"); n > "3" {
			t.Errorf("after update %d the branch is %s commits deep", i, n)
		}
	}
	if !slices.Equal(restarted, []int{3, 6}) {
		t.Errorf("restarted at updates %v, want [3 6]", restarted)
	}
	if got := strings.Fields(readFile(t, b, "log.txt")); len(got) != 8 {
		t.Errorf("data lost across restarts: %v", got)
	}
}

// A shallow clone (what actions/checkout makes) reads and writes the data
// branch, and stays as shallow as it was for main.
func TestShallowClone(t *testing.T) {
	remote, clones := setup(t, 1)
	if _, err := (&Branch{Repo: clones[0]}).Update(context.Background(), "one", appendLine("one")); err != nil {
		t.Fatal(err)
	}
	shallow := filepath.Join(t.TempDir(), "shallow")
	git(t, "/", "clone", "--quiet", "--depth=1", "--branch=main", "file://"+remote, shallow)
	b := &Branch{Repo: shallow}
	if _, err := b.Update(context.Background(), "two", appendLine("two")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, b, "log.txt"); got != "one\ntwo\n" {
		t.Errorf("log.txt = %q", got)
	}
}

func TestBadInputs(t *testing.T) {
	ctx := context.Background()
	noop := func(string) error { return nil }
	notRepo := t.TempDir()
	err := (&Branch{Repo: notRepo}).Read(ctx, noop)
	if err == nil || !strings.Contains(err.Error(), "git ls-remote (in "+notRepo+")") {
		t.Errorf("not a repository: %v", err)
	}
	_, clones := setup(t, 1)
	_, err = (&Branch{Repo: clones[0], Remote: "nowhere"}).Update(ctx, "x", noop)
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("unknown remote: %v", err)
	}
	for _, name := range []string{"-x", "a b", "a..b", "x:y"} {
		if err := (&Branch{Repo: clones[0], Name: name}).Read(ctx, noop); err == nil ||
			!strings.Contains(err.Error(), "not a valid branch name") {
			t.Errorf("branch %q: %v", name, err)
		}
	}
}

// A remote that refuses the push for good (a hook) fails at once, with
// the reason, not after every attempt.
func TestRefusedPushFailsAtOnce(t *testing.T) {
	remote, clones := setup(t, 1)
	hook := filepath.Join(remote, "hooks", "pre-receive")
	os.WriteFile(hook, []byte("#!/bin/sh\necho 'protected' >&2\nexit 1\n"), 0o755)
	p, err := (&Branch{Repo: clones[0], Backoff: fastBackoff}).Update(
		context.Background(),
		"x",
		appendLine("x"),
	)
	if err == nil || !strings.Contains(err.Error(), "pre-receive hook declined") ||
		p.Attempts != 1 {
		t.Errorf("refused push: attempts %d, %v", p.Attempts, err)
	}
}
