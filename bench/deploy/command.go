package deploy

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
)

// build is a deployment being read from a command: the project, the
// environment the command runs with, and the settings found so far.
type build struct {
	p                *project
	env              environ
	cmd              command
	d                Deployment
	workers, threads setting
	// floor is the fewest workers the server runs: puma's 0 workers is
	// single mode, one process.
	floor int
}

// unreadable is the error for the build's command.
func (b *build) unreadable(reason string, args ...any) error {
	return &UnreadableError{Source: b.cmd.src, Text: b.cmd.text, Reason: fmt.Sprintf(reason, args...)}
}

// run reads a command: environment assignments and wrappers (exec, env,
// bundle exec, python -m, sh -c, npm start) first, then the server.
func (b *build) run(depth int) (Deployment, error) {
	argv := b.cmd.argv
	if depth > 4 {
		return Deployment{}, b.unreadable("runs scripts that run each other, which workerbench does not follow")
	}
	for len(argv) > 0 {
		prog := path.Base(argv[0])
		if k, v, ok := strings.Cut(argv[0], "="); ok && validName(k) {
			b.env = b.env.with(map[string]string{k: v}, Source{File: b.cmd.src.File, Line: b.cmd.src.Line, What: k})
			argv = argv[1:]
			continue
		}
		switch {
		case prog == "exec" || prog == "env" && len(argv) > 1 || prog == "tini" || prog == "dumb-init":
			argv = argv[1:]
			if len(argv) > 0 && argv[0] == "--" {
				argv = argv[1:]
			}
			continue
		case len(argv) > 2 && (prog == "bundle" && argv[1] == "exec" ||
			(prog == "poetry" || prog == "pipenv" || prog == "uv" || prog == "pdm" || prog == "hatch") && argv[1] == "run"):
			argv = argv[2:]
			continue
		case strings.HasPrefix(prog, "python") && len(argv) > 2 && argv[1] == "-m":
			argv = argv[2:]
			continue
		}
		break
	}
	if len(argv) == 0 {
		return Deployment{}, b.unreadable("has no command")
	}
	prog := path.Base(argv[0])
	args := argv[1:]
	switch prog {
	case "gunicorn":
		return b.gunicorn(args)
	case "uvicorn":
		return b.uvicorn(args)
	case "hypercorn":
		return b.hypercorn(args)
	case "waitress-serve":
		return b.waitress(args)
	case "uwsgi", "uwsgi_python3":
		return b.uwsgi(args)
	case "puma":
		return b.puma(args)
	case "node", "nodejs":
		return b.node(argv)
	case "npm", "yarn", "pnpm":
		return b.npm(prog, args, depth)
	case "sh", "bash", "dash":
		if len(args) == 2 && args[0] == "-c" {
			inner, err := b.p.shellCommand(args[1], b.cmd.src, b.cmd.text)
			if err != nil {
				return Deployment{}, err
			}
			b.cmd.argv, b.cmd.shell = inner.argv, true
			return b.run(depth + 1)
		}
		return Deployment{}, b.unreadable("runs a script workerbench cannot read")
	}
	if strings.Contains(argv[0], "/") || strings.HasSuffix(prog, ".sh") || strings.HasPrefix(prog, "python") ||
		prog == "ruby" || prog == "rake" {
		return Deployment{}, b.unreadable("runs a script workerbench cannot read")
	}
	return Deployment{}, b.unreadable("runs %s, a server workerbench has no profile for", prog)
}

// number is a flag's whole number as a setting.
func (b *build) number(word, flag string) (setting, error) {
	var used []string
	x, text, err := expandNumber(word, b.env, b.cmd.shell, &used)
	if err != nil {
		return setting{}, b.unreadable("sets %s to %s", flag, err)
	}
	return setting{x: x, text: text, src: b.cmd.src, used: used}, nil
}

// finish evaluates workers and threads for the project's CPUs and records
// where everything came from.
func (b *build) finish() (Deployment, error) {
	d := b.d
	d.Sources = append([]Source{b.cmd.src}, d.Sources...)
	count := func(s setting, axis string, floor int) (int, error) {
		if s.x == nil {
			return 1, nil
		}
		v, err := s.x.eval(b.p.cpus)
		n := 0
		if err == nil {
			n, err = v.integer()
		}
		what := s.text
		switch path.Ext(s.src.File) {
		case ".py", ".ini":
			what = s.src.What + " = " + s.text
		case ".rb":
			what = s.src.What + " " + s.text
		}
		if s.src == b.cmd.src {
			what = b.cmd.text
		}
		if err != nil {
			return 0, &UnreadableError{Source: s.src, Text: clip(what), Reason: "cannot be evaluated: " + err.Error()}
		}
		if n < floor {
			n = floor
		}
		if n < 1 || n > 4096 {
			return 0, &UnreadableError{Source: s.src, Text: clip(what), Reason: fmt.Sprintf("gives %d %s", n, axis)}
		}
		if s.src != b.cmd.src && !containsSource(d.Sources, s.src) {
			d.Sources = append(d.Sources, s.src)
		}
		return n, nil
	}
	var err error
	if d.Workers, err = count(b.workers, "workers", b.floor); err != nil {
		return Deployment{}, err
	}
	if d.Threads, err = count(b.threads, "threads", 0); err != nil {
		return Deployment{}, err
	}
	if _, lit := b.workers.x.(literal); !lit && b.workers.x != nil || !isInt(b.workers.text) {
		d.WorkersExpr = b.workers.text
		d.workers = b.workers.x
		if b.floor > 0 {
			d.workers = call{fn: "max", args: []node{b.workers.x, literal(num(float64(b.floor)))}}
		}
	}
	for _, src := range b.env.sources(append(b.workers.used, b.threads.used...)) {
		if !containsSource(d.Sources, src) {
			d.Sources = append(d.Sources, src)
		}
	}
	for k, v := range b.env {
		switch k {
		case "PORT", "HOST", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS":
			continue
		}
		if v.src.File != "" {
			d.Env = append(d.Env, k+"="+v.value)
		}
	}
	slices.Sort(d.Env)
	if b.p.machineSrc != (Source{}) {
		d.MachineCPUs, d.MachineMemoryMiB = b.p.machineCPUs, b.p.machineMiB
		d.Sources = append(d.Sources, b.p.machineSrc)
	}
	return d, nil
}

func isInt(s string) bool {
	_, err := strconv.Atoi(strings.TrimSpace(s))
	return err == nil || s == ""
}
