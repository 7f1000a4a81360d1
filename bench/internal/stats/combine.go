package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// DefaultResamples is the number of bootstrap resamples used when none is
// given.
const DefaultResamples = 2000

// BootstrapCI returns stat(xs) with a percentile bootstrap confidence
// interval from resamples resamples of xs (DefaultResamples when ≤ 0). The
// resampling is driven by a PCG generator seeded with seed, so the interval
// is reproducible. stat may reorder the slice it is given; xs is not
// modified. The percentile bootstrap is too narrow for small samples
// (it behaves like a z interval where a t interval is due), which is why
// DecidePaired does not use it by default.
func BootstrapCI(
	xs []float64,
	stat func([]float64) float64,
	confidence float64,
	resamples int,
	seed uint64,
) Interval {
	if len(xs) == 0 {
		nan := math.NaN()
		return Interval{Center: nan, Lo: nan, Hi: nan}
	}
	if resamples <= 0 {
		resamples = DefaultResamples
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	buf := make([]float64, len(xs))
	reps := make([]float64, 0, resamples)
	for range resamples {
		for i := range buf {
			buf[i] = xs[rng.IntN(len(xs))]
		}
		if v := stat(buf); !math.IsNaN(v) {
			reps = append(reps, v)
		}
	}
	center := stat(slices.Clone(xs))
	if len(reps) == 0 {
		return Interval{Center: center, Lo: math.NaN(), Hi: math.NaN()}
	}
	slices.Sort(reps)
	tail := (1 - confidence) / 2
	return Interval{
		Center:     center,
		Lo:         quantileSorted(reps, tail),
		Hi:         quantileSorted(reps, 1-tail),
		Confidence: confidence,
	}
}

// GeoMean returns the geometric mean of xs, or NaN when xs is empty or holds
// a value that is not positive or is NaN.
func GeoMean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, x := range xs {
		if !(x > 0) {
			return math.NaN()
		}
		s += math.Log(x)
	}
	return math.Exp(s / float64(len(xs)))
}

// GeoMeanCI returns the geometric mean of the centres of independent
// estimates (ratios, all positive) with an interval combined from theirs:
// on the log scale the mean's lower half-width is √(Σ hᵢ²)/k, hᵢ being the
// i-th lower half-width, and likewise above. This treats each interval as
// a normal one on the log scale and the estimates as independent (cells are
// measured apart), so it is approximate; Confidence is the smallest of the
// inputs'. Estimates with a non-positive or non-finite value are skipped;
// with none left the result is NaN.
func GeoMeanCI(ivs []Interval) Interval {
	var sum, lo2, hi2 float64
	conf := 1.0
	k := 0
	for _, iv := range ivs {
		c, lo, hi := iv.Center, iv.Lo, iv.Hi
		if !(c > 0 && lo > 0 && hi > 0) || math.IsInf(c, 0) || math.IsInf(lo, 0) ||
			math.IsInf(hi, 0) {
			continue
		}
		lc := math.Log(c)
		sum += lc
		dl := max(lc-math.Log(lo), 0)
		dh := max(math.Log(hi)-lc, 0)
		lo2 += dl * dl
		hi2 += dh * dh
		conf = min(conf, iv.Confidence)
		k++
	}
	if k == 0 {
		nan := math.NaN()
		return Interval{Center: nan, Lo: nan, Hi: nan}
	}
	m := sum / float64(k)
	return Interval{
		Center:     math.Exp(m),
		Lo:         math.Exp(m - math.Sqrt(lo2)/float64(k)),
		Hi:         math.Exp(m + math.Sqrt(hi2)/float64(k)),
		Confidence: conf,
	}
}

// Holm returns the Holm-Bonferroni adjusted p-values of ps, in the order of
// ps: rejecting every hypothesis whose adjusted value is below alpha keeps
// the chance of any false rejection among them at most alpha. NaN counts
// as 1.
func Holm(ps []float64) []float64 {
	k := len(ps)
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	p := func(i int) float64 {
		if math.IsNaN(ps[i]) {
			return 1
		}
		return ps[i]
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch pa, pb := p(a), p(b); {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	adj := make([]float64, k)
	running := 0.0
	for rank, i := range idx {
		running = max(running, min(1, float64(k-rank)*p(i)))
		adj[i] = running
	}
	return adj
}
