package stats

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/optimize"
)

// USL is the Universal Scalability Law (Gunther),
// X(N) = λN / (1 + σ(N−1) + κN(N−1)): the throughput X of a system at
// concurrency N, with λ the throughput of one, σ the cost of contention
// (queueing for a shared resource) and κ the cost of coherence (crosstalk
// that grows with the square of N).
type USL struct {
	Lambda, Sigma, Kappa float64
}

// At is the law's throughput at concurrency n.
func (u USL) At(n float64) float64 {
	return u.Lambda * n / (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1))
}

// PeakN is the concurrency of the law's highest throughput,
// √((1−σ)/κ); +Inf when κ is 0 (throughput only levels off, at λ/σ), 0
// when σ ≥ 1 (throughput never grows).
func (u USL) PeakN() float64 {
	switch {
	case u.Sigma >= 1:
		return 0
	case u.Kappa <= 0:
		return math.Inf(1)
	}
	return math.Sqrt((1 - u.Sigma) / u.Kappa)
}

// negligible is the relative share of the denominator below which σ or κ
// is taken to be 0: its effect at the largest concurrency measured.
const negligible = 1e-6

// FitUSL fits the law to throughputs xs measured at concurrencies ns by
// least squares on log X (so that every point counts alike, though the
// throughputs span orders of magnitude), with λ > 0, 0 ≤ σ < 1 and κ ≥ 0,
// using gonum's Nelder–Mead from a few starting points. It returns the fit
// and its R² on X. It needs at least three points with positive values.
func FitUSL(ns, xs []float64) (USL, float64, error) {
	if len(ns) != len(xs) {
		return USL{}, 0, fmt.Errorf("fit USL: %d concurrencies, %d throughputs", len(ns), len(xs))
	}
	if len(ns) < 3 {
		return USL{}, 0, fmt.Errorf("fit USL: %d points, need 3", len(ns))
	}
	nMax, lambda0 := 0.0, 0.0
	for i := range ns {
		if !(ns[i] >= 1) || !(xs[i] > 0) || math.IsInf(ns[i], 0) || math.IsInf(xs[i], 0) {
			return USL{}, 0, fmt.Errorf("fit USL: point %d (%g, %g) is not positive",
				i, ns[i], xs[i])
		}
		nMax = max(nMax, ns[i])
		lambda0 = max(lambda0, xs[i]/ns[i])
	}
	// Parameters are searched as (log λ, logit σ, log κ): unbounded, and
	// on scales where a step means the same anywhere.
	decode := func(p []float64) USL {
		return USL{
			Lambda: math.Exp(p[0]),
			Sigma:  1 / (1 + math.Exp(-p[1])),
			Kappa:  math.Exp(p[2]),
		}
	}
	problem := optimize.Problem{Func: func(p []float64) float64 {
		u := decode(p)
		s := 0.0
		for i := range ns {
			d := math.Log(u.At(ns[i])) - math.Log(xs[i])
			s += d * d
		}
		if math.IsNaN(s) {
			return math.Inf(1)
		}
		return s
	}}
	settings := &optimize.Settings{
		Converger:       &optimize.FunctionConverge{Absolute: 1e-12, Iterations: 200},
		FuncEvaluations: 20000,
	}
	best, bestF := []float64(nil), math.Inf(1)
	for _, sigma := range []float64{1e-4, 1e-2, 0.2} {
		for _, kappa := range []float64{1e-3, 1e-1, 10} {
			p0 := []float64{
				math.Log(lambda0),
				math.Log(sigma / (1 - sigma)),
				math.Log(kappa / (nMax * nMax)),
			}
			res, err := optimize.Minimize(problem, p0, settings, &optimize.NelderMead{})
			if err != nil && res == nil {
				continue
			}
			if res.F < bestF {
				best, bestF = res.X, res.F
			}
		}
	}
	if best == nil || math.IsInf(bestF, 0) {
		return USL{}, 0, errors.New("fit USL: the optimiser found no fit")
	}
	u := decode(best)
	if u.Sigma*(nMax-1) < negligible {
		u.Sigma = 0
	}
	if u.Kappa*nMax*(nMax-1) < negligible {
		u.Kappa = 0
	}
	return u, rSquared(u, ns, xs), nil
}

// rSquared is 1 − SSres/SStot of the law's throughputs against xs.
func rSquared(u USL, ns, xs []float64) float64 {
	mean := Mean(xs)
	var res, tot float64
	for i := range ns {
		d := xs[i] - u.At(ns[i])
		res += d * d
		tot += (xs[i] - mean) * (xs[i] - mean)
	}
	if tot == 0 {
		return 0
	}
	return 1 - res/tot
}
