package report

import (
	"fmt"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// The top of the Markdown: the heading that says the outcome, the line
// that explains the table, and the warnings.

// mdNameRunes is how much of a cell's name a heading keeps, and
// mdReasonRunes of a server's error line.
const (
	mdNameRunes   = 40
	mdReasonRunes = 160
)

func (d *mdDoc) heading() string {
	var emoji, text string
	if d.comparison {
		emoji, text = d.comparisonOutcome()
	} else {
		emoji, text = d.runOutcome()
	}
	if emoji != "" {
		emoji += " "
	}
	return "### " + emoji + text
}

func (d *mdDoc) runOutcome() (emoji, text string) {
	o := d.m.outcome
	title := Escape(Clip(or(d.o.Title, "workerbench"), 60))
	if o.interrupted {
		title += " (interrupted)"
		emoji = "⚠️"
	}
	failed := d.m.failures
	var parts []string
	switch {
	case o.cells == 0:
		parts = append(parts, "no cells measured")
		emoji = "⚠️"
	case o.down != nil:
		parts = append(parts, o.down.text(Escape, mdReasonRunes))
		emoji = "❌"
	case o.measured == 0:
		what := "all " + Plural(o.cells, "cell") + " failed"
		if len(failed) <= 2 {
			what += " (" + failedNames(failed) + ")"
		}
		parts = append(parts, what)
		emoji = "❌"
	default:
		c := o.best
		of := fmt.Sprintf("%s of %s", or(c.head.efficiency, "?"), Plural(c.slots, "slot"))
		switch {
		case c.head.swept:
			of = "peak useful concurrency of a connection sweep; no slots"
		case !c.slotted:
			of = "no slots bound the server"
		}
		what := fmt.Sprintf("%s = %s req/s, %s concurrent requests (%s)",
			Escape(Clip(c.name, mdNameRunes)), or(c.head.throughput, "?"), c.head.concurrency1,
			of)
		if o.measured > 1 {
			what = "best " + what
		}
		parts = append(parts, Plural(o.measured, "cell")+", "+what)
		if dc := o.deployed; dc != nil && dc.name == c.name {
			parts[len(parts)-1] += ", the " + deployedMark + " one"
		} else if dc != nil && !dc.head.failed {
			parts = append(parts, fmt.Sprintf("%s %s = %s req/s", deployedMark,
				Escape(Clip(dc.name, mdNameRunes)), or(dc.head.throughput, "?")))
		}
		if len(failed) > 0 {
			what := failedNames(failed) + " failed"
			if len(failed) <= 2 {
				what = Plural(len(failed), "cell") + " failed (" + failedNames(failed) + ")"
			}
			parts = append(parts, what)
			emoji = "⚠️"
		}
	}
	if m := d.r.Missing; len(m) > 0 {
		parts = append(parts, missingNames(m)+" not measured (a shard is missing)")
		emoji = "⚠️"
	}
	return emoji, title + ": " + strings.Join(parts, "; ")
}

// missingNames names the cells of a merge that no shard measured: "1x3,
// 3x3", or "5 cells" when there are more than two.
func missingNames(names []string) string {
	if len(names) > 2 {
		return Plural(len(names), "cell")
	}
	var out []string
	for _, n := range names {
		out = append(out, Escape(Clip(n, mdNameRunes)))
	}
	return strings.Join(out, ", ")
}

// failedNames names the failed cells for a heading: "3x3 on head, 1x1
// on base", or "16 cells" when there are more than two.
func failedNames(fs []failure) string {
	if len(fs) > 2 {
		cells := map[string]bool{}
		for _, f := range fs {
			cells[f.name] = true
		}
		return Plural(len(cells), "cell")
	}
	var names []string
	for _, f := range fs {
		n := Escape(Clip(f.name, mdNameRunes))
		if f.side != "" {
			n += " on " + f.side
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

func (d *mdDoc) comparisonOutcome() (emoji, text string) {
	o := d.m.outcome
	if o.down != nil {
		// Nothing was compared, and the server said why.
		emoji, text = "❌", o.down.text(Escape, mdReasonRunes)
		if o.down.side == "base" {
			emoji, text = "⚠️", text+"; head not compared"
		}
		if t := d.o.Title; t != "" {
			text = Escape(Clip(t, 60)) + " — " + text
		}
		return emoji, text
	}
	failed := d.m.failures
	scope := Plural(o.measured, "cell")
	if o.geomean != "" {
		scope += ", geomean " + minus(o.geomean)
	}
	switch o.verdict {
	case results.Regressed:
		emoji, text = "❌", "Concurrency regressed"+or(d.changedCells(o.regressed), " ("+scope+")")
	case results.Improved:
		emoji, text = "✅", "Concurrency improved"+or(d.changedCells(o.improved), " ("+scope+")")
	case results.Unchanged:
		emoji, text = "✅", "No concurrency regression ("+scope+")"
		if len(failed) > 0 {
			text = "no concurrency regression in the other cells (" + scope + ")"
		}
	case results.Inconclusive:
		// The comparison is inconclusive overall for one of three reasons.
		switch {
		case len(o.regressed) > 0:
			// A cell regressed on its own but not after correcting for the
			// number of cells compared.
			emoji, text = "⚠️", "Possible concurrency regression"+d.changedCells(o.regressed)+
				", not significant across "+Plural(o.measured, "cell")
		case len(o.inconclusive) > 0:
			emoji = "⚠️"
			text = "Inconclusive: too noisy to rule out a concurrency regression (" + scope + ")"
		default:
			// Only failed cells, or improvements that do not survive the
			// correction: nothing measured regressed.
			emoji, text = "⚠️", "No concurrency regression in the cells measured ("+scope+")"
		}
	default:
		emoji, text = "⚠️", "No verdict ("+scope+")"
	}
	if len(failed) > 0 {
		fails := failedNames(failed) + " failed"
		if emoji == "❌" || strings.HasPrefix(text, "Possible") {
			text += "; " + fails
		} else {
			emoji, text = "⚠️", fails+"; "+lowerFirst(text)
		}
	}
	if m := d.r.Missing; len(m) > 0 {
		// A merge that lacks a shard: the verdict cannot cover those cells.
		missing := missingNames(m) + " not measured (a shard is missing)"
		if emoji == "❌" {
			text += "; " + missing
		} else {
			emoji, text = "⚠️", "Inconclusive: "+missing+"; "+lowerFirst(text)
		}
	}
	if deps := unmeasuredDeps(d.r, Escape); deps != "" {
		// The verdict holds for the code alone, not for what the pull
		// request changes: its dependencies were not installed per side.
		text += "; " + deps
		if emoji == "✅" {
			emoji = "⚠️"
		}
	}
	if v := deployedVerdict(o, Escape); v != "" {
		// What the team runs in production comes first; when it and the
		// comparison are both inconclusive, the word is said once.
		rest := text
		if bothInconclusive(o) {
			rest = strings.TrimPrefix(rest, "Inconclusive: ")
		}
		text = "Deployed " + v + "; " + lowerFirst(rest)
	}
	if s := d.r.Shard; s != nil && s.Count > 1 {
		// One shard's part of the matrix: the verdict over all cells is
		// the merge's.
		text = fmt.Sprintf("Shard %s, %s of %d: ", s, Plural(len(d.r.Cells), "cell"),
			len(s.Cells)) + lowerFirst(text)
	}
	if o.interrupted {
		text += " — interrupted, partial results"
		if emoji == "✅" {
			emoji = "⚠️"
		}
	}
	if t := d.o.Title; t != "" {
		text = Escape(Clip(t, 60)) + " — " + lowerFirst(text)
	}
	return emoji, text
}

// changedCells completes "Concurrency regressed" with the cells:
// ": 3x3 −12% throughput (p=0.002)", ": 3x3 −12% throughput (p=0.002), 1x3
// −7.1% (p=0.010)", or " in 7 of 64 cells, worst 3x3 −12% throughput
// (p=0.002)".
func (d *mdDoc) changedCells(cs []row) string {
	if len(cs) == 0 {
		return ""
	}
	one := func(c row, unit string) string {
		return Escape(Clip(c.name, mdNameRunes)) + " " + minus(c.changeShort) + unit +
			inParens(c.p)
	}
	switch len(cs) {
	case 1:
		return ": " + one(cs[0], " throughput")
	case 2:
		return ": " + one(cs[0], " throughput") + ", " + one(cs[1], "")
	}
	return fmt.Sprintf(" in %d of %d cells, worst %s",
		len(cs), d.m.outcome.cells, one(cs[0], " throughput"))
}

func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

func (d *mdDoc) intro() {
	if s := deployedIntro(d.r, Escape); s != "" {
		d.line(s)
		d.line("")
	}
	if !d.comparison {
		s := "*Achieved concurrency* = throughput × unloaded service time: how many " +
			"requests the server really serves at once. " +
			"*Efficiency* = achieved ÷ slots (workers × threads)."
		if d.unslotted() {
			s += " Where no slots bound the server (an event loop), efficiency does not apply" +
				" (—)"
			if len(d.m.sweeps) > 0 {
				s += "; a swept cell shows its *peak useful concurrency* (see the connection" +
					" sweeps below)"
			}
			s += "."
		}
		d.line(s)
		d.line("")
		return
	}
	o := d.m.outcome
	head, base := "**head**", "**base**"
	if d.o.Head != "" {
		head += " (" + Escape(Clip(d.o.Head, 60)) + ")"
	}
	if d.o.Base != "" {
		base += " (" + Escape(Clip(d.o.Base, 60)) + ")"
	}
	s := fmt.Sprintf("Throughput of %s vs %s on %s", head, base, Plural(o.cells, "cell"))
	if p := o.pairs("interleaved "); p != "" {
		s += ", " + p
	}
	s += ". A cell regresses when its throughput drops significantly" +
		" and by more than " + o.threshold + "."
	if o.geomean != "" {
		s += " Overall (geometric mean): " + minus(o.geomean) + "."
	}
	if n := setupNote(d.r, Escape); n != "" {
		s += " " + n
	}
	if d.unslotted() {
		s += " Cells without slots (an event loop) are compared at the closed loop's " +
			"connection count, not swept: `workerbench run` finds their peak useful concurrency."
	}
	d.line(s)
	d.line("")
}

// unslotted reports whether some measured cell has no slots to measure
// its efficiency against.
func (d *mdDoc) unslotted() bool {
	for _, c := range d.m.rows {
		if !c.slotted && !c.failed() {
			return true
		}
	}
	return false
}

func (d *mdDoc) warnings() {
	ws := d.r.Warnings
	if w := depsWarning(d.r, func(s string) string { return s }); w != "" {
		ws = append([]string{w}, ws...) // escaped below with the others
	}
	if s := d.r.Shard; s != nil {
		note := fmt.Sprintf("Shard %s: these results hold only this shard's %s of the "+
			"matrix's %d; workerbench merge (the action's mode: merge) puts the shards "+
			"together and gives the verdict over all cells.", s, Plural(len(d.r.Cells), "cell"),
			len(s.Cells))
		ws = append([]string{note}, ws...)
	}
	if d.r.Interrupted {
		const partial = "The run was interrupted before it finished: these results are partial."
		ws = append([]string{partial}, ws...)
	}
	if len(ws) == 0 {
		return
	}
	items, runes, _, _ := d.limits()
	if d.l.detail == detailNone {
		items, runes = 5, 200
	}
	d.line("> [!WARNING]")
	for i, w := range ws {
		if i == items {
			d.p("> - … %d more warnings\n", len(ws)-items)
			break
		}
		d.line("> - " + Escape(Clip(w, runes)))
	}
	d.line("")
}

// bothInconclusive reports whether the deployed cell and the whole
// comparison are inconclusive: the heading then says "Deployed 3x2
// inconclusive; too noisy to …", not "inconclusive; inconclusive: too
// noisy to …".
func bothInconclusive(o outcome) bool {
	return o.deployed != nil && o.deployed.verdict == results.Inconclusive &&
		o.verdict == results.Inconclusive
}
