package charts

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TrendHeight is the height of a trend figure: two panels, 800 × 640
// pixels in PNG.
const TrendHeight vg.Length = 480

// Light tints for what sits behind the data.
var (
	bandBlue    = color.RGBA{0xd6, 0xe9, 0xf5, 0xff} // the noise band
	changeTint  = color.RGBA{0xfb, 0xe3, 0xd0, 0xff} // a change point's 90% range
	summaryGrey = color.RGBA{0x99, 0x99, 0x99, 0xff}
)

// Trend charts one cell of a series' history: throughput per push on
// top, achieved concurrency below, oldest push left, commits on the x
// axis. Each panel shows the level between change points (dashed) inside
// its run-to-run noise band (level ± 2σ), each change point as a vertical
// line labelled with its commit and the change, over a tint of where the
// change started with 90% probability, and the range of a push's trials
// as a thin whisker. Summaries of several old pushes are hollow; failed
// pushes are red crosses at the bottom; a change of command, settings or
// runner is a dotted grey line. Without a measured point there is no
// chart.
func Trend(t history.Trend, c history.CellTrend) ([]*plot.Plot, error) {
	measured := 0
	for _, p := range c.Points {
		if !p.Failed() {
			measured++
		}
	}
	if measured == 0 {
		return nil, fmt.Errorf("%w: %s was never measured", ErrNotApplicable, c.Name)
	}
	pushes := report.Plural(t.Pushes, "push")
	top := trendPanel(t, c, panelSpec{
		title:  fmt.Sprintf("%s · %s: throughput over %s", shorten(t.Title(), 48), c.Name, pushes),
		yLabel: "throughput (req/s)",
		metric: c.Throughput,
		value:  func(p history.Point) float64 { return p.Throughput },
		spread: true,
		legend: true,
	})
	conc := "achieved concurrency (requests served at once)"
	if c.Slots > 0 {
		conc = fmt.Sprintf("achieved concurrency, of %s", report.Plural(c.Slots, "configured slot"))
	}
	bottom := trendPanel(t, c, panelSpec{
		title:  conc,
		yLabel: "concurrency",
		metric: c.Concurrency,
		value:  func(p history.Point) float64 { return p.Concurrency },
		ref:    float64(c.Slots),
		xLabel: "commit (oldest → newest)",
	})
	// The top panel shares the bottom's x axis: ticks without labels.
	if ticks, ok := top.X.Tick.Marker.(plot.ConstantTicks); ok {
		blank := make(plot.ConstantTicks, len(ticks))
		for i, tk := range ticks {
			blank[i] = plot.Tick{Value: tk.Value}
		}
		top.X.Tick.Marker = blank
	}
	return []*plot.Plot{top, bottom}, nil
}

type panelSpec struct {
	title, yLabel, xLabel string
	metric                history.Metric
	value                 func(history.Point) float64
	spread                bool    // draw the range of a push's trials
	ref                   float64 // a reference level (the slots), 0 for none
	legend                bool
}

func trendPanel(t history.Trend, c history.CellTrend, s panelSpec) *plot.Plot {
	p := newPlot(s.title, s.xLabel, s.yLabel)
	p.Title.TextStyle.Font.Size = 11
	addGrid(p, true, false)
	n := len(t.Commits)
	names := make([]string, n)
	for i, commit := range t.Commits {
		names[i] = history.ShortCommit(commit)
	}
	nominalX(p, names)

	// The y range: the data, the bands and the reference, padded.
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(v float64) {
		if results.Finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	for _, pt := range c.Points {
		see(s.value(pt))
		if s.spread {
			see(pt.TrialLo)
			see(pt.TrialHi)
		}
	}
	for _, sg := range s.metric.Segments {
		see(sg.Lo)
		see(sg.Hi)
	}
	if s.ref > 0 && s.ref <= hi*1.25 {
		see(s.ref)
	}
	pad := max((hi-lo)*0.08, math.Abs(hi)*0.01)
	p.Y.Min, p.Y.Max = lo-pad, hi+pad*2.5 // room at the top for change labels
	// Finer steps than the bar charts': a trend zooms in on its level.
	numeric(&p.Y, 7)

	leg := newLegend()
	band := &boxes{fill: bandBlue}
	level := &segments{line: draw.LineStyle{Color: darkGrey, Width: 1.2, Dashes: []vg.Length{5, 3}}}
	// A tentative step's level is its own: orange, without a band, so the
	// old level's line and band end where it starts.
	newLevel := &segments{
		line: draw.LineStyle{Color: vermilion, Width: 1.6, Dashes: []vg.Length{5, 3}},
	}
	for _, sg := range s.metric.Segments {
		x0, x1 := float64(c.Points[sg.From].Index)-0.5, float64(c.Points[sg.To-1].Index)+0.5
		if sg.Tentative {
			newLevel.ss = append(newLevel.ss, segment{x0, sg.Level, x1, sg.Level})
			continue
		}
		band.bs = append(band.bs, box{x0, x1, sg.Lo, sg.Hi})
		level.ss = append(level.ss, segment{x0, sg.Level, x1, sg.Level})
	}
	tint := &boxes{fill: changeTint}
	for _, ch := range s.metric.Changes {
		x0, x1 := float64(c.Points[ch.First].Index)-0.5, float64(c.Points[ch.Last].Index)+0.5
		tint.bs = append(tint.bs, box{x0, x1, p.Y.Min, p.Y.Max})
	}
	p.Add(tint, band)

	if s.ref > 0 && s.ref >= p.Y.Min && s.ref <= p.Y.Max {
		ref := &segments{ss: []segment{{-0.5, s.ref, float64(n) - 0.5, s.ref}},
			line: draw.LineStyle{Color: grey, Width: 1, Dashes: []vg.Length{1.5, 2.5}}}
		p.Add(ref)
		refLabel := &labels{}
		sty := textStyle(sans, 8)
		sty.Color = darkGrey
		sty.XAlign, sty.YAlign = draw.XRight, draw.YBottom
		refLabel.add(
			float64(n)-0.5,
			s.ref,
			report.Plural(int(s.ref), "slot"),
			sty,
			vg.Point{X: -2, Y: 1},
		)
		p.Add(refLabel)
	}
	var events []float64
	for _, e := range t.Events {
		events = append(events, float64(e.Index)-0.5)
	}
	evLine := draw.LineStyle{Color: grey, Width: 1, Dashes: []vg.Length{1, 2}}
	evRules := &vrules{xs: events, line: evLine, bottom: true}
	if s.legend { // name each event once, in the top panel
		evRules.sty = textStyle(sans, 7.5)
		evRules.sty.Color = darkGrey
		for _, e := range t.Events {
			evRules.texts = append(evRules.texts, e.What)
		}
	}
	p.Add(evRules)
	p.Add(level, newLevel)

	if s.spread {
		w := &whiskers{line: draw.LineStyle{Color: summaryGrey, Width: 0.8}}
		for _, pt := range c.Points {
			if !pt.Failed() && pt.TrialHi > pt.TrialLo {
				w.is = append(w.is, interval{float64(pt.Index), pt.TrialLo, pt.TrialHi})
			}
		}
		p.Add(w)
	}

	// The line through the measured points, broken where a push failed.
	radius := vg.Length(2.2)
	if n > 120 {
		radius = 1.5
	}
	lineSty := draw.LineStyle{Color: blue, Width: 1.2}
	var run plotter.XYs
	flush := func() {
		if len(run) > 1 {
			l, err := plotter.NewLine(run)
			if err == nil {
				l.LineStyle = lineSty
				p.Add(l)
			}
		}
		run = nil
	}
	full := &marks{sty: draw.GlyphStyle{Color: blue, Radius: radius, Shape: draw.CircleGlyph{}}}
	summ := &marks{sty: draw.GlyphStyle{Color: blue, Radius: radius + 0.6, Shape: draw.RingGlyph{}}}
	var failed []float64
	for _, pt := range c.Points {
		v := s.value(pt)
		if !results.Finite(v) {
			failed = append(failed, float64(pt.Index))
			flush()
			continue
		}
		run = append(run, plotter.XY{X: float64(pt.Index), Y: v})
		if pt.Pushes > 1 {
			summ.xys = append(summ.xys, xy{float64(pt.Index), v})
		} else {
			full.xys = append(full.xys, xy{float64(pt.Index), v})
		}
	}
	flush()
	p.Add(full, summ)
	fails := &edgeMarks{
		xs:  failed,
		sty: draw.GlyphStyle{Color: failedRed, Radius: 3.5, Shape: boldCross{}},
	}
	p.Add(fails)

	// Change points: a line where the new level starts, labelled at the
	// top; labels too close to the previous one drop a row.
	changes := &vrules{line: draw.LineStyle{Color: vermilion, Width: 1.5}}
	for _, ch := range s.metric.Changes {
		changes.xs = append(changes.xs, float64(c.Points[ch.Point].Index)-0.5)
		changes.texts = append(
			changes.texts,
			fmt.Sprintf(
				"%s %s",
				history.ShortCommit(c.Points[ch.Point].Commit),
				human.SignedPercent(ch.Ratio()),
			),
		)
	}
	changes.sty = textStyle(sansBold, 8)
	changes.sty.Color = vermilion
	p.Add(changes)
	// A tentative step: a dashed line, labelled as not confirmed.
	step := &vrules{
		line: draw.LineStyle{Color: vermilion, Width: 1.2, Dashes: []vg.Length{3, 2}},
		sty:  changes.sty,
	}
	if st := s.metric.Tentative; st != nil {
		step.xs = []float64{float64(c.Points[st.Point].Index) - 0.5}
		step.texts = []string{fmt.Sprintf(
			"%s %s, not yet confirmed",
			history.ShortCommit(st.Commit),
			human.SignedPercent(st.Ratio()),
		)}
	}
	p.Add(step)

	if s.legend {
		leg.add("per push", &lineThumb{lineSty}, glyphThumb{full.sty})
		if len(summ.xys) > 0 {
			leg.add("several old pushes (median)", glyphThumb{summ.sty})
		}
		leg.add("level", level)
		if results.Finite(s.metric.NoiseCV) {
			leg.add(fmt.Sprintf("noise band ±2σ (σ %.1f%%)", 100*s.metric.NoiseCV), band)
		}
		if len(s.metric.Changes) > 0 {
			leg.add("change point", &lineThumb{changes.line}, tint)
		}
		if s.metric.Tentative != nil {
			leg.add("new level, not yet confirmed", newLevel)
		}
		if len(failed) > 0 {
			leg.add("failed", glyphThumb{fails.sty})
		}
		if len(events) > 0 {
			leg.add("command, settings or runner changed", &lineThumb{evLine})
		}
		finish(p, leg)
	}
	return p
}

// lineThumb is a line's legend entry.
type lineThumb struct{ line draw.LineStyle }

func (l *lineThumb) Thumbnail(c *draw.Canvas) {
	y := (c.Min.Y + c.Max.Y) / 2
	c.StrokeLine2(l.line, c.Min.X, y, c.Max.X, y)
}

// vrules draws vertical lines across the data area, each with an optional
// label at the top (or the bottom), right of the line (left when it would
// leave the area); a label closer than its width to the previous one goes
// a row further in.
type vrules struct {
	xs     []float64
	texts  []string
	line   draw.LineStyle
	sty    text.Style
	bottom bool
}

func (v *vrules) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	lastEnd := vg.Length(math.Inf(-1))
	row := 0
	for i, x := range v.xs {
		if !results.Finite(x) {
			continue
		}
		px := trX(x)
		if !c.ContainsX(px) {
			continue
		}
		c.StrokeLine2(v.line, px, c.Min.Y, px, c.Max.Y)
		if i >= len(v.texts) || v.texts[i] == "" {
			continue
		}
		sty := v.sty
		sty.YAlign = draw.YTop
		if v.bottom {
			sty.YAlign = draw.YBottom
		}
		w := sty.Width(v.texts[i])
		tx := px + 3
		if tx+w > c.Max.X {
			tx = px - 3 - w
		}
		if tx < lastEnd+4 {
			row++
		} else {
			row = 0
		}
		lastEnd = tx + w
		step := vg.Length(row%3) * sty.Font.Size * 1.2
		y := c.Max.Y - 2 - step
		if v.bottom {
			y = c.Min.Y + 2 + step
		}
		c.FillText(sty, vg.Point{X: tx, Y: y}, v.texts[i])
	}
}

// boldCross is an × drawn with a line heavy enough to see at a glance
// (gonum's CrossGlyph is a hairline).
type boldCross struct{}

func (boldCross) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	ls := draw.LineStyle{Color: sty.Color, Width: 1.6}
	r := sty.Radius
	c.StrokeLine2(ls, pt.X-r, pt.Y-r, pt.X+r, pt.Y+r)
	c.StrokeLine2(ls, pt.X-r, pt.Y+r, pt.X+r, pt.Y-r)
}

// edgeMarks draws glyphs at the bottom edge of the data area.
type edgeMarks struct {
	xs  []float64
	sty draw.GlyphStyle
}

func (e *edgeMarks) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	for _, x := range e.xs {
		if px := trX(x); c.ContainsX(px) {
			c.DrawGlyph(e.sty, vg.Point{X: px, Y: c.Min.Y + e.sty.Radius + 2})
		}
	}
}

// RenderStack draws plots one above the other, x axes aligned, at Width ×
// TrendHeight in format ("png" or "svg").
func RenderStack(ps []*plot.Plot, format string) (data []byte, err error) {
	defer func() { // see Render
		if v := recover(); v != nil {
			data, err = nil, fmt.Errorf("render %s: %v", format, v)
		}
	}()
	cw, err := draw.NewFormattedCanvas(Width, TrendHeight, format)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", format, err)
	}
	dc := draw.New(cw)
	rows := make([][]*plot.Plot, len(ps))
	for i, p := range ps {
		rows[i] = []*plot.Plot{p}
	}
	tiles := draw.Tiles{
		Rows:      len(ps),
		Cols:      1,
		PadTop:    2,
		PadBottom: 2,
		PadLeft:   2,
		PadRight:  6,
		PadY:      8,
	}
	canvases := plot.Align(rows, tiles, dc)
	for i, p := range ps {
		p.Draw(canvases[i][0])
	}
	return encode(cw, format)
}

// WriteTrend renders each cell's trend chart as STEM.png and STEM.svg in
// dir (see history.ChartStem), or in the formats given, creating dir if
// needed, and returns the paths written in that order. Cells never
// measured have no chart.
func WriteTrend(t history.Trend, dir string, formats ...string) ([]string, error) {
	if len(formats) == 0 {
		formats = []string{"png", "svg"}
	}
	var paths []string
	var errs []error
	for _, c := range t.Cells {
		ps, err := Trend(t, c)
		if errors.Is(err, ErrNotApplicable) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("trend chart %s: %w", c.Name, err))
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return paths, fmt.Errorf("write trend charts: %w", err)
		}
		for _, format := range formats {
			data, err := RenderStack(ps, format)
			if err != nil {
				errs = append(errs, fmt.Errorf("trend chart %s: %w", c.Name, err))
				continue
			}
			path := filepath.Join(dir, history.ChartStem(t, c)+"."+format)
			if err := os.WriteFile(path, data, 0o644); err != nil {
				errs = append(errs, fmt.Errorf("write trend chart: %w", err))
				continue
			}
			paths = append(paths, path)
		}
	}
	return paths, errors.Join(errs...)
}
