package server

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// Bounds of what LogExcerpt reads: the start of the log (where a command
// line error is printed, before pages of usage) and its end (where the
// latest failure is).
const (
	excerptHead = 64 << 10
	excerptTail = 256 << 10
)

// LogExcerpt returns the lines of the server's log that say what went
// wrong, at most max of them (see Excerpt). When there are none, its last
// lines say the most ("still booting"), so it returns up to five of those;
// it returns nil for an empty log. Call it before stopping the server,
// whose shutdown messages would be noise.
func (p *Process) LogExcerpt(max int) []string {
	if p.logPath == "" {
		return nil
	}
	lines, err := readHeadTail(p.logPath, excerptHead, excerptTail)
	if err != nil {
		return nil
	}
	if ex := Excerpt(lines, max); len(ex) > 0 {
		return ex
	}
	var last []string
	for i := len(lines) - 1; i >= 0 && len(last) < min(max, 5); i-- {
		if s := trimLogPrefix(lines[i]); s != "" {
			last = append([]string{s}, last...)
		}
	}
	return last
}

// LogPath returns the path of the server's log, "" when it has none.
func (p *Process) LogPath() string { return p.logPath }

// readHeadTail returns the lines of the first head and last tail bytes of
// the file (all of it when it is small enough), with a marker line between
// the two parts when something was skipped.
func readHeadTail(path string, headBytes, tailBytes int64) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := fi.Size()
	if size <= headBytes+tailBytes {
		b, err := io.ReadAll(io.LimitReader(f, headBytes+tailBytes))
		return splitLines(b), err
	}
	hb := make([]byte, headBytes)
	if _, err := f.ReadAt(hb, 0); err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(hb, '\n'); i >= 0 {
		hb = hb[:i] // drop the cut line
	}
	tl, err := tail(f, size, 1<<30, tailBytes)
	if err != nil {
		return nil, err
	}
	out := append(
		splitLines(hb),
		fmt.Sprintf("… (%d KiB of log skipped)", (size-headBytes-tailBytes)>>10),
	)
	return append(out, tl...), nil
}

func splitLines(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	if len(b) == 0 {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

var (
	// errorLine matches a line that reports a problem, in the words servers
	// and their frameworks use.
	errorLine = regexp.MustCompile(
		`(?i)(error|\berrno\b|exception|\bfatal\b|\bfailed\b|\bfailure\b|\bpanic\b|` +
			`\bnot recognized\b|\bunrecognized\b|\bno such\b|\binvalid\b|\bcannot\b|\bcan't\b|\bcould not\b|\bcouldn't\b|` +
			`\bunable to\b|\bnot found\b|\brefused\b|\bdenied\b|\bunknown option|\bbad\b|\babort|segmentation fault|` +
			`\breason:|\bcritical\b|\bno app loaded\b|\bkilled\b|\baddress already in use\b)`,
	)
	// logPrefix is a leading timestamp and process ID, as gunicorn, puma and
	// most loggers print them: noise in an excerpt.
	logPrefix = regexp.MustCompile(
		`^(\[?\d{4}-\d\d-\d\d[ T][\d:.,]+( ?[+-]\d{4}|Z)?\]?\s*)?(\[\d+\]\s*)?`,
	)
	// rubyFrame is the first line of a Ruby backtrace: "app.rb:3:in `x'".
	rubyFrame = regexp.MustCompile("^[^\\s:]+\\.(rb|ru):\\d+:in `")
	// digits is what varies between repeats of one message (pids, times).
	digits = regexp.MustCompile(`\d+`)
)

// Excerpt picks the lines of a server log that say what went wrong, at
// most max of them (max ≤ 0 means 8): error and exception lines, the
// exception that ends each Python traceback with the last frame in the
// user's own code, the first line of a Ruby or Node stack trace, but not
// stack frames, usage text or routine INFO lines. Repeats (a crash loop
// logs the same error again and again) are shown once with their count.
func Excerpt(lines []string, max int) []string {
	if max <= 0 {
		max = 8
	}
	var picked []string
	count := map[string]int{}
	add := func(l string) {
		l = trimLogPrefix(l)
		if l == "" {
			return
		}
		key := digits.ReplaceAllString(l, "N")
		if count[key]++; count[key] == 1 {
			picked = append(picked, l)
		}
	}
	inTraceback := false
	userFrame := ""
	for _, l := range lines {
		indented := strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")
		switch {
		case strings.HasPrefix(l, "Traceback (most recent call last)"):
			inTraceback, userFrame = true, ""
		case inTraceback && indented:
			if f := strings.TrimSpace(l); strings.HasPrefix(f, "File ") && !libraryFrame(f) {
				userFrame = f
			}
		case inTraceback:
			// The exception line ends the traceback.
			inTraceback = false
			if userFrame != "" {
				add(userFrame)
			}
			add(l)
		case indented:
			// Stack frames, usage text and continuation lines.
		case errorLine.MatchString(l):
			add(l)
		case rubyFrame.MatchString(trimLogPrefix(l)) && !libraryFrame(l):
			// Puma logs a worker's failure as its backtrace alone: the
			// frame in the user's code is the clue.
			add(l)
		}
	}
	for i, l := range picked {
		if n := count[digits.ReplaceAllString(l, "N")]; n > 1 {
			picked[i] = fmt.Sprintf("%s (×%d)", l, n)
		}
	}
	if len(picked) > max {
		// The first errors are often the cause, the last the outcome.
		head := max / 2
		skipped := len(picked) - max + 1
		out := append([]string{}, picked[:head]...)
		out = append(out, fmt.Sprintf("… %d more error lines in the log", skipped))
		picked = append(out, picked[head+skipped:]...)
	}
	return picked
}

// trimLogPrefix drops a line's leading timestamp and process ID.
func trimLogPrefix(l string) string {
	return strings.TrimSpace(logPrefix.ReplaceAllString(l, ""))
}

// libraryFrame reports whether a stack frame (Python's "File "…", line n,
// in f" or Ruby's "file.rb:n:in `f'") is in the language, an installed
// package or a launcher script, not the user's code.
func libraryFrame(f string) bool {
	for _, s := range []string{`"<frozen`, "/usr/lib/python", "site-packages", "dist-packages", "/lib/python3", "/bin/",
		"/usr/lib/ruby", "/gems/", "rubygems"} {
		if strings.Contains(f, s) {
			return true
		}
	}
	return false
}
