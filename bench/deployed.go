package bench

// The configuration a project deploys, read from its own files when no
// command is given (package deploy), applied to a Config: its server,
// app and flags, and its cell, which is always one of the matrix's.

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/deploy"
	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/profile"
	"github.com/workerbench/workerbench/bench/recommend"
	"github.com/workerbench/workerbench/bench/results"
)

// deployFiles names what deploy.Detect reads, in its order, for the error
// that says none of it was found.
const deployFiles = "Procfile, gunicorn.conf.py, GUNICORN_CMD_ARGS, uwsgi.ini, " +
	"config/puma.rb, package.json, Dockerfile, app.json, render.yaml and fly.toml"

// Detect reads how the project in dir says it is served, when neither
// Command nor Server is given, and applies it: Server, App (unless given),
// ServerArgs, Deployed, and the environment its files set before Env. environ is the environment the files'
// variables ($WEB_CONCURRENCY, GUNICORN_CMD_ARGS) are read from, after
// which Env's entries count; cpus is this machine's, for cpu_count().
//
// A project whose files say nothing is no error here: Validate then says
// the command is empty and which files were looked for. A file that says
// something workerbench cannot interpret (a shell script) is an
// *deploy.UnreadableError, which names the flag that takes over; Validate
// reports it again, in place of the empty command.
func (c *Config) Detect(dir string, environ []string, cpus int) error {
	c.searched, c.undetected = "", nil
	if c.Command != "" || c.Server != "" {
		return nil
	}
	err := c.detect(dir, environ, cpus)
	c.undetected = err
	return err
}

func (c *Config) detect(dir string, environ []string, cpus int) error {
	if dir == "" {
		dir = "."
	}
	env := map[string]string{}
	for _, e := range slices.Concat(environ, c.Env) {
		if k, v, ok := strings.Cut(e, "="); ok {
			env[k] = v
		}
	}
	d, err := deploy.Detect(dir, env, cpus)
	switch {
	case errors.Is(err, deploy.ErrNotFound):
		c.searched = dir
		return nil
	case err != nil:
		return err
	}
	if _, err := profile.Lookup(d.Profile); err != nil {
		return fmt.Errorf("%s: %w", d.Summary(), err)
	}
	for _, v := range []struct {
		axis string
		n    int
	}{{"workers", d.Workers}, {"threads", d.Threads}} {
		if v.n < 1 || v.n > MaxDimension {
			expr := ""
			if d.WorkersExpr != "" && v.axis == "workers" {
				expr = " (" + d.WorkersExpr + ")"
			}
			return fmt.Errorf("%s: %d %s%s is not between 1 and %d: give --matrix, and --cmd or --server",
				d.Summary(), v.n, v.axis, expr, MaxDimension)
		}
	}
	c.Server, c.ServerArgs, c.Deployed = d.Profile, d.Args, &d
	c.Env = append(slices.Clone(d.Env), c.Env...) // --env overrides what the files set
	if c.App == "" {
		c.App = d.App
	}
	return nil
}

// DeployedShape is the deployed cell; ok is false when nothing is deployed.
func (c *Config) DeployedShape() (s Shape, ok bool) {
	if c.Deployed == nil {
		return Shape{}, false
	}
	return Shape{Workers: c.Deployed.Workers, Threads: c.Deployed.Threads}, true
}

// WithDeployed is m with the deployed cell added at its end when m lacks
// it.
func (c *Config) WithDeployed(m []Shape) []Shape {
	if s, ok := c.DeployedShape(); ok && !slices.Contains(m, s) {
		return append(slices.Clone(m), s)
	}
	return m
}

// AroundDeployed is the default matrix of a deployment: its cell, and
// around it one worker fewer and more and twice the workers, half and twice
// the threads, on the axes the server has (a server without threads has
// no threads axis), in order of workers then threads. For 3x2: 2x2, 3x1,
// 3x2, 3x4, 4x2, 6x2; for uvicorn's 4x1: 3x1, 4x1, 5x1, 8x1.
func (c *Config) AroundDeployed() []Shape {
	d, ok := c.DeployedShape()
	if !ok {
		return nil
	}
	p, err := profile.Lookup(c.Server)
	if err != nil {
		return []Shape{d}
	}
	m := []Shape{d}
	add := func(w, t int) {
		s := Shape{Workers: w, Threads: t}
		if w >= 1 && t >= 1 && w <= MaxDimension && t <= MaxDimension && !slices.Contains(m, s) {
			m = append(m, s)
		}
	}
	if p.Axes.Workers {
		for _, w := range []int{d.Workers - 1, d.Workers + 1, 2 * d.Workers} {
			add(w, d.Threads)
		}
	}
	if p.Axes.Threads {
		for _, t := range []int{d.Threads / 2, 2 * d.Threads} {
			add(d.Workers, t)
		}
	}
	slices.SortFunc(m, func(a, b Shape) int {
		if a.Workers != b.Workers {
			return a.Workers - b.Workers
		}
		return a.Threads - b.Threads
	})
	return m
}

// notDeployed is the error for a command that is empty in a project whose
// files do not say how it is served.
func (c *Config) notDeployed() error {
	dir, err := filepath.Abs(c.searched)
	if err != nil {
		dir = c.searched
	}
	return fmt.Errorf("command is empty, and nothing in %s says how the project is served "+
		"(workerbench looked for %s): %s", dir, deployFiles, giveCommand)
}

// deployed is what results record of the deployment, nil without one.
func (c *Config) deployed() *results.Deployed {
	return recordDeployment(c.Deployed)
}

// recordDeployment is d as results record it, nil for nil.
func recordDeployment(d *deploy.Deployment) *results.Deployed {
	if d == nil {
		return nil
	}
	r := &results.Deployed{
		Cell: d.Cell(), Workers: d.Workers, Threads: d.Threads, Profile: d.Profile, App: d.App,
		Args: d.Args, WorkersExpr: d.WorkersExpr,
	}
	for _, s := range d.Sources {
		r.Sources = append(r.Sources, results.Source{File: s.File, Line: s.Line, What: s.What})
	}
	if d.MachineCPUs > 0 || d.MachineMemoryMiB > 0 {
		r.Machine = &results.Machine{CPUs: d.MachineCPUs, MemoryMiB: d.MachineMemoryMiB}
	}
	return r
}

// recommendFor is the machine the recommendation is for: Target, with the
// deployment machine's CPUs and memory where Target gives none (else this
// machine's cpus), and the deployed configuration on it.
func (c *Config) recommendFor(cpus int) recommend.Target {
	t := c.Target
	if d := c.Deployed; d != nil {
		if t.CPUs == 0 && d.MachineCPUs > 0 {
			t.CPUs, t.FromDeployment = d.MachineCPUs, true
		}
		if t.MemoryBudget == 0 && d.MachineMemoryMiB > 0 {
			t.MemoryBudget, t.FromDeployment = uint64(d.MachineMemoryMiB)<<20, true
		}
	}
	if t.CPUs == 0 {
		t.CPUs = cpus
	}
	if d := c.Deployed; d != nil {
		t.Deployed = recommend.Config{Workers: d.WorkersFor(t.CPUs), Threads: d.Threads}
	}
	return t
}

// versusLine is what the progress line of a recommendation adds about the
// deployed configuration: " (2.4 × the throughput of the deployed 3x2)",
// or "".
func versusLine(v *results.VersusDeployed) string {
	if v == nil || v.Target == nil {
		return ""
	}
	if v.Target.Same() {
		return " (what you deploy)"
	}
	if v.Target.ThroughputRatio > 0 {
		return fmt.Sprintf(" (%s the throughput of the deployed %s)",
			human.Times(v.Target.ThroughputRatio), v.Target.Deployed)
	}
	return " (you deploy " + v.Target.Deployed + ")"
}

// baseDeployment compares what the base's files deploy with head's
// deployment, which both sides run (a comparison measures the code under
// one configuration, so that its verdict is about the code): when they
// differ it records the base's in res and returns a warning that says so.
// Nothing when head's files deployed nothing (the command was given).
func (a *AB) baseDeployment(res *results.Run, environ []string, cpus int) []string {
	head := a.Config.Deployed
	if head == nil {
		return nil
	}
	base := Config{Env: a.BaseEnv}
	err := base.Detect(a.BaseDir, environ, cpus)
	ran := "both sides ran head's " + describe(head) + ", so the verdict is the code's under it"
	switch {
	case err != nil:
		return []string{fmt.Sprintf("base's files state a deployment workerbench cannot read (%v); %s", err, ran)}
	case base.Deployed == nil:
		return []string{"base's files state no deployment; " + ran}
	}
	b := base.Deployed
	if describe(b) == describe(head) {
		return nil
	}
	res.BaseDeployed = recordDeployment(b)
	return []string{"base deploys " + describe(b) + "; " + ran}
}

// describe is a deployment in a few words: "gunicorn 3x2 app:app --preload
// (Procfile line 1)".
func describe(d *deploy.Deployment) string {
	s := strings.Join(slices.Concat([]string{d.Profile, d.Cell(), d.App}, d.Args), " ")
	if len(d.Sources) > 0 {
		s += " (" + d.Sources[0].String() + ")"
	}
	return s
}
