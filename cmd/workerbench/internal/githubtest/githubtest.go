// Package githubtest is the fake GitHub REST API that workerbench's tests
// talk to: issue comments (list with Link-header pagination, create, edit),
// pull requests of one repository and the token's user (GET /user), served
// by an httptest server on loopback.
//
// Like go-github's own setup(), the API lives under the path prefix
// /api-v3/, so a client that drops its base URL's path, or builds an
// absolute URL, misses it and fails the test. Every request must carry
// the bearer Token. Failures are scripted per HTTP method (Fail), and
// pull requests are registered (AddPull); both are stubs in the sense of
// cli/cli's pkg/httpmock: Verify, which New registers with t.Cleanup,
// reports every stub that no request used, so a test cannot pass while
// the failure it scripts never happens.
package githubtest

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

// Token is the token the fake API accepts. Tests give it to the code under
// test and check that it never shows up in an error, a log or a file.
const Token = "ghs_TESTTOKENdoNotLeak0123456789abcdef"

// Bot is the login of the comments created through the API, as GitHub
// names the author of comments made with GITHUB_TOKEN.
const Bot = "github-actions[bot]"

// firstID is the ID of the first comment; later ones count up by one.
const firstID = 1001

// Comment is one issue comment held by the fake.
type Comment struct {
	ID    int64
	Body  string
	Login string
}

// Pull is the part of a pull request the fake serves: its head commit and
// the repository it comes from ("fork/r" for a fork).
type Pull struct {
	HeadSHA  string
	HeadRepo string
}

// Fault is a scripted failure: a status, headers and a JSON body.
type Fault struct {
	Status int
	Header map[string]string
	Body   string
	// Commit makes the request take effect before the failure is returned,
	// like a proxy that times out after GitHub stored the comment.
	Commit bool
}

// ReadOnly is GitHub's answer to a write with a token that may not write,
// such as a fork pull request's GITHUB_TOKEN.
var ReadOnly = Fault{
	Status: http.StatusForbidden,
	Body:   `{"message":"Resource not accessible by integration"}`,
}

// Server is a fake GitHub API for one repository. Its methods are safe to
// call while requests are being served.
type Server struct {
	t    testing.TB
	repo string
	srv  *httptest.Server

	mu       sync.Mutex
	comments map[int][]*Comment // by issue number
	lastID   int64
	created  int
	edited   int
	requests []string          // "METHOD /path?query", without the prefix
	faults   map[string][]stub // by method, served in order
	pulls    map[int]*pullStub // by number
	login    string            // the token's user; "" for an installation token
}

type stub struct {
	fault Fault
	used  bool
}

type pullStub struct {
	pull    Pull
	fetched bool
}

// New starts a fake API for repo ("owner/name") that lives as long as the
// test, and checks with Verify at the end of the test that every stub was
// used.
func New(t testing.TB, repo string) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		repo:     repo,
		comments: map[int][]*Comment{},
		lastID:   firstID - 1,
		faults:   map[string][]stub{},
		pulls:    map[int]*pullStub{},
	}
	prefix := "/repos/" + repo
	api := http.NewServeMux()
	api.HandleFunc("GET "+prefix+"/issues/{n}/comments", s.list)
	api.HandleFunc("POST "+prefix+"/issues/{n}/comments", s.create)
	api.HandleFunc("PATCH "+prefix+"/issues/comments/{id}", s.edit)
	api.HandleFunc("GET "+prefix+"/pulls/{n}", s.pull)
	api.HandleFunc("GET /user", s.user)
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("githubtest: no fake for %s %s", r.Method, r.URL.Path)
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	})
	mux := http.NewServeMux()
	mux.Handle("/api-v3/", http.StripPrefix("/api-v3", s.intercept(api)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("githubtest: request outside /api-v3/: %s %s", r.Method, r.URL)
		http.Error(w, "outside /api-v3/", http.StatusBadRequest)
	})
	// Cleanups run last-in first-out: the server closes, which waits for
	// the requests in flight, and only then are the stubs checked.
	t.Cleanup(func() { s.Verify(t) })
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API's base URL without a trailing slash, as the Actions
// runner sets GITHUB_API_URL.
func (s *Server) URL() string { return s.srv.URL + "/api-v3" }

// Client returns a go-github client for the fake, authenticated with Token.
func (s *Server) Client() *github.Client {
	c := github.NewClient(s.srv.Client()).WithAuthToken(Token)
	u, err := url.Parse(s.URL() + "/")
	if err != nil {
		s.t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// AddComment adds a comment by login to issue or pull request pr, as if it
// had been there before the test, and returns its ID.
func (s *Server) AddComment(pr int, login, body string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(pr, login, body).ID
}

func (s *Server) addLocked(pr int, login, body string) *Comment {
	s.lastID++
	c := &Comment{ID: s.lastID, Body: body, Login: login}
	s.comments[pr] = append(s.comments[pr], c)
	return c
}

// SetLogin makes Token a user's token, such as a personal access token of
// login: GET /user names login, and comments are created by login. By
// default Token is an installation token like GITHUB_TOKEN: GET /user is
// 403 Forbidden, and comments are created by Bot.
func (s *Server) SetLogin(login string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.login = login
}

// AddPull registers pull request n. It is a stub: Verify reports it if no
// request fetched it. Pull requests not registered are 404 Not Found.
func (s *Server) AddPull(n int, p Pull) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pulls[n] = &pullStub{pull: p}
}

// Fail queues faults for the next requests with method, one request each,
// in order; the requests after them are served normally. Each fault is a
// stub that Verify reports if no request met it.
func (s *Server) Fail(method string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range faults {
		s.faults[method] = append(s.faults[method], stub{fault: f})
	}
}

// Comments returns a copy of the comments on pr, oldest first.
func (s *Server) Comments(pr int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments[pr] {
		out = append(out, *c)
	}
	return out
}

// Created is the number of comments created through the API.
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// Edited is the number of successful comment edits.
func (s *Server) Edited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.edited
}

// Requests returns every request received so far, failed ones included,
// as "METHOD /path?query" without the /api-v3 prefix.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Calls is the number of requests received with method.
func (s *Server) Calls(method string) int {
	n := 0
	for _, r := range s.Requests() {
		if strings.HasPrefix(r, method+" ") {
			n++
		}
	}
	return n
}

// Verify reports, as errors of t, every stub no request used: faults still
// queued and pull requests never fetched. New registers it with t.Cleanup;
// call it earlier to check at a point of the test.
func (s *Server) Verify(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var unused []string
	for _, m := range slices.Sorted(maps.Keys(s.faults)) {
		for _, st := range s.faults[m] {
			if !st.used {
				unused = append(unused, fmt.Sprintf("%s answered %d", m, st.fault.Status))
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(s.pulls)) {
		if !s.pulls[n].fetched {
			unused = append(unused, fmt.Sprintf("GET /repos/%s/pulls/%d", s.repo, n))
		}
	}
	if len(unused) > 0 {
		t.Errorf("githubtest: %d stubs never used: %s", len(unused), strings.Join(unused, "; "))
	}
}

// intercept checks the token, logs the request and serves the next fault
// queued for its method instead of next, if there is one.
func (s *Server) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+Token {
			// Never print the header: it may hold a real token.
			s.t.Errorf("githubtest: %s %s: the Authorization header is not the bearer Token",
				r.Method, r.URL.Path)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
			return
		}
		s.mu.Lock()
		s.requests = append(s.requests, r.Method+" "+r.URL.RequestURI())
		var ft *Fault
		if q := s.faults[r.Method]; len(q) > 0 {
			for i := range q {
				if !q[i].used {
					q[i].used = true
					ft = &q[i].fault
					break
				}
			}
		}
		s.mu.Unlock()
		if ft == nil {
			next.ServeHTTP(w, r)
			return
		}
		if ft.Commit {
			next.ServeHTTP(httptest.NewRecorder(), r)
		}
		for k, v := range ft.Header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ft.Status)
		io.WriteString(w, ft.Body)
	})
}

func (s *Server) issueComment(pr int, c *Comment) *github.IssueComment {
	return &github.IssueComment{
		ID:   github.Int64(c.ID),
		Body: github.String(c.Body),
		HTMLURL: github.String(fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d",
			s.repo, pr, c.ID)),
		User: &github.User{Login: github.String(c.Login)},
	}
}

// list serves a page of comments, 30 by default as GitHub does, with a
// Link header naming the next page while there is one.
func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	pr, _ := strconv.Atoi(r.PathValue("n"))
	page, perPage := 1, 30
	if v := r.URL.Query().Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if v := r.URL.Query().Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	page, perPage = max(page, 1), min(max(perPage, 1), 100)
	s.mu.Lock()
	all := s.comments[pr]
	out := []*github.IssueComment{}
	for i := (page - 1) * perPage; i < len(all) && i < page*perPage; i++ {
		out = append(out, s.issueComment(pr, all[i]))
	}
	more := page*perPage < len(all)
	s.mu.Unlock()
	if more {
		next := fmt.Sprintf("%s/repos/%s/issues/%d/comments?page=%d&per_page=%d",
			s.URL(), s.repo, pr, page+1, perPage)
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	pr, _ := strconv.Atoi(r.PathValue("n"))
	var in github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	s.mu.Lock()
	author := Bot
	if s.login != "" {
		author = s.login
	}
	c := s.addLocked(pr, author, in.GetBody())
	s.created++
	out := s.issueComment(pr, c)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) edit(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for pr, list := range s.comments {
		for _, c := range list {
			if c.ID == id {
				c.Body = in.GetBody()
				s.edited++
				writeJSON(w, http.StatusOK, s.issueComment(pr, c))
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func (s *Server) pull(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	s.mu.Lock()
	ps, ok := s.pulls[n]
	if ok {
		ps.fetched = true
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, &github.PullRequest{
		Number: github.Int(n),
		Head: &github.PullRequestBranch{
			SHA:  github.String(ps.pull.HeadSHA),
			Repo: &github.Repository{FullName: github.String(ps.pull.HeadRepo)},
		},
	})
}

// user serves GET /user: the login of a user's token, and for an
// installation token GitHub's refusal.
func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	login := s.login
	s.mu.Unlock()
	if login == "" {
		writeJSON(w, http.StatusForbidden,
			map[string]string{"message": "Resource not accessible by integration"})
		return
	}
	writeJSON(w, http.StatusOK, &github.User{Login: github.String(login), Type: github.String("User")})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
