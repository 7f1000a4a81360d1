package githubtest

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
)

// recorder is a testing.TB that keeps the errors reported to it, so the
// tests can check what the fake reports without failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.errs)
}

func TestVerifyReportsUnusedStubs(t *testing.T) {
	rec := &recorder{TB: t}
	s := New(rec, "o/r")
	s.Fail("PATCH", Fault{Status: http.StatusBadGateway})
	s.Fail("GET", Fault{Status: http.StatusServiceUnavailable})
	s.AddPull(7, Pull{HeadSHA: "a", HeadRepo: "fork/r"})
	s.AddPull(8, Pull{HeadSHA: "b", HeadRepo: "fork/r"})
	ctx := context.Background()
	c := s.Client()

	// The GET fault is met by the first GET, the second GET fetches #8.
	if _, _, err := c.PullRequests.Get(ctx, "o", "r", 8); err == nil {
		t.Error("the queued 503 was not served")
	}
	pr, _, err := c.PullRequests.Get(ctx, "o", "r", 8)
	head := pr.GetHead()
	if err != nil || head.GetSHA() != "b" || head.GetRepo().GetFullName() != "fork/r" {
		t.Errorf("Get #8 = %+v, %v", pr, err)
	}
	s.Verify(rec)
	want := []string{"githubtest: 2 stubs never used: PATCH answered 502; GET /repos/o/r/pulls/7"}
	if got := rec.errors(); !slices.Equal(got, want) {
		t.Errorf("Verify reported %q, want %q", got, want)
	}
}

func TestVerifyQuietWhenEveryStubIsUsed(t *testing.T) {
	rec := &recorder{TB: t}
	s := New(rec, "o/r")
	s.Fail("POST", ReadOnly)
	_, _, err := s.Client().Issues.CreateComment(context.Background(), "o", "r", 7,
		&github.IssueComment{Body: github.String("x")})
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("CreateComment = %v, want 403", err)
	}
	if len(s.Comments(7)) != 0 || s.Created() != 0 {
		t.Error("a read-only create stored a comment")
	}
	s.Verify(rec)
	if got := rec.errors(); len(got) != 0 {
		t.Errorf("Verify reported %q", got)
	}
}

func TestPagination(t *testing.T) {
	s := New(t, "o/r")
	for i := range 250 {
		s.AddComment(7, "alice", fmt.Sprint(i))
	}
	ctx := context.Background()
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	var bodies []string
	for {
		cs, resp, err := s.Client().Issues.ListComments(ctx, "o", "r", 7, opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			bodies = append(bodies, c.GetBody())
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(bodies) != 250 || bodies[0] != "0" || bodies[249] != "249" {
		t.Errorf("listed %d comments, %q … %q", len(bodies), bodies[0], bodies[len(bodies)-1])
	}
	want := []string{
		"GET /repos/o/r/issues/7/comments?per_page=100",
		"GET /repos/o/r/issues/7/comments?page=2&per_page=100",
		"GET /repos/o/r/issues/7/comments?page=3&per_page=100",
	}
	if got := s.Requests(); !slices.Equal(got, want) {
		t.Errorf("requests %q, want %q", got, want)
	}
}

func TestCommitFault(t *testing.T) {
	s := New(t, "o/r")
	s.Fail("POST",
		Fault{Status: http.StatusBadGateway, Body: `{"message":"Bad Gateway"}`, Commit: true})
	_, _, err := s.Client().Issues.CreateComment(context.Background(), "o", "r", 7,
		&github.IssueComment{Body: github.String("x")})
	if err == nil {
		t.Error("CreateComment succeeded, want 502")
	}
	cs := s.Comments(7)
	if len(cs) != 1 || cs[0].Body != "x" || cs[0].Login != Bot || s.Created() != 1 {
		t.Errorf("comments %+v, created %d; want the one the failed POST stored", cs, s.Created())
	}
}

// TestStrayRequests: requests the fake does not serve fail the test.
func TestStrayRequests(t *testing.T) {
	rec := &recorder{TB: t}
	s := New(rec, "o/r")
	root := strings.TrimSuffix(s.URL(), "/api-v3")
	get := func(url string, auth bool) int {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if auth {
			req.Header.Set("Authorization", "Bearer "+Token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	tests := []struct {
		url    string
		auth   bool
		status int
		err    string
	}{
		{root + "/repos/o/r/pulls/7", true, http.StatusBadRequest,
			"githubtest: request outside /api-v3/: GET /repos/o/r/pulls/7"},
		{s.URL() + "/repos/o/r/pulls/7", false, http.StatusUnauthorized,
			"githubtest: GET /repos/o/r/pulls/7: the Authorization header is not the bearer Token"},
		{s.URL() + "/repos/o/other/pulls/7", true, http.StatusNotFound,
			"githubtest: no fake for GET /repos/o/other/pulls/7"},
	}
	for _, tt := range tests {
		if got := get(tt.url, tt.auth); got != tt.status {
			t.Errorf("GET %s: %d, want %d", tt.url, got, tt.status)
		}
	}
	var want []string
	for _, tt := range tests {
		want = append(want, tt.err)
	}
	if got := rec.errors(); !slices.Equal(got, want) {
		t.Errorf("reported\n%q\nwant\n%q", got, want)
	}
}

// TestTokenUser: Token is an installation token unless SetLogin makes it a
// user's, which then names the user and authors the comments.
func TestTokenUser(t *testing.T) {
	ctx := context.Background()
	s := New(t, "o/r")
	_, resp, err := s.Client().Users.Get(ctx, "")
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /user with an installation token: %v, want 403", err)
	}
	s.SetLogin("alice")
	u, _, err := s.Client().Users.Get(ctx, "")
	if err != nil || u.GetLogin() != "alice" {
		t.Errorf("GET /user = %v, %v; want alice", u.GetLogin(), err)
	}
	c, _, err := s.Client().Issues.CreateComment(ctx, "o", "r", 7,
		&github.IssueComment{Body: github.String("x")})
	if err != nil || c.GetUser().GetLogin() != "alice" || s.Comments(7)[0].Login != "alice" {
		t.Errorf("created %+v, %v; want by alice", c.GetUser(), err)
	}
}
