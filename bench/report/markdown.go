package report

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// MarkdownOptions tunes Markdown. The zero value renders everything with
// default labels.
type MarkdownOptions struct {
	// Title names what was benchmarked in the first line, e.g. the app or
	// the workflow job. Untrusted text: it is escaped. Default "workerbench"
	// for a run, nothing for a comparison.
	Title string
	// Base and Head name the two sides of a comparison, e.g. branch names
	// or short commit SHAs. Untrusted text: escaped. Default "base", "head".
	Base, Head string
	// ArtifactURL, when set, adds a link to the uploaded artifacts (charts,
	// results.json, server logs). Only http and https URLs are linked.
	ArtifactURL string
	// MaxBytes, when > 0, bounds the size of the output: the <details>
	// sections are condensed and then dropped, then the chart and the
	// bursts, then rows of the per-cell table (keeping failed, regressed,
	// inconclusive and improved cells first) with a note saying so. Nothing
	// is cut inside a table row, a code block or a <details> element. A
	// GitHub comment holds 65,536 characters; leave room for a marker the
	// publisher adds.
	MaxBytes int
}

// Markdown writes r as GitHub-flavoured Markdown for summary.md, a job
// summary or a pull-request comment. The first line is a heading that says
// the outcome, e.g. "### ❌ Concurrency regressed: 3x3 −12% throughput
// (p=0.002)"; then a table per cell, the Mermaid chart, the bursts, and
// collapsed <details> sections for diagnostics, the log tails of failed
// cells, further measurements, and the host and settings. Every string
// from the results is escaped (see Escape and CodeBlock).
//
// It fails only when w fails, or when MaxBytes is too small for even the
// heading and a note.
func Markdown(w io.Writer, r *results.Run, o MarkdownOptions) error {
	if r == nil {
		return errors.New("render markdown: no results")
	}
	out, err := fitMarkdown(r, o)
	if err != nil {
		return err
	}
	_, err = io.WriteString(w, out)
	return err
}

// detail is how much of the <details> sections a rendering includes.
type detail int

const (
	detailFull  detail = iota
	detailShort        // log tails of 20 lines, shorter lines, no measurements table
	detailTiny         // log tails of 5 lines
	detailNone         // no <details> sections
)

// layout is one rendering's share of the content; fitMarkdown shrinks it
// step by step until the output fits MaxBytes.
type layout struct {
	detail detail
	chart  bool // the Mermaid chart and the bursts table
	rows   int  // cells in the per-cell table; < 0 for all
}

func fitMarkdown(r *results.Run, o MarkdownOptions) (string, error) {
	m := newModel(r)
	render := func(l layout) string {
		d := mdDoc{r: r, m: m, o: o, l: l, comparison: m.comparison}
		return d.render()
	}
	steps := []layout{
		{detailFull, true, -1},
		{detailShort, true, -1},
		{detailTiny, true, -1},
		{detailNone, true, -1},
		{detailNone, false, -1},
	}
	var last string
	for _, l := range steps {
		last = render(l)
		if o.MaxBytes <= 0 || len(last) <= o.MaxBytes {
			return last, nil
		}
	}
	// Fewer table rows: the size grows with the rows shown, so search for
	// the most rows that fit.
	n := len(r.Cells)
	k := sort.Search(n, func(k int) bool {
		return len(render(layout{detailNone, false, k})) > o.MaxBytes
	})
	for ; k > 0; k-- {
		if s := render(layout{detailNone, false, k - 1}); len(s) <= o.MaxBytes {
			return s, nil
		}
	}
	least := len(render(layout{detailNone, false, 0}))
	return "", fmt.Errorf("render markdown: %d bytes cannot hold even the heading and "+
		"summary (%d bytes)", o.MaxBytes, least)
}

// mdDoc renders one Markdown document: the model m of r, laid out as l.
type mdDoc struct {
	r          *results.Run
	m          *model
	o          MarkdownOptions
	l          layout
	comparison bool
	b          strings.Builder
}

// Limits on untrusted text, by detail level.
func (d *mdDoc) limits() (items, runes, logLines, lineRunes int) {
	switch d.l.detail {
	case detailFull:
		return 1000, 2000, 0, 0 // 0: the whole log tail as recorded
	case detailShort:
		return 30, 300, 20, 300
	default:
		return 10, 160, 5, 160
	}
}

func (d *mdDoc) p(format string, a ...any) { fmt.Fprintf(&d.b, format, a...) }

func (d *mdDoc) line(s string) { d.b.WriteString(s + "\n") }

func (d *mdDoc) render() string {
	d.line(d.heading())
	d.line("")
	d.intro()
	d.warnings()
	shown := d.shownCells()
	if d.comparison {
		d.comparisonTable(shown)
	} else {
		d.runTable(shown)
	}
	d.failures(shown)
	d.inconclusive()
	if d.l.chart {
		if m := Mermaid(d.r); m != "" {
			d.b.WriteString(m)
			d.line("")
		}
		d.bursts()
	}
	d.artifacts()
	if d.l.detail < detailNone {
		d.diagnostics()
		d.logs()
		if d.l.detail == detailFull {
			d.measurements()
		}
		d.settings()
	}
	d.omissions()
	return strings.TrimRight(d.b.String(), "\n") + "\n"
}

// Markdown's shapes: a table row, a table's head, a <details> section.

// mdRow is one Markdown table row of cells that are already escaped.
func mdRow(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |" }

// table writes the head of a GFM table: the column heads and the
// alignment row.
func (d *mdDoc) table(cols ...column) {
	heads := make([]string, len(cols))
	aligns := make([]string, len(cols))
	for i, c := range cols {
		heads[i], aligns[i] = c.head, ":--"
		if c.right {
			aligns[i] = "--:"
		}
	}
	d.line(mdRow(heads...))
	d.line("|" + strings.Join(aligns, "|") + "|")
}

func (d *mdDoc) open(summary string) {
	d.line("<details><summary>" + summary + "</summary>")
	d.line("")
}

func (d *mdDoc) close() {
	d.line("")
	d.line("</details>")
	d.line("")
}

// The top of the Markdown: the heading that says the outcome, the line
// that explains the table, and the warnings.

// mdNameRunes is how much of a cell's name a heading keeps.
const mdNameRunes = 40

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
	case o.measured == 0:
		what := "all " + Plural(o.cells, "cell") + " failed"
		if len(failed) <= 2 {
			what += " (" + failedNames(failed) + ")"
		}
		parts = append(parts, what)
		emoji = "❌"
	default:
		c := o.best
		what := fmt.Sprintf("%s = %s req/s, %s concurrent requests (%s of %s)",
			Escape(Clip(c.name, mdNameRunes)), or(c.head.throughput, "?"), c.head.concurrency1,
			or(c.head.efficiency, "?"), Plural(c.slots, "slot"))
		if o.measured > 1 {
			what = "best " + what
		}
		parts = append(parts, Plural(o.measured, "cell")+", "+what)
		if len(failed) > 0 {
			what := failedNames(failed) + " failed"
			if len(failed) <= 2 {
				what = Plural(len(failed), "cell") + " failed (" + failedNames(failed) + ")"
			}
			parts = append(parts, what)
			emoji = "⚠️"
		}
	}
	return emoji, title + ": " + strings.Join(parts, "; ")
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
			" (" + pEq(c.p) + ")"
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
	if !d.comparison {
		d.line("*Achieved concurrency* = throughput × unloaded service time: how many " +
			"requests the server really serves at once. " +
			"*Efficiency* = achieved ÷ slots (workers × threads).")
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
	d.line(s)
	d.line("")
}

func (d *mdDoc) warnings() {
	ws := d.r.Warnings
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

func (d *mdDoc) runTable(shown []int) {
	if len(d.m.rows) == 0 {
		return
	}
	st := mdStyle()
	figures := figureHeads()
	d.table(append([]column{lcol("cell"), rcol("slots")}, figures...)...)
	for _, i := range shown {
		c := d.m.rows[i]
		name := Escape(Clip(c.name, mdCellRunes))
		if c.head.failed {
			empty := strings.Repeat(" |", len(figures))
			d.line("| " + name + " | " + itoa(c.slots) + " | ❌ failed" + empty)
			continue
		}
		d.line(mdRow(append([]string{name, itoa(c.slots)}, c.head.figures(st)...)...))
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
		name := Escape(Clip(c.name, mdCellRunes))
		head := or(c.head.throughput, st.none)
		// A cell without a comparison has its state in the verdict column.
		note := func(base, verdict string) {
			d.line(mdRow(name, base, head, "", verdict, "", "", ""))
		}
		if c.base == nil {
			note(st.none, "— (no base)")
			continue
		}
		base := or(c.base.throughput, st.none)
		switch {
		case c.head.failed:
			note(base, "❌ failed on head")
			continue
		case c.base.failed:
			note(base, "⚠️ failed on base")
			continue
		}
		delta := minus(c.change)
		if delta != "" && (c.verdict == results.Regressed || c.verdict == results.Improved) {
			delta = "**" + delta + "**"
		}
		delta = or(spaced(delta, minus(c.interval)), st.none)
		d.line(mdRow(name, base, head, delta, verdictCell(c),
			arrow(c.base.concurrency, c.head.concurrency)+" of "+itoa(c.slots),
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
	p := " (" + pEq(c.p) + ")"
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

// The notes around the Markdown tables: the failed cells, what an
// inconclusive comparison needs, the link to the artifacts, and what the
// size limit left out.

func (d *mdDoc) failures(shown []int) {
	_, runes, _, _ := d.limits()
	if d.l.detail == detailNone {
		runes = 100
	}
	in := map[int]bool{}
	for _, i := range shown {
		in[i] = true
	}
	var lines []string
	for _, f := range d.m.failures {
		if !in[f.row] {
			continue
		}
		name := "**" + Escape(Clip(f.name, mdCellRunes)) + "**"
		mark, where := "❌", ""
		switch f.side {
		case "head":
			where = " on head"
		case "base":
			mark, where = "⚠️", " on base"
		}
		why := Escape(Clip(f.err, runes))
		lines = append(lines, "- "+mark+" "+name+" failed"+where+": "+why)
	}
	if len(lines) == 0 {
		return
	}
	for _, l := range lines {
		d.line(l)
	}
	if d.l.detail < detailNone {
		d.line("")
		d.line("The server's last log lines are in the *Failed cell* sections below.")
	}
	d.line("")
}

func (d *mdDoc) inconclusive() {
	if !d.comparison {
		return
	}
	o := d.m.outcome
	cs := o.inconclusive
	if len(cs) == 0 {
		return
	}
	var names []string
	for i, c := range cs {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(cs)-3))
			break
		}
		names = append(names, Escape(Clip(c.name, mdNameRunes)))
	}
	s := "**Inconclusive** for " + strings.Join(names, ", ") +
		": too few or too noisy trials to tell a change of " + o.threshold + " from noise"
	if o.mde != "" {
		s += "; the smallest change these trials could detect is " + o.mde
	}
	d.line(s + ". More trials (`--trials`) or a quieter runner narrow the interval.")
	d.line("")
}

func (d *mdDoc) artifacts() {
	if d.o.ArtifactURL == "" {
		return
	}
	const text = "Charts, results.json and server logs"
	if u, ok := safeURL(d.o.ArtifactURL); ok {
		d.line("📦 [" + text + "](" + u + ")")
	} else {
		d.line("📦 " + text + ": " + Escape(Clip(d.o.ArtifactURL, 200)))
	}
	d.line("")
}

// safeURL returns an absolute http(s) URL in a form that cannot end the
// Markdown link early or carry markup.
func safeURL(raw string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", false
	}
	s := u.String()
	r := strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", `"`, "%22",
		"`", "%60", "\\", "%5C", "|", "%7C")
	return r.Replace(s), true
}

func (d *mdDoc) omissions() {
	var what []string
	switch d.l.detail {
	case detailShort, detailTiny:
		what = append(what, "server logs and diagnostics are shortened")
	case detailNone:
		what = append(what, "diagnostics, server logs and settings are left out")
	}
	if !d.l.chart {
		what = append(what, "the chart and bursts are left out")
	}
	if len(what) == 0 {
		return
	}
	s := "*To fit the size limit, " + strings.Join(what, "; ") + ".*"
	if d.o.ArtifactURL != "" {
		s = strings.TrimSuffix(s, ".*") + ": see the artifacts.*"
	}
	d.line(s)
}

// The collapsed <details> sections at the foot of the Markdown:
// diagnostics, the log tails of failed cells, further measurements, and
// the host and settings.

func (d *mdDoc) diagnostics() {
	ds := d.m.diagnostics
	if len(ds) == 0 {
		return
	}
	items, runes, _, _ := d.limits()
	d.open(fmt.Sprintf("Diagnostics (%d)", len(ds)))
	for i, x := range ds {
		if i == items {
			d.p("- … %d more in results.json\n", len(ds)-items)
			break
		}
		name := "**" + Escape(Clip(x.cell, mdCellRunes)) + "**"
		if x.side != "" {
			name += " (" + x.side + ")"
		}
		d.line("- " + name + ": " + Escape(Clip(x.text, runes)))
	}
	d.close()
}

func (d *mdDoc) logs() {
	_, runes, maxLines, lineRunes := d.limits()
	for _, f := range d.m.failures {
		tail := f.logTail
		omitted := 0
		if maxLines > 0 && len(tail) > maxLines {
			omitted = len(tail) - maxLines
			tail = tail[omitted:]
		}
		what := "no server log captured"
		switch {
		case omitted > 0:
			what = fmt.Sprintf("server log, last %d of %d lines", len(tail), len(f.logTail))
		case len(tail) > 0:
			what = "server log, last " + Plural(len(tail), "line")
		}
		where := ""
		if f.side != "" {
			where = " on " + f.side
		}
		d.open("Failed cell " + escapeHTML(Clip(f.name, mdCellRunes)) + where + ": " + what)
		d.line("**Error:** " + Escape(Clip(f.err, runes)))
		if ex := f.logExcerpt; len(ex) > 0 {
			lines := make([]string, len(ex))
			for i, l := range ex {
				lines[i] = Clip(l, cmp.Or(lineRunes, 500))
			}
			d.line("")
			d.line("**What the server's log says:**")
			d.line("")
			d.b.WriteString(CodeBlock("text", strings.Join(lines, "\n")))
		}
		if f.log != "" {
			d.line("")
			d.line("Full log in the artifacts: " + Escape(Clip(f.log, 200)))
		}
		if len(tail) > 0 {
			lines := tail
			if lineRunes > 0 {
				lines = make([]string, len(tail))
				for i, l := range tail {
					lines[i] = Clip(l, lineRunes)
				}
			}
			d.line("")
			d.b.WriteString(CodeBlock("text", strings.Join(lines, "\n")))
		}
		d.close()
	}
}

func (d *mdDoc) measurements() {
	if len(d.m.rows) == 0 {
		return
	}
	d.open("Measurements")
	d.table(lcol("cell"), rcol("service time S0"), rcol("connections"), rcol("requests"),
		rcol("p90"), rcol("max"), rcol("Σ RSS"), rcol("processes"), rcol("server CPU/req"),
		rcol("generator CPU/req"), lcol("bound"), lcol("trials (req/s)"))
	st := mdStyle()
	add := func(name string, m measures) {
		if m.failed {
			d.line(mdRow(name, "failed", "", "", "", "", "", "", "", "", "", ""))
			return
		}
		d.line(mdRow(name,
			or(m.serviceTime, st.none),
			or(m.connections, st.none),
			m.requests,
			or(m.p90, st.none),
			or(m.max, st.none),
			or(m.rss, st.none),
			or(m.processes, st.none),
			or(m.serverCPU, st.none),
			or(m.generatorCPU, st.none),
			or(Escape(Clip(m.bound, 10)), st.none),
			or(strings.Join(m.trials, " · "), st.none),
		))
	}
	for _, c := range d.m.rows {
		name := Escape(Clip(c.name, mdCellRunes))
		if d.comparison {
			if c.base != nil {
				add(name+" base", *c.base)
			}
			add(name+" head", c.head)
		} else {
			add(name, c.head)
		}
	}
	d.close()
}

func (d *mdDoc) settings() {
	r := d.r
	d.open("Host and settings")
	h := r.Host
	host := fmt.Sprintf("%s, %s/%s",
		Plural(h.CPUs, "CPU"), Escape(Clip(h.OS, 20)), Escape(Clip(h.Arch, 20)))
	if h.CPUModel != "" {
		host += ", " + Escape(Clip(h.CPUModel, 80))
	}
	if h.Hostname != "" {
		host += ", host " + Escape(Clip(h.Hostname, 80))
	}
	d.line("- **Host:** " + host)
	s := r.Settings
	load := "closed loop"
	if s.DurationS > 0 {
		load += ", " + trimFloat(s.DurationS, 2) + " s per trial"
		if s.WarmupS > 0 {
			load += " after " + trimFloat(s.WarmupS, 2) + " s warm-up"
		}
	}
	if s.Trials > 0 {
		load += ", " + Plural(s.Trials, "trial")
	}
	if s.Connections > 0 {
		load += ", " + Plural(s.Connections, "connection")
	} else {
		load += ", 3 × slots connections (at least 8)"
	}
	if s.KeepAlive {
		load += ", keep-alive"
	} else {
		load += ", a new connection per request"
	}
	d.line("- **Load:** " + load)
	if len(s.Bursts) > 0 {
		sizes := make([]string, len(s.Bursts))
		for i, n := range s.Bursts {
			sizes[i] = itoa(n)
		}
		d.line("- **Bursts:** " + strings.Join(sizes, ", ") + " requests at once")
	}
	if d.comparison {
		d.line("- **Statistics:** threshold " + d.m.outcome.threshold)
		cell, overall := methods(r)
		if cell != "" {
			d.line("  - per cell: " + Escape(Clip(cell, 300)))
		}
		if overall != "" {
			d.line("  - overall: " + Escape(Clip(overall, 300)))
		}
	}
	if s.Seed != 0 {
		d.line("- **Seed:** " + strconv.FormatInt(s.Seed, 10))
	}
	if r.Started != "" {
		d.line("- **Started:** " + Escape(Clip(r.Started, 40)))
	}
	if r.Version != "" {
		d.line("- **workerbench:** " + Escape(Clip(r.Version, 40)))
	}
	if r.Dir != "" {
		d.line("- **Directory:** " + Escape(Clip(r.Dir, 200)))
	}
	if r.BaseDir != "" {
		d.line("- **Base directory:** " + Escape(Clip(r.BaseDir, 200)))
	}
	limit := 4000
	if d.l.detail != detailFull {
		limit = 500
	}
	if r.Command != "" {
		d.line("")
		label := "Command:"
		if d.comparison && r.BaseCommand != "" && r.BaseCommand != r.Command {
			label = "Head command:"
		}
		d.line(label)
		d.line("")
		d.b.WriteString(CodeBlock("sh", Clip(r.Command, limit)))
	}
	if r.BaseCommand != "" && r.BaseCommand != r.Command {
		d.line("")
		d.line("Base command:")
		d.line("")
		d.b.WriteString(CodeBlock("sh", Clip(r.BaseCommand, limit)))
	}
	d.close()
}

// methods names the statistics the verdicts come from: of the cells (when
// they all used the same) and of the overall verdict.
func methods(r *results.Run) (cell, overall string) {
	for _, c := range r.Cells {
		switch {
		case c.Method == "" || cellFailed(c):
		case cell == "":
			cell = c.Method
		case cell != c.Method:
			cell = "differs by cell (see results.json)"
		}
	}
	if r.Overall != nil {
		overall = r.Overall.Method
	}
	return cell, overall
}
