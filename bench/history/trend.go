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
	// the values around their segment's level (1.4826 × the median absolute
	// relative deviation), NaN with fewer than 3 values.
	NoiseCV float64
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
	// pushes on an unchanged level fall inside.
	Lo, Hi float64
}

// Options tune Analyze.
type Options struct {
	// ChangePoint tunes the change-point search; its seed makes the trend
	// of the same records the same every time.
	ChangePoint changepoint.Options
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
	for i, p := range points {
		if v := value(p); results.Finite(v) {
			xs = append(xs, v)
			at = append(at, i)
		}
	}
	m := Metric{NoiseCV: math.NaN()}
	if len(xs) == 0 {
		return m
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
	bounds = append(bounds, len(xs))
	var dev []float64
	for i := 0; i+1 < len(bounds); i++ {
		seg := xs[bounds[i]:bounds[i+1]]
		level := stats.Median(seg)
		for _, v := range seg {
			if level > 0 {
				dev = append(dev, math.Abs(v/level-1))
			}
		}
		to := len(points)
		if i+2 < len(bounds) {
			to = at[bounds[i+1]]
		}
		m.Segments = append(m.Segments, Segment{From: at[bounds[i]], To: to, Level: level})
	}
	if len(dev) >= 3 {
		m.NoiseCV = 1.4826 * stats.Median(dev)
	}
	for i := range m.Segments {
		sg := &m.Segments[i]
		sg.Lo, sg.Hi = math.NaN(), math.NaN()
		if results.Finite(m.NoiseCV) {
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
// noise and the latest change point, e.g.
// "84.1 req/s (noise ±2.1%); −5.1% at a1b2c3d, 4 pushes ago".
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
	if ch, ok := c.Throughput.Latest(); ok {
		fmt.Fprintf(&b, "; %s", c.describe(ch))
	} else {
		b.WriteString("; no change point")
	}
	return b.String()
}

// describe says "−5.1% at a1b2c3d, 4 pushes ago".
func (c CellTrend) describe(ch Change) string {
	ago := 0
	for _, p := range c.Points[ch.Point:] {
		ago += p.Pushes
	}
	return fmt.Sprintf(
		"%s at %s, %s",
		cmp.Or(human.SignedPercent(ch.Ratio()), "?"),
		c.Points[ch.Point].Label(),
		agoText(ago-1),
	)
}

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
