package charts

import (
	"fmt"
	"math"

	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Latency charts the p50, p90 and p99 latency of each cell under the
// closed-loop load, joined by a line, with a dash at the cell's unloaded
// service time S0: the gap between S0 and p50 is queueing. With a
// comparison, base (hollow marks) stands left of head (filled).
func Latency(cells []results.Cell) (*plot.Plot, error) {
	if !measured(cells) {
		return nil, fmt.Errorf("%w: no cell was measured", ErrNotApplicable)
	}
	cmp := results.Compared(cells)
	top := 0.0
	for _, c := range cells {
		top = max(top, latencyTop(c))
		if c.Base != nil {
			top = max(top, latencyTop(*c.Base))
		}
	}
	if top <= 0 {
		return nil, fmt.Errorf("%w: no latency measured", ErrNotApplicable)
	}
	unit, scale := "s", 1.0
	if top < 1 {
		unit, scale = "ms", 1000
	}
	p := newPlot("Latency per cell under load: p50, p90, p99",
		"cell (workers x threads)", fmt.Sprintf("latency (%s)", unit))
	addGrid(p, true, false)
	nominalX(p, cellNames(cells))
	p.Y.Min = 0

	slot := dataWidth / vg.Length(len(cells))
	if cmp {
		slot /= 2
	}
	radius := max(1.5, min(vg.Length(3.5), slot*0.3))
	dash := 0.3
	if cmp {
		dash = 0.17
	}
	type pct struct {
		name   string
		color  draw.GlyphStyle
		hollow draw.GlyphDrawer
		get    func(results.Latency) float64
	}
	pcts := []pct{
		{
			"p50",
			draw.GlyphStyle{Color: blue, Radius: radius, Shape: draw.CircleGlyph{}},
			draw.RingGlyph{},
			func(l results.Latency) float64 { return l.P50 },
		},
		{
			"p90",
			draw.GlyphStyle{Color: orange, Radius: radius, Shape: draw.PyramidGlyph{}},
			draw.TriangleGlyph{},
			func(l results.Latency) float64 { return l.P90 },
		},
		{
			"p99",
			draw.GlyphStyle{Color: vermilion, Radius: radius, Shape: draw.BoxGlyph{}},
			draw.SquareGlyph{},
			func(l results.Latency) float64 { return l.P99 },
		},
	}
	spans := &segments{line: draw.LineStyle{Color: grey, Width: 1}}
	s0 := &segments{line: draw.LineStyle{Color: black, Width: 1.5}}
	headMarks := make([]*marks, len(pcts))
	baseMarks := make([]*marks, len(pcts))
	for i, pc := range pcts {
		headMarks[i] = &marks{sty: pc.color}
		hollow := pc.color
		hollow.Shape = pc.hollow
		baseMarks[i] = &marks{sty: hollow}
	}
	failSty := textStyle(sansBold, 8)
	failSty.Color = failedRed
	if failSty.Width("failed")+2 > slot {
		failSty.Rotation = math.Pi / 2
		failSty.XAlign, failSty.YAlign = draw.XLeft, draw.YCenter
	} else {
		failSty.XAlign, failSty.YAlign = draw.XCenter, draw.YBottom
	}
	texts := &labels{}
	plotSide := func(c *results.Cell, x float64, ms []*marks) {
		if c.Failed() {
			texts.add(x, 0, "failed", failSty, vg.Point{Y: 2})
			return
		}
		if c.ServiceTimeS > 0 {
			y := c.ServiceTimeS * scale
			s0.ss = append(s0.ss, segment{x - dash/2, y, x + dash/2, y})
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for i, pc := range pcts {
			v := pc.get(c.Latency) * scale
			if !(v > 0) || !results.Finite(v) {
				continue
			}
			ms[i].xys = append(ms[i].xys, xy{x, v})
			lo, hi = min(lo, v), max(hi, v)
		}
		if hi > lo {
			spans.ss = append(spans.ss, segment{x, lo, x, hi})
		}
	}
	for i := range cells {
		c := &cells[i]
		x := float64(i)
		if cmp {
			if c.Base != nil {
				plotSide(c.Base, x-0.21, baseMarks)
			}
			x += 0.21
		}
		plotSide(c, x, headMarks)
	}
	p.Add(spans, s0)
	leg := newLegend()
	for i, pc := range pcts {
		p.Add(baseMarks[i], headMarks[i])
		thumb := pc.color
		thumb.Radius = 3.5 // legible in the legend however crowded the data
		leg.add(pc.name, glyphThumb{thumb})
	}
	if cmp {
		leg.add(
			"base (hollow)",
			&marks{sty: draw.GlyphStyle{Color: darkGrey, Radius: 3.5, Shape: draw.RingGlyph{}}},
		)
		leg.add(
			"head (filled)",
			&marks{sty: draw.GlyphStyle{Color: darkGrey, Radius: 3.5, Shape: draw.CircleGlyph{}}},
		)
	}
	if len(s0.ss) > 0 {
		leg.add("unloaded service time S0", s0)
	}
	p.Add(texts)
	numeric(&p.Y, 5)
	finish(p, leg, texts)
	return p, nil
}

// latencyTop is the highest latency drawn for a cell.
func latencyTop(c results.Cell) float64 {
	if c.Failed() {
		return 0
	}
	v := max(c.Latency.P50, c.Latency.P90, c.Latency.P99, c.ServiceTimeS)
	if !results.Finite(v) {
		return 0
	}
	return v
}
