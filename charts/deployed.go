package charts

import (
	"math"

	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// The configuration the project deploys (results.Run.Deployed) is marked
// in the charts that have a place per cell: its column in the per-cell
// charts outlined and labelled "deployed" under its name, and its tile in
// the heatmap outlined and labelled.

// deployedLine outlines the deployed cell: a colour no series uses.
var deployedLine = draw.LineStyle{Color: purple, Width: 2, Dashes: []vg.Length{5, 3}}

// markColumns marks the deployed cells' columns in p, a chart with a
// column per cell of cells (by index, nominalX); p as given when nothing is
// deployed or p is nil.
func markColumns(p *plot.Plot, cells []results.Cell, d *results.Deployed) *plot.Plot {
	if p == nil || d == nil {
		return p
	}
	o := &outline{}
	for i, c := range cells {
		if !d.Is(c) {
			continue
		}
		x := float64(i)
		o.bs = append(o.bs, box{x - 0.48, x + 0.48, math.Inf(-1), math.Inf(1)})
		if ticks, ok := p.X.Tick.Marker.(plot.ConstantTicks); ok && i < len(ticks) {
			ticks[i].Label = shorten(c.Name(), 24) + "\ndeployed"
		}
	}
	if len(o.bs) > 0 {
		p.Add(o)
	}
	return p
}

// markTile outlines the deployed cell's tile in p, the heatmap of cells.
func markTile(p *plot.Plot, cells []results.Cell, d *results.Deployed) *plot.Plot {
	if p == nil || d == nil {
		return p
	}
	ws, ts, err := grid(cells)
	if err != nil {
		return p
	}
	wi, ti := indexOf(ws), indexOf(ts)
	y, okW := wi[d.Workers]
	x, okT := ti[d.Threads]
	if !okW || !okT {
		return p
	}
	fx, fy := float64(x), float64(y)
	p.Add(&outline{bs: []box{{fx - 0.46, fx + 0.46, fy - 0.46, fy + 0.46}}})
	sty := textStyle(sansBold, 9)
	sty.Color, sty.XAlign, sty.YAlign = purple, draw.XCenter, draw.YTop
	texts := &labels{}
	texts.add(fx, fy+0.46, "deployed", sty, vg.Point{Y: -4})
	p.Add(texts)
	return p
}

// outline strokes rectangles in data coordinates with deployedLine; an
// infinite y spans the plot's height.
type outline struct{ bs []box }

func (o *outline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, b := range o.bs {
		x0, x1 := trX(b.x0), trX(b.x1)
		y0, y1 := c.Min.Y+1, c.Max.Y-1
		if results.Finite(b.y0) && results.Finite(b.y1) {
			y0, y1 = trY(b.y0), trY(b.y1)
		}
		if !results.Finite(float64(x0)) || !results.Finite(float64(x1)) {
			continue
		}
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}}
		c.StrokeLines(deployedLine, c.ClipLinesXY(pts)...)
	}
}
