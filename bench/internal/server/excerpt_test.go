package server

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExcerpt: real logs of servers that failed to start (captured from
// the Debian packages: gunicorn 20.1, waitress 2.1, uvicorn 0.17, puma 5.6,
// Node 20) give the lines that name the cause, and not the stack frames,
// the usage text or the INFO chatter around them.
func TestExcerpt(t *testing.T) {
	tests := []struct {
		log  string
		want []string
	}{
		{"gunicorn-import.log", []string{
			"[ERROR] Exception in worker process",
			"ModuleNotFoundError: No module named 'wrongmodule'",
			"[INFO] Reason: Worker failed to boot.",
		}},
		{"gunicorn-raise.log", []string{
			"[ERROR] Exception in worker process",
			`File "/tmp/fx/raise.py", line 3, in <module>`,
			"RuntimeError: DATABASE_URL is not set",
			"[INFO] Reason: Worker failed to boot.",
		}},
		// The error is on line 1, before 150 lines of usage.
		{"waitress-bind.log", []string{"Error: option --bind not recognized"}},
		{"uvicorn-bind.log", []string{"Error: No such option: --bind Did you mean --fd?"}},
		{"puma-bad-uri.log", []string{
			"/usr/lib/ruby/3.1.0/uri/rfc3986_parser.rb:67:in `split': bad URI(is not URI?): \"127.0.0.1:9999\" (URI::InvalidURIError)",
		}},
		{"puma-config-ru.log", []string{
			"! Unable to load application: RuntimeError: boom: bad config.ru",
			"bad.ru:1:in `block in <main>': boom: bad config.ru (RuntimeError)",
		}},
		{"node-addrinuse.log", []string{
			"Error: listen EADDRINUSE: address already in use 127.0.0.1:9995",
			"Emitted 'error' event on Server instance at:",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.log, func(t *testing.T) {
			lines, err := readHeadTail(
				filepath.Join("testdata", "logs", tt.log),
				excerptHead,
				excerptTail,
			)
			if err != nil {
				t.Fatal(err)
			}
			if got := Excerpt(lines, 8); !slices.Equal(got, tt.want) {
				t.Errorf(
					"Excerpt =\n%s\nwant\n%s",
					strings.Join(got, "\n"),
					strings.Join(tt.want, "\n"),
				)
			}
		})
	}
}

// TestExcerptCrashLoop: a crash loop's repeated error is shown once with
// its count, along with the user's frame in the Ruby backtrace.
func TestExcerptCrashLoop(t *testing.T) {
	lines, err := readHeadTail(
		filepath.Join("testdata", "logs", "puma-crash-loop.log"),
		excerptHead,
		excerptTail,
	)
	if err != nil {
		t.Fatal(err)
	}
	got := Excerpt(lines, 8)
	if len(got) == 0 || !strings.HasPrefix(got[0], "! Unable to start worker (×") {
		t.Errorf("Excerpt = %q, want the repeated error once with its count", got)
	}
	if !slices.ContainsFunc(
		got,
		func(l string) bool { return strings.HasPrefix(l, "crash.ru:1:in ") },
	) {
		t.Errorf("Excerpt = %q, want the frame in crash.ru", got)
	}
}

func TestExcerptLimits(t *testing.T) {
	var lines []string
	for i := range 30 {
		lines = append(
			lines,
			"ERROR number "+strings.Repeat("x", i+1),
		) // distinct after digits are masked
	}
	got := Excerpt(lines, 6)
	if len(got) != 6 || got[0] != lines[0] || got[5] != lines[29] ||
		!strings.Contains(got[3], "more error lines") {
		t.Errorf(
			"Excerpt of 30 errors, max 6 = %q; want the first and last ones around a count of the rest",
			got,
		)
	}
	if got := Excerpt([]string{"[INFO] Starting", "[INFO] Listening"}, 8); got != nil {
		t.Errorf("Excerpt of a log without errors = %q, want nil", got)
	}
}

// TestReadHeadTail: a log larger than the two windows keeps its first and
// last lines, with a note of what was skipped between.
func TestReadHeadTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.log")
	var b strings.Builder
	b.WriteString("Error: first line\n")
	for b.Len() < 600<<10 {
		b.WriteString("[INFO] chatter chatter chatter chatter chatter\n")
	}
	b.WriteString("FATAL: last line\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, err := readHeadTail(path, 64<<10, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	if lines[0] != "Error: first line" || lines[len(lines)-1] != "FATAL: last line" {
		t.Errorf("first %q, last %q", lines[0], lines[len(lines)-1])
	}
	if !slices.ContainsFunc(
		lines,
		func(l string) bool { return strings.Contains(l, "KiB of log skipped") },
	) {
		t.Error("no note of the skipped part")
	}
	got := Excerpt(lines, 8)
	if !slices.Equal(got, []string{"Error: first line", "FATAL: last line"}) {
		t.Errorf("Excerpt = %q", got)
	}
}
