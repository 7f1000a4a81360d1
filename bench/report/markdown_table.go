package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// The Markdown tables of the model: one row per cell (of a run, or of a
// comparison with head beside base) and the bursts.

// mdCellRunes is how much of a cell's name a table or a list keeps.
const mdCellRunes = 60

// shownCells are the indices of the cells in the table: all of them, or
// when the layout limits the rows, the most telling ones (regressed, then
// failed, inconclusive, improved) in their original order.
func (d *mdDoc) shownCells() []int {
	n := len(d.m.rows)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if d.l.rows < 0 || d.l.rows >= n {
		return idx
	}
	rank := func(c row) int {
		switch {
		case c.verdict == results.Regressed && !c.head.failed:
			return 0
		case c.failed():
			return 1
		case c.verdict == results.Inconclusive:
			return 2
		case c.verdict == results.Improved:
			return 3
		}
		return 4
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rank(d.m.rows[a]) - rank(d.m.rows[b]) })
	idx = idx[:d.l.rows]
	slices.Sort(idx)
	return idx
}

// mdCellName is the table's name of a cell, its mark when it is the
// deployed one: "3x2 (**deployed**)".
func mdCellName(c row) string {
	name := Escape(Clip(c.name, mdCellRunes))
	if c.deployed {
		name += " (**" + deployedMark + "**)"
	}
	return name
}

func (d *mdDoc) runTable(shown []int) {
	if len(d.m.rows) == 0 {
		return
	}
	st := mdStyle()
	figures := figureHeads()
	d.table(append([]column{lcol("cell"), rcol("slots")}, figures...)...)
	for _, i := range shown {
		c := d.m.rows[i]
		name := mdCellName(c)
		if c.head.failed {
			empty := strings.Repeat(" |", len(figures))
			d.line("| " + name + " | " + itoa(c.slots) + " | ❌ failed" + empty)
			continue
		}
		d.line(mdRow(append([]string{name, c.slotsText(st.none)}, c.head.figures(st)...)...))
	}
	d.rowsNote(shown)
	d.line("")
}

func (d *mdDoc) comparisonTable(shown []int) {
	if len(d.m.rows) == 0 {
		return
	}
	st := mdStyle()
	d.table(lcol("cell"), rcol("base req/s"), rcol("head req/s"), lcol("change [CI]"),
		lcol("verdict"), rcol("concurrency (base → head, slots)"), rcol("p99 (base → head)"),
		rcol("Σ PSS (base → head)"))
	for _, i := range shown {
		c := d.m.rows[i]
		name := mdCellName(c)
		head := or(c.head.throughput, st.none)
		// A cell without a comparison has its state in the verdict column.
		note := func(base, verdict string) {
			d.line(mdRow(name, base, head, "", verdict, "", "", ""))
		}
		base := st.none
		if c.base != nil {
			base = or(c.base.throughput, st.none)
		}
		failed := func(side string) string {
			if d := d.m.outcome.down; d != nil && d.side == side {
				return side + " does not start"
			}
			return "failed on " + side
		}
		switch {
		case c.head.failed:
			note(base, "❌ "+failed("head"))
			continue
		case c.base != nil && c.base.failed:
			note(base, "⚠️ "+failed("base"))
			continue
		case c.base == nil:
			note(st.none, "— (no base)")
			continue
		}
		delta := minus(c.change)
		if delta != "" && (c.verdict == results.Regressed || c.verdict == results.Improved) {
			delta = "**" + delta + "**"
		}
		delta = or(spaced(delta, minus(c.interval)), st.none)
		of := " of " + itoa(c.slots)
		if !c.slotted {
			// No slots: the concurrency is bounded by the connections.
			of = " (" + Plural(atoi(c.head.connections), "connection") + ")"
		}
		d.line(mdRow(name, base, head, delta, verdictCell(c),
			arrow(c.base.concurrency, c.head.concurrency)+of,
			arrow(c.base.p99, c.head.p99),
			arrow(c.base.pss, c.head.pss),
		))
	}
	d.rowsNote(shown)
	d.line("")
}

// verdictCell is a compared cell's verdict with its p-value, and the
// threshold when a significant change is within it.
func verdictCell(c row) string {
	p := inParens(c.p)
	switch c.verdict {
	case results.Regressed:
		return "❌ **regressed**" + p
	case results.Improved:
		return "✅ **improved**" + p
	case results.Unchanged:
		if c.within != "" {
			return "unchanged: within ±" + c.within + p
		}
		return "unchanged" + p
	case results.Inconclusive:
		if c.mde != "" {
			return "⚠️ inconclusive (detects ≥ " + c.mde + ")"
		}
		return "⚠️ inconclusive"
	case "":
		return "—"
	}
	return Escape(Clip(string(c.verdict), 20))
}

// arrow is "620 → 700 ms": base → head, with a shared unit written once.
func arrow(base, head string) string {
	base, head = or(base, "—"), or(head, "—")
	bn, bu, okb := strings.Cut(base, " ")
	_, hu, okh := strings.Cut(head, " ")
	if okb && okh && bu == hu {
		base = bn
	}
	return base + " → " + head
}

func (d *mdDoc) rowsNote(shown []int) {
	hidden := len(d.m.rows) - len(shown)
	if hidden <= 0 {
		return
	}
	kinds := map[string]int{}
	in := map[int]bool{}
	for _, i := range shown {
		in[i] = true
	}
	for i, c := range d.m.rows {
		if in[i] {
			continue
		}
		k := string(c.verdict)
		if !d.comparison || k == "" {
			k = "measured"
		}
		kinds[k]++
	}
	var parts []string
	for _, k := range []string{"measured", string(results.Unchanged), string(results.Improved),
		string(results.Inconclusive), string(results.Regressed)} {
		if kinds[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", kinds[k], k))
			delete(kinds, k)
		}
	}
	other := 0
	for _, n := range kinds {
		other += n
	}
	if other > 0 {
		parts = append(parts, fmt.Sprintf("%d other", other))
	}
	d.line("")
	d.p("*%s not shown (%s) to fit the size limit; all are in results.json.*\n",
		Plural(hidden, "more cell"), strings.Join(parts, ", "))
}

// sweeps is a table of the connection sweeps: per swept cell the
// connections tried, the peak and why the sweep stopped, and the fit.
func (d *mdDoc) sweeps() {
	if len(d.m.sweeps) == 0 {
		return
	}
	d.line("**Connection sweeps**: each cell's concurrency reached the closed loop's " +
		"connection count, so the load generator, not the server, was the limit. The " +
		"connections were doubled until more stopped adding throughput; the *peak useful " +
		"concurrency* is throughput × service time there. The fit is the Universal " +
		"Scalability Law X(N) = λN / (1 + σ(N−1) + κN(N−1)); the sweep charts draw it.")
	d.line("")
	d.table(lcol("cell"), rcol("peak useful concurrency"), rcol("req/s there"),
		rcol("connections there"), rcol("p50 / p99 there"), lcol("stopped because"),
		lcol("connections swept (req/s)"), lcol("USL fit"))
	st := mdStyle()
	for _, s := range d.m.sweeps {
		pts := make([]string, len(s.connections))
		for i := range s.connections {
			pts[i] = s.connections[i] + " (" + s.throughput[i] + ")"
		}
		d.line(mdRow(Escape(Clip(s.name, mdCellRunes)), s.peak, s.peakX, s.peakConns,
			or(s.p50, st.none)+" / "+or(s.p99, st.none), Escape(s.why),
			strings.Join(pts, " · "), or(minus(s.usl), st.none)))
	}
	d.line("")
}

func (d *mdDoc) bursts() {
	var rows []burstRow
	for _, b := range d.m.bursts {
		if !b.failed {
			rows = append(rows, b)
		}
	}
	if len(rows) == 0 {
		return
	}
	d.line("**Bursts**: N requests fired at the same instant. A wave is the requests that " +
		"complete together, so the first wave is how many the server serves at once.")
	d.line("")
	st := mdStyle()
	wavesOf := func(w *waveList) string {
		if w == nil {
			return st.none
		}
		return w.text(st.sep)
	}
	if d.comparison {
		d.table(lcol("cell"), rcol("slots"), rcol("burst"), lcol("base waves"), lcol("head waves"))
		for _, b := range rows {
			d.line(mdRow(Escape(Clip(b.name, mdCellRunes)), itoa(b.slots), itoa(b.size),
				wavesOf(b.base), wavesOf(b.head)))
		}
	} else {
		d.table(lcol("cell"), rcol("slots"), rcol("burst"), lcol("waves"), rcol("largest wave"))
		for _, b := range rows {
			d.line(mdRow(Escape(Clip(b.name, mdCellRunes)), itoa(b.slots), itoa(b.size),
				wavesOf(b.head), itoa(b.largest)))
		}
	}
	d.line("")
}
