package charts

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Concurrency charts achieved concurrency per cell against the configured
// slots: a bar at the median over trials with a whisker over the trials, a
// dashed ideal at workers × threads, and the efficiency written above. With
// a comparison each cell has a base and a head bar. A swept cell's bar is
// its peak useful concurrency, labelled "peak N", and a cell without slots
// (see results.SlotsApply) has no ideal and no efficiency.
func Concurrency(cells []results.Cell) (*plot.Plot, error) { return concurrency(cells, "") }

// concurrency is Concurrency for the cells of a server of model
// (results.Run.Model).
func concurrency(cells []results.Cell, model string) (*plot.Plot, error) {
	slotted := func(c results.Cell) bool { return results.SlotsApply(model, c) }
	title := "Achieved concurrency vs configured slots (labels: efficiency)"
	switch {
	case !slices.ContainsFunc(cells, slotted):
		title = "Achieved concurrency per cell (no slots: peak of a connection sweep)"
	case slices.ContainsFunc(cells, func(c results.Cell) bool { return !slotted(c) }):
		title = "Achieved concurrency vs slots where they apply (labels: efficiency, or peak)"
	}
	return cellBars(cells, barSpec{
		title:  title,
		yLabel: "requests served at once",
		value:  results.Cell.PeakConcurrency,
		trial:  func(t results.Trial) float64 { return t.Concurrency },
		text: func(c results.Cell) string {
			switch {
			case c.Sweep != nil:
				return "peak " + human.Terse(c.PeakConcurrency())
			case !slotted(c) || c.Efficiency <= 0 || !results.Finite(c.Efficiency):
				return ""
			}
			return report.Percent(c.Efficiency)
		},
		ideal: func(c results.Cell) float64 {
			if !slotted(c) {
				return math.NaN()
			}
			return slots(c)
		},
		idealName: "ideal = workers × threads",
	})
}

// slots is a cell's configured capacity.
func slots(c results.Cell) float64 {
	if c.Slots > 0 {
		return float64(c.Slots)
	}
	return float64(c.Workers * c.Threads)
}

// Throughput charts plateau throughput per cell: a bar at the median over
// trials with a whisker over the trials (a swept cell's bar is the
// throughput at its peak, without); base and head side by side with a
// comparison.
func Throughput(cells []results.Cell) (*plot.Plot, error) {
	return cellBars(cells, barSpec{
		title:  "Throughput per cell",
		yLabel: "throughput (req/s)",
		value:  results.Cell.PeakThroughput,
		trial:  func(t results.Trial) float64 { return t.ThroughputRPS },
		text:   func(c results.Cell) string { return human.Terse(c.PeakThroughput()) },
	})
}

// verdictStyles are the colours of the verdicts in the ratio chart.
var verdictStyles = []struct {
	verdict results.Verdict
	color   color.RGBA
}{
	{results.Regressed, vermilion},
	{results.Improved, green},
	{results.Unchanged, darkGrey},
	{results.Inconclusive, orange},
	{"", blue}, // a ratio without a verdict
}

// Ratio charts head ÷ base throughput per cell with its confidence interval,
// coloured by verdict, over the ±threshold band of "no practical change"; the
// overall ratio (when overall is set) comes last. threshold is a fraction
// (0.05 for 5%); 0 draws no band. Without a comparison there is no chart.
func Ratio(cells []results.Cell, overall *results.Overall, threshold float64) (*plot.Plot, error) {
	if !slices.ContainsFunc(
		cells,
		func(c results.Cell) bool { return c.Ratio > 0 && results.Finite(c.Ratio) },
	) {
		return nil, fmt.Errorf("%w: no head/base ratio", ErrNotApplicable)
	}
	names := cellNames(cells)
	withOverall := overall != nil && overall.Ratio > 0 && results.Finite(overall.Ratio)
	if withOverall {
		names = append(names, "overall")
	}
	p := newPlot("Throughput change per cell: head ÷ base, with confidence interval",
		"cell (workers x threads)", "throughput ratio (head ÷ base)")
	addGrid(p, true, false)
	nominalX(p, names)
	if withOverall {
		// Thinning must not hide the one label that is not a cell.
		ticks := p.X.Tick.Marker.(plot.ConstantTicks)
		ticks[len(ticks)-1].Label = "overall"
	}
	n := float64(len(names))

	leg := newLegend()
	if threshold > 0 && results.Finite(threshold) {
		band := &boxes{bs: []box{{-0.5, n - 0.5, 1 - threshold, 1 + threshold}}, fill: lightGrey}
		p.Add(band)
		leg.add(fmt.Sprintf("±%s threshold", trimPercent(threshold)), band)
	}
	one := &segments{
		ss:   []segment{{-0.5, 1, n - 0.5, 1}},
		line: draw.LineStyle{Color: grey, Width: 1},
	}
	p.Add(one)

	slot := dataWidth / vg.Length(len(names))
	size := fontFor(slot)
	showValues := size > 0
	size = max(size, 6.5)
	valueSty := textStyle(sans, size)
	noteSty := textStyle(sansBold, size)
	noteSty.Color = failedRed
	widest := noteSty.Width("failed")
	for _, c := range cells {
		widest = max(widest, valueSty.Width(human.SignedPercent(c.Ratio)))
	}
	alignLabels(widest, slot, &valueSty, &noteSty)
	radius := min(vg.Length(3.5), slot*0.3)
	texts := &labels{}
	// One series (whiskers and points) per verdict, for the legend.
	type verdictSeries struct {
		w   *whiskers
		pts *marks
	}
	byVerdict := make([]verdictSeries, len(verdictStyles))
	for i, vs := range verdictStyles {
		w := newWhiskers()
		w.line.Color, w.line.Width = vs.color, 1.4
		w.cap = min(6, slot*0.5)
		byVerdict[i] = verdictSeries{
			w,
			&marks{
				sty: draw.GlyphStyle{Color: vs.color, Radius: radius, Shape: draw.CircleGlyph{}},
			},
		}
	}
	for i, c := range cells {
		x := float64(i)
		if !(c.Ratio > 0) || !results.Finite(c.Ratio) {
			note := "n/a"
			if c.Failed() || (c.Base != nil && c.Base.Failed()) {
				note = "failed"
			}
			texts.add(x, 1, note, noteSty, vg.Point{Y: 2})
			continue
		}
		vs := byVerdict[verdictIndex(c.Verdict)]
		top := c.Ratio
		if c.CILow > 0 && c.CIHigh >= c.CILow {
			vs.w.is = append(vs.w.is, interval{x, c.CILow, c.CIHigh})
			top = max(top, c.CIHigh)
		}
		vs.pts.xys = append(vs.pts.xys, xy{x, c.Ratio})
		if showValues {
			texts.add(x, top, human.SignedPercent(c.Ratio), valueSty, vg.Point{Y: 3})
		}
	}
	for i, vs := range byVerdict {
		if len(vs.pts.xys) == 0 {
			continue
		}
		p.Add(vs.w, vs.pts)
		name := string(verdictStyles[i].verdict)
		if name == "" {
			name = "ratio"
		}
		leg.add(name, vs.w, vs.pts)
	}
	if withOverall {
		x := n - 1
		w := newWhiskers()
		w.line.Width = 1.6
		pts := &marks{
			sty: draw.GlyphStyle{Color: black, Radius: radius + 1, Shape: draw.BoxGlyph{}},
		}
		pts.xys = []xy{{x, overall.Ratio}}
		top := overall.Ratio
		if overall.CILow > 0 && overall.CIHigh >= overall.CILow {
			w.is = []interval{{x, overall.CILow, overall.CIHigh}}
			top = max(top, overall.CIHigh)
		}
		texts.add(x, top, human.SignedPercent(overall.Ratio), valueSty, vg.Point{Y: 3})
		p.Add(w, pts)
		// Overall.Method is a sentence for the summary; a legend needs a label.
		leg.add("overall (geometric mean of cells)", w, pts)
		// Keep the overall apart from the cells.
		p.Add(
			&vrule{
				x:    n - 1.5,
				line: draw.LineStyle{Color: grey, Width: 0.8, Dashes: []vg.Length{2, 2}},
			},
		)
	}
	p.Add(texts)
	numeric(&p.Y, 6)
	finish(p, leg, texts)
	return p, nil
}

// verdictIndex is the entry of verdictStyles for a verdict; unknown ones
// share the last.
func verdictIndex(verdict results.Verdict) int {
	for i, vs := range verdictStyles[:len(verdictStyles)-1] {
		if vs.verdict == verdict {
			return i
		}
	}
	return len(verdictStyles) - 1
}

// trimPercent prints a fraction as a percentage without needless decimals.
func trimPercent(f float64) string {
	s := fmt.Sprintf("%.1f", f*100)
	if len(s) > 2 && s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + "%"
}
