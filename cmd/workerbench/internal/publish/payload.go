package publish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"
	"github.com/workerbench/workerbench/bench/report"
)

// PayloadFile is the payload's file name inside the results directory.
const PayloadFile = "payload.json"

// PayloadSchema versions the payload file.
const PayloadSchema = "workerbench/payload/v1"

// MaxPR is the largest pull request number a payload may carry.
const MaxPR = 1_000_000_000

// DefaultMaxPayloadBytes bounds the payload file ReadPayload accepts. The
// largest valid body, 65,536 code points each JSON-escaped as a surrogate
// pair ("\ud83d\ude00", 12 bytes), needs 786,432 bytes.
const DefaultMaxPayloadBytes = 1 << 20

// Payload is what the unprivileged first stage of a two-stage publish saves
// beside results.json: which pull request and commit the results are for
// and the rendered comment. In the privileged workflow_run stage it is
// untrusted input: read it with ReadPayload and check it against the
// trusted event with VerifyPayload before acting on it. Body is Markdown
// written by the fork's run and is posted as the workflow's bot; prefer
// re-rendering it from results.json when that is possible.
type Payload struct {
	PR      int
	HeadSHA string
	Body    string
	// Key is the comment key of the job that wrote the payload (WithKey),
	// or "" for none: either way a ValidKey. The field is optional, so a
	// payload of a version before keys still reads; it is written only
	// when set.
	Key string
}

// payloadJSON is the file format. Pointers tell a missing field from a zero.
type payloadJSON struct {
	Schema  *string `json:"schema"`
	PR      *int    `json:"pr"`
	HeadSHA *string `json:"head_sha"`
	Body    *string `json:"body"`
	Key     *string `json:"comment_key,omitempty"`
}

// validate checks every field and names the first bad one.
func (p Payload) validate() error {
	if p.PR < 1 || p.PR > MaxPR {
		return fmt.Errorf(`field "pr": %d is outside 1..%d`, p.PR, MaxPR)
	}
	if !IsSHA(p.HeadSHA) {
		return fmt.Errorf(
			`field "head_sha": want 40 lowercase hex digits, got %s`,
			quoteClip(p.HeadSHA),
		)
	}
	if p.Body == "" {
		return errors.New(`field "body": empty`)
	}
	if !utf8.ValidString(p.Body) {
		return errors.New(`field "body": invalid UTF-8`)
	}
	if n := runeSize(p.Body); n > MaxCommentChars {
		return fmt.Errorf(`field "body": %d characters, more than GitHub's %d`, n, MaxCommentChars)
	}
	if p.Key != "" && !ValidKey(p.Key) {
		return fmt.Errorf(`field "comment_key": want 1 to %d of A-Z a-z 0-9 . _ -, got %s`,
			MaxKeyLen, quoteClip(p.Key))
	}
	return nil
}

// IsSHA reports whether s is a full commit SHA: 40 lowercase hex digits.
func IsSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// quoteClip quotes untrusted text for an error message: escaped, so it
// cannot break a log line or forge a workflow command, and shortened.
func quoteClip(s string) string {
	const limit = 60
	if len(s) > limit {
		return fmt.Sprintf("%q… (%d bytes)", cutPrefix(s, limit, byteSize), len(s))
	}
	return fmt.Sprintf("%q", s)
}

// WritePayload validates p and writes it to dir/payload.json.
func WritePayload(dir string, p Payload) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("write payload: %w", err)
	}
	schema := PayloadSchema
	raw := payloadJSON{Schema: &schema, PR: &p.PR, HeadSHA: &p.HeadSHA, Body: &p.Body}
	if p.Key != "" {
		raw.Key = &p.Key
	}
	data, err := json.MarshalIndent(raw, "", "  ")
	if err != nil {
		return fmt.Errorf("write payload: %w", err)
	}
	path := filepath.Join(dir, PayloadFile)
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write payload: %w", err)
	}
	return nil
}

// ReadOption configures ReadPayload.
type ReadOption func(*readConfig)

type readConfig struct{ maxBytes int64 }

// WithMaxBytes sets the largest payload file ReadPayload accepts (default
// DefaultMaxPayloadBytes).
func WithMaxBytes(n int64) ReadOption {
	return func(c *readConfig) { c.maxBytes = n }
}

// ReadPayload reads dir/payload.json as untrusted input: it must be a regular
// file (not a symlink or a FIFO) no larger than the limit, hold exactly one
// JSON object with exactly the known fields and the current schema, a pull
// request number in 1..MaxPR, a 40-hex-digit SHA, a body of 1..65,536
// characters and, if present, a comment key that is a ValidKey. Errors
// name the offending field.
func ReadPayload(dir string, opts ...ReadOption) (Payload, error) {
	cfg := readConfig{maxBytes: DefaultMaxPayloadBytes}
	for _, opt := range opts {
		opt(&cfg)
	}
	path := filepath.Join(dir, PayloadFile)
	data, err := readRegular(path, cfg.maxBytes)
	if err != nil {
		return Payload{}, fmt.Errorf("read payload: %w", err)
	}
	p, err := decodePayload(data)
	if err != nil {
		return Payload{}, fmt.Errorf("read payload %s: %w", path, err)
	}
	return p, nil
}

// readRegular reads a regular file of at most maxBytes bytes without following a
// symlink at path.
func readRegular(path string, maxBytes int64) ([]byte, error) {
	before, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file (%v)", path, before.Mode().Type())
	}
	if before.Size() > maxBytes {
		return nil, fmt.Errorf(
			"%s: %d bytes, more than the %d allowed",
			path,
			before.Size(),
			maxBytes,
		)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	after, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !os.SameFile(before, after) {
		return nil, fmt.Errorf("%s: replaced while being opened", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%s: more than the %d bytes allowed", path, maxBytes)
	}
	return data, nil
}

// decodePayload parses and validates the payload file's contents.
func decodePayload(data []byte) (Payload, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var raw payloadJSON
	if err := dec.Decode(&raw); err != nil {
		return Payload{}, jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Payload{}, errors.New("unexpected data after the JSON object")
	}
	switch {
	case raw.Schema == nil:
		return Payload{}, errors.New(`field "schema": missing`)
	case *raw.Schema != PayloadSchema:
		return Payload{}, fmt.Errorf(
			`field "schema": want %q, got %s`,
			PayloadSchema,
			quoteClip(*raw.Schema),
		)
	case raw.PR == nil:
		return Payload{}, errors.New(`field "pr": missing`)
	case raw.HeadSHA == nil:
		return Payload{}, errors.New(`field "head_sha": missing`)
	case raw.Body == nil:
		return Payload{}, errors.New(`field "body": missing`)
	}
	p := Payload{PR: *raw.PR, HeadSHA: *raw.HeadSHA, Body: *raw.Body}
	if raw.Key != nil {
		if *raw.Key == "" {
			return Payload{}, errors.New(`field "comment_key": empty (leave it out for none)`)
		}
		p.Key = *raw.Key
	}
	if err := p.validate(); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// jsonError rewords encoding/json errors to name the field, keeping
// attacker-chosen text short.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Errorf(
			"field %s: want %v, got %s",
			quoteClip(typeErr.Field),
			typeErr.Type,
			report.Clip(typeErr.Value, 40),
		)
	case errors.As(err, &typeErr):
		return fmt.Errorf("want a JSON object, got %s", report.Clip(typeErr.Value, 40))
	case errors.As(err, &syntaxErr):
		return fmt.Errorf("invalid JSON at byte %d: %w", syntaxErr.Offset, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("incomplete JSON: %w", err)
	}
	// DisallowUnknownFields reports `json: unknown field "name"`.
	msg := strings.TrimPrefix(err.Error(), "json: ")
	if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return fmt.Errorf("unknown field %s", report.Clip(name, 80))
	}
	return errors.New(report.Clip(msg, 200))
}

// RunEvent is the trusted part of a workflow_run event (the file named by
// GITHUB_EVENT_PATH in the privileged second stage).
type RunEvent struct {
	// Repo is repository.full_name, the repository the comment goes to.
	Repo string
	// HeadSHA is workflow_run.head_sha, the commit the first stage ran on.
	HeadSHA string
	// HeadRepo is workflow_run.head_repository.full_name, the fork for a
	// fork pull request.
	HeadRepo string
	// PullRequests are workflow_run.pull_requests[].number whose base is
	// Repo. GitHub leaves the list empty for pull requests from forks.
	PullRequests []int
}

type runEventJSON struct {
	Repository *struct {
		ID       int64  `json:"id"`
		FullName string `json:"full_name"`
	} `json:"repository"`
	WorkflowRun *struct {
		HeadSHA        string `json:"head_sha"`
		HeadRepository struct {
			FullName string `json:"full_name"`
		} `json:"head_repository"`
		PullRequests []struct {
			Number int `json:"number"`
			Base   struct {
				Repo struct {
					ID int64 `json:"id"`
				} `json:"repo"`
			} `json:"base"`
		} `json:"pull_requests"`
	} `json:"workflow_run"`
}

// ReadRunEvent reads a workflow_run event from path, normally
// $GITHUB_EVENT_PATH.
func ReadRunEvent(path string) (RunEvent, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return RunEvent{}, fmt.Errorf("read workflow_run event: %w", err)
	}
	ev, err := ParseRunEvent(data)
	if err != nil {
		return RunEvent{}, fmt.Errorf("read workflow_run event %s: %w", path, err)
	}
	return ev, nil
}

// ParseRunEvent extracts the RunEvent from a workflow_run event payload.
func ParseRunEvent(data []byte) (RunEvent, error) {
	var raw runEventJSON
	if err := json.Unmarshal(data, &raw); err != nil {
		return RunEvent{}, fmt.Errorf("parse event: %w", err)
	}
	if raw.WorkflowRun == nil {
		return RunEvent{}, errors.New("parse event: no workflow_run (not a workflow_run event)")
	}
	if raw.Repository == nil || !strings.Contains(raw.Repository.FullName, "/") {
		return RunEvent{}, errors.New("parse event: no repository.full_name")
	}
	if !IsSHA(raw.WorkflowRun.HeadSHA) {
		return RunEvent{}, fmt.Errorf(
			"parse event: workflow_run.head_sha %s is not a commit SHA",
			quoteClip(raw.WorkflowRun.HeadSHA),
		)
	}
	ev := RunEvent{
		Repo:     raw.Repository.FullName,
		HeadSHA:  raw.WorkflowRun.HeadSHA,
		HeadRepo: raw.WorkflowRun.HeadRepository.FullName,
	}
	for _, pr := range raw.WorkflowRun.PullRequests {
		// The list can name pull requests of other repositories that share
		// the branch; keep those based on ours.
		base := pr.Base.Repo.ID
		if base != 0 && raw.Repository.ID != 0 && base != raw.Repository.ID {
			continue
		}
		ev.PullRequests = append(ev.PullRequests, pr.Number)
	}
	return ev, nil
}

// PullRequestGetter is the one GitHub call VerifyPayload may need;
// (*github.Client).PullRequests satisfies it.
type PullRequestGetter interface {
	Get(
		ctx context.Context,
		owner, repo string,
		number int,
	) (*github.PullRequest, *github.Response, error)
}

// VerifyPayload checks the untrusted payload against the trusted event: the
// head SHA must equal workflow_run.head_sha, and the pull request must be
// one the event names. For a fork pull request the event names none, so
// VerifyPayload asks GitHub (prs, which may be nil otherwise) for pull
// request p.PR in ev.Repo and requires that its head is exactly that commit
// from ev.HeadRepo. A payload that fails any check must not be published.
func VerifyPayload(ctx context.Context, ev RunEvent, p Payload, prs PullRequestGetter) error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("verify payload: %w", err)
	}
	if p.HeadSHA != ev.HeadSHA {
		return fmt.Errorf(
			"verify payload: head_sha %s does not match workflow_run.head_sha %s",
			p.HeadSHA,
			ev.HeadSHA,
		)
	}
	if len(ev.PullRequests) > 0 {
		if !slices.Contains(ev.PullRequests, p.PR) {
			return fmt.Errorf(
				"verify payload: pr #%d is not among workflow_run.pull_requests %v",
				p.PR,
				ev.PullRequests,
			)
		}
		return nil
	}
	if prs == nil {
		return fmt.Errorf(
			"verify payload: workflow_run.pull_requests is empty (fork pull request) and no GitHub client to confirm pr #%d",
			p.PR,
		)
	}
	owner, repo, ok := strings.Cut(ev.Repo, "/")
	if !ok {
		return fmt.Errorf("verify payload: repository %q is not owner/name", ev.Repo)
	}
	pr, _, err := prs.Get(ctx, owner, repo, p.PR)
	if err != nil {
		return fmt.Errorf("verify payload: get pull request #%d: %w", p.PR, err)
	}
	if got := pr.GetHead().GetSHA(); got != ev.HeadSHA {
		return fmt.Errorf(
			"verify payload: pull request #%d head is %s, not workflow_run.head_sha %s",
			p.PR,
			got,
			ev.HeadSHA,
		)
	}
	if got := pr.GetHead().GetRepo().GetFullName(); ev.HeadRepo != "" &&
		!strings.EqualFold(got, ev.HeadRepo) {
		return fmt.Errorf(
			"verify payload: pull request #%d comes from %q, not workflow_run.head_repository %q",
			p.PR,
			got,
			ev.HeadRepo,
		)
	}
	return nil
}
