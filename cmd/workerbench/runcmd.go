package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/profile"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/charts"
)

// defaultMatrix is the seed experiment's four configurations.
const defaultMatrix = "1x1,1x3,3x1,3x3"

// defaultConfigFile is read when --config is not given and it exists.
const defaultConfigFile = "workerbench.yml"

// runFlags binds the benchmark flags shared by run, ab and the action to
// cfg. The matrix, bursts and env arrive as text and are parsed by
// parseRunFlags.
type runFlags struct {
	cl      *cmdLine
	fs      *flag.FlagSet
	cfg     *bench.Config
	matrix  string
	path    string
	bursts  string
	env     multiFlag
	config  string
	out     string
	quiet   bool
	verbose bool
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// newRunFlags returns the flags of the command name over cfg. ab, which
// never sweeps and runs in --base-dir and --head-dir, has no --sweep… and
// no --dir.
func newRunFlags(name string, cfg bench.Config) *runFlags {
	f := &runFlags{cl: newCmdLine(name), cfg: &cfg}
	fs := f.cl.fs
	f.fs = fs
	fs.StringVar(
		&cfg.Command,
		"cmd",
		cfg.Command,
		"server command `TEMPLATE` with {bind} or {port}, and {workers} {threads} {host}",
	)
	fs.StringVar(
		&cfg.Server,
		"server",
		cfg.Server,
		"a server workerbench knows, `NAME`: "+strings.Join(profile.Names(), ", ")+
			" (instead of --cmd)",
	)
	fs.StringVar(
		&cfg.App,
		"app",
		cfg.App,
		"what --server starts, `SPEC`: module:callable, a rackup file, or for paas the command",
	)
	fs.StringVar(
		&f.matrix,
		"matrix",
		"",
		"cells to run, `WxT,...`, or auto (default "+defaultMatrix+"; with --server, the server's)",
	)
	fs.StringVar(
		&f.path,
		"path",
		"",
		"request `PATH` to load (default /; a config file can list several endpoints)",
	)
	if name != "ab" {
		fs.StringVar(&cfg.Dir, "dir", cfg.Dir, "working `DIR` of the server (default: this one)")
	}
	fs.StringVar(&cfg.Setup, "setup", cfg.Setup,
		"shell `COMMAND` run once in each side's directory before its first cell, to install "+
			"that side's own dependencies or database, e.g. "+
			"'python3 -m venv .venv && .venv/bin/pip install -r requirements.txt' "+
			"({side} is base or head)")
	fs.StringVar(
		&cfg.Health,
		"health",
		cfg.Health,
		"readiness `PATH` (default: the first endpoint's path)",
	)
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measurement window per trial")
	fs.DurationVar(
		&cfg.Warmup,
		"warmup",
		cfg.Warmup,
		"load before each window that is not recorded",
	)
	fs.Int64Var(
		&cfg.Requests,
		"requests",
		cfg.Requests,
		"measure a fixed number of requests per trial instead of --duration",
	)
	trials := "closed-loop trials per cell"
	if name == "ab" {
		trials = "pairs of trials per cell in the first batch (more follow up to --max-pairs)"
	}
	fs.IntVar(&cfg.Trials, "trials", cfg.Trials, trials)
	// What bench.Config.ConnectionsFor does when --connections is 0.
	connections := "closed-loop connections (default 3 × slots, at least 8)"
	if cfg.ShortQueue {
		connections = "closed-loop connections (default 2 × slots; on an event-loop server, " +
			"3 × slots, at least 8)"
	}
	fs.IntVar(&cfg.Connections, "connections", cfg.Connections, connections)
	fs.StringVar(
		&f.bursts,
		"burst",
		"",
		"after the closed loop, fire `N[,N...]` requests at the same instant and report completion waves",
	)
	fs.BoolVar(&cfg.KeepAlive, "keep-alive", cfg.KeepAlive,
		"reuse connections (HTTP keep-alive); without, one connection per request")
	fs.IntVar(
		&cfg.Sequential,
		"sequential",
		cfg.Sequential,
		"sequential requests measuring the unloaded service time",
	)
	fs.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "per-request timeout")
	fs.DurationVar(
		&cfg.StartupTimeout,
		"startup-timeout",
		cfg.StartupTimeout,
		"time allowed from start to the first good response",
	)
	fs.DurationVar(
		&cfg.Grace,
		"grace",
		cfg.Grace,
		"time between SIGTERM and SIGKILL when stopping a server",
	)
	if name != "ab" {
		fs.BoolVar(&cfg.Sweep, "sweep", cfg.Sweep,
			"when a cell's concurrency reaches the connection count (an event-loop server), "+
				"sweep the connections upward to find its peak")
		fs.IntVar(&cfg.SweepMaxConnections, "sweep-max-connections", cfg.SweepMaxConnections,
			"most connections a sweep tries")
		fs.DurationVar(&cfg.SweepTime, "sweep-time", cfg.SweepTime,
			"longest a sweep of one cell runs")
	}
	fs.IntVar(&cfg.Target.CPUs, "target-cpus", cfg.Target.CPUs,
		"cores of the machine the recommendation is for (default: this machine's)")
	fs.Var((*bytesFlag)(&cfg.Target.MemoryBudget), "memory-budget",
		"Σ PSS the recommended configuration may use, `SIZE` like 512MiB or 2GiB (default: no limit)")
	fs.Var((*secondsFlag)(&cfg.Target.P99), "p99-target",
		"p99 latency the recommendation is checked against, `DURATION` like 300ms")
	fs.StringVar(&cfg.Host, "host", cfg.Host, "`ADDRESS` the server binds and load goes to")
	fs.BoolVar(
		&cfg.AllowRemote,
		"allow-remote",
		cfg.AllowRemote,
		"allow a --host that is not loopback",
	)
	fs.Var(&f.env, "env", "extra server environment `KEY=VALUE` (repeatable; "+
		"{side} is base or head, e.g. DATABASE_URL=postgresql:///app_{side})")
	fs.Var(shardFlag{&cfg.Shard}, "shard",
		"measure only part `I/N` of the matrix (the I-th of N, split by cost), for a job of a "+
			"matrix that workerbench merge puts back together")
	fs.StringVar(
		&f.config,
		"config",
		"",
		"YAML config `FILE` (default "+defaultConfigFile+" if present)",
	)
	fs.StringVar(&f.out, "out", "", "write results.json, summary.md and charts to `DIR`")
	fs.BoolVar(&f.quiet, "quiet", false, "no progress lines on stderr")
	fs.BoolVar(&f.verbose, "verbose", false,
		"at the end, print where the wall time went, per cell: boots, S0, warm-ups, windows, "+
			"bursts, sweeps, stops")
	return f
}

// jsonUsage is --json's, on each command that has it.
const jsonUsage = "write results.json to stdout (the table goes to stderr)"

// parseRunFlags parses args over the defaults and the config file, so
// flags override the file and the file overrides the defaults, then
// validates the result once. Every problem of the command line and the
// file comes back at once, in one error. Nothing is written to stderr.
//
// extra, when not nil, registers a command's own flags; it may be called
// twice (once more when a config file is read) and must bind the same
// variables each time.
func parseRunFlags(
	name string,
	defaults bench.Config,
	args []string,
	stderr io.Writer,
	extra func(*flag.FlagSet),
) (*runFlags, error) {
	return parseRunLine(name, defaults, args, extra, nil)
}

// parseRunLine is parseRunFlags with check, when not nil, checking the
// command's own flags against the validated config, among the rest.
func parseRunLine(
	name string,
	defaults bench.Config,
	args []string,
	extra func(*flag.FlagSet),
	check func(*bench.Config) error,
) (*runFlags, error) {
	f := newRunFlags(name, defaults)
	if extra != nil {
		extra(f.fs)
	}
	pos, err := f.cl.parse(args)
	if err != nil {
		return nil, err
	}
	path := f.config
	if path == "" {
		if _, err := os.Stat(defaultConfigFile); err == nil {
			path = defaultConfigFile
		}
	}
	unread := false // a config file that could not be read: nothing to validate
	if path != "" {
		// Load the file, then parse the same flags again on top of it.
		cfg := defaults
		if err := cfg.LoadConfigFile(path, runtime.NumCPU()); err != nil {
			f.cl.check(err)
			unread = true
		} else {
			f = newRunFlags(name, cfg)
			if extra != nil {
				extra(f.fs)
			}
			if _, err := f.cl.parse(args); err != nil {
				return nil, err
			}
		}
	}
	if len(pos) > 0 {
		f.cl.problemf("unexpected argument %q: quote the --cmd template", pos[0])
	}
	if unread {
		return nil, f.cl.err()
	}
	cfg := f.cfg
	detect(f)
	switch {
	case f.matrix == "" && cfg.Matrix == nil && cfg.Deployed != nil:
		cfg.Matrix = cfg.AroundDeployed()
	case f.matrix != "" || cfg.Matrix == nil:
		m := f.matrix
		if m == "" {
			m = defaultMatrix
			if p, err := profile.Lookup(cfg.Server); err == nil {
				m = p.Matrix
			}
		}
		matrix, err := bench.ParseMatrix(m, runtime.NumCPU())
		if err != nil {
			f.cl.problemf("--matrix: %w", err)
			// A stand-in, so that Validate checks the rest without
			// reporting the matrix again.
			matrix = []bench.Shape{{Workers: 1, Threads: 1}}
		}
		cfg.Matrix = matrix
	}
	cfg.Matrix = cfg.WithDeployed(cfg.Matrix)
	if f.path != "" {
		cfg.Endpoints = []bench.Endpoint{{Path: f.path}}
	}
	if f.bursts != "" {
		cfg.Bursts = nil
		for _, s := range strings.Split(f.bursts, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil {
				f.cl.problemf("--burst %q: want request counts like 5,20", f.bursts)
				cfg.Bursts = nil
				break
			}
			cfg.Bursts = append(cfg.Bursts, n)
		}
	}
	cfg.Env = append(cfg.Env, f.env...)
	f.cl.check(cfg.Validate())
	if check != nil {
		f.cl.check(check(cfg))
	}
	if err := f.cl.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// detect reads how the project is served when neither --cmd nor --server
// is given (bench.Config.Detect), in the directory its server runs in:
// --head-dir when given (ab), else --dir. What it could not read, Validate reports
// in place of the empty command; a directory that does not exist is left
// to the check that says so.
func detect(f *runFlags) {
	dir := f.cfg.Dir
	// The action has ab's flags too, but --head-dir empty: its head is
	// --dir.
	if hd := f.fs.Lookup("head-dir"); hd != nil && hd.Value.String() != "" {
		dir = hd.Value.String()
	}
	if fi, err := os.Stat(cmp.Or(dir, ".")); err != nil || !fi.IsDir() {
		return
	}
	_ = f.cfg.Detect(dir, os.Environ(), runtime.NumCPU())
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var asJSON bool
	f, err := parseRunFlags("run", bench.DefaultConfig(), args, stderr, func(fs *flag.FlagSet) {
		fs.BoolVar(&asJSON, "json", false, jsonUsage)
	})
	if err != nil {
		return err
	}
	table := stdout
	if asJSON {
		table = stderr
	}
	res, err := measure(ctx, f.cfg, f.out, f.quiet, table, stderr)
	if f.verbose && res != nil {
		err = errors.Join(err, report.WallTime(stderr, res))
	}
	if asJSON && res != nil {
		err = errors.Join(err, writeJSON(stdout, res))
	}
	return err
}

// writeJSON writes res as results.Write writes results.json.
func writeJSON(w io.Writer, res *results.Run) error {
	data, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}

// measure runs the matrix, prints the table and writes the outputs. Results
// are saved after every cell, so an interrupt or a failed cell keeps what
// was measured.
func measure(
	ctx context.Context,
	cfg *bench.Config,
	out string,
	quiet bool,
	stdout, stderr io.Writer,
) (*results.Run, error) {
	r := &bench.Runner{Config: cfg, Version: buildVersion().Version}
	endStatus := func() {}
	if !quiet {
		r.Progress = stderr
		if isTerminal(stderr) {
			l := newStatusLine(stderr, "trial")
			r.Progress, r.OnStatus, endStatus = l, l.Update, l.Close
		}
	}
	if out != "" {
		if err := os.MkdirAll(out, 0o755); err != nil {
			return nil, fmt.Errorf("--out: %w", err)
		}
		r.LogDir = filepath.Join(out, "logs")
		r.Save = func(res *results.Run) error { return writeResults(out, res) }
	}
	start := time.Now()
	res, runErr := r.Run(ctx)
	endStatus()
	if res == nil {
		return nil, runErr
	}
	if err := report.Table(stdout, res); err != nil {
		return res, err
	}
	if !quiet {
		fmt.Fprintf(
			stderr,
			"measured %s in %s%s\n",
			report.Plural(len(res.Cells), "cell"),
			time.Since(start).Round(time.Second),
			setupNote(res),
		)
	}
	if out != "" {
		if err := writeOutputs(out, res); err != nil {
			return res, errors.Join(runErr, err)
		}
		if !quiet {
			fmt.Fprintf(stderr, "wrote %s\n", filepath.Join(out, "results.json"))
		}
	}
	return res, runErr
}

// setupNote is what the closing line says of setup, which its time
// includes: " (setup: base 12.1 s, head 11.9 s)", or nothing.
func setupNote(res *results.Run) string {
	if res.Setup == nil {
		return ""
	}
	return " (setup: " + report.SetupTimes(res.Setup) + ")"
}

// writeResults writes results.json and summary.md, each atomically.
func writeResults(dir string, res *results.Run) error {
	if err := results.Write(filepath.Join(dir, "results.json"), res); err != nil {
		return fmt.Errorf("write results.json: %w", err)
	}
	var md strings.Builder
	if err := report.Markdown(&md, res, report.MarkdownOptions{}); err != nil {
		return fmt.Errorf("render summary.md: %w", err)
	}
	if err := results.WriteFileAtomic(filepath.Join(dir, "summary.md"), []byte(md.String())); err != nil {
		return fmt.Errorf("write summary.md: %w", err)
	}
	return nil
}

// writeOutputs writes results.json, summary.md and the charts.
func writeOutputs(dir string, res *results.Run) error {
	if err := writeResults(dir, res); err != nil {
		return err
	}
	if _, err := charts.Write(res, dir); err != nil {
		return fmt.Errorf("render charts: %w", err)
	}
	return nil
}

// bytesFlag is a size in bytes written like 512MiB or 2GiB.
type bytesFlag uint64

func (b *bytesFlag) String() string {
	if *b == 0 {
		return ""
	}
	return fmt.Sprintf("%dMiB", uint64(*b)>>20)
}

func (b *bytesFlag) Set(s string) error {
	v, err := bench.ParseBytes(s)
	*b = bytesFlag(v)
	return err
}

// secondsFlag is a duration kept as seconds.
type secondsFlag float64

func (f *secondsFlag) String() string {
	if *f == 0 {
		return ""
	}
	return time.Duration(float64(*f) * float64(time.Second)).String()
}

func (f *secondsFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("want a duration like 300ms")
	}
	*f = secondsFlag(d.Seconds())
	return nil
}
