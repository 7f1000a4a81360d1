package results

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/workerbench/workerbench/bench/profile"
)

// What a run records of the configuration the project deploys: found in
// its own files (a Procfile, gunicorn.conf.py, …) when no command was
// given, measured as one cell of the matrix, and the advice set against it.

// Deployed is the configuration a project's own files say it is served
// with, and where each part came from. Its cell is always one of the run's.
type Deployed struct {
	// Cell is "WxT", Workers and Threads as numbers; Decode checks they
	// agree.
	Cell    string `json:"cell"`
	Workers int    `json:"workers"`
	Threads int    `json:"threads"`
	// Profile is the server profile (bench/profile) that started it, App
	// what it started, Args the deployed command's other flags kept.
	Profile string   `json:"profile"`
	App     string   `json:"app,omitempty"`
	Args    []string `json:"args,omitempty"`
	// WorkersExpr is the workers expression as written when it is not a
	// number ("multiprocessing.cpu_count() * 2 + 1"), evaluated for this
	// runner's CPUs into Workers.
	WorkersExpr string `json:"workers_expr,omitempty"`
	// Sources says where each part came from, the command first.
	Sources []Source `json:"sources"`
	// Machine is the deployment machine's size when a file states it.
	Machine *Machine `json:"machine,omitempty"`
}

// Source is a place in a project's files: a line of a file, a file, or
// (File "") a variable of the environment that What names.
type Source struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	What string `json:"what,omitempty"` // "web process", "workers", "WEB_CONCURRENCY in the environment"
}

// Machine is the size of the machine a project deploys to, 0 where its
// files do not say.
type Machine struct {
	CPUs      int `json:"cpus,omitempty"`
	MemoryMiB int `json:"memory_mib,omitempty"`
}

// Where is "Procfile line 1", "fly.toml", or for a variable What.
func (s Source) Where() string {
	switch {
	case s.File == "":
		return s.What
	case s.Line > 0:
		return s.File + " line " + strconv.Itoa(s.Line)
	}
	return s.File
}

// From is where the deployed command was found ("Procfile line 1"), ""
// when no source is recorded.
func (d *Deployed) From() string {
	if d == nil || len(d.Sources) == 0 {
		return ""
	}
	return d.Sources[0].Where()
}

// Is reports whether c is the deployed cell (of any endpoint).
func (d *Deployed) Is(c Cell) bool {
	return d != nil && c.Workers == d.Workers && c.Threads == d.Threads
}

// DeployedCell returns the deployed cell of the endpoint Best picks from
// (the first measured cell's), ok false when nothing is deployed or the
// cell was not measured there.
func (r *Run) DeployedCell() (cell Cell, ok bool) {
	if r.Deployed == nil {
		return Cell{}, false
	}
	best, measured := r.Best()
	if !measured {
		return Cell{}, false
	}
	for _, c := range r.Cells {
		if r.Deployed.Is(c) && !c.Failed() && c.Endpoint == best.Endpoint {
			return c, true
		}
	}
	return Cell{}, false
}

// Limits on what a deployment may hold in a results file: it comes from a
// project's files, and the file may come from a pull request.
const (
	maxDeployText    = 256 // an app, an argument, a file name, a workers expression
	maxDeployWhat    = 128
	maxDeployArgs    = 64
	maxDeploySources = 32
)

// validate checks a deployment read from a results file; where names it.
func (d *Deployed) validate(where string) error {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf(where+": "+format, a...))
	}
	if d.Workers < 1 || d.Threads < 1 || d.Workers > 1024 || d.Threads > 1024 {
		bad("%dx%d is not a configuration: workers and threads must be 1 to 1024", d.Workers, d.Threads)
	} else if want := fmt.Sprintf("%dx%d", d.Workers, d.Threads); d.Cell != want {
		bad("cell %.16q is not its workers and threads, %s", d.Cell, want)
	}
	if !slices.Contains(profile.Names(), d.Profile) {
		bad("profile %.64q: want %s", d.Profile, orList(profile.Names()))
	}
	text := func(name, s string, most int) {
		if len(s) > most || !utf8.ValidString(s) {
			bad("%s: %d bytes, want at most %d of UTF-8", name, len(s), most)
		}
	}
	text("app", d.App, maxDeployText)
	text("workers_expr", d.WorkersExpr, maxDeployText)
	if len(d.Args) > maxDeployArgs {
		bad("args: %d, want at most %d", len(d.Args), maxDeployArgs)
	}
	for i, a := range d.Args {
		text(fmt.Sprintf("args[%d]", i), a, maxDeployText)
	}
	if len(d.Sources) == 0 || len(d.Sources) > maxDeploySources {
		bad("sources: %d, want 1 to %d", len(d.Sources), maxDeploySources)
	}
	for i, s := range d.Sources {
		text(fmt.Sprintf("sources[%d].file", i), s.File, maxDeployText)
		text(fmt.Sprintf("sources[%d].what", i), s.What, maxDeployWhat)
		if s.File == "" && s.What == "" || s.Line < 0 || s.Line > 1<<20 {
			bad("sources[%d]: file %.64q line %d: want a file or a what, and a line from 0 (none) to %d",
				i, s.File, s.Line, 1<<20)
		}
	}
	if m := d.Machine; m != nil && (m.CPUs < 0 || m.CPUs > 4096 || m.MemoryMiB < 0 || m.MemoryMiB > 1<<24) {
		bad("machine: %d CPUs and %d MiB, want 0 to 4096 CPUs and 0 to 16 TiB", m.CPUs, m.MemoryMiB)
	}
	return joinFirst(errs, maxErrors)
}

// VersusDeployed sets a recommendation against the configuration the
// project deploys, here and on the target machine.
type VersusDeployed struct {
	// Measured is the best cell measured on this runner (Run.Best) against
	// the deployed cell measured here; nil when that was not measured.
	Measured *Versus `json:"measured,omitempty"`
	// Target is the recommendation against the deployed configuration on
	// the target machine (its workers expression evaluated for the target's
	// CPUs), both as the recommendation's model expects them.
	Target *Versus `json:"target,omitempty"`
	// TargetFromDeployment is set when the target's CPUs or memory budget
	// are the deployment machine's (Deployed.Machine), as no flag gave them.
	TargetFromDeployment bool `json:"target_from_deployment,omitempty"`
}

// Versus is one configuration's figures as multiples of the deployed
// one's: 2.4 serves 2.4 × as much. A ratio is 0 where it cannot be told.
type Versus struct {
	Config          string  `json:"config"`   // WxT
	Deployed        string  `json:"deployed"` // WxT
	ThroughputRatio float64 `json:"throughput_ratio,omitempty"`
	P99Ratio        float64 `json:"p99_ratio,omitempty"`
	PSSRatio        float64 `json:"pss_ratio,omitempty"`
}

// Same reports whether the configuration is the deployed one.
func (v *Versus) Same() bool { return v != nil && v.Config == v.Deployed }

// validate checks what renderers print of v; where names it.
func (v *Versus) validate(where string) error {
	if v == nil {
		return nil
	}
	var errs []error
	for _, s := range []struct{ name, v string }{{"config", v.Config}, {"deployed", v.Deployed}} {
		if !isShape(s.v) {
			errs = append(errs, fmt.Errorf("%s.%s %.16q: want WORKERSxTHREADS", where, s.name, s.v))
		}
	}
	for _, r := range []float64{v.ThroughputRatio, v.P99Ratio, v.PSSRatio} {
		if r < 0 || r > 1e9 {
			errs = append(errs, fmt.Errorf("%s: a ratio of %g is out of range", where, r))
			break
		}
	}
	return joinFirst(errs, maxErrors)
}

// isShape reports whether s is a cell as WxT: two numbers of 1 to 4 digits.
func isShape(s string) bool {
	w, t, ok := strings.Cut(s, "x")
	digits := func(n string) bool {
		return len(n) >= 1 && len(n) <= 4 && strings.Trim(n, "0123456789") == ""
	}
	return ok && digits(w) && digits(t)
}
