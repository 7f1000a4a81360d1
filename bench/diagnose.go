package bench

import (
	"fmt"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// greedyAccept explains the commonest shortfall of threaded workers.
const greedyAccept = "threaded workers that accept more connections than they have threads (gunicorn gthread's --worker-connections, default 1000) queue requests behind busy threads while other workers idle; try --worker-connections equal to --threads"

// diagnose adds plain-language notes on what the figures of a measured
// cell mean, on a machine with cpus cores. It is a pure function of the
// cell's figures.
func diagnose(c *results.Cell, cpus int) {
	add := func(format string, a ...any) { c.Diagnostics = append(c.Diagnostics, fmt.Sprintf(format, a...)) }
	if c.Connections < c.Slots {
		add(
			"only %d connections for %d slots: achieved concurrency cannot exceed %d",
			c.Connections,
			c.Slots,
			c.Connections,
		)
	}
	if c.Bound == "cpu" {
		add(
			"CPU-bound handler (%.0f%% of the service time is server CPU): throughput is limited by cores (%d here), and Python threads add none because of the GIL",
			100*c.CPUBoundness,
			cpus,
		)
	} else if c.Efficiency > 0 && c.Efficiency < 0.9 && c.Connections >= c.Slots {
		// Efficiency is 0 (left out) where no slots bound the server.
		hint := ""
		if c.Workers > 1 && c.Threads > 1 {
			hint = ": " + greedyAccept
		}
		add("achieved %.1f of %d configured slots (%.0f%%)%s", c.Concurrency, c.Slots, 100*c.Efficiency, hint)
	}
	if s := c.Sweep; s != nil {
		add("concurrency %.2f reached the %d connections of the closed loop: the load generator, "+
			"not the server, was the limit (no slots bound it, as in an event loop); "+
			"swept %d → %d connections: peak useful concurrency %.1f at %.1f req/s (%s)",
			c.Concurrency,
			c.Connections, c.Connections, s.Points[len(s.Points)-1].Connections,
			s.PeakConcurrency, s.PeakThroughputRPS, s.Why())
		if k, ok := s.Knee(); ok && k.GeneratorCores > k.BusyCores &&
			k.GeneratorCores+k.BusyCores > 0.75*float64(cpus) {
			add("at the peak the load generator kept %.2f cores busy and the server %.2f, of %d: "+
				"the machine's cores, not the server, may have set the peak", k.GeneratorCores,
				k.BusyCores, cpus)
		}
	} else if c.LimitedByConnections() {
		add("concurrency %.2f reached the %d connections of the closed loop: the load generator, "+
			"not the server, was the limit (no slots bound it, as in an event loop); throughput "+
			"was measured at this connection count (run sweeps it upward to find the peak)",
			c.Concurrency, c.Connections)
	}
	if c.Errors > 0 {
		add("%d errors (%s)", c.Errors, describeErrors(c.ErrorKinds))
	}
	for _, b := range c.Bursts {
		if len(b.Waves) > 0 && b.Size >= c.Slots && b.Waves[0] < c.Slots && c.Bound == "io" {
			hint := ""
			if c.Workers > 1 && c.Threads > 1 {
				hint = ": " + greedyAccept
			}
			add(
				"burst %d: first wave served %d requests at once, not %d%s",
				b.Size,
				b.Waves[0],
				c.Slots,
				hint,
			)
		}
		if w := b.LargestWave(); w > c.PeakInFlight {
			c.PeakInFlight = w
		}
	}
	// At low request rates the generator's fixed costs (timers, sampling)
	// dominate its per-request figure; only warn when it really takes a
	// tenth of a core or more.
	if genCores := c.GeneratorCPUPerRequestS * c.ThroughputRPS; genCores > 0.1 &&
		c.GeneratorCPUPerRequestS > c.ServerCPUPerRequestS {
		add(
			"the load generator used more CPU per request (%s, %.0f%% of a core) than the server (%s): on a small runner it competes with the server for cores",
			fmtSeconds(c.GeneratorCPUPerRequestS),
			100*genCores,
			fmtSeconds(c.ServerCPUPerRequestS),
		)
	}
}

func describeErrors(m map[string]int64) string {
	if len(m) == 0 {
		return "no errors recorded"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func fmtSeconds(s float64) string {
	switch {
	case s >= 1:
		return fmt.Sprintf("%.2fs", s)
	case s >= 0.001:
		return fmt.Sprintf("%.1fms", s*1e3)
	default:
		return fmt.Sprintf("%.0fµs", s*1e6)
	}
}
