package charts

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Memory charts Σ PSS of the server's process tree against the number of
// workers, one line per thread count (and endpoint): workers cost memory,
// threads should not. When all cells have one worker it is drawn against
// threads instead. With a comparison, base lines are dashed with hollow
// marks. Cells without a memory measurement are left out and named.
func Memory(cells []results.Cell) (*plot.Plot, error) {
	byThreads := !spansWorkers(cells)
	type point struct {
		x, y float64
		key  memKey
		base bool
	}
	var pts []point
	var missing []string
	for i := range cells {
		c := &cells[i]
		for _, s := range sidesOf(c) {
			mib := pssMiB(*s.c)
			if mib <= 0 {
				name := c.Name()
				if s.base {
					name += " (base)"
				}
				missing = append(missing, name)
				continue
			}
			k := memKey{series: c.Threads, endpoint: c.Endpoint}
			x := float64(c.Workers)
			if byThreads {
				k.series, x = c.Workers, float64(c.Threads)
			}
			pts = append(pts, point{x, mib, k, s.base})
		}
	}
	if len(pts) == 0 {
		return nil, fmt.Errorf("%w: no memory measured", ErrNotApplicable)
	}
	cmpd := slices.ContainsFunc(pts, func(p point) bool { return p.base })

	title := "Memory: Σ PSS of all server processes vs workers"
	xLabel := "workers (processes)"
	if byThreads {
		title = "Memory: Σ PSS of all server processes vs threads"
		xLabel = "threads per worker"
	}
	p := newPlot(title, xLabel, "Σ PSS (MiB)")
	addGrid(p, true, false)
	p.Y.Min = 0

	// The x axis is ticked at the measured values only.
	var xs []float64
	for _, pt := range pts {
		xs = append(xs, pt.x)
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	ticks := make([]plot.Tick, len(xs))
	for i, x := range xs {
		ticks[i] = plot.Tick{Value: x, Label: fmt.Sprintf("%g", x)}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	span := xs[len(xs)-1] - xs[0]
	pad := max(0.4, span*0.06)
	p.X.Min, p.X.Max = xs[0]-pad, xs[len(xs)-1]+pad

	var keys []memKey
	for _, pt := range pts {
		keys = append(keys, pt.key)
	}
	slices.SortFunc(keys, memKey.compare)
	keys = slices.Compact(keys)

	leg := newLegend()
	texts := &labels{}
	annotate := len(pts) <= 12
	valSty := textStyle(sans, 8)
	valSty.YAlign = draw.YCenter
	radius := vg.Length(3.5)
	if len(pts) > 24 {
		radius = 2.5
	}
	for i, k := range keys {
		col := seriesColor(i)
		for _, base := range []bool{false, true} {
			var line []xy
			for _, pt := range pts {
				if pt.key == k && pt.base == base {
					line = append(line, xy{pt.x, pt.y})
				}
			}
			if len(line) == 0 {
				continue
			}
			slices.SortFunc(line, func(a, b xy) int { return cmp.Compare(a.x, b.x) })
			ls := draw.LineStyle{Color: col, Width: 1.5}
			gs := draw.GlyphStyle{Color: col, Radius: radius, Shape: draw.CircleGlyph{}}
			if base {
				ls.Dashes = []vg.Length{4, 2}
				gs.Shape = draw.RingGlyph{}
			}
			l := &segments{line: ls}
			for j := 1; j < len(line); j++ {
				l.ss = append(l.ss, segment{line[j-1].x, line[j-1].y, line[j].x, line[j].y})
			}
			m := &marks{xys: line, sty: gs}
			p.Add(l, m)
			if !base {
				leg.add(k.label(byThreads), l, m)
			}
			if annotate {
				// Alternate sides so that neighbouring series (1x1 and 1x3
				// differ by a few MiB) do not overwrite each other.
				sty, off := valSty, vg.Point{X: radius + 3}
				if i%2 == 1 {
					sty.XAlign = draw.XRight
					off.X = -off.X
				}
				for _, pt := range line {
					texts.add(pt.x, pt.y, fmt.Sprintf("%.0f", pt.y), sty, off)
				}
			}
		}
	}
	if cmpd {
		leg.add("head", &segments{line: draw.LineStyle{Color: darkGrey, Width: 1.5}})
		leg.add(
			"base",
			&segments{line: draw.LineStyle{Color: darkGrey, Width: 1.5, Dashes: []vg.Length{4, 2}}},
		)
	}
	if len(missing) > 0 {
		leg.add(
			"no data: "+listSome(missing, 4),
			&marks{sty: draw.GlyphStyle{Color: failedRed, Radius: 3, Shape: draw.CrossGlyph{}}},
		)
	}
	p.Add(texts)
	numeric(&p.Y, 5)
	finish(p, leg, texts)
	return p, nil
}

// memKey identifies a line of the memory chart: the thread count (or the
// worker count, drawn against threads) and the endpoint.
type memKey struct {
	series   int
	endpoint string
}

func (k memKey) compare(o memKey) int {
	return cmp.Or(cmp.Compare(k.series, o.series), strings.Compare(k.endpoint, o.endpoint))
}

func (k memKey) label(byThreads bool) string {
	s := report.Plural(k.series, "thread")
	if byThreads {
		s = report.Plural(k.series, "worker")
	}
	if k.endpoint != "" {
		s += ", " + shorten(k.endpoint, 20)
	}
	return s
}

// spansWorkers reports whether the cells have more than one worker count,
// or else no more than one thread count either.
func spansWorkers(cells []results.Cell) bool {
	ws, ts := map[int]bool{}, map[int]bool{}
	for _, c := range cells {
		ws[c.Workers], ts[c.Threads] = true, true
	}
	return len(ws) > 1 || len(ts) <= 1
}

// pssMiB is the cell's Σ PSS, falling back to the peak when only that was
// sampled; 0 for a failed cell or one without memory measurements.
func pssMiB(c results.Cell) float64 {
	if c.Failed() {
		return 0
	}
	b := c.Memory.PSSBytes
	if b == 0 {
		b = c.Memory.PeakPSSBytes
	}
	return float64(b) / (1 << 20)
}

// listSome joins the first n names and counts the rest.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}
