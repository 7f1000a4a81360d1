package bench

// The server command of a Config: the one --server's profile builds or
// --cmd gives, its environment, concurrency model and runtime, and whether
// the matrix fits the axes the command has. What each server is and how
// it starts is package profile's; this is the glue that applies it to a
// Config.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/internal/server"
	"github.com/workerbench/workerbench/bench/profile"
)

// Model returns the server's concurrency model: its profile's, or told
// from the command (profile.Classify). Valid after Validate.
func (c *Config) Model() profile.Model { return c.model }

// Runtime returns the language runtime of the app, like Model.
func (c *Config) Runtime() profile.Runtime { return c.runtime }

// environ is the extra environment of the server: the profile's entries,
// then Env, which may override them (the last entry of a name wins).
func (c *Config) environ() []string { return slices.Concat(c.serverEnv, c.Env) }

// command parses the command the server runs, Command or the one Server's
// profile builds for App, and notes its model and runtime (and, from a
// profile, its environment).
func (c *Config) command() (Template, error) {
	c.serverEnv = nil
	if c.Server == "" {
		if c.App != "" {
			return Template{}, fmt.Errorf(
				"app %q is given without a server: --app says what --server starts; with --cmd the app is a word of the command",
				c.App,
			)
		}
		switch {
		case c.Command == "" && c.undetected != nil:
			return Template{}, c.undetected
		case c.Command == "" && c.searched != "":
			return Template{}, c.notDeployed()
		}
		t, err := ParseTemplate(c.Command)
		if err == nil {
			c.model, c.runtime = profile.Classify(t.argv)
		}
		return t, err
	}
	if c.Command != "" {
		return Template{}, fmt.Errorf(
			"--server %s and --cmd %q are both given: --server builds the command, --cmd is for any other server; give one of them (in a config file, server: or command:)",
			c.Server,
			c.Command,
		)
	}
	p, err := profile.Lookup(c.Server)
	if err != nil {
		return Template{}, err
	}
	find := c.find
	if find.Look == nil {
		find = localFinder(slices.Concat(ServerEnviron(os.Environ()), c.Env))
	}
	cmd, err := p.Resolve(c.App, find, c.ServerArgs...)
	if err != nil {
		return Template{}, err
	}
	t, err := ParseTemplate(cmd.Template)
	if err == nil && cmd.OneWorker != "" {
		t, err = t.WithOneWorker(cmd.OneWorker)
	}
	if err != nil {
		return Template{}, fmt.Errorf("server %s: %w", p.Name, err)
	}
	c.serverEnv = cmd.Environment
	c.model, c.runtime = p.Model, p.Runtime
	if p.Model == "" { // paas: the app is the command
		c.model, c.runtime = profile.Classify(t.argv)
	}
	return t, nil
}

// localFinder finds a server's program as the server will be started: over
// the PATH of environ (the server's environment, which may name a
// virtualenv), and asks a Python whether it imports a module.
func localFinder(environ []string) profile.Finder {
	look := func(name string) (string, error) {
		p, err := server.LookPath(name, environ)
		if err != nil {
			return "", err
		}
		// A name with a slash comes back as given: it must exist.
		if fi, err := os.Stat(p); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("%s: %w", p, exec.ErrNotFound)
		}
		return p, nil
	}
	return profile.Finder{
		Look: look,
		Imports: func(python, module string) bool {
			path, err := look(python)
			if err != nil {
				return false
			}
			// A cold interpreter imports a module in well under a second.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, path, "-c", "import "+module)
			cmd.Env = environ
			return cmd.Run() == nil
		},
	}
}

// checkAxes refuses a matrix that varies an axis the command does not use:
// its cells would run the same server under different labels, and each
// figure measured against workers × threads would be false. A command uses
// an axis when its placeholder is in the command or the environment; a
// server profile without the axis (waitress has no workers, an event-loop
// server no threads) takes only 1 on it, unless Env gives it.
func (c *Config) checkAxes() error {
	p, err := profile.Lookup(c.Server)
	if c.Server != "" && err != nil || c.Server == "" && len(c.template.argv) == 0 {
		return nil // the command's own error says why
	}
	var errs []error
	for _, a := range []struct {
		name, placeholder string
		has               bool // the profile's axis
		value             func(Shape) int
	}{
		{"workers", "{workers}", p.Axes.Workers, func(s Shape) int { return s.Workers }},
		{"threads", "{threads}", p.Axes.Threads, func(s Shape) int { return s.Threads }},
	} {
		inEnv := slices.ContainsFunc(c.Env, func(e string) bool {
			return strings.Contains(e, a.placeholder)
		})
		if inEnv || c.Server != "" && a.has || c.Server == "" && c.template.Uses(a.placeholder) {
			continue
		}
		var values []int
		var cells []Shape
		for _, s := range c.Matrix {
			if v := a.value(s); !slices.Contains(values, v) {
				values = append(values, v)
				cells = append(cells, s)
			}
		}
		if c.Server != "" {
			if i := slices.IndexFunc(values, func(v int) bool { return v != 1 }); i >= 0 {
				errs = append(errs, p.MissingAxis(a.name, values[i], cells[i].String()))
			}
			continue
		}
		if len(values) > 1 {
			words := make([]string, len(values))
			for i, v := range values {
				words[i] = strconv.Itoa(v)
			}
			errs = append(errs, fmt.Errorf(
				"matrix varies %s (%s) but the command has no %s: cells %s and %s would run the same server; put %s in the command (e.g. --%s %s) or in an --env value, or give every cell the same %s",
				a.name, strings.Join(words, ", "), a.placeholder, cells[0], cells[1],
				a.placeholder, a.name, a.placeholder, a.name,
			))
		}
	}
	return errors.Join(errs...)
}
