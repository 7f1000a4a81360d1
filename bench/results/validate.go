package results

import (
	"fmt"
	"slices"
	"strings"
)

// What Decode checks of a run once the file is within its limits
// (limits.go): the figures and words renderers rely on.

// maxListed bounds lists of names in a results file.
const maxListed = 1000

func (r *Run) validate() error {
	var errs []error
	if s := r.Shard; s != nil && (s.Count < 1 || s.Count > 1000 || s.Index < 1 || s.Index > s.Count || len(s.Cells) > 100000) {
		errs = append(errs, fmt.Errorf("shard %d/%d with %d cells is out of range", s.Index, s.Count, len(s.Cells)))
	}
	if d := r.Dependencies; d != nil && len(d.Changed) > maxListed {
		errs = append(errs, fmt.Errorf("dependencies.changed lists %d files, more than %d", len(d.Changed), maxListed))
	}
	errs = append(errs,
		oneOf("model", r.Model, "slots", ModelEventLoop),
		oneOf("runtime", r.Runtime, "cpython", "ruby", "node"),
		oneOf("verdict", string(r.Verdict), verdicts...))
	if rec := r.Recommendation; rec != nil {
		for i, u := range rec.UnknownCosts {
			errs = append(errs, oneOf(fmt.Sprintf("recommendation.unknown_costs[%d]", i), u,
				"pss_per_worker", "pss_per_thread"))
		}
		if v := rec.VsDeployed; v != nil {
			errs = append(errs, v.Measured.validate("recommendation.vs_deployed.measured"),
				v.Target.validate("recommendation.vs_deployed.target"))
		}
	}
	if r.Deployed != nil {
		errs = append(errs, r.Deployed.validate("deployed"))
	}
	if r.BaseDeployed != nil {
		errs = append(errs, r.BaseDeployed.validate("base_deployed"))
	}
	for i, c := range r.Cells {
		if len(errs) > maxErrors {
			break // enough to say what is wrong
		}
		where := fmt.Sprintf("cells[%d]", i)
		errs = append(errs, c.validate(where))
		if c.Base == nil {
			continue
		}
		errs = append(errs, c.Base.validate(where+".base"))
		if c.Base.Base != nil {
			errs = append(
				errs,
				fmt.Errorf("%s.base has a base of its own: a comparison nests one level", where),
			)
		}
		if c.Base.Workers != c.Workers || c.Base.Threads != c.Threads {
			errs = append(
				errs,
				fmt.Errorf(
					"%s.base is %dx%d, not %dx%d: a comparison pairs the same cell",
					where,
					c.Base.Workers,
					c.Base.Threads,
					c.Workers,
					c.Threads,
				),
			)
		}
	}
	return joinFirst(errs, maxErrors)
}

// maxErrors is how many of a file's faults an error lists.
const maxErrors = 10

// verdicts are the values of a verdict, as Decode accepts them.
var verdicts = []string{string(Regressed), string(Improved), string(Unchanged), string(Inconclusive)}

// oneOf checks that the enumerated field named what is empty or one of
// want: text that renderers print as a word, and the action's outputs
// carry, is never free text from an artifact.
func oneOf(what, v string, want ...string) error {
	if v == "" || slices.Contains(want, v) {
		return nil
	}
	return fmt.Errorf("%s %.64q: want %s", what, v, orList(want))
}

// orList is "a, b or c".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// validate checks the figures a renderer relies on; where names the cell.
func (c *Cell) validate(where string) error {
	var errs []error
	if c.Workers < 1 || c.Threads < 1 {
		errs = append(
			errs,
			fmt.Errorf(
				"%s: workers and threads must be ≥ 1, got %dx%d",
				where,
				c.Workers,
				c.Threads,
			),
		)
	}
	if c.Workers > 1024 || c.Threads > 1024 {
		errs = append(
			errs,
			fmt.Errorf("%s: %dx%d is beyond any real configuration", where, c.Workers, c.Threads),
		)
	}
	errs = append(errs,
		oneOf(where+".verdict", string(c.Verdict), verdicts...),
		oneOf(where+".mode", c.Mode, "closed"),
		oneOf(where+".bound", c.Bound, "cpu", "io"),
		oneOf(where+".failed_side", c.FailedSide, "base", "head"))
	if c.Sweep != nil {
		errs = append(errs, oneOf(where+".sweep.limited", c.Sweep.Limited, LimitedThroughput,
			LimitedLatency, LimitedConnections, LimitedTime, LimitedErrors))
	}
	for k := range c.ErrorKinds {
		errs = append(errs, oneOf(where+".error_kinds", k, "connect", "timeout", "status", "protocol"))
	}
	for j, b := range c.Bursts {
		if b.Size < 0 || len(b.Requests) > 100000 {
			errs = append(
				errs,
				fmt.Errorf(
					"%s.bursts[%d]: size %d with %d requests is out of range",
					where,
					j,
					b.Size,
					len(b.Requests),
				),
			)
		}
	}
	return joinFirst(errs, maxErrors)
}
