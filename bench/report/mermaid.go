package report

import (
	"math"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Mermaid returns a fenced ```mermaid block with an xychart-beta chart, which
// GitHub renders in comments and job summaries. For a run, bars are the
// achieved concurrency per cell (a swept cell's peak useful concurrency)
// and the line is the configured slots (the ideal), left out when some cell
// has no slots to measure against; for a comparison, bars are head/base throughput per cell and the
// line is 1.0 (the base). Failed cells are left out; with nothing to plot
// Mermaid returns "".
//
// Labels are reduced to letters, digits and " ./:_-" and quoted, so no
// text from the results can break the chart or the fence.
func Mermaid(r *results.Run) string {
	if r == nil {
		return ""
	}
	var labels []string
	var bars, line []float64
	comparison := r.IsComparison()
	slotted := true
	for _, c := range r.Cells {
		switch {
		case cellFailed(c):
			continue
		case comparison:
			if c.Base == nil || c.Ratio <= 0 || !results.Finite(c.Ratio) {
				continue
			}
			bars = append(bars, c.Ratio)
			line = append(line, 1)
		default:
			if !results.Finite(c.PeakConcurrency()) {
				continue
			}
			bars = append(bars, c.PeakConcurrency())
			line = append(line, float64(c.Slots))
			slotted = slotted && r.Slotted(c)
		}
		labels = append(labels, `"`+mermaidLabel(c.Name())+`"`)
	}
	if len(bars) == 0 {
		return ""
	}
	var lo, hi float64
	var title, axis string
	if comparison {
		title, axis = "Head/base throughput per cell (1.0 = base)", "head / base"
		lo, hi = 1, 1
		for _, x := range bars {
			lo, hi = min(lo, x), max(hi, x)
		}
		// A margin below and above, on a 0.05 grid, at least ±10%, so a
		// 12% drop is a visibly short bar and noise is visibly small.
		lo = math.Max(0, math.Floor(math.Min(lo, 0.95)*20-1)/20)
		hi = math.Ceil(math.Max(hi, 1.05)*20+1) / 20
	} else {
		title, axis = "Achieved concurrency (bars) vs slots (line)", "concurrent requests"
		if !slotted {
			title, line = "Achieved concurrency (peak useful concurrency where swept)", nil
		}
		for _, x := range append(slices.Clone(bars), line...) {
			hi = max(hi, x)
		}
		hi = niceCeil(hi * 1.1)
	}
	var b strings.Builder
	b.WriteString("```mermaid\nxychart-beta\n")
	b.WriteString(`  title "` + title + "\"\n")
	b.WriteString("  x-axis [" + strings.Join(labels, ", ") + "]\n")
	b.WriteString(`  y-axis "` + axis + `" ` + chartNum(lo) + " --> " + chartNum(hi) + "\n")
	b.WriteString("  bar [" + chartNums(bars) + "]\n")
	if len(line) > 0 {
		b.WriteString("  line [" + chartNums(line) + "]\n")
	}
	b.WriteString("```\n")
	return b.String()
}

// mermaidLabel keeps a cell name to characters that mean nothing to Mermaid
// or Markdown, at most 24 of them.
func mermaidLabel(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9',
			strings.ContainsRune(" ./:_-", r):
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return Clip(b.String(), 24)
}

// chartNum formats a chart value with at most two decimals: "9", "8.96", "0.88".
func chartNum(x float64) string { return trimFloat(x, 2) }

func chartNums(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = chartNum(x)
	}
	return strings.Join(parts, ", ")
}

// niceCeil rounds x up to 1, 2 or 5 times a power of ten, or to a whole
// number below 10: 9.9 → 10, 49.5 → 50, 3.3 → 4.
func niceCeil(x float64) float64 {
	if x <= 0 || !results.Finite(x) {
		return 1
	}
	if x <= 10 {
		return math.Ceil(x)
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}
