package charts

import (
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Width and Height are the size Write renders at: 800 × 450 pixels at the
// PNG renderer's 96 dpi, the width of a GitHub comment.
const (
	Width  vg.Length = 600
	Height vg.Length = 337.5
)

// dataWidth estimates the width of the data area at Width, for decisions
// (label thinning, legend wrapping) that are made before drawing.
const dataWidth vg.Length = Width - 70

// dataHeight is the same estimate for the height of the data area.
const dataHeight vg.Length = Height - 110

// Sans-serif is easier to read at small sizes, and Liberation Sans has the
// metrics of Arial, which SVG viewers without Liberation substitute.
var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

// Okabe–Ito colours: distinguishable with the common colour-vision
// deficiencies. Yellow is left out: it vanishes on white.
var (
	black     = color.RGBA{0x00, 0x00, 0x00, 0xff}
	orange    = color.RGBA{0xe6, 0x9f, 0x00, 0xff}
	skyBlue   = color.RGBA{0x56, 0xb4, 0xe9, 0xff}
	green     = color.RGBA{0x00, 0x9e, 0x73, 0xff}
	blue      = color.RGBA{0x00, 0x72, 0xb2, 0xff}
	vermilion = color.RGBA{0xd5, 0x5e, 0x00, 0xff}
	purple    = color.RGBA{0xcc, 0x79, 0xa7, 0xff}

	grey      = color.RGBA{0x88, 0x88, 0x88, 0xff}
	darkGrey  = color.RGBA{0x55, 0x55, 0x55, 0xff}
	lightGrey = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
	gridGrey  = color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	baseGrey  = color.RGBA{
		0xb0,
		0xb0,
		0xb0,
		0xff,
	} // the base of a comparison: the reference, in grey
	failedRed = color.RGBA{0xb2, 0x22, 0x22, 0xff}
)

// series cycles through for waves, thread counts and the like.
var series = []color.RGBA{blue, orange, green, vermilion, skyBlue, purple, black, grey}

func seriesColor(i int) color.RGBA { return series[i%len(series)] }

func textStyle(f font.Font, size vg.Length) text.Style {
	return text.Style{
		Color:   black,
		Font:    font.From(f, size),
		Handler: plot.DefaultTextHandler,
	}
}

// newPlot returns a plot with the house fonts, a title and axis labels.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = font.From(sansBold, 12)
	p.Title.Padding = 4
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, 10.5)
		a.Tick.Label.Font = font.From(sans, 9)
		a.Label.Padding = 3
	}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	p.Legend.TextStyle.Font = font.From(sans, 9)
	return p
}

// addGrid draws light grid lines at the major ticks of the y axis
// (horizontal) and of the x axis (vertical).
func addGrid(p *plot.Plot, horizontal, vertical bool) {
	g := plotter.NewGrid()
	g.Vertical.Color, g.Horizontal.Color = nil, nil
	if horizontal {
		g.Horizontal.Color, g.Horizontal.Width = gridGrey, 0.5
	}
	if vertical {
		g.Vertical.Color, g.Vertical.Width = gridGrey, 0.5
	}
	p.Add(g)
}

// nominalX labels the integer positions 0…n-1 with names. Labels are turned
// upright when they do not fit side by side and thinned when even that is too
// crowded; a thinned position keeps a short tick.
func nominalX(p *plot.Plot, names []string) {
	n := len(names)
	p.X.Min, p.X.Max = -0.5, float64(n)-0.5
	p.X.Tick.Length = 3
	p.X.Padding = 0
	sty := p.X.Tick.Label
	slot := dataWidth / vg.Length(max(n, 1))
	widest := vg.Length(0)
	for _, s := range names {
		widest = max(widest, sty.Width(s))
	}
	step := 1
	if widest+4 > slot {
		p.X.Tick.Label.Rotation = math.Pi / 2
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		lineH := sty.Font.Size * 1.15
		step = int(math.Ceil(float64(lineH / slot)))
	}
	ticks := make([]plot.Tick, n)
	for i, s := range names {
		ticks[i] = plot.Tick{Value: float64(i)}
		if i%step == 0 {
			ticks[i].Label = s
		}
	}
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
}

// shorten keeps labels (cell names with long endpoints) from eating the plot.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func cellNames(cells []results.Cell) []string {
	names := make([]string, len(cells))
	for i, c := range cells {
		names[i] = shorten(c.Name(), 24)
	}
	return names
}

// niceTicks labels about n ticks at 1, 2, 2.5 or 5 × 10^k with just the
// decimals the step needs, with an unlabelled minor tick between. gonum's
// default ticks round their labels to too few digits ("1.1" at 1.05).
type niceTicks struct{ n int }

func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	step := niceStep((hi - lo) / float64(max(t.n, 1)))
	if !(step > 0) || !results.Finite(lo) || !results.Finite(hi) {
		return nil
	}
	decimals := 0
	for s := step; s-math.Floor(s+1e-9) > 1e-9 && decimals < 12; s *= 10 {
		decimals++
	}
	first := math.Ceil(lo/step - 1e-9)
	var ticks []plot.Tick
	for i := first; i*step <= hi+step*1e-9; i++ {
		v := i * step
		label := strconv.FormatFloat(v, 'f', decimals, 64)
		if strings.Trim(label, "-0.") == "" {
			label = strconv.FormatFloat(0, 'f', decimals, 64) // no "-0"
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
		if m := v + step/2; m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
		if len(ticks) > 200 {
			break
		}
	}
	if first*step-step/2 >= lo {
		ticks = append(ticks, plot.Tick{Value: first*step - step/2})
	}
	return ticks
}

// niceStep rounds raw up to 1, 2, 2.5 or 5 × 10^k.
func niceStep(raw float64) float64 {
	if !(raw > 0) || !results.Finite(raw) {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// numeric gives an axis nice ticks and widens its range to whole steps, so
// that the data never touches the frame and the top has room for labels.
func numeric(a *plot.Axis, n int) {
	lo, hi := a.Min, a.Max
	if !results.Finite(lo) || !results.Finite(hi) {
		return
	}
	if !(hi > lo) {
		d := max(math.Abs(lo)*0.1, 1)
		if lo == 0 {
			lo, hi = 0, d
		} else {
			lo, hi = lo-d, hi+d
		}
	}
	step := niceStep((hi - lo) / float64(n))
	if step > 0 {
		a.Min = math.Floor(lo/step+1e-9) * step
		a.Max = math.Ceil(hi/step-1e-9) * step
	}
	a.Tick.Marker = niceTicks{n: n}
}

// alignLabels sets labels above bars: level when the widest fits the
// bar's slot, turned upright when it does not.
func alignLabels(widest, slot vg.Length, styles ...*text.Style) {
	for _, sty := range styles {
		if widest+2 > slot {
			sty.Rotation = math.Pi / 2
			sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
		} else {
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YBottom
		}
	}
}
