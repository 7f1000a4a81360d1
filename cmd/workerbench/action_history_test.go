package main

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
)

// gitIn runs git in dir and returns its trimmed output, or fails the test.
func gitIn(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test",
		"-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// withOrigin gives repo a bare repository as origin (holding main) and
// returns the bare repository's path.
func withOrigin(t *testing.T, repo testRepo) string {
	t.Helper()
	bare := filepath.Join(t.TempDir(), "origin.git")
	gitIn(t, repo.dir, "init", "-q", "--bare", bare)
	gitIn(t, repo.dir, "remote", "add", "origin", bare)
	gitIn(t, repo.dir, "push", "-q", "origin", "main")
	return bare
}

// pushEventJSON is a push event to ref of o/r, whose default branch is
// main.
func pushEventJSON(ref, after string) map[string]any {
	return map[string]any{
		"ref": ref, "after": after,
		"repository": map[string]any{"full_name": "o/r", "default_branch": "main"},
	}
}

// TestActionHistory wires history through the action in-process, with a
// bare repository as origin: a push to the default branch creates the
// data branch with its record, README and chart; a push to another branch
// records nothing; a pull request then shows main's trend under the
// comparison, in the comment and in the job summary.
func TestActionHistory(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	bare := withOrigin(t, repo)
	api := githubtest.New(t, "o/r")
	in := fastInputs()
	in["trials"] = "1"

	e := newActionEnv(t, api, repo.dir, "push", pushEventJSON("refs/heads/main", repo.head), in)
	code, stdout, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("push: exit %d\n%s\n%s", code, stdout, stderr)
	}
	want := "history: recorded " + repo.head[:7] + " in series default on branch workerbench-data"
	created := "\nhistory: branch created: workerbench-data, in this repository, keeps main's " +
		"history (a record per push, shown as a trend on pull requests); to turn it off, give " +
		"the action history: none\n"
	if !strings.Contains(stderr, want) || !strings.Contains(stderr, created) {
		t.Errorf("push: stderr lacks %q and the line %q:\n%s", want, created, stderr)
	}
	files := gitIn(t, bare, "ls-tree", "-r", "--name-only", "workerbench-data")
	for _, f := range []string{"README.md", "default.jsonl", "charts/trend-default-1x1.svg"} {
		if !strings.Contains("\n"+files+"\n", "\n"+f+"\n") {
			t.Errorf("data branch lacks %s; it has:\n%s", f, files)
		}
	}
	records := gitIn(t, bare, "show", "workerbench-data:default.jsonl")
	if n := strings.Count(records, "\n") + 1; n != 1 || !strings.Contains(records, repo.head) {
		t.Errorf("data branch holds %d records, want 1 of %s:\n%s", n, repo.head, records)
	}

	tip := gitIn(t, bare, "rev-parse", "workerbench-data")
	e = newActionEnv(t, api, repo.dir, "push", pushEventJSON("refs/heads/feature", repo.head), in)
	code, _, stderr = e.run(t)
	if code != exitOK || !strings.Contains(stderr, "history: not recorded: the push is to "+
		"refs/heads/feature, not to the default branch main") {
		t.Errorf("push to a feature branch: exit %d\n%s", code, stderr)
	}
	if got := gitIn(t, bare, "rev-parse", "workerbench-data"); got != tip {
		t.Errorf("a push to a feature branch moved the data branch")
	}

	e = newActionEnv(t, api, repo.dir, "pull_request", prEventJSON(repo.base, repo.head),
		fastInputs())
	code, stdout, stderr = e.run(t)
	if code != exitOK {
		t.Fatalf("pull request: exit %d\n%s\n%s", code, stdout, stderr)
	}
	comments := api.Comments(7)
	if len(comments) != 1 {
		t.Fatalf("%d comments, want 1", len(comments))
	}
	body := comments[0].Body
	trend := "**main's trend** — `default`, 1 push"
	i, j := strings.Index(body, "| cell | base req/s"), strings.Index(body, trend)
	t.Logf("main's trend in the comment:\n%s", body[max(j, 0):])
	if i < 0 || j < i || !strings.Contains(body[j:], "\n| 1x1 | ") {
		t.Errorf("comment lacks main's trend with a 1x1 row under the comparison:\n%s", body)
	}
	summary, err := os.ReadFile(e.summary)
	if err != nil || !strings.Contains(string(summary), trend) {
		t.Errorf("job summary lacks main's trend (%v)", err)
	}
	if got := gitIn(t, bare, "rev-parse", "workerbench-data"); got != tip {
		t.Errorf("a pull request moved the data branch")
	}
	e.assertNoToken(t, stdout, stderr)
}

// gitHTTPBackend is git's CGI program that serves a repository over HTTP.
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// httpOriginRepo is a test repository with a bare origin, for a test that
// serves that origin through gitHTTPBackend; it skips without gunicorn or
// the backend.
func httpOriginRepo(t *testing.T) (repo testRepo, bare string) {
	t.Helper()
	needGunicorn(t)
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		t.Skip("git http-backend is not installed at " + gitHTTPBackend)
	}
	repo = newTestRepo(t)
	return repo, withOrigin(t, repo)
}

// TestActionHistoryReadOnly serves origin the way GitHub serves a token
// without contents: write — reads allowed, pushes refused with HTTP 403 —
// through git http-backend on loopback: the push job succeeds with a
// notice that says how to grant the permission, and a pull request's
// comment says there is no history yet. history: none reads nothing.
func TestActionHistoryReadOnly(t *testing.T) {
	repo, bare := httpOriginRepo(t)
	srv := httptest.NewServer(&cgi.Handler{Path: gitHTTPBackend, Stderr: io.Discard, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1"}})
	t.Cleanup(srv.Close)
	gitIn(t, repo.dir, "remote", "set-url", "origin", srv.URL+"/"+filepath.Base(bare))
	api := githubtest.New(t, "o/r")
	in := fastInputs()
	in["trials"] = "1"

	e := newActionEnv(t, api, repo.dir, "push", pushEventJSON("refs/heads/main", repo.head), in)
	code, stdout, stderr := e.run(t)
	notice := "::notice title=workerbench%3A history not recorded::the token may not push to " +
		"the data branch workerbench-data ("
	if code != exitOK || !strings.Contains(stdout, notice) ||
		!strings.Contains(stdout, "permissions: contents: write") {
		t.Errorf("push without write access: exit %d, want 0 and the notice %q\n%s\n%s",
			code, notice, stdout, stderr)
	}
	if branches := gitIn(t, bare, "branch", "--list"); strings.Contains(branches, "workerbench") {
		t.Errorf("the data branch was created through a read-only remote: %s", branches)
	}

	for _, tt := range []struct {
		history, want string
	}{
		{"", "_No history of main yet: each push to it adds a record to the branch " +
			"workerbench-data (series default)._"},
		{"none", ""},
	} {
		api := githubtest.New(t, "o/r")
		in := fastInputs()
		in["history"] = tt.history
		e := newActionEnv(t, api, repo.dir, "pull_request", prEventJSON(repo.base, repo.head), in)
		code, stdout, stderr := e.run(t)
		if code != exitOK || len(api.Comments(7)) != 1 {
			t.Fatalf("history %q: exit %d\n%s\n%s", tt.history, code, stdout, stderr)
		}
		body := api.Comments(7)[0].Body
		if tt.want != "" && !strings.Contains(body, tt.want) {
			t.Errorf("history %q: comment lacks %q:\n%s", tt.history, tt.want, body)
		}
		if tt.want == "" && (strings.Contains(body, "trend") || strings.Contains(body, "history")) {
			t.Errorf("history none: the comment mentions history:\n%s", body)
		}
	}
}

// TestActionHistoryCredentials serves origin over HTTP the way GitHub does
// for a checkout with persist-credentials: false (git http-backend on
// loopback, every request needing the token as basic auth): the push job
// records with its github-token, given to git in the environment, and
// .git/config never holds it. With credentials persisted by checkout
// (an http.extraheader), git sends that header alone, not two.
func TestActionHistoryCredentials(t *testing.T) {
	repo, bare := httpOriginRepo(t)
	git := &cgi.Handler{Path: gitHTTPBackend, Stderr: io.Discard, Env: []string{
		"GIT_PROJECT_ROOT=" + filepath.Dir(bare), "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=x-access-token"}}
	var mu sync.Mutex
	var refused []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if n := len(r.Header.Values("Authorization")); n != 1 || !ok || user != "x-access-token" ||
			pass != githubtest.Token {
			mu.Lock()
			refused = append(refused, fmt.Sprintf("%s %s: %d Authorization headers", r.Method, r.URL.Path, n))
			mu.Unlock()
			w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		git.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	gitIn(t, repo.dir, "remote", "set-url", "origin", srv.URL+"/"+filepath.Base(bare))
	in := fastInputs()
	in["trials"] = "1"

	for i, persisted := range []bool{false, true} {
		if persisted {
			basic := base64.StdEncoding.EncodeToString([]byte("x-access-token:" + githubtest.Token))
			gitIn(t, repo.dir, "config", "--local", "http."+srv.URL+"/.extraheader",
				"AUTHORIZATION: basic "+basic)
		}
		e := newActionEnv(t, githubtest.New(t, "o/r"), repo.dir, "push",
			pushEventJSON("refs/heads/main", repo.head), in)
		e.vars["GITHUB_SERVER_URL"] = srv.URL
		code, stdout, stderr := e.run(t)
		if code != exitOK || !strings.Contains(stderr, "history: recorded "+repo.head[:7]) {
			t.Errorf("persisted %v: exit %d, want a record\n%s\n%s", persisted, code, stdout, stderr)
		}
		e.assertNoToken(t, stdout, stderr)
		records := gitIn(t, bare, "show", "workerbench-data:default.jsonl")
		if n := strings.Count(records, "\n") + 1; n != i+1 {
			t.Errorf("persisted %v: %d records on the data branch, want %d", persisted, n, i+1)
		}
		config, err := os.ReadFile(filepath.Join(repo.dir, ".git", "config"))
		if err != nil {
			t.Fatal(err)
		}
		if !persisted && strings.Contains(string(config), "extraheader") {
			t.Errorf("the action wrote credentials into .git/config:\n%s", config)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range refused {
		if !strings.Contains(r, ": 0 Authorization") {
			t.Errorf("refused %s", r) // git's first, anonymous try is expected; two headers are not
		}
	}
}
