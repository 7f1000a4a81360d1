package report

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// The table model: what the terminal table and the Markdown both show of a
// run, computed once by newModel. Its values are plain text, neither
// escaped nor clipped, and "" where nothing was measured; the renderers
// only choose columns and wording, clip, escape (plain or Escape) and put
// their placeholder where a value is "" (see style).

// model is a run as the reports lay it out.
type model struct {
	comparison  bool
	endpoints   bool  // some cell names an endpoint
	rows        []row // one per cell, in the run's order
	bursts      []burstRow
	diagnostics []diagnostic // head's before base's within a cell
	failures    []failure    // failed sides, head before base within a cell
	outcome     outcome
}

// row is one cell: its figures and, in a comparison, how head compares
// with base.
type row struct {
	name                    string // "3x3", "3x3 GET /": untrusted (the endpoint)
	endpoint                string // untrusted
	workers, threads, slots int

	head measures  // the cell's figures; head's in a comparison
	base *measures // base's figures; nil outside a comparison or without a base

	verdict     results.Verdict // "" outside a comparison
	significant bool            // results.Comparison.Significant
	ratio       float64         // head/base throughput, for ordering only
	change      string          // head/base throughput as a change: "-12.1%"
	changeShort string          // the same in whole percents from 10% on: "-12%"
	interval    string          // its confidence interval: "[-14.2%, -9.9%]"
	p           string          // the p-value: "0.002", "<0.001"
	within      string          // the threshold a significant but unchanged change is within: "5%"
	mde         string          // an inconclusive cell's minimum detectable effect: "9%"
}

// failed reports whether either side of the cell failed.
func (r row) failed() bool { return r.head.failed || r.base != nil && r.base.failed }

// measures are the figures of one measurement: a run's cell or one side of
// a compared cell. A failed measurement has only failed and err.
type measures struct {
	failed bool
	err    string // why it failed: untrusted

	throughput, concurrency, efficiency string // "44.7", "8.98", "99%"
	concurrency1                        string // to one decimal, for a sentence: "9.0"
	p50, p90, p99, max                  string // latency: "604 ms"
	pss, rss                            string // memory: "78.0 MiB"
	serverCPU, generatorCPU             string // CPU per request: "1.10 ms"
	errors                              string // "0", "12 (2.4%: status 10, timeout 2)"; untrusted

	serviceTime string   // S0: "201 ms"
	connections string   // "27"
	requests    string   // "670"
	processes   string   // "4"
	bound       string   // "io", "cpu": untrusted
	trials      []string // throughput per trial, the first dozen, then "…"
}

// burstRow is one burst of a cell, with base's burst of the same size.
type burstRow struct {
	name       string // the cell's: untrusted
	slots      int
	failed     bool // the cell failed (on head)
	size       int
	largest    int
	head, base *waveList // base is nil without a base burst of the size
}

// waveList is a burst's completion waves: how many requests completed
// together, the first dozen of them, then "… (N waves)".
type waveList struct {
	waves  []string
	failed int // requests that failed
}

// text is the waves joined by sep, "none" for none, with the failed requests.
func (w waveList) text(sep string) string {
	s := or(strings.Join(w.waves, sep), "none")
	if w.failed > 0 {
		s += fmt.Sprintf(" (%d failed)", w.failed)
	}
	return s
}

// diagnostic is a caveat the engine recorded on a cell.
type diagnostic struct {
	cell, side, text string // side: "" or "base"; cell and text untrusted
}

// failure is a cell that could not be measured, on one side of a
// comparison, with what its server logged. All its text is untrusted.
type failure struct {
	row        int    // the cell's index in the run
	name       string // the cell's name (of the head side for a base failure)
	side       string // "", "head" or "base"
	err        string // why it failed
	logExcerpt []string
	logTail    []string
	log        string // path of the server log in the artifacts
}

func newFailure(row int, name, side string, c results.Cell) failure {
	return failure{row: row, name: name, side: side, err: c.Error,
		logExcerpt: c.LogExcerpt, logTail: c.LogTail, log: c.Log}
}

func newModel(r *results.Run) *model {
	m := &model{comparison: r.IsComparison(), rows: make([]row, len(r.Cells))}
	for i, c := range r.Cells {
		m.rows[i] = newRow(c, r.Threshold())
		m.endpoints = m.endpoints || c.Endpoint != ""
		m.addBursts(c)
		m.addDiagnostics(c)
		if c.Failed() {
			side := ""
			if m.comparison {
				side = "head"
			}
			m.failures = append(m.failures, newFailure(i, c.Name(), side, c))
		}
		if c.Base != nil && c.Base.Failed() {
			m.failures = append(m.failures, newFailure(i, c.Name(), "base", *c.Base))
		}
	}
	m.outcome = newOutcome(r, m.rows)
	return m
}

// newRow formats cell c; th is the run's threshold.
func newRow(c results.Cell, th float64) row {
	r := row{
		name:        c.Name(),
		endpoint:    c.Endpoint,
		workers:     c.Workers,
		threads:     c.Threads,
		slots:       c.Slots,
		head:        newMeasures(c),
		verdict:     c.Verdict,
		significant: c.Significant(),
		ratio:       c.Ratio,
		change:      change(c.Ratio),
		changeShort: changeShort(c.Ratio),
		interval:    interval(c.CILow, c.CIHigh),
		p:           pvalue(c.PValue),
	}
	if c.Base != nil {
		b := newMeasures(*c.Base)
		r.base = &b
	}
	switch {
	case c.Verdict == results.Unchanged && r.significant:
		r.within = percentFine(th)
	case c.Verdict == results.Inconclusive && c.MDE > 0:
		r.mde = percentFine(c.MDE)
	}
	return r
}

func newMeasures(c results.Cell) measures {
	if c.Failed() {
		return measures{failed: true, err: c.Error}
	}
	m := measures{
		throughput:   Num(c.ThroughputRPS),
		concurrency:  fixed2(c.Concurrency),
		concurrency1: strconv.FormatFloat(c.Concurrency, 'f', 1, 64),
		efficiency:   Percent(c.Efficiency),
		p50:          seconds(c.Latency.P50),
		p90:          seconds(c.Latency.P90),
		p99:          seconds(c.Latency.P99),
		max:          seconds(c.Latency.Max),
		pss:          bytesIEC(pss(c.Memory)),
		rss:          bytesIEC(c.Memory.RSSBytes),
		serverCPU:    seconds(c.ServerCPUPerRequestS),
		generatorCPU: seconds(c.GeneratorCPUPerRequestS),
		errors:       errorSummary(c),
		serviceTime:  seconds(c.ServiceTimeS),
		requests:     strconv.FormatInt(c.Requests, 10),
		bound:        c.Bound,
	}
	if c.Connections > 0 {
		m.connections = itoa(c.Connections)
	}
	if c.Memory.Processes > 0 {
		m.processes = itoa(c.Memory.Processes)
	}
	for i, t := range c.Trials {
		if i == 12 {
			m.trials = append(m.trials, "…")
			break
		}
		m.trials = append(m.trials, Num(t.ThroughputRPS))
	}
	return m
}

func (m *model) addBursts(c results.Cell) {
	for i, b := range c.Bursts {
		bu := burstRow{
			name: c.Name(), slots: c.Slots, failed: c.Failed(),
			size: b.Size, largest: b.LargestWave(), head: newWaveList(b),
		}
		if c.Base != nil {
			for _, bb := range c.Base.Bursts {
				if bb.Size == c.Bursts[i].Size {
					bu.base = newWaveList(bb)
				}
			}
		}
		m.bursts = append(m.bursts, bu)
	}
}

func newWaveList(b results.Burst) *waveList {
	const show = 12
	w := &waveList{waves: make([]string, 0, min(len(b.Waves), show)+1)}
	for i, n := range b.Waves {
		if i == show {
			w.waves = append(w.waves, fmt.Sprintf("… (%d waves)", len(b.Waves)))
			break
		}
		w.waves = append(w.waves, strconv.Itoa(n))
	}
	for _, r := range b.Requests {
		if r.Wave < 0 || r.Error != "" {
			w.failed++
		}
	}
	return w
}

func (m *model) addDiagnostics(c results.Cell) {
	for _, t := range c.Diagnostics {
		m.diagnostics = append(m.diagnostics, diagnostic{c.Name(), "", t})
	}
	if c.Base != nil {
		for _, t := range c.Base.Diagnostics {
			m.diagnostics = append(m.diagnostics, diagnostic{c.Name(), "base", t})
		}
	}
}

// cellFailed reports whether either side of c failed.
func cellFailed(c results.Cell) bool { return c.Failed() || c.Base != nil && c.Base.Failed() }
