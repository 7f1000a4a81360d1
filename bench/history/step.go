package history

import (
	"math"
	"slices"

	"github.com/workerbench/workerbench/bench/internal/stats"
	"gonum.org/v1/gonum/stat/distuv"
)

// A tentative step. The change-point test needs three pushes on each side
// of a change and, in a short series, more than that before a permutation
// test can reach its significance at all (six values split three and
// three in 20 ways: p ≥ 1/20). A regression merged to the default branch
// would go unnamed for several pushes. So the newest pushes are also read
// against the level established since the last change point: a run of
// the newest pushes is a new level, named from its first push on as not
// yet confirmed, when
//
//   - a t-test of its mean against that of the pushes before it in the
//     segment (on the logarithms, the noise pooled over all segments, with
//     its degrees of freedom) rejects one level at the two-sided α of
//     StepSigmas standard deviations (0.27% for 3): at one push that is a
//     push StepSigmas × the noise or more away from a long-established
//     level, further when the level rests on few pushes;
//   - the medians differ by StepFloor or more;
//   - every push of the run is nearer its median than the old level.
//
// Of the runs that qualify, the one with the smallest p-value names the
// step. It stays tentative until the change-point test confirms it (the
// segment then ends there), and is withdrawn when a push comes back to
// the old level. TestStepRates measures the rule (see docs/history.md).

// StepSigmas sets the significance of a tentative step: the two-sided α of
// that many standard deviations of a normal distribution.
const StepSigmas = 3.0

// StepFloor is the smallest tentative step, relative to the level: the
// default threshold of a comparison, below which a pull request's change
// is not called one either. Smaller steps wait for the change-point test.
const StepFloor = 0.05

// stepBefore is the fewest pushes the established level needs before a
// step from it is named.
const stepBefore = 4

// Step is a new level in the newest points that the change-point test has
// not confirmed (yet).
type Step struct {
	Point  int    // first point of the new level, into the cell's Points
	Commit string // its commit
	// Before is the established level, After the median of the points
	// since Point.
	Before, After float64
}

// Ratio is After ÷ Before: 0.88 is a 12% drop.
func (s Step) Ratio() float64 { return s.After / s.Before }

// logNoise is the run-to-run noise of single pushes as the spread of their
// logarithms around their segment's mean: a sum of squares and its degrees
// of freedom, which add up over segments.
type logNoise struct {
	ss  float64
	dof int
}

func (a logNoise) add(b logNoise) logNoise { return logNoise{a.ss + b.ss, a.dof + b.dof} }

// segmentNoise is the logNoise of the single-push values of seg.
func segmentNoise(seg []float64, single []bool) logNoise {
	var sum float64
	var n int
	for i, v := range seg {
		if single[i] && v > 0 {
			sum += math.Log(v)
			n++
		}
	}
	if n < 2 {
		return logNoise{}
	}
	mean := sum / float64(n)
	var ss float64
	for i, v := range seg {
		if single[i] && v > 0 {
			d := math.Log(v) - mean
			ss += d * d
		}
	}
	return logNoise{ss, n - 1}
}

// findStep looks for a new level at the end of xs (all > 0), in the
// segment that starts at from (the last change point). prior is the noise
// of the earlier segments, and single says which values are one push each:
// only those count in the noise (a summary's value is a median of several
// pushes, quieter than one). A run of the newest values is a step when its
// mean differs from that of the values before it in the segment by more
// than the two-sided (1 − α) bound of a t-test, α that of sigmas standard
// deviations of a normal distribution, when every value of the run is
// nearer its median than the established one, and when the medians differ
// by floor or more. It returns the first index of the new level, the
// established level and the new level (medians), from the longest run that
// qualifies.
func findStep(
	xs []float64,
	single []bool,
	from int,
	prior logNoise,
	sigmas, floor float64,
) (at int, before, after float64, ok bool) {
	seg := xs[from:]
	if slices.ContainsFunc(seg, func(v float64) bool { return !(v > 0) }) {
		return 0, 0, 0, false
	}
	// Prefix sums of the logarithms (less the first, for precision): of
	// all values for the means, of the single pushes for the noise.
	m := len(seg)
	sum, sumS, sqS := make([]float64, m+1), make([]float64, m+1), make([]float64, m+1)
	cntS := make([]int, m+1)
	for i, v := range seg {
		y := math.Log(v / seg[0])
		sum[i+1], sumS[i+1], sqS[i+1], cntS[i+1] = sum[i]+y, sumS[i], sqS[i], cntS[i]
		if single[from+i] {
			sumS[i+1], sqS[i+1], cntS[i+1] = sumS[i]+y, sqS[i]+y*y, cntS[i]+1
		}
	}
	alpha := math.Erfc(sigmas / math.Sqrt2) // two-sided
	best := alpha
	for k := m - stepBefore; k >= 1; k-- {
		e := m - k // the established values: seg[:e]
		noise := prior
		if c := cntS[e]; c >= 2 {
			noise = noise.add(logNoise{max(sqS[e]-sumS[e]*sumS[e]/float64(c), 0), c - 1})
		}
		if noise.dof < 1 || !(noise.ss > 0) {
			continue
		}
		sd := math.Sqrt(noise.ss / float64(noise.dof))
		diff := (sum[m]-sum[e])/float64(k) - sum[e]/float64(e)
		t := math.Abs(diff) / (sd * math.Sqrt(1/float64(k)+1/float64(e)))
		p := 2 * (distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(noise.dof)}).Survival(t)
		if p > best {
			continue
		}
		level, newLevel := stats.Median(seg[:e]), stats.Median(seg[e:])
		if nearer(seg[e:], newLevel, level) && math.Abs(newLevel/level-1) >= floor {
			at, before, after, ok, best = from+e, level, newLevel, true, p
		}
	}
	return at, before, after, ok
}

// nearer reports whether every value of run is nearer to to than to from.
func nearer(run []float64, to, from float64) bool {
	for _, v := range run {
		if !(math.Abs(v-to) < math.Abs(v-from)) {
			return false
		}
	}
	return true
}

// deviations are the relative deviations |v/level − 1| of the single-push
// values of seg (the parallel single says which).
func deviations(seg []float64, single []bool, level float64) []float64 {
	var dev []float64
	if !(level > 0) {
		return nil
	}
	for i, v := range seg {
		if single[i] {
			dev = append(dev, math.Abs(v/level-1))
		}
	}
	return dev
}

// noiseCV is the robust coefficient of variation of relative deviations:
// 1.4826 × their median (the MAD scaled to σ for normal noise), NaN with
// fewer than 3.
func noiseCV(dev []float64) float64 {
	if len(dev) < 3 {
		return math.NaN()
	}
	return 1.4826 * stats.Median(dev)
}
