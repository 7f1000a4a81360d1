package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/bench/slotserver"
	asgiapp "github.com/workerbench/workerbench/examples/asgi"
	flaskapp "github.com/workerbench/workerbench/examples/flask"
)

// demoSleepMS is the demo endpoint's service time: long enough that waves
// of requests are plain to see, short enough that the demo takes a minute
// and a half.
const demoSleepMS = 100

// demoCPU is the CPU the built-in event-loop server computes per request
// when uvicorn is not installed: about what uvicorn spends on the bare
// ASGI app here (493 µs), so the fallback's peak is of the same order.
const demoCPU = 500 * time.Microsecond

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCmdLine("demo")
	fs := cl.fs
	out := fs.String("out", "", "also write results.json, summary.md and charts to `DIR` "+
		"(the event-loop part's to DIR/event-loop)")
	builtin := fs.Bool(
		"builtin",
		false,
		"use the built-in servers even when gunicorn and uvicorn are installed",
	)
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	pos, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		cl.problemf("demo takes no arguments, got %q", pos[0])
	}
	if err := cl.err(); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find own executable for the built-in server: %w", err)
	}
	dir, err := os.MkdirTemp("", "workerbench-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	slots, slotName, err := slotDemo(dir, self, *builtin, stderr)
	if err != nil {
		return err
	}
	slotRes, err := measure(ctx, &slots, *out, *quiet, stdout, stderr)
	if err != nil {
		return err
	}

	fmt.Fprintln(stdout)
	loop, loopName, err := eventLoopDemo(dir, self, *builtin, stderr)
	if err != nil {
		return err
	}
	loopOut := ""
	if *out != "" {
		loopOut = filepath.Join(*out, "event-loop")
	}
	loopRes, err := measure(ctx, &loop, loopOut, *quiet, stdout, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	writeContrast(stdout, slotName, slotRes, loopName, loopRes)
	return nil
}

// demoConfig is the settings both parts of the demo share.
func demoConfig(dir string) bench.Config {
	cfg := bench.DefaultConfig()
	cfg.Endpoints = []bench.Endpoint{{Path: fmt.Sprintf("/?ms=%d", demoSleepMS)}}
	cfg.Health = "/health"
	cfg.Duration = 3 * time.Second
	cfg.Sequential = 20 // 2 s of the service time's median per cell
	cfg.Dir = dir
	return cfg
}

// slotDemo is the seed experiment: the Flask app on gunicorn (or, without
// it, the built-in prefork server) in four configurations, with bursts that
// show the waves. It returns the config and the server's name.
func slotDemo(dir, self string, builtin bool, stderr io.Writer) (bench.Config, string, error) {
	cfg := demoConfig(dir)
	cfg.Matrix, _ = bench.ParseMatrix("1x1,1x3,3x1,3x3", 0)
	cfg.Bursts = []int{5, 20}
	gunicorn, why := findGunicorn()
	if builtin {
		gunicorn, why = "", "--builtin given"
	}
	name := "gunicorn"
	if gunicorn == "" {
		name = "built-in prefork"
		fmt.Fprintf(
			stderr,
			"gunicorn not used (%s): running the seed's matrix against workerbench's built-in prefork server (%d ms sleep, exactly workers × threads slots).\n"+
				"Install gunicorn and Flask (apt-get install gunicorn python3-flask) to run the seed on the real thing.\n\n",
			why,
			demoSleepMS,
		)
		cfg.Command = quoteArg(self) +
			" demo-server --bind {bind} --workers {workers} --threads {threads}"
	} else {
		if err := os.WriteFile(filepath.Join(dir, "app.py"), flaskapp.App, 0o644); err != nil {
			return cfg, "", err
		}
		// --worker-connections {threads}: gthread workers otherwise accept
		// up to 1000 connections each while their threads are busy, and a
		// burst piles onto one worker (see profile.GreedyAccept).
		cfg.Command = quoteArg(gunicorn) +
			" --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} app:app"
		fmt.Fprintf(
			stderr,
			"Part 1, slots: the seed experiment on gunicorn + Flask, a handler that sleeps %d ms, four configurations, bursts of 5 and 20 requests.\n\n",
			demoSleepMS,
		)
	}
	return cfg, name, cfg.Validate()
}

// eventLoopDemo is the contrast: the same waiting handler on one uvicorn
// worker (or the built-in server in event-loop mode), whose connections
// are swept to find how many requests its loop serves at once.
func eventLoopDemo(dir, self string, builtin bool, stderr io.Writer) (bench.Config, string, error) {
	cfg := demoConfig(filepath.Join(dir, "asgi"))
	cfg.Matrix, _ = bench.ParseMatrix("1x1", 0)
	cfg.Duration = 2 * time.Second
	cfg.SweepTime = 30 * time.Second
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return cfg, "", err
	}
	if err := os.WriteFile(filepath.Join(cfg.Dir, "app.py"), asgiapp.App, 0o644); err != nil {
		return cfg, "", err
	}
	cfg.Server = "uvicorn"
	err := cfg.Validate()
	if err == nil && !builtin {
		fmt.Fprintf(
			stderr,
			"\nPart 2, an event loop: the same %d ms wait on one uvicorn worker (a bare ASGI app), the connections doubled until more stop adding throughput.\n\n",
			demoSleepMS,
		)
		return cfg, "uvicorn", nil
	}
	why := "--builtin given"
	if !builtin {
		why = err.Error()
	}
	fmt.Fprintf(
		stderr,
		"\nuvicorn not used (%s): running the event-loop part against workerbench's built-in server in event-loop mode (%d ms wait, %s of CPU per request).\n\n",
		why,
		demoSleepMS,
		demoCPU,
	)
	cfg.Server = ""
	cfg.Command = quoteArg(self) + " demo-server --bind {bind} --workers {workers} --event-loop --cpu " +
		demoCPU.String()
	return cfg, "built-in event-loop", cfg.Validate()
}

// writeContrast says in two sentences what the two parts showed: a slot
// server's worker serves one request at a time, an event loop's many.
func writeContrast(w io.Writer, slotName string, slots *results.Run, loopName string, loop *results.Run) {
	one, ok := cellOf(slots, 1, 1)
	loopCell, ok2 := cellOf(loop, 1, 1)
	if !ok || !ok2 {
		return
	}
	bound := ""
	if loopCell.Sweep != nil && loopCell.Sweep.Limited == "time" {
		bound = "at least "
	}
	fmt.Fprintf(w, "The contrast: one %s worker with one thread served %.2f request at a time; "+
		"one %s worker served %s%.0f at once on the same %d ms wait (%s req/s against %s), "+
		"because a waiting request holds a slot in the first and nothing in the second.\n",
		slotName, one.Concurrency, loopName, bound, loopCell.PeakConcurrency(), demoSleepMS,
		human.Num(loopCell.PeakThroughput()), human.Num(one.ThroughputRPS))
	fmt.Fprintln(w, "Workers and threads multiply a slot server's concurrency; "+
		"an event loop's runs until its CPU is spent, so there workers count and threads do not.")
}

// cellOf returns the run's cell of w workers and t threads.
func cellOf(r *results.Run, w, t int) (results.Cell, bool) {
	for _, c := range r.Cells {
		if c.Workers == w && c.Threads == t && !c.Failed() {
			return c, true
		}
	}
	return results.Cell{}, false
}

// findGunicorn returns gunicorn's path when it and Flask are usable, or
// why not.
func findGunicorn() (path, why string) {
	path, err := exec.LookPath("gunicorn")
	if err != nil {
		return "", "gunicorn is not installed"
	}
	// gunicorn runs its own interpreter (Debian's /usr/bin/gunicorn runs
	// /usr/bin/python3, which may not be the python3 on PATH): ask that one
	// for Flask.
	python := "python3"
	if f, err := os.Open(path); err == nil {
		line, _ := bufio.NewReader(f).ReadString('\n')
		f.Close()
		if strings.HasPrefix(line, "#!") {
			if fields := strings.Fields(line[2:]); len(fields) > 0 {
				python = fields[0]
				if filepath.Base(python) == "env" && len(fields) > 1 {
					python = fields[1]
				}
			}
		}
	}
	var stderr bytes.Buffer
	check := exec.Command(python, "-c", "import flask")
	check.Stderr = &stderr
	if err := check.Run(); err != nil {
		return "", fmt.Sprintf("Flask is not importable by %s", python)
	}
	return path, ""
}

func quoteArg(s string) string {
	if strings.ContainsAny(s, " '\"\\\t") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// demoServerCmd runs the built-in prefork server: a master that forks
// --workers processes of itself, each serving --threads requests at a time,
// or with --event-loop any number (see slotserver.Server.EventLoop).
func demoServerCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	bind := fs.String("bind", "127.0.0.1:8000", "`HOST:PORT` to listen on")
	workers := fs.Int("workers", 1, "worker processes")
	threads := fs.Int("threads", 1, "concurrent requests per worker")
	sleep := fs.Duration(
		"sleep",
		2*time.Second,
		"service time of / (override per request with ?ms=)",
	)
	eventLoop := fs.Bool("event-loop", false,
		"serve like an event-loop server (uvicorn, Node): no slot limit, --threads ignored")
	cpu := fs.Duration("cpu", 0,
		"with --event-loop, CPU each request computes on its worker's one loop "+
			"(override per request with ?cpu= milliseconds)")
	worker := fs.Bool("worker", false, "internal: run as a worker on file descriptor 3")
	if err := fs.Parse(args); err != nil {
		return usageError{err}
	}
	slowdown := 0.0
	if v := os.Getenv("WORKERBENCH_SLOWDOWN"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f < 0 {
			return fmt.Errorf("WORKERBENCH_SLOWDOWN %q: want a fraction like 0.1", v)
		}
		slowdown = f
	}
	srv := slotserver.Server{
		Slots: *threads, Sleep: *sleep, Slowdown: slowdown, EventLoop: *eventLoop, CPU: *cpu,
	}
	if *worker {
		ln, err := slotserver.ListenerFromFD()
		if err != nil {
			return err
		}
		return srv.Serve(ctx, ln)
	}
	if host, _, err := net.SplitHostPort(*bind); err != nil || !bench.IsLoopback(host) {
		return fmt.Errorf("--bind %q: the demo server listens on loopback only", *bind)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	p := slotserver.Prefork{
		Addr: *bind, Workers: *workers, Exe: self, Stderr: stderr, Env: os.Environ(),
		Args: []string{
			"demo-server",
			"-worker",
			"-threads",
			strconv.Itoa(*threads),
			"-sleep",
			sleep.String(),
			"-event-loop=" + strconv.FormatBool(*eventLoop),
			"-cpu",
			cpu.String(),
		},
	}
	return p.Run(ctx)
}
