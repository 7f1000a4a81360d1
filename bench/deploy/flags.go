package deploy

import (
	"fmt"
	"strings"
)

// flagSpec is how a server's command line reads: short flags by their
// long name, the flags that take no value (any other flag takes one), and
// the flags worth keeping in Deployment.Args.
type flagSpec struct {
	short map[string]string
	bools map[string]bool
	keep  map[string]bool
}

// opt is one flag of a command line, by its long name.
type opt struct {
	name, value string
}

// parse splits argv (after the program) into flags and positional words.
func (s flagSpec) parse(argv []string) ([]opt, []string, error) {
	var opts []opt
	var pos []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			pos = append(pos, argv[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(name, "--") {
			// -w3 is -w 3; -w=3 is not a short flag's form, but take it.
			if len(name) > 2 && !hasVal {
				name, val, hasVal = a[:2], a[2:], true
			}
			long, ok := s.short[name]
			if !ok {
				return nil, nil, fmt.Errorf("flag %s is not one workerbench knows", name)
			}
			name = long
		}
		if s.bools[name] {
			opts = append(opts, opt{name: name, value: val})
			continue
		}
		if !hasVal {
			if i+1 >= len(argv) {
				return nil, nil, fmt.Errorf("flag %s has no value", name)
			}
			i++
			val = argv[i]
		}
		opts = append(opts, opt{name: name, value: val})
	}
	return opts, pos, nil
}

// kept is the flags of opts that spec keeps, as words.
func (s flagSpec) kept(opts []opt) []string {
	var out []string
	for _, o := range opts {
		if !s.keep[o.name] {
			continue
		}
		if s.bools[o.name] {
			out = append(out, o.name)
		} else {
			out = append(out, o.name, o.value)
		}
	}
	return out
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var (
	gunicornFlags = flagSpec{
		short: map[string]string{
			"-w": "--workers", "-b": "--bind", "-k": "--worker-class", "-c": "--config",
			"-t": "--timeout", "-D": "--daemon", "-e": "--env", "-p": "--pid", "-n": "--name",
			"-u": "--user", "-g": "--group", "-m": "--umask", "-R": "--enable-stdio-inheritance",
			"-v": "--version", "-h": "--help",
		},
		bools: set("--preload", "--reload", "--daemon", "--spew", "--check-config", "--print-config",
			"--capture-output", "--enable-stdio-inheritance", "--no-sendfile", "--reuse-port",
			"--proxy-protocol", "--initgroups", "--strip-header-spaces", "--log-syslog",
			"--permit-unconventional-http-method", "--permit-unconventional-http-version", "--casefold-http-method",
			"--disable-redirect-access-to-syslog", "--help", "--version"),
		keep: set("--preload", "--max-requests", "--max-requests-jitter", "--timeout", "--keep-alive",
			"--chdir", "--pythonpath", "--backlog"),
	}
	uvicornFlags = flagSpec{
		short: map[string]string{"-h": "--help"},
		bools: set("--reload", "--factory", "--access-log", "--no-access-log", "--use-colors",
			"--no-use-colors", "--proxy-headers", "--no-proxy-headers", "--server-header",
			"--no-server-header", "--date-header", "--no-date-header", "--version", "--help"),
		keep: set("--factory", "--app-dir", "--limit-concurrency", "--loop", "--http",
			"--timeout-keep-alive", "--backlog", "--interface"),
	}
	hypercornFlags = flagSpec{
		short: map[string]string{"-b": "--bind", "-w": "--workers", "-k": "--worker-class",
			"-c": "--config", "-h": "--help"},
		bools: set("--debug", "--reload", "--help", "--version"),
		keep:  set("--worker-class", "--keep-alive", "--backlog", "--root-path"),
	}
	waitressFlags = flagSpec{
		short: map[string]string{},
		bools: set("--call", "--ipv4", "--ipv6", "--no-ipv4", "--no-ipv6", "--expose-tracebacks",
			"--no-expose-tracebacks", "--help", "--trusted-proxy-headers"),
		keep: set("--call", "--connection-limit", "--channel-timeout", "--backlog", "--asyncore-use-poll"),
	}
	pumaFlags = flagSpec{
		short: map[string]string{"-b": "--bind", "-p": "--port", "-w": "--workers", "-t": "--threads",
			"-C": "--config", "-e": "--environment", "-q": "--quiet", "-v": "--log-requests",
			"-S": "--state", "-I": "--include", "-R": "--restart-cmd", "-s": "--silent",
			"-V": "--version", "-h": "--help"},
		bools: set("--preload", "--quiet", "--log-requests", "--debug", "--prune-bundler",
			"--redirect-append", "--early-hints", "--silent", "--version", "--help", "--fork-worker"),
		keep: set("--preload", "--fork-worker"),
	}
)

// uwsgiOpts splits a uWSGI command line: every option takes the next word
// unless that word is another option (uWSGI's flags also take "true").
func uwsgiOpts(argv []string) ([]opt, []string) {
	var opts []opt
	var pos []string
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if !strings.HasPrefix(a, "-") {
			pos = append(pos, a)
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !hasVal && i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
			i++
			val = argv[i]
		}
		opts = append(opts, opt{name: uwsgiName(name), value: val})
	}
	return opts, pos
}

// uwsgiName is an option's canonical name: uWSGI's short flags and
// aliases.
func uwsgiName(name string) string {
	switch name {
	case "p", "workers":
		return "processes"
	case "w", "wsgi":
		return "module"
	case "file":
		return "wsgi-file"
	case "M":
		return "master"
	case "s", "uwsgi-socket":
		return "socket"
	}
	return name
}
