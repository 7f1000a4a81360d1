package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/workerbench/workerbench/bench/human"
)

// Above this S0 a stall on kept-alive requests is looked for only when the
// responses' first bytes suggest one: measuring S0 again would cost too
// much for a slow handler.
const newConnMaxS0 = 100 * time.Millisecond

// newConnRequests is how many requests measure S0 with a new connection
// each: a fifth as many as S0's, at least 5 (10 for run's 50, 5 for ab's
// 5). The stall it looks for (uvicorn's ~44 ms) is far beyond what a
// median of 5 can mistake.
func newConnRequests(sequential int) int { return max(sequential/5, 5) }

// A transport stall counts when it is at least this long and this share
// of the kept-alive S0.
const (
	stallMin   = 2 * time.Millisecond
	stallShare = 0.1
)

// stalled reports whether a gap between a kept-alive time and the time it
// should have been (a first byte, a new connection's S0) is a stall.
func stalled(keptAlive, gap float64) bool {
	return gap >= stallMin.Seconds() && gap >= stallShare*keptAlive
}

// transportStall takes out of S0 the time kept-alive responses wait in the
// transport after the server has answered. uvicorn with two or more
// workers writes a response in two pieces without TCP_NODELAY: Nagle's
// algorithm holds the second until the first is acknowledged, and the
// client delays that ACK by ~40 ms. The server idles meanwhile, so counting
// it as service inflated K = X × S0 by 1.4×.
//
// The evidence: on kept-alive requests the first byte arrives on time and
// the last ~40 ms later (firstByte, the median time to the first byte, far
// below S0), and a new connection per request, which the client ACKs at
// once, is not delayed. S0 is then the new connections' median, and the
// difference is the stall. S0 is measured with new connections too when
// it is short (below newConnMaxS0), where that is cheap.
func (m *meter) transportStall(ctx context.Context, firstByte float64) error {
	c := m.cell
	keptAlive := c.ServiceTimeS
	if !m.target.KeepAlive ||
		keptAlive > newConnMaxS0.Seconds() && !stalled(keptAlive, keptAlive-firstByte) {
		return nil
	}
	t := m.target
	t.KeepAlive = false
	ts, _, err := sequential(ctx, t, newConnRequests(m.cfg.Sequential))
	if err != nil {
		return fmt.Errorf("service time with a new connection per request: %w", err)
	}
	c.ServiceTimeNewConnS = medianTotal(ts)
	if stalled(keptAlive, keptAlive-c.ServiceTimeNewConnS) {
		c.ServiceTimeS = c.ServiceTimeNewConnS
		c.TransportStallS = keptAlive - c.ServiceTimeNewConnS
		m.progress("      %s: kept-alive responses wait %s in the transport after the server "+
			"has answered: S0 is %s (new connections; first byte %s)", c.Name(),
			human.Seconds(c.TransportStallS), human.Seconds(c.ServiceTimeS), human.Seconds(firstByte))
	}
	return nil
}

// keepAliveOff runs one more trial with a new connection per request when
// kept-alive responses stalled, so the diagnostic can show what the same
// cell serves without keep-alive.
func (m *meter) keepAliveOff(ctx context.Context) error {
	c := m.cell
	if c.TransportStallS == 0 || len(c.Trials) == 0 {
		return nil
	}
	// A meter of its own, into a scratch cell, so that the cell's figures
	// stay those of the trials asked for.
	off := *m
	off.target.KeepAlive = false
	scratch := *c
	scratch.Trials = nil
	off.cell, off.latency, off.errors = &scratch, nil, nil
	off.progress = func(string, ...any) {}
	_, err := off.trial(ctx)
	m.spent = off.spent
	if err != nil {
		return fmt.Errorf("trial with a new connection per request: %w", err)
	}
	t := scratch.Trials[0]
	c.KeepAliveOff = &t
	m.progress("      %s: %.1f req/s without keep-alive", c.Name(), t.ThroughputRPS)
	return nil
}
