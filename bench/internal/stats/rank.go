package stats

import (
	"cmp"
	"errors"
	"math"
	"slices"
)

// ErrNoData is returned by a test given an empty sample.
var ErrNoData = errors.New("stats: no data")

// ErrNaN is returned by a test given a NaN value.
var ErrNaN = errors.New("stats: NaN in data")

// exactMax is the largest sample size (pairs for the signed-rank test,
// n1+n2 for the rank-sum test) for which the exact null distribution is
// used, ties included. Counts stay below 2⁵³, so they are exact in float64,
// and the work is a few hundred thousand additions.
const exactMax = 50

// SignedRankResult is the result of a Wilcoxon signed-rank test.
type SignedRankResult struct {
	// N is the number of non-zero differences: zeros are dropped
	// (Wilcoxon's method, as R's wilcox.test).
	N int
	// TPlus is the sum of the ranks of the positive differences, with
	// mid-ranks for tied absolute values.
	TPlus float64
	// P is the two-sided p-value of "the differences are symmetric about 0".
	P float64
	// Exact reports whether P comes from the exact permutation distribution
	// (conditional on the ties) rather than the normal approximation.
	Exact bool
}

// SignedRank performs the Wilcoxon signed-rank test on the differences d of
// paired observations. P is exact for up to 50 non-zero differences (ties
// handled by enumerating the conditional distribution of mid-ranks) and
// otherwise from the normal approximation with tie and continuity
// corrections. When every difference is zero, N is 0 and P is 1. Infinite
// differences are allowed (they take the largest ranks); NaN is an error.
func SignedRank(d []float64) (SignedRankResult, error) {
	if len(d) == 0 {
		return SignedRankResult{}, ErrNoData
	}
	var nz []float64
	for _, x := range d {
		if math.IsNaN(x) {
			return SignedRankResult{}, ErrNaN
		}
		if x != 0 {
			nz = append(nz, x)
		}
	}
	res := SignedRankResult{N: len(nz), P: 1, Exact: true}
	if len(nz) == 0 {
		return res, nil
	}
	abs := make([]float64, len(nz))
	for i, x := range nz {
		abs[i] = math.Abs(x)
	}
	r2, ties := doubledRanks(abs)
	t2 := 0 // doubled T+
	for i, x := range nz {
		if x > 0 {
			t2 += r2[i]
		}
	}
	res.TPlus = float64(t2) / 2
	n := float64(len(nz))
	if len(nz) <= exactMax {
		// counts[s] = number of sign assignments with doubled T+ = s.
		total := 0
		for _, r := range r2 {
			total += r
		}
		counts := make([]float64, total+1)
		counts[0] = 1
		hi := 0
		for _, r := range r2 {
			for s := hi; s >= 0; s-- {
				if counts[s] != 0 {
					counts[s+r] += counts[s]
				}
			}
			hi += r
		}
		res.P = twoSided(counts, t2, math.Ldexp(1, len(nz)))
		return res, nil
	}
	res.Exact = false
	mean := n * (n + 1) / 4
	variance := n*(n+1)*(2*n+1)/24 - ties/48
	res.P = normalTwoSided(res.TPlus, mean, variance)
	return res, nil
}

// RankSumResult is the result of a Mann-Whitney U (Wilcoxon rank-sum) test.
type RankSumResult struct {
	N1, N2 int
	// U is the statistic of the first sample: the number of pairs (x, y)
	// with x > y, plus one half for each tie. The second sample's U is
	// N1·N2 − U.
	U float64
	// P is the two-sided p-value of "both samples come from the same
	// distribution" against a shift in location.
	P float64
	// Exact reports whether P comes from the exact permutation distribution
	// (conditional on the ties) rather than the normal approximation.
	Exact bool
}

// MannWhitney performs the Mann-Whitney U test of x against y. P is exact
// when len(x)+len(y) ≤ 50 (ties handled by enumerating the conditional
// distribution of mid-ranks) and otherwise from the normal approximation
// with tie and continuity corrections. When all values are equal P is 1.
// An empty sample is ErrNoData; NaN is ErrNaN.
func MannWhitney(x, y []float64) (RankSumResult, error) {
	n1, n2 := len(x), len(y)
	if n1 == 0 || n2 == 0 {
		return RankSumResult{}, ErrNoData
	}
	all := make([]float64, 0, n1+n2)
	all = append(all, x...)
	all = append(all, y...)
	for _, v := range all {
		if math.IsNaN(v) {
			return RankSumResult{}, ErrNaN
		}
	}
	r2, ties := doubledRanks(all)
	r1 := 0 // doubled rank sum of x
	for _, r := range r2[:n1] {
		r1 += r
	}
	res := RankSumResult{N1: n1, N2: n2, U: float64(r1)/2 - float64(n1*(n1+1))/2, P: 1, Exact: true}
	N := n1 + n2
	if N <= exactMax {
		// Enumerate the smaller sample's doubled rank sum over all
		// choices of its members among the N doubled ranks.
		k, obs := n1, r1
		if n2 < n1 {
			k, obs = n2, 0
			for _, r := range r2[n1:] {
				obs += r
			}
		}
		total := 0
		for _, r := range r2 {
			total += r
		}
		// ways[j][s]: subsets of j items with doubled rank sum s.
		ways := make([][]float64, k+1)
		for j := range ways {
			ways[j] = make([]float64, total+1)
		}
		ways[0][0] = 1
		hi := 0
		for _, r := range r2 {
			for j := k; j >= 1; j-- {
				for s := hi; s >= 0; s-- {
					if ways[j-1][s] != 0 {
						ways[j][s+r] += ways[j-1][s]
					}
				}
			}
			hi += r
		}
		res.P = twoSided(ways[k], obs, choose(N, k))
		return res, nil
	}
	res.Exact = false
	fn1, fn2, fN := float64(n1), float64(n2), float64(N)
	mean := fn1 * fn2 / 2
	variance := fn1 * fn2 / 12 * ((fN + 1) - ties/(fN*(fN-1)))
	res.P = normalTwoSided(res.U, mean, variance)
	return res, nil
}

// twoSided returns min(1, 2·min(P(S ≤ obs), P(S ≥ obs))) for a statistic S
// whose counts over its values are given, out of total.
func twoSided(counts []float64, obs int, total float64) float64 {
	lo, hi := 0.0, 0.0
	for s, c := range counts {
		if s <= obs {
			lo += c
		}
		if s >= obs {
			hi += c
		}
	}
	return min(1, 2*min(lo, hi)/total)
}

// normalTwoSided is the two-sided p-value of stat under Normal(mean,
// variance) with a continuity correction of one half.
func normalTwoSided(stat, mean, variance float64) float64 {
	if !(variance > 0) {
		return 1
	}
	dev := math.Abs(stat-mean) - 0.5
	if dev <= 0 {
		return 1
	}
	return min(1, 2*normCDF(-dev/math.Sqrt(variance)))
}

// Order returns the indices of xs in ascending order of their values, equal
// values in their order in xs.
func Order(xs []float64) []int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(xs[a], xs[b]) })
	return idx
}

// doubledRanks returns twice the mid-rank of each value of xs (an integer
// even with ties) and the tie correction Σ(t³ − t) over groups of t equal
// values.
func doubledRanks(xs []float64) (r2 []int, ties float64) {
	idx := Order(xs)
	r2 = make([]int, len(xs))
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && xs[idx[j]] == xs[idx[i]] {
			j++
		}
		// Positions i+1 … j (1-based) share the mid-rank (i+1+j)/2.
		for _, k := range idx[i:j] {
			r2[k] = i + 1 + j
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	return r2, ties
}

// signedRankCritical returns the order c of the Walsh average that bounds a
// two-sided 1−alpha confidence interval for the centre of symmetry, from n
// differences: [W(c), W(M+1−c)] with M = n(n+1)/2 sorted Walsh averages. It
// is one more than the largest t with P(T+ ≤ t) ≤ alpha/2 under the exact
// no-ties null distribution (normal approximation above 50), so the
// interval excludes 0 exactly when the test rejects at level alpha. c is 0
// when n is too small for the confidence; conf is the actual coverage.
func signedRankCritical(n int, alpha float64) (c int, conf float64) {
	if n <= 0 {
		return 0, 0
	}
	if n <= exactMax {
		total := n * (n + 1) / 2
		counts := make([]float64, total+1)
		counts[0] = 1
		hi := 0
		for r := 1; r <= n; r++ {
			for s := hi; s >= 0; s-- {
				counts[s+r] += counts[s]
			}
			hi += r
		}
		return criticalFromCounts(counts, math.Ldexp(1, n), alpha)
	}
	fn := float64(n)
	mean := fn * (fn + 1) / 4
	sd := math.Sqrt(fn * (fn + 1) * (2*fn + 1) / 24)
	return criticalNormal(mean, sd, alpha)
}

// rankSumCritical is signedRankCritical's counterpart for the Mann-Whitney
// U statistic of samples of sizes m and n: the interval for the shift is
// [D(c), D(mn+1−c)] of the m·n sorted pairwise differences (Moses).
func rankSumCritical(m, n int, alpha float64) (c int, conf float64) {
	if m <= 0 || n <= 0 {
		return 0, 0
	}
	if m+n <= exactMax {
		k := min(m, n)
		// ways[j][u]: ways for k of the ranks 1..N to have U = u, via the
		// rank sum minus its minimum.
		N := m + n
		maxU := m * n
		ways := make([][]float64, k+1)
		for j := range ways {
			ways[j] = make([]float64, N*(N+1)/2+1)
		}
		ways[0][0] = 1
		hi := 0
		for r := 1; r <= N; r++ {
			for j := k; j >= 1; j-- {
				for s := hi; s >= 0; s-- {
					if ways[j-1][s] != 0 {
						ways[j][s+r] += ways[j-1][s]
					}
				}
			}
			hi += r
		}
		base := k * (k + 1) / 2
		counts := ways[k][base : base+maxU+1]
		return criticalFromCounts(counts, choose(N, k), alpha)
	}
	fm, fn := float64(m), float64(n)
	return criticalNormal(fm*fn/2, math.Sqrt(fm*fn*(fm+fn+1)/12), alpha)
}

func criticalFromCounts(counts []float64, total, alpha float64) (c int, conf float64) {
	cum := 0.0
	t := -1
	for s, cnt := range counts {
		if (cum+cnt)/total > alpha/2 {
			break
		}
		cum += cnt
		t = s
	}
	return t + 1, 1 - 2*cum/total
}

func criticalNormal(mean, sd, alpha float64) (c int, conf float64) {
	t := math.Floor(mean + sd*normQuantile(alpha/2) - 0.5)
	if t < 0 {
		return 0, 0
	}
	return int(t) + 1, 1 - 2*normCDF((t+0.5-mean)/sd)
}

// walshCount returns how many Walsh averages (d[i]+d[j])/2, i ≤ j, of the
// sorted slice d are ≤ v, in O(len(d)).
func walshCount(d []float64, v float64) int {
	count := 0
	j := len(d) - 1
	for i := range d {
		for j >= i && (d[i]+d[j])/2 > v {
			j--
		}
		if j < i {
			break
		}
		count += j - i + 1
	}
	return count
}

// walshKth returns the k-th smallest (1-based) Walsh average of the sorted,
// finite slice d without materialising all n(n+1)/2 of them.
func walshKth(d []float64, k int) float64 {
	return kthByCount(d[0], d[len(d)-1], k, func(v float64) int { return walshCount(d, v) })
}

// diffCount returns how many differences y[j] − x[i] are ≤ v, for sorted x
// and y, in O(len(x)+len(y)).
func diffCount(x, y []float64, v float64) int {
	count, s := 0, 0
	for _, yj := range y {
		for s < len(x) && yj-x[s] > v {
			s++
		}
		count += len(x) - s
	}
	return count
}

// diffKth returns the k-th smallest (1-based) difference y[j] − x[i] of the
// sorted, finite slices x and y.
func diffKth(x, y []float64, k int) float64 {
	return kthByCount(
		y[0]-x[len(x)-1],
		y[len(y)-1]-x[0],
		k,
		func(v float64) int { return diffCount(x, y, v) },
	)
}

// kthByCount returns the smallest float64 v in [lo, hi] with count(v) ≥ k,
// where count is non-decreasing and count(hi) ≥ k: the k-th smallest of the
// values count counts. It bisects on the float64 bit patterns in order, so
// the answer is exact after at most 64 steps.
func kthByCount(lo, hi float64, k int, count func(float64) int) float64 {
	a, b := orderedKey(lo), orderedKey(hi)
	for a < b {
		m := a + (b-a)/2
		if count(fromOrderedKey(m)) >= k {
			b = m
		} else {
			a = m + 1
		}
	}
	return fromOrderedKey(a)
}

// orderedKey maps a non-NaN float64 to a uint64 in the same order.
func orderedKey(f float64) uint64 {
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func fromOrderedKey(k uint64) float64 {
	if k>>63 == 1 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// hodgesLehmann returns the median of the Walsh averages of sorted d: the
// estimate of the centre of symmetry that goes with the signed-rank test.
func hodgesLehmann(d []float64) float64 {
	n := len(d)
	m := n * (n + 1) / 2
	if m%2 == 1 {
		return walshKth(d, (m+1)/2)
	}
	return (walshKth(d, m/2) + walshKth(d, m/2+1)) / 2
}

// shiftEstimate returns the median of the differences y[j] − x[i] of sorted
// x and y: the Hodges-Lehmann shift that goes with the rank-sum test.
func shiftEstimate(x, y []float64) float64 {
	m := len(x) * len(y)
	if m%2 == 1 {
		return diffKth(x, y, (m+1)/2)
	}
	return (diffKth(x, y, m/2) + diffKth(x, y, m/2+1)) / 2
}
