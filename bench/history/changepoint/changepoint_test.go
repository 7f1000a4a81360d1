package changepoint

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
)

var runs = flag.Int("runs", 0, "seeded runs per case in TestRates (0: 400)")

// series is n values around mu with CV cv, multiplied by ratio from index
// at on (at ≥ n: no change).
func series(rng *rand.Rand, n, at int, mu, cv, ratio float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		m := mu
		if i >= at {
			m *= ratio
		}
		xs[i] = m * (1 + cv*rng.NormFloat64())
	}
	return xs
}

type rates struct {
	runs     int
	within1  int // runs with a change point at the step ± 1
	exact    int // … exactly at the step
	none     int // runs without any change point
	spurious int // runs with a change point away from the step (± 1)
}

func (r rates) String() string {
	return fmt.Sprintf(
		"at step±1 %s, exactly %s, none %s, spurious %s (%d runs)",
		pct(
			r.within1,
			r.runs,
		),
		pct(r.exact, r.runs),
		pct(r.none, r.runs),
		pct(r.spurious, r.runs),
		r.runs,
	)
}

func pct(k, n int) string { return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n)) }

// measure runs Detect on seeded series with a step at index at (none when
// at ≥ n), spread over the CPUs.
func measure(seed uint64, nRuns, n, at int, ratio, cv float64) rates {
	found := make([][]Change, nRuns)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rng := rand.New(rand.NewPCG(seed, uint64(i)))
				found[i] = Detect(series(rng, n, at, 100, cv, ratio), Options{Seed: uint64(i)})
			}
		}()
	}
	for i := range nRuns {
		next <- i
	}
	close(next)
	wg.Wait()

	r := rates{runs: nRuns}
	for _, cps := range found {
		if len(cps) == 0 {
			r.none++
		}
		hit, exact, spurious := false, false, false
		for _, c := range cps {
			switch {
			case c.Index == at:
				exact, hit = true, true
			case c.Index >= at-1 && c.Index <= at+1:
				hit = true
			default:
				spurious = true
			}
		}
		r.within1 += b2i(hit)
		r.exact += b2i(exact)
		r.spurious += b2i(spurious)
	}
	return r
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestRates is the acceptance test: a 5% drop after value 30 of 60 at
// CV 2% is found at 30 ± 1 in at least 95% of seeded runs, and a flat
// series yields no change point in at least 99%. -v prints the rates;
// -args -runs 1000 measures them on more runs (the package documentation
// quotes 1000).
func TestRates(t *testing.T) {
	t.Parallel()
	stepRuns, flatRuns := 400, 400
	if *runs > 0 {
		stepRuns, flatRuns = *runs, *runs
	}
	step := measure(1, stepRuns, 60, 30, 0.95, 0.02)
	t.Logf("5%% drop after 30 of 60, CV 2%%: %v", step)
	if step.within1*100 < 95*step.runs {
		t.Errorf("5%% drop found at 30±1 in %s of runs, want ≥ 95%%", pct(step.within1, step.runs))
	}
	flat := measure(2, flatRuns, 60, 60, 1, 0.02)
	t.Logf("flat, 60 values, CV 2%%: %v", flat)
	if flat.none*100 < 99*flat.runs {
		t.Errorf(
			"flat series: no change point in %s of runs, want ≥ 99%%",
			pct(flat.none, flat.runs),
		)
	}
}

func TestDetect(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(7, 7))
	noisy := func(levels ...float64) []float64 { // 20 values per level, CV 1%
		var xs []float64
		for _, l := range levels {
			for range 20 {
				xs = append(xs, l*(1+0.01*rng.NormFloat64()))
			}
		}
		return xs
	}
	outlier := noisy(100, 100)
	outlier[25] = 60 // one broken run is not a change
	tests := []struct {
		name string
		xs   []float64
		want []int
	}{
		{"empty", nil, nil},
		{"too short", []float64{1, 2, 3, 4, 5}, nil},
		{"constant", []float64{5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, nil},
		{"exact step", []float64{5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7}, []int{6}},
		{"two steps", noisy(100, 90, 100), []int{20, 40}},
		{"drop then partial recovery", noisy(100, 80, 90), []int{20, 40}},
		{"one outlier", outlier, nil},
		{"step at the last 3", append(noisy(100, 100)[:37], 80, 80.5, 79.5), []int{37}},
		// Found with a split three values from the end, placed where it is.
		{"step at the last 2", append(noisy(100, 100)[:38], 80, 80.5), []int{38}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			for _, c := range Detect(tt.xs, Options{}) {
				got = append(got, c.Index)
				if c.First > c.Index || c.Last < c.Index {
					t.Errorf(
						"change at %d: range [%d, %d] does not hold it",
						c.Index,
						c.First,
						c.Last,
					)
				}
				if !(c.PValue > 0 && c.PValue <= DefaultAlpha) {
					t.Errorf(
						"change at %d: p-value %v, want in (0, %v]",
						c.Index,
						c.PValue,
						DefaultAlpha,
					)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Detect = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDetectMedians(t *testing.T) {
	xs := []float64{10, 11, 10, 9, 10, 10, 5, 5, 6, 4, 5, 5}
	cps := Detect(xs, Options{})
	if len(cps) != 1 {
		t.Fatalf("Detect = %+v, want one change", cps)
	}
	c := cps[0]
	if c.Index != 6 || c.Before != 10 || c.After != 5 || c.Ratio() != 0.5 {
		t.Errorf("change = %+v (ratio %v), want index 6, 10 → 5, ratio 0.5", c, c.Ratio())
	}
}

// The same series and seed give the same answer; the seed matters only
// for borderline p-values.
func TestDetectReproducible(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	xs := series(rng, 60, 30, 100, 0.02, 0.97)
	a := Detect(xs, Options{Seed: 42})
	b := Detect(xs, Options{Seed: 42})
	if !slices.Equal(a, b) {
		t.Errorf("two runs with seed 42 differ: %+v and %+v", a, b)
	}
}

func TestOptions(t *testing.T) {
	xs := []float64{5, 5, 5, 5, 5, 5, 7, 7, 7, 7, 7, 7}
	// 9 permutations cannot reach p ≤ 0.005.
	if got := Detect(xs, Options{Permutations: 9}); len(got) != 0 {
		t.Errorf("9 permutations at α 0.005 found %+v, want nothing", got)
	}
	if got := Detect(xs, Options{Permutations: 9, Alpha: 0.1}); len(got) != 1 {
		t.Errorf("9 permutations at α 0.1 found %+v, want one change", got)
	}
	if got := Detect(xs, Options{MinSize: 7}); len(got) != 0 {
		t.Errorf("segments of 7 in 12 values found %+v, want nothing", got)
	}
	steps := []float64{1, 1, 1, 1, 5, 5, 5, 5, 9, 9, 9, 9}
	if got := Detect(steps, Options{Alpha: 0.05}); len(got) != 2 {
		t.Errorf("two steps found %+v, want two changes", got)
	}
	if got := Detect(steps, Options{MaxChanges: 1, Alpha: 0.05}); len(got) != 1 {
		t.Errorf("MaxChanges 1 found %+v, want one change", got)
	}
}

func BenchmarkDetect(b *testing.B) {
	for _, tc := range []struct {
		name  string
		n, at int
	}{{"flat60", 60, 60}, {"step60", 60, 30}, {"step500", 500, 250}} {
		b.Run(tc.name, func(b *testing.B) {
			xs := series(rand.New(rand.NewPCG(1, 1)), tc.n, tc.at, 100, 0.02, 0.95)
			for range b.N {
				Detect(xs, Options{})
			}
		})
	}
}

// naiveSplit is bestSplit by definition, O(m²) per split.
func naiveSplit(xs []float64, idx []int, minSize int) (int, float64) {
	tau, q := -1, math.Inf(-1)
	m := len(idx)
	for t := minSize; t <= m-minSize; t++ {
		var bxy, bx, by float64
		for _, i := range idx[:t] {
			for _, j := range idx[t:] {
				bxy += math.Abs(xs[i] - xs[j])
			}
			for _, j := range idx[:t] {
				bx += math.Abs(xs[i] - xs[j])
			}
		}
		for _, i := range idx[t:] {
			for _, j := range idx[t:] {
				by += math.Abs(xs[i] - xs[j])
			}
		}
		nx, ny := float64(t), float64(m-t)
		e := 2*bxy/(nx*ny) - bx/(nx*nx) - by/(ny*ny)
		if v := nx * ny / (nx + ny) * e; v > q {
			tau, q = t, v
		}
	}
	if tau < 0 {
		return -1, 0
	}
	return tau, q
}

func TestBestSplitMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := range 200 {
		n := 6 + rng.IntN(40)
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = math.Round(rng.NormFloat64()*3) + float64(i/10) // ties and levels
		}
		a := rng.IntN(n / 3)
		b := n - rng.IntN(n/3)
		e := newEnergy(xs)
		e.segment(a, b)
		idx := make([]int, b-a)
		for j := range idx {
			idx[j] = a + j
		}
		rng.Shuffle(len(idx), func(x, y int) { idx[x], idx[y] = idx[y], idx[x] })
		gotT, gotQ := e.bestSplit(idx, 3)
		wantT, wantQ := naiveSplit(xs, idx, 3)
		if gotT != wantT || math.Abs(gotQ-wantQ) > 1e-9*max(1, math.Abs(wantQ)) {
			t.Fatalf(
				"trial %d: bestSplit = %d, %v; by definition %d, %v",
				trial,
				gotT,
				gotQ,
				wantT,
				wantQ,
			)
		}
	}
}
