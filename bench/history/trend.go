package history

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/internal/stats"

	"github.com/workerbench/workerbench/bench/history/changepoint"
	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/results"
)

// Trend is one series read for its trend: per cell, a point per record and
// the change points of throughput and of achieved concurrency.
type Trend struct {
	Series   string
	Endpoint string
	Commits  []string // per record, oldest first
	Pushes   int      // pushes the records stand for (summaries hold several)
	Events   []Event
	Cells    []CellTrend
}

// Event is something other than the code that changed at a record and can
// move the figures: the command, the settings, the runner.
type Event struct {
	Index int // the record
	What  string
}

// CellTrend is one cell over the records that have it.
type CellTrend struct {
	Name             string // "WxT"
	Workers, Threads int
	Slots            int
	Points           []Point
	Throughput       Metric
	Concurrency      Metric
}

// Point is a cell at one record.
type Point struct {
	Index       int // the record's position in the series
	Commit      string
	FirstCommit string // for a summary: the first push it holds
	Time        time.Time
	Pushes      int
	Throughput  float64 // req/s: median over the record's values; NaN when failed
	// TrialLo and TrialHi are the range of the record's values: the trials
	// of one push, or the pushes of a summary.
	TrialLo, TrialHi float64
	Concurrency      float64 // NaN when failed
	P99S             float64
	PSSBytes         uint64
	Error            string
}

// Failed reports whether the cell was not measured at this point.
func (p Point) Failed() bool { return math.IsNaN(p.Throughput) }

// Metric is what the trend says about one figure of a cell. Indexes are
// into the cell's Points.
type Metric struct {
	Changes  []Change
	Segments []Segment // the levels between change points
	// NoiseCV is the run-to-run noise: a robust coefficient of variation of
	// the single pushes around their segment's level (1.4826 × the median
	// absolute relative deviation), leaving out a tentative step's; NaN
	// with fewer than 3 values.
	NoiseCV float64
	// Tentative is a new level in the newest points that the change-point
	// test has not confirmed yet (see StepSigmas); the last segment is
	// then its own, marked Tentative. Nil when there is none.
	Tentative *Step
	// Withdrawn is the step the points but the latest one showed, which
	// the latest one, measured and back at the old level, withdrew; nil
	// otherwise.
	Withdrawn *Step
}

// Latest is the most recent change point.
func (m Metric) Latest() (Change, bool) {
	if len(m.Changes) == 0 {
		return Change{}, false
	}
	return m.Changes[len(m.Changes)-1], true
}

// Change is a change point: the level moved from Before to After at Point.
type Change struct {
	Point  int    // first point of the new level
	Commit string // its commit
	// First and Last bound the point where the new level starts, with 90%
	// probability.
	First, Last   int
	Before, After float64
	PValue        float64
}

// Ratio is After ÷ Before: 0.95 is a 5% drop.
func (c Change) Ratio() float64 { return c.After / c.Before }

// Segment is a level between change points: points [From, To).
type Segment struct {
	From, To int
	Level    float64 // median
	// Lo and Hi are the noise band: Level × (1 ± 2 NoiseCV), about 95% of
	// pushes on an unchanged level fall inside; NaN for a tentative level.
	Lo, Hi float64
	// Tentative marks the level of a step not confirmed yet
	// (Metric.Tentative).
	Tentative bool
}

// Options tune Analyze.
type Options struct {
	// ChangePoint tunes the change-point search; its seed makes the trend
	// of the same records the same every time.
	ChangePoint changepoint.Options
	// stepSigmas and stepFloor replace StepSigmas and StepFloor when not
	// 0, for the tests that measure the rule.
	stepSigmas, stepFloor float64
}

// Analyze reads the trend of a series. Cells are in the order the newest
// record lists them, then cells that only older records have.
func Analyze(s Series, opt Options) Trend {
	t := Trend{Series: s.Name, Endpoint: s.Endpoint}
	cells := map[string]*CellTrend{}
	var order []string
	for i, r := range s.Records {
		t.Commits = append(t.Commits, r.Commit)
		t.Pushes += r.PushCount()
		if i > 0 {
			t.Events = append(t.Events, events(i, &s.Records[i-1], &r)...)
		}
		for _, c := range r.Cells {
			ct := cells[c.Name()]
			if ct == nil {
				ct = &CellTrend{Name: c.Name(), Workers: c.Workers, Threads: c.Threads}
				cells[c.Name()] = ct
				order = append(order, c.Name())
			}
			ct.Slots = c.Slots
			p := Point{
				Index: i, Commit: r.Commit, FirstCommit: r.FirstCommit, Time: r.Time, Pushes: r.PushCount(),
				Throughput: math.NaN(), TrialLo: math.NaN(), TrialHi: math.NaN(), Concurrency: math.NaN(),
				Error: c.Error,
			}
			if !c.Failed() {
				p.Throughput = c.Median()
				p.TrialLo, p.TrialHi = slices.Min(c.Throughput), slices.Max(c.Throughput)
				p.Concurrency, p.P99S, p.PSSBytes = c.Concurrency, c.P99S, c.PSSBytes
			}
			ct.Points = append(ct.Points, p)
		}
	}
	if n := len(s.Records); n > 0 {
		last := &s.Records[n-1]
		slices.SortStableFunc(
			order,
			func(a, b string) int { return indexOf(last, a) - indexOf(last, b) },
		)
	}
	for _, name := range order {
		ct := cells[name]
		ct.Throughput = analyzeMetric(ct.Points, func(p Point) float64 { return p.Throughput }, opt)
		ct.Concurrency = analyzeMetric(
			ct.Points,
			func(p Point) float64 { return p.Concurrency },
			opt,
		)
		t.Cells = append(t.Cells, *ct)
	}
	return t
}

// Trends analyzes every series of the history, in its order.
func (h *History) Trends(opt Options) []Trend {
	var ts []Trend
	for _, s := range h.Series {
		ts = append(ts, Analyze(s, opt))
	}
	return ts
}

// events says what besides the code changed from record a to b.
func events(i int, a, b *Record) []Event {
	var out []Event
	if a.Command != b.Command {
		out = append(out, Event{i, "command changed"})
	}
	if a.Settings != b.Settings {
		out = append(out, Event{i, "load settings changed"})
	}
	switch {
	case a.Host.CPUs != b.Host.CPUs:
		out = append(out, Event{i, fmt.Sprintf("runner: %d → %d CPUs", a.Host.CPUs, b.Host.CPUs)})
	case a.Host.CPUModel != b.Host.CPUModel && a.Host.CPUModel != "" && b.Host.CPUModel != "":
		out = append(out, Event{i, "runner: another CPU model"})
	case a.Host.OS != b.Host.OS || a.Host.Arch != b.Host.Arch:
		out = append(
			out,
			Event{
				i,
				fmt.Sprintf(
					"runner: %s/%s → %s/%s",
					a.Host.OS,
					a.Host.Arch,
					b.Host.OS,
					b.Host.Arch,
				),
			},
		)
	}
	return out
}

func analyzeMetric(points []Point, value func(Point) float64, opt Options) Metric {
	var xs []float64
	var at []int // point index of each value
	var single []bool
	singles := 0
	for i, p := range points {
		if v := value(p); results.Finite(v) {
			xs = append(xs, v)
			at = append(at, i)
			single = append(single, p.Pushes <= 1)
			if p.Pushes <= 1 {
				singles++
			}
		}
	}
	m := Metric{NoiseCV: math.NaN()}
	if len(xs) == 0 {
		return m
	}
	if singles < 3 { // too few single pushes for their noise: take what there is
		for i := range single {
			single[i] = true
		}
	}
	cps := changepoint.Detect(xs, opt.ChangePoint)
	bounds := []int{0}
	for _, c := range cps {
		m.Changes = append(m.Changes, Change{
			Point: at[c.Index], Commit: points[at[c.Index]].Commit,
			First: at[c.First], Last: at[c.Last],
			Before: c.Before, After: c.After, PValue: c.PValue,
		})
		bounds = append(bounds, c.Index)
	}
	// The segments before the last, whose noise a step in the last one is
	// measured against too.
	var dev []float64
	var prior logNoise
	for i := 0; i+1 < len(bounds); i++ {
		a, b := bounds[i], bounds[i+1]
		level := stats.Median(xs[a:b])
		m.Segments = append(m.Segments, Segment{From: at[a], To: at[b], Level: level})
		dev = append(dev, deviations(xs[a:b], single[a:b], level)...)
		prior = prior.add(segmentNoise(xs[a:b], single[a:b]))
	}
	last := bounds[len(bounds)-1]
	sigmas, floor := cmp.Or(opt.stepSigmas, StepSigmas), cmp.Or(opt.stepFloor, StepFloor)
	step := func(xs []float64) (Step, bool) {
		i, before, after, ok := findStep(xs, single, last, prior, sigmas, floor)
		return Step{Point: at[i], Commit: points[at[i]].Commit, Before: before, After: after}, ok
	}
	end := len(xs)
	latestMeasured := at[len(xs)-1] == len(points)-1
	if s, ok := step(xs); ok {
		m.Tentative = &s
		for end > 0 && at[end-1] >= s.Point {
			end--
		}
	} else if s, ok := step(xs[:len(xs)-1]); ok && latestMeasured {
		m.Withdrawn = &s
	}
	level := stats.Median(xs[last:end])
	m.Segments = append(m.Segments, Segment{From: at[last], To: len(points), Level: level})
	dev = append(dev, deviations(xs[last:end], single[last:end], level)...)
	m.NoiseCV = noiseCV(dev)
	if s := m.Tentative; s != nil {
		m.Segments[len(m.Segments)-1].To = s.Point
		m.Segments = append(
			m.Segments,
			Segment{From: s.Point, To: len(points), Level: s.After, Tentative: true},
		)
	}
	for i := range m.Segments {
		sg := &m.Segments[i]
		sg.Lo, sg.Hi = math.NaN(), math.NaN()
		if results.Finite(m.NoiseCV) && !sg.Tentative {
			sg.Lo, sg.Hi = sg.Level*(1-2*m.NoiseCV), sg.Level*(1+2*m.NoiseCV)
		}
	}
	return m
}

// Label is a point's commit for a chart or a table: the short commit, and
// for a summary "first…last".
func (p Point) Label() string {
	if p.Pushes > 1 && p.FirstCommit != "" {
		return ShortCommit(p.FirstCommit) + "…" + ShortCommit(p.Commit)
	}
	return ShortCommit(p.Commit)
}

// Title names the series: "default" or "default · GET /x".
func (t Trend) Title() string {
	if t.Endpoint == "" {
		return t.Series
	}
	return t.Series + " · " + t.Endpoint
}

// Summary is one line about the cell's throughput: the latest value, the
// noise and the latest change point or tentative step, e.g.
// "84.1 req/s (noise ±2.1%); −5.1% at a1b2c3d, 4 pushes ago" or
// "165 req/s (noise ±0.8%); −11.8%: a new level since a1b2c3d (the latest
// push), not yet confirmed".
func (c CellTrend) Summary() string {
	var b strings.Builder
	if n := len(c.Points); n > 0 && !c.Points[n-1].Failed() {
		fmt.Fprintf(&b, "%s req/s", num(c.Points[n-1].Throughput))
	} else {
		b.WriteString("failed at the latest push")
	}
	if results.Finite(c.Throughput.NoiseCV) {
		fmt.Fprintf(&b, " (noise ±%.1f%%)", 100*c.Throughput.NoiseCV)
	}
	switch ch, ok := c.latestChange(); {
	case !ok:
		b.WriteString("; no change point")
	case ch.tentative:
		fmt.Fprintf(&b, "; %s: a new level since %s (%s), not yet confirmed", ch.pct, ch.label, ch.ago)
	default:
		fmt.Fprintf(&b, "; %s at %s, %s", ch.pct, ch.label, ch.ago)
	}
	if pct, label, ok := c.withdrawn(); ok {
		fmt.Fprintf(&b, "; "+withdrawnText, pct, label)
	}
	return b.String()
}

// changeWords are the parts of a change's description: "−5.1%",
// "a1b2c3d", "4 pushes ago", and whether it is a tentative step.
type changeWords struct {
	pct, label, ago string
	tentative       bool
}

// latestChange describes the cell's tentative step, or else its latest
// change point.
func (c CellTrend) latestChange() (changeWords, bool) {
	m := c.Throughput
	if s := m.Tentative; s != nil {
		return c.words(s.Point, s.Ratio(), true), true
	}
	if ch, ok := m.Latest(); ok {
		return c.words(ch.Point, ch.Ratio(), false), true
	}
	return changeWords{}, false
}

func (c CellTrend) words(point int, ratio float64, tentative bool) changeWords {
	ago := 0
	for _, p := range c.Points[point:] {
		ago += p.Pushes
	}
	return changeWords{
		pct:       cmp.Or(human.SignedPercent(ratio), "?"),
		label:     c.Points[point].Label(),
		ago:       agoText(ago - 1),
		tentative: tentative,
	}
}

// withdrawn describes the tentative step of the throughput that the
// latest push withdrew: "−12.0%", "a1b2c3d".
func (c CellTrend) withdrawn() (pct, label string, ok bool) {
	s := c.Throughput.Withdrawn
	if s == nil {
		return "", "", false
	}
	return cmp.Or(human.SignedPercent(s.Ratio()), "?"), c.Points[s.Point].Label(), true
}

// withdrawnText is how the text and the Markdown say it, label quoted.
const withdrawnText = "the step of %s at %s is withdrawn: the latest push is back at the old level"

func agoText(n int) string {
	switch n {
	case 0:
		return "the latest push"
	case 1:
		return "1 push ago"
	}
	return fmt.Sprintf("%d pushes ago", n)
}

// num prints about three significant digits, as the reports do, and "—"
// for a value that is not one.
func num(v float64) string { return cmp.Or(human.Num(v), "—") }
