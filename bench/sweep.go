package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/internal/load"
	"github.com/workerbench/workerbench/bench/internal/proctree"
	"github.com/workerbench/workerbench/bench/internal/stats"
	"github.com/workerbench/workerbench/bench/results"
)

// sweepConnections measures the cell again at doubling connection counts
// from its own, up to cfg.SweepMaxConnections and within cfg.SweepTime,
// each a closed loop with the configured warm-up and window. A closed loop
// with C connections never shows more than C requests at once, so when a
// cell's achieved concurrency reaches C (an event-loop server on a handler
// that waits) the generator was the limit, not the server. The sweep goes
// on until more connections stop paying: throughput gains less than
// results.SweepGain, the median latency passes results.SweepLatency × S0,
// or requests fail. It records the points, the peak useful concurrency and
// a fit of the Universal Scalability Law in c.Sweep; the cell's other
// figures stay those of its own connection count, which ab and the
// history compare.
func (m *meter) sweepConnections(ctx context.Context) error {
	c, cfg := m.cell, m.cfg
	d := cfg.Duration
	if d <= 0 {
		d = time.Second
	}
	m.progress("      %s: concurrency %.2f reached the %d connections of the closed loop: "+
		"the load generator was the limit; sweeping connections upward (at most %d, %s)",
		c.Name(), c.Concurrency, c.Connections, cfg.SweepMaxConnections, cfg.SweepTime)
	s := &results.Sweep{Points: []results.SweepPoint{{
		Connections: c.Connections, ThroughputRPS: c.ThroughputRPS,
		P50S: c.Latency.P50, P99S: c.Latency.P99, BusyCores: c.BusyCores,
		GeneratorCores: c.GeneratorCPUPerRequestS * c.ThroughputRPS,
	}}}
	start, peak := time.Now(), 0
	for n := 2 * c.Connections; ; n *= 2 {
		last := s.Points[len(s.Points)-1]
		if last.Connections >= cfg.SweepMaxConnections {
			s.Limited = results.LimitedConnections
			break
		}
		n = min(n, cfg.SweepMaxConnections)
		w, _, _ := windowFor(d, n, last.ThroughputRPS, c.ServiceTimeS, minCycles(cfg.Warmup))
		if time.Since(start)+cfg.Warmup+w > cfg.SweepTime {
			s.Limited = results.LimitedTime
			break
		}
		var cpu0, cpu1 proctree.Usage
		rep, err := load.Closed(ctx, m.target, load.Options{
			Connections: n, Warmup: cfg.Warmup, Duration: w,
			OnWindowStart: func() { cpu0, _ = proctree.Measure(m.pgid) },
			OnWindowEnd:   func() { cpu1, _ = proctree.Measure(m.pgid) },
		})
		if err != nil {
			return fmt.Errorf("%d connections: %w", n, err)
		}
		m.queued = max(m.queued, n)
		p := results.SweepPoint{
			Connections: n, ThroughputRPS: rep.Throughput(),
			P50S: rep.Quantile(0.5).Seconds(), P99S: rep.Quantile(0.99).Seconds(),
			Errors: rep.ErrorCount(),
		}
		if rep.Window > 0 {
			p.BusyCores = (cpu1.CPU - cpu0.CPU).Seconds() / rep.Window.Seconds()
			p.GeneratorCores = rep.GeneratorCPU.Seconds() / rep.Window.Seconds()
		}
		s.Points = append(s.Points, p)
		m.progress("      %s: sweep: %d connections: %.1f req/s (%+.0f%%), p50 %s, p99 %s, "+
			"%.2f busy cores%s", c.Name(), n, p.ThroughputRPS,
			100*(p.ThroughputRPS/last.ThroughputRPS-1), human.Seconds(p.P50S), human.Seconds(p.P99S),
			p.BusyCores, errorNote(rep))
		if p.Errors > 0 {
			s.Limited = results.LimitedErrors
			break
		}
		if p.ThroughputRPS < (1+results.SweepGain)*s.Points[peak].ThroughputRPS {
			s.Limited = results.LimitedThroughput
			break
		}
		peak = len(s.Points) - 1
		if p.P50S > results.SweepLatency*(c.ServiceTimeS+c.TransportStallS) {
			s.Limited = results.LimitedLatency
			break
		}
	}
	knee := s.Points[peak]
	s.PeakConnections = knee.Connections
	s.PeakThroughputRPS = knee.ThroughputRPS
	s.PeakConcurrency = knee.ThroughputRPS * c.ServiceTimeS
	s.USL = fitUSL(s.Points)
	c.Sweep = s
	c.Efficiency = 0
	m.progress("      %s: peak useful concurrency %.1f at %.1f req/s with %d connections "+
		"(sweep of %d points stopped: %s)%s",
		c.Name(), s.PeakConcurrency, s.PeakThroughputRPS, s.PeakConnections,
		len(s.Points), s.Limited, uslNote(s.USL))
	return nil
}

// errorNote is ", 3 errors (timeout: 3)" for a report with errors.
func errorNote(rep load.Report) string {
	if rep.ErrorCount() == 0 {
		return ""
	}
	return fmt.Sprintf(", %d errors (%s)", rep.ErrorCount(), describeErrors(rep.Errors))
}

// fitUSL fits the Universal Scalability Law to the sweep's throughput at
// each connection count (points with errors left out); nil when there are
// too few points or the fit fails.
func fitUSL(points []results.SweepPoint) *results.USL {
	var ns, xs []float64
	for _, p := range points {
		if p.Errors == 0 && p.ThroughputRPS > 0 {
			ns = append(ns, float64(p.Connections))
			xs = append(xs, p.ThroughputRPS)
		}
	}
	u, r2, err := stats.FitUSL(ns, xs)
	if err != nil {
		return nil
	}
	peak := u.PeakN() // +Inf (written 0) when κ is 0
	if peak > 1e9 {
		peak = 0
	}
	return &results.USL{Lambda: u.Lambda, Sigma: u.Sigma, Kappa: u.Kappa, R2: r2, PeakN: peak}
}

// uslNote is "; USL λ 9.9 req/s, σ 0.0012, κ 0, R² 0.998" for a fit.
func uslNote(u *results.USL) string {
	if u == nil {
		return ""
	}
	return fmt.Sprintf("; USL λ %.3g req/s, σ %.3g, κ %.3g, R² %.3f",
		u.Lambda, u.Sigma, u.Kappa, u.R2)
}
