package main

import (
	"context"
	"errors"
	"flag"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench"
)

// helpCommands are the commands with a help of their own.
func helpCommands() []string {
	return slices.DeleteFunc(slices.Clone(commands), func(c string) bool { return c == "help" })
}

// commandFlags returns the FlagSet the command parses, as -h finds it.
func commandFlags(t *testing.T, cmd string) *flag.FlagSet {
	t.Helper()
	var out, errb strings.Builder
	err := dispatch(context.Background(), []string{cmd, "-h"}, func(string) string { return "" },
		&out, &errb)
	var h helpRequest
	if !errors.As(err, &h) {
		t.Fatalf("%s -h: %v, want a help request", cmd, err)
	}
	return h.fs
}

// TestHelpOnStdout: every command's help is on stdout with exit 0, the same
// for "help CMD", "CMD --help" and "CMD -h", and "help" lists them all.
func TestHelpOnStdout(t *testing.T) {
	code, list, stderr := runCLI(t, "help")
	if code != 0 || stderr != "" {
		t.Errorf("help: exit %d, stderr %q", code, stderr)
	}
	for _, cmd := range helpCommands() {
		if !strings.Contains(list, "\n  workerbench "+cmd+" ") {
			t.Errorf("help does not list %s:\n%s", cmd, list)
		}
		code, want, stderr := runCLI(t, "help", cmd)
		if code != 0 || stderr != "" || !strings.HasPrefix(want, "Usage:\n  workerbench "+cmd) {
			t.Errorf("help %s: exit %d, stderr %q, stdout:\n%s", cmd, code, stderr, want)
		}
		for _, h := range []string{"--help", "-h"} {
			code, got, stderr := runCLI(t, cmd, h)
			if code != 0 || stderr != "" || got != want {
				t.Errorf("%s %s: exit %d, stderr %q, stdout differs from help %s:\n%s",
					cmd, h, code, stderr, cmd, got)
			}
		}
	}
	if code, got, _ := runCLI(t, "history", "add", "--help"); code != 0 ||
		!strings.Contains(got, "--series NAME") {
		t.Errorf("history add --help: exit %d:\n%s", code, got)
	}
}

// helpFlagRE finds the flags a help text names: --name, not inside a
// 'quoted' command (a server's own flags in a --cmd example).
var helpFlagRE = regexp.MustCompile(`(^|[^\w-])--([a-z][a-z0-9-]*)`)

// TestHelpAgreesWithFlags: each command's help lists every flag its
// FlagSet defines, in a group of its own for run and ab, names no flag the
// command lacks, and states the FlagSet's defaults.
func TestHelpAgreesWithFlags(t *testing.T) {
	for _, cmd := range helpCommands() {
		t.Run(cmd, func(t *testing.T) {
			fs := commandFlags(t, cmd)
			_, help, _ := runCLI(t, "help", cmd)
			entries := flagEntries(help)
			fs.VisitAll(func(f *flag.Flag) {
				entry, ok := entries[f.Name]
				if !ok {
					t.Errorf("--%s is a flag but not in the help", f.Name)
					return
				}
				checkDefault(t, f, entry)
			})
			for name := range entries {
				if fs.Lookup(name) == nil {
					t.Errorf("the help lists --%s, which is not a flag of %s", name, cmd)
				}
			}
			unquoted := regexp.MustCompile(`'[^']*'`).ReplaceAllString(help, "''")
			for _, m := range helpFlagRE.FindAllStringSubmatch(unquoted, -1) {
				if name := m[2]; fs.Lookup(name) == nil && !(cmd == "version" && name == "version") {
					t.Errorf("the help names --%s, which is not a flag of %s", name, cmd)
				}
			}
			for _, g := range helpTopics[cmd].groups {
				for _, name := range g.names {
					if fs.Lookup(name) == nil {
						t.Errorf("help group %q names --%s, not a flag of %s", g.title, name, cmd)
					}
				}
			}
			if (cmd == "run" || cmd == "ab") && strings.Contains(help, "\nOther flags:") {
				t.Errorf("%s has flags in no group:\n%s", cmd, help)
			}
		})
	}
}

// flagEntries splits a help's flag lists into each flag's text: its line
// and the lines continuing it.
func flagEntries(help string) map[string]string {
	entries := map[string]string{}
	name := ""
	for _, line := range strings.Split(help, "\n") {
		switch {
		case strings.HasPrefix(line, "  --"):
			name, _, _ = strings.Cut(strings.TrimPrefix(line, "  --"), " ")
			entries[name] = line
		case name != "" && strings.HasPrefix(line, strings.Repeat(" ", flagColumn)):
			entries[name] += " " + strings.TrimSpace(line)
		default:
			name = ""
		}
	}
	return entries
}

var defaultRE = regexp.MustCompile(`\(default ([^;)]*)[;)]`)

// checkDefault checks that the default a flag's help entry states is the
// FlagSet's, and that a default the FlagSet has is stated. A flag whose
// default is zero may say in words what zero means ("default: no limit").
func checkDefault(t *testing.T, f *flag.Flag, entry string) {
	t.Helper()
	var stated []string
	for _, m := range defaultRE.FindAllStringSubmatch(entry, -1) {
		stated = append(stated, m[1])
	}
	if zeroDefault(f.DefValue) {
		return
	}
	if len(stated) != 1 {
		t.Errorf("--%s: default %q, but the help states %q:\n%s", f.Name, f.DefValue, stated, entry)
		return
	}
	want, err := time.ParseDuration(f.DefValue)
	if got, err2 := time.ParseDuration(stated[0]); err == nil && err2 == nil {
		if got != want {
			t.Errorf("--%s: default %s, the help states %s", f.Name, want, got)
		}
	} else if stated[0] != f.DefValue {
		t.Errorf("--%s: default %q, the help states %q", f.Name, f.DefValue, stated[0])
	}
}

// TestConnectionsDefault: what run's and ab's help say --connections
// defaults to is what bench.Config.ConnectionsFor does with it.
func TestConnectionsDefault(t *testing.T) {
	dir := t.TempDir()
	cmd := "prog --bind {bind} --workers {workers} --threads {threads}"
	for _, tt := range []struct {
		cmd      string
		defaults bench.Config
		extra    func(*flag.FlagSet)
		says     string
		want     map[string]int // cell: connections
	}{
		{"run", bench.DefaultConfig(), nil, "(default 3 × slots, at least 8)",
			map[string]int{"1x1": 8, "3x3": 27}},
		{"ab", bench.DefaultABConfig(), new(abFlags).register,
			"(default 2 × slots; on an event-loop server, 3 × slots, at least 8)",
			map[string]int{"1x1": 2, "3x3": 18}},
	} {
		_, help, _ := runCLI(t, "help", tt.cmd)
		if entry := flagEntries(help)["connections"]; !strings.Contains(entry, tt.says) {
			t.Errorf("%s --connections: help says %q, want %q", tt.cmd, entry, tt.says)
		}
		args := []string{"--cmd", cmd, "--matrix", "1x1,3x3", "--base-dir", dir, "--head-dir", dir}
		if tt.cmd == "run" {
			args = args[:4]
		}
		f, err := parseRunFlags(tt.cmd, tt.defaults, args, nil, tt.extra)
		if err != nil {
			t.Fatalf("%s: %v", tt.cmd, err)
		}
		for cell, want := range tt.want {
			s, _ := bench.ParseShape(cell)
			if got := f.cfg.ConnectionsFor(s); got != want {
				t.Errorf("%s %s: %d connections, want %d as the help says", tt.cmd, cell, got, want)
			}
		}
	}
}

// TestFlagErrorIsTwoLines: a mistyped or unknown flag is one line naming
// it, then where the help is; exit 2, nothing on stdout.
func TestFlagErrorIsTwoLines(t *testing.T) {
	code, stdout, stderr := runCLI(t, "run", "--bogus")
	want := "workerbench: unknown flag --bogus\nsee: workerbench help run\n"
	if code != exitUsage || stdout != "" || stderr != want {
		t.Errorf("run --bogus: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", code, stdout, stderr, want)
	}
	for _, cmd := range helpCommands() {
		if cmd == "action" { // its flags come from its inputs
			continue
		}
		args := []string{cmd, "--bogus", "x"}
		if cmd == "history" {
			args = []string{cmd, "add", "--bogus", "x"}
		}
		code, stdout, stderr := runCLI(t, args...)
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if code != exitUsage || stdout != "" || len(lines) != 2 ||
			lines[0] != "workerbench: unknown flag --bogus" ||
			lines[1] != "see: workerbench help "+cmd {
			t.Errorf("%s: exit %d, stdout %q, stderr:\n%s", strings.Join(args, " "), code, stdout,
				stderr)
		}
	}
	for _, tt := range []struct{ args []string }{
		{[]string{"run", "--duration"}},
		{[]string{"run", "---duration", "5s"}},
		{[]string{"compare", "--fail-on-regression=maybe", "a", "b"}},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if n := strings.Count(stderr, "\n"); code != exitUsage || n != 2 ||
			!strings.Contains(stderr, "duration") && !strings.Contains(stderr, "fail-on-regression") {
			t.Errorf("%q: exit %d, %d lines:\n%s", tt.args, code, n, stderr)
		}
	}
}

// TestDidYouMean: a mistyped command or flag gets the one it meant.
func TestDidYouMean(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"rnu"}, `unknown command "rnu"; did you mean run?`},
		{[]string{"comapre", "a", "b"}, `unknown command "comapre"; did you mean compare?`},
		{[]string{"help", "tredn"}, `unknown command "tredn"; did you mean trend?`},
		{[]string{"run", "--matrx", "1x1"}, "unknown flag --matrx; did you mean --matrix?"},
		{[]string{"run", "--conn", "8"}, "unknown flag --conn; did you mean --connections?"},
		{[]string{"compare", "--treshold", "5%", "a", "b"}, "did you mean --threshold?"},
		{[]string{"merge", "--fail-on-regresion"}, "did you mean --fail-on-regression?"},
		{[]string{"history", "ad"}, `unknown subcommand "ad"; did you mean add?`},
		{[]string{"ab", "--sweep=false"}, "unknown flag --sweep: ab never sweeps (run does)"},
		{[]string{"run", "--cmd", "gunicorn", "--bind", "{bind}"},
			"unknown flag --bind: if it is the server's, quote the whole --cmd template"},
	} {
		code, _, stderr := runCLI(t, tt.args...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Count(stderr, "\n") != 2 {
			t.Errorf("%q: exit %d, stderr does not say %q in 2 lines:\n%s", tt.args, code, tt.want, stderr)
		}
	}
	if got := suggest("xy", []string{"ab", "run"}); len(got) > 0 {
		t.Errorf("suggest(xy) = %q, want nothing: two edits of two letters is anything", got)
	}
}

// TestEveryProblemTogether: every problem of one command line is reported
// at once, a line each naming its flag, whether the flag package or the
// validation finds it.
func TestEveryProblemTogether(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--server", "gunicorn", "--app", "app:app", "--duration", "fast",
			"--trials", "0"}, []string{
			`workerbench: --duration "fast": want a duration like 5s or 500ms`,
			"workerbench: --trials 0: must be between 1 and 1000",
		}},
		{[]string{"run", "--cmd", badTmpl, "--warmup", "-1s", "--burst", "x", "--matrix", "3x",
			"--keep-alive=maybe", "--memory-budget", "lots", "--connections", "many"}, []string{
			`--keep-alive "maybe": want true or false`,
			`--memory-budget "lots": want a size like 512MiB or 2GiB`,
			`--connections "many": want a whole number`,
			`--matrix: matrix cell "3x": threads missing`,
			`--burst "x": want request counts like 5,20`,
			"--warmup -1s: must be 0 or positive",
		}},
		{[]string{"ab", "--cmd", badTmpl, "--threshold", "five", "--max-pairs", "x",
			"--head-dir", dir, "--trials", "0"}, []string{
			`--threshold "five": want a percentage`,
			`--max-pairs "x": want a whole number`,
			"--trials 0: must be between 1 and 1000",
			"--base-dir is required",
		}},
		{[]string{"trend", "--last", "0", "extra"}, []string{
			`trend takes no arguments; got "extra"`,
			"trend: give the history",
			"trend: --out DIR is required",
			"--last 0: must be at least 1",
		}},
	} {
		code, stdout, stderr := runCLI(t, tt.args...)
		if code != exitUsage || stdout != "" {
			t.Errorf("%q: exit %d, stdout %q", tt.args, code, stdout)
		}
		lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
		if see := "see: workerbench help " + tt.args[0]; lines[len(lines)-1] != see {
			t.Errorf("%q: last line %q, want %q", tt.args, lines[len(lines)-1], see)
		}
		for _, w := range tt.want {
			if !slices.ContainsFunc(lines, func(l string) bool {
				return strings.HasPrefix(l, "workerbench: ") && strings.Contains(l, w)
			}) {
				t.Errorf("%q: no line says %q:\n%s", tt.args, w, stderr)
			}
		}
		// A refused value is not reported a second time as its zero.
		if strings.Contains(stderr, "--duration 0s") || strings.Contains(stderr, "--connections 0") {
			t.Errorf("%q: a refused value reported again as zero:\n%s", tt.args, stderr)
		}
	}
}

// TestHelpExamplesParse: every example of a command's help is a command
// line its flags accept.
func TestHelpExamplesParse(t *testing.T) {
	for _, cmd := range helpCommands() {
		if cmd == "action" { // a workflow step, not a command line
			continue
		}
		for _, line := range joinContinued(helpTopics[cmd].examples) {
			words := shellWords(t, line)
			if len(words) < 2 || words[0] != "workerbench" || words[1] != cmd {
				continue // git worktree add …
			}
			if i := slices.Index(words, ">"); i >= 0 {
				words = words[:i]
			}
			fs := commandFlags(t, cmd)
			cl := &cmdLine{fs: fs}
			if cmd == "history" {
				words = words[1:] // "add"
			}
			if _, err := cl.parse(words[2:]); err != nil || len(cl.problems) > 0 {
				t.Errorf("example %q: %v %v", line, err, cl.problems)
			}
		}
	}
}

// joinContinued joins lines ending in a backslash with the next, and
// drops comments.
func joinContinued(lines []string) []string {
	var out []string
	cur := ""
	for _, l := range lines {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if s, ok := strings.CutSuffix(l, "\\"); ok {
			cur += s
			continue
		}
		out = append(out, cur+l)
		cur = ""
	}
	return out
}

// shellWords splits a line like sh: words, with 'single quotes'.
func shellWords(t *testing.T, line string) []string {
	var words []string
	var w strings.Builder
	in, quoted := false, false
	for _, r := range line {
		switch {
		case r == '\'':
			quoted, in = !quoted, true
		case r == ' ' && !quoted:
			if in {
				words = append(words, w.String())
				w.Reset()
			}
			in = false
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quote in %q", line)
	}
	if in {
		words = append(words, w.String())
	}
	return words
}
