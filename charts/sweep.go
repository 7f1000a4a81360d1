package charts

import (
	"fmt"
	"math"
	"strconv"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sweep charts a cell's connection sweep: the throughput measured at each
// connection count (on a log scale, as the sweep doubles them), the
// Universal Scalability Law fitted to those points, the line every
// connection would follow if no request waited (N ÷ S0), and the peak
// useful concurrency marked where the sweep found it. A cell without a
// sweep has no chart.
func Sweep(c results.Cell) (*plot.Plot, error) {
	s := c.Sweep
	if s == nil || c.Failed() {
		return nil, fmt.Errorf("%w: %s was not swept", ErrNotApplicable, c.Name())
	}
	var pts, failed []xy
	lo, hi, top := math.Inf(1), math.Inf(-1), 0.0
	for _, p := range s.Points {
		n, x := float64(p.Connections), p.ThroughputRPS
		if !(n >= 1) || !results.Finite(x) || x < 0 || !results.Finite(n) {
			continue
		}
		if p.Errors > 0 {
			failed = append(failed, xy{n, x})
		} else {
			pts = append(pts, xy{n, x})
		}
		lo, hi, top = min(lo, n), max(hi, n), max(top, x)
	}
	if len(pts)+len(failed) == 0 || !(top > 0) {
		return nil, fmt.Errorf("%w: %s's sweep has no point", ErrNotApplicable, c.Name())
	}
	// A sweep cut short by its limits found a lower bound of the peak.
	atLeast, peakName := "", "peak"
	if s.Unfinished() {
		atLeast, peakName = "≥ ", "most connections tried"
	}
	p := newPlot(fmt.Sprintf("Connection sweep of %s: peak useful concurrency %s%s at %s req/s",
		shorten(c.Name(), 24), atLeast, human.Terse(s.PeakConcurrency),
		human.Terse(s.PeakThroughputRPS)),
		"connections of the closed loop (log scale)", "throughput (req/s)")
	addGrid(p, true, true)
	p.X.Scale = plot.LogScale{}
	p.X.Min, p.X.Max = lo/1.25, hi*1.25
	p.X.Tick.Marker = connectionTicks(s.Points)
	p.Y.Min = 0
	// Room above the highest point for the peak's label, on whole ticks
	// before the lines are drawn to the top.
	p.Y.Max = top * 1.2
	numeric(&p.Y, 5)
	leg := newLegend()

	// Waiting for nothing, every connection completes a request per S0.
	if s0 := c.ServiceTimeS; s0 > 0 && results.Finite(s0) {
		ideal := &segments{line: draw.LineStyle{Color: grey, Width: 1, Dashes: []vg.Length{4, 2}}}
		ideal.ss = curve(p.X.Min, min(p.X.Max, p.Y.Max*s0), func(n float64) float64 {
			return n / s0
		})
		if len(ideal.ss) > 0 {
			p.Add(ideal)
			leg.add("no waiting: connections ÷ S0", ideal)
		}
	}
	if u := s.USL; u != nil && u.Usable() {
		fit := &segments{line: draw.LineStyle{Color: blue, Width: 1.6}}
		fit.ss = curve(p.X.Min, p.X.Max, u.At)
		p.Add(fit)
		leg.add(fmt.Sprintf("USL fit (σ %s, κ %s, R² %.3f)", sigFig(u.Sigma), sigFig(u.Kappa),
			u.R2), fit)
	}
	if k, ok := s.Knee(); ok && results.Finite(k.ThroughputRPS) {
		n := float64(k.Connections)
		p.Add(&vrule{x: n, line: draw.LineStyle{Color: vermilion, Width: 1,
			Dashes: []vg.Length{3, 2}}})
		ring := &marks{xys: []xy{{n, k.ThroughputRPS}},
			sty: draw.GlyphStyle{Color: vermilion, Radius: 6, Shape: draw.RingGlyph{}}}
		p.Add(ring)
		leg.add(fmt.Sprintf("%s: %s connections", peakName, strconv.Itoa(k.Connections)), ring)
		sty := textStyle(sansBold, 8.5)
		sty.Color = vermilion
		sty.YAlign = draw.YBottom
		sty.XAlign = draw.XRight
		off := vg.Point{X: -9, Y: 8}
		if math.Log(n/p.X.Min) < math.Log(p.X.Max/p.X.Min)/2 {
			sty.XAlign, off.X = draw.XLeft, 9 // keep the label inside on the left
		}
		texts := &labels{}
		texts.add(n, k.ThroughputRPS, fmt.Sprintf("%s%s at once, %s req/s", atLeast,
			human.Terse(s.PeakConcurrency), human.Terse(k.ThroughputRPS)), sty, off)
		p.Add(texts)
	}
	measured := &marks{xys: pts,
		sty: draw.GlyphStyle{Color: black, Radius: 3, Shape: draw.CircleGlyph{}}}
	p.Add(measured)
	leg.add("measured", measured)
	if len(failed) > 0 {
		bad := &marks{xys: failed,
			sty: draw.GlyphStyle{Color: failedRed, Radius: 3.5, Shape: draw.CrossGlyph{}}}
		p.Add(bad)
		leg.add("requests failed", bad)
	}
	finish(p, leg)
	return p, nil
}

// curve samples f over [lo, hi] (lo > 0) evenly on a log scale, as
// segments; points where f is not finite are left out.
func curve(lo, hi float64, f func(float64) float64) []segment {
	const steps = 120
	if !(lo > 0) || !(hi > lo) || !results.Finite(hi) {
		return nil
	}
	var ss []segment
	r := math.Pow(hi/lo, 1.0/steps)
	for i, x := 0, lo; i < steps; i, x = i+1, x*r {
		y0, y1 := f(x), f(x*r)
		if results.Finite(y0) && results.Finite(y1) {
			ss = append(ss, segment{x, y0, x * r, y1})
		}
	}
	return ss
}

// connectionTicks labels the connection counts the sweep measured, thinned
// to at most ten labels.
func connectionTicks(points []results.SweepPoint) plot.ConstantTicks {
	step := (len(points) + 9) / 10
	var ticks plot.ConstantTicks
	for i, p := range points {
		if p.Connections < 1 {
			continue
		}
		t := plot.Tick{Value: float64(p.Connections)}
		if i%step == 0 || i == len(points)-1 {
			t.Label = strconv.Itoa(p.Connections)
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// sigFig prints a fitted parameter with two significant digits.
func sigFig(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', 2, 64)
}
