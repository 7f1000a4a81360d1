package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// outcome is what a run came to: the facts the first lines of both reports
// state (the terminal's "overall:" lines, the Markdown heading, intro and
// inconclusive note), decided once by newOutcome and worded by each.
type outcome struct {
	verdict     results.Verdict // the overall verdict (results.Run.OverallVerdict); "" for a run
	interrupted bool
	cells       int  // cells in the run
	measured    int  // cells measured on every side
	best        *row // the best cell (results.Run.Best); nil when none was measured
	deployed    *row // the deployed cell (of the first endpoint); nil when none is

	// Measured cells by verdict, the largest change first.
	regressed, improved, inconclusive []row

	threshold  string // "5%"
	hasOverall bool   // the comparison has an overall result (results.Overall)
	geomean    string // its change and interval: "-0.4% [-1.9%, +1.1%]"; "" without a ratio
	mde        string // the smallest change the inconclusive cells could detect: "9%", "9–12%"

	pairsLo, pairsHi int // the fewest and most trial pairs of a cell

	down *sideDown // the side that does not start; nil when none
}

func newOutcome(r *results.Run, rows []row) outcome {
	o := outcome{
		verdict:     r.OverallVerdict(),
		interrupted: r.Interrupted,
		cells:       len(rows),
		threshold:   percentFine(r.Threshold()),
	}
	if c, ok := r.Best(); ok {
		b := newRow(r, c)
		o.best = &b
	}
	for i, c := range rows {
		if !c.failed() {
			o.measured++
		}
		if c.deployed && o.deployed == nil {
			o.deployed = &rows[i]
		}
	}
	o.regressed = withVerdict(rows, results.Regressed)
	o.improved = withVerdict(rows, results.Improved)
	o.inconclusive = withVerdict(rows, results.Inconclusive)
	o.hasOverall = r.Overall != nil
	if ov := r.Overall; ov != nil && ov.Ratio > 0 {
		o.geomean = strings.TrimSpace(change(ov.Ratio) + " " + interval(ov.CILow, ov.CIHigh))
	}
	var lo, hi float64
	for i, c := range r.Cells {
		if p := c.Pairs; p > 0 {
			if o.pairsLo == 0 || p < o.pairsLo {
				o.pairsLo = p
			}
			o.pairsHi = max(o.pairsHi, p)
		}
		if rows[i].verdict == results.Inconclusive && !rows[i].failed() && c.MDE > 0 {
			if lo == 0 || c.MDE < lo {
				lo = c.MDE
			}
			hi = max(hi, c.MDE)
		}
	}
	switch {
	case hi == 0:
	case percentFine(lo) == percentFine(hi):
		o.mde = percentFine(hi)
	default:
		o.mde = strings.TrimSuffix(percentFine(lo), "%") + "–" + percentFine(hi)
	}
	return o
}

// changed is the measured cells with verdict v, the largest change first.
func (o outcome) changed(v results.Verdict) []row {
	switch v {
	case results.Regressed:
		return o.regressed
	case results.Improved:
		return o.improved
	case results.Inconclusive:
		return o.inconclusive
	}
	return nil
}

// withVerdict returns the measured rows with verdict v, the largest change
// first for regressed and improved cells.
func withVerdict(rows []row, v results.Verdict) []row {
	var out []row
	for _, r := range rows {
		if r.verdict == v && !r.failed() {
			out = append(out, r)
		}
	}
	switch v {
	case results.Regressed:
		slices.SortStableFunc(out, func(a, b row) int { return cmpFloat(a.ratio, b.ratio) })
	case results.Improved:
		slices.SortStableFunc(out, func(a, b row) int { return cmpFloat(b.ratio, a.ratio) })
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

// pairs is "10 trial pairs per cell" or "6–10 trial pairs per cell";
// interleaved, when the pairs were run in alternation.
func (o outcome) pairs(interleaved string) string {
	lo, hi := o.pairsLo, o.pairsHi
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
