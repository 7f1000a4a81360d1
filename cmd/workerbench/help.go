package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// helpTopic is what "workerbench help COMMAND" says beside the flags,
// which come from the command's FlagSet itself.
type helpTopic struct {
	usage    []string    // synopses, after "workerbench "
	about    string      // what the command does, one paragraph
	groups   []flagGroup // the flags in the order to read them; the rest follow
	examples []string    // command lines, and "# " lines saying what the next does
}

type flagGroup struct {
	title string
	names []string
}

// Flag groups of run and ab, --server and --app first.
var (
	serverFlags = []string{
		"server", "app", "cmd", "dir", "setup", "env", "host", "allow-remote", "health",
		"startup-timeout", "grace",
	}
	matrixFlags = []string{"matrix", "path", "config", "shard"}
	loadFlags   = []string{
		"duration", "warmup", "requests", "trials", "connections", "keep-alive", "sequential",
		"burst", "timeout",
	}
	sweepFlags     = []string{"sweep", "sweep-max-connections", "sweep-time"}
	recommendFlags = []string{"target-cpus", "memory-budget", "p99-target"}
	outputFlags    = []string{"out", "json", "quiet", "verbose"}
)

var helpTopics = map[string]helpTopic{
	"run": {
		usage: []string{
			"run --server NAME --app SPEC [flags]",
			"run --cmd TEMPLATE [flags]",
		},
		about: "Starts the server once per cell of a matrix of workers × threads, loads it " +
			"in a closed loop and reports the concurrency each cell achieved, with a " +
			"recommended configuration. Flags override the config file, which overrides " +
			"the defaults.",
		groups: []flagGroup{
			{"Server", serverFlags},
			{"What to measure", matrixFlags},
			{"Load", loadFlags},
			{"Connection sweep (servers without slots)", sweepFlags},
			{"Recommendation", recommendFlags},
			{"Output", outputFlags},
		},
		examples: []string{
			"# gunicorn serving app:app, two cells, a request that sleeps 100 ms",
			"workerbench run --server gunicorn --app app:app --matrix 1x1,2x2 --path '/?ms=100'",
			"# any server: a command template; results.json, summary.md and charts in out/",
			"workerbench run --cmd 'gunicorn --bind {bind} --workers {workers} --threads {threads} app:app' \\",
			"    --dir examples/flask --out out/",
			"# the settings of workerbench.yml, the results as JSON for a script",
			"workerbench run --config workerbench.yml --quiet --json > results.json",
		},
	},
	"ab": {
		usage: []string{
			"ab --base-dir DIR --head-dir DIR (--server NAME --app SPEC | --cmd TEMPLATE) [flags]",
		},
		about: "Measures base and head, two checkouts of the same server, on this machine in " +
			"pairs of trials drawn in random order, and gives each cell a verdict: regressed, " +
			"improved, unchanged or inconclusive. It takes run's flags, with defaults made " +
			"for the dozen or more trials a verdict takes; it never sweeps, and each side " +
			"runs in its own directory.",
		groups: []flagGroup{
			{"Server", slices.DeleteFunc(slices.Clone(serverFlags), func(s string) bool { return s == "dir" })},
			{"Comparison", []string{
				"base-dir", "head-dir", "base-env", "head-env", "threshold", "max-pairs",
				"confirm-pairs", "seed", "fail-on-regression",
			}},
			{"What to measure", matrixFlags},
			{"Load", loadFlags},
			{"Recommendation", recommendFlags},
			{"Output", outputFlags},
		},
		examples: []string{
			"# main checked out beside this branch; exit 3 if a cell regressed",
			"git worktree add ../base main",
			"workerbench ab --server gunicorn --app app:app --base-dir ../base/examples/flask \\",
			"    --head-dir examples/flask --matrix 1x1,3x3 --path '/?ms=50' --fail-on-regression",
			"# each side installs its own dependencies first",
			"workerbench ab --base-dir ../base --head-dir . \\",
			"    --setup 'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt' \\",
			"    --cmd '.venv/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} app:app'",
			"# the verdict as JSON, the table on stderr",
			"workerbench ab --server uvicorn --app main:app --base-dir ../base --head-dir . --json > ab.json",
		},
	},
	"compare": {
		usage: []string{"compare BASE.json HEAD.json [flags]"},
		about: "Gives ab's verdicts for two results files measured in separate runs (unpaired: " +
			"Mann–Whitney U on the trial values), warns when they come from different hosts " +
			"or settings, and compares only the cells both have, naming the rest.",
		examples: []string{
			"workerbench compare base/results.json head/results.json",
			"workerbench compare base.json head.json --threshold 10% --fail-on-regression",
			"workerbench compare base.json head.json --out comparison/ --json > comparison.json",
		},
	},
	"merge": {
		usage: []string{"merge DIR|results.json... [flags]"},
		about: "Puts the shards of one matrix, each measured by run or ab in a job of its " +
			"own (their shard flag, I/N), back together: one results.json, summary.md and " +
			"set of charts, with one verdict. Each argument is a shard's results directory " +
			"or its results.json.",
		examples: []string{
			"workerbench merge shard-1/ shard-2/ --out merged/",
			"workerbench merge shards/*/results.json --out merged/ --fail-on-regression",
		},
	},
	"plot": {
		usage: []string{"plot RESULTS.json --out DIR"},
		about: "Renders the charts of a results file again, as PNG and SVG, and prints their paths.",
		examples: []string{
			"workerbench plot out/results.json --out charts/",
		},
	},
	"demo": {
		usage: []string{"demo [flags]"},
		about: "The seed experiment: the bundled Flask app on gunicorn in four configurations, " +
			"with bursts that show the waves, then the same wait on uvicorn, an event loop, " +
			"for contrast. Without gunicorn or uvicorn it runs workerbench's built-in servers. " +
			"It takes about a minute and a half.",
		examples: []string{
			"workerbench demo",
			"workerbench demo --builtin --out demo/",
		},
	},
	"action": {
		usage: []string{"action"},
		about: "The GitHub Action's entry point: its inputs come from INPUT_* variables (see " +
			"action.yml), the event from GITHUB_* variables, and it takes no arguments. A " +
			"workflow's step runs it.",
		examples: []string{
			"# a step of a workflow on pull_request",
			"- uses: workerbench/workerbench@v1",
			"  with: { server: gunicorn, app: app:app, working-directory: examples/flask }",
		},
	},
	"publish": {
		usage: []string{"publish [--dir DIR]"},
		about: "The privileged second stage of the fork-safe pair: in a workflow_run job, " +
			"comments the first stage's results, a downloaded artifact, on its pull request. " +
			"It reads the action's inputs (INPUT_*); --dir overrides results-dir.",
		examples: []string{
			"workerbench publish --dir results/",
		},
	},
	"history": {
		usage: []string{
			"history add (--history DIR | --branch BRANCH) [flags] RESULTS.json",
		},
		about: "Records a push's results, one record per cell and endpoint, in a history: a " +
			"directory, or a data branch of a remote whose README then shows the trend " +
			"charts. workerbench trend reads it.",
		groups: []flagGroup{
			{"Where", []string{"history", "branch", "remote", "repo"}},
			{"What", []string{"commit", "series"}},
		},
		examples: []string{
			"workerbench history add --history bench-history out/results.json",
			"workerbench history add --branch workerbench-data --series api out/results.json",
			"workerbench history add --history bench-history --commit 3f2a9c1 out/results.json",
		},
	},
	"trend": {
		usage: []string{"trend (--history DIR | --branch BRANCH) --out DIR [flags]"},
		about: "Reads a history (see workerbench history) and writes, per series and cell, " +
			"charts of each push's throughput and achieved concurrency with the change " +
			"points found, and trend.md, to --out; a summary goes to stdout.",
		groups: []flagGroup{
			{"Where", []string{"history", "branch", "remote", "repo"}},
			{"Output", []string{"out", "last"}},
		},
		examples: []string{
			"workerbench trend --history bench-history --out trend/",
			"workerbench trend --branch workerbench-data --out trend/ --last 20",
		},
	},
	"version": {
		usage: []string{"version", "--version"},
		about: "Prints the version, the commit and the Go version workerbench was built with.",
		examples: []string{
			"workerbench version",
		},
	},
}

// helpWidth is the width help is wrapped to; flagColumn is where the
// flags' descriptions start.
const (
	helpWidth  = 80
	flagColumn = 30
)

// writeHelp writes the help of the command whose flags are fs: usage,
// what it does, its flags in groups, examples.
func writeHelp(w io.Writer, fs *flag.FlagSet) error {
	t := helpTopics[fs.Name()]
	var b strings.Builder
	b.WriteString("Usage:\n")
	for _, u := range t.usage {
		fmt.Fprintf(&b, "  workerbench %s\n", u)
	}
	if t.about != "" {
		fmt.Fprintf(&b, "\n%s\n", strings.Join(wrap(t.about, helpWidth), "\n"))
	}
	groups := t.groups
	var rest []string
	fs.VisitAll(func(f *flag.Flag) {
		if !slices.ContainsFunc(groups, func(g flagGroup) bool {
			return slices.Contains(g.names, f.Name)
		}) {
			rest = append(rest, f.Name)
		}
	})
	if len(rest) > 0 {
		title := "Flags"
		if len(groups) > 0 {
			title = "Other flags"
		}
		groups = append(slices.Clone(groups), flagGroup{title, rest})
	}
	for _, g := range groups {
		fmt.Fprintf(&b, "\n%s:\n", g.title)
		for _, name := range g.names {
			if f := fs.Lookup(name); f != nil {
				writeFlag(&b, f)
			}
		}
	}
	if len(t.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, e := range t.examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeFlag writes one flag: --name ARG, then its description and default
// from flagColumn on.
func writeFlag(b *strings.Builder, f *flag.Flag) {
	arg, usage := argName(f)
	head := "  --" + f.Name
	if arg != "" {
		head += " " + arg
	}
	switch {
	case f.DefValue == "true":
		usage += " (default true; --" + f.Name + "=false turns it off)"
	case !zeroDefault(f.DefValue):
		usage += " (default " + shortDuration(f.DefValue) + ")"
	}
	if len(head) > flagColumn-2 {
		b.WriteString(head + "\n")
		head = ""
	}
	for i, line := range wrap(usage, helpWidth-flagColumn) {
		if i > 0 {
			head = ""
		}
		fmt.Fprintf(b, "%-*s%s\n", flagColumn, head, line)
	}
}

// argName is the name of a flag's value and its description: a
// `quoted` word of the description, else what the type takes; a bool
// takes none.
func argName(f *flag.Flag) (arg, usage string) {
	if before, rest, ok := strings.Cut(f.Usage, "`"); ok {
		if name, after, ok := strings.Cut(rest, "`"); ok {
			return name, before + name + after
		}
	}
	arg = "VALUE"
	if g, ok := f.Value.(flag.Getter); ok {
		switch g.Get().(type) {
		case bool:
			arg = ""
		case time.Duration:
			arg = "DURATION"
		case int, int64, uint, uint64:
			arg = "N"
		}
	}
	return arg, f.Usage
}

// zeroDefault reports whether a default goes without saying: nothing, 0,
// false.
func zeroDefault(v string) bool {
	return v == "" || v == "0" || v == "false" || v == "0s"
}

// shortDuration writes a default like 1m0s as 1m.
func shortDuration(v string) string {
	if _, err := time.ParseDuration(v); err != nil {
		return v
	}
	if s, ok := strings.CutSuffix(v, "m0s"); ok {
		v = s + "m"
	}
	if s, ok := strings.CutSuffix(v, "h0m"); ok {
		v = s + "h"
	}
	return v
}

// wrap breaks s into lines of at most width characters, between words.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}
