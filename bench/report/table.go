package report

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Table writes r as aligned plain text for a terminal: for a run, one row
// per cell with throughput, achieved concurrency, efficiency, latency,
// memory, server CPU per request and errors, then the bursts and the
// diagnostics; for a comparison (in the manner of benchstat), warnings
// first, then base and head throughput per cell with the change and its
// confidence interval, the p-value and the verdict ("~" when there is no
// significant change), a geomean row and the overall verdict.
//
// Text from the results (errors, diagnostics, endpoints, verdicts) is
// reduced to one line with control characters replaced, so a hostile
// server log cannot move the cursor or recolour the terminal; printed in
// a GitHub Actions log, w must be a CommandGuard as well, which keeps such
// text from starting a workflow command.
func Table(w io.Writer, r *results.Run) error {
	if r == nil {
		return errors.New("render table: no results")
	}
	var b strings.Builder
	if m := newModel(r); m.comparison {
		comparisonTable(&b, r, m)
	} else {
		runTable(&b, r, m)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Text limits: terminal lines stay readable.
const (
	termNameRunes  = 48
	termErrorRunes = 160
	termNoteRunes  = 300
)

func runTable(b *strings.Builder, r *results.Run, m *model) {
	if r.Interrupted {
		fmt.Fprintf(b, "interrupted: partial results (%s measured)\n\n",
			Plural(len(r.Cells), "cell"))
	}
	writeWarnings(b, r.Warnings)

	st := textStyle()
	cols := []column{rcol("workers"), rcol("threads")}
	if m.endpoints {
		cols = append(cols, lcol("endpoint"))
	}
	t := newTextTable(append(append(cols, rcol("slots")), figureHeads()...)...)
	for _, c := range m.rows {
		cells := []string{itoa(c.workers), itoa(c.threads)}
		if m.endpoints {
			cells = append(cells, Clip(plain(c.endpoint), 40))
		}
		cells = append(cells, c.slotsText(textStyle().none))
		if c.head.failed {
			t.add("failed: "+Clip(plain(c.head.err), termErrorRunes), cells...)
			continue
		}
		tail := ""
		if c.deployed {
			tail = "← " + deployedMark
		}
		t.add(tail, append(cells, c.head.figures(st)...)...)
	}
	t.write(b)
	if d := m.outcome.down; d != nil {
		fmt.Fprintf(b, "\n%s\n", d.text(plain, termErrorRunes))
	}
	writeSweeps(b, m)

	if len(m.bursts) > 0 {
		b.WriteString("\n")
		for _, bu := range m.bursts {
			fmt.Fprintf(b, "%s burst %d: waves %s\n", plain(bu.name), bu.size, bu.head.text(st.sep))
		}
	}
	writeRecommendation(b, r)
	writeDiagnostics(b, m)
}

func comparisonTable(b *strings.Builder, r *results.Run, m *model) {
	if r.Interrupted {
		fmt.Fprintf(b, "interrupted: partial results (%s compared)\n", Plural(len(r.Cells), "cell"))
		if len(r.Warnings) == 0 && r.Dependencies.Measured() {
			b.WriteString("\n")
		}
	}
	if w := depsWarning(r, plain); w != "" {
		b.WriteString("warning: " + w + "\n")
		if len(r.Warnings) == 0 {
			b.WriteString("\n")
		}
	}
	writeWarnings(b, r.Warnings)
	if n := setupNote(r, plain); n != "" {
		b.WriteString("note: " + Clip(plain(n), termNoteRunes) + "\n\n")
	}

	st := textStyle()
	t := newTextTable(lcol("cell"), rcol("slots"), rcol("base req/s"), rcol("head req/s"),
		lcol("delta"), rcol("p"), lcol("verdict"))
	for _, c := range m.rows {
		name, slots := Clip(plain(c.name), termNameRunes), c.slotsText(st.none)
		if c.deployed {
			name += " (" + deployedMark + ")"
		}
		base, head := st.none, or(c.head.throughput, st.none)
		if c.base != nil {
			base = or(c.base.throughput, st.none)
		}
		why := func(m *measures) string { return Clip(plain(m.err), termErrorRunes) }
		switch {
		case c.head.failed:
			t.add("head failed: "+why(&c.head), name, slots, base, st.none)
			continue
		case c.base != nil && c.base.failed:
			t.add("base failed: "+why(c.base), name, slots, st.none, head)
			continue
		case c.base == nil:
			t.add("no base measurement", name, slots, st.none, head)
			continue
		}
		// As in benchstat, "~" is a change that is not significant; a
		// significant one is shown with its interval even when it is
		// within the threshold, and the verdict says so.
		delta := "~"
		if c.significant {
			delta = spaced(c.change, c.interval)
		}
		verdict := or(plain(string(c.verdict)), st.none)
		switch {
		case c.within != "":
			verdict += " (within ±" + c.within + ")"
		case c.mde != "":
			verdict += " (MDE " + c.mde + ")"
		}
		t.add("", name, slots, base, head, delta, or(c.p, st.none), verdict)
	}
	if m.outcome.hasOverall {
		t.add("", "geomean", "", "", "", m.outcome.geomean)
	}
	t.write(b)
	verdict, how := overallLines(m)
	fmt.Fprintf(b, "\noverall: %s\n", verdict)
	if how != "" {
		fmt.Fprintf(b, "         %s\n", how)
	}
	if v := deployedVerdict(m.outcome, plain); v != "" {
		fmt.Fprintf(b, "deployed: %s\n", v)
	}
	writeRecommendation(b, r)
	writeDiagnostics(b, m)
}

// overallLines words the outcome in a line of plain text, and how it was
// reached in another.
func overallLines(m *model) (verdict, how string) {
	o := m.outcome
	s := or(plain(string(o.verdict)), "no verdict")
	if o.down != nil {
		s = "no verdict — " + o.down.text(plain, termErrorRunes)
		if o.down.side == "base" {
			s += "; head not compared"
		}
		return Clip(s, 600), "threshold " + o.threshold
	}
	var names []string
	switch o.verdict {
	case results.Regressed, results.Improved:
		for _, c := range o.changed(o.verdict) {
			names = append(names, Clip(plain(c.name), termNameRunes)+" "+c.change+inParens(c.p))
		}
		s += " — " + strings.Join(names, ", ")
	case results.Inconclusive:
		for _, c := range o.inconclusive {
			names = append(names, Clip(plain(c.name), termNameRunes))
		}
		if len(names) == 0 {
			s += " — no cell was compared"
			break
		}
		s += " — too few or too noisy trials to decide " + strings.Join(names, ", ")
		if o.mde != "" {
			s += " (could detect changes of " + o.mde + " or more); run more trials"
		}
	case results.Unchanged:
		s += " — no cell changed significantly by more than " + o.threshold
	}
	if n := len(m.failures); n > 0 {
		s += "; " + Plural(n, "cell") + " failed"
	}
	parts := []string{"threshold " + o.threshold}
	if p := o.pairs(""); p != "" {
		parts = append(parts, p)
	}
	if o.geomean != "" {
		parts = append(parts, "geomean "+o.geomean)
	}
	return Clip(s, 600), strings.Join(parts, "; ")
}

// writeSweeps explains the swept rows: what their figures are, and each
// sweep's points, peak and fit.
func writeSweeps(b *strings.Builder, m *model) {
	if len(m.sweeps) == 0 {
		return
	}
	b.WriteString("\nconnection sweeps: concurrency reached the connection count, so no slots " +
		"bound the server;\nthe connections were doubled until more stopped adding throughput," +
		" and the table shows\neach swept cell at its peak useful concurrency:\n")
	for _, s := range m.sweeps {
		name := Clip(plain(s.name), termNameRunes)
		fmt.Fprintf(b, "  %s: peak useful concurrency %s at %s req/s with %s connections "+
			"(p50 %s, p99 %s)\n", name, s.peak, s.peakX, s.peakConns,
			or(s.p50, "-"), or(s.p99, "-"))
		pad := strings.Repeat(" ", width(name)+4)
		fmt.Fprintf(b, "%sstopped: %s\n", pad, Clip(plain(s.why), termNoteRunes))
		t := newTextTable(append([]column{lcol("connections")}, rcols(s.connections)...)...)
		t.add("", append([]string{"req/s"}, s.throughput...)...)
		var rows strings.Builder
		t.write(&rows)
		for _, l := range strings.Split(strings.TrimSuffix(rows.String(), "\n"), "\n") {
			b.WriteString(pad + l + "\n")
		}
		if s.usl != "" {
			fmt.Fprintf(b, "%sUSL fit: %s\n", pad, s.usl)
		}
	}
}

func writeWarnings(b *strings.Builder, ws []string) {
	for _, w := range ws {
		b.WriteString("warning: " + Clip(plain(w), termNoteRunes) + "\n")
	}
	if len(ws) > 0 {
		b.WriteString("\n")
	}
}

func writeDiagnostics(b *strings.Builder, m *model) {
	if len(m.diagnostics) == 0 {
		return
	}
	b.WriteString("\ndiagnostics:\n")
	for _, d := range m.diagnostics {
		name := Clip(plain(d.cell), termNameRunes)
		if d.cell == "" {
			name = "all cells"
		}
		if d.side != "" {
			name += " (" + d.side + ")"
		}
		b.WriteString("  " + name + ": " + Clip(plain(d.text), termNoteRunes) + "\n")
	}
}

// textTable aligns columns of plain text, two spaces apart, under a row of
// column heads. A row may carry a tail: free text written after its last
// cell, which does not widen any column (a failed cell's error spans the
// columns it has no values for).
type textTable struct {
	cols []column
	rows []textRow
}

type textRow struct {
	cells []string
	tail  string
}

func newTextTable(cols ...column) *textTable {
	t := &textTable{cols: cols}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	t.add("", heads...)
	return t
}

func (t *textTable) add(tail string, cells ...string) {
	t.rows = append(t.rows, textRow{cells: cells, tail: tail})
}

func (t *textTable) write(b *strings.Builder) {
	var widths []int
	for _, r := range t.rows {
		for i, c := range r.cells {
			if i == len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], width(c))
		}
	}
	for _, r := range t.rows {
		var line strings.Builder
		for i, c := range r.cells {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-width(c))
			if i < len(t.cols) && t.cols[i].right {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		if r.tail != "" {
			line.WriteString("  " + r.tail)
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}
