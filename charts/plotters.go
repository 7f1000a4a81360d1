package charts

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workerbench/workerbench/bench/results"
)

// The plotters here work in data coordinates and skip what cannot be drawn,
// so a chart never has to invent a zero for a failed cell. gonum's BarChart
// sizes bars in points and cannot float a bar off zero, which the grouped
// bars and the request timeline need.

// box is an axis-aligned rectangle in data coordinates.
type box struct{ x0, x1, y0, y1 float64 }

func (b box) corners() (x0, y0, x1, y1 float64) { return b.x0, b.y0, b.x1, b.y1 }

// shape is a box or a segment: two corners in data coordinates.
type shape interface {
	corners() (x0, y0, x1, y1 float64)
}

// drawable reports whether every coordinate of s is finite: a shape with
// a NaN or an infinity is left out, not drawn to the edge of the canvas.
func drawable(s shape) bool {
	x0, y0, x1, y1 := s.corners()
	return results.Finite(x0) && results.Finite(y0) && results.Finite(x1) && results.Finite(y1)
}

// dataRange is the extent of the drawable shapes, for a plotter's
// DataRange.
func dataRange[S shape](shapes []S) (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, s := range shapes {
		if !drawable(s) {
			continue
		}
		x0, y0, x1, y1 := s.corners()
		xmin, xmax = min(xmin, x0, x1), max(xmax, x0, x1)
		ymin, ymax = min(ymin, y0, y1), max(ymax, y0, y1)
	}
	return xmin, xmax, ymin, ymax
}

// boxes fills rectangles with one colour.
type boxes struct {
	bs   []box
	fill color.Color
	// edge outlines each box when its Width is set.
	edge draw.LineStyle
}

func (r *boxes) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, b := range r.bs {
		if !drawable(b) {
			continue
		}
		x0, x1, y0, y1 := trX(b.x0), trX(b.x1), trY(b.y0), trY(b.y1)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(r.fill, c.ClipPolygonXY(pts))
		if r.edge.Width > 0 {
			c.StrokeLines(r.edge, c.ClipLinesXY(append(pts, pts[0]))...)
		}
	}
}

func (r *boxes) DataRange() (xmin, xmax, ymin, ymax float64) { return dataRange(r.bs) }

func (r *boxes) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{
		{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y},
		{X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y},
	}
	c.FillPolygon(r.fill, pts)
	if r.edge.Width > 0 {
		c.StrokeLines(r.edge, append(pts, pts[0]))
	}
}

// interval is a vertical range at x, e.g. the spread of trials.
type interval struct{ x, lo, hi float64 }

// whiskers draws intervals as vertical lines with caps.
type whiskers struct {
	is   []interval
	line draw.LineStyle
	cap  vg.Length
}

func newWhiskers() *whiskers {
	return &whiskers{line: draw.LineStyle{Color: black, Width: 1}, cap: 5}
}

func (w *whiskers) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, iv := range w.is {
		if !results.Finite(iv.x) || !results.Finite(iv.lo) || !results.Finite(iv.hi) {
			continue
		}
		x, lo, hi := trX(iv.x), trY(iv.lo), trY(iv.hi)
		c.StrokeLines(w.line, c.ClipLinesXY([]vg.Point{{X: x, Y: lo}, {X: x, Y: hi}})...)
		for _, y := range []vg.Length{lo, hi} {
			c.StrokeLines(
				w.line,
				c.ClipLinesXY([]vg.Point{{X: x - w.cap/2, Y: y}, {X: x + w.cap/2, Y: y}})...)
		}
	}
}

func (w *whiskers) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, iv := range w.is {
		if !results.Finite(iv.x) || !results.Finite(iv.lo) || !results.Finite(iv.hi) {
			continue
		}
		xmin, xmax = min(xmin, iv.x), max(xmax, iv.x)
		ymin, ymax = min(ymin, iv.lo, iv.hi), max(ymax, iv.lo, iv.hi)
	}
	return xmin, xmax, ymin, ymax
}

func (w *whiskers) Thumbnail(c *draw.Canvas) {
	x := (c.Min.X + c.Max.X) / 2
	c.StrokeLine2(w.line, x, c.Min.Y, x, c.Max.Y)
	c.StrokeLine2(w.line, x-w.cap/2, c.Min.Y, x+w.cap/2, c.Min.Y)
	c.StrokeLine2(w.line, x-w.cap/2, c.Max.Y, x+w.cap/2, c.Max.Y)
}

// segment is a straight line between two points in data coordinates.
type segment struct{ x0, y0, x1, y1 float64 }

func (sg segment) corners() (x0, y0, x1, y1 float64) { return sg.x0, sg.y0, sg.x1, sg.y1 }

// segments draws line segments of one style, e.g. the ideal level per cell.
type segments struct {
	ss   []segment
	line draw.LineStyle
}

func (s *segments) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, sg := range s.ss {
		if !drawable(sg) {
			continue
		}
		pts := []vg.Point{{X: trX(sg.x0), Y: trY(sg.y0)}, {X: trX(sg.x1), Y: trY(sg.y1)}}
		c.StrokeLines(s.line, c.ClipLinesXY(pts)...)
	}
}

func (s *segments) DataRange() (xmin, xmax, ymin, ymax float64) { return dataRange(s.ss) }

func (s *segments) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(s.line, c.Min.X, y, c.Max.X, y)
}

// label is a text anchored at a data point and shifted by off points.
type label struct {
	x, y float64
	s    string
	sty  text.Style
	off  vg.Point
}

// labels draws texts. Unlike plotter.Labels each text has its own offset,
// and the texts do not stretch the axes: a chart sets its range knowing
// where its labels go.
type labels struct{ ls []label }

func (l *labels) add(x, y float64, s string, sty text.Style, off vg.Point) {
	if results.Finite(x) && results.Finite(y) && s != "" {
		l.ls = append(l.ls, label{x: x, y: y, s: s, sty: sty, off: off})
	}
}

func (l *labels) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, lb := range l.ls {
		pt := vg.Point{X: trX(lb.x), Y: trY(lb.y)}
		if !c.Contains(pt) {
			continue
		}
		c.FillText(lb.sty, pt.Add(lb.off), lb.s)
	}
}

func (l *labels) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	bs := make([]plot.GlyphBox, 0, len(l.ls))
	for _, lb := range l.ls {
		bs = append(bs, plot.GlyphBox{
			X:         p.X.Norm(lb.x),
			Y:         p.Y.Norm(lb.y),
			Rectangle: lb.sty.Rectangle(lb.s).Add(lb.off),
		})
	}
	return bs
}

// overhang is how far the labels reach above their anchors, which the legend
// strip keeps free so that a label at the top of the data never runs into it.
func (l *labels) overhang() vg.Length {
	h := vg.Length(0)
	for _, lb := range l.ls {
		h = max(h, lb.sty.Rectangle(lb.s).Add(lb.off).Max.Y)
	}
	return h
}

// legendEntry is one item of a legend strip.
type legendEntry struct {
	text   string
	thumbs []plot.Thumbnailer
}

// legendStrip is a legend laid out in rows between the title and the data,
// where it never hides data; gonum's own legend is drawn over the data
// area. It reserves its room through a glyph box at the top of the plot.
type legendStrip struct {
	entries []legendEntry
	sty     text.Style
	// keep is room kept free below the strip (see labels.overhang).
	keep vg.Length
}

const (
	thumbW   vg.Length = 16
	entryGap vg.Length = 14
)

func (l *legendStrip) add(s string, thumbs ...plot.Thumbnailer) {
	l.entries = append(l.entries, legendEntry{text: s, thumbs: thumbs})
}

func (l *legendStrip) rowHeight() vg.Length { return l.sty.Font.Size * 1.35 }

// rows lays the entries out left to right, wrapping at the width the data
// area will have.
func (l *legendStrip) rows(p *plot.Plot) [][]legendEntry {
	room := Width - yAxisWidth(p) - 8
	var rows [][]legendEntry
	var row []legendEntry
	x := vg.Length(0)
	for _, e := range l.entries {
		w := thumbW + 4 + l.sty.Width(e.text)
		if len(row) > 0 && x+w > room {
			rows = append(rows, row)
			row, x = nil, 0
		}
		row = append(row, e)
		x += w + entryGap
	}
	if len(row) > 0 {
		rows = append(rows, row)
	}
	return rows
}

// yAxisWidth estimates the room the y axis takes at the left of the plot.
func yAxisWidth(p *plot.Plot) vg.Length {
	a := &p.Y
	w := a.Padding + a.Tick.Length + a.Width + 4
	if a.Label.Text != "" {
		w += a.Label.TextStyle.Height(a.Label.Text) + a.Label.Padding
	}
	if a.Tick.Marker != nil && results.Finite(a.Min) && results.Finite(a.Max) {
		widest := vg.Length(0)
		for _, t := range a.Tick.Marker.Ticks(a.Min, a.Max) {
			widest = max(widest, a.Tick.Label.Width(t.Label))
		}
		w += widest
	}
	return w
}

func (l *legendStrip) height(p *plot.Plot) vg.Length {
	n := len(l.rows(p))
	if n == 0 {
		return l.keep
	}
	return l.keep + 4 + vg.Length(n)*l.rowHeight()
}

func (l *legendStrip) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 0.5, Y: 1, Rectangle: vg.Rectangle{Max: vg.Point{Y: l.height(p)}}}}
}

func (l *legendStrip) Plot(c draw.Canvas, p *plot.Plot) {
	rh := l.rowHeight()
	y := c.Max.Y + l.height(p) - rh // bottom of the first row
	for _, row := range l.rows(p) {
		x := c.Min.X
		for _, e := range row {
			icon := draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
				Min: vg.Point{X: x, Y: y + rh*0.15},
				Max: vg.Point{X: x + thumbW, Y: y + rh*0.85},
			}}
			for _, t := range e.thumbs {
				t.Thumbnail(&icon)
			}
			sty := l.sty
			sty.YAlign = draw.YCenter
			c.FillText(sty, vg.Point{X: x + thumbW + 4, Y: y + rh/2}, e.text)
			x += thumbW + 4 + l.sty.Width(e.text) + entryGap
		}
		y -= rh
	}
}

// finish adds the legend strip, which must come last: it reserves room
// above everything added before it.
func finish(p *plot.Plot, leg *legendStrip, ls ...*labels) {
	for _, l := range ls {
		if l != nil {
			leg.keep = max(leg.keep, l.overhang())
		}
	}
	leg.keep += 2
	p.Add(leg)
}

func newLegend() *legendStrip { return &legendStrip{sty: textStyle(sans, 9)} }

// glyphThumb draws a glyph in a legend.
type glyphThumb struct{ sty draw.GlyphStyle }

func (g glyphThumb) Thumbnail(c *draw.Canvas) { c.DrawGlyphNoClip(g.sty, c.Center()) }

// xy is a point in data coordinates.
type xy struct{ x, y float64 }

// marks draws one glyph per point.
type marks struct {
	xys []xy
	sty draw.GlyphStyle
}

func (m *marks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for _, pt := range m.xys {
		if results.Finite(pt.x) && results.Finite(pt.y) {
			c.DrawGlyph(m.sty, vg.Point{X: trX(pt.x), Y: trY(pt.y)})
		}
	}
}

func (m *marks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, ymin = math.Inf(1), math.Inf(1)
	xmax, ymax = math.Inf(-1), math.Inf(-1)
	for _, pt := range m.xys {
		if results.Finite(pt.x) && results.Finite(pt.y) {
			xmin, xmax = min(xmin, pt.x), max(xmax, pt.x)
			ymin, ymax = min(ymin, pt.y), max(ymax, pt.y)
		}
	}
	return xmin, xmax, ymin, ymax
}

func (m *marks) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	bs := make([]plot.GlyphBox, 0, len(m.xys))
	for _, pt := range m.xys {
		if results.Finite(pt.x) && results.Finite(pt.y) {
			bs = append(
				bs,
				plot.GlyphBox{X: p.X.Norm(pt.x), Y: p.Y.Norm(pt.y), Rectangle: m.sty.Rectangle()},
			)
		}
	}
	return bs
}

func (m *marks) Thumbnail(c *draw.Canvas) { c.DrawGlyphNoClip(m.sty, c.Center()) }

// vrule is a vertical line across the whole data area at x.
type vrule struct {
	x    float64
	line draw.LineStyle
}

func (v *vrule) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	if c.ContainsX(x) {
		c.StrokeLine2(v.line, x, c.Min.Y, x, c.Max.Y)
	}
}
