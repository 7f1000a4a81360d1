package results

import (
	"fmt"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

// ModelEventLoop is Run.Model for a server whose workers each run an event
// loop (profile.EventLoop): a request that waits holds no slot.
const ModelEventLoop = "event-loop"

// ConnectionShare is how close to the connection count a cell's achieved
// concurrency must come for the connections, not the server, to have been
// the limit: a closed loop with C connections can never show more than C,
// and shows a little less when requests queue briefly for an event loop's
// CPU (2 ms of it per 50 ms request gave 0.85 C with 8 connections). A
// slot server under the default 3 × slots connections stays below C ÷ 3.
const ConnectionShare = 0.75

// slotMargin is how far above its slots a cell's concurrency must go to
// show that slots do not bound it: a slot server never exceeds them by
// more than the estimate's noise.
const slotMargin = 1.1

// LimitedByConnections reports whether the closed loop's connections, not
// the server, limited the cell's achieved concurrency: it reached the
// connection count (ConnectionShare of it) and went beyond the configured
// slots, which only a server without slots (an event loop) does. Such a
// cell is what run sweeps. A connection whose responses stall in the
// transport (TransportStallS) is in service only S0 of each S0 + stall, so
// the count it is held against shrinks by as much.
func (c Cell) LimitedByConnections() bool {
	conns := float64(c.Connections)
	if c.TransportStallS > 0 && c.ServiceTimeS > 0 {
		conns *= c.ServiceTimeS / (c.ServiceTimeS + c.TransportStallS)
	}
	return c.Connections > 0 && !c.Failed() &&
		c.Concurrency >= ConnectionShare*conns &&
		c.Concurrency > slotMargin*float64(c.Slots)
}

// SlotsApply reports whether cell c, of a server of model (Run.Model), has
// slots that its achieved concurrency is measured against, so that
// efficiency = concurrency ÷ (workers × threads) means something: not on an
// event-loop server, not for a swept cell, not when the connections were
// the limit. Where it is false, efficiency is left out (0) and reports show
// the peak useful concurrency instead.
func SlotsApply(model string, c Cell) bool {
	return model != ModelEventLoop && c.Sweep == nil && !c.LimitedByConnections()
}

// Slotted is SlotsApply for a cell of this run.
func (r *Run) Slotted(c Cell) bool { return SlotsApply(r.Model, c) }

// PeakThroughput is the throughput that says what the cell's server can
// do: the sweep's peak for a swept cell, else the closed loop's.
func (c Cell) PeakThroughput() float64 {
	if c.Sweep != nil && c.Sweep.PeakThroughputRPS > 0 {
		return c.Sweep.PeakThroughputRPS
	}
	return c.ThroughputRPS
}

// PeakConcurrency is the achieved concurrency that says what the cell's
// server can do: the sweep's peak useful concurrency for a swept cell, else
// the closed loop's.
func (c Cell) PeakConcurrency() float64 {
	if c.Sweep != nil && c.Sweep.PeakConcurrency > 0 {
		return c.Sweep.PeakConcurrency
	}
	return c.Concurrency
}

// Knee is the sweep's point at the peak useful concurrency; ok is false
// when the sweep does not name one of its points.
func (s Sweep) Knee() (p SweepPoint, ok bool) {
	for _, p := range s.Points {
		if p.Connections == s.PeakConnections {
			return p, true
		}
	}
	return SweepPoint{}, false
}

// At is the law's throughput at n connections.
func (u USL) At(n float64) float64 {
	return stats.USL{Lambda: u.Lambda, Sigma: u.Sigma, Kappa: u.Kappa}.At(n)
}

// Usable reports whether the fit can be drawn and quoted: finite, positive λ,
// non-negative σ and κ.
func (u USL) Usable() bool {
	for _, v := range []float64{u.Lambda, u.Sigma, u.Kappa, u.R2, u.PeakN} {
		if !Finite(v) {
			return false
		}
	}
	return u.Lambda > 0 && u.Sigma >= 0 && u.Kappa >= 0
}

// What ends a sweep (package bench sweeps; the reports word Limited).
const (
	// SweepGain is the least throughput gain over the best point so far
	// that makes a point the new peak; a doubling of the connections that
	// adds less is not useful, and ends the sweep.
	SweepGain = 0.05
	// SweepLatency ends a sweep when the median latency exceeds this many
	// times the unloaded service time: three quarters of a request's time
	// is then spent waiting, and more connections only wait longer.
	SweepLatency = 4
)

// The reasons a sweep stops (Sweep.Limited).
const (
	LimitedThroughput  = "throughput"
	LimitedLatency     = "latency"
	LimitedConnections = "connections"
	LimitedTime        = "time"
	LimitedErrors      = "errors"
)

// Unfinished reports whether the sweep stopped before more connections
// stopped paying (at its connection or time limit), so that the peak may
// be higher than the one it found.
func (s Sweep) Unfinished() bool {
	return s.Limited == LimitedConnections || s.Limited == LimitedTime
}

// Why says in words why the sweep stopped, and whether the peak may lie
// beyond the points measured.
func (s Sweep) Why() string {
	switch s.Limited {
	case LimitedThroughput:
		return fmt.Sprintf("more connections added less than %.0f%% throughput", 100*SweepGain)
	case LimitedLatency:
		return fmt.Sprintf("the median latency passed %d × the service time", SweepLatency)
	case LimitedConnections:
		return "the most connections allowed (--sweep-max-connections); the peak may be higher"
	case LimitedTime:
		return "the sweep's time ran out (--sweep-time); the peak may be higher"
	case LimitedErrors:
		return "requests failed with more connections"
	}
	return "stopped: " + s.Limited
}
