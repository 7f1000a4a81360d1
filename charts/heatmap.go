package charts

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap charts throughput over the workers × threads grid, a tile per
// cell coloured by throughput and labelled with it; the second line is the
// efficiency, or the head ÷ base ratio with a comparison. It needs a full
// grid (every workers value with every threads value, at least 2 × 2) of
// one endpoint.
func Heatmap(cells []results.Cell) (*plot.Plot, error) { return heatmap(cells, "") }

// heatmap is Heatmap for the cells of a server of model
// (results.Run.Model): a swept cell shows the throughput at its peak, and
// a cell without slots no efficiency.
func heatmap(cells []results.Cell, model string) (*plot.Plot, error) {
	ws, ts, err := grid(cells)
	if err != nil {
		return nil, err
	}
	if !measured(cells) {
		return nil, fmt.Errorf("%w: no cell was measured", ErrNotApplicable)
	}
	cmpd := results.Compared(cells)
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range cells {
		if v := c.PeakThroughput(); !c.Failed() && v > 0 && results.Finite(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	if lo > hi {
		return nil, fmt.Errorf("%w: no throughput measured", ErrNotApplicable)
	}
	title := "Throughput (req/s) by workers × threads; second line: efficiency"
	switch {
	case cmpd:
		title = "Throughput (req/s) by workers × threads; second line: head ÷ base"
	case !slices.ContainsFunc(cells, func(c results.Cell) bool {
		return results.SlotsApply(model, c)
	}):
		title = "Throughput (req/s) by workers × threads"
	}
	p := newPlot(title, "threads per worker", "workers (processes)")
	p.X.Min, p.X.Max = -0.5, float64(len(ts))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(ws))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.X.Tick.Marker = indexTicks(ts)
	p.Y.Tick.Marker = indexTicks(ws)
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0

	tileW := dataWidth / vg.Length(len(ts))
	tileH := dataHeight / vg.Length(len(ws))
	size := min(vg.Length(9.5), tileH/2.7)
	sty := textStyle(sans, size)
	sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
	texts := &labels{}
	wi := indexOf(ws)
	ti := indexOf(ts)
	for _, c := range cells {
		x, y := float64(ti[c.Threads]), float64(wi[c.Workers])
		tile := &boxes{
			bs:   []box{{x - 0.5, x + 0.5, y - 0.5, y + 0.5}},
			edge: draw.LineStyle{Color: color.White, Width: 1},
		}
		s := sty
		var txt string
		v := c.PeakThroughput()
		switch {
		case c.Failed():
			tile.fill = lightGrey
			s.Color = failedRed
			txt = "failed"
		case !(v > 0) || !results.Finite(v):
			tile.fill = lightGrey
			txt = "n/a"
		default:
			f := 0.5
			if hi > lo {
				f = (v - lo) / (hi - lo)
			}
			col := viridis(f)
			tile.fill = col
			s.Color = readableOn(col)
			txt = human.Terse(v)
			switch {
			case cmpd && c.Ratio > 0 && results.Finite(c.Ratio):
				txt += "\n" + fmt.Sprintf("×%.2f", c.Ratio)
			case !cmpd && results.SlotsApply(model, c) && c.Efficiency > 0 &&
				results.Finite(c.Efficiency):
				txt += "\n" + report.Percent(c.Efficiency)
			}
		}
		if s.Width(txt) > tileW-2 {
			txt = ""
		}
		p.Add(tile)
		texts.add(x, y, txt, s, vg.Point{})
	}
	p.Add(texts)
	leg := newLegend()
	leg.add(fmt.Sprintf("lowest %s req/s", human.Terse(lo)), &boxes{fill: viridis(0)})
	leg.add(fmt.Sprintf("highest %s req/s", human.Terse(hi)), &boxes{fill: viridis(1)})
	if slices.ContainsFunc(cells, results.Cell.Failed) {
		leg.add("failed", &boxes{fill: lightGrey})
	}
	finish(p, leg)
	return p, nil
}

// grid returns the sorted worker and thread counts of cells that form a
// full grid of one endpoint.
func grid(cells []results.Cell) (ws, ts []int, err error) {
	seen := map[[2]int]bool{}
	for _, c := range cells {
		if c.Endpoint != cells[0].Endpoint {
			return nil, nil, fmt.Errorf("%w: cells of several endpoints", ErrNotApplicable)
		}
		k := [2]int{c.Workers, c.Threads}
		if seen[k] {
			return nil, nil, fmt.Errorf("%w: cell %s appears twice", ErrNotApplicable, c.Name())
		}
		seen[k] = true
		ws = append(ws, c.Workers)
		ts = append(ts, c.Threads)
	}
	slices.Sort(ws)
	slices.Sort(ts)
	ws, ts = slices.Compact(ws), slices.Compact(ts)
	if len(ws) < 2 || len(ts) < 2 {
		return nil, nil, fmt.Errorf(
			"%w: a heatmap needs at least 2 worker and 2 thread counts",
			ErrNotApplicable,
		)
	}
	if len(cells) != len(ws)*len(ts) {
		return nil, nil, fmt.Errorf(
			"%w: %d cells do not fill the %d × %d grid",
			ErrNotApplicable,
			len(cells),
			len(ws),
			len(ts),
		)
	}
	return ws, ts, nil
}

func indexOf(vs []int) map[int]int {
	m := make(map[int]int, len(vs))
	for i, v := range vs {
		m[v] = i
	}
	return m
}

// indexTicks labels positions 0…n-1 with the values.
func indexTicks(vs []int) plot.ConstantTicks {
	ticks := make([]plot.Tick, len(vs))
	for i, v := range vs {
		ticks[i] = plot.Tick{Value: float64(i), Label: strconv.Itoa(v)}
	}
	return ticks
}

// viridisStops samples the viridis colour map: perceptually uniform, legible
// in greyscale and to colour-blind readers.
var viridisStops = []color.RGBA{
	{0x44, 0x01, 0x54, 0xff},
	{0x3b, 0x52, 0x8b, 0xff},
	{0x21, 0x91, 0x8c, 0xff},
	{0x5e, 0xc9, 0x62, 0xff},
	{0xfd, 0xe7, 0x25, 0xff},
}

// viridis maps f in [0, 1] to a colour.
func viridis(f float64) color.RGBA {
	f = math.Max(0, math.Min(1, f))
	pos := f * float64(len(viridisStops)-1)
	i := min(int(pos), len(viridisStops)-2)
	t := pos - float64(i)
	a, b := viridisStops[i], viridisStops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + (float64(y)-float64(x))*t)) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// readableOn picks black or white text for a background.
func readableOn(bg color.RGBA) color.Color {
	lum := 0.2126*float64(bg.R) + 0.7152*float64(bg.G) + 0.0722*float64(bg.B)
	if lum > 140 {
		return black
	}
	return color.White
}
