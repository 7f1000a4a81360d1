// Package profile knows the web servers people run: how to start each one
// with a given number of workers and threads on a given port, how it serves
// concurrent requests (its concurrency model), which language runtime runs
// the app (and so what threads can and cannot do), and which axes of the
// workers × threads matrix it has. A command template given by the user is
// classified by the same rules, from its program and placeholders.
package profile

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Model is how a server serves concurrent requests.
type Model string

const (
	// Slots: at most workers × threads requests are in service at once
	// (gunicorn sync and gthread, uWSGI, puma, waitress); a request that
	// waits holds its slot. Achieved concurrency is measured against them.
	Slots Model = "slots"
	// EventLoop: each worker process runs an event loop, and a request
	// that waits holds no slot (uvicorn, hypercorn, gunicorn with gevent,
	// Node), so concurrency on a waiting handler grows with the connections
	// until the CPU or the loop saturates. There is no slot to measure
	// against: the connection count is swept instead.
	EventLoop Model = "event-loop"
)

// Runtime is the language runtime that runs the app, which decides what
// threads do for a handler that computes.
type Runtime string

const (
	// CPython runs one thread of Python at a time (the GIL): threads add
	// concurrency to a handler that waits, not parallelism.
	CPython Runtime = "cpython"
	// Ruby (MRI) runs one thread of Ruby at a time (the GVL): likewise.
	Ruby Runtime = "ruby"
	// Node runs JavaScript on one thread per process.
	Node Runtime = "node"
	// Unknown is a runtime workerbench cannot tell from the command.
	Unknown Runtime = ""
)

// Note is a sentence about the runtime for a CPU-bound handler: why threads
// do or do not add throughput.
func (r Runtime) Note() string {
	switch r {
	case CPython:
		return "Python threads add none because of the GIL; worker processes add up to the core count"
	case Ruby:
		return "Ruby threads add none because of the GVL; worker processes add up to the core count"
	case Node:
		return "a Node process computes on one thread; worker processes add up to the core count"
	default:
		return "only parallel processes or threads can add to it, up to the core count"
	}
}

// Axes are the matrix axes a server command has: whether its workers and
// its threads can be set.
type Axes struct {
	Workers, Threads bool
}

// Profile is a server workerbench knows how to start.
type Profile struct {
	Name    string
	Summary string // one line for --help and errors
	Model   Model
	Runtime Runtime
	Axes    Axes
	// App says what --app names for this server, and its default.
	App, DefaultApp string
	// Matrix is the default matrix for this server's axes.
	Matrix string

	// programs are the ways to start the server, tried in order (see
	// Resolve); argv follows the program: {app} for the app, and the
	// placeholders of a command template. one, when set, is argv for one
	// worker (puma's single mode). env is extra environment, with
	// placeholders. install says how to get the server.
	programs  [][]string
	argv, one []string
	env       []string
	install   string
}

// Command is what a profile starts for an app: the command template (the
// placeholders of bench's templates), its variant for one worker ("" when
// there is none), and extra environment entries with placeholders.
type Command struct {
	Template    string
	OneWorker   string
	Environment []string
}

// Finder tells how a server can be started here: Look finds a program as
// exec.LookPath does, Imports reports whether a Python interpreter can
// import a module. Tests fake both.
type Finder struct {
	Look    func(program string) (string, error)
	Imports func(python, module string) bool
}

// Resolve returns the command that starts app (the profile's default when
// empty) with the first way to start the server that f finds: the server's
// own program on PATH, else python3 -m on a Python that has the module
// (Debian's uvicorn has no program of its own, and the python3 on PATH may
// not be the one the packages installed into). Its error says how to
// install the server.
//
// args are more of the server's flags (a deployment's --preload), put
// before the app, or before the flag that takes it (uWSGI's --module); a
// profile whose app is the command (paas) takes them after it.
func (p Profile) Resolve(app string, f Finder, args ...string) (Command, error) {
	if app == "" {
		app = p.DefaultApp
	}
	if app == "" {
		return Command{}, fmt.Errorf("server %s needs --app: %s", p.Name, p.App)
	}
	prog, err := p.program(f)
	if err != nil {
		return Command{}, err
	}
	join := func(argv []string) string {
		if argv == nil {
			return ""
		}
		argv = withArgs(argv, args)
		words := make([]string, 0, len(prog)+len(argv))
		for _, w := range prog {
			words = append(words, quote(w))
		}
		for _, a := range argv {
			if a == "{app}" {
				// The app is one word of the command, or for paas the
				// command itself, as the user wrote it.
				words = append(words, app)
				continue
			}
			words = append(words, quote(a))
		}
		return strings.Join(words, " ")
	}
	return Command{
		Template:    join(p.argv),
		OneWorker:   join(p.one),
		Environment: slices.Clone(p.env),
	}, nil
}

// withArgs is argv with args before its {app}, or before the flag that
// takes it, or after it when it is the command.
func withArgs(argv, args []string) []string {
	i := slices.Index(argv, "{app}")
	switch {
	case len(args) == 0 || i < 0:
		return argv
	case i == 0:
		i = 1
	case strings.HasPrefix(argv[i-1], "-"):
		i--
	}
	return slices.Concat(argv[:i], args, argv[i:])
}

// program is the first of the profile's ways to start it that f finds.
func (p Profile) program(f Finder) ([]string, error) {
	if len(p.programs) == 0 {
		return nil, nil
	}
	for _, prog := range p.programs {
		if _, err := f.Look(prog[0]); err != nil {
			continue
		}
		if len(prog) == 3 && prog[1] == "-m" && !f.Imports(prog[0], prog[2]) {
			continue
		}
		return prog, nil
	}
	return nil, fmt.Errorf(
		"server %s: %s is not installed here (%s)",
		p.Name,
		p.programs[0][0],
		p.install,
	)
}

// MissingAxis is the error for a matrix that asks p for value on an axis
// it does not have ("workers" or "threads"), first in cell (e.g. "2x4").
func (p Profile) MissingAxis(axis string, value int, cell string) error {
	want := "1xT"
	if axis == "threads" {
		want = "Wx1"
	}
	hint := ""
	if p.Name == "paas" && axis == "threads" {
		hint = ", or give the server its threads through its environment, e.g. --env RAILS_MAX_THREADS={threads}"
	}
	return fmt.Errorf(
		"server %s has no %s to set (%s), but the matrix asks for %s %d (cell %s): give cells %s, like its default matrix %s%s",
		p.Name, axis, p.Summary, axis, value, cell, want, p.Matrix, hint,
	)
}

// quote quotes a word for a command template when it needs it.
func quote(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\n'\"\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// profiles are the servers workerbench knows, in the order help lists them.
var profiles = []Profile{
	{
		Name: "gunicorn", Summary: "gunicorn with sync or gthread workers (WSGI: Flask, Django)",
		Model: Slots, Runtime: CPython, Axes: Axes{Workers: true, Threads: true},
		App: "a WSGI app as module:callable", DefaultApp: "app:app", Matrix: "1x1,1x3,3x1,3x3",
		// --worker-connections equal to --threads: gthread workers
		// otherwise accept up to 1000 connections each and queue requests
		// behind busy threads while other workers idle.
		programs: python("gunicorn"), install: "apt-get install gunicorn, or pip install gunicorn",
		argv: []string{"--bind", "{bind}", "--workers", "{workers}", "--threads", "{threads}",
			"--worker-connections", "{threads}", "{app}"},
	},
	{
		Name: "gunicorn-gevent", Summary: "gunicorn with gevent workers: an event loop per worker (WSGI)",
		Model: EventLoop, Runtime: CPython, Axes: Axes{Workers: true},
		App: "a WSGI app as module:callable", DefaultApp: "app:app", Matrix: "1x1,2x1,4x1",
		programs: python(
			"gunicorn",
		), install: "apt-get install gunicorn python3-gevent, or pip install gunicorn gevent",
		argv: []string{
			"--bind",
			"{bind}",
			"--workers",
			"{workers}",
			"--worker-class",
			"gevent",
			"{app}",
		},
	},
	{
		Name: "uvicorn", Summary: "uvicorn: an asyncio event loop per worker (ASGI: Starlette, FastAPI)",
		Model: EventLoop, Runtime: CPython, Axes: Axes{Workers: true},
		App: "an ASGI app as module:attribute", DefaultApp: "app:app", Matrix: "1x1,2x1,4x1",
		programs: python(
			"uvicorn",
		), install: "apt-get install python3-uvicorn, or pip install uvicorn",
		argv: []string{"--host", "{host}", "--port", "{port}", "--workers", "{workers}", "{app}"},
	},
	{
		Name: "hypercorn", Summary: "hypercorn: an asyncio event loop per worker (ASGI)",
		Model: EventLoop, Runtime: CPython, Axes: Axes{Workers: true},
		App: "an ASGI app as module:attribute", DefaultApp: "app:app", Matrix: "1x1,2x1,4x1",
		programs: python(
			"hypercorn",
		), install: "apt-get install python3-hypercorn, or pip install hypercorn",
		argv: []string{"--bind", "{bind}", "--workers", "{workers}", "{app}"},
	},
	{
		Name: "uwsgi", Summary: "uWSGI processes × threads (WSGI), master, dies on SIGTERM, refuses to start without the app",
		Model: Slots, Runtime: CPython, Axes: Axes{Workers: true, Threads: true},
		App: "a WSGI app as module:callable", DefaultApp: "app:app", Matrix: "1x1,1x3,3x1,3x3",
		// Debian's uwsgi loads Python as a plugin; uwsgi_python3 has it.
		programs: [][]string{{"uwsgi_python3"}, {"uwsgi"}},
		install:  "apt-get install uwsgi uwsgi-plugin-python3, or pip install uwsgi",
		argv: []string{
			"--http-socket",
			"{bind}",
			"--master",
			"--die-on-term",
			"--enable-threads",
			"--need-app",
			"--processes",
			"{workers}",
			"--threads",
			"{threads}",
			"--module",
			"{app}",
		},
	},
	{
		Name: "puma", Summary: "puma workers × threads (Rack: Rails, Sinatra); single mode for one worker",
		Model: Slots, Runtime: Ruby, Axes: Axes{Workers: true, Threads: true},
		App: "a rackup file", DefaultApp: "config.ru", Matrix: "1x1,1x3,3x1,3x3",
		programs: [][]string{{"puma"}}, install: "apt-get install puma, or gem install puma",
		argv: []string{
			"-b",
			"tcp://{bind}",
			"-w",
			"{workers}",
			"-t",
			"{threads}:{threads}",
			"{app}",
		},
		// -w 1 is cluster mode: a master plus one worker, more memory for
		// nothing; -w 0 is single mode.
		one: []string{"-b", "tcp://{bind}", "-w", "0", "-t", "{threads}:{threads}", "{app}"},
	},
	{
		Name: "waitress", Summary: "waitress: one process, a pool of threads (WSGI)",
		Model: Slots, Runtime: CPython, Axes: Axes{Threads: true},
		App: "a WSGI app as module:callable", DefaultApp: "app:app", Matrix: "1x1,1x4,1x8",
		programs: [][]string{
			{"waitress-serve"},
			{"python3", "-m", "waitress"},
			{"/usr/bin/python3", "-m", "waitress"},
		},
		install: "apt-get install python3-waitress, or pip install waitress",
		argv:    []string{"--listen", "{bind}", "--threads", "{threads}", "{app}"},
	},
	{
		Name: "paas", Summary: "a command that reads PORT and WEB_CONCURRENCY, as on Heroku-like platforms (Node cluster apps, many Rails and Python setups)",
		Model: "", Runtime: Unknown, Axes: Axes{Workers: true},
		App: "the command to run, e.g. \"node server.js\"", Matrix: "1x1,2x1,4x1",
		argv: []string{"{app}"},
		env:  []string{"PORT={port}", "HOST={host}", "WEB_CONCURRENCY={workers}"},
	},
}

// python is the ways to start a Python server: its program, else python3
// -m on PATH, else Debian's python3.
func python(module string) [][]string {
	return [][]string{{module}, {"python3", "-m", module}, {"/usr/bin/python3", "-m", module}}
}

// Names lists the known profiles.
func Names() []string {
	out := make([]string, len(profiles))
	for i, p := range profiles {
		out[i] = p.Name
	}
	return out
}

// Lookup returns the profile called name.
func Lookup(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf(
		"server %q is not one workerbench knows: use one of %s, or --cmd for any other command",
		name,
		strings.Join(Names(), ", "),
	)
}

// Classify tells the model and runtime of a command template by its program
// and arguments, for --cmd and the paas profile: event-loop servers by name
// (uvicorn, hypercorn, daphne, node, gevent and eventlet workers), the
// runtime by interpreter or server. A template it does not recognise is a
// slots server of unknown runtime.
func Classify(argv []string) (Model, Runtime) {
	model, runtime := Slots, Unknown
	for i, a := range argv {
		word := strings.ToLower(filepath.Base(a))
		if i > 0 && !strings.Contains(a, "/") {
			word = strings.ToLower(a)
		}
		switch {
		case word == "uvicorn", word == "hypercorn", word == "daphne", word == "granian",
			strings.Contains(word, "gevent"), strings.Contains(word, "eventlet"), strings.Contains(word, "uvicornworker"):
			model = EventLoop
			runtime = CPython
		case word == "node", word == "nodejs", word == "bun", word == "deno":
			model, runtime = EventLoop, Node
		case (word == "--event-loop" || word == "-event-loop") && slices.Contains(argv, "demo-server"):
			model = EventLoop // workerbench's own demo server in event-loop mode
		case word == "gunicorn", word == "uwsgi", word == "uwsgi_python3", word == "waitress-serve",
			strings.HasPrefix(word, "python"):
			if runtime == Unknown {
				runtime = CPython
			}
		case word == "puma",
			word == "ruby",
			word == "rails",
			word == "bundle",
			word == "unicorn",
			word == "rackup":
			runtime = Ruby
		}
	}
	return model, runtime
}

// GreedyAccept reports whether command argv, for a cell of threads
// threads, lets a gunicorn gthread worker accept more connections than it
// has threads: --worker-connections is missing (it defaults to 1000) or
// above threads. Such a worker queues requests behind busy threads while
// another idles. The gunicorn profile sets it to {threads}; no other
// server accepts that way.
func GreedyAccept(argv []string, threads int) bool {
	gunicorn := false
	limit := 1000
	for i, a := range argv {
		word := strings.ToLower(filepath.Base(a))
		if word == "gunicorn" || (word == "-m" || a == "-m") && i+1 < len(argv) && argv[i+1] == "gunicorn" {
			gunicorn = true
		}
		v, ok := strings.CutPrefix(a, "--worker-connections=")
		if !ok && a == "--worker-connections" && i+1 < len(argv) {
			v, ok = argv[i+1], true
		}
		if ok {
			limit = threads // {threads}, or what cannot be read: assume no excess
			if n, err := strconv.Atoi(v); err == nil {
				limit = n
			}
		}
	}
	return gunicorn && threads > 1 && limit > threads
}
