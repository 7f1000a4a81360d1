package stats

import (
	"math"
	"slices"
)

// Interval is an estimate with a confidence interval around it.
type Interval struct {
	Center float64
	Lo, Hi float64
	// Confidence is the actual coverage of [Lo, Hi], which for the exact
	// (order-statistic) intervals is at least the confidence asked for.
	Confidence float64
}

// Mean returns the arithmetic mean of xs, or NaN when xs is empty.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Median returns the median of xs: the middle value, or the mean of the two
// middle values when len(xs) is even. It returns NaN for an empty slice.
// xs is not modified and must not contain NaN.
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

// Quantile returns the q-quantile of xs (0 ≤ q ≤ 1), interpolating linearly
// between order statistics (Hyndman and Fan's type 7, the default of R and
// NumPy). It returns NaN for an empty slice or a NaN q. xs is not modified
// and must not contain NaN.
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 || math.IsNaN(q) {
		return math.NaN()
	}
	return quantileSorted(sortedCopy(xs), q)
}

func quantileSorted(s []float64, q float64) float64 {
	q = min(max(q, 0), 1)
	h := q * float64(len(s)-1)
	i := int(math.Floor(h))
	f := h - float64(i)
	if i >= len(s)-1 || f == 0 {
		return s[min(i, len(s)-1)]
	}
	return s[i] + f*(s[i+1]-s[i])
}

func sortedCopy(xs []float64) []float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s
}

// OrderCI is a distribution-free confidence interval for a population
// quantile whose bounds are order statistics of a sample of size N.
type OrderCI struct {
	N        int
	Quantile float64
	// Confidence is the exact coverage, at least the confidence asked for.
	Confidence float64
	// Lo and Hi are 1-based order statistics: the interval is
	// [sorted[Lo-1], sorted[Hi-1]]. Lo = 0 stands for −∞ and Hi = N+1 for
	// +∞, which is what too small a sample gets.
	Lo, Hi int
}

// QuantileCI returns the order statistics that bound a confidence interval
// for the q-quantile from a sample of n values, using the exact binomial
// distribution of how many sample values fall below the quantile.
//
// Ported from github.com/aclements/go-moremath/stats.QuantileCI (used by
// golang.org/x/perf/benchmath; Copyright 2020 The Go Authors, BSD licence):
// probabilities are accumulated outward from the mode of Binomial(n, q),
// preferring the left neighbour on equal mass, until the requested
// confidence is reached. Unlike the original, it never switches to a normal
// approximation; the cost is O(width of the interval) PMF evaluations.
func QuantileCI(n int, q, confidence float64) OrderCI {
	res := OrderCI{N: n, Quantile: q, Lo: 0, Hi: n + 1, Confidence: 1}
	if n <= 0 || confidence >= 1 || math.IsNaN(q) || math.IsNaN(confidence) {
		return res
	}
	q = min(max(q, 0), 1)
	pmf := func(k int) float64 { return binomPMF(n, k, q) }

	// Band k (0 ≤ k ≤ n) is the gap between order statistics k and k+1,
	// holding the population quantile with probability pmf(k).
	x := int(math.Ceil(float64(n+1)*q)) - 1
	x = min(max(x, 0), n)
	accum := pmf(x)
	l, r := x, x+1 // summed bands are [l, r)
	lp, rp := pmf(l-1), pmf(r)
	for accum < confidence && (lp > 0 || rp > 0) {
		if lp >= rp { // left bias, as benchmath
			accum += lp
			l--
			lp = pmf(l - 1)
		} else {
			accum += rp
			r++
			rp = pmf(r)
		}
	}
	res.Lo, res.Hi = max(l, 0), min(r, n+1)
	res.Confidence = min(accum, 1)
	if res.Lo == 0 && res.Hi == n+1 {
		res.Confidence = 1
	}
	return res
}

// Bounds returns the interval's bounds from a sorted sample of c.N values,
// −∞ or +∞ where the interval is unbounded. It returns NaNs when the
// sample's size is not c.N.
func (c OrderCI) Bounds(sorted []float64) (lo, hi float64) {
	if len(sorted) != c.N {
		return math.NaN(), math.NaN()
	}
	lo, hi = math.Inf(-1), math.Inf(1)
	if c.Lo >= 1 {
		lo = sorted[c.Lo-1]
	}
	if c.Hi <= c.N {
		hi = sorted[c.Hi-1]
	}
	return lo, hi
}

// MedianCI returns the median of xs with a distribution-free
// order-statistic confidence interval (benchmath's summary). Bounds are
// infinite when xs is too small for the confidence: 6 values are needed
// for 95%, 8 for 99%. xs must not contain NaN.
func MedianCI(xs []float64, confidence float64) Interval {
	if len(xs) == 0 {
		return Interval{Center: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	s := sortedCopy(xs)
	ci := QuantileCI(len(s), 0.5, confidence)
	lo, hi := ci.Bounds(s)
	return Interval{Center: quantileSorted(s, 0.5), Lo: lo, Hi: hi, Confidence: ci.Confidence}
}

// binomPMF is the probability of k successes in n trials of probability p.
func binomPMF(n, k int, p float64) float64 {
	if k < 0 || k > n {
		return 0
	}
	switch p {
	case 0:
		if k == 0 {
			return 1
		}
		return 0
	case 1:
		if k == n {
			return 1
		}
		return 0
	}
	if n <= 50 { // exact binomial coefficients (all steps < 2⁵³), so tabulated cases hold exactly
		return choose(n, k) * math.Pow(p, float64(k)) * math.Pow(1-p, float64(n-k))
	}
	return math.Exp(lchoose(n, k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

// choose is the binomial coefficient, exact while it fits in 53 bits.
func choose(n, k int) float64 {
	k = min(k, n-k)
	c := 1.0
	for i := range k {
		c = c * float64(n-i) / float64(i+1)
	}
	return c
}

func lchoose(n, k int) float64 {
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return a - b - c
}

// normCDF is the standard normal distribution function.
func normCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normQuantile is the inverse of normCDF.
func normQuantile(p float64) float64 { return -math.Sqrt2 * math.Erfcinv(2*p) }
