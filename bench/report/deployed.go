package report

import (
	"fmt"
	"strings"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/results"
)

// What the reports say of the configuration the project deploys
// (results.Run.Deployed): where it was found, its cell in the tables, its
// verdict in a comparison, and the recommendation set against it. All of
// it comes from the project's files: untrusted text, escaped by esc.

// deployedMark is what marks the deployed cell in a table.
const deployedMark = "deployed"

// deployedRunes bounds a deployment's text in a report: an app, a file
// name, a workers expression.
const deployedRunes = 80

// deployedIntro is the sentence that says what the project deploys and
// where it was found: "Deployed: gunicorn 3x2 from Procfile line 1
// (workers: multiprocessing.cpu_count() * 2 + 1 on this runner's 2
// CPUs)."; "" when nothing is.
func deployedIntro(r *results.Run, esc func(string) string) string {
	d := r.Deployed
	if d == nil {
		return ""
	}
	clip := func(s string) string { return esc(Clip(s, deployedRunes)) }
	s := "Deployed: " + clip(d.Profile) + " " + clip(d.Cell) + " " + clip(d.App)
	if from := d.From(); from != "" {
		s += " from " + clip(from)
	}
	if d.WorkersExpr != "" {
		s += fmt.Sprintf(" (workers: %s on this runner's %s)", clip(d.WorkersExpr),
			Plural(r.Host.CPUs, "CPU"))
	}
	s += "."
	if r.IsComparison() {
		s += " Both sides ran it; the table marks its cell."
	} else {
		s += " The table marks its cell; the recommendation is set against it."
	}
	return s
}

// deployedVerdict is what a comparison says of the deployed cell: "3x2
// is 12% slower (p=0.002)", "3x2 unchanged", "3x2 failed on head"; ""
// when none is deployed or it has no verdict.
func deployedVerdict(o outcome, esc func(string) string) string {
	c := o.deployed
	if c == nil {
		return ""
	}
	name := esc(fmt.Sprintf("%dx%d", c.workers, c.threads))
	switch {
	case c.head.failed:
		return name + " failed on head"
	case c.base != nil && c.base.failed:
		return name + " failed on base"
	case c.base == nil:
		return ""
	}
	by := strings.TrimLeft(c.changeShort, "+-")
	switch c.verdict {
	case results.Regressed:
		return name + " is " + by + " slower" + inParens(c.p)
	case results.Improved:
		return name + " is " + by + " faster" + inParens(c.p)
	case results.Unchanged:
		return name + " unchanged"
	case results.Inconclusive:
		return name + " inconclusive"
	}
	return ""
}

// versusHead is what the recommendation's headline adds about the
// deployed configuration on the target: "; vs the deployed 3x2: 2.4 × the
// throughput in 1.1 × the Σ PSS", "; what you deploy".
func versusHead(v *results.VersusDeployed) string {
	if v == nil || v.Target == nil {
		return ""
	}
	t := v.Target
	if t.Same() {
		return "; what you deploy"
	}
	s := "; vs the deployed " + t.Deployed
	if x := human.Times(t.ThroughputRatio); x != "" {
		s += ": " + x + " the throughput"
		if m := human.Times(t.PSSRatio); m != "" {
			s += " in " + m + " the Σ PSS"
		}
	}
	return s
}

// versusReasons are the recommendation's sentences about the deployed
// configuration: how it fared here against the best cell measured, and
// where the target came from when it is the deployment's machine.
func versusReasons(r *results.Run, rec *results.Recommendation) []string {
	v := rec.VsDeployed
	if v == nil {
		return nil
	}
	var out []string
	if m := v.Measured; m != nil {
		if m.Same() {
			out = append(out, fmt.Sprintf("You deploy %s, the best of the %s measured on this runner.",
				m.Deployed, Plural(len(r.Cells), "cell")))
		} else {
			s := fmt.Sprintf("You deploy %s; on this runner %s served %s as much", m.Deployed, m.Config,
				or(human.Times(m.ThroughputRatio), "?"))
			if x := human.Times(m.PSSRatio); x != "" {
				s += " in " + x + " the Σ PSS"
			}
			if x := human.Times(m.P99Ratio); x != "" {
				s += ", at " + x + " the p99"
			}
			out = append(out, s+".")
		}
	}
	if v.TargetFromDeployment {
		size := Plural(rec.TargetCPUs, "core")
		if rec.MemoryBudgetBytes > 0 {
			size += " and " + bytesIEC(rec.MemoryBudgetBytes)
		}
		out = append(out, "The target is the deployment's own machine, "+size+", as its files state"+
			machineFrom(r.Deployed)+"; --target-cpus and --memory-budget set another.")
	}
	return out
}

// machineFrom is " (fly.toml line 12)" for the source that states the
// deployment machine's size, "" when none says so.
func machineFrom(d *results.Deployed) string {
	if d == nil {
		return ""
	}
	for _, s := range d.Sources {
		// How package deploy names the part of a file that sizes the
		// machine: fly.toml's [[vm]], render.yaml's plan, app.json's dyno.
		if s.File != "" && (s.What == "[[vm]]" || strings.HasPrefix(s.What, "plan ") ||
			strings.HasPrefix(s.What, "dyno size ") || strings.Contains(s.What, "machine")) {
			return " (" + Clip(s.Where(), deployedRunes) + ")"
		}
	}
	return ""
}
