package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSignedRankHand checks statistics and exact p-values worked by hand:
// for 8 distinct |d|, the 2⁸ = 256 sign patterns give P(T ≤ 0) = 1/256,
// P(T ≤ 1) = 2/256 and P(T ≤ 6) = 14/256 (partitions of 0…6 into distinct
// parts ≤ 8: 1, 1, 1, 2, 2, 3, 4).
func TestSignedRankHand(t *testing.T) {
	tests := []struct {
		name  string
		d     []float64
		n     int
		tplus float64
		p     float64
	}{
		{"all positive", []float64{1, 2, 3, 4, 5, 6, 7, 8}, 8, 36, 2.0 / 256},
		{"all negative", []float64{-1, -2, -3, -4, -5, -6, -7, -8}, 8, 0, 2.0 / 256},
		{"smallest negative", []float64{-1, 2, 3, 4, 5, 6, 7, 8}, 8, 35, 4.0 / 256},
		{"T- = 6", []float64{1, -2, 3, -4, 5, 6, 7, 8}, 8, 30, 28.0 / 256},
		{"zeros dropped", []float64{0, 0, -1, 2, 3, 4, 5, 6, 7, 8}, 8, 35, 4.0 / 256},
		{"scale free", []float64{-0.01, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8}, 8, 35, 4.0 / 256},
		// |d| = 1,1,1,2: doubled mid-ranks 4,4,4,8; doubled T+ = 16, and
		// P(doubled T+ ≥ 16) = 4/16 over the 16 sign patterns.
		{"ties", []float64{1, 1, -1, 2}, 4, 8, 0.5},
		{"all zero", []float64{0, 0, 0}, 0, 0, 1},
		{"symmetric", []float64{-1, 1}, 2, 1.5, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SignedRank(tt.d)
			if err != nil {
				t.Fatal(err)
			}
			if got.N != tt.n || got.TPlus != tt.tplus || !near(got.P, tt.p, 1e-12) || !got.Exact {
				t.Errorf(
					"SignedRank(%v) = %+v, want N %d T+ %v P %v exact",
					tt.d,
					got,
					tt.n,
					tt.tplus,
					tt.p,
				)
			}
		})
	}
	if _, err := SignedRank(nil); err != ErrNoData {
		t.Errorf("empty: err = %v, want ErrNoData", err)
	}
	if _, err := SignedRank([]float64{1, math.NaN()}); err != ErrNaN {
		t.Errorf("NaN: err = %v, want ErrNaN", err)
	}
	inf, _ := SignedRank([]float64{math.Inf(-1), 1, 2, 3, 4, 5, 6, 7})
	fin, _ := SignedRank([]float64{-8, 1, 2, 3, 4, 5, 6, 7})
	if inf != fin {
		t.Errorf("an infinite difference should take the largest rank: %+v, want %+v", inf, fin)
	}
}

// TestSignedRankCriticalValues checks the largest T with two-sided
// p ≤ α against the table of critical values of the Wilcoxon signed-rank
// test (e.g. Siegel & Castellan, Nonparametric Statistics, table H);
// "-1" is "no value": too few pairs.
func TestSignedRankCriticalValues(t *testing.T) {
	table := map[float64][]int{ // n = 5 … 15
		0.05: {-1, 0, 2, 3, 5, 8, 10, 13, 17, 21, 25},
		0.01: {-1, -1, -1, 0, 1, 3, 5, 7, 9, 12, 15},
	}
	for alpha, crit := range table {
		for i, want := range crit {
			n := 5 + i
			c, conf := signedRankCritical(n, alpha)
			if c-1 != want {
				t.Errorf("n=%d alpha=%v: critical T = %d, want %d", n, alpha, c-1, want)
			}
			if c >= 1 && conf < 1-alpha {
				t.Errorf("n=%d alpha=%v: achieved confidence %v < %v", n, alpha, conf, 1-alpha)
			}
			// The test must agree: T− = want rejects, want+1 does not.
			for tm, reject := range map[int]bool{want: true, want + 1: false} {
				if tm < 0 {
					continue
				}
				d := signedDiffs(n, tm)
				r, _ := SignedRank(d)
				if (r.P <= alpha) != reject {
					t.Errorf(
						"n=%d T-=%d: p = %v, reject at %v should be %v",
						n,
						tm,
						r.P,
						alpha,
						reject,
					)
				}
			}
		}
	}
}

// signedDiffs returns 1…n with negative signs on ranks summing to tminus.
func signedDiffs(n, tminus int) []float64 {
	d := make([]float64, n)
	for i := range d {
		d[i] = float64(i + 1)
	}
	for r := n; r >= 1 && tminus > 0; r-- {
		if r <= tminus {
			d[r-1] = -d[r-1]
			tminus -= r
		}
	}
	return d
}

// TestSignedRankBruteForce checks the exact p-value, ties included, against
// enumerating all 2ⁿ sign patterns of the mid-ranks.
func TestSignedRankBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for range 200 {
		n := 1 + rng.IntN(12)
		d := make([]float64, n)
		for i := range d {
			d[i] = float64(rng.IntN(9) - 4) // ties and zeros
		}
		got, err := SignedRank(d)
		if err != nil {
			t.Fatal(err)
		}
		var nz []float64
		for _, x := range d {
			if x != 0 {
				nz = append(nz, x)
			}
		}
		if len(nz) == 0 {
			continue
		}
		abs := make([]float64, len(nz))
		for i, x := range nz {
			abs[i] = math.Abs(x)
		}
		r2, _ := doubledRanks(abs)
		obs := 0
		for i, x := range nz {
			if x > 0 {
				obs += r2[i]
			}
		}
		lo, hi, total := 0, 0, 1<<len(nz)
		for mask := range total {
			s := 0
			for i := range nz {
				if mask>>i&1 == 1 {
					s += r2[i]
				}
			}
			if s <= obs {
				lo++
			}
			if s >= obs {
				hi++
			}
		}
		want := min(1, 2*float64(min(lo, hi))/float64(total))
		if !near(got.P, want, 1e-12) {
			t.Errorf("SignedRank(%v).P = %v, brute force %v", d, got.P, want)
		}
	}
}

func TestSignedRankNormal(t *testing.T) {
	// 60 pairs, beyond the exact limit; T+ at its mean gives p = 1, and
	// the normal approximation agrees with the exact tail nearby.
	d := make([]float64, 60)
	for i := range d {
		d[i] = float64(i + 1)
		if i%2 == 0 {
			d[i] = -d[i]
		}
	}
	r, _ := SignedRank(d)
	if r.Exact || r.N != 60 || r.P < 0.8 {
		t.Errorf("alternating signs: %+v, want an inexact p near 1", r)
	}
	// Compare approximation with the exact distribution at n = 50 (the
	// limit) for T− = 350: both must be close.
	d50 := signedDiffs(50, 350)
	exact, _ := SignedRank(d50)
	fn := 50.0
	approx := normalTwoSided(exact.TPlus, fn*(fn+1)/4, fn*(fn+1)*(2*fn+1)/24)
	if !exact.Exact || math.Abs(exact.P-approx) > 0.002 {
		t.Errorf("n=50: exact p %v, normal approximation %v", exact.P, approx)
	}
}

// TestMannWhitneyHand checks against go-moremath's TestMannWhitneyUTest
// (the U test benchmath uses) and hand computation.
func TestMannWhitneyHand(t *testing.T) {
	s1 := []float64{2, 1, 3, 5}
	tests := []struct {
		name string
		x, y []float64
		u, p float64
	}{
		// Separated samples: 2 of the C(8,4) = 70 splits are as extreme.
		{"separated", s1, []float64{12, 11, 13, 15}, 0, 2.0 / 70},
		{"separated reversed", []float64{12, 11, 13, 15}, s1, 16, 2.0 / 70},
		{"interleaved", s1, []float64{0, 4, 6, 7}, 5, 34.0 / 70},
		{"same", s1, s1, 8, 1},
		// moremath: U = 6 (the smaller), p = 0.7142857142857143.
		{"ties", s1, []float64{2, 2, 2, 2}, 10, 0.7142857142857143},
		// Mid-ranks 3.5 (six 1s), 7, 8, 9: rank sum of s1 is 27.5, and of
		// the C(9,4) = 126 choices of four ranks only the 6 holding 7, 8,
		// 9 reach it: p = 2·6/126. (moremath's test lists P = 0 for this
		// case, which is no p-value of this data.)
		{"many ties", s1, []float64{1, 1, 1, 1, 1}, 17.5, 12.0 / 126},
		{"all equal", []float64{2, 2}, []float64{2, 2, 2}, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MannWhitney(tt.x, tt.y)
			if err != nil {
				t.Fatal(err)
			}
			if got.U != tt.u || !near(got.P, tt.p, 1e-12) || !got.Exact {
				t.Errorf("MannWhitney = %+v, want U %v P %v exact", got, tt.u, tt.p)
			}
		})
	}
	if _, err := MannWhitney(nil, s1); err != ErrNoData {
		t.Errorf("empty: err = %v", err)
	}
	if _, err := MannWhitney(s1, []float64{math.NaN()}); err != ErrNaN {
		t.Errorf("NaN: err = %v", err)
	}
}

// TestMannWhitneyLarge checks the normal approximation against R's
// wilcox.test, as recorded in go-moremath's TestMannWhitneyUTest:
// l1 <- seq(0, 499)*2; l2 <- seq(0, 599)*2-41; l3 <- l2; l3[1:30] <- l1[1:30].
func TestMannWhitneyLarge(t *testing.T) {
	l1 := make([]float64, 500)
	for i := range l1 {
		l1[i] = float64(i * 2)
	}
	l2 := make([]float64, 600)
	for i := range l2 {
		l2[i] = float64(i*2 - 41)
	}
	l3 := slices.Clone(l2)
	copy(l3, l1[:30])
	for _, tt := range []struct {
		name   string
		x, y   []float64
		minU   float64
		wantP  float64
		approx bool
	}{
		{"l1 l2", l1, l2, 135250, 0.0049335360814172224, true},
		{"l1 l1", l1, l1, 125000, 1, true},
		{"l1 l3 (ties)", l1, l3, 134845, 0.0038703814239617884, true},
	} {
		got, _ := MannWhitney(tt.x, tt.y)
		u := min(got.U, float64(got.N1*got.N2)-got.U)
		if u != tt.minU || !near(got.P, tt.wantP, 1e-9) || got.Exact == tt.approx {
			t.Errorf("%s: %+v (min U %v), want min U %v P %v", tt.name, got, u, tt.minU, tt.wantP)
		}
	}
}

// TestRankSumCriticalValues checks the largest U with two-sided p ≤ 0.05
// against the Mann-Whitney table of critical values (e.g. Siegel &
// Castellan, table J).
func TestRankSumCriticalValues(t *testing.T) {
	table := []struct{ m, n, u int }{
		{5, 5, 2}, {5, 6, 3}, {5, 7, 5}, {5, 8, 6},
		{6, 6, 5}, {6, 7, 6}, {6, 8, 8},
		{7, 7, 8}, {7, 8, 10}, {8, 8, 13},
		{3, 3, -1}, {4, 4, 0},
	}
	for _, tt := range table {
		c, _ := rankSumCritical(tt.m, tt.n, 0.05)
		if c-1 != tt.u {
			t.Errorf("%d×%d: critical U = %d, want %d", tt.m, tt.n, c-1, tt.u)
		}
		if c2, _ := rankSumCritical(tt.n, tt.m, 0.05); c2 != c {
			t.Errorf("%d×%d: not symmetric", tt.m, tt.n)
		}
	}
}

// TestMannWhitneyBruteForce checks the exact p-value, ties included,
// against enumerating every split of the pooled mid-ranks.
func TestMannWhitneyBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for range 100 {
		n1, n2 := 1+rng.IntN(6), 1+rng.IntN(6)
		x, y := make([]float64, n1), make([]float64, n2)
		for i := range x {
			x[i] = float64(rng.IntN(5))
		}
		for i := range y {
			y[i] = float64(rng.IntN(5))
		}
		got, err := MannWhitney(x, y)
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := doubledRanks(slices.Concat(x, y))
		obs := 0
		for _, r := range r2[:n1] {
			obs += r
		}
		lo, hi, total := 0, 0, 0
		for mask := range 1 << (n1 + n2) {
			if popcount(mask) != n1 {
				continue
			}
			s := 0
			for i := range r2 {
				if mask>>i&1 == 1 {
					s += r2[i]
				}
			}
			total++
			if s <= obs {
				lo++
			}
			if s >= obs {
				hi++
			}
		}
		want := min(1, 2*float64(min(lo, hi))/float64(total))
		if !near(got.P, want, 1e-12) {
			t.Errorf("MannWhitney(%v, %v).P = %v, brute force %v", x, y, got.P, want)
		}
	}
}

func popcount(m int) int {
	c := 0
	for ; m != 0; m &= m - 1 {
		c++
	}
	return c
}

// TestWalshAndShift checks the selection of Walsh averages and pairwise
// differences against sorting all of them.
func TestWalshAndShift(t *testing.T) {
	if got := hodgesLehmann([]float64{1, 2, 3}); got != 2 {
		t.Errorf("HL(1,2,3) = %v, want 2", got)
	}
	if got := shiftEstimate([]float64{1, 2, 3}, []float64{4, 5, 6}); got != 3 {
		t.Errorf("shift = %v, want 3", got)
	}
	// 1…8 at 95%: c = 4 (critical T = 3), and the 4th smallest Walsh
	// average is 2 ((1+1)/2, (1+2)/2, (2+2)/2, (1+3)/2): the interval is
	// [2, 7] with coverage 1 − 2·5/256.
	d := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	c, conf := signedRankCritical(8, 0.05)
	if lo, hi := walshKth(d, c), walshKth(d, 36+1-c); c != 4 || lo != 2 || hi != 7 ||
		!near(conf, 1-10.0/256, 1e-12) {
		t.Errorf(
			"1…8 at 95%%: c=%d [%v, %v] @ %v, want c=4 [2, 7] @ %v",
			c,
			lo,
			hi,
			conf,
			1-10.0/256,
		)
	}

	rng := rand.New(rand.NewPCG(3, 3))
	for range 200 {
		n, m := 1+rng.IntN(15), 1+rng.IntN(15)
		x, y := make([]float64, n), make([]float64, m)
		for i := range x {
			x[i] = math.Round(rng.NormFloat64()*40) / 16 // ties
		}
		for i := range y {
			y[i] = rng.NormFloat64() * 1e-3
		}
		slices.Sort(x)
		slices.Sort(y)
		var walsh, diffs []float64
		for i := range x {
			for j := i; j < n; j++ {
				walsh = append(walsh, (x[i]+x[j])/2)
			}
			for _, yj := range y {
				diffs = append(diffs, yj-x[i])
			}
		}
		slices.Sort(walsh)
		slices.Sort(diffs)
		for k := 1; k <= len(walsh); k++ {
			if got := walshKth(x, k); got != walsh[k-1] {
				t.Fatalf("walshKth(%v, %d) = %v, want %v", x, k, got, walsh[k-1])
			}
		}
		for k := 1; k <= len(diffs); k++ {
			if got := diffKth(x, y, k); got != diffs[k-1] {
				t.Fatalf("diffKth(%d) = %v, want %v", k, got, diffs[k-1])
			}
		}
	}
}

func TestOrderedKey(t *testing.T) {
	vals := []float64{
		math.Inf(-1),
		-math.MaxFloat64,
		-1,
		-math.SmallestNonzeroFloat64,
		math.Copysign(0, -1),
		0,
		math.SmallestNonzeroFloat64,
		1,
		math.MaxFloat64,
		math.Inf(1),
	}
	for i, v := range vals {
		if back := fromOrderedKey(orderedKey(v)); math.Float64bits(back) != math.Float64bits(v) {
			t.Errorf("round trip of %v gave %v", v, back)
		}
		if i > 0 && orderedKey(vals[i-1]) >= orderedKey(v) {
			t.Errorf("key of %v not below key of %v", vals[i-1], v)
		}
	}
}
