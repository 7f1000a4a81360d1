package stats

import (
	"fmt"
	"math"
	"slices"
)

// Verdict is the outcome of a comparison: of a Decision, of a compared
// cell and of a whole comparison (results.json's "verdict").
type Verdict string

// The verdicts, as results.json spells them.
const (
	Regressed    Verdict = "regressed"
	Improved     Verdict = "improved"
	Unchanged    Verdict = "unchanged"
	Inconclusive Verdict = "inconclusive"
)

const (
	// DefaultThreshold is the practical threshold: a change smaller than
	// 5% is not worth failing a pull request over.
	DefaultThreshold = 0.05
	// DefaultAlpha is the significance level of a verdict; intervals are
	// at confidence 1 − DefaultAlpha (99%).
	DefaultAlpha = 0.01
	// MDEPower is the power at which the minimum detectable effect is
	// stated.
	MDEPower = 0.8
	// MaxRatio bounds reported ratios to [1/MaxRatio, MaxRatio]. A trial
	// with zero throughput against a positive one counts as a change of
	// MaxRatio: more extreme than any real measurement, so rank statistics
	// treat it as the infinite change it is, while the ratio and its
	// interval stay finite (JSON has no ∞).
	MaxRatio = 1000
)

// Pair is one interleaved pair of trials: the throughput of base and of
// head measured back to back on the same machine.
type Pair struct{ Base, Head float64 }

// Decision is the verdict of a comparison of head against base with the
// numbers behind it. All its numbers are finite.
type Decision struct {
	// Ratio estimates head/base throughput; [Low, High] is its interval at
	// confidence Confidence. They are 0 when there was no usable data.
	Ratio, Low, High float64
	Confidence       float64
	// P is the two-sided p-value of "head and base do not differ".
	P float64
	// MDE is the drop (fraction of base) that these observations, at the
	// noise they show, would detect with probability MDEPower; 1 when
	// there are too few of them to detect anything.
	MDE     float64
	Verdict Verdict
	Method  string
	// N is the number of pairs used (DecidePaired) or the size of the
	// smaller sample (DecideUnpaired).
	N int
	// Warnings are caveats to show with the verdict, not failures.
	Warnings []string
}

// Decided reports whether the verdict is anything but inconclusive: a
// caller adding pairs adaptively stops once Decided, or once its budget is
// spent. A change (regressed or improved) should be confirmed before it is
// acted on; Sequential does both.
func (d Decision) Decided() bool { return d.Verdict != Inconclusive && d.Verdict != "" }

// Changed reports whether the verdict is regressed or improved.
func (d Decision) Changed() bool { return d.Verdict == Regressed || d.Verdict == Improved }

// Option changes how DecidePaired and DecideUnpaired decide.
type Option func(*config)

type config struct {
	alpha     float64
	resamples int // 0: rank-based interval; > 0: bootstrap
	seed      uint64
}

// WithAlpha sets the significance level (default DefaultAlpha); intervals
// are at confidence 1 − alpha. Values outside (0, 0.5] are ignored.
func WithAlpha(alpha float64) Option {
	return func(c *config) {
		if alpha > 0 && alpha <= 0.5 {
			c.alpha = alpha
		}
	}
}

// WithBootstrap makes DecidePaired take its interval from a percentile
// bootstrap of the mean log ratio with the given number of resamples
// (DefaultResamples when ≤ 0), instead of the Hodges-Lehmann interval. The
// p-value still comes from the signed-rank test. DecideUnpaired ignores it.
func WithBootstrap(resamples int) Option {
	return func(c *config) {
		if resamples <= 0 {
			resamples = DefaultResamples
		}
		c.resamples = resamples
	}
}

// WithSeed seeds the bootstrap. The default, rank-based decisions use no
// randomness.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed = seed } }

func newConfig(opts []Option) config {
	c := config{alpha: DefaultAlpha}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// DecidePaired decides whether head's throughput differs from base's from
// interleaved pairs, by the rule in the package documentation: the
// signed-rank test and Hodges-Lehmann interval on log(head/base).
//
// A pair with a NaN, infinite or negative value is dropped, as is one where
// both values are zero; a pair where one value is zero counts as a change of
// MaxRatio. Each case is named in Warnings. A threshold that is NaN,
// negative or ≥ 1 is replaced by DefaultThreshold, with a warning.
func DecidePaired(pairs []Pair, threshold float64, opts ...Option) Decision {
	cfg := newConfig(opts)
	var warn []string
	threshold, warn = checkThreshold(threshold, warn)

	lr := make([]float64, 0, len(pairs))
	var invalid, noInfo, zero, clamped int
	for _, p := range pairs {
		b, h := p.Base, p.Head
		switch {
		case !validThroughput(b) || !validThroughput(h):
			invalid++
		case b == 0 && h == 0:
			noInfo++
		case b == 0 || h == 0:
			zero++
			if h == 0 {
				lr = append(lr, -maxLog)
			} else {
				lr = append(lr, maxLog)
			}
		default:
			l := math.Log(h) - math.Log(b)
			if math.Abs(l) > maxLog {
				clamped++
				l = math.Copysign(maxLog, l)
			}
			lr = append(lr, l)
		}
	}
	if invalid > 0 {
		warn = append(
			warn,
			fmt.Sprintf("%d pair(s) with a NaN, infinite or negative throughput dropped", invalid),
		)
	}
	if noInfo > 0 {
		warn = append(
			warn,
			fmt.Sprintf("%d pair(s) with zero throughput on both sides dropped", noInfo),
		)
	}
	if zero > 0 {
		warn = append(
			warn,
			fmt.Sprintf(
				"%d pair(s) with zero throughput on one side counted as a %g× change",
				zero,
				float64(MaxRatio),
			),
		)
	}
	if clamped > 0 {
		warn = append(
			warn,
			fmt.Sprintf("%d pair(s) with a ratio beyond %g× clamped", clamped, float64(MaxRatio)),
		)
	}

	n := len(lr)
	d := Decision{N: n, P: 1, MDE: 1, Verdict: Inconclusive}
	if n == 0 {
		d.Method = "no usable pairs"
		d.Warnings = append(warn, "no usable pairs")
		return d
	}
	sr, _ := SignedRank(lr) // lr is non-empty and NaN-free
	d.P = sr.P
	exact := "exact"
	if !sr.Exact {
		exact = "normal approximation"
	}
	conf := 1 - cfg.alpha
	need := minPairs(cfg.alpha)
	sorted := sortedCopy(lr)
	var center, lo, hi float64
	var ciOK bool
	if cfg.resamples > 0 {
		ciOK = n >= need
		iv := BootstrapCI(lr, Mean, conf, cfg.resamples, cfg.seed)
		center, lo, hi, d.Confidence = iv.Center, iv.Lo, iv.Hi, iv.Confidence
		d.Method = fmt.Sprintf(
			"signed-rank test (%s) and %d-resample bootstrap %s interval of the mean of log(head/base), %d pairs",
			exact,
			cfg.resamples,
			pct(conf),
			n,
		)
	} else {
		center = hodgesLehmann(sorted)
		c, achieved := signedRankCritical(n, cfg.alpha)
		ciOK = c >= 1
		if ciOK {
			m := n * (n + 1) / 2
			lo, hi, d.Confidence = walshKth(sorted, c), walshKth(sorted, m+1-c), achieved
		} else {
			// Too few pairs for the confidence: show the range.
			lo, hi, d.Confidence = sorted[0], sorted[n-1], 1-math.Ldexp(2, -n)
		}
		d.Method = fmt.Sprintf("signed-rank test (%s) and Hodges-Lehmann %s interval of log(head/base), %d pairs",
			exact, pct(conf), n)
	}
	d.Ratio, d.Low, d.High = expClamped(center), expClamped(lo), expClamped(hi)
	d.Verdict = classify(d.Low, d.High, d.P, cfg.alpha, threshold, ciOK)
	d.MDE = mde(lo, hi, cfg.alpha, ciOK)
	j, signConf := signDepth(n)
	if !ciOK && n >= MinEquivalencePairs &&
		classify(expClamped(sorted[j-1]), expClamped(sorted[n-j]), 1, 0, threshold/2, true) == Unchanged {
		// The pairs within half the threshold but for at most j−1 on each
		// side: see "Fewer pairs" in the package documentation.
		d.Verdict = Unchanged
		d.Low, d.High = expClamped(sorted[j-1]), expClamped(sorted[n-j])
		d.Confidence = signConf
		within := "every pair"
		if j > 1 {
			within = fmt.Sprintf("all pairs but at most %d on each side", j-1)
		}
		d.Method += fmt.Sprintf("; unchanged by the sign test: %s within ±%s", within, pct(threshold/2))
	} else if !ciOK {
		w := fmt.Sprintf("need ≥ %d pairs for significance at alpha %g", need, cfg.alpha)
		if cfg.resamples == 0 {
			w += "; the interval shown is the range of the data"
		}
		warn = append(warn, w)
	}
	d.Warnings = warn
	return d
}

// signDepth returns, for n pairs, the largest j ≥ 1 such that fewer than
// j of n pairs fall on one side of a median with probability at most
// signLevel, and the confidence of the interval between the j-th smallest
// and j-th largest pair, which is distribution-free for the median: 1 − 2
// × P(Binomial(n, ½) < j). At 4 pairs it is the range (87.5%); at 7 it
// leaves out one pair on each side (87.5%); at 10, two (89%).
func signDepth(n int) (j int, confidence float64) {
	j, tail := 1, math.Ldexp(1, -n) // tail: P(Binomial(n, ½) < j)
	for next := j; next < n; next++ {
		t := tail + binomHalf(n, next)
		if t > signLevel {
			break
		}
		j, tail = next+1, t
	}
	return j, 1 - 2*tail
}

// signLevel is the chance at which the sign test shows unchanged when
// the median change is half the threshold: 1/16 on each side, what 4
// pairs all inside the band give.
const signLevel = 1.0 / 16

// binomHalf is P(Binomial(n, ½) = k).
func binomHalf(n, k int) float64 {
	lg := func(x int) float64 { v, _ := math.Lgamma(float64(x + 1)); return v }
	return math.Exp(lg(n) - lg(k) - lg(n-k) - float64(n)*math.Ln2)
}

// MinEquivalencePairs is the fewest pairs that can show "unchanged": with
// every log ratio inside ±threshold/2, a change of half the threshold or
// more (a median log ratio beyond it) would have put each pair outside
// with probability at least one half, so all n inside has probability at
// most 2⁻ⁿ, 1/16 on each side at 4 pairs whatever the noise, and far less
// at the noise of real pairs (see "Fewer pairs" in the package
// documentation).
const MinEquivalencePairs = 4

// DecideUnpaired decides whether head's throughput differs from base's from
// two samples measured separately, by the same rule as DecidePaired but
// with the Mann-Whitney U test and, for the ratio, the Hodges-Lehmann shift
// of log throughput (the median of all head/base ratios) with its Moses
// interval, which is the interval the U test inverts to; for samples of
// similar shape it estimates the ratio of medians.
//
// NaN, infinite and negative values are dropped; zeros stand for 1/MaxRatio
// of the smallest positive value. Each case is named in Warnings.
func DecideUnpaired(base, head []float64, threshold float64, opts ...Option) Decision {
	cfg := newConfig(opts)
	var warn []string
	threshold, warn = checkThreshold(threshold, warn)

	floor := math.Inf(1)
	invalid, zeros := 0, 0
	for _, v := range slices.Concat(base, head) {
		switch {
		case !validThroughput(v):
			invalid++
		case v == 0:
			zeros++
		default:
			floor = min(floor, v)
		}
	}
	if invalid > 0 {
		warn = append(
			warn,
			fmt.Sprintf("%d NaN, infinite or negative throughput value(s) dropped", invalid),
		)
	}
	logs := func(xs []float64) []float64 {
		var out []float64
		for _, v := range xs {
			switch {
			case !validThroughput(v) || math.IsInf(floor, 1):
			case v == 0:
				out = append(out, math.Log(floor)-maxLog)
			default:
				out = append(out, math.Log(v))
			}
		}
		slices.Sort(out)
		return out
	}
	lb, lh := logs(base), logs(head)
	switch {
	case zeros > 0 && math.IsInf(floor, 1):
		warn = append(warn, "every throughput value is zero")
	case zeros > 0:
		warn = append(
			warn,
			fmt.Sprintf(
				"%d zero throughput value(s) counted as %g× below the smallest measured",
				zeros,
				float64(MaxRatio),
			),
		)
	}

	d := Decision{N: min(len(lb), len(lh)), P: 1, MDE: 1, Verdict: Inconclusive}
	if len(lb) == 0 || len(lh) == 0 {
		d.Method = "no usable trials on one side"
		d.Warnings = append(warn, "no usable trials on one side")
		return d
	}
	mw, _ := MannWhitney(lh, lb)
	d.P = mw.P
	exact := "exact"
	if !mw.Exact {
		exact = "normal approximation"
	}
	center := shiftEstimate(lb, lh)
	var lo, hi float64
	ciOK := true
	c, achieved := rankSumCritical(len(lb), len(lh), cfg.alpha)
	if c >= 1 {
		mn := len(lb) * len(lh)
		lo, hi, d.Confidence = diffKth(lb, lh, c), diffKth(lb, lh, mn+1-c), achieved
	} else {
		ciOK = false
		lo, hi = lh[0]-lb[len(lb)-1], lh[len(lh)-1]-lb[0]
		d.Confidence = 1 - 2/choose(len(lb)+len(lh), min(len(lb), len(lh)))
		warn = append(warn, fmt.Sprintf("too few trials (%d+%d) for significance at alpha %g; the interval shown is the range of the data", len(lb), len(lh), cfg.alpha))
	}
	d.Method = fmt.Sprintf(
		"Mann-Whitney U test (%s) and Hodges-Lehmann %s interval of the head/base ratio, %d+%d trials, unpaired",
		exact,
		pct(1-cfg.alpha),
		len(lb),
		len(lh),
	)
	d.Ratio, d.Low, d.High = expClamped(center), expClamped(lo), expClamped(hi)
	d.Verdict = classify(d.Low, d.High, d.P, cfg.alpha, threshold, ciOK)
	d.MDE = mde(lo, hi, cfg.alpha, ciOK)
	d.Warnings = warn
	return d
}

// classify applies the decision rule (see the package documentation) to an
// interval [low, high] of head/base and a p-value.
func classify(low, high, p, alpha, threshold float64, ciOK bool) Verdict {
	significant := ciOK && p <= alpha
	switch {
	case !ciOK:
		return Inconclusive
	case significant && high < 1 && low < 1-threshold:
		return Regressed
	case significant && low > 1 && high > 1+threshold:
		return Improved
	case low > 1-threshold && high < 1+threshold:
		return Unchanged
	}
	return Inconclusive
}

// mde converts an interval's width on the log scale into the smallest drop
// detected with probability MDEPower: the half-width is z(1−α/2) standard
// errors, and a drop of (z(1−α/2) + z(power)) standard errors is detected
// with that power.
func mde(lo, hi, alpha float64, ciOK bool) float64 {
	if !ciOK {
		return 1
	}
	za := normQuantile(1 - alpha/2)
	se := (hi - lo) / 2 / za
	m := -math.Expm1(-se * (za + normQuantile(MDEPower)))
	return min(max(m, 0), 1)
}

// minPairs is the fewest pairs whose most extreme outcome (all signs equal)
// reaches significance at alpha in the exact signed-rank test: 2/2ⁿ ≤ alpha.
func minPairs(alpha float64) int {
	n := 1
	for math.Ldexp(2, -n) > alpha && n < 64 {
		n++
	}
	return n
}

// maxLog is math.Log(MaxRatio).
const maxLog = 6.907755278982137

func expClamped(l float64) float64 { return math.Exp(min(max(l, -maxLog), maxLog)) }

func validThroughput(v float64) bool { return v >= 0 && !math.IsInf(v, 1) }

func checkThreshold(t float64, warn []string) (float64, []string) {
	if t >= 0 && t < 1 {
		return t, warn
	}
	return DefaultThreshold, append(
		warn,
		fmt.Sprintf("threshold %v is not in [0, 1); using %g", t, DefaultThreshold),
	)
}

func pct(conf float64) string {
	return fmt.Sprintf("%s%%", formatG(100*conf))
}

func formatG(v float64) string { return fmt.Sprintf("%.4g", v) }
