package report

import (
	"path"
	"regexp"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Why a server failed, in its own words: the line of its log that names
// the error, with where in the code it was raised, for the heading of a
// report whose side does not start.

var (
	// exceptionLine is an exception as Python prints it last in a
	// traceback ("SyntaxError: '(' was never closed",
	// "django.core.exceptions.ImproperlyConfigured: …") or as a server
	// says it failed ("Error: class uri … not found").
	exceptionLine = regexp.MustCompile(`^(?:[a-z_]\w*\.)*(?:[A-Z]\w*)?(?:Error|Exception|Exit|Interrupt|` +
		`ImproperlyConfigured)(?::\s*(.*))?$|^Error: `)
	// pythonFrame is a traceback's frame: File "/app/app.py", line 23.
	pythonFrame = regexp.MustCompile(`^File "([^"]+)", line (\d+)`)
	// rubyError is Ruby's one-line error: app.rb:3:in `<main>': message (NameError).
	rubyError = regexp.MustCompile("^(.+?):(\\d+):in .*?: (.+) \\((\\w+(?:Error|Exception))\\)$")
	// scriptLine is where Node reports a syntax error: /app/server.js:12.
	scriptLine = regexp.MustCompile(`^(\S+\.(?:js|mjs|cjs|ts|rb|py)):(\d+)$`)
	// repeats is how an excerpt counts a line that recurred: " (×2)".
	repeats = regexp.MustCompile(` \(×\d+\)$`)
)

// serverError is the line of a failed server's log that says what went
// wrong, with the file and line it names: "SyntaxError: invalid syntax
// (app.py:23)". It reads the log's error lines first, then its last lines
// (those of side only, when the tail holds both sides'); "" when no line
// names an error. The result is untrusted text.
func serverError(c results.Cell, side string) string {
	if s := errorIn(c.LogExcerpt); s != "" {
		return s
	}
	var tail []string
	for _, l := range c.LogTail {
		switch {
		case strings.HasPrefix(l, side+": "):
			tail = append(tail, strings.TrimPrefix(l, side+": "))
		case !strings.HasPrefix(l, "base: ") && !strings.HasPrefix(l, "head: "):
			tail = append(tail, l)
		}
	}
	return errorIn(tail)
}

// errorIn finds the last error line of lines and where it was raised.
func errorIn(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(repeats.ReplaceAllString(lines[i], ""))
		if m := rubyError.FindStringSubmatch(l); m != nil {
			return m[4] + ": " + m[3] + " (" + path.Base(m[1]) + ":" + m[2] + ")"
		}
		if !exceptionLine.MatchString(l) {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-6; j-- {
			p := strings.TrimSpace(lines[j])
			if m := pythonFrame.FindStringSubmatch(p); m != nil {
				return l + " (" + path.Base(m[1]) + ":" + m[2] + ")"
			}
			if m := scriptLine.FindStringSubmatch(p); m != nil {
				return l + " (" + path.Base(m[1]) + ":" + m[2] + ")"
			}
		}
		return l
	}
	return ""
}

// sideDown is a side that does not start: every cell failed because its
// server never answered.
type sideDown struct {
	side   string // "head" or "base"; "" outside a comparison
	reason string // the server's error line, else the cell's error: untrusted
	// answered is set when the server answered its readiness request,
	// with the wrong status: it started, and fails that request.
	answered bool
}

// newSideDown returns the side that does not start, or nil when some cell
// was measured, failed otherwise, or failed on both sides.
func newSideDown(r *results.Run, fs []failure) *sideDown {
	if len(fs) == 0 || len(fs) < len(r.Cells) {
		return nil
	}
	var d *sideDown
	for _, f := range fs {
		if !f.notStarted || d != nil && f.side != d.side {
			return nil
		}
		if d == nil {
			e := trimSide(f.err, f.side)
			d = &sideDown{side: f.side, reason: or(f.reason, e), answered: answeredReadiness(e)}
		}
	}
	return d
}

// text words d: "head does not start: SyntaxError: … (app.py:23)".
func (d sideDown) text(esc func(string) string, runes int) string {
	who := "the server"
	if d.side != "" {
		who = d.side
	}
	if d.answered {
		return who + " starts but fails its readiness request: " + esc(Clip(d.reason, runes))
	}
	return who + " does not start: " + esc(Clip(d.reason, runes))
}

// answeredReadiness reports whether a boot error says the server answered
// its readiness request with a status that stayed wrong ("GET / answered
// 500 Internal Server Error for 5s, …", bench's stuckProbeError).
func answeredReadiness(err string) bool {
	return strings.HasPrefix(err, "GET ") && strings.Contains(err, " answered ")
}

// failedSide is the side whose server failed cell c of a comparison: head
// in results written before that was recorded.
func failedSide(c results.Cell) string {
	if c.FailedSide != "" {
		return c.FailedSide
	}
	return "head"
}

// trimSide drops the "head: " an error of a comparison starts with, where
// the side is said already.
func trimSide(err, side string) string {
	if side == "" {
		return err
	}
	return strings.TrimPrefix(err, side+": ")
}
