package charts

import (
	"cmp"
	"fmt"
	"image/color"
	"maps"
	"math"
	"slices"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// wavePalette colours completion waves; neighbours always differ.
var wavePalette = []color.RGBA{blue, orange, green, vermilion, skyBlue, purple}

// Timeline charts one burst on one cell: a horizontal bar per request from
// when it was sent to when its response arrived, grouped and coloured by
// completion wave, the first wave on top. A server with 3 slots draws a
// staircase of threes, one with 9 slots steps of nine. Failed requests
// come last, in grey.
func Timeline(c results.Cell, b results.Burst) (*plot.Plot, error) {
	if len(b.Requests) == 0 {
		return nil, fmt.Errorf(
			"%w: burst of %d on %s has no requests",
			ErrNotApplicable,
			b.Size,
			c.Name(),
		)
	}
	reqs := byWave(b.Requests)

	type group struct {
		wave       int
		n          int
		start, end float64 // rows, top to bottom
	}
	var groups []group
	bars := &waveBars{}
	const gap = 0.8 // rows of space between waves
	row := 0.0
	for i, r := range reqs {
		if i == 0 || waveKey(r.Wave) != waveKey(reqs[i-1].Wave) {
			if i > 0 {
				row += gap
			}
			groups = append(groups, group{wave: r.Wave, start: row})
		}
		g := &groups[len(groups)-1]
		g.n++
		g.end = row
		bars.add(r, -row, 0.36)
		row++
	}

	failed := 0
	if last := groups[len(groups)-1]; last.wave < 0 {
		failed = last.n
	}
	served := len(reqs) - failed
	waves := len(groups)
	if failed > 0 {
		waves--
	}
	most := 0
	for _, g := range groups {
		if g.wave >= 0 {
			most = max(most, g.n)
		}
	}
	size := max(b.Size, len(reqs))
	var how string
	switch {
	case served == 0:
		how = "no request was served"
	case waves == 1:
		how = fmt.Sprintf("all %d served at once", served)
	default:
		how = fmt.Sprintf("served %d at a time, %s", most, report.Plural(waves, "wave"))
	}
	if failed > 0 {
		how += fmt.Sprintf(", %d failed", failed)
	}
	which := report.Plural(int(slots(c)), "slot")
	if c.Base != nil {
		which = "head, " + which
	}
	title := fmt.Sprintf(
		"Burst of %d requests on %s (%s): %s",
		size,
		shorten(c.Name(), 24),
		which,
		how,
	)
	p := newPlot(title, "time since the burst was fired (s)", "requests by completion wave")
	addGrid(p, false, true)
	p.X.Min = 0
	p.Y.Min, p.Y.Max = -(row-1)-0.6, 0.6
	p.Y.Padding = 0
	p.Y.Tick.Length = 0

	bars.addTo(p)

	// Name each wave on the y axis, thinned to what the height can hold.
	lineH := p.Y.Tick.Label.Font.Size * 1.25
	room := max(1, int(dataHeight/lineH))
	step := (len(groups) + room - 1) / room
	var ticks []plot.Tick
	for i, g := range groups {
		t := plot.Tick{Value: -(g.start + g.end) / 2}
		if i%step == 0 || g.wave < 0 {
			if g.wave < 0 {
				t.Label = fmt.Sprintf("failed: %d", g.n)
			} else {
				t.Label = fmt.Sprintf("wave %d: %d", g.wave+1, g.n)
			}
		}
		ticks = append(ticks, t)
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)

	leg := newLegend()
	if failed > 0 {
		leg.add("failed (sent until the error)", bars.byKey[failedKey])
	}
	if c.ServiceTimeS > 0 {
		s0 := &vrule{
			x:    c.ServiceTimeS,
			line: draw.LineStyle{Color: darkGrey, Width: 0.8, Dashes: []vg.Length{3, 2}},
		}
		p.Add(s0)
		leg.add(
			fmt.Sprintf("unloaded service time S0 = %s s", human.Terse(c.ServiceTimeS)),
			&segments{line: s0.line},
		)
	}
	numeric(&p.X, 8)
	finish(p, leg)
	return p, nil
}

// waveKey sorts failed requests (wave -1) after every wave.
func waveKey(w int) int {
	if w < 0 {
		return math.MaxInt
	}
	return w
}

// failedKey is the waveBars key of failed requests.
const failedKey = -1

// waveBars collects request bars, one plotter per wave colour so that each
// colour is one series; failed requests are grey.
type waveBars struct {
	byKey map[int]*boxes
}

// add draws r from send to response (or error) at row y, half a bar
// height either side.
func (w *waveBars) add(r results.BurstRequest, y, half float64) {
	k := failedKey
	if r.Wave >= 0 {
		k = r.Wave % len(wavePalette)
	}
	if w.byKey == nil {
		w.byKey = map[int]*boxes{}
	}
	bs, ok := w.byKey[k]
	if !ok {
		bs = &boxes{fill: grey}
		if k != failedKey {
			bs.fill = wavePalette[k]
		}
		w.byKey[k] = bs
	}
	end := r.EndS
	if !results.Finite(end) || end < r.StartS {
		end = r.StartS
	}
	bs.bs = append(bs.bs, box{r.StartS, end, y - half, y + half})
}

// addTo adds the bars to p in a stable order.
func (w *waveBars) addTo(p *plot.Plot) {
	keys := slices.Sorted(maps.Keys(w.byKey))
	for _, k := range keys {
		p.Add(w.byKey[k])
	}
}

// byWave sorts requests by completion wave, failed ones (wave -1) last, and
// within a wave by completion time.
func byWave(rs []results.BurstRequest) []results.BurstRequest {
	rs = slices.Clone(rs)
	slices.SortStableFunc(rs, func(x, y results.BurstRequest) int {
		return cmp.Or(
			cmp.Compare(waveKey(x.Wave), waveKey(y.Wave)),
			cmp.Compare(x.EndS, y.EndS),
			cmp.Compare(x.StartS, y.StartS),
		)
	})
	return rs
}

// MaxOverviewCells is the most cells Timelines stacks in one chart.
const MaxOverviewCells = 8

// Timelines charts the burst of the given size on every cell, stacked on one
// time axis: per cell a block of bars, one per request from send to
// response, coloured by completion wave, the cell named with how many it
// served at a time. Side by side, 1x3 draws a staircase of threes and 3x3
// steps of nine. It needs a burst of that size on at least one cell and
// no more than MaxOverviewCells cells.
func Timelines(cells []results.Cell, size int) (*plot.Plot, error) {
	type block struct {
		c    results.Cell
		reqs []results.BurstRequest
	}
	var blocks []block
	found := false
	for _, c := range cells {
		bl := block{c: c}
		for _, b := range c.Bursts {
			if b.Size == size && len(b.Requests) > 0 {
				bl.reqs = byWave(b.Requests)
				found = true
				break
			}
		}
		blocks = append(blocks, bl)
	}
	if !found {
		return nil, fmt.Errorf("%w: no burst of %d", ErrNotApplicable, size)
	}
	if len(blocks) > MaxOverviewCells {
		return nil, fmt.Errorf(
			"%w: %d cells are too many for one timeline",
			ErrNotApplicable,
			len(blocks),
		)
	}
	on := "each cell"
	if results.Compared(cells) {
		on = "each cell (head)"
	}
	p := newPlot(
		fmt.Sprintf(
			"Burst of %d simultaneous requests on %s, coloured by completion wave",
			size,
			on,
		),
		"time since the burst was fired (s)",
		"requests, by cell",
	)
	addGrid(p, false, true)
	p.X.Min = 0
	p.Y.Tick.Length = 0

	// Each block is as tall as the largest burst, so rows line up across cells.
	rowsPer := 0
	for _, bl := range blocks {
		rowsPer = max(rowsPer, len(bl.reqs))
	}
	gap := max(1.5, float64(rowsPer)*0.35)
	bars := &waveBars{}
	var ticks []plot.Tick
	maxWave := 0
	top := 0.0
	for _, bl := range blocks {
		most, waves, lost := 0, map[int]int{}, 0
		for i, r := range bl.reqs {
			if r.Wave < 0 {
				lost++
			} else {
				maxWave = max(maxWave, r.Wave)
				waves[r.Wave]++
				most = max(most, waves[r.Wave])
			}
			bars.add(r, -top-float64(i), 0.4)
		}
		var note string
		switch {
		case bl.c.Failed():
			note = "failed"
		case len(bl.reqs) == 0:
			note = "no burst"
		case len(waves) == 1 && lost == 0:
			note = "all at once"
		case most > 0:
			note = fmt.Sprintf("%d at a time", most)
		default:
			note = "none served"
		}
		if lost > 0 {
			note += fmt.Sprintf(", %d failed", lost)
		}
		ticks = append(ticks, plot.Tick{
			Value: -top - float64(rowsPer-1)/2,
			Label: shorten(bl.c.Name(), 24) + "\n" + note,
		})
		top += float64(rowsPer) + gap
	}
	bars.addTo(p)
	p.Y.Min, p.Y.Max = -(top-gap)+0.5, 0.5+gap/3
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	numeric(&p.X, 8)
	leg := newLegend()
	// Name the waves only while every wave has a colour of its own.
	if maxWave < len(wavePalette) {
		for i := 0; i <= maxWave; i++ {
			if b, ok := bars.byKey[i]; ok {
				leg.add(fmt.Sprintf("wave %d", i+1), b)
			}
		}
	}
	if b, ok := bars.byKey[failedKey]; ok {
		leg.add("failed", b)
	}
	finish(p, leg)
	return p, nil
}
