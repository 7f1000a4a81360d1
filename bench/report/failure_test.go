package report

import (
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

// TestServerError: the error line of a failed server's log, with where it
// was raised, for the logs of the servers workerbench runs.
func TestServerError(t *testing.T) {
	for _, tt := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"gunicorn, a syntax error", []string{
			"[ERROR] Exception in worker process (×2)",
			`File "/tmp/head/app.py", line 24`,
			"    def index(:",
			"SyntaxError: '(' was never closed (×2)",
			"[INFO] Reason: Worker failed to boot.",
		}, "SyntaxError: '(' was never closed (app.py:24)"},
		{"a missing module, frame far up", []string{
			`  File "/srv/app/wsgi.py", line 3, in <module>`,
			"    from app import create_app",
			`  File "/srv/app/app/__init__.py", line 2, in <module>`,
			"    import flask_sqlalchemy",
			"ModuleNotFoundError: No module named 'flask_sqlalchemy'",
		}, "ModuleNotFoundError: No module named 'flask_sqlalchemy' (__init__.py:2)"},
		{"a dotted exception", []string{
			"django.core.exceptions.ImproperlyConfigured: SECRET_KEY must not be empty.",
		}, "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must not be empty."},
		{"gunicorn's own error", []string{"Error: class uri 'geventt' invalid or not found:"},
			"Error: class uri 'geventt' invalid or not found:"},
		{"Ruby", []string{
			"config.ru:3:in `block in <main>': undefined local variable or method `ap' for #<Rack::Builder> (NameError)",
		}, "NameError: undefined local variable or method `ap' for #<Rack::Builder> (config.ru:3)"},
		{"Node", []string{
			"/app/server.js:12",
			"  res.end('ok'",
			"SyntaxError: missing ) after argument list",
		}, "SyntaxError: missing ) after argument list (server.js:12)"},
		{"nothing that names an error", []string{"[INFO] Booting worker with pid: 12"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := serverError(results.Cell{LogExcerpt: tt.lines}, "head"); got != tt.want {
				t.Errorf("serverError = %q, want %q", got, tt.want)
			}
		})
	}
	// From the tail when the excerpt names none, and only the failed side's lines.
	c := results.Cell{LogTail: []string{"base: ValueError: base's", "head: NameError: name 'x' is not defined"}}
	if got := serverError(c, "head"); got != "NameError: name 'x' is not defined" {
		t.Errorf("serverError from the tail = %q", got)
	}
}

// notStarting is a comparison whose side never started, in every cell.
func notStarting(side string) *results.Run {
	r := &results.Run{Schema: results.Schema, Command: "gunicorn --bind {bind} app:app",
		RunComparison: results.RunComparison{Verdict: results.Inconclusive, BaseCommand: "gunicorn"}}
	for _, s := range []int{1, 2} {
		r.Cells = append(r.Cells, results.Cell{Workers: s, Threads: s, Slots: s * s,
			Error: side + ": server exited during startup (exit status 3)", FailedSide: side,
			NotStarted: true, LogExcerpt: []string{"[ERROR] Exception in worker process",
				`File "/w/` + side + `/app.py", line 23`, "SyntaxError: invalid syntax @everyone #1"}})
	}
	return r
}

// TestSideDoesNotStart: when a side's server never starts, the heading,
// the verdict column and the overall line say which side, in the server's
// own words, instead of a verdict on noise.
func TestSideDoesNotStart(t *testing.T) {
	for _, tt := range []struct {
		side, heading, column, overall string
	}{
		{"head", "### ❌ head does not start: SyntaxError: invalid syntax @&#8203;everyone \\#&#8203;1 (app.py:23)\n",
			"| 1x1 | — | — |  | ❌ head does not start |",
			"overall: no verdict — head does not start: SyntaxError: invalid syntax @everyone #1 (app.py:23)\n"},
		{"base", "### ⚠️ base does not start: SyntaxError: invalid syntax @&#8203;everyone \\#&#8203;1 (app.py:23); head not compared\n",
			"| 2x2 | — | — |  | ⚠️ base does not start |",
			"overall: no verdict — base does not start: SyntaxError: invalid syntax @everyone #1 (app.py:23); head not compared\n"},
	} {
		t.Run(tt.side, func(t *testing.T) {
			var md, term strings.Builder
			if err := Markdown(&md, notStarting(tt.side), MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			checkMarkdown(t, md.String())
			if !strings.HasPrefix(md.String(), tt.heading) || !strings.Contains(md.String(), tt.column) {
				t.Errorf("Markdown lacks %q or %q:\n%s", tt.heading, tt.column, md.String())
			}
			if strings.Contains(md.String(), tt.side+": "+tt.side+": ") {
				t.Errorf("the side is said twice:\n%s", md.String())
			}
			if err := Table(&term, notStarting(tt.side)); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(term.String(), tt.overall) || strings.Contains(term.String(), "noisy") {
				t.Errorf("terminal lacks %q:\n%s", tt.overall, term.String())
			}
		})
	}
	// A server that started and answered its readiness request with 500
	// (an app whose database was not set up): the heading says it started.
	up := notStarting("head")
	for i := range up.Cells {
		up.Cells[i].Error = "head: GET / answered 500 Internal Server Error for 5s, want 2xx: " +
			"the server is up but fails this request (did the app load? see its log)"
		up.Cells[i].LogExcerpt = []string{"sqlite3.OperationalError: no such table: post"}
	}
	var upMD strings.Builder
	if err := Markdown(&upMD, up, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	want := "### ❌ head starts but fails its readiness request: sqlite3.OperationalError: no such table: post\n"
	if !strings.HasPrefix(upMD.String(), want) {
		t.Errorf("Markdown does not start with %q:\n%s", want, upMD.String())
	}

	// One side that does not start in one cell of two is a failed cell,
	// not a side that does not start.
	r := notStarting("head")
	r.Cells[1] = results.Cell{Workers: 2, Threads: 2, Slots: 4, ThroughputRPS: 40}
	r.Cells[1].Base = &results.Cell{Workers: 2, Threads: 2, Slots: 4, ThroughputRPS: 40}
	var md strings.Builder
	if err := Markdown(&md, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "does not start") {
		t.Errorf("one failed cell reads as a side that does not start:\n%s", md.String())
	}
}
