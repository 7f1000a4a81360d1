package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Read-only views of the results shared by the renderers. They select and
// order what is already in results.Run; they compute no statistics.

func itoa(i int) string { return strconv.Itoa(i) }

// fixed2 formats an achieved concurrency: "8.98".
func fixed2(x float64) string {
	if bad(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// Plural counts n of noun in English: "1 cell", "4 cells", "2 pushes".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	for _, end := range []string{"s", "sh", "ch", "x", "z"} {
		if strings.HasSuffix(noun, end) {
			return fmt.Sprintf("%d %ses", n, noun)
		}
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func hasEndpoints(r *results.Run) bool {
	for _, c := range r.Cells {
		if c.Endpoint != "" {
			return true
		}
	}
	return false
}

// cellsWith returns the measured cells with verdict v, the largest change
// first for regressed and improved cells.
func cellsWith(r *results.Run, v results.Verdict) []results.Cell {
	var out []results.Cell
	for _, c := range r.Cells {
		if c.Verdict == v && !cellFailed(c) {
			out = append(out, c)
		}
	}
	switch v {
	case results.Regressed:
		slices.SortStableFunc(out, func(a, b results.Cell) int { return cmpFloat(a.Ratio, b.Ratio) })
	case results.Improved:
		slices.SortStableFunc(out, func(a, b results.Cell) int { return cmpFloat(b.Ratio, a.Ratio) })
	}
	return out
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// failure is a cell that could not be measured, on one side of a comparison.
type failure struct {
	cell results.Cell // the failed side's cell
	name string       // the cell's name (of the head side for a base failure)
	side string       // "", "head" or "base"
}

// failedCells lists failed cells, head before base within a cell.
func failedCells(r *results.Run) []failure {
	comparison := r.IsComparison()
	var out []failure
	for _, c := range r.Cells {
		if c.Failed() {
			side := ""
			if comparison {
				side = "head"
			}
			out = append(out, failure{cell: c, name: c.Name(), side: side})
		}
		if c.Base != nil && c.Base.Failed() {
			out = append(out, failure{cell: *c.Base, name: c.Name(), side: "base"})
		}
	}
	return out
}

// cellFailed reports whether either side of c failed.
func cellFailed(c results.Cell) bool { return c.Failed() || c.Base != nil && c.Base.Failed() }

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

// pairsText is "10 trial pairs per cell" or "6–10 trial pairs per cell";
// interleaved, when the pairs were run in alternation.
func pairsText(r *results.Run, interleaved string) string {
	lo, hi := 0, 0
	for _, c := range r.Cells {
		if p := c.Pairs; p > 0 {
			if lo == 0 || p < lo {
				lo = p
			}
			hi = max(hi, p)
		}
	}
	switch {
	case hi == 0:
		return ""
	case lo == hi && hi == 1:
		return "1 " + interleaved + "trial pair per cell"
	case lo == hi:
		return fmt.Sprintf("%d %strial pairs per cell", hi, interleaved)
	default:
		return fmt.Sprintf("%d–%d %strial pairs per cell", lo, hi, interleaved)
	}
}

// mdeRange is the smallest and largest minimum detectable effect of the
// inconclusive cells.
func mdeRange(r *results.Run) (lo, hi float64) {
	for _, c := range cellsWith(r, results.Inconclusive) {
		if c.MDE > 0 {
			if lo == 0 || c.MDE < lo {
				lo = c.MDE
			}
			hi = max(hi, c.MDE)
		}
	}
	return lo, hi
}

// mdeText is "9%" or "9–12%".
func mdeText(lo, hi float64) string {
	if percentFine(lo) == percentFine(hi) {
		return percentFine(hi)
	}
	return strings.TrimSuffix(percentFine(lo), "%") + "–" + percentFine(hi)
}
