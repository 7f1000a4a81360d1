package charts

import (
	"fmt"
	"math"

	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// barSpec describes a per-cell bar chart: one bar per cell, or a base and a
// head bar per cell when the cells carry a comparison.
type barSpec struct {
	title, yLabel string
	// value is the bar's height for a measured cell.
	value func(results.Cell) float64
	// trial gives one value per trial; the bar's whisker spans them.
	trial func(results.Trial) float64
	// text labels the bar; empty for none.
	text func(c results.Cell) string
	// ideal, when set, draws a dashed level across each cell where it is
	// finite.
	ideal     func(results.Cell) float64
	idealName string
}

// measured reports whether any cell, on either side, has measurements.
func measured(cells []results.Cell) bool {
	for _, c := range cells {
		if !c.Failed() || (c.Base != nil && !c.Base.Failed()) {
			return true
		}
	}
	return false
}

// trialRange is the lowest and highest finite trial value; ok needs two.
func trialRange(ts []results.Trial, f func(results.Trial) float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	n := 0
	for _, t := range ts {
		v := f(t)
		if !results.Finite(v) || v <= 0 {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
		n++
	}
	return lo, hi, n >= 2
}

func cellBars(cells []results.Cell, spec barSpec) (*plot.Plot, error) {
	if len(cells) == 0 {
		return nil, fmt.Errorf("%w: no cells", ErrNotApplicable)
	}
	if !measured(cells) {
		return nil, fmt.Errorf("%w: no cell was measured", ErrNotApplicable)
	}
	cmp := results.Compared(cells)
	p := newPlot(spec.title, "cell (workers x threads)", spec.yLabel)
	addGrid(p, true, false)
	nominalX(p, cellNames(cells))
	p.Y.Min = 0

	// Bar geometry in data units: a cell owns [i-0.5, i+0.5], and with a
	// comparison its base bar stands left of its head bar.
	width, shift := 0.62, 0.0
	slot := dataWidth / vg.Length(len(cells))
	if cmp {
		width, shift = 0.4, 0.21
		slot /= 2
	}
	// Labels stand upright when they do not fit across a bar, in a smaller
	// font when a line of 8 pt text is wider than a bar. Values go on every
	// bar while that works, then on head bars only (a comparison), then
	// nowhere; "failed" is always written.
	size := fontFor(slot)
	labelBases := spec.text != nil && size > 0
	labelHeads := labelBases
	if cmp && size == 0 {
		size = fontFor(2 * slot)
		labelHeads = spec.text != nil && size > 0
	}
	size = max(size, 6.5)
	valueSty := textStyle(sans, size)
	failSty := textStyle(sansBold, size)
	failSty.Color = failedRed
	widest := failSty.Width("failed")
	if spec.text != nil {
		for _, c := range cells {
			widest = max(widest, valueSty.Width(spec.text(c)))
		}
	}
	alignLabels(widest, slot, &valueSty, &failSty)

	leg := newLegend()
	texts := &labels{}
	whisk := newWhiskers()
	headBars := &boxes{fill: blue}
	baseBars := &boxes{fill: baseGrey}
	for i := range cells {
		for _, s := range sidesOf(&cells[i]) {
			x, bars, label := float64(i)+shift, headBars, labelHeads
			if s.base {
				x, bars, label = float64(i)-shift, baseBars, labelBases
			}
			if s.c.Failed() {
				texts.add(x, 0, "failed", failSty, vg.Point{Y: 2})
				continue
			}
			v := spec.value(*s.c)
			if !results.Finite(v) || v < 0 {
				continue
			}
			bars.bs = append(bars.bs, box{x - width/2, x + width/2, 0, v})
			top := v
			// A swept cell's bar is its sweep's peak, not the trials' median.
			if spec.trial != nil && s.c.Sweep == nil {
				if lo, hi, ok := trialRange(s.c.Trials, spec.trial); ok {
					whisk.is = append(whisk.is, interval{x, lo, hi})
					top = max(top, hi)
				}
			}
			if spec.ideal != nil && results.Finite(spec.ideal(*s.c)) {
				top = max(top, spec.ideal(*s.c)) // keep the label off the ideal
			}
			if label {
				texts.add(x, top, spec.text(*s.c), valueSty, vg.Point{Y: 2})
			}
		}
	}
	p.Add(baseBars, headBars)
	if cmp {
		leg.add("base, median of trials", baseBars)
		leg.add("head, median of trials", headBars)
	} else {
		leg.add(barLegend(cells), headBars)
	}
	if len(whisk.is) > 0 {
		p.Add(whisk)
		leg.add("trial min–max", whisk)
	}
	if spec.ideal != nil {
		ideal := &segments{line: draw.LineStyle{Color: black, Width: 1.2}}
		if dataWidth/vg.Length(len(cells)) >= 24 {
			ideal.line.Dashes = []vg.Length{4, 2} // too short to read as dashed otherwise
		}
		for i, c := range cells {
			if y := spec.ideal(c); results.Finite(y) { // no ideal where there are no slots
				ideal.ss = append(ideal.ss, segment{float64(i) - 0.47, y, float64(i) + 0.47, y})
			}
		}
		if len(ideal.ss) > 0 {
			p.Add(ideal)
			leg.add(spec.idealName, ideal)
		}
	}
	p.Add(texts)
	numeric(&p.Y, 5)
	finish(p, leg, texts)
	return p, nil
}

// barLegend says what a run's bars are: the median of the trials, or for
// a swept cell the peak of its sweep.
func barLegend(cells []results.Cell) string {
	swept := 0
	for _, c := range cells {
		if c.Sweep != nil && !c.Failed() {
			swept++
		}
	}
	switch swept {
	case 0:
		return "median of trials"
	case len(cells):
		return "peak of a connection sweep"
	}
	return "median of trials (swept cells: peak of the sweep)"
}

// fontFor is the label font size for a line of text across slot points: 8,
// smaller down to 6.5 when crowded, 0 when not even that fits.
func fontFor(slot vg.Length) vg.Length {
	size := min(8, slot/1.1)
	if size < 6.5 {
		return 0
	}
	return size
}

// cellSide is one side of a cell: its head (or only) measurements, or the
// base measurements of a comparison.
type cellSide struct {
	c    *results.Cell
	base bool
}

func sidesOf(c *results.Cell) []cellSide {
	s := []cellSide{{c: c}}
	if c.Base != nil {
		s = append(s, cellSide{c: c.Base, base: true})
	}
	return s
}
