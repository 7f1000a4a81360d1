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
	render := func(l layout) string {
		d := mdDoc{r: r, o: o, l: l, comparison: r.IsComparison()}
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
	return "", fmt.Errorf("render markdown: %d bytes cannot hold even the heading and summary (%d bytes)", o.MaxBytes, len(render(layout{detailNone, false, 0})))
}

// mdDoc renders one Markdown document.
type mdDoc struct {
	r          *results.Run
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

// ---- first line ----

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
	r := d.r
	title := Escape(Clip(or(d.o.Title, "workerbench"), 60))
	if r.Interrupted {
		title += " (interrupted)"
		emoji = "⚠️"
	}
	failed := failedCells(r)
	measured := len(r.Cells) - len(failed)
	var parts []string
	switch {
	case len(r.Cells) == 0:
		parts = append(parts, "no cells measured")
		emoji = "⚠️"
	case measured == 0:
		what := "all " + Plural(len(r.Cells), "cell") + " failed"
		if len(failed) <= 2 {
			what += " (" + d.failedNames(failed) + ")"
		}
		parts = append(parts, what)
		emoji = "❌"
	default:
		c, _ := r.Best()
		what := fmt.Sprintf("%s = %s req/s, %.1f concurrent requests (%s of %s)",
			Escape(Clip(c.Name(), 40)), or(num(c.ThroughputRPS), "?"), c.Concurrency, or(Percent(c.Efficiency), "?"), Plural(c.Slots, "slot"))
		if measured > 1 {
			what = "best " + what
		}
		parts = append(parts, Plural(measured, "cell")+", "+what)
		if len(failed) > 0 {
			what := d.failedNames(failed) + " failed"
			if len(failed) <= 2 {
				what = Plural(len(failed), "cell") + " failed (" + d.failedNames(failed) + ")"
			}
			parts = append(parts, what)
			emoji = "⚠️"
		}
	}
	return emoji, title + ": " + strings.Join(parts, "; ")
}

// failedNames names the failed cells for a heading: "3x3 on head, 1x1
// on base", or "16 cells" when there are more than two.
func (d *mdDoc) failedNames(fs []failure) string {
	if len(fs) > 2 {
		cells := map[string]bool{}
		for _, f := range fs {
			cells[f.name] = true
		}
		return Plural(len(cells), "cell")
	}
	var names []string
	for _, f := range fs {
		n := Escape(Clip(f.name, 40))
		if f.side != "" {
			n += " on " + f.side
		}
		names = append(names, n)
	}
	return strings.Join(names, ", ")
}

func (d *mdDoc) comparisonOutcome() (emoji, text string) {
	r := d.r
	failed := failedCells(r)
	measured := 0
	for _, c := range r.Cells {
		if !cellFailed(c) {
			measured++
		}
	}
	scope := Plural(measured, "cell")
	if g := d.geomean(); g != "" {
		scope += ", geomean " + g
	}
	v := r.OverallVerdict()
	switch v {
	case results.Regressed:
		emoji, text = "❌", "Concurrency regressed"+or(d.changedCells(cellsWith(r, v)), " ("+scope+")")
	case results.Improved:
		emoji, text = "✅", "Concurrency improved"+or(d.changedCells(cellsWith(r, v)), " ("+scope+")")
	case results.Unchanged:
		emoji, text = "✅", "No concurrency regression ("+scope+")"
		if len(failed) > 0 {
			text = "no concurrency regression in the other cells (" + scope + ")"
		}
	case results.Inconclusive:
		// The comparison is inconclusive overall for one of three reasons.
		switch {
		case len(cellsWith(r, results.Regressed)) > 0:
			// A cell regressed on its own but not after correcting for the
			// number of cells compared.
			emoji, text = "⚠️", "Possible concurrency regression"+d.changedCells(cellsWith(r, results.Regressed))+
				", not significant across "+Plural(measured, "cell")
		case len(cellsWith(r, results.Inconclusive)) > 0:
			emoji, text = "⚠️", "Inconclusive: too noisy to rule out a concurrency regression ("+scope+")"
		default:
			// Only failed cells, or improvements that do not survive the
			// correction: nothing measured regressed.
			emoji, text = "⚠️", "No concurrency regression in the cells measured ("+scope+")"
		}
	default:
		emoji, text = "⚠️", "No verdict ("+scope+")"
	}
	if len(failed) > 0 {
		fails := d.failedNames(failed) + " failed"
		if emoji == "❌" || strings.HasPrefix(text, "Possible") {
			text += "; " + fails
		} else {
			emoji, text = "⚠️", fails+"; "+lowerFirst(text)
		}
	}
	if r.Interrupted {
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
func (d *mdDoc) changedCells(cs []results.Cell) string {
	if len(cs) == 0 {
		return ""
	}
	one := func(c results.Cell, unit string) string {
		s := Escape(Clip(c.Name(), 40)) + " " + minus(changeShort(c.Ratio)) + unit
		if p := pEq(c.PValue); p != "" {
			s += " (" + p + ")"
		}
		return s
	}
	switch len(cs) {
	case 1:
		return ": " + one(cs[0], " throughput")
	case 2:
		return ": " + one(cs[0], " throughput") + ", " + one(cs[1], "")
	}
	return fmt.Sprintf(" in %d of %d cells, worst %s", len(cs), len(d.r.Cells), one(cs[0], " throughput"))
}

// geomean is "−0.4% [−1.9%, +1.1%]", or "" without an overall ratio.
func (d *mdDoc) geomean() string {
	o := d.r.Overall
	if o == nil || o.Ratio <= 0 {
		return ""
	}
	return minus(strings.TrimSpace(change(o.Ratio) + " " + interval(o.CILow, o.CIHigh)))
}

func lowerFirst(s string) string {
	if len(s) > 1 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'a' && s[1] <= 'z' {
		return string(s[0]+'a'-'A') + s[1:]
	}
	return s
}

// ---- above the table ----

func (d *mdDoc) intro() {
	if !d.comparison {
		d.line("*Achieved concurrency* = throughput × unloaded service time: how many requests the server really serves at once. *Efficiency* = achieved ÷ slots (workers × threads).")
		d.line("")
		return
	}
	head, base := "**head**", "**base**"
	if d.o.Head != "" {
		head += " (" + Escape(Clip(d.o.Head, 60)) + ")"
	}
	if d.o.Base != "" {
		base += " (" + Escape(Clip(d.o.Base, 60)) + ")"
	}
	s := fmt.Sprintf("Throughput of %s vs %s on %s", head, base, Plural(len(d.r.Cells), "cell"))
	if p := pairsText(d.r, "interleaved "); p != "" {
		s += ", " + p
	}
	s += ". A cell regresses when its throughput drops significantly"
	if th := d.r.Threshold(); th > 0 {
		s += " and by more than " + percentFine(th)
	}
	s += "."
	if g := d.geomean(); g != "" {
		s += " Overall (geometric mean): " + g + "."
	}
	d.line(s)
	d.line("")
}

func (d *mdDoc) warnings() {
	ws := d.r.Warnings
	if d.r.Interrupted {
		ws = append([]string{"The run was interrupted before it finished: these results are partial."}, ws...)
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

// shownCells are the indices of the cells in the table: all of them, or
// when the layout limits the rows, the most telling ones (regressed, then
// failed, inconclusive, improved) in their original order.
func (d *mdDoc) shownCells() []int {
	n := len(d.r.Cells)
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	if d.l.rows < 0 || d.l.rows >= n {
		return idx
	}
	rank := func(c results.Cell) int {
		switch {
		case c.Verdict == results.Regressed && !c.Failed():
			return 0
		case cellFailed(c):
			return 1
		case c.Verdict == results.Inconclusive:
			return 2
		case c.Verdict == results.Improved:
			return 3
		}
		return 4
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rank(d.r.Cells[a]) - rank(d.r.Cells[b]) })
	idx = idx[:d.l.rows]
	slices.Sort(idx)
	return idx
}

// ---- tables ----

func (d *mdDoc) runTable(shown []int) {
	if len(d.r.Cells) == 0 {
		return
	}
	d.line("| cell | slots | req/s | concurrency | efficiency | p50 | p99 | Σ PSS | CPU/req | errors |")
	d.line("|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, i := range shown {
		c := d.r.Cells[i]
		name := Escape(Clip(c.Name(), 60))
		if c.Failed() {
			d.line("| " + name + " | " + itoa(c.Slots) + " | ❌ failed | | | | | | | |")
			continue
		}
		d.line(row(name, itoa(c.Slots),
			or(num(c.ThroughputRPS), "—"),
			or(fixed2(c.Concurrency), "—"),
			or(Percent(c.Efficiency), "—"),
			or(seconds(c.Latency.P50), "—"),
			or(seconds(c.Latency.P99), "—"),
			or(bytesIEC(pss(c.Memory)), "—"),
			or(seconds(c.ServerCPUPerRequestS), "—"),
			Escape(errorSummary(c)),
		))
	}
	d.rowsNote(shown)
	d.line("")
}

func (d *mdDoc) comparisonTable(shown []int) {
	if len(d.r.Cells) == 0 {
		return
	}
	d.line("| cell | base req/s | head req/s | change [CI] | verdict | concurrency (base → head, slots) | p99 (base → head) | Σ PSS (base → head) |")
	d.line("|:--|--:|--:|:--|:--|--:|--:|--:|")
	for _, i := range shown {
		c := d.r.Cells[i]
		name := Escape(Clip(c.Name(), 60))
		head := "—"
		if !c.Failed() {
			head = or(num(c.ThroughputRPS), "—")
		}
		if c.Base == nil {
			d.line(row(name, "—", head, "", "— (no base)", "", "", ""))
			continue
		}
		base := "—"
		if !c.Base.Failed() {
			base = or(num(c.Base.ThroughputRPS), "—")
		}
		switch {
		case c.Failed():
			d.line(row(name, base, head, "", "❌ failed on head", "", "", ""))
			continue
		case c.Base.Failed():
			d.line(row(name, base, head, "", "⚠️ failed on base", "", "", ""))
			continue
		}
		delta := minus(change(c.Ratio))
		if delta != "" && (c.Verdict == results.Regressed || c.Verdict == results.Improved) {
			delta = "**" + delta + "**"
		}
		if iv := interval(c.CILow, c.CIHigh); iv != "" {
			delta += " " + minus(iv)
		}
		d.line(row(name, base, head, or(strings.TrimSpace(delta), "—"), verdictCell(c, d.r.Threshold()),
			arrow(fixed2(c.Base.Concurrency), fixed2(c.Concurrency))+" of "+itoa(c.Slots),
			arrow(seconds(c.Base.Latency.P99), seconds(c.Latency.P99)),
			arrow(bytesIEC(pss(c.Base.Memory)), bytesIEC(pss(c.Memory))),
		))
	}
	d.rowsNote(shown)
	d.line("")
}

// verdictCell is a compared cell's verdict with its p-value; th is the
// threshold, named when a significant change is within it.
func verdictCell(c results.Cell, th float64) string {
	p := pEq(c.PValue)
	if p != "" {
		p = " (" + p + ")"
	}
	switch c.Verdict {
	case results.Regressed:
		return "❌ **regressed**" + p
	case results.Improved:
		return "✅ **improved**" + p
	case results.Unchanged:
		if c.Significant() && th > 0 {
			return "unchanged: within ±" + percentFine(th) + p
		}
		return "unchanged" + p
	case results.Inconclusive:
		if c.MDE > 0 {
			return "⚠️ inconclusive (detects ≥ " + percentFine(c.MDE) + ")"
		}
		return "⚠️ inconclusive"
	case "":
		return "—"
	}
	return Escape(Clip(string(c.Verdict), 20))
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

// row is one Markdown table row of cells that are already escaped.
func row(cells ...string) string { return "| " + strings.Join(cells, " | ") + " |" }

func (d *mdDoc) rowsNote(shown []int) {
	hidden := len(d.r.Cells) - len(shown)
	if hidden <= 0 {
		return
	}
	kinds := map[string]int{}
	in := map[int]bool{}
	for _, i := range shown {
		in[i] = true
	}
	for i, c := range d.r.Cells {
		if in[i] {
			continue
		}
		k := string(c.Verdict)
		if !d.comparison || k == "" {
			k = "measured"
		}
		kinds[k]++
	}
	var parts []string
	for _, k := range []string{"measured", string(results.Unchanged), string(results.Improved), string(results.Inconclusive), string(results.Regressed)} {
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
	d.p("*%s not shown (%s) to fit the size limit; all are in results.json.*\n", Plural(hidden, "more cell"), strings.Join(parts, ", "))
}

// ---- below the table ----

func (d *mdDoc) failures(shown []int) {
	_, runes, _, _ := d.limits()
	if d.l.detail == detailNone {
		runes = 100
	}
	var lines []string
	for _, i := range shown {
		c := d.r.Cells[i]
		name := "**" + Escape(Clip(c.Name(), 60)) + "**"
		if c.Failed() {
			where := ""
			if d.comparison {
				where = " on head"
			}
			lines = append(lines, "- ❌ "+name+" failed"+where+": "+Escape(Clip(c.Error, runes)))
		}
		if c.Base != nil && c.Base.Failed() {
			lines = append(lines, "- ⚠️ "+name+" failed on base: "+Escape(Clip(c.Base.Error, runes)))
		}
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
	cs := cellsWith(d.r, results.Inconclusive)
	if len(cs) == 0 {
		return
	}
	var names []string
	for i, c := range cs {
		if i == 3 {
			names = append(names, fmt.Sprintf("%d more", len(cs)-3))
			break
		}
		names = append(names, Escape(Clip(c.Name(), 40)))
	}
	s := "**Inconclusive** for " + strings.Join(names, ", ") + ": too few or too noisy trials to tell a change"
	if th := d.r.Threshold(); th > 0 {
		s += " of " + percentFine(th)
	}
	s += " from noise"
	if lo, hi := mdeRange(d.r); hi > 0 {
		s += "; the smallest change these trials could detect is " + mdeText(lo, hi)
	}
	d.line(s + ". More trials (`--trials`) or a quieter runner narrow the interval.")
	d.line("")
}

func (d *mdDoc) bursts() {
	type burstRow struct {
		c          results.Cell
		head, base *results.Burst
	}
	var rows []burstRow
	for _, c := range d.r.Cells {
		if c.Failed() {
			continue
		}
		for i := range c.Bursts {
			br := burstRow{c: c, head: &c.Bursts[i]}
			if c.Base != nil {
				for j := range c.Base.Bursts {
					if c.Base.Bursts[j].Size == c.Bursts[i].Size {
						br.base = &c.Base.Bursts[j]
					}
				}
			}
			rows = append(rows, br)
		}
	}
	if len(rows) == 0 {
		return
	}
	d.line("**Bursts**: N requests fired at the same instant. A wave is the requests that complete together, so the first wave is how many the server serves at once.")
	d.line("")
	wavesOf := func(b *results.Burst) string {
		if b == nil {
			return "—"
		}
		s := or(waves(b.Waves, " · "), "none")
		if n := failedRequests(*b); n > 0 {
			s += fmt.Sprintf(" (%d failed)", n)
		}
		return s
	}
	if d.comparison {
		d.line("| cell | slots | burst | base waves | head waves |")
		d.line("|:--|--:|--:|:--|:--|")
		for _, br := range rows {
			d.line(row(Escape(Clip(br.c.Name(), 60)), itoa(br.c.Slots), itoa(br.head.Size), wavesOf(br.base), wavesOf(br.head)))
		}
	} else {
		d.line("| cell | slots | burst | waves | largest wave |")
		d.line("|:--|--:|--:|:--|--:|")
		for _, br := range rows {
			d.line(row(Escape(Clip(br.c.Name(), 60)), itoa(br.c.Slots), itoa(br.head.Size), wavesOf(br.head), itoa(br.head.LargestWave())))
		}
	}
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
	r := strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", `"`, "%22", "`", "%60", "\\", "%5C", "|", "%7C")
	return r.Replace(s), true
}

// ---- <details> sections ----

func (d *mdDoc) open(summary string) {
	d.line("<details><summary>" + summary + "</summary>")
	d.line("")
}

func (d *mdDoc) close() {
	d.line("")
	d.line("</details>")
	d.line("")
}

func (d *mdDoc) diagnostics() {
	type diag struct{ cell, side, text string }
	var ds []diag
	for _, c := range d.r.Cells {
		for _, t := range c.Diagnostics {
			ds = append(ds, diag{c.Name(), "", t})
		}
		if c.Base != nil {
			for _, t := range c.Base.Diagnostics {
				ds = append(ds, diag{c.Name(), "base", t})
			}
		}
	}
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
		name := "**" + Escape(Clip(x.cell, 60)) + "**"
		if x.side != "" {
			name += " (" + x.side + ")"
		}
		d.line("- " + name + ": " + Escape(Clip(x.text, runes)))
	}
	d.close()
}

func (d *mdDoc) logs() {
	_, runes, maxLines, lineRunes := d.limits()
	for _, f := range failedCells(d.r) {
		tail := f.cell.LogTail
		omitted := 0
		if maxLines > 0 && len(tail) > maxLines {
			omitted = len(tail) - maxLines
			tail = tail[omitted:]
		}
		what := "no server log captured"
		switch {
		case omitted > 0:
			what = fmt.Sprintf("server log, last %d of %d lines", len(tail), len(f.cell.LogTail))
		case len(tail) > 0:
			what = "server log, last " + Plural(len(tail), "line")
		}
		where := ""
		if f.side != "" {
			where = " on " + f.side
		}
		d.open("Failed cell " + escapeHTML(Clip(f.name, 60)) + where + ": " + what)
		d.line("**Error:** " + Escape(Clip(f.cell.Error, runes)))
		if ex := f.cell.LogExcerpt; len(ex) > 0 {
			lines := make([]string, len(ex))
			for i, l := range ex {
				lines[i] = Clip(l, cmp.Or(lineRunes, 500))
			}
			d.line("")
			d.line("**What the server's log says:**")
			d.line("")
			d.b.WriteString(CodeBlock("text", strings.Join(lines, "\n")))
		}
		if f.cell.Log != "" {
			d.line("")
			d.line("Full log in the artifacts: " + Escape(Clip(f.cell.Log, 200)))
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
	if len(d.r.Cells) == 0 {
		return
	}
	d.open("Measurements")
	d.line("| cell | service time S0 | connections | requests | p90 | max | Σ RSS | processes | server CPU/req | generator CPU/req | bound | trials (req/s) |")
	d.line("|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|:--|")
	add := func(name string, c results.Cell) {
		if c.Failed() {
			d.line(row(name, "failed", "", "", "", "", "", "", "", "", "", ""))
			return
		}
		trials := make([]string, 0, len(c.Trials))
		for i, t := range c.Trials {
			if i == 12 {
				trials = append(trials, "…")
				break
			}
			trials = append(trials, num(t.ThroughputRPS))
		}
		procs, conns := "", "—"
		if c.Connections > 0 {
			conns = itoa(c.Connections)
		}
		if c.Memory.Processes > 0 {
			procs = itoa(c.Memory.Processes)
		}
		d.line(row(name,
			or(seconds(c.ServiceTimeS), "—"),
			conns,
			strconv.FormatInt(c.Requests, 10),
			or(seconds(c.Latency.P90), "—"),
			or(seconds(c.Latency.Max), "—"),
			or(bytesIEC(c.Memory.RSSBytes), "—"),
			or(procs, "—"),
			or(seconds(c.ServerCPUPerRequestS), "—"),
			or(seconds(c.GeneratorCPUPerRequestS), "—"),
			or(Escape(Clip(c.Bound, 10)), "—"),
			or(strings.Join(trials, " · "), "—"),
		))
	}
	for _, c := range d.r.Cells {
		name := Escape(Clip(c.Name(), 60))
		if d.comparison {
			if c.Base != nil {
				add(name+" base", *c.Base)
			}
			add(name+" head", c)
		} else {
			add(name, c)
		}
	}
	d.close()
}

func (d *mdDoc) settings() {
	r := d.r
	d.open("Host and settings")
	h := r.Host
	host := fmt.Sprintf("%s, %s/%s", Plural(h.CPUs, "CPU"), Escape(Clip(h.OS, 20)), Escape(Clip(h.Arch, 20)))
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
		st := "two-sided"
		if th := r.Threshold(); th > 0 {
			st = "threshold " + percentFine(th)
		}
		d.line("- **Statistics:** " + st)
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
