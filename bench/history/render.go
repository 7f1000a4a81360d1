package history

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/report"
)

// The trend as workerbench trend prints it and as the data branch shows
// it. The charts themselves are package charts', which imports this one:
// these only name them (ChartStem) and link to them.

// ChartDir is the directory of a data branch that holds the trend charts
// its README.md embeds (WriteDashboard).
const ChartDir = "charts"

// ChartStem is the file stem of a cell's trend chart, which package charts
// writes and the trend's Markdown links to: "trend-default-3x3", with the
// endpoint's slug and hash for one of several endpoints.
func ChartStem(t Trend, c CellTrend) string {
	series := strings.TrimSuffix(FileName(t.Series, t.Endpoint), ".jsonl")
	return "trend-" + series + "-" + c.Name
}

// WriteTrendText prints a series' trend for a terminal: its title and how
// many pushes it holds, the events among the last pushes, and per cell the
// summary line and the throughput of the last pushes.
func WriteTrendText(w io.Writer, t Trend, last int) error {
	var b strings.Builder
	n := len(t.Commits)
	fmt.Fprintf(&b, "%s: %s", t.Title(), report.Plural(t.Pushes, "push"))
	if n != t.Pushes {
		fmt.Fprintf(&b, " in %d records (older pushes summarised)", n)
	}
	b.WriteString("\n")
	for _, e := range t.Events {
		if e.Index >= n-last {
			fmt.Fprintf(&b, "  note: %s at %s\n", e.What, ShortCommit(t.Commits[e.Index]))
		}
	}
	for _, c := range t.Cells {
		fmt.Fprintf(&b, "  %-6s %s\n", c.Name, c.Summary())
		var vals []string
		for _, p := range c.Points {
			if p.Index < n-last {
				continue
			}
			if p.Failed() {
				vals = append(vals, "failed")
			} else {
				vals = append(vals, human.Terse(p.Throughput))
			}
		}
		fmt.Fprintf(&b, "         last %d: %s\n", len(vals), strings.Join(vals, " "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ChartLinks say where the trend's Markdown finds each cell's chart.
type ChartLinks struct {
	// Dir is the charts' directory relative to the Markdown file, with a
	// trailing slash ("charts/"), or "" for beside it.
	Dir string
	// SVGOnly embeds the SVG alone; otherwise the PNG, which links to the
	// SVG.
	SVGOnly bool
}

// WriteTrendMarkdown writes a series' trend as a section: its heading, the
// trend block (WriteMarkdown) and, per cell that was ever measured, the
// cell's chart (ChartStem) as links says.
func WriteTrendMarkdown(w io.Writer, t Trend, links ChartLinks) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s\n\n", t.Title())
	WriteMarkdown(&b, []Trend{t}, MarkdownOptions{Title: "Trend", Last: 20}) // a strings.Builder does not fail
	for _, c := range t.Cells {
		if !slices.ContainsFunc(c.Points, func(p Point) bool { return !p.Failed() }) {
			continue // never measured: no chart
		}
		stem := links.Dir + ChartStem(t, c)
		alt := c.Name + ": throughput and achieved concurrency per push"
		if links.SVGOnly {
			fmt.Fprintf(&b, "\n### %s\n\n![%s](%s.svg)\n", c.Name, alt, stem)
		} else {
			fmt.Fprintf(&b, "\n### %s\n\n[![%s](%s.png)](%s.svg)\n", c.Name, alt, stem, stem)
		}
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteDashboard writes the README.md of a data branch whose latest record
// is of commit: what the branch is, and the trend of each series with its
// charts, as SVG under ChartDir, so that opening the branch on GitHub
// shows the trend.
func WriteDashboard(w io.Writer, trends []Trend, commit string) error {
	var b strings.Builder
	b.WriteString("# workerbench history\n\n")
	b.WriteString(
		"This branch holds data, not code: [workerbench](https://github.com/workerbench/workerbench) ",
	)
	b.WriteString(
		"appends one record per push to the default branch to a `*.jsonl` file per series ",
	)
	b.WriteString(
		"(schema `" + Schema + "`) and redraws the charts below. Do not merge it.\n\n",
	)
	fmt.Fprintf(&b, "Last recorded: `%s`.\n\n", ShortCommit(commit))
	for _, t := range trends {
		// A strings.Builder does not fail.
		WriteTrendMarkdown(&b, t, ChartLinks{Dir: ChartDir + "/", SVGOnly: true})
	}
	_, err := io.WriteString(w, b.String())
	return err
}
