package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
	want := Comment{ID: ours.ID, URL: url, Created: true}
	if got != want {
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

func TestUpsertWithAuthorSkipsOthersMarkedComments(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	f.AddComment(7, "mallory", Marker+"\nlooks like ours")
	botID := f.AddComment(7, "github-actions[bot]", Marker+"\nold")
	c := newTestCommenter(f, &sleeps{}, WithAuthor("GitHub-Actions[bot]"))

	got, err := c.Upsert(context.Background(), 7, "new")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != botID || got.Created {
		t.Errorf("Upsert = %+v, want update of the bot's comment %d", got, botID)
	}
	if comments := f.Comments(7); comments[0].Body != Marker+"\nlooks like ours" {
		t.Errorf("mallory's comment changed to %q", comments[0].Body)
	}
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
	comments := f.Comments(7)
	want := []string{
		Marker + "\nrun 1",
		"<!-- workerbench:concurrency:py3.12 -->\nrun 1",
		"<!-- workerbench:concurrency:py3.12%20--%3Ex -->\nrun 1",
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
