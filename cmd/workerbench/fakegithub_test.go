package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// testToken is the token the tests give the action; it must never appear
// in any output.
const testToken = "ghs_ACTIONtestTOKENneverPRINT0123456789"

// ghComment is one issue comment held by fakeAPI.
type ghComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	URL  string `json:"html_url"`
}

// fakeAPI is the slice of the GitHub REST API the action uses, for
// repository o/r, served under /api-v3/ on loopback like go-github's own
// tests, so a client that drops the base URL's path fails.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	comments map[int][]*ghComment
	nextID   int64
	creates  int
	edits    int
	readOnly bool // 403 on create and edit, like a fork's token
	heads    map[int]string
	repo     string
}

func newFakeAPI(t *testing.T, repo string) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, comments: map[int][]*ghComment{}, nextID: 100, heads: map[int]string{}, repo: repo}
	api := http.NewServeMux()
	api.HandleFunc("GET /repos/"+repo+"/issues/{n}/comments", f.list)
	api.HandleFunc("POST /repos/"+repo+"/issues/{n}/comments", f.create)
	api.HandleFunc("PATCH /repos/"+repo+"/issues/comments/{id}", f.edit)
	api.HandleFunc("GET /repos/"+repo+"/pulls/{n}", f.pull)
	mux := http.NewServeMux()
	mux.Handle("/api-v3/", http.StripPrefix("/api-v3", f.auth(api)))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request outside /api-v3/: %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the API's base, for GITHUB_API_URL (no trailing slash, as the
// runner sets it).
func (f *fakeAPI) URL() string { return f.srv.URL + "/api-v3" }

func (f *fakeAPI) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != "Bearer "+testToken {
			f.t.Errorf("%s %s: wrong Authorization header", r.Method, r.URL.Path)
		}
		next.ServeHTTP(w, r)
	})
}

// add seeds n comments by someone else on pr.
func (f *fakeAPI) add(pr int, bodies ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, b := range bodies {
		f.nextID++
		f.comments[pr] = append(f.comments[pr], &ghComment{ID: f.nextID, Body: b})
	}
}

// snapshot returns the comments on pr and the create and edit counts.
func (f *fakeAPI) snapshot(pr int) (comments []ghComment, creates, edits int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.comments[pr] {
		comments = append(comments, *c)
	}
	return comments, f.creates, f.edits
}

func (f *fakeAPI) list(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
	page, per = max(page, 1), max(per, 30)
	f.mu.Lock()
	all := f.comments[n]
	lo, hi := min((page-1)*per, len(all)), min(page*per, len(all))
	out := append([]*ghComment{}, all[lo:hi]...)
	f.mu.Unlock()
	if hi < len(all) {
		w.Header().Set("Link", fmt.Sprintf(`<%s%s?page=%d&per_page=%d>; rel="next"`, f.URL(), "/repos/"+f.repo+"/issues/"+strconv.Itoa(n)+"/comments", page+1, per))
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *fakeAPI) create(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	var in ghComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readOnly {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
		return
	}
	f.nextID++
	f.creates++
	c := &ghComment{ID: f.nextID, Body: in.Body, URL: fmt.Sprintf("https://github.example/o/r/pull/%d#issuecomment-%d", n, f.nextID)}
	f.comments[n] = append(f.comments[n], c)
	writeJSON(w, http.StatusCreated, c)
}

func (f *fakeAPI) edit(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in ghComment
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.readOnly {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
		return
	}
	for _, cs := range f.comments {
		for _, c := range cs {
			if c.ID == id {
				c.Body = in.Body
				f.edits++
				writeJSON(w, http.StatusOK, c)
				return
			}
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func (f *fakeAPI) pull(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.PathValue("n"))
	f.mu.Lock()
	head, ok := f.heads[n]
	f.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"number": n,
		"head":   map[string]any{"sha": head, "repo": map[string]any{"full_name": "fork/r"}},
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
