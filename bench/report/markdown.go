package report

import (
	"errors"
	"fmt"
	"io"
	"sort"
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
	d.recommendation()
	d.sweeps()
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
