package bench

import (
	"context"
	"fmt"
	"time"
)

// Above this S0 a fixed delay on kept-alive requests hardly shows, and
// measuring S0 again would cost too much.
const newConnMaxS0 = 100 * time.Millisecond

// newConnRequests is how many requests measure S0 with a new connection
// each, when S0 itself takes sequential requests: a fifth as many, at
// least 5 (10 for run's 50, 5 for ab's 10). The delay it looks for
// (uvicorn's ~44 ms) is far beyond what a median of 5 can mistake.
func newConnRequests(sequential int) int { return max(sequential/5, 5) }

// serviceTimeNewConn measures S0 again with a new connection per request,
// when requests are kept alive and S0 is short. uvicorn with two or more
// workers answers a request on a kept-alive connection ~44 ms late, which
// is neither CPU nor waiting for a slot: comparing the two S0s shows it.
func (m *meter) serviceTimeNewConn(ctx context.Context) error {
	c := m.cell
	if !m.target.KeepAlive || c.ServiceTimeS > newConnMaxS0.Seconds() {
		return nil
	}
	t := m.target
	t.KeepAlive = false
	lat, _, err := sequential(ctx, t, newConnRequests(m.cfg.Sequential))
	if err != nil {
		return fmt.Errorf("service time with a new connection per request: %w", err)
	}
	c.ServiceTimeNewConnS = medianSeconds(lat)
	return nil
}

// keepAliveDelayed reports whether kept-alive requests took clearly longer
// than requests on a new connection each: at least 5 ms and 40% longer.
func keepAliveDelayed(s0, newConn float64) bool {
	return newConn > 0 && s0-newConn >= 0.005 && newConn < 0.7*s0
}

// keepAliveOff runs one more trial with a new connection per request when
// kept-alive requests were delayed, so the diagnostic can show what the
// same cell serves without keep-alive.
func (m *meter) keepAliveOff(ctx context.Context) error {
	c := m.cell
	if !keepAliveDelayed(c.ServiceTimeS, c.ServiceTimeNewConnS) || len(c.Trials) == 0 {
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
	m.progress("      %s: kept-alive requests wait %s that new connections do not: %.1f req/s without keep-alive",
		c.Name(), fmtSeconds(c.ServiceTimeS-c.ServiceTimeNewConnS), t.ThroughputRPS)
	return nil
}
