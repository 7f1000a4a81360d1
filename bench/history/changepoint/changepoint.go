// Package changepoint finds the points where a series of measurements
// shifted: e-divisive means with a permutation test (Matteson and James,
// "A nonparametric approach for multiple change point analysis of
// multivariate data", 2014), as MongoDB's signal-processing-algorithms
// and DataStax's Hunter use it to find performance regressions in the
// history of a branch. It knows nothing of workerbench; it works on
// float64s.
//
// # Method
//
// Split the series z₀…zₙ₋₁ at τ into X = z[:τ] and Y = z[τ:]. The energy
// statistic
//
//	Q(τ) = τ(n−τ)/n · (2/(τ(n−τ)) Σ|xᵢ−yⱼ| − 1/τ² Σ|xᵢ−xₖ| − 1/(n−τ)² Σ|yⱼ−yₖ|)
//
// is large when the two sides come from different distributions (it is
// zero in expectation for one distribution, and it sees any difference in
// distribution, not only in the mean; the absolute differences make it
// robust to an outlier). The candidate is the τ with the largest Q over
// every segment between the change points found so far, each side at least
// MinSize long. Its significance is a permutation test: shuffle each
// segment (the order is what a change point claims matters), take the
// largest Q again, R times; the p-value is (1 + #{Q* ≥ Q}) / (1 + R). A
// significant candidate becomes a change point and the search goes on in
// the new segments; the first candidate that is not significant stops it.
// Taking the maximum over all segments in both the observed and permuted
// series is what keeps the chance of a false change point at about α per
// series, not α per segment.
//
// The test stops permuting as soon as its outcome is decided (too many
// permuted Q above the observed one to reach α), so a series without a
// change costs a few permutations, not R.
//
// # Where the change is
//
// The Q maximum is the single most likely split, but at a 5% step in 2%
// noise it is more than one commit off 7% of the time, which is close to
// what any estimator can do from one value per commit. The reported Index
// is refined to the split most often within one commit of the truth, and
// First…Last is a 90% range for it (see locate). The refinement may move
// it closer to an end of the segment than MinSize: a step so large that
// the test finds it with two values after it is placed where it is, not
// three values early.
//
// # Measured
//
// go test -run TestRates -v ./bench/history/changepoint/ -args -runs 2000, with
// the defaults (α = 0.005, 199 permutations, segments of at least 3), on
// seeded series of 60 values with 2% CV (normal) noise:
//
//	series                        change at step±1  exactly  none    other change points
//	5% drop after 30 of 60        96.2%             52.9%    0%      4.2%
//	flat                          —                 —        99.5%   0.5%
//
// and on 1000 runs each: a 10% drop is found at ±1 always (exactly 89%);
// a 5% drop after 50 of 60 at ±1 in 96.4%; a 3% drop only in 72% (the
// noise is two thirds of it); a flat series of 200 values yields nothing in
// 99.4%, and a flat series where 5% of the values are 20% low (a noisy
// neighbour) in 99.6%. The test asserts ≥ 95% and ≥ 99% on 400 runs each.
//
// Results are reproducible: the permutations come from a PCG generator
// seeded by Options.Seed.
package changepoint

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

// Options tune Detect. The zero value means the defaults.
type Options struct {
	// Alpha is the significance level of each permutation test (default
	// 0.005). With R permutations the smallest p-value is 1/(R+1), so Alpha
	// below that finds nothing.
	Alpha float64
	// Permutations is R, the number of shuffles per test (default 199).
	Permutations int
	// MinSize is the fewest values on either side of a candidate split
	// (default 3): a single odd value is an outlier until the next pushes
	// confirm it. Where the change is then placed may leave fewer.
	MinSize int
	// MaxChanges bounds how many change points are reported (default 16).
	MaxChanges int
	// Seed seeds the permutations (0 is a valid seed).
	Seed uint64
}

// Defaults of Options.
const (
	DefaultAlpha        = 0.005
	DefaultPermutations = 199
	DefaultMinSize      = 3
	DefaultMaxChanges   = 16
)

func (o Options) normalized() Options {
	if !(o.Alpha > 0 && o.Alpha < 1) {
		o.Alpha = DefaultAlpha
	}
	if o.Permutations < 1 {
		o.Permutations = DefaultPermutations
	}
	if o.MinSize < 1 {
		o.MinSize = DefaultMinSize
	}
	if o.MaxChanges < 1 {
		o.MaxChanges = DefaultMaxChanges
	}
	return o
}

// Change is a change point: the series shifted between Index−1 and Index.
type Change struct {
	// Index is the first value of the new regime: the estimate most often
	// within one position of the truth.
	Index int
	// First and Last bound where the new regime starts with 90%
	// probability (under a Gaussian mean shift): Index−1 ≤ … is typical,
	// wider when the step is small for the noise.
	First, Last int
	// PValue is the permutation test's p-value when the change was found.
	PValue float64
	// Q is the energy statistic at the split.
	Q float64
	// Before and After are the medians of the segments on either side,
	// bounded by the neighbouring change points.
	Before, After float64
}

// Ratio is After ÷ Before: 0.95 is a 5% drop.
func (c Change) Ratio() float64 {
	if c.Before == 0 {
		return math.NaN()
	}
	return c.After / c.Before
}

// Detect returns the change points of xs in order of Index. NaN and
// infinite values are not measurements: leave them out before calling (the
// indexes are positions in xs).
func Detect(xs []float64, opt Options) []Change {
	opt = opt.normalized()
	n := len(xs)
	if n < 2*opt.MinSize {
		return nil
	}
	e := newEnergy(xs)
	rng := rand.New(rand.NewPCG(opt.Seed, 0x6368616e6765)) // "change"
	var found []Change
	bounds := []int{0, n}
	perm := make([]int, n)
	for len(found) < opt.MaxChanges {
		for i := 0; i+1 < len(bounds); i++ {
			e.segment(bounds[i], bounds[i+1])
		}
		// The best split over every current segment.
		best, bestQ, seg := -1, 0.0, 0
		for i := 0; i+1 < len(bounds); i++ {
			a, b := bounds[i], bounds[i+1]
			for j := range b - a {
				perm[j] = a + j
			}
			tau, q := e.bestSplit(perm[:b-a], opt.MinSize)
			if tau >= 0 && q > bestQ {
				best, bestQ, seg = a+tau, q, i
			}
		}
		if best < 0 || !(bestQ > 0) {
			break
		}
		p, ok := permutationTest(e, bounds, bestQ, opt, rng, perm)
		if !ok {
			break
		}
		a, b := bounds[seg], bounds[seg+1]
		best, _, _ = locate(xs[a:b], best-a)
		best += a
		found = append(found, Change{Index: best, PValue: p, Q: bestQ})
		bounds = append(bounds, best)
		slices.Sort(bounds)
	}
	slices.SortFunc(found, func(a, b Change) int { return a.Index - b.Index })
	for i := range found {
		lo, hi := 0, n
		if i > 0 {
			lo = found[i-1].Index
		}
		if i+1 < len(found) {
			hi = found[i+1].Index
		}
		at, first, last := locate(xs[lo:hi], found[i].Index-lo)
		found[i].Index, found[i].First, found[i].Last = at+lo, first+lo, last+lo
		found[i].Before = stats.Median(xs[lo:found[i].Index])
		found[i].After = stats.Median(xs[found[i].Index:hi])
	}
	return found
}

// locate refines the position of the one change point in xs, first
// estimated at guess, and returns it with the 90% credible range [first,
// last] of the split, which may leave a single value on either side. xs
// may hold other, smaller level shifts. The maximum of Q is the single
// most likely index but a poor bet for "within one commit": at a 2.5σ
// step it is more than one off 7% of the time. Under a Gaussian mean
// shift with the two means fitted, the posterior of the split τ (flat
// prior) is ∝ exp(−RSS(τ) / 2σ²), σ estimated from successive
// differences; the centre of the three neighbouring splits with the most
// posterior mass is the estimate most often within ±1 of the truth (96%
// instead of 93% at 2.5σ and 60 values; it is exact less often, 55%
// instead of 76%, which is why the range is reported beside it).
func locate(xs []float64, guess int) (at, first, last int) {
	m := len(xs)
	lo, hi := 1, m-1 // splits allowed: lo ≤ τ ≤ hi
	if hi < lo {
		return guess, guess, guess
	}
	pre := make([]float64, m+1)
	preQ := make([]float64, m+1)
	for i, x := range xs {
		pre[i+1], preQ[i+1] = pre[i]+x, preQ[i]+x*x
	}
	rss := make([]float64, m+1)
	best := lo
	for t := lo; t <= hi; t++ {
		a := preQ[t] - pre[t]*pre[t]/float64(t)
		b := (preQ[m] - preQ[t]) - (pre[m]-pre[t])*(pre[m]-pre[t])/float64(m-t)
		rss[t] = max(a+b, 0)
		if rss[t] < rss[best] {
			best = t
		}
	}
	// The noise from successive differences (robust to the level shifts
	// this one split does not model); noiseless data has its split exact.
	s2 := noiseVar(xs)
	if !(s2 > 0) {
		return best, best, best
	}
	post := make([]float64, m+2) // post[t+1] for t in lo-1 … hi+1; 0 outside
	total := 0.0
	for t := lo; t <= hi; t++ {
		post[t+1] = math.Exp(-(rss[t] - rss[best]) / (2 * s2))
		total += post[t+1]
	}
	// Between windows of equal mass (a clean step puts all of it on one
	// split, which three windows hold) the likelier centre wins.
	at, mass := best, 0.0
	for t := lo; t <= hi; t++ {
		w := post[t] + post[t+1] + post[t+2]
		if w > mass*(1+1e-9) || w >= mass*(1-1e-9) && post[t+1] > post[at+1] {
			at, mass = t, w
		}
	}
	// Grow the range from at towards the likelier side until it holds 90%.
	first, last = at, at
	for got := post[at+1]; got < 0.9*total; {
		l, r := post[first], post[last+2] // post of first-1 and last+1
		if l == 0 && r == 0 {
			break
		}
		if l >= r {
			first--
			got += l
		} else {
			last++
			got += r
		}
	}
	return at, first, last
}

// noiseVar estimates the variance of the noise around the levels of xs
// from the median absolute successive difference: a difference of two
// values of one level has twice the noise variance, and the few
// differences across a level shift do not move the median.
func noiseVar(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	d := make([]float64, len(xs)-1)
	for i := range d {
		d[i] = math.Abs(xs[i+1] - xs[i])
	}
	sd := 1.4826 * stats.Median(d) // MAD → σ for a normal distribution, of Δ
	return sd * sd / 2
}

// permutationTest shuffles every segment R times and counts how often the
// largest Q over all segments reaches q. It stops once significance is
// out of reach.
func permutationTest(
	e *energy,
	bounds []int,
	q float64,
	opt Options,
	rng *rand.Rand,
	perm []int,
) (p float64, significant bool) {
	r := opt.Permutations
	// Significant when (1+count)/(1+r) ≤ α, i.e. count ≤ limit.
	limit := int(math.Floor(opt.Alpha*float64(r+1)+1e-9)) - 1
	if limit < 0 {
		return 1, false
	}
	count := 0
	for range r {
		reached := false
		for i := 0; i+1 < len(bounds) && !reached; i++ {
			a, b := bounds[i], bounds[i+1]
			seg := perm[:b-a]
			for j := range seg {
				seg[j] = a + j
			}
			rng.Shuffle(len(seg), func(x, y int) { seg[x], seg[y] = seg[y], seg[x] })
			// A permutation that only reorders each side gives the same Q:
			// it counts as reaching it, whatever the rounding.
			if _, qs := e.bestSplit(seg, opt.MinSize); qs >= q*(1-1e-9) {
				reached = true
			}
		}
		if reached {
			count++
			if count > limit {
				return float64(1+count) / float64(1+r), false
			}
		}
	}
	return float64(1+count) / float64(1+r), true
}

// energy evaluates Q over the splits of (a permutation of) a segment of xs
// in O(m log n): the distance sums are kept in Fenwick trees indexed by the
// rank of each value, so Σⱼ∈X |x − xⱼ| is two prefix queries.
type energy struct {
	xs   []float64
	rank []int     // rank[i]: position of xs[i] in sorted order
	dseg []float64 // dseg[i]: Σ |xs[i] − xⱼ| over i's current segment
	wseg []float64 // wseg[i]: Σ over pairs of i's segment, for its first index
	cnt  []float64 // Fenwick tree: how many of X have each rank
	sum  []float64 // Fenwick tree: their sum
}

func newEnergy(xs []float64) *energy {
	n := len(xs)
	order := stats.Order(xs)
	rank := make([]int, n)
	for r, i := range order {
		rank[i] = r
	}
	return &energy{
		xs: xs, rank: rank,
		dseg: make([]float64, n), wseg: make([]float64, n),
		cnt: make([]float64, n+1), sum: make([]float64, n+1),
	}
}

// segment computes the order-free sums of the segment [a, b): each value's
// distances to the rest, and all pairwise distances.
func (e *energy) segment(a, b int) {
	vals := slices.Clone(e.xs[a:b])
	slices.Sort(vals)
	pre := make([]float64, len(vals)+1)
	for i, v := range vals {
		pre[i+1] = pre[i] + v
	}
	m := len(vals)
	w := 0.0
	for i := a; i < b; i++ {
		v := e.xs[i]
		k, _ := slices.BinarySearch(vals, v) // values below v: vals[:k]
		e.dseg[i] = v*float64(k) - pre[k] + (pre[m] - pre[k]) - v*float64(m-k)
		w += e.dseg[i]
	}
	e.wseg[a] = w / 2
}

func (e *energy) add(i int, sign float64) {
	v := e.xs[i]
	for r := e.rank[i] + 1; r < len(e.cnt); r += r & -r {
		e.cnt[r] += sign
		e.sum[r] += sign * v
	}
}

// toSet is Σ |xs[i] − xⱼ| over the values in the Fenwick trees.
func (e *energy) toSet(i int, size float64) float64 {
	v := e.xs[i]
	var c, s float64 // count and sum of ranks below i's
	for r := e.rank[i]; r > 0; r -= r & -r {
		c += e.cnt[r]
		s += e.sum[r]
	}
	total := 0.0
	for r := len(e.cnt) - 1; r > 0; r -= r & -r {
		total += e.sum[r]
	}
	return v*c - s + (total - s) - v*(size-c)
}

// bestSplit returns the split τ (both sides at least minSize) of the
// segment permuted as idx that maximises Q, and Q; τ is -1 when the
// segment is too short. Moving τ one step right moves one value from Y to
// X; the three sums change by that value's distances to X and to Y.
func (e *energy) bestSplit(idx []int, minSize int) (tau int, q float64) {
	m := len(idx)
	if m < 2*minSize {
		return -1, 0
	}
	lo := idx[0]
	for _, i := range idx {
		lo = min(lo, i)
	}
	var withinX, between float64
	withinY := e.wseg[lo]
	tau, q = -1, math.Inf(-1)
	for t := 1; t < m; t++ {
		i := idx[t-1]
		toX := e.toSet(i, float64(t-1))
		toY := e.dseg[i] - toX
		e.add(i, 1)
		withinX += toX
		withinY -= toY
		between += toY - toX
		if t < minSize || m-t < minSize {
			continue
		}
		nx, ny := float64(t), float64(m-t)
		en := 2*between/(nx*ny) - 2*withinX/(nx*nx) - 2*withinY/(ny*ny)
		if v := nx * ny / (nx + ny) * en; v > q {
			tau, q = t, v
		}
	}
	for _, i := range idx[:m-1] {
		e.add(i, -1)
	}
	return tau, q
}
