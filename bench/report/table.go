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
// Text from the results (errors, diagnostics, endpoints) is reduced to one
// line with control characters replaced, so a hostile server log cannot
// move the cursor or recolour the terminal.
func Table(w io.Writer, r *results.Run) error {
	if r == nil {
		return errors.New("render table: no results")
	}
	var b strings.Builder
	if r.IsComparison() {
		comparisonTable(&b, r)
	} else {
		runTable(&b, r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Text limits: terminal lines stay readable.
const (
	termErrorRunes = 160
	termNoteRunes  = 300
)

func runTable(b *strings.Builder, r *results.Run) {
	if r.Interrupted {
		fmt.Fprintf(b, "interrupted: partial results (%s measured)\n\n", Plural(len(r.Cells), "cell"))
	}
	writeWarnings(b, r.Warnings)

	endpoints := hasEndpoints(r)
	t := textTable{}
	head := []string{"workers", "threads", "slots", "req/s", "concurrency", "efficiency", "p50", "p99", "Σ PSS", "CPU/req", "errors"}
	right := []bool{true, true, true, true, true, true, true, true, true, true, true}
	if endpoints {
		head = append(head[:2:2], append([]string{"endpoint"}, head[2:]...)...)
		right = append(right[:2:2], append([]bool{false}, right[2:]...)...)
	}
	t.right = right
	t.add("", head...)
	for _, c := range r.Cells {
		row := []string{itoa(c.Workers), itoa(c.Threads)}
		if endpoints {
			row = append(row, Clip(plain(c.Endpoint), 40))
		}
		row = append(row, itoa(c.Slots))
		if c.Failed() {
			t.add("failed: "+Clip(plain(c.Error), termErrorRunes), row...)
			continue
		}
		row = append(row,
			or(num(c.ThroughputRPS), "-"),
			or(fixed2(c.Concurrency), "-"),
			or(Percent(c.Efficiency), "-"),
			or(seconds(c.Latency.P50), "-"),
			or(seconds(c.Latency.P99), "-"),
			or(bytesIEC(pss(c.Memory)), "-"),
			or(seconds(c.ServerCPUPerRequestS), "-"),
			plain(errorSummary(c)),
		)
		t.add("", row...)
	}
	t.write(b)

	var bursts []string
	for _, c := range r.Cells {
		for _, bu := range c.Bursts {
			bursts = append(bursts, burstLine(c, bu))
		}
	}
	if len(bursts) > 0 {
		b.WriteString("\n")
		for _, l := range bursts {
			b.WriteString(l + "\n")
		}
	}
	writeDiagnostics(b, r)
}

func burstLine(c results.Cell, bu results.Burst) string {
	s := fmt.Sprintf("%s burst %d: waves %s", plain(c.Name()), bu.Size, or(waves(bu.Waves, " "), "none"))
	if n := failedRequests(bu); n > 0 {
		s += fmt.Sprintf(" (%d failed)", n)
	}
	return s
}

func comparisonTable(b *strings.Builder, r *results.Run) {
	if r.Interrupted {
		fmt.Fprintf(b, "interrupted: partial results (%s compared)\n", Plural(len(r.Cells), "cell"))
		if len(r.Warnings) == 0 {
			b.WriteString("\n")
		}
	}
	writeWarnings(b, r.Warnings)

	t := textTable{right: []bool{false, true, true, true, false, true, false}}
	t.add("", "cell", "slots", "base req/s", "head req/s", "delta", "p", "verdict")
	for _, c := range r.Cells {
		name := Clip(plain(c.Name()), 48)
		base := "-"
		if c.Base != nil && !c.Base.Failed() {
			base = or(num(c.Base.ThroughputRPS), "-")
		}
		head := or(num(c.ThroughputRPS), "-")
		switch {
		case c.Failed():
			t.add("head failed: "+Clip(plain(c.Error), termErrorRunes), name, itoa(c.Slots), base, "-")
			continue
		case c.Base != nil && c.Base.Failed():
			t.add("base failed: "+Clip(plain(c.Base.Error), termErrorRunes), name, itoa(c.Slots), "-", head)
			continue
		case c.Base == nil:
			t.add("no base measurement", name, itoa(c.Slots), "-", head)
			continue
		}
		// As in benchstat, "~" is a change that is not significant; a
		// significant one is shown with its interval even when it is
		// within the threshold, and the verdict says so.
		delta := "~"
		verdict := or(plain(string(c.Verdict)), "-")
		if c.Significant() {
			delta = strings.TrimSpace(change(c.Ratio) + " " + interval(c.CILow, c.CIHigh))
		}
		switch {
		case c.Verdict == results.Unchanged && c.Significant():
			verdict += " (within ±" + percentFine(r.Threshold()) + ")"
		case c.Verdict == results.Inconclusive && c.MDE > 0:
			verdict += " (MDE " + percentFine(c.MDE) + ")"
		}
		t.add("", name, itoa(c.Slots), base, head, delta, or(pvalue(c.PValue), "-"), verdict)
	}
	if o := r.Overall; o != nil {
		t.add("", "geomean", "", "", "", strings.TrimSpace(change(o.Ratio)+" "+interval(o.CILow, o.CIHigh)))
	}
	t.write(b)
	verdict, how := overallSentence(r)
	fmt.Fprintf(b, "\noverall: %s\n", verdict)
	if how != "" {
		fmt.Fprintf(b, "         %s\n", how)
	}
	writeDiagnostics(b, r)
}

// overallSentence explains the overall verdict in a line of plain text,
// and how it was reached in another.
func overallSentence(r *results.Run) (verdict, how string) {
	v := r.OverallVerdict()
	s := or(string(v), "no verdict")
	th := r.Threshold()
	var names []string
	switch v {
	case results.Regressed, results.Improved:
		for _, c := range cellsWith(r, v) {
			names = append(names, Clip(plain(c.Name()), 48)+" "+change(c.Ratio)+" ("+pEq(c.PValue)+")")
		}
		s += " — " + strings.Join(names, ", ")
	case results.Inconclusive:
		for _, c := range cellsWith(r, v) {
			names = append(names, Clip(plain(c.Name()), 48))
		}
		s += " — too few or too noisy trials to decide " + strings.Join(names, ", ")
		if lo, hi := mdeRange(r); hi > 0 {
			s += " (could detect changes of " + mdeText(lo, hi) + " or more); run more trials"
		}
	case results.Unchanged:
		s += " — no cell changed significantly"
		if th > 0 {
			s += " by more than " + percentFine(th)
		}
	}
	if n := len(failedCells(r)); n > 0 {
		s += "; " + Plural(n, "cell") + " failed"
	}
	var parts []string
	if th > 0 {
		parts = append(parts, "threshold "+percentFine(th))
	}
	if p := pairsText(r, ""); p != "" {
		parts = append(parts, p)
	}
	if o := r.Overall; o != nil && o.Ratio > 0 {
		parts = append(parts, "geomean "+strings.TrimSpace(change(o.Ratio)+" "+interval(o.CILow, o.CIHigh)))
	}
	return Clip(s, 600), strings.Join(parts, "; ")
}

func writeWarnings(b *strings.Builder, ws []string) {
	for _, w := range ws {
		b.WriteString("warning: " + Clip(plain(w), termNoteRunes) + "\n")
	}
	if len(ws) > 0 {
		b.WriteString("\n")
	}
}

func writeDiagnostics(b *strings.Builder, r *results.Run) {
	var lines []string
	for _, c := range r.Cells {
		for _, d := range c.Diagnostics {
			lines = append(lines, Clip(plain(c.Name()), 48)+": "+Clip(plain(d), termNoteRunes))
		}
		if c.Base != nil {
			for _, d := range c.Base.Diagnostics {
				lines = append(lines, Clip(plain(c.Name()), 48)+" (base): "+Clip(plain(d), termNoteRunes))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\ndiagnostics:\n")
	for _, l := range lines {
		b.WriteString("  " + l + "\n")
	}
}

// textTable aligns columns of plain text, two spaces apart. A row may carry
// a tail: free text written after its last cell, which does not widen any
// column (a failed cell's error spans the columns it has no values for).
type textTable struct {
	right []bool // per column: align right
	rows  []textRow
}

type textRow struct {
	cells []string
	tail  string
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
			if i < len(t.right) && t.right[i] {
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
