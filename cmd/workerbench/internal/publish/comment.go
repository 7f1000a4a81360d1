package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// Marker is the hidden HTML comment that opens workerbench's sticky comment
// and identifies it on later runs. MarkerFor derives a distinct marker per
// key so that several jobs in one repository keep separate comments; Marker
// itself, the key-less one, is what every comment carried before keys.
const Marker = "<!-- workerbench:concurrency -->"

// MaxKeyLen is the longest comment key ValidKey accepts.
const MaxKeyLen = 64

// ValidKey reports whether key is a comment key the action accepts, from
// its input or from an untrusted payload: 1 to MaxKeyLen of A-Z a-z 0-9
// . _ -, which MarkerFor writes as they are.
func ValidKey(key string) bool {
	if key == "" || len(key) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !keyByte(key[i]) {
			return false
		}
	}
	return true
}

func keyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// MaxCommentChars is GitHub's limit on a comment body, in characters
// (Unicode code points).
const MaxCommentChars = 65536

// commentsPerPage is the largest page GitHub serves.
const commentsPerPage = 100

// maxCommentPages bounds the scan (100,000 comments) against a server whose
// pagination never ends.
const maxCommentPages = 1000

// MarkerFor returns the marker for key: Marker itself for "", otherwise
// "<!-- workerbench:concurrency:KEY -->" with every byte of key outside
// [A-Za-z0-9._-] percent-encoded. The encoding is one-to-one, so distinct
// keys never share a comment, and it cannot end the HTML comment early.
func MarkerFor(key string) string {
	if key == "" {
		return Marker
	}
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		if c := key[i]; keyByte(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return "<!-- workerbench:concurrency:" + b.String() + " -->"
}

// DefaultAuthor is the login GitHub gives comments made with an Actions
// GITHUB_TOKEN, and the author a Commenter looks for unless told otherwise.
const DefaultAuthor = "github-actions[bot]"

// users is the part of go-github's UsersService a Commenter uses.
type users interface {
	Get(ctx context.Context, user string) (*github.User, *github.Response, error)
}

// issueComments is the part of go-github's IssuesService a Commenter uses.
type issueComments interface {
	ListComments(
		ctx context.Context,
		owner, repo string,
		number int,
		opts *github.IssueListCommentsOptions,
	) ([]*github.IssueComment, *github.Response, error)
	CreateComment(
		ctx context.Context,
		owner, repo string,
		number int,
		comment *github.IssueComment,
	) (*github.IssueComment, *github.Response, error)
	EditComment(
		ctx context.Context,
		owner, repo string,
		commentID int64,
		comment *github.IssueComment,
	) (*github.IssueComment, *github.Response, error)
}

// Commenter keeps one sticky workerbench comment per pull request.
//
// A comment is ours when its body starts with the marker and its author is
// the token's identity; a comment that merely quotes the marker further
// down is never touched, and one that starts with it but was posted by
// anyone else is passed over (Comment.Ignored): otherwise whoever posts the
// marker first would own the report. The author is DefaultAuthor, the
// login of GITHUB_TOKEN's comments, unless WithAuthor names another or
// WithTokenAuthor asks GitHub. Among several comments of ours the oldest
// wins.
//
// With a key (WithKey) the marker is the key's. When the pull request has
// no comment of ours with it, the oldest comment of ours with the key-less
// Marker, the comment of versions before keys, is adopted
// (Comment.Adopted): rewritten under the key's marker, so that upgrading
// leaves no orphan comment behind. Two keyed jobs that both find it adopt
// it in turn; the other then posts its own.
type Commenter struct {
	issues issueComments
	users  users
	owner  string
	repo   string
	marker string
	keyed  bool // marker is a key's, not Marker
	author string
	lookup bool // ask GET /user for the author
	retry  RetryPolicy
}

// Option configures a Commenter.
type Option func(*Commenter)

// WithKey gives the comment its own marker (see MarkerFor), for repositories
// where several jobs each post a workerbench comment on the same PR.
func WithKey(key string) Option {
	return func(c *Commenter) { c.marker, c.keyed = MarkerFor(key), key != "" }
}

// WithAuthor makes login (compared case-insensitively) the author of our
// comment, e.g. "my-app[bot]" for a GitHub App's installation token. An
// empty login keeps the default.
func WithAuthor(login string) Option {
	return func(c *Commenter) {
		if login != "" {
			c.author = login
			c.lookup = false
		}
	}
}

// WithTokenAuthor makes the author the token's own user, as GET /user
// names it (a personal access token's owner). Tokens that may not ask, an
// Actions GITHUB_TOKEN or a GitHub App's installation token, keep the
// author given by WithAuthor, else DefaultAuthor. A later WithAuthor
// overrides it.
func WithTokenAuthor() Option {
	return func(c *Commenter) { c.lookup = true }
}

// WithRetry sets the retry policy; zero fields keep their defaults.
func WithRetry(p RetryPolicy) Option {
	return func(c *Commenter) { c.retry = p }
}

// NewCommenter returns a Commenter for owner/repo using client, which
// carries the token and the API base URL.
func NewCommenter(client *github.Client, owner, repo string, opts ...Option) *Commenter {
	c := &Commenter{
		issues: client.Issues,
		users:  client.Users,
		owner:  owner,
		repo:   repo,
		marker: Marker,
		author: DefaultAuthor,
	}
	for _, opt := range opts {
		opt(c)
	}
	c.retry = c.retry.withDefaults()
	return c
}

// Comment identifies the sticky comment after an Upsert.
type Comment struct {
	ID  int64
	URL string // the comment's html_url
	// Created is true when this Upsert posted a new comment, false when it
	// updated the existing one.
	Created bool
	// Author is the login whose comment was looked for.
	Author string
	// Login is the comment's author as GitHub reports it after the write.
	// When it is not Author, the next run will not find a comment created
	// now: the author is misconfigured.
	Login string
	// Ignored are the comments that start with the marker but are by
	// someone else, passed over, oldest first.
	Ignored []Ignored
	// Adopted is true when the comment updated was the key-less one of an
	// earlier version, now rewritten under the key's marker.
	Adopted bool
}

// Ignored is a comment that looks like ours but is another author's.
type Ignored struct {
	ID    int64
	Login string
}

// Upsert makes body, prefixed with the marker, the text of our comment on
// pull request pr: it pages through all of the PR's comments for our
// previous one, edits it in place if found, and creates it otherwise.
//
// The text sent never exceeds MaxCommentChars code points; a longer body is
// cut at a line boundary with a closing note (see TruncationNote), any open
// code fence or <details> closed. Transient failures are retried according
// to the RetryPolicy. An error wrapping ErrReadOnly means the token may not
// comment. Errors name the failing operation and never contain the token.
func (c *Commenter) Upsert(ctx context.Context, pr int, body string) (Comment, error) {
	if pr <= 0 {
		return Comment{}, fmt.Errorf("upsert comment: invalid pull request number %d", pr)
	}
	text := c.compose(body)
	author, err := c.whose(ctx)
	if err != nil {
		return Comment{}, err
	}
	prev, ignored, err := c.find(ctx, pr, author)
	if err != nil {
		return Comment{}, err
	}
	var got Comment
	if prev != nil {
		got, err = c.update(ctx, prev.GetID(), text)
		got.Adopted = err == nil && c.adopts(prev)
	}
	if prev == nil || statusOf(err) == http.StatusNotFound {
		// None, or deleted since we listed it: post a new one.
		got, err = c.create(ctx, pr, author, text)
	}
	if err != nil {
		return Comment{}, err
	}
	got.Author, got.Ignored = author, ignored
	return got, nil
}

// Update makes body the text of our comment on pull request pr if there is
// one, and posts none otherwise; found reports whether there was. With
// comment: on-regression, a PR whose regression was fixed gets its old
// "regressed" comment brought up to date, and a PR that never regressed
// gets no comment.
func (c *Commenter) Update(
	ctx context.Context,
	pr int,
	body string,
) (cm Comment, found bool, err error) {
	if pr <= 0 {
		return Comment{}, false, fmt.Errorf("update comment: invalid pull request number %d", pr)
	}
	author, err := c.whose(ctx)
	if err != nil {
		return Comment{}, false, err
	}
	prev, ignored, err := c.find(ctx, pr, author)
	if err != nil {
		return Comment{}, false, err
	}
	if prev != nil {
		cm, err = c.update(ctx, prev.GetID(), c.compose(body))
		if err != nil && statusOf(err) != http.StatusNotFound {
			return Comment{}, false, err
		}
		found = err == nil // else deleted since we listed it
		cm.Adopted = found && c.adopts(prev)
	}
	if !found {
		cm = Comment{}
	}
	cm.Author, cm.Ignored = author, ignored
	return cm, found, nil
}

// whose returns the login whose comment is ours: c.author, or with
// WithTokenAuthor the token's user. GET /user answers 403 to installation
// tokens (GITHUB_TOKEN, a GitHub App's), which keep c.author; transient
// failures are retried, and other errors returned.
func (c *Commenter) whose(ctx context.Context) (string, error) {
	if !c.lookup {
		return c.author, nil
	}
	var u *github.User
	err := c.call(ctx, "look up the token's user", false, func(ctx context.Context) error {
		var err error
		u, _, err = c.users.Get(ctx, "")
		return err
	})
	switch {
	case err == nil && u.GetLogin() != "":
		return u.GetLogin(), nil
	case err == nil, statusOf(err) == http.StatusForbidden:
		return c.author, nil
	}
	return "", err
}

// compose prefixes the marker (unless body already starts with it) and caps
// the result at GitHub's limit.
func (c *Commenter) compose(body string) string {
	text := body
	if !strings.HasPrefix(body, c.marker) {
		text = c.marker + "\n" + body
	}
	return truncateMarkdown(text, MaxCommentChars, runeSize)
}

// adopts reports whether ic, a comment find returned, is the key-less one
// a keyed Commenter takes over.
func (c *Commenter) adopts(ic *github.IssueComment) bool {
	return c.keyed && !strings.HasPrefix(ic.GetBody(), c.marker)
}

// find returns the oldest comment on pr that starts with the marker and is
// by author, or nil, and the marked comments of other authors before it.
// It stops paging at the first match (GitHub lists comments oldest first).
// A keyed Commenter that finds none returns the oldest comment by author
// that starts with the key-less Marker instead, if there is one.
func (c *Commenter) find(
	ctx context.Context,
	pr int,
	author string,
) (ours *github.IssueComment, ignored []Ignored, err error) {
	opts := &github.IssueListCommentsOptions{
		ListOptions: github.ListOptions{PerPage: commentsPerPage},
	}
	var legacy *github.IssueComment
	for page, n := 1, 0; n < maxCommentPages; n++ {
		opts.Page = page
		var list []*github.IssueComment
		var resp *github.Response
		op := fmt.Sprintf("list comments on #%d (page %d)", pr, page)
		err := c.call(ctx, op, false, func(ctx context.Context) error {
			var err error
			list, resp, err = c.issues.ListComments(ctx, c.owner, c.repo, pr, opts)
			return err
		})
		if err != nil {
			return nil, nil, err
		}
		for _, ic := range list {
			mine := strings.HasPrefix(ic.GetBody(), c.marker)
			old := c.keyed && strings.HasPrefix(ic.GetBody(), Marker)
			if !mine && !old {
				continue
			}
			switch {
			case !strings.EqualFold(ic.GetUser().GetLogin(), author):
				ignored = append(ignored, Ignored{ID: ic.GetID(), Login: ic.GetUser().GetLogin()})
			case mine:
				return ic, ignored, nil
			case legacy == nil:
				legacy = ic
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return legacy, ignored, nil
		}
		if resp.NextPage <= page {
			return nil, nil, fmt.Errorf("%s: next page %d does not advance", op, resp.NextPage)
		}
		page = resp.NextPage
	}
	return nil, nil, fmt.Errorf("list comments on #%d: more than %d pages", pr, maxCommentPages)
}

// update replaces the body of comment id.
func (c *Commenter) update(ctx context.Context, id int64, text string) (Comment, error) {
	var got *github.IssueComment
	err := c.call(
		ctx,
		fmt.Sprintf("update comment %d", id),
		false,
		func(ctx context.Context) error {
			var err error
			got, _, err = c.issues.EditComment(
				ctx,
				c.owner,
				c.repo,
				id,
				&github.IssueComment{Body: github.String(text)},
			)
			return err
		},
	)
	if err != nil {
		return Comment{}, err
	}
	return Comment{ID: got.GetID(), URL: got.GetHTMLURL(), Login: got.GetUser().GetLogin()}, nil
}

// create posts a new comment. A POST is not idempotent: after a failure that
// may have taken effect (5xx, broken connection) it lists the comments again
// before retrying, and adopts the comment if the failed POST created it.
func (c *Commenter) create(ctx context.Context, pr int, author, text string) (Comment, error) {
	var got, found *github.IssueComment
	recheck := false
	err := c.call(
		ctx,
		fmt.Sprintf("create comment on #%d", pr),
		true,
		func(ctx context.Context) error {
			if recheck {
				prev, _, err := c.find(ctx, pr, author)
				if err != nil {
					return stopRetry{err}
				}
				if prev != nil {
					found = prev
					return nil
				}
			}
			var err error
			got, _, err = c.issues.CreateComment(
				ctx,
				c.owner,
				c.repo,
				pr,
				&github.IssueComment{Body: github.String(text)},
			)
			recheck = err != nil && ambiguous(err)
			return err
		},
	)
	if err != nil {
		return Comment{}, err
	}
	if found != nil {
		cm := Comment{
			ID:      found.GetID(),
			URL:     found.GetHTMLURL(),
			Created: true,
			Login:   found.GetUser().GetLogin(),
		}
		if found.GetBody() == text {
			return cm, nil
		}
		upd, err := c.update(ctx, found.GetID(), text)
		if err != nil {
			return Comment{}, fmt.Errorf("create comment on #%d: %w", pr, err)
		}
		upd.Created = true
		return upd, nil
	}
	if got == nil {
		return Comment{}, errors.New("create comment: empty response")
	}
	return Comment{
		ID:      got.GetID(),
		URL:     got.GetHTMLURL(),
		Created: true,
		Login:   got.GetUser().GetLogin(),
	}, nil
}
