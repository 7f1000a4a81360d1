package publish

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

// testToken is sent by the client and must never show up in an error.
const testToken = "ghs_TESTTOKENdoNotLeak0123456789abcdef"

// fakeComment is one issue comment held by fakeGitHub.
type fakeComment struct {
	ID    int64
	Body  string
	Login string
}

// fault is a scripted failure: status, headers and a JSON body.
type fault struct {
	status int
	header map[string]string
	body   string
	// commit makes a POST take effect before the failure is returned, like
	// a proxy timing out after GitHub stored the comment.
	commit bool
}

// fakeGitHub is a minimal GitHub REST API for owner "o", repo "r": issue
// comments with Link-header pagination, comment edits, and pull requests.
// Like go-github's own setup(), it serves under /api-v3/ and fails the test
// on any request outside it.
type fakeGitHub struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	comments map[int][]*fakeComment // by issue number
	nextID   int64
	requests []string // "METHOD /path?query" without the prefix
	calls    map[string]int
	faults   map[string][]fault // by method; consumed in order
	pulls    map[int]*github.PullRequest
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	t.Helper()
	f := &fakeGitHub{
		t:        t,
		comments: map[int][]*fakeComment{},
		nextID:   1000,
		calls:    map[string]int{},
		faults:   map[string][]fault{},
		pulls:    map[int]*github.PullRequest{},
	}
	api := http.NewServeMux()
	api.HandleFunc("GET /repos/o/r/issues/{n}/comments", f.list)
	api.HandleFunc("POST /repos/o/r/issues/{n}/comments", f.create)
	api.HandleFunc("PATCH /repos/o/r/issues/comments/{id}", f.edit)
	api.HandleFunc("GET /repos/o/r/pulls/{n}", f.pull)
	mux := http.NewServeMux()
	mux.Handle("/api-v3/", http.StripPrefix("/api-v3", f.intercept(api)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside the API prefix: %s %s", r.Method, r.URL)
		http.Error(w, "outside /api-v3/", http.StatusBadRequest)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// client returns a go-github client with BaseURL under /api-v3/.
func (f *fakeGitHub) client() *github.Client {
	c := github.NewClient(f.srv.Client()).WithAuthToken(testToken)
	u, err := url.Parse(f.srv.URL + "/api-v3/")
	if err != nil {
		f.t.Fatal(err)
	}
	c.BaseURL = u
	return c
}

// fail queues faults for the next requests with method.
func (f *fakeGitHub) fail(method string, faults ...fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[method] = append(f.faults[method], faults...)
}

func (f *fakeGitHub) add(pr int, login, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.comments[pr] = append(f.comments[pr], &fakeComment{ID: f.nextID, Body: body, Login: login})
	return f.nextID
}

func (f *fakeGitHub) snapshot(pr int) []fakeComment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeComment
	for _, c := range f.comments[pr] {
		out = append(out, *c)
	}
	return out
}

func (f *fakeGitHub) log() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func (f *fakeGitHub) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			f.t.Errorf("%s %s: Authorization %q, want the bearer token", r.Method, r.URL.Path, got)
		}
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
		f.calls[r.Method]++
		var ft *fault
		if q := f.faults[r.Method]; len(q) > 0 {
			ft, f.faults[r.Method] = &q[0], q[1:]
		}
		f.mu.Unlock()
		if ft == nil {
			next.ServeHTTP(w, r)
			return
		}
		if ft.commit {
			next.ServeHTTP(httptest.NewRecorder(), r)
		}
		for k, v := range ft.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ft.status)
		io.WriteString(w, ft.body)
	})
}

func (f *fakeGitHub) issueComment(pr int, c *fakeComment) *github.IssueComment {
	return &github.IssueComment{
		ID:      github.Int64(c.ID),
		Body:    github.String(c.Body),
		HTMLURL: github.String(fmt.Sprintf("https://github.com/o/r/pull/%d#issuecomment-%d", pr, c.ID)),
		User:    &github.User{Login: github.String(c.Login)},
	}
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	pr, _ := strconv.Atoi(r.PathValue("n"))
	page, perPage := 1, 30
	if v := r.URL.Query().Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	if v := r.URL.Query().Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	f.mu.Lock()
	all := f.comments[pr]
	var out []*github.IssueComment
	for i := (page - 1) * perPage; i < len(all) && i < page*perPage; i++ {
		out = append(out, f.issueComment(pr, all[i]))
	}
	more := page*perPage < len(all)
	f.mu.Unlock()
	if more {
		next := fmt.Sprintf("%s/api-v3/repos/o/r/issues/%d/comments?page=%d&per_page=%d", f.srv.URL, pr, page+1, perPage)
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next"`, next))
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeGitHub) create(w http.ResponseWriter, r *http.Request) {
	pr, _ := strconv.Atoi(r.PathValue("n"))
	var in github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id := f.add(pr, "github-actions[bot]", in.GetBody())
	writeJSON(w, http.StatusCreated, f.issueComment(pr, &fakeComment{ID: id, Body: in.GetBody(), Login: "github-actions[bot]"}))
}

func (f *fakeGitHub) edit(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in github.IssueComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for pr, list := range f.comments {
		for _, c := range list {
			if c.ID == id {
				c.Body = in.GetBody()
				writeJSON(w, http.StatusOK, f.issueComment(pr, c))
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func (f *fakeGitHub) pull(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	f.mu.Lock()
	pr, ok := f.pulls[n]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, pr)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
