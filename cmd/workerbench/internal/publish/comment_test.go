package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
)

// sleeps records the waits a Commenter asks for, without waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

func newTestCommenter(f *githubtest.Server, s *sleeps, opts ...Option) *Commenter {
	opts = append([]Option{WithRetry(RetryPolicy{Sleep: s.sleep})}, opts...)
	return NewCommenter(f.Client(), "o", "r", opts...)
}

const (
	listPage1   = "GET /repos/o/r/issues/7/comments?page=1&per_page=100"
	postComment = "POST /repos/o/r/issues/7/comments"
)

func TestUpsertCreates(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	f.AddComment(7, "alice", "LGTM")
	c := newTestCommenter(f, &sleeps{})

	got, err := c.Upsert(context.Background(), 7, "| cell | rps |\n")
	if err != nil {
		t.Fatal(err)
	}
	comments := f.Comments(7)
	if len(comments) != 2 {
		t.Fatalf("have %d comments, want 2", len(comments))
	}
	ours := comments[1]
	url := fmt.Sprintf("https://github.com/o/r/pull/7#issuecomment-%d", ours.ID)
	want := Comment{ID: ours.ID, URL: url, Created: true, Author: DefaultAuthor, Login: githubtest.Bot}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Upsert = %+v, want %+v", got, want)
	}
	if wantBody := Marker + "\n| cell | rps |\n"; ours.Body != wantBody {
		t.Errorf("body = %q, want %q", ours.Body, wantBody)
	}
	wantLog := []string{listPage1, "POST /repos/o/r/issues/7/comments"}
	if log := f.Requests(); !slices.Equal(log, wantLog) {
		t.Errorf("requests = %q, want %q", log, wantLog)
	}
}

func TestUpsertUpdatesOnSecondRun(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	c := newTestCommenter(f, &sleeps{})
	ctx := context.Background()

	first, err := c.Upsert(ctx, 7, "run 1")
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Upsert(ctx, 7, "run 2")
	if err != nil {
		t.Fatal(err)
	}
	if !first.Created || second.Created || second.ID != first.ID || second.URL != first.URL {
		t.Errorf("first = %+v, second = %+v; want one comment, created then updated", first, second)
	}
	comments := f.Comments(7)
	if len(comments) != 1 || comments[0].Body != Marker+"\nrun 2" {
		t.Errorf("comments = %+v, want one with run 2", comments)
	}
	wantLog := []string{
		listPage1, "POST /repos/o/r/issues/7/comments",
		listPage1, fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", first.ID),
	}
	if log := f.Requests(); !slices.Equal(log, wantLog) {
		t.Errorf("requests = %q, want %q", log, wantLog)
	}
}

func TestUpsertFindsCommentOnPage3(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	var ourID int64
	for i := range 250 {
		if i == 222 {
			ourID = f.AddComment(7, "github-actions[bot]", Marker+"\nold results")
			continue
		}
		f.AddComment(7, fmt.Sprintf("user%d", i), fmt.Sprintf("comment %d", i))
	}
	c := newTestCommenter(f, &sleeps{})

	got, err := c.Upsert(context.Background(), 7, "new results")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != ourID || got.Created {
		t.Errorf("Upsert = %+v, want update of %d", got, ourID)
	}
	comments := f.Comments(7)
	if len(comments) != 250 || comments[222].Body != Marker+"\nnew results" {
		t.Errorf("have %d comments, #222 = %q; want 250, ours updated",
			len(comments), comments[222].Body)
	}
	wantLog := []string{
		listPage1,
		"GET /repos/o/r/issues/7/comments?page=2&per_page=100",
		"GET /repos/o/r/issues/7/comments?page=3&per_page=100",
		fmt.Sprintf("PATCH /repos/o/r/issues/comments/%d", ourID),
	}
	if log := f.Requests(); !slices.Equal(log, wantLog) {
		t.Errorf("requests = %q, want %q", log, wantLog)
	}
}

func TestUpsertLeavesQuotingCommentsAlone(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	quotes := []string{
		"Why does the bot write `" + Marker + "`?",
		"> " + Marker + "\n> | 1x1 | 48 rps |\nThis regressed!",
		" " + Marker + " leading space is not ours either",
	}
	for _, q := range quotes {
		f.AddComment(7, "alice", q)
	}
	c := newTestCommenter(f, &sleeps{})

	got, err := c.Upsert(context.Background(), 7, "results")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created {
		t.Errorf("Upsert = %+v, want a new comment", got)
	}
	comments := f.Comments(7)
	for i, q := range quotes {
		if comments[i].Body != q {
			t.Errorf("user comment %d changed to %q", i, comments[i].Body)
		}
	}
	if len(comments) != len(quotes)+1 {
		t.Errorf("have %d comments, want %d", len(comments), len(quotes)+1)
	}
}

// TestUpsertOnlyAdoptsTheAuthorsComment: a comment that starts with the
// marker is ours only when its author is the token's identity; anyone can
// post the marker, and must not capture the report that way.
func TestUpsertOnlyAdoptsTheAuthorsComment(t *testing.T) {
	t.Parallel()
	const forged = Marker + "\nlooks like ours"
	type added struct{ login, body string }
	tests := []struct {
		name     string
		login    string // the token's user (githubtest.Server.SetLogin); "" for GITHUB_TOKEN
		opts     []Option
		comments []added
		padding  int // comments by others before ours, to page
		wantEdit int // index in comments of the comment updated; -1 for a new one
		wantBy   string
		wantUser bool // GET /user asked
	}{
		{
			name:     "another's marker: new comment",
			comments: []added{{"mallory", forged}},
			wantEdit: -1, wantBy: githubtest.Bot,
		},
		{
			name:     "another's marker before ours: ours updated",
			comments: []added{{"mallory", forged}, {githubtest.Bot, Marker + "\nold"}},
			wantEdit: 1, wantBy: githubtest.Bot,
		},
		{
			name:     "ours on page 3 after another's",
			comments: []added{{"mallory", forged}, {githubtest.Bot, Marker + "\nold"}},
			padding:  230,
			wantEdit: 1, wantBy: githubtest.Bot,
		},
		{
			name:     "author compared case-insensitively",
			opts:     []Option{WithAuthor("GitHub-Actions[bot]")},
			comments: []added{{"mallory", forged}, {githubtest.Bot, Marker + "\nold"}},
			wantEdit: 1, wantBy: githubtest.Bot,
		},
		{
			name:     "personal access token: its user's comment",
			login:    "alice",
			opts:     []Option{WithTokenAuthor()},
			comments: []added{{githubtest.Bot, forged}, {"alice", Marker + "\nold"}},
			wantEdit: 1, wantBy: "alice", wantUser: true,
		},
		{
			name:     "personal access token: the bot's marker is another's",
			login:    "alice",
			opts:     []Option{WithTokenAuthor()},
			comments: []added{{githubtest.Bot, forged}},
			wantEdit: -1, wantBy: "alice", wantUser: true,
		},
		{
			name:     "installation token: GET /user refused, the default",
			opts:     []Option{WithTokenAuthor()},
			comments: []added{{"mallory", forged}, {githubtest.Bot, Marker + "\nold"}},
			wantEdit: 1, wantBy: githubtest.Bot, wantUser: true,
		},
		{
			name:     "installation token: GET /user refused, the configured login",
			opts:     []Option{WithAuthor("my-app[bot]"), WithTokenAuthor()},
			comments: []added{{githubtest.Bot, forged}, {"my-app[bot]", Marker + "\nold"}},
			wantEdit: 1, wantBy: "my-app[bot]", wantUser: true,
		},
		{
			name:     "configured login: no GET /user",
			opts:     []Option{WithTokenAuthor(), WithAuthor("my-app[bot]")},
			comments: []added{{githubtest.Bot, forged}, {"my-app[bot]", Marker + "\nold"}},
			wantEdit: 1, wantBy: "my-app[bot]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := githubtest.New(t, "o/r")
			f.SetLogin(tt.login)
			for i := range tt.padding {
				f.AddComment(7, fmt.Sprintf("user%d", i), "LGTM")
			}
			var ids []int64
			for _, a := range tt.comments {
				ids = append(ids, f.AddComment(7, a.login, a.body))
			}
			c := newTestCommenter(f, &sleeps{}, tt.opts...)

			got, err := c.Upsert(context.Background(), 7, "new")
			if err != nil {
				t.Fatal(err)
			}
			comments := f.Comments(7)[tt.padding:]
			var wantIgnored []Ignored
			for i, cm := range comments {
				switch {
				case i == tt.wantEdit || (tt.wantEdit < 0 && i == len(tt.comments)):
					if cm.Body != Marker+"\nnew" || cm.Login != tt.wantBy || got.ID != cm.ID {
						t.Errorf("Upsert = %+v; comment %d = %+v, want ours by %s with the new text",
							got, i, cm, tt.wantBy)
					}
				case cm.Body != tt.comments[i].body:
					t.Errorf("%s's comment changed to %q", cm.Login, cm.Body)
				case tt.wantEdit < 0 || i < tt.wantEdit:
					wantIgnored = append(wantIgnored, Ignored{ID: ids[i], Login: cm.Login})
				}
			}
			if wantLen := len(tt.comments) + b2i(tt.wantEdit < 0); len(comments) != wantLen {
				t.Errorf("have %d comments, want %d", len(comments), wantLen)
			}
			if got.Created != (tt.wantEdit < 0) || !strings.EqualFold(got.Author, tt.wantBy) ||
				got.Login != tt.wantBy {
				t.Errorf("Upsert = %+v, want created %v, by %s", got, tt.wantEdit < 0, tt.wantBy)
			}
			if !slices.Equal(got.Ignored, wantIgnored) {
				t.Errorf("Ignored = %+v, want %+v", got.Ignored, wantIgnored)
			}
			if asked := slices.Contains(f.Requests(), "GET /user"); asked != tt.wantUser {
				t.Errorf("GET /user asked: %v, want %v", asked, tt.wantUser)
			}
		})
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestUpdateIgnoresAnothersMarkedComment(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	id := f.AddComment(7, "mallory", Marker+"\nregressed!")
	c := newTestCommenter(f, &sleeps{})

	got, found, err := c.Update(context.Background(), 7, "fixed")
	if err != nil {
		t.Fatal(err)
	}
	want := []Ignored{{ID: id, Login: "mallory"}}
	if found || !slices.Equal(got.Ignored, want) {
		t.Errorf("Update = %+v, %v; want not found, mallory's ignored", got, found)
	}
	if f.Created() != 0 || f.Edited() != 0 {
		t.Errorf("%d created, %d edited; want none", f.Created(), f.Edited())
	}
}

func TestTokenAuthorLookupRetriesAndFails(t *testing.T) {
	t.Parallel()
	bad := githubtest.Fault{Status: http.StatusBadGateway, Body: `{"message":"Bad Gateway"}`}
	t.Run("transient", func(t *testing.T) {
		t.Parallel()
		f := githubtest.New(t, "o/r")
		f.SetLogin("alice")
		f.Fail("GET", bad)
		c := newTestCommenter(f, &sleeps{}, WithTokenAuthor())
		got, err := c.Upsert(context.Background(), 7, "x")
		if err != nil || got.Author != "alice" {
			t.Errorf("Upsert = %+v, %v; want by alice after a retry", got, err)
		}
	})
	t.Run("bad credentials", func(t *testing.T) {
		t.Parallel()
		f := githubtest.New(t, "o/r")
		f.Fail("GET", githubtest.Fault{Status: http.StatusUnauthorized,
			Body: `{"message":"Bad credentials"}`})
		c := newTestCommenter(f, &sleeps{}, WithTokenAuthor())
		_, err := c.Upsert(context.Background(), 7, "x")
		if err == nil || !strings.Contains(err.Error(), "look up the token's user") {
			t.Errorf("Upsert error = %v, want the failed lookup named", err)
		}
		if f.Created() != 0 {
			t.Errorf("%d comments created, want none", f.Created())
		}
	})
}

func TestUpsertKeysKeepSeparateComments(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	ctx := context.Background()
	plain := newTestCommenter(f, &sleeps{})
	py312 := newTestCommenter(f, &sleeps{}, WithKey("py3.12"))
	py313 := newTestCommenter(f, &sleeps{}, WithKey("py3.12 -->x"))

	for run := range 2 {
		for _, c := range []*Commenter{plain, py312, py313} {
			if _, err := c.Upsert(ctx, 7, fmt.Sprintf("run %d", run)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// py3.12 adopted the key-less comment plain posted first (the comment
	// of a version before keys), and plain then posted its own.
	comments := f.Comments(7)
	want := []string{
		"<!-- workerbench:concurrency:py3.12 -->\nrun 1",
		"<!-- workerbench:concurrency:py3.12%20--%3Ex -->\nrun 1",
		Marker + "\nrun 1",
	}
	var got []string
	for _, c := range comments {
		got = append(got, c.Body)
	}
	if !slices.Equal(got, want) {
		t.Errorf("comments = %q, want %q", got, want)
	}
}

func TestUpsertReadOnly(t *testing.T) {
	t.Parallel()
	forbidden := githubtest.ReadOnly
	notFound := githubtest.Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found"}`}
	tests := []struct {
		name     string
		existing bool
		method   string
		fault    githubtest.Fault
		wantLog  []string
	}{
		{"403 on create", false, "POST", forbidden, []string{listPage1, postComment}},
		{"404 on create", false, "POST", notFound, []string{listPage1, postComment}},
		{"403 on update", true, "PATCH", forbidden,
			[]string{listPage1, "PATCH /repos/o/r/issues/comments/1001"}},
		{"403 on list", false, "GET", forbidden, []string{listPage1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := githubtest.New(t, "o/r")
			if tt.existing {
				f.AddComment(7, "github-actions[bot]", Marker+"\nold")
			}
			f.Fail(tt.method, tt.fault)
			s := &sleeps{}
			c := newTestCommenter(f, s)

			_, err := c.Upsert(context.Background(), 7, "results")
			if !errors.Is(err, ErrReadOnly) {
				t.Fatalf("Upsert error = %v, want ErrReadOnly", err)
			}
			if log := f.Requests(); !slices.Equal(log, tt.wantLog) {
				t.Errorf("requests = %q, want %q", log, tt.wantLog)
			}
			if w := s.got(); len(w) != 0 {
				t.Errorf("slept %v, want no retry", w)
			}
			if strings.Contains(err.Error(), githubtest.Token) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestUpsertRetriesTransientFailures(t *testing.T) {
	t.Parallel()
	bad := githubtest.Fault{Status: http.StatusBadGateway, Body: `{"message":"Server Error"}`}
	unavailable := githubtest.Fault{Status: http.StatusServiceUnavailable,
		Header: map[string]string{"Retry-After": "3"}}
	tooMany := githubtest.Fault{Status: http.StatusTooManyRequests,
		Header: map[string]string{"Retry-After": "7"}, Body: `{"message":"slow down"}`}
	secondary := githubtest.Fault{Status: http.StatusForbidden,
		Header: map[string]string{"Retry-After": "0"},
		Body: `{"message":"You have exceeded a secondary rate limit.",` +
			`"documentation_url":"https://docs.github.com/rest/overview/` +
			`rate-limits-for-the-rest-api#about-secondary-rate-limits"}`}
	secondaryUntyped := githubtest.Fault{Status: http.StatusForbidden,
		Body: `{"message":"You have exceeded a secondary rate limit"}`}
	type (
		faults = []githubtest.Fault
		waits  = []time.Duration
	)
	const sec = time.Second
	tests := []struct {
		name      string
		existing  bool
		method    string
		faults    []githubtest.Fault
		wantWaits []time.Duration
		wantCalls int // requests with method
	}{
		{"5xx twice on list", false, "GET", faults{bad, bad}, waits{2 * sec, 4 * sec}, 3},
		{"5xx twice on update", true, "PATCH", faults{bad, bad}, waits{2 * sec, 4 * sec}, 3},
		{"503 with Retry-After", true, "PATCH", faults{unavailable}, waits{3 * sec}, 2},
		{"429 with Retry-After", true, "PATCH", faults{tooMany}, waits{7 * sec}, 2},
		{"secondary rate limit", true, "PATCH", faults{secondary}, waits{0}, 2},
		{"secondary rate limit without docs URL", true, "PATCH", faults{secondaryUntyped},
			waits{time.Minute}, 2},
		{"5xx twice on create", false, "POST", faults{bad, bad}, waits{2 * sec, 4 * sec}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := githubtest.New(t, "o/r")
			if tt.existing {
				f.AddComment(7, "github-actions[bot]", Marker+"\nold")
			}
			f.Fail(tt.method, tt.faults...)
			s := &sleeps{}
			c := newTestCommenter(f, s)

			got, err := c.Upsert(context.Background(), 7, "results")
			if err != nil {
				t.Fatal(err)
			}
			if got.Created == tt.existing {
				t.Errorf("Upsert = %+v, Created should be %v", got, !tt.existing)
			}
			if w := s.got(); !slices.Equal(w, tt.wantWaits) {
				t.Errorf("waits = %v, want %v", w, tt.wantWaits)
			}
			if calls := f.Calls(tt.method); calls != tt.wantCalls {
				t.Errorf("%s requests = %d, want %d", tt.method, calls, tt.wantCalls)
			}
			comments := f.Comments(7)
			if len(comments) != 1 || comments[0].Body != Marker+"\nresults" {
				t.Errorf("comments = %+v, want exactly ours", comments)
			}
		})
	}
}

func TestUpsertGivesUpAfterAttempts(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	id := f.AddComment(7, "github-actions[bot]", Marker+"\nold")
	bad := githubtest.Fault{Status: http.StatusInternalServerError,
		Body: `{"message":"Server Error"}`}
	f.Fail("PATCH", bad, bad, bad, bad) // one per attempt: a fifth would succeed
	s := &sleeps{}
	c := newTestCommenter(f, s)

	_, err := c.Upsert(context.Background(), 7, "results")
	if err == nil {
		t.Fatal("Upsert succeeded, want an error")
	}
	msg := err.Error()
	prefix := fmt.Sprintf("update comment %d: giving up after 4 attempts: ", id)
	if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, "500") {
		t.Errorf("error = %q, want it to name the operation, the attempts and the status", msg)
	}
	if errors.Is(err, ErrReadOnly) {
		t.Errorf("error %v must not be read-only", err)
	}
	if strings.Contains(msg, githubtest.Token) {
		t.Errorf("error leaks the token: %v", err)
	}
	if patches := f.Calls("PATCH"); patches != 4 {
		t.Errorf("PATCH requests = %d, want 4", patches)
	}
	want := []time.Duration{2 * time.Second, 4 * time.Second, 8 * time.Second}
	if w := s.got(); !slices.Equal(w, want) {
		t.Errorf("waits = %v, want %v", w, want)
	}
}

func TestUpsertRefusesLongWaits(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	f.AddComment(7, "github-actions[bot]", Marker+"\nold")
	f.Fail("PATCH", githubtest.Fault{Status: http.StatusTooManyRequests,
		Header: map[string]string{"Retry-After": "3600"}})
	s := &sleeps{}
	c := newTestCommenter(f, s)

	_, err := c.Upsert(context.Background(), 7, "results")
	if err == nil || !strings.Contains(err.Error(), "GitHub asks to wait 1h0m0s") {
		t.Errorf("error = %v, want a refusal to wait an hour", err)
	}
	if w := s.got(); len(w) != 0 {
		t.Errorf("slept %v, want no wait", w)
	}
}

func TestUpsertCreateFailureAfterCommitIsNotDuplicated(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	f.Fail("POST", githubtest.Fault{Status: http.StatusBadGateway,
		Body: `{"message":"Bad Gateway"}`, Commit: true})
	c := newTestCommenter(f, &sleeps{})

	got, err := c.Upsert(context.Background(), 7, "results")
	if err != nil {
		t.Fatal(err)
	}
	comments := f.Comments(7)
	if len(comments) != 1 || got.ID != comments[0].ID || !got.Created {
		t.Errorf("Upsert = %+v, comments = %+v; want the one comment the failed POST made",
			got, comments)
	}
	wantLog := []string{listPage1, "POST /repos/o/r/issues/7/comments", listPage1}
	if log := f.Requests(); !slices.Equal(log, wantLog) {
		t.Errorf("requests = %q, want %q", log, wantLog)
	}
}

func TestUpsertRecreatesDeletedComment(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	f.AddComment(7, "github-actions[bot]", Marker+"\nold")
	f.Fail("PATCH", githubtest.Fault{Status: http.StatusNotFound, Body: `{"message":"Not Found"}`})
	c := newTestCommenter(f, &sleeps{})

	got, err := c.Upsert(context.Background(), 7, "results")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created {
		t.Errorf("Upsert = %+v, want a new comment", got)
	}
}

func TestUpsertStopsWhenContextIsCancelled(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	f.Fail("GET", githubtest.Fault{Status: http.StatusBadGateway})
	ctx, cancel := context.WithCancel(context.Background())
	c := NewCommenter(f.Client(), "o", "r", WithRetry(RetryPolicy{
		Sleep: func(ctx context.Context, d time.Duration) error {
			cancel()
			return ctx.Err()
		},
	}))

	_, err := c.Upsert(ctx, 7, "results")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if log := f.Requests(); len(log) != 1 {
		t.Errorf("requests = %q, want one", log)
	}
}

func TestUpsertCapsOversizeBody(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	c := newTestCommenter(f, &sleeps{})
	var b strings.Builder
	b.WriteString("## Results\n\n<details><summary>Raw trials</summary>\n\n```text\n")
	for i := 0; b.Len() < 300_000; i++ {
		fmt.Fprintf(&b, "trial %05d: 44.8 req/s — ±0.3 µs ✓\n", i)
	}
	b.WriteString("```\n\n</details>\n")

	if _, err := c.Upsert(context.Background(), 7, b.String()); err != nil {
		t.Fatal(err)
	}
	body := f.Comments(7)[0].Body
	if n := utf8.RuneCountInString(body); n > MaxCommentChars {
		t.Fatalf("sent %d characters, more than %d", n, MaxCommentChars)
	}
	if !strings.HasPrefix(body, Marker+"\n## Results\n") {
		t.Errorf("body starts %q, want the marker then the heading", body[:60])
	}
	wantTail := "\n```\n\n</details>\n\n" + TruncationNote + "\n"
	if !strings.HasSuffix(body, wantTail) {
		t.Errorf("body ends %q, want %q", body[len(body)-120:], wantTail)
	}
	var st mdState
	for _, ln := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if !strings.HasPrefix(ln, "trial ") {
			st.feed(ln)
		}
	}
	if st != (mdState{}) {
		t.Errorf("body leaves %+v open", st)
	}
	for _, ln := range strings.Split(body, "\n") {
		if strings.HasPrefix(ln, "trial ") && !strings.HasSuffix(ln, "✓") {
			t.Errorf("line cut mid-way: %q", ln)
		}
	}
}

func TestMarkerFor(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, want string }{
		{"", Marker},
		{"py3.12_linux-x64", "<!-- workerbench:concurrency:py3.12_linux-x64 -->"},
		{"a b", "<!-- workerbench:concurrency:a%20b -->"},
		{"-->", "<!-- workerbench:concurrency:--%3E -->"},
		{"%20", "<!-- workerbench:concurrency:%2520 -->"},
		{"é", "<!-- workerbench:concurrency:%C3%A9 -->"},
	}
	for _, tt := range tests {
		if got := MarkerFor(tt.key); got != tt.want {
			t.Errorf("MarkerFor(%q) = %q, want %q", tt.key, got, tt.want)
		}
	}
}
