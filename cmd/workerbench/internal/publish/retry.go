package publish

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// RetryPolicy says how a Commenter retries GitHub calls that failed
// transiently: 5xx responses, transport errors, 429s and rate limits. Zero
// fields take the defaults.
type RetryPolicy struct {
	// Attempts is the number of tries per call, the first included
	// (default 4).
	Attempts int
	// Backoff is the wait before the second try, doubled before each later
	// one (default 2s). A Retry-After or rate-limit reset from GitHub takes
	// precedence.
	Backoff time.Duration
	// MaxWait is the longest single wait (default 90s). When GitHub asks for
	// a longer one the call fails at once rather than stall the job.
	MaxWait time.Duration
	// Sleep waits for d or until ctx is done (default: a timer). Tests
	// inject a recorder so they never sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

const (
	defaultAttempts = 4
	defaultBackoff  = 2 * time.Second
	defaultMaxWait  = 90 * time.Second
	// rateLimitWait is GitHub's advice for a secondary rate limit that names
	// no wait: "wait for at least one minute".
	rateLimitWait = time.Minute
)

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts <= 0 {
		p.Attempts = defaultAttempts
	}
	if p.Backoff <= 0 {
		p.Backoff = defaultBackoff
	}
	if p.MaxWait <= 0 {
		p.MaxWait = defaultMaxWait
	}
	if p.Sleep == nil {
		p.Sleep = sleepCtx
	}
	return p
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrReadOnly reports that the token may not write the pull request's
// comments: GitHub answered 403 (not a rate limit), or 404 to a create. Fork
// pull requests and Dependabot runs get such a read-only GITHUB_TOKEN; callers
// fall back to the job summary with a notice instead of failing.
var ErrReadOnly = errors.New("token cannot write pull request comments")

// stopRetry marks an error that must not be retried even if its cause looks
// transient (it already went through its own retries).
type stopRetry struct{ err error }

func (s stopRetry) Error() string { return s.err.Error() }
func (s stopRetry) Unwrap() error { return s.err }

// call runs fn under the retry policy and names op in any error it returns.
// With createCall, a 404 means read-only as well as a 403 does.
func (c *Commenter) call(
	ctx context.Context,
	op string,
	createCall bool,
	fn func(ctx context.Context) error,
) error {
	backoff := c.retry.Backoff
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			return nil
		}
		var stop stopRetry
		if errors.As(err, &stop) {
			return fmt.Errorf("%s: %w", op, stop.err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		wait, hinted, transient := retryWait(err)
		if !transient {
			if readOnly(err, createCall) {
				return fmt.Errorf("%s: %w: %w", op, ErrReadOnly, err)
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		if attempt >= c.retry.Attempts {
			return fmt.Errorf("%s: giving up after %d attempts: %w", op, attempt, err)
		}
		if !hinted {
			wait = backoff
			backoff *= 2
		}
		if wait > c.retry.MaxWait {
			return fmt.Errorf(
				"%s: GitHub asks to wait %v, longer than the %v allowed: %w",
				op,
				wait.Round(time.Second),
				c.retry.MaxWait,
				err,
			)
		}
		if err := c.retry.Sleep(ctx, max(wait, 0)); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
	}
}

// retryWait classifies err. transient says a retry may succeed; hinted says
// GitHub named the wait (Retry-After, a rate-limit reset), which is then wait.
func retryWait(err error) (wait time.Duration, hinted, transient bool) {
	var primary *github.RateLimitError
	var secondary *github.AbuseRateLimitError
	var resp *github.ErrorResponse
	var netErr *url.Error
	switch {
	case errors.As(err, &primary):
		if primary.Rate.Reset.IsZero() {
			return rateLimitWait, true, true
		}
		return time.Until(primary.Rate.Reset.Time) + time.Second, true, true
	case errors.As(err, &secondary):
		if secondary.RetryAfter != nil {
			return *secondary.RetryAfter, true, true
		}
		return rateLimitWait, true, true
	case errors.As(err, &resp) && resp.Response != nil:
		code := resp.Response.StatusCode
		switch {
		case code == http.StatusTooManyRequests || isSecondaryLimit(resp):
			if d, ok := headerWait(resp.Response.Header); ok {
				return d, true, true
			}
			return rateLimitWait, true, true
		case code >= 500:
			d, ok := headerWait(resp.Response.Header)
			return d, ok, true
		}
		return 0, false, false
	case errors.As(err, &netErr):
		return 0, false, true
	}
	return 0, false, false
}

// isSecondaryLimit catches a 403 secondary rate limit that go-github did not
// type as AbuseRateLimitError (it only recognises the documentation URL).
func isSecondaryLimit(resp *github.ErrorResponse) bool {
	return resp.Response.StatusCode == http.StatusForbidden &&
		strings.Contains(strings.ToLower(resp.Message), "secondary rate limit")
}

// headerWait reads Retry-After (seconds or an HTTP date), then
// x-ratelimit-reset (Unix seconds) as GitHub documents.
func headerWait(h http.Header) (time.Duration, bool) {
	if v := h.Get("Retry-After"); v != "" {
		if s, err := strconv.Atoi(v); err == nil {
			return time.Duration(s) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			return time.Until(t), true
		}
	}
	if v := h.Get("X-RateLimit-Reset"); v != "" && h.Get("X-RateLimit-Remaining") == "0" {
		if s, err := strconv.ParseInt(v, 10, 64); err == nil {
			return time.Until(time.Unix(s, 0)) + time.Second, true
		}
	}
	return 0, false
}

// readOnly reports a permission refusal: 403 on any call (a token that may
// not read the comments cannot write one either), 404 on a create, which is
// how GitHub answers a write to a repository the token cannot see.
func readOnly(err error, createCall bool) bool {
	var resp *github.ErrorResponse
	if !errors.As(err, &resp) || resp.Response == nil {
		return false
	}
	switch resp.Response.StatusCode {
	case http.StatusForbidden:
		return true
	case http.StatusNotFound:
		return createCall
	}
	return false
}

// ambiguous reports whether a failed write may have taken effect anyway: the
// server or the connection failed after the request was sent.
func ambiguous(err error) bool {
	var resp *github.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil {
		return resp.Response.StatusCode >= 500
	}
	var netErr *url.Error
	return errors.As(err, &netErr)
}

// statusOf returns the HTTP status of a go-github API error, or 0.
func statusOf(err error) int {
	var resp *github.ErrorResponse
	if errors.As(err, &resp) && resp.Response != nil {
		return resp.Response.StatusCode
	}
	return 0
}
