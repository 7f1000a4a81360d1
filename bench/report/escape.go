package report

import (
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// zwsp is a zero-width space as an HTML entity. Placed after "@" or "#" it
// keeps GitHub from turning "@user" into a mention (a notification) and
// "#123" into an issue reference (a backlink in that issue), while the text
// still reads the same. The entity rather than the raw character keeps the
// Markdown source reviewable.
const zwsp = "&#8203;"

// Escape returns s as inline Markdown that GitHub renders as the literal
// text, for untrusted strings (server log lines, commands, paths, branch
// names, endpoints, diagnostics, error messages) placed in a paragraph,
// list item, heading or table cell:
//
//   - "<", ">" and "&" become entities, so no HTML and no entity can be injected;
//   - Markdown punctuation (\ ` * _ [ ] | ~ $ #) is backslash-escaped, so no
//     link, image, emphasis, code span, math or table column can be formed,
//     and "|" cannot split a table cell;
//   - "@" and an issue reference ("#123", "GH-123") get a zero-width space,
//     so nobody is pinged and no issue is cross-referenced;
//   - so do a bare URL's "://" and "www.", so GitHub makes no link of it;
//   - line breaks and tabs become spaces; other control characters,
//     bidirectional overrides and invalid UTF-8 become U+FFFD;
//   - a leading list or heading marker ("-", "+", "=", "1.") is escaped.
//
// The result is one line. It is also safe (if not pretty: backslashes show)
// inside HTML such as <summary>.
func Escape(s string) string {
	rs := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	digitsOnly := true // everything written so far is ASCII digits
	lastBreak := false // the last rune written was a space standing for a line break
	for i, r := range rs {
		var prev, prev2, next rune
		if i > 0 {
			prev = rs[i-1]
		}
		if i > 1 {
			prev2 = rs[i-2]
		}
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		if isBreak(r) {
			if !lastBreak {
				b.WriteByte(' ')
			}
			lastBreak, digitsOnly = true, false
			continue
		}
		switch e, ok := htmlSafe(r); {
		case ok:
			b.WriteString(e)
		case r == '@':
			b.WriteString("@" + zwsp)
		case r == '#':
			b.WriteString(`\#`)
			if isASCIIDigit(next) {
				b.WriteString(zwsp)
			}
		case r == '-' && isASCIIDigit(next) &&
			(prev == 'h' || prev == 'H') && (prev2 == 'g' || prev2 == 'G'):
			b.WriteString("-" + zwsp) // GH-123
		case startsURL(rs, i):
			b.WriteString(zwsp + string(r))
		case strings.ContainsRune("\\`*_[]|~$", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case b.Len() == 0 && strings.ContainsRune("-+=", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case digitsOnly && b.Len() > 0 && (r == '.' || r == ')') &&
			(next == 0 || next == ' ' || isBreak(next)):
			b.WriteByte('\\') // "1. " would start an ordered list at a line start
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
		digitsOnly = digitsOnly && isASCIIDigit(r)
		lastBreak = false
	}
	return b.String()
}

// escapeHTML returns s as the text of an HTML element on a line of raw HTML
// (a <summary>), where Markdown is not interpreted but GitHub still links
// mentions and issue references.
func escapeHTML(s string) string {
	var b strings.Builder
	rs := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	for i, r := range rs {
		var next rune
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		e, isEntity := htmlSafe(r)
		switch {
		case isBreak(r):
			b.WriteByte(' ')
		case isEntity:
			b.WriteString(e)
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '@':
			b.WriteString("@" + zwsp)
		case r == '#' && isASCIIDigit(next):
			b.WriteString("#" + zwsp)
		case r == '[' && i >= 2 && rs[i-1] == '#' && rs[i-2] == '#':
			b.WriteString(zwsp + "[") // "##[" would be a workflow command in a log
		case startsURL(rs, i):
			b.WriteString(zwsp + string(r))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// htmlSafe is what both Escape and escapeHTML write for r when r is a
// control or bidirectional character (U+FFFD) or one of & < > (its HTML
// entity); ok is false for any other rune.
func htmlSafe(r rune) (e string, ok bool) {
	switch {
	case isUnsafe(r):
		return string(unicode.ReplacementChar), true
	case r == '&':
		return "&amp;", true
	case r == '<':
		return "&lt;", true
	case r == '>':
		return "&gt;", true
	}
	return "", false
}

// CodeBlock returns body as a fenced Markdown code block with the given info
// string (e.g. "text"; reduced to [a-z0-9-]). The fence is one backtick
// longer than the longest run of backticks in body, so nothing in body can
// close it. Line endings are normalised to "\n"; control characters other
// than tab, bidirectional overrides and invalid UTF-8 become U+FFFD. The
// block ends with a newline. Inside the block GitHub renders no HTML, links
// no mentions and no issue references, so body needs no other escaping;
// a line that would be a workflow command in a log is neutralised as
// CommandGuard does.
func CodeBlock(info, body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.ReplaceAll(body, "\r", "\n")
	body = strings.ToValidUTF8(body, "\uFFFD")
	var clean strings.Builder
	clean.Grow(len(body) + 1)
	run, longest := 0, 0
	for _, r := range body {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
		switch {
		case r == '\n' || r == '\t':
			clean.WriteRune(r)
		case isUnsafe(r) || isBreak(r):
			clean.WriteRune(unicode.ReplacementChar)
		default:
			clean.WriteRune(r)
		}
	}
	if clean.Len() > 0 && !strings.HasSuffix(clean.String(), "\n") {
		clean.WriteByte('\n')
	}
	fence := strings.Repeat("`", max(3, longest+1))
	// The Markdown also goes to the summary output, which a workflow may
	// echo into a log: no line of it may be a workflow command.
	var guarded strings.Builder
	NewCommandGuard(&guarded).Write([]byte(clean.String()))
	var tag strings.Builder
	for _, r := range strings.ToLower(info) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			tag.WriteRune(r)
		}
	}
	return fence + tag.String() + "\n" + guarded.String() + fence + "\n"
}

// plain is Plain, for this package's renderers.
func plain(s string) string { return Plain(s) }

// Plain returns s as one line of terminal text: line breaks and tabs become
// spaces, and control characters (which could move the cursor or recolour
// the terminal) and bidirectional overrides become U+FFFD. Text printed
// with it still needs a CommandGuard to be safe in a GitHub Actions log.
func Plain(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case isBreak(r):
			b.WriteByte(' ')
		case isUnsafe(r):
			b.WriteRune(unicode.ReplacementChar)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Clip shortens s to at most n runes, ending a cut with "…"; n ≤ 0
// leaves it whole. It is how every message and report shortens text.
func Clip(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	i, k := 0, 0
	for j := range s {
		if k == n-1 {
			i = j
			break
		}
		k++
	}
	return s[:i] + "…"
}

// startsURL reports whether rs[i] is where GitHub's autolinker would see
// a bare URL: the ":" of "://" (http, https, ftp or any scheme) or the "."
// of "www.". A zero-width space before it breaks the link and reads the same.
func startsURL(rs []rune, i int) bool {
	switch {
	case rs[i] == ':':
		return i+2 < len(rs) && rs[i+1] == '/' && rs[i+2] == '/'
	case rs[i] == '.':
		return i >= 3 && strings.EqualFold(string(rs[i-3:i]), "www")
	}
	return false
}

// isBreak reports whether r ends a line or separates like whitespace that
// must not survive into one-line contexts.
func isBreak(r rune) bool {
	switch r {
	case '\n', '\r', '\t', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// isUnsafe reports whether r is a control character or a bidirectional
// formatting character (which can make displayed text differ from its
// logical order, "Trojan Source").
func isUnsafe(r rune) bool {
	if unicode.IsControl(r) {
		return true
	}
	switch {
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069',
		r == '\u200e', r == '\u200f', r == '\u061c':
		return true
	}
	return false
}

func isASCIIDigit(r rune) bool { return r >= '0' && r <= '9' }

// CommandGuard writes to a GitHub Actions step's log (its stdout or
// stderr) with no workflow command in what it writes: the runner reads a
// line whose first non-blank characters are "::" as one (::warning,
// ::error, ::add-mask::, ::stop-commands::, …), and "##[" anywhere in a
// line as one of the older form. Text from an artifact or a pull
// request's server printed there could otherwise annotate the run, mask
// words in its log or stop the processing of commands. A colon that starts
// a line (after blanks, as the runner trims them) is written as U+2236 "∶",
// and the "[" of "##[" as U+FF3B "［": both read the same. It keeps its
// state between writes, so a command cannot be split across two.
//
// Only publish.Actions, which escapes what it writes, writes commands, to
// the writer under a guard (Unguarded).
type CommandGuard struct {
	w      io.Writer
	inLine bool // something other than blanks has been written on this line
	hashes int  // how many '#' were just written
}

// NewCommandGuard returns a CommandGuard writing to w, or w itself when it
// is one already.
func NewCommandGuard(w io.Writer) io.Writer {
	if _, ok := w.(*CommandGuard); ok {
		return w
	}
	return &CommandGuard{w: w}
}

// Unguarded is the writer under the guard, for the one writer of workflow
// commands.
func (g *CommandGuard) Unguarded() io.Writer { return g.w }

// Write writes p with its workflow commands neutralised; n is how much of
// p was written.
func (g *CommandGuard) Write(p []byte) (n int, err error) {
	var b []byte
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && size <= 1 && !utf8.FullRune(p[i:]) {
			// A rune cut by the end of this write: write its bytes, and
			// count it as a blank, which errs on the safe side.
			b = append(b, p[i:]...)
			break
		}
		switch {
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			g.inLine, g.hashes = false, 0
			b = append(b, p[i:i+size]...)
		case !g.inLine && isLeadBlank(r):
			b = append(b, p[i:i+size]...)
		case !g.inLine && r == ':':
			b = append(b, "\u2236"...)
			g.inLine = true
		case r == '[' && g.hashes >= 2:
			b = append(b, "\uff3b"...)
			g.inLine, g.hashes = true, 0
		default:
			b = append(b, p[i:i+size]...)
			g.inLine = true
			if r == '#' {
				g.hashes++
			} else {
				g.hashes = 0
			}
		}
		i += size
	}
	if _, err := g.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isLeadBlank reports whether the runner may trim r from the start of a
// line before it looks for "::" (.NET's TrimStart trims Unicode white
// space); a few invisible characters more are counted to be safe.
func isLeadBlank(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f || r == '\ufeff' || r == '\u180e' ||
		r >= '\u200b' && r <= '\u200d' || r == utf8.RuneError
}
