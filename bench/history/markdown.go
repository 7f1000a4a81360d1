package history

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/internal/stats"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
)

// MarkdownOptions tune the Markdown trend block.
type MarkdownOptions struct {
	// Title heads each series' block, e.g. "main's trend"; the series is
	// named after it. Default "Trend".
	Title string
	// Last is how many of the latest records the sparkline shows (default
	// 20).
	Last int
}

func (o MarkdownOptions) normalized() MarkdownOptions {
	if o.Title == "" {
		o.Title = "Trend"
	}
	if o.Last < 2 {
		o.Last = 20
	}
	return o
}

// TrendMarkdown is the compact trend block of a PR comment or a job
// summary, made from records as Dir.Load returns them: per series, a table
// with a row per cell (a sparkline of the last pushes' throughput, the
// latest value, the current level and noise, achieved concurrency, and the
// most recent change point or a step not yet confirmed), and a note of what else changed lately
// (command, settings, runner). Records of several series or endpoints are
// grouped by series, in the order met.
func TrendMarkdown(recs []Record, opt MarkdownOptions) string {
	var series []Series
	idx := map[string]int{}
	for _, r := range recs {
		key := FileName(r.Series, r.Endpoint)
		i, ok := idx[key]
		if !ok {
			i = len(series)
			idx[key] = i
			series = append(series, Series{Name: r.Series, Endpoint: r.Endpoint, File: key})
		}
		series[i].Records = append(series[i].Records, r)
	}
	var trends []Trend
	for _, s := range series {
		trends = append(trends, Analyze(s, Options{}))
	}
	var b bytes.Buffer
	WriteMarkdown(&b, trends, opt) // a bytes.Buffer does not fail
	return b.String()
}

// WriteMarkdown writes the trend block of each trend (see TrendMarkdown).
func WriteMarkdown(w io.Writer, trends []Trend, opt MarkdownOptions) error {
	opt = opt.normalized()
	var b strings.Builder
	for i, t := range trends {
		if i > 0 {
			b.WriteString("\n")
		}
		writeTrend(&b, t, opt)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeTrend(b *strings.Builder, t Trend, opt MarkdownOptions) {
	n := len(t.Commits)
	shown := min(opt.Last, n)
	fmt.Fprintf(b, "**%s** — `%s`", opt.Title, mdEscape(t.Title()))
	switch {
	case n == 0:
		b.WriteString(": no records yet\n")
		return
	case t.Pushes == shown:
		fmt.Fprintf(b, ", %s\n\n", report.Plural(t.Pushes, "push"))
	default:
		fmt.Fprintf(b, ", last %d of %s\n\n", shown, report.Plural(t.Pushes, "push"))
	}
	b.WriteString(
		"| cell | req/s, oldest → latest | latest | level | noise | concurrency | last change point |\n",
	)
	b.WriteString("|---|---|--:|--:|--:|--:|---|\n")
	for _, c := range t.Cells {
		var recent []Point
		for _, p := range c.Points {
			if p.Index >= n-shown {
				recent = append(recent, p)
			}
		}
		latest, level, noise, conc := "—", "—", "—", "—"
		if len(recent) > 0 {
			lp := recent[len(recent)-1]
			if lp.Failed() {
				latest = "failed"
			} else {
				latest = num(lp.Throughput)
				conc = fmt.Sprintf("%.2f", lp.Concurrency) // as the reports print concurrency
				if c.Slots > 0 {
					conc += fmt.Sprintf(" of %d", c.Slots)
				}
			}
		}
		if segs := c.Throughput.Segments; len(segs) > 0 {
			level = num(segs[len(segs)-1].Level)
		}
		if results.Finite(c.Throughput.NoiseCV) {
			noise = fmt.Sprintf("±%.1f%%", 100*c.Throughput.NoiseCV)
		}
		change := "none"
		switch ch, ok := c.latestChange(); {
		case ok && ch.tentative:
			change = fmt.Sprintf(
				"**%s**: a new level since `%s` (%s), not yet confirmed",
				ch.pct, ch.label, ch.ago,
			)
		case ok:
			change = fmt.Sprintf("**%s** at `%s` (%s)", ch.pct, ch.label, ch.ago)
		}
		if pct, label, ok := c.withdrawn(); ok {
			change += fmt.Sprintf("; "+withdrawnText, pct, "`"+label+"`")
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s |\n",
			c.Name, sparkline(recent, n-shown, n), latest, level, noise, conc, change)
	}
	var notes []string
	for _, e := range t.Events {
		if e.Index >= n-shown {
			notes = append(notes, fmt.Sprintf("%s at `%s`", e.What, ShortCommit(t.Commits[e.Index])))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(b, "\nAlso changed: %s.\n", strings.Join(notes, "; "))
	}
}

var blocks = []rune("▁▂▃▄▅▆▇█")

// sparkline draws the throughput of records from…to-1 as block characters,
// "·" where the cell failed or is missing. The scale spans at least 20% of
// the median, so that run-to-run noise of a few percent stays a ripple and
// does not fill the height.
func sparkline(points []Point, from, to int) string {
	var vals []float64
	for _, p := range points {
		if !p.Failed() {
			vals = append(vals, p.Throughput)
		}
	}
	if len(vals) == 0 {
		return strings.Repeat("·", to-from)
	}
	lo, hi := slices.Min(vals), slices.Max(vals)
	if span := 0.2 * stats.Median(vals); hi-lo < span {
		mid := (lo + hi) / 2
		lo, hi = mid-span/2, mid+span/2
	}
	byIndex := map[int]float64{}
	for _, p := range points {
		byIndex[p.Index] = p.Throughput
	}
	var b strings.Builder
	for i := from; i < to; i++ {
		v, ok := byIndex[i]
		if !ok || math.IsNaN(v) {
			b.WriteRune('·')
			continue
		}
		k := int(math.Round((v - lo) / (hi - lo) * float64(len(blocks)-1)))
		b.WriteRune(blocks[min(max(k, 0), len(blocks)-1)])
	}
	return b.String()
}

// mdEscape keeps a name from breaking a code span or a table.
func mdEscape(s string) string {
	return strings.NewReplacer("`", "'", "|", "/", "\n", " ").Replace(s)
}
