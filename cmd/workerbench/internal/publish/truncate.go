package publish

import (
	"strings"
	"unicode/utf8"
)

// TruncationNote ends any comment or job summary this package had to cut.
const TruncationNote = "… truncated; full results in the workflow artifacts"

// sizeFunc measures text in the unit a limit is expressed in.
type sizeFunc func(string) int

// runeSize counts characters the way GitHub's comment limit does: Unicode
// code points (Ruby's String#length), not bytes or UTF-16 units.
func runeSize(s string) int { return utf8.RuneCountInString(s) }

// byteSize counts bytes, the unit of the job summary's file-size limit.
func byteSize(s string) int { return len(s) }

// mdState is the Markdown context open at a line boundary: a fenced code
// block (its opening run of backticks or tildes) and <details> nesting.
type mdState struct {
	fence   string
	details int
}

// feed advances the state past one line (without its line ending).
func (st *mdState) feed(line string) {
	if run, rest, ok := fenceRun(line); ok {
		switch {
		case st.fence == "":
			// A backtick fence's info string may not contain backticks.
			if run[0] != '`' || !strings.Contains(rest, "`") {
				st.fence = run
				return
			}
		case run[0] == st.fence[0] && len(run) >= len(st.fence) && strings.TrimSpace(rest) == "":
			st.fence = ""
			return
		}
	}
	if st.fence != "" {
		return // HTML inside a code block is text
	}
	lower := strings.ToLower(line)
	opens := strings.Count(
		lower,
		"<details>",
	) + strings.Count(
		lower,
		"<details ",
	) + strings.Count(
		lower,
		"<details\t",
	)
	st.details += opens - strings.Count(lower, "</details>")
	if st.details < 0 {
		st.details = 0
	}
}

// fenceRun reports whether line starts a CommonMark code fence (up to three
// spaces of indent, then three or more backticks or tildes) and returns the
// run and what follows it.
func fenceRun(line string) (run, rest string, ok bool) {
	i := 0
	for i < len(line) && i < 3 && line[i] == ' ' {
		i++
	}
	if i == len(line) || (line[i] != '`' && line[i] != '~') {
		return "", "", false
	}
	c, j := line[i], i
	for j < len(line) && line[j] == c {
		j++
	}
	if j-i < 3 {
		return "", "", false
	}
	return line[i:j], line[j:], true
}

// suffix is what follows the kept text: closers for whatever is open, then
// the truncation note.
func (st mdState) suffix() string {
	var b strings.Builder
	if st.fence != "" {
		b.WriteString(st.fence)
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for range st.details {
		b.WriteString("</details>\n\n")
	}
	b.WriteString(TruncationNote)
	b.WriteString("\n")
	return b.String()
}

// truncateMarkdown returns s unchanged if size(s) <= limit. Otherwise it keeps
// the longest run of whole lines that fits together with closers for any open
// code fence or <details> and the truncation note. Only when not even the
// first line fits does it cut inside a line (at a rune boundary); a limit too
// small for the note gets a bare cut.
func truncateMarkdown(s string, limit int, size sizeFunc) string {
	if size(s) <= limit {
		return s
	}
	var st mdState
	best, bestState := -1, st
	if size(st.suffix()) <= limit {
		best = 0
	}
	used := 0
	lines := strings.SplitAfter(s, "\n")
	for i, ln := range lines {
		if !strings.HasSuffix(ln, "\n") {
			break // the unterminated tail is not a line boundary
		}
		used += size(ln)
		if used > limit {
			break
		}
		st.feed(strings.TrimRight(ln, "\r\n"))
		if used+size(st.suffix()) <= limit {
			best, bestState = i+1, st
		}
	}
	switch {
	case best > 0:
		return strings.Join(lines[:best], "") + bestState.suffix()
	case best == 0:
		return cutInsideLine(lines[0], limit, size)
	default:
		return cutPrefix(s, limit, size)
	}
}

// cutInsideLine handles a first line too long to keep whole: it keeps as much
// of it as fits before a line break and the closers the kept part needs.
func cutInsideLine(line string, limit int, size sizeFunc) string {
	sfx := "\n" + mdState{}.suffix()
	for range 3 {
		room := limit - size(sfx)
		if room < 1 {
			break // no room for text and note: a bare cut keeps more
		}
		part := cutPrefix(line, room, size)
		var st mdState
		st.feed(part)
		next := "\n" + st.suffix()
		if size(next) <= size(sfx) {
			return part + next
		}
		sfx = next
	}
	return cutPrefix(line, limit, size)
}

// cutPrefix returns the longest prefix of s, ending at a rune boundary, whose
// size is at most limit.
func cutPrefix(s string, limit int, size sizeFunc) string {
	used := 0
	for i := 0; i < len(s); {
		_, w := utf8.DecodeRuneInString(s[i:]) // an invalid byte has width 1
		n := size(s[i : i+w])
		if used+n > limit {
			return s[:i]
		}
		used += n
		i += w
	}
	return s
}
