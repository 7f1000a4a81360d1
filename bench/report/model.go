package report

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/human"
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
	sweeps      []sweepRow
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
	// slotted: efficiency against the slots applies (results.SlotsApply);
	// otherwise head's and base's efficiency are "".
	slotted bool
	// deployed: the cell is the configuration the project deploys
	// (results.Run.Deployed).
	deployed bool

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

	// A swept cell's throughput, concurrency, p50 and p99 are those of its
	// sweep's peak (swept is true); efficiency is "" where no slots apply.
	throughput, concurrency, efficiency string // "44.7", "8.98", "99%"
	concurrency1                        string // to one decimal, for a sentence: "9.0"
	swept                               bool
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

// sweepRow is the connection sweep of a cell (results.Sweep).
type sweepRow struct {
	name        string // the cell's: untrusted
	from, to    string // the fewest and most connections: "8", "1024"
	points      int
	connections []string // per point: "8"
	throughput  []string // per point: "153"
	peak        string   // peak useful concurrency: "412"
	peakX       string   // throughput there: "2060"
	peakConns   string   // connections there: "512"
	p50, p99    string   // latency there: "101 ms"
	why         string   // why the sweep stopped (results.Sweep.Why)
	usl         string   // the fit: "λ 9.9 req/s, σ 0.0012, κ 0, R² 0.998"; "" without one
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

// diagnostic is a caveat the engine recorded on a cell, or on the run as
// a whole (cell ""), each once: a note that base and head both have is one
// diagnostic on side "base and head".
type diagnostic struct {
	cell, side, text string // side: "", "base" or "base and head"; cell and text untrusted
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
	notStarted bool   // the server never answered (results.Cell.NotStarted)
	reason     string // the server's own error line (serverError); "" when none
}

func newFailure(row int, name, side string, c results.Cell) failure {
	return failure{row: row, name: name, side: side, err: trimSide(c.Error, side),
		logExcerpt: c.LogExcerpt, logTail: c.LogTail, log: c.Log,
		notStarted: c.NotStarted, reason: serverError(c, side)}
}

func newModel(r *results.Run) *model {
	m := &model{comparison: r.IsComparison(), rows: make([]row, len(r.Cells))}
	for i, c := range r.Cells {
		m.rows[i] = newRow(r, c)
		m.endpoints = m.endpoints || c.Endpoint != ""
		if c.Sweep != nil && !c.Failed() {
			m.sweeps = append(m.sweeps, newSweepRow(c))
		}
		m.addBursts(c)
		m.addDiagnostics(c)
		if c.Failed() {
			side := ""
			if m.comparison {
				side = failedSide(c)
			}
			m.failures = append(m.failures, newFailure(i, c.Name(), side, c))
		}
		if c.Base != nil && c.Base.Failed() {
			m.failures = append(m.failures, newFailure(i, c.Name(), "base", *c.Base))
		}
	}
	// Notes on the run as a whole come first, once each.
	m.diagnostics = append(sideNotes("", r.Diagnostics, r.BaseDiagnostics), m.diagnostics...)
	m.outcome = newOutcome(r, m.rows)
	m.outcome.down = newSideDown(r, m.failures)
	return m
}

// newRow formats cell c of run.
func newRow(run *results.Run, c results.Cell) row {
	th := run.Threshold()
	slotted := run.Slotted(c) && (c.Base == nil || run.Slotted(*c.Base))
	r := row{
		name:        c.Name(),
		endpoint:    c.Endpoint,
		workers:     c.Workers,
		threads:     c.Threads,
		slots:       c.Slots,
		slotted:     slotted,
		deployed:    run.Deployed.Is(c),
		head:        newMeasures(c, slotted),
		verdict:     c.Verdict,
		significant: c.Significant(),
		ratio:       c.Ratio,
		change:      change(c.Ratio),
		changeShort: changeShort(c.Ratio),
		interval:    interval(c.CILow, c.CIHigh),
		p:           pvalue(c.PValue),
	}
	if c.Base != nil {
		b := newMeasures(*c.Base, slotted)
		r.base = &b
	}
	if run.IsComparison() && c.Failed() {
		side := failedSide(c)
		f := measures{failed: true, err: trimSide(c.Error, side)}
		if side == "base" && c.Base == nil {
			// Base failed before head was measured: the failure is base's.
			r.head, r.base = measures{}, &f
		} else {
			r.head = f
		}
	}
	switch {
	case c.Verdict == results.Unchanged && r.significant:
		r.within = percentFine(th)
	case c.Verdict == results.Inconclusive && c.MDE > 0:
		r.mde = percentFine(c.MDE)
	}
	return r
}

// slotsText is the slots column: the configured workers × threads, or none
// where slots do not apply (an event loop, a swept cell), which the
// efficiency column leaves out too.
func (r row) slotsText(none string) string {
	if !r.slotted && !r.head.failed {
		return none
	}
	return itoa(r.slots)
}

// newMeasures formats the figures of c; slotted says whether efficiency
// applies.
func newMeasures(c results.Cell, slotted bool) measures {
	if c.Failed() {
		return measures{failed: true, err: c.Error}
	}
	m := measures{
		throughput:   human.Num(c.ThroughputRPS),
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
	if !slotted {
		m.efficiency = ""
	}
	if s := c.Sweep; s != nil {
		// The server's figures are its sweep's peak; Measurements keeps
		// the trials at the cell's own connection count.
		m.swept = true
		m.throughput = human.Num(s.PeakThroughputRPS)
		m.concurrency = atLeast(*s) + human.Num(s.PeakConcurrency)
		m.concurrency1 = m.concurrency
		if k, ok := s.Knee(); ok {
			m.p50, m.p99 = seconds(k.P50S), seconds(k.P99S)
		}
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
		m.trials = append(m.trials, human.Num(t.ThroughputRPS))
	}
	return m
}

func newSweepRow(c results.Cell) sweepRow {
	s := c.Sweep
	r := sweepRow{
		name:      c.Name(),
		points:    len(s.Points),
		peak:      atLeast(*s) + human.Num(s.PeakConcurrency),
		peakX:     human.Num(s.PeakThroughputRPS),
		peakConns: itoa(s.PeakConnections),
		why:       s.Why(),
	}
	for _, p := range s.Points {
		r.connections = append(r.connections, itoa(p.Connections))
		r.throughput = append(r.throughput, human.Num(p.ThroughputRPS))
	}
	if n := len(s.Points); n > 0 {
		r.from, r.to = itoa(s.Points[0].Connections), itoa(s.Points[n-1].Connections)
	}
	if k, ok := s.Knee(); ok {
		r.p50, r.p99 = seconds(k.P50S), seconds(k.P99S)
	}
	if u := s.USL; u != nil && u.Usable() {
		peak := "none (κ = 0)"
		if u.PeakN > 0 {
			peak = human.Num(u.PeakN) + " connections"
		}
		r.usl = "λ " + human.Num(u.Lambda) + " req/s, σ " + sig(u.Sigma) + ", κ " + sig(u.Kappa) +
			", peak at " + peak + ", R² " + strconv.FormatFloat(u.R2, 'f', 3, 64)
	}
	return r
}

// atLeast is "≥ " for a sweep whose peak may be higher than it found.
func atLeast(s results.Sweep) string {
	if s.Unfinished() {
		return "≥ "
	}
	return ""
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
	var base []string
	if c.Base != nil {
		base = c.Base.Diagnostics
	}
	m.diagnostics = append(m.diagnostics, sideNotes(c.Name(), c.Diagnostics, base)...)
}

// sideNotes are the notes of one cell (or of the run, name ""), head's
// then base's, each once: a note both sides have is marked for both.
func sideNotes(name string, head, base []string) []diagnostic {
	var out []diagnostic
	for i, t := range head {
		if slices.Contains(head[:i], t) {
			continue
		}
		side := ""
		if slices.Contains(base, t) {
			side = "base and head"
		}
		out = append(out, diagnostic{name, side, t})
	}
	for i, t := range base {
		if !slices.Contains(head, t) && !slices.Contains(base[:i], t) {
			out = append(out, diagnostic{name, "base", t})
		}
	}
	return out
}

// cellFailed reports whether either side of c failed.
func cellFailed(c results.Cell) bool { return c.Failed() || c.Base != nil && c.Base.Failed() }
