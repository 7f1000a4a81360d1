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
	"github.com/workerbench/workerbench/bench/slotserver"
	flaskapp "github.com/workerbench/workerbench/examples/flask"
)

// demoSleepMS is the demo endpoint's service time: long enough that waves
// of requests are plain to see, short enough that the demo takes a minute.
const demoSleepMS = 100

func demoCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "also write results.json, summary.md and charts to `DIR`")
	builtin := fs.Bool(
		"builtin",
		false,
		"use the built-in prefork server even when gunicorn is installed",
	)
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo takes no arguments, got %q", pos[0])
	}

	cfg := bench.DefaultConfig()
	cfg.Matrix, _ = bench.ParseMatrix("1x1,1x3,3x1,3x3", 0)
	cfg.Endpoints = []bench.Endpoint{{Path: fmt.Sprintf("/?ms=%d", demoSleepMS)}}
	cfg.Health = "/health"
	cfg.Duration = 3 * time.Second
	cfg.Bursts = []int{5, 20}

	dir, err := os.MkdirTemp("", "workerbench-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfg.Dir = dir

	gunicorn, why := findGunicorn()
	switch {
	case *builtin:
		why = "--builtin given"
		fallthrough
	case gunicorn == "":
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find own executable for the built-in server: %w", err)
		}
		fmt.Fprintf(
			stderr,
			"gunicorn not used (%s): running the same matrix against workerbench's built-in prefork server (%d ms sleep, exactly workers × threads slots).\n"+
				"Install gunicorn and Flask (apt-get install gunicorn python3-flask) to run the seed on the real thing.\n\n",
			why,
			demoSleepMS,
		)
		cfg.Command = quoteArg(
			self,
		) + " demo-server --bind {bind} --workers {workers} --threads {threads}"
	default:
		if err := os.WriteFile(filepath.Join(dir, "app.py"), flaskapp.App, 0o644); err != nil {
			return err
		}
		// --worker-connections {threads}: gthread workers otherwise accept
		// up to 1000 connections each while their threads are busy, and a
		// burst piles onto one worker (see DESIGN.md).
		cfg.Command = quoteArg(
			gunicorn,
		) + " --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} app:app"
		fmt.Fprintf(
			stderr,
			"The seed experiment on gunicorn + Flask: a handler that sleeps %d ms, four configurations, bursts of 5 and 20 requests.\n\n",
			demoSleepMS,
		)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return measure(ctx, &cfg, *out, *quiet, stdout, stderr)
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
