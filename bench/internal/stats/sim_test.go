package stats

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// noise describes simulated trials: throughput = μ·ratio·(1 + s + e), with
// e ~ Normal(0, cv) independent per trial, s ~ Normal(0, shared) common to
// both trials of a pair (machine state that interleaving pairs cancels),
// and, with probability outlier per trial, a further 20% loss (a noisy
// neighbour).
type noise struct {
	cv, shared, outlier float64
}

func (nz noise) pairs(rng *rand.Rand, ratio float64, k int) []Pair {
	const mu = 250.0
	ps := make([]Pair, k)
	for i := range ps {
		s := nz.shared * rng.NormFloat64()
		b := mu * (1 + s + nz.cv*rng.NormFloat64())
		h := mu * ratio * (1 + s + nz.cv*rng.NormFloat64())
		if rng.Float64() < nz.outlier {
			b *= 0.8
		}
		if rng.Float64() < nz.outlier {
			h *= 0.8
		}
		ps[i] = Pair{Base: b, Head: h}
	}
	return ps
}

type simResult struct {
	verdicts map[Verdict]int
	pairs    []int
	runs     int
}

func (r simResult) rate(v Verdict) float64 { return float64(r.verdicts[v]) / float64(r.runs) }

func (r simResult) String() string {
	slices.Sort(r.pairs)
	sum := 0
	for _, p := range r.pairs {
		sum += p
	}
	return fmt.Sprintf(
		"regressed %5.1f%%  improved %4.1f%%  unchanged %5.1f%%  inconclusive %4.1f%%  pairs mean %4.1f median %2d p90 %2d max %2d",
		100*r.rate(
			Regressed,
		),
		100*r.rate(Improved),
		100*r.rate(Unchanged),
		100*r.rate(Inconclusive),
		float64(sum)/float64(r.runs),
		r.pairs[r.runs/2],
		r.pairs[r.runs*9/10],
		r.pairs[r.runs-1],
	)
}

// simulate runs the adaptive procedure runs times with the default plan
// and threshold, for one cell of a matrix of cells.
func simulate(seed uint64, nz noise, ratio float64, runs, cells int, opts ...Option) simResult {
	rng := rand.New(rand.NewPCG(seed, 0xbe7c))
	res := simResult{verdicts: map[Verdict]int{}, runs: runs}
	plan := DefaultPlan()
	plan.Cells = cells
	for range runs {
		seq := NewSequential(plan, DefaultThreshold, opts...)
		for k := seq.Next(); k > 0; k = seq.Next() {
			seq.Add(nz.pairs(rng, ratio, k)...)
		}
		res.verdicts[seq.Decision().Verdict]++
		res.pairs = append(res.pairs, len(seq.Pairs()))
	}
	return res
}

// TestSimulation checks the acceptance targets with DefaultPlan and
// DefaultThreshold: A/A false "regressed" ≤ 1%, a 10% slowdown (throughput
// ratio 1/1.1) detected ≥ 95%, a 5% slowdown (1/1.05) ≥ 80%, where each
// trial carries 3% CV of its own noise plus 3% shared with its pair partner.
// Harsher noise is checked for false alarms only. Run with -v for the table.
func TestSimulation(t *testing.T) {
	base := noise{cv: 0.03, shared: 0.03}
	tests := []struct {
		name      string
		nz        noise
		ratio     float64
		runs      int
		minDetect float64 // minimum rate of "regressed"; for A/A the maximum
		opts      []Option
		cells     int // of the matrix the cell is in; 0 is 1
		maxPairs  int // most pairs 95% of the runs may take; 0: any
	}{
		{"3% noise, A/A", base, 1, 2000, 0.01, nil, 0, 0},
		{"3% noise, 5% slower", base, 1 / 1.05, 1000, 0.80, nil, 0, 0},
		{"3% noise, 10% slower", base, 1 / 1.1, 1000, 0.95, nil, 0, 0},
		// A change of 3 × the threshold stops at the first look that can
		// reach significance: 10 pairs for a matrix of up to 5 cells.
		{"3% noise, 15% slower", base, 1 / 1.15, 1000, 0.95, nil, 1, 10},
		{"3% noise, 15% slower, 4 cells", base, 1 / 1.15, 1000, 0.95, nil, 4, 10},
		{"3% noise, 15% faster, 4 cells", base, 1.15, 1000, 0, nil, 4, 10},
		{"3% noise, A/A, 4 cells", base, 1, 2000, 0.01, nil, 4, 0},
		{"5% noise, 30% slower, 4 cells", noise{cv: 0.05, shared: 0.03}, 1 / 1.3, 1000, 0.95, nil, 4, 10},
		// Quiet loopback pairs (1% per trial): most A/A comparisons end at
		// the first look, 4 pairs, and a 5% slowdown does not pass it; the
		// few it leaves unchanged are shown inside the threshold by the
		// rank test at 20 pairs (1/1.05 is a 4.8% drop).
		{"1% noise, A/A", noise{cv: 0.01, shared: 0.03}, 1, 2000, 0.01, nil, 4, 0},
		{"1% noise, 5% slower", noise{cv: 0.01, shared: 0.03}, 1 / 1.05, 1000, 0.90, nil, 4, 0},
		// Harsher noise: false alarms are still checked; detection is
		// only reported (minDetect 0).
		{"5% noise, A/A", noise{cv: 0.05, shared: 0.03}, 1, 1000, 0.01, nil, 0, 0},
		{"5% noise, 5% slower", noise{cv: 0.05, shared: 0.03}, 1 / 1.05, 1000, 0, nil, 0, 0},
		{
			"3% noise + outliers, A/A",
			noise{cv: 0.03, shared: 0.03, outlier: 0.05},
			1,
			1000,
			0.01,
			nil, 0, 0,
		},
		{
			"3% noise + outliers, 5% slower",
			noise{cv: 0.03, shared: 0.03, outlier: 0.05},
			1 / 1.05,
			1000,
			0,
			nil, 0, 0,
		},
		// The alternative interval, for comparison.
		{
			"3% noise, A/A, bootstrap",
			base,
			1,
			1000,
			0.01,
			[]Option{WithBootstrap(400), WithSeed(1)}, 0, 0,
		},
		{
			"3% noise, 5% slower, bootstrap",
			base,
			1 / 1.05,
			1000,
			0,
			[]Option{WithBootstrap(400), WithSeed(1)}, 0, 0,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := simulate(uint64(i+1), tt.nz, tt.ratio, tt.runs, tt.cells, tt.opts...)
			reg := r.rate(Regressed)
			if tt.ratio == 1 {
				if reg > tt.minDetect {
					t.Errorf("false regressed %.2f%% > %.0f%%: %s", 100*reg, 100*tt.minDetect, r)
				}
			} else if reg < tt.minDetect {
				t.Errorf("detected %.1f%% < %.0f%%: %s", 100*reg, 100*tt.minDetect, r)
			}
			if tt.ratio > 1 && r.rate(Improved) < 0.95 {
				t.Errorf("improvement found %.1f%% < 95%%: %s", 100*r.rate(Improved), r)
			}
			if p95 := r.pairs[r.runs*95/100]; tt.maxPairs > 0 && p95 > tt.maxPairs {
				t.Errorf("95%% of runs took up to %d pairs, want ≤ %d: %s", p95, tt.maxPairs, r)
			}
			t.Logf("%-34s %s", tt.name, r)
		})
	}
}

// TestSimulationMatrix checks the overall verdict of a four-cell matrix,
// each cell with DefaultPlan told of the four: Holm over the cells'
// p-values at DefaultAlpha, as the comparison's overall verdict does. A/A,
// the matrix says regressed in at most 1% of runs; with one cell 15%
// slower, in at least 95%, that cell stopping at 10 pairs.
func TestSimulationMatrix(t *testing.T) {
	nz := noise{cv: 0.03, shared: 0.03}
	const cells = 4
	plan := DefaultPlan()
	plan.Cells = cells
	for _, tt := range []struct {
		name       string
		ratio      float64 // of the first cell; the others are unchanged
		runs       int
		min, max   float64 // bounds on the rate of an overall regressed
		firstPairs int     // most pairs the first cell may take, 0: any
	}{
		{"A/A", 1, 1000, 0, 0.01, 0},
		{"one cell 15% slower", 1 / 1.15, 500, 0.95, 1, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(len(tt.name)), 0x3a7))
			regressed, late := 0, 0
			for range tt.runs {
				ps := make([]float64, cells)
				changed := make([]bool, cells)
				for c := range cells {
					ratio := 1.0
					if c == 0 {
						ratio = tt.ratio
					}
					seq := NewSequential(plan, DefaultThreshold)
					for k := seq.Next(); k > 0; k = seq.Next() {
						seq.Add(nz.pairs(rng, ratio, k)...)
					}
					d := seq.Decision()
					ps[c], changed[c] = d.P, d.Verdict == Regressed
					if c == 0 && tt.firstPairs > 0 && d.N > tt.firstPairs {
						late++
					}
				}
				for c, p := range Holm(ps) {
					if changed[c] && p <= DefaultAlpha {
						regressed++
						break
					}
				}
			}
			rate := float64(regressed) / float64(tt.runs)
			if rate < tt.min || rate > tt.max {
				t.Errorf("overall regressed in %.1f%% of runs, want %.0f%%–%.0f%%", 100*rate, 100*tt.min, 100*tt.max)
			}
			if float64(late) > 0.05*float64(tt.runs) {
				t.Errorf("the changed cell took more than %d pairs in %d of %d runs", tt.firstPairs, late, tt.runs)
			}
			t.Logf("%s: overall regressed %.1f%%; changed cell past %d pairs in %d runs", tt.name, 100*rate, tt.firstPairs, late)
		})
	}
}
