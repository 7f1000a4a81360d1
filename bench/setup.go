package bench

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/workerbench/workerbench/bench/deps"
	"github.com/workerbench/workerbench/bench/internal/proctree"
	"github.com/workerbench/workerbench/bench/internal/server"
	"github.com/workerbench/workerbench/bench/results"
)

// SetupError is a setup command that failed on one side. Nothing was
// measured and no server was started.
type SetupError struct {
	Side string // "base" or "head"
	Dir  string
	Err  error
	// Excerpt holds the lines of its output that say what went wrong
	// (server.Excerpt), else its last lines; Log is where all of it is.
	Excerpt []string
	Log     string
}

func (e *SetupError) Error() string {
	msg := fmt.Sprintf("setup failed on %s (in %s): %v", e.Side, e.Dir, e.Err)
	if n := len(e.Excerpt); n > 0 {
		msg += ": " + e.Excerpt[n-1]
	}
	return msg
}

func (e *SetupError) Unwrap() error { return e.Err }

// sideOf names the side a server of label runs for: label in a
// comparison, head in a run.
func sideOf(label string) string {
	if label == "" {
		return "head"
	}
	return label
}

// checkSetup checks a setup command: a cell's placeholders have no value
// there. Anything else in braces is the shell's (${HOME}, {a,b}).
func checkSetup(setup string) error {
	for _, p := range cellPlaceholders {
		if strings.Contains(setup, p) {
			return fmt.Errorf(
				"setup %q uses %s, which has no value there: setup runs once per side before any cell; its one placeholder is {side}",
				setup, p)
		}
	}
	return nil
}

// setupSide is a side of a run to set up: its name, directory and extra
// environment.
type setupSide struct {
	name, dir string
	env       []string
}

// runSetup runs the setup command in each side's directory at once and
// records it in res. A directory shared by two sides is set up once. It
// returns a *SetupError for the first side that failed (base's when both
// did), after every side has finished: a failed side's log is kept.
func (r *Runner) runSetup(ctx context.Context, res *results.Run, logs *logs, sides []setupSide) error {
	cmd := r.Config.Setup
	if cmd == "" {
		return nil
	}
	res.Setup = &results.Setup{Command: cmd}
	type outcome struct {
		took  time.Duration
		err   error
		lines []string // what it says, printed once every side is done
	}
	out := make([]outcome, len(sides))
	var wg sync.WaitGroup
	for i, s := range sides {
		if j := slices.IndexFunc(sides[:i], func(o setupSide) bool { return sameDir(o.dir, s.dir) }); j >= 0 {
			r.progress("setup (%s): the same directory as %s's: set up once", s.name, sides[j].name)
			continue
		}
		dir := s.dir
		if dir == "" {
			dir = "."
		}
		r.progress("setup (%s): sh -c %q in %s", s.name, cmd, dir)
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &out[i]
			say := func(format string, a ...any) { o.lines = append(o.lines, fmt.Sprintf(format, a...)) }
			start := time.Now()
			o.err = r.setUp(ctx, s, logs, say)
			o.took = time.Since(start)
		}()
	}
	wg.Wait()
	for _, o := range out {
		for _, l := range o.lines {
			r.progress("%s", l)
		}
		if se, ok := o.err.(*SetupError); ok {
			se.Log = logs.ref(se.Log, true) // keeps a temporary log: it says why
		}
	}
	for i, s := range sides {
		took := out[i].took
		if j := slices.IndexFunc(sides[:i], func(o setupSide) bool { return sameDir(o.dir, s.dir) }); j >= 0 {
			took = out[j].took
		}
		if s.name == "base" {
			res.Setup.WallTime.BaseS = took.Seconds()
		} else {
			res.Setup.WallTime.HeadS = took.Seconds()
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for _, o := range out {
		if o.err != nil {
			return o.err
		}
	}
	return nil
}

// setUp runs the setup command for one side and waits for it, telling say
// how it went. Whatever it leaves running (a daemon it started) is stopped
// with the rest of its process group: a side's services must outlive no
// run.
func (r *Runner) setUp(ctx context.Context, s setupSide, logs *logs, say func(string, ...any)) error {
	cfg := r.Config
	v := vars{side: s.name}
	env := slices.Concat(ServerEnviron(os.Environ()),
		v.expand(setupEnv(cfg.environ())), v.expand(setupEnv(s.env)))
	log := logs.path("setup-" + s.name + ".log")
	dir := s.dir
	if dir == "" {
		dir = "."
	}
	start := time.Now()
	p, err := server.Start(server.Spec{
		Argv: []string{"sh", "-c", v.expand([]string{cfg.Setup})[0]}, Dir: s.dir, Env: env, LogPath: log,
	})
	if err != nil {
		return &SetupError{Side: s.name, Dir: dir, Err: err, Log: log}
	}
	select {
	case <-p.Done():
	case <-ctx.Done():
	}
	left, _ := proctree.Pids(p.Pgid())
	excerpt := p.LogExcerpt(excerptLines)
	st, stopErr := p.Stop(cfg.Grace)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if n := len(left) + len(st.Escaped); n > 0 {
		say("setup (%s): warning: it left %d process(es) running, now stopped: "+
			"start services before workerbench (a step of their own, or the job's services:)",
			s.name, n)
	}
	if stopErr != nil {
		say("setup (%s): warning: %v", s.name, stopErr)
	}
	if err := p.ExitErr(); err != nil {
		se := &SetupError{Side: s.name, Dir: dir, Err: err, Excerpt: excerpt, Log: log}
		say("setup (%s): FAILED after %s: %v", s.name, time.Since(start).Round(100*time.Millisecond), err)
		for _, l := range excerpt {
			say("      | %s", l)
		}
		say("      log: %s", log)
		return se
	}
	say("setup (%s): done in %s", s.name, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// setupEnv keeps the entries of env that a setup can have: those that use
// no cell placeholder (PORT={port} has no value before a cell).
func setupEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(e string) bool {
		return slices.ContainsFunc(cellPlaceholders, func(p string) bool { return strings.Contains(e, p) })
	})
}

// sameDir reports whether a and b name one directory.
func sameDir(a, b string) bool {
	abs := func(p string) string {
		if p == "" {
			p = "."
		}
		q, err := filepath.Abs(p)
		if err != nil {
			return p
		}
		if r, err := filepath.EvalSymlinks(q); err == nil {
			return r
		}
		return q
	}
	return abs(a) == abs(b)
}

// dependencies compares the files that pin dependencies in base and head,
// and says at once when they differ.
func (a *AB) dependencies() *results.Dependencies {
	changed, err := deps.Changed(a.BaseDir, a.HeadDir)
	if err != nil {
		a.progress("warning: looking for dependency files: %v", err)
	}
	d := &results.Dependencies{Changed: changed, Setup: a.Config.Setup != ""}
	if d.Changed == nil {
		d.Changed = []string{}
	}
	switch {
	case len(changed) == 0:
	case d.Setup:
		a.progress("dependencies changed (%s): each side installs its own with --setup, "+
			"so the verdict includes the change", strings.Join(changed, ", "))
	default:
		a.progress("warning: dependencies changed (%s) but no --setup was given: both sides "+
			"run in this one environment, so the verdict does not include the change; give "+
			"--setup a command that installs each side's own (e.g. python3 -m venv .venv && "+
			".venv/bin/pip install -r requirements.txt)", strings.Join(changed, ", "))
	}
	return d
}

// sharedDatabases warns of each database base and head would both write:
// a database-looking variable of their environments (the job's, --env,
// --base-env and --head-env) with the same absolute file path or database
// URL on both sides. Each side's writes would change what the other
// measures, and a head's migration can break the base.
func (a *AB) sharedDatabases() []string {
	side := func(name string, env []string) map[string]string {
		m := map[string]string{}
		v := vars{side: name}
		all := slices.Concat(os.Environ(), v.expand(setupEnv(a.Config.Env)), v.expand(setupEnv(env)))
		for _, e := range all {
			if k, val, ok := strings.Cut(e, "="); ok {
				m[k] = val
			}
		}
		return m
	}
	base, head := side("base", a.BaseEnv), side("head", a.HeadEnv)
	var out []string
	for _, k := range slices.Sorted(maps.Keys(head)) {
		v := head[k]
		if !databaseKey(k) || base[k] != v || !sharedStore(v) {
			continue
		}
		out = append(out, fmt.Sprintf(
			"base and head both use %s=%s: one database written by both sides makes each "+
				"side's figures depend on the other's writes; give each side its own with "+
				"{side}, e.g. --env %s=%s", k, redact(v), k, redact(withSide(v))))
	}
	return out
}

// databaseKey reports whether an environment variable's name looks like
// one that names a database: DATABASE_URL, DB_PATH, SQLITE_FILE, PGDATABASE.
func databaseKey(k string) bool {
	for _, w := range strings.Split(strings.ToUpper(k), "_") {
		switch w {
		case "DATABASE", "DB", "SQLITE", "DSN", "POSTGRES", "POSTGRESQL", "PGDATABASE", "MYSQL",
			"MONGO", "MONGODB":
			return true
		}
	}
	return strings.Contains(strings.ToUpper(k), "DATABASE")
}

// sharedStore reports whether value names a database that two working
// directories share: an absolute file path, a SQLite URL with one
// (sqlite:////tmp/app.db), or a database server's URL. A relative path
// is each side's own.
func sharedStore(value string) bool {
	if filepath.IsAbs(value) {
		return true
	}
	u, err := url.Parse(value)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return false
	}
	if strings.Contains(u.Scheme, "sqlite") {
		return strings.HasPrefix(u.Path, "//") // sqlite:///rel.db is relative
	}
	return u.Host != "" || u.Path != ""
}

// withSide suggests value with _{side} before its file extension or at
// its end.
func withSide(value string) string {
	ext := path.Ext(value)
	if ext == "" || strings.ContainsAny(ext, "/?") {
		return value + "_{side}"
	}
	return strings.TrimSuffix(value, ext) + "_{side}" + ext
}

// redact hides the password of a database URL.
func redact(value string) string {
	if u, err := url.Parse(value); err == nil && u.User != nil {
		return strings.Replace(u.Redacted(), "%7Bside%7D", "{side}", -1)
	}
	return value
}
