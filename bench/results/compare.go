package results

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

// ComparePaired compares head against base from paired trials:
// head.Trials[i] was measured interleaved with base.Trials[i] on the same
// machine. It returns a copy of head with Base set to a copy of base and the
// comparison fields filled (see bench/internal/stats for the decision rule).
// threshold is a fraction; 0 means stats.DefaultThreshold. seed drives the
// bootstrap when one is used; the default rank-based decision uses no
// randomness. Caveats go to the returned cell's Diagnostics, prefixed
// "compare:".
func ComparePaired(base, head Cell, threshold float64, seed uint64) Cell {
	return compareCells(base, head, true, func(base, head Cell) (stats.Decision, string) {
		var note string
		if len(base.Trials) != len(head.Trials) {
			note = fmt.Sprintf(
				"compare: base has %d trials and head %d; only the first %d are paired",
				len(base.Trials),
				len(head.Trials),
				min(len(base.Trials), len(head.Trials)),
			)
		}
		pairs := make([]stats.Pair, min(len(base.Trials), len(head.Trials)))
		for i := range pairs {
			pairs[i] = stats.Pair{
				Base: base.Trials[i].ThroughputRPS,
				Head: head.Trials[i].ThroughputRPS,
			}
		}
		return stats.DecidePaired(pairs, thresholdOr(threshold), stats.WithSeed(seed)), note
	})
}

// Compare compares two results files measured separately (unpaired): cells
// are matched by Name() and each matched pair is decided from its trials'
// throughput with the Mann-Whitney U test. It returns head's results with
// only the matched cells, each with Base set, plus the overall verdict, and
// warnings for cells found on one side only, for a differing host (CPUs, OS,
// architecture, hostname, CPU model) or differing settings (duration,
// warm-up, connections, keep-alive, command). threshold is a fraction; 0
// means stats.DefaultThreshold. It is an error when either side is missing,
// the threshold is not in [0, 1), or no cell is on both sides.
func Compare(base, head *Run, threshold float64) (*Run, error) {
	if base == nil || head == nil {
		return nil, errors.New("compare: missing base or head results")
	}
	if !(threshold >= 0 && threshold < 1) {
		return nil, fmt.Errorf("compare: threshold %v is not a fraction in [0, 1)", threshold)
	}
	threshold = thresholdOr(threshold)

	out := *head
	out.Cells = nil
	out.RunComparison = RunComparison{
		BaseCommand: base.Command,
		BaseDir:     base.Dir,
		Warnings:    slices.Clone(head.Warnings),
	}

	baseIdx := map[string]int{}
	for i, c := range base.Cells {
		if _, dup := baseIdx[c.Name()]; dup {
			out.Warnings = append(
				out.Warnings,
				fmt.Sprintf("cell %s appears twice in base; the first is used", c.Name()),
			)
			continue
		}
		baseIdx[c.Name()] = i
	}
	seen := map[string]bool{}
	for _, h := range head.Cells {
		name := h.Name()
		if seen[name] {
			out.Warnings = append(
				out.Warnings,
				fmt.Sprintf("cell %s appears twice in head; the first is used", name),
			)
			continue
		}
		seen[name] = true
		i, ok := baseIdx[name]
		if !ok {
			out.Warnings = append(
				out.Warnings,
				fmt.Sprintf("cell %s is only in head; not compared", name),
			)
			continue
		}
		out.Cells = append(out.Cells, compareUnpaired(base.Cells[i], h, threshold))
	}
	for _, b := range base.Cells {
		if name := b.Name(); !seen[name] {
			seen[name] = true
			out.Warnings = append(
				out.Warnings,
				fmt.Sprintf("cell %s is only in base; not compared", name),
			)
		}
	}
	if len(out.Cells) == 0 {
		return nil, fmt.Errorf(
			"compare: no cells in common (base has %d, head %d)",
			len(base.Cells),
			len(head.Cells),
		)
	}
	out.Warnings = append(out.Warnings, setupWarnings(base, head)...)
	if base.Interrupted {
		out.Warnings = append(out.Warnings, "base run was interrupted")
	}
	out.Warnings = append(
		out.Warnings,
		"base and head were measured separately (unpaired): noise between runs "+
			"is not in the intervals, so they are too narrow; prefer `workerbench ab`, which interleaves them",
	)
	v, o := Combine(out.Cells, threshold)
	out.Verdict, out.Overall = v, &o
	return &out, nil
}

// Combine combines the compared cells' verdicts (cells without a
// Verdict are ignored). To keep the chance of any false alarm across the
// matrix at stats.DefaultAlpha, it applies Holm's correction to the cells'
// p-values: the result is regressed when some regressed cell survives it,
// improved when no cell regressed and some improved cell survives it,
// unchanged when every cell is unchanged, and inconclusive otherwise (a
// regressed cell that does not survive the correction makes the whole
// inconclusive, never unchanged). o carries the geometric mean of the cells'
// ratios with an interval combined from theirs; it summarises and does not
// gate, because averaging would hide a regression confined to one cell.
func Combine(cells []Cell, threshold float64) (verdict Verdict, o Overall) {
	alpha := stats.DefaultAlpha
	o = Overall{Threshold: thresholdOr(threshold)}
	var compared []Cell
	for _, c := range cells {
		if c.Verdict != "" {
			compared = append(compared, c)
		}
	}
	if len(compared) == 0 {
		o.Method = "no compared cells"
		return Inconclusive, o
	}
	ps := make([]float64, len(compared))
	var ivs []stats.Interval
	for i, c := range compared {
		ps[i] = c.PValue
		if !(c.Ratio > 0) || c.Failed() {
			ps[i] = 1 // not compared: no evidence
			continue
		}
		ivs = append(
			ivs,
			stats.Interval{Center: c.Ratio, Lo: c.CILow, Hi: c.CIHigh, Confidence: 1 - alpha},
		)
	}
	adj := stats.Holm(ps)
	var regressed, anyRegressed, improved bool
	unchanged := true
	for i, c := range compared {
		switch c.Verdict {
		case Regressed:
			anyRegressed = true
			regressed = regressed || adj[i] <= alpha
		case Improved:
			improved = improved || adj[i] <= alpha
		}
		unchanged = unchanged && c.Verdict == Unchanged
	}
	if gm := stats.GeoMeanCI(ivs); !math.IsNaN(gm.Center) {
		o.Ratio, o.CILow, o.CIHigh = gm.Center, gm.Lo, gm.Hi
	}
	o.Method = fmt.Sprintf(
		"verdict: Holm over %d cells' p-values at alpha %g; ratio: geometric mean of %d cells' ratios, interval combined from theirs",
		len(compared),
		alpha,
		len(ivs),
	)
	switch {
	case regressed:
		return Regressed, o
	case anyRegressed:
		return Inconclusive, o
	case improved:
		return Improved, o
	case unchanged:
		return Unchanged, o
	}
	return Inconclusive, o
}

// compareCells returns a copy of head compared with base: Base set to a
// copy of base, the rest of the Comparison from decide, which also returns
// a caveat for the diagnostics ("" for none); Pairs only when paired. When either side failed the
// cell is inconclusive and decide is not called.
func compareCells(
	base, head Cell,
	paired bool,
	decide func(base, head Cell) (stats.Decision, string),
) Cell {
	b := base
	b.Comparison = Comparison{}
	out := head
	out.Comparison = Comparison{Base: &b}
	out.Diagnostics = slices.Clone(head.Diagnostics)
	failed := false
	for _, side := range []struct {
		name string
		c    Cell
	}{{"base", base}, {"head", head}} {
		if side.c.Failed() {
			out.Diagnostics = append(
				out.Diagnostics,
				fmt.Sprintf("compare: %s failed: %s", side.name, side.c.Error),
			)
			failed = true
		}
	}
	if failed {
		out.Verdict, out.Method = Inconclusive, "not compared: a side failed"
		return out
	}
	d, note := decide(base, head)
	if note != "" {
		out.Diagnostics = append(out.Diagnostics, note)
	}
	out.Ratio, out.CILow, out.CIHigh, out.PValue = d.Ratio, d.Low, d.High, d.P
	out.Verdict, out.Method = d.Verdict, d.Method
	if paired {
		out.Pairs = d.N
	}
	if d.Verdict == Inconclusive {
		out.MDE = d.MDE
	}
	for _, w := range d.Warnings {
		out.Diagnostics = append(out.Diagnostics, "compare: "+w)
	}
	out.ConcurrencyRatio = ratioOfMedians(
		trialValues(out.Trials, func(t Trial) float64 { return t.Concurrency }, out.Concurrency),
		trialValues(b.Trials, func(t Trial) float64 { return t.Concurrency }, b.Concurrency))
	out.P99Ratio = ratioOfMedians(
		trialValues(out.Trials, func(t Trial) float64 { return t.P99S }, out.Latency.P99),
		trialValues(b.Trials, func(t Trial) float64 { return t.P99S }, b.Latency.P99))
	return out
}

// trialValues returns the positive, finite values of f over trials, or
// the cell-level fallback when there are none.
func trialValues(trials []Trial, f func(Trial) float64, fallback float64) []float64 {
	var xs []float64
	for _, t := range trials {
		if v := f(t); v > 0 && !math.IsInf(v, 1) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 && fallback > 0 && !math.IsInf(fallback, 1) {
		xs = append(xs, fallback)
	}
	return xs
}

// ratioOfMedians is median(head)/median(base), 0 when either is missing.
func ratioOfMedians(head, base []float64) float64 {
	if len(head) == 0 || len(base) == 0 {
		return 0
	}
	r := stats.Median(head) / stats.Median(base)
	if !Finite(r) {
		return 0
	}
	return r
}

// compareUnpaired compares two cells measured in separate runs, from the
// throughput of their trials.
func compareUnpaired(base, head Cell, threshold float64) Cell {
	return compareCells(base, head, false, func(base, head Cell) (stats.Decision, string) {
		values := func(c Cell) []float64 {
			xs := make([]float64, len(c.Trials))
			for i, t := range c.Trials {
				xs[i] = t.ThroughputRPS
			}
			if len(xs) == 0 && c.ThroughputRPS > 0 {
				xs = append(xs, c.ThroughputRPS) // a file without trials: one value
			}
			return xs
		}
		return stats.DecideUnpaired(values(base), values(head), threshold), ""
	})
}

// setupWarnings names differences in host and settings between runs.
func setupWarnings(base, head *Run) []string {
	var w []string
	differ := func(what string, b, h any) {
		if b != h {
			w = append(w, fmt.Sprintf("%s differs: base %v, head %v", what, b, h))
		}
	}
	differStr := func(what, b, h string) {
		if b != "" && h != "" {
			differ(what, fmt.Sprintf("%q", b), fmt.Sprintf("%q", h))
		}
	}
	bh, hh := base.Host, head.Host
	if bh.CPUs > 0 && hh.CPUs > 0 {
		differ("host CPUs", bh.CPUs, hh.CPUs)
	}
	differStr("host OS", bh.OS, hh.OS)
	differStr("host architecture", bh.Arch, hh.Arch)
	differStr("hostname", bh.Hostname, hh.Hostname)
	differStr("host CPU model", bh.CPUModel, hh.CPUModel)
	bs, hs := base.Settings, head.Settings
	differ("duration (s)", bs.DurationS, hs.DurationS)
	differ("warm-up (s)", bs.WarmupS, hs.WarmupS)
	differ("connections", bs.Connections, hs.Connections)
	differ("keep-alive", bs.KeepAlive, hs.KeepAlive)
	differStr("command", base.Command, head.Command)
	return w
}

// thresholdOr is t, or stats.DefaultThreshold for 0.
func thresholdOr(t float64) float64 {
	if t == 0 {
		return stats.DefaultThreshold
	}
	return t
}
