package report

import (
	"fmt"
	"strings"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/results"
)

// recommendation is the headline and the reasons of r's recommendation,
// plain text, or ok false when r has none. The terminal and Markdown lay
// out the same words.
func recommendation(r *results.Run) (head string, reasons []string, ok bool) {
	rec := r.Recommendation
	if rec == nil || rec.Workers < 1 || rec.Threads < 1 {
		return "", nil, false
	}
	head = fmt.Sprintf("recommended for %s: %s", Plural(rec.TargetCPUs, "core"), rec.Config())
	var expect []string
	if x := human.Num(rec.ExpectedRPS); x != "" {
		expect = append(expect, "about "+x+" req/s")
	}
	switch {
	case rec.ExpectedPSSBytes > 0:
		expect = append(expect, bytesIEC(rec.ExpectedPSSBytes)+" of Σ PSS")
		if rec.MemoryBudgetBytes > 0 {
			expect = append(expect, "within "+bytesIEC(rec.MemoryBudgetBytes))
		}
	case len(rec.UnknownCosts) > 0:
		// The matrix could not fit a cost the estimate needs: say so
		// here, not "within" a budget it could not check; a reason
		// says which cost and which cells to add.
		expect = append(expect, "Σ PSS not estimated")
	}
	if len(expect) > 0 {
		head += " (" + strings.Join(expect, ", ") + ")"
	}
	head += versusHead(rec.VsDeployed)
	for _, s := range versusReasons(r, rec) {
		reasons = append(reasons, Clip(s, 2*termNoteRunes))
	}
	for _, s := range rec.Reasons {
		reasons = append(reasons, Clip(s, 2*termNoteRunes)) // a reason runs to 250 runes
	}
	reasons = append(reasons, fmt.Sprintf("For comparison, the rule of thumb (2 × cores) + 1 says %d workers.",
		rec.RuleOfThumbWorkers))
	return head, reasons, true
}

// writeRecommendation writes r's recommendation for a terminal.
func writeRecommendation(b *strings.Builder, r *results.Run) {
	head, reasons, ok := recommendation(r)
	if !ok {
		return
	}
	fmt.Fprintf(b, "\n%s\n", plain(head))
	for _, s := range reasons {
		fmt.Fprintf(b, "  %s\n", plain(s))
	}
}

// recommendation writes r's recommendation as a short Markdown section.
func (d *mdDoc) recommendation() {
	head, reasons, ok := recommendation(d.r)
	if !ok {
		return
	}
	d.line("**" + Escape(strings.ToUpper(head[:1])+head[1:]) + "**")
	d.line("")
	for _, s := range reasons {
		d.line("- " + Escape(s))
	}
	d.line("")
}
