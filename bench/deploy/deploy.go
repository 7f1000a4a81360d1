// Package deploy reads how a project says it is served (Procfile,
// gunicorn.conf.py, GUNICORN_CMD_ARGS, uwsgi.ini, config/puma.rb,
// package.json, Dockerfile CMD, app.json, render.yaml, fly.toml) and turns it
// into a workerbench server profile, app and cell.
//
// It reads files and never runs them: a Python or Ruby config is read for
// its top-level assignments and calls, and a small set of expressions (the
// CPU count, the environment with defaults, int/Integer/to_i, max/min,
// arithmetic) is evaluated in Go. What it cannot read is an
// *UnreadableError naming the file and line, never a guess.
//
// The start command is the first of:
//
//  1. the Procfile's web process;
//  2. fly.toml's [processes] (web, app, or the only one) or [experimental] cmd;
//  3. render.yaml's startCommand (the first web service);
//  4. the Dockerfile's ENTRYPOINT and CMD (its last stage; tini and
//     dumb-init are looked through, an entrypoint script is not);
//  5. package.json's scripts.start;
//  6. a server's own config file alone: gunicorn.conf.py (gunicorn),
//     uwsgi.ini (uwsgi --ini uwsgi.ini), config/puma.rb (puma).
//
// The command may start with VAR=value assignments, exec, env, tini,
// bundle exec, poetry/pipenv/uv/pdm/hatch run, python -m, sh -c with one
// plain command, npm/yarn/pnpm start or run NAME; anything else that is not
// a server (a script, shell logic, $(…)) is unreadable.
//
// The environment the command sees is, lowest first: the Dockerfile's ENV
// (when the command is the Dockerfile's or fly.toml's), app.json's env,
// render.yaml's envVars, fly.toml's [env], the process environment passed
// to Detect, then the command's own assignments.
//
// Each server's settings are layered as the server layers them:
//
//   - gunicorn: WEB_CONCURRENCY (else 1 worker), then gunicorn.conf.py (or
//     the file -c names), then GUNICORN_CMD_ARGS, then the command line;
//     threads default to 1. Worker class sync or gthread is the gunicorn
//     profile, gevent gunicorn-gevent, uvicorn.workers.UvicornWorker the
//     uvicorn profile (an asyncio loop per worker process, as uvicorn
//     --workers runs it); any other class is unreadable.
//   - uvicorn: --workers, else WEB_CONCURRENCY, else 1. hypercorn: -w, else 1.
//   - waitress-serve: one process, --threads, else 4.
//   - uwsgi: options in order, an --ini file's where it stands; %k is the
//     CPU count, $(NAME) the environment; processes and threads default to 1.
//   - puma: the command line over its config (-C, else config/puma/ENV.rb
//     or config/puma.rb) over WEB_CONCURRENCY (else 0) and PUMA_MAX_THREADS
//     or MAX_THREADS (else 5, puma 5 and 6 on MRI); threads is the maximum
//     of "threads min, max"; 0 workers is single mode, one process.
//   - node: the paas profile with the command as its app; workers from
//     WEB_CONCURRENCY when the script reads process.env.WEB_CONCURRENCY
//     (its default after || or ?? when unset: a number, os.cpus().length or
//     os.availableParallelism()), one process when it does not; a script
//     that forks a cluster by another count is unreadable.
//
// The machine size is the first a file states: fly.toml's [[vm]] (cpus,
// memory or a size preset), render.yaml's plan (fractional CPUs rounded up),
// app.json's web dyno size (memory only: Heroku states no CPU count).
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

// String is where the source is: "Procfile line 1", "fly.toml",
// "GUNICORN_CMD_ARGS in the environment" (What, when there is no file).
func (s Source) String() string {
	if s.File == "" {
		return s.What
	}
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
	// Workers is evaluated for the CPUs given to Detect; puma's single
	// mode (0 workers) is 1.
	Workers int
	// Threads is 1 when the server has no threads axis; when none is
	// stated it is the server's default (puma 5, waitress 4, else 1).
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
	// Env is what the project's files set in the server's environment
	// (Dockerfile ENV, app.json env, render.yaml envVars, fly.toml [env],
	// the command's own VAR=value), as sorted KEY=value entries; never the
	// process environment, and never PORT, HOST, WEB_CONCURRENCY or
	// GUNICORN_CMD_ARGS, which workerbench sets or the cell overrides.
	Env []string

	workers node // the workers expression, for WorkersFor; nil for literals
}

// WorkersFor re-evaluates the workers expression for another CPU count (for
// --target-cpus); it returns Workers when the count is a literal.
func (d Deployment) WorkersFor(cpus int) int {
	if d.workers == nil {
		return d.Workers
	}
	v, err := d.workers.eval(cpus)
	if err != nil {
		return d.Workers
	}
	n, err := v.integer()
	if err != nil || n < 1 {
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
	line := "deployed: " + d.Profile + " " + d.Cell()
	if len(d.Sources) > 0 {
		line += " from " + d.Sources[0].String()
	}
	for _, s := range d.Sources[1:] {
		if s.What == "via" { // the command that named this one: npm start
			line += " via " + s.String()
		}
	}
	if d.WorkersExpr != "" {
		line += ", workers = " + d.WorkersExpr
		for _, s := range d.Sources[1:] {
			if s.What == "workers" {
				line += " (" + s.String() + ")"
				break
			}
		}
	}
	return line
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
	p := &project{dir: dir, cpus: cpus}
	if err := p.platforms(env); err != nil {
		return Deployment{}, err
	}
	cmd, err := p.command()
	if err != nil || cmd == nil {
		if err == nil {
			err = ErrNotFound
		}
		return Deployment{}, err
	}
	b := &build{p: p, env: p.env, cmd: *cmd}
	if cmd.src.File == "Dockerfile" || cmd.src.File == "fly.toml" {
		// The command runs in the image, with its ENV under the platform's.
		_, _ = p.dockerfile() // only its ENV: a CMD it cannot read is not the command here
		b.env = p.dockerEnv.with(nil, Source{})
		for k, v := range p.env {
			b.env[k] = v
		}
	}
	return b.run(0)
}

// command is the project's start command: the first of the Procfile's web
// process, fly.toml's, render.yaml's, the Dockerfile's, package.json's
// start script; else what a server's own config file implies.
func (p *project) command() (*command, error) {
	if c, err := p.procfile(); c != nil || err != nil {
		return c, err
	}
	if len(p.platformCmds) > 0 {
		return &p.platformCmds[0], nil
	}
	if c, err := p.dockerfile(); c != nil || err != nil {
		return c, err
	}
	if c, err := p.packageScript("start"); c != nil || err != nil {
		return c, err
	}
	for _, implied := range []struct {
		file string
		argv []string
	}{
		{"gunicorn.conf.py", []string{"gunicorn"}},
		{"uwsgi.ini", []string{"uwsgi", "--ini", "uwsgi.ini"}},
		{"config/puma.rb", []string{"puma"}},
	} {
		if p.exists(implied.file) {
			src := Source{File: implied.file, What: "server config"}
			return &command{argv: implied.argv, src: src, text: implied.file}, nil
		}
	}
	return nil, nil
}
