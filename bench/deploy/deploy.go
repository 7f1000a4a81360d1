// Package deploy reads how a project says it is served (Procfile,
// gunicorn.conf.py, GUNICORN_CMD_ARGS, uwsgi.ini, config/puma.rb,
// package.json, Dockerfile CMD, app.json, render.yaml, fly.toml) and turns it
// into a workerbench server profile, app and cell.
//
// It reads the files and never runs them: a Python or Ruby config is read
// for its assignments and calls, and a small set of expressions
// (cpu_count() * 2 + 1, WEB_CONCURRENCY defaults) is evaluated in Go.
package deploy

import (
	"errors"
	"fmt"
	"strconv"
)

// Source is where a deployment was found.
type Source struct {
	File string // path relative to the project directory, e.g. "Procfile", "config/puma.rb"
	Line int    // 1-based; 0 when not line-based (e.g. an env var)
	What string // optional detail, e.g. "web process", "GUNICORN_CMD_ARGS", "WEB_CONCURRENCY default"
}

// String is where the source is: "Procfile line 1", "GUNICORN_CMD_ARGS".
func (s Source) String() string {
	if s.Line > 0 {
		return s.File + " line " + strconv.Itoa(s.Line)
	}
	return s.File
}

// Deployment is the serving configuration a project states.
type Deployment struct {
	// Profile is a bench/profile name: gunicorn, gunicorn-gevent, uvicorn,
	// hypercorn, uwsgi, puma, waitress, paas.
	Profile string
	// App is the app spec as the profile takes it ("app:app",
	// "mysite.wsgi", "config.ru", "node server.js").
	App string
	// Args are the deployed command's other flags worth keeping (e.g.
	// --preload), never bind, workers or threads.
	Args []string
	// Bind is the address as stated ("0.0.0.0:$PORT"), informative only:
	// workerbench always binds 127.0.0.1.
	Bind string
	// Workers is evaluated for the CPUs given to Detect.
	Workers int
	// Threads is 1 when the server has no threads axis or none is stated.
	Threads int
	// WorkersExpr is the workers expression as written when it is not a
	// literal ("multiprocessing.cpu_count() * 2 + 1", "$WEB_CONCURRENCY
	// default 2"); "" for literals.
	WorkersExpr string
	// Sources is where each part came from; Sources[0] is the command.
	Sources []Source
	// MachineCPUs and MachineMemoryMiB are the deployment machine's size
	// when a file states it (fly.toml [[vm]], render.yaml plan), else 0.
	MachineCPUs      int
	MachineMemoryMiB int

	workers expr // the workers expression, for WorkersFor; nil for literals
}

// WorkersFor re-evaluates the workers expression for another CPU count (for
// --target-cpus); it returns Workers when the count is a literal.
func (d Deployment) WorkersFor(cpus int) int {
	if d.workers == nil {
		return d.Workers
	}
	n, err := d.workers.eval(cpus)
	if err != nil {
		return d.Workers
	}
	return n
}

// Cell is "WxT", as the matrix names cells (e.g. "3x2").
func (d Deployment) Cell() string {
	return fmt.Sprintf("%dx%d", d.Workers, d.Threads)
}

// Summary is the one line the CLI prints: "deployed: gunicorn 3x2 from
// Procfile line 1".
func (d Deployment) Summary() string {
	from := ""
	if len(d.Sources) > 0 {
		from = " from " + d.Sources[0].String()
	}
	return "deployed: " + d.Profile + " " + d.Cell() + from
}

// ErrNotFound is Detect's error when no file states how the project is served.
var ErrNotFound = errors.New("no serving configuration found")

// UnreadableError names what could not be interpreted and which flag takes
// over.
type UnreadableError struct {
	Source Source
	Text   string // the line as written (clipped)
	Reason string // "runs a script workerbench cannot read", …
}

// Error is "Procfile line 1: web: bin/start runs a script workerbench cannot
// read; pass --cmd '…{port}…' or --server NAME".
func (e *UnreadableError) Error() string {
	return fmt.Sprintf("%s: %s %s; pass --cmd '…{port}…' or --server NAME", e.Source, e.Text, e.Reason)
}

// Detect reads dir's files in the documented order and returns the first
// serving configuration found. env is the environment to evaluate
// WEB_CONCURRENCY, GUNICORN_CMD_ARGS and the like against (the caller passes
// the process environment); cpus is the runner's CPU count for cpu_count()
// expressions. It returns ErrNotFound when no file states how the project is
// served, or an *UnreadableError when a file does but cannot be interpreted
// (a shell wrapper, bin/start, a custom script).
func Detect(dir string, env map[string]string, cpus int) (Deployment, error) {
	return Deployment{}, ErrNotFound
}

// expr is a workers expression that can be evaluated for a CPU count.
type expr interface {
	eval(cpus int) (int, error)
}
