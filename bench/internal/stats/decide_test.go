package stats

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// pairsOf makes n pairs with base 100 and head 100·ratio, each times a
// fixed, symmetric ±spread pattern so that the data have spread but no
// randomness.
func pairsOf(n int, ratio, spread float64) []Pair {
	ps := make([]Pair, n)
	for i := range ps {
		// Deterministic jitter in [-spread, spread], different per pair.
		j := spread * (2*float64((i*7)%n)/float64(max(n-1, 1)) - 1)
		ps[i] = Pair{Base: 100, Head: 100 * ratio * (1 + j)}
	}
	return ps
}

func TestDecidePaired(t *testing.T) {
	tests := []struct {
		name    string
		pairs   []Pair
		verdict Verdict
		warn    string
	}{
		{"10% slower", pairsOf(10, 0.9, 0.02), Regressed, ""},
		{"10% faster", pairsOf(10, 1.1, 0.02), Improved, ""},
		{"same", pairsOf(20, 1, 0.01), Unchanged, ""},
		// Significant but provably small: [0.97, 0.99] is inside ±5%.
		{"2% slower, tight", pairsOf(20, 0.98, 0.005), Unchanged, ""},
		{"too noisy", pairsOf(10, 1, 0.2), Inconclusive, ""},
		{"too few pairs", pairsOf(7, 0.5, 0.01), Inconclusive, "need ≥ 8 pairs"},
		// From 4 pairs, every pair within half the threshold (±2.5%) is
		// unchanged (sign test); a change needs 8.
		{"6 pairs, all within 2.5%", pairsOf(6, 1, 0.02), Unchanged, ""},
		{"4 pairs, all within 2.5%", pairsOf(4, 1, 0.02), Unchanged, ""},
		{"3 pairs, all within 2.5%", pairsOf(3, 1, 0.01), Inconclusive, "need ≥ 8 pairs"},
		{
			"6 pairs, one beyond 2.5%",
			append(pairsOf(5, 1, 0.01), Pair{100, 97.4}),
			Inconclusive,
			"need ≥ 8 pairs",
		},
		// From 7 pairs one pair on each side may lie beyond: the interval
		// between the 2nd smallest and 2nd largest is as sure (87.5%) as
		// 4 pairs' range.
		{
			"7 pairs, one beyond 2.5%",
			append(pairsOf(6, 1, 0.01), Pair{100, 97}),
			Unchanged,
			"",
		},
		{
			"7 pairs, one beyond 2.5% on each side",
			append(pairsOf(5, 1, 0.01), Pair{100, 97}, Pair{100, 103}),
			Unchanged,
			"",
		},
		{
			"7 pairs, two beyond 2.5% on one side",
			append(pairsOf(5, 1, 0.01), Pair{100, 97}, Pair{100, 96}),
			Inconclusive,
			"need ≥ 8 pairs",
		},
		// A change just inside the threshold is not waved through: it
		// goes on to the rank test.
		{"6 pairs, 4.5% slower", pairsOf(6, 0.955, 0.005), Inconclusive, "need ≥ 8 pairs"},
		{"6 pairs, 10% slower", pairsOf(6, 0.9, 0.02), Inconclusive, "need ≥ 8 pairs"},
		{"no pairs", nil, Inconclusive, "no usable pairs"},
		{
			"head served nothing",
			[]Pair{{100, 0}, {101, 0}, {99, 0}, {100, 0}, {102, 0}, {98, 0}, {100, 0}, {100, 0}},
			Regressed,
			"counted as a 1000× change",
		},
		{
			"both zero",
			append(pairsOf(10, 0.9, 0.02), Pair{0, 0}),
			Regressed,
			"zero throughput on both sides",
		},
		{
			"NaN and negative",
			append(pairsOf(10, 0.9, 0.02), Pair{math.NaN(), 1}, Pair{1, math.Inf(1)}, Pair{-1, 1}),
			Regressed,
			"3 pair(s) with a NaN",
		},
		{
			"identical",
			[]Pair{{5, 5}, {5, 5}, {5, 5}, {5, 5}, {5, 5}, {5, 5}, {5, 5}, {5, 5}},
			Unchanged,
			"",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecidePaired(tt.pairs, DefaultThreshold)
			if d.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s: %+v", d.Verdict, tt.verdict, d)
			}
			if tt.warn != "" && !strings.Contains(strings.Join(d.Warnings, "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", d.Warnings, tt.warn)
			}
			checkDecision(t, d)
		})
	}
}

func TestDecidePairedNumbers(t *testing.T) {
	// Log ratios ln(0.9) + 0.01·{…}: the Hodges-Lehmann estimate of a
	// symmetric sample is its centre, so Ratio = 0.9 exactly up to rounding.
	d := DecidePaired(pairsOf(11, 0.9, 0.02), DefaultThreshold)
	if !near(d.Ratio, 0.9, 2e-3) || d.N != 11 || d.P > 0.001 || d.Confidence < 0.99 {
		t.Errorf("%+v", d)
	}
	if !strings.Contains(d.Method, "signed-rank test (exact)") ||
		!strings.Contains(d.Method, "99% interval") {
		t.Errorf("method %q", d.Method)
	}
	// The MDE shrinks with more pairs at the same noise.
	small := DecidePaired(pairsOf(10, 1, 0.05), DefaultThreshold)
	large := DecidePaired(pairsOf(40, 1, 0.05), DefaultThreshold)
	if !(large.MDE < small.MDE && small.MDE < 1 && large.MDE > 0) {
		t.Errorf("MDE: 10 pairs %v, 40 pairs %v", small.MDE, large.MDE)
	}
	if d := DecidePaired(pairsOf(5, 1, 0.05), DefaultThreshold); d.MDE != 1 {
		t.Errorf("5 pairs: MDE %v, want 1 (nothing detectable)", d.MDE)
	}
	// A bad threshold falls back to the default, with a warning.
	d = DecidePaired(pairsOf(10, 0.9, 0.02), math.NaN())
	if d.Verdict != Regressed || len(d.Warnings) != 1 ||
		!strings.Contains(d.Warnings[0], "threshold NaN") {
		t.Errorf("NaN threshold: %+v", d)
	}
	// Threshold 0 is pure significance: a 2% drop with a tight interval
	// is then a regression.
	if d := DecidePaired(pairsOf(20, 0.98, 0.005), 0); d.Verdict != Regressed {
		t.Errorf("threshold 0: %+v", d)
	}
	// Options: alpha 0.05 needs only 6 pairs.
	if d := DecidePaired(pairsOf(6, 0.8, 0.01), DefaultThreshold, WithAlpha(0.05)); d.Verdict != Regressed ||
		!near(d.P, 2.0/64, 1e-12) {
		t.Errorf("alpha 0.05, 6 pairs: %+v", d)
	}
	b1 := DecidePaired(pairsOf(12, 0.9, 0.03), DefaultThreshold, WithBootstrap(500), WithSeed(7))
	b2 := DecidePaired(pairsOf(12, 0.9, 0.03), DefaultThreshold, WithBootstrap(500), WithSeed(7))
	if b1.Verdict != Regressed || b1.Low != b2.Low || b1.High != b2.High ||
		!strings.Contains(b1.Method, "bootstrap") {
		t.Errorf("bootstrap: %+v vs %+v", b1, b2)
	}
}

// TestDecideConsistency checks that with the rank interval "interval
// excludes 1" and "p ≤ alpha" agree (no ties, no zeros).
func TestDecideConsistency(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for range 2000 {
		n := 8 + rng.IntN(40)
		ratio := 1 + 0.03*rng.NormFloat64()
		ps := make([]Pair, n)
		for i := range ps {
			ps[i] = Pair{
				Base: 100 * (1 + 0.03*rng.NormFloat64()),
				Head: 100 * ratio * (1 + 0.03*rng.NormFloat64()),
			}
		}
		d := DecidePaired(ps, DefaultThreshold)
		excludes := d.High < 1 || d.Low > 1
		if excludes != (d.P <= DefaultAlpha) && n <= exactMax {
			t.Fatalf("n=%d: interval [%v, %v] but p = %v", n, d.Low, d.High, d.P)
		}
		checkDecision(t, d)
	}
}

func TestDecideUnpaired(t *testing.T) {
	base := []float64{100, 101, 99, 102, 98, 100, 101, 99, 100, 100}
	scale := func(xs []float64, r float64) []float64 {
		out := make([]float64, len(xs))
		for i, x := range xs {
			out[i] = x * r
		}
		return out
	}
	tests := []struct {
		name       string
		base, head []float64
		verdict    Verdict
	}{
		{"10% slower", base, scale(base, 0.9), Regressed},
		{"10% faster", base, scale(base, 1.1), Improved},
		{"same", base, scale(base, 1.001), Unchanged},
		{"too few", base[:3], scale(base[:3], 0.5), Inconclusive},
		{"empty head", base, nil, Inconclusive},
		{"head served nothing", base, make([]float64, 10), Regressed},
		{"all zero", make([]float64, 5), make([]float64, 5), Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DecideUnpaired(tt.base, tt.head, DefaultThreshold)
			if d.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s: %+v", d.Verdict, tt.verdict, d)
			}
			checkDecision(t, d)
		})
	}
	// The shift of samples that differ by exactly 10% is exactly 0.9, and
	// the exact test of two separated samples of 10 has p = 2/C(20,10).
	d := DecideUnpaired(base, scale(base, 0.9), DefaultThreshold)
	if !near(d.Ratio, 0.9, 1e-12) || !near(d.P, 2/184756.0, 1e-12) || d.N != 10 ||
		!strings.Contains(d.Method, "unpaired") {
		t.Errorf("%+v", d)
	}
}

// checkDecision asserts the invariants every Decision keeps.
func checkDecision(t *testing.T, d Decision) {
	t.Helper()
	for name, v := range map[string]float64{"Ratio": d.Ratio, "Low": d.Low, "High": d.High, "P": d.P, "MDE": d.MDE, "Confidence": d.Confidence} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("%s = %v: %+v", name, v, d)
		}
	}
	if d.P < 0 || d.P > 1 || d.MDE < 0 || d.MDE > 1 || d.Confidence < 0 || d.Confidence > 1 {
		t.Fatalf("out of range: %+v", d)
	}
	switch d.Verdict {
	case Regressed, Improved, Unchanged, Inconclusive:
	default:
		t.Fatalf("verdict %q", d.Verdict)
	}
	if d.N == 0 {
		if d.Ratio != 0 || d.Verdict != Inconclusive {
			t.Fatalf("no data but %+v", d)
		}
		return
	}
	if !(d.Low > 0 && d.Low <= d.Ratio && d.Ratio <= d.High && d.High <= MaxRatio && d.Low >= 1.0/MaxRatio*(1-1e-12)) {
		t.Fatalf("interval: %+v", d)
	}
	if d.Method == "" {
		t.Fatalf("no method: %+v", d)
	}
}

func TestSequential(t *testing.T) {
	t.Run("regression confirmed", func(t *testing.T) {
		// 9% to 1% slower: past the threshold, but not wholly.
		s := NewSequential(DefaultPlan(), DefaultThreshold)
		if k := s.Next(); k != 4 {
			t.Fatalf("first Next = %d, want 4", k)
		}
		s.Add(pairsOf(4, 0.95, 0.04)...)
		if k := s.Next(); k != 3 {
			t.Fatalf("4 pairs cannot show a change: Next = %d, want 3", k)
		}
		s.Add(pairsOf(3, 0.95, 0.04)...)
		if k := s.Next(); k != 3 {
			t.Fatalf("7 pairs cannot show a change: Next = %d, want 3", k)
		}
		s.Add(pairsOf(3, 0.95, 0.04)...)
		if k := s.Next(); k != 10 {
			t.Fatalf("after a regressed look Next = %d, want 10 to confirm: %+v", k, s.Decision())
		}
		s.Add(pairsOf(10, 0.95, 0.04)...)
		if k := s.Next(); k != 0 || !s.Done() || s.Decision().Verdict != Regressed ||
			s.Decision().N != 20 {
			t.Fatalf("after confirming: Next %d, %+v", k, s.Decision())
		}
	})
	t.Run("large change at the first look that can reach significance", func(t *testing.T) {
		for _, tc := range []struct {
			cells, pairs int
			ratio        float64
			verdict      Verdict
		}{
			{1, 10, 0.85, Regressed},
			{4, 10, 0.85, Regressed},
			{4, 10, 1.2, Improved},
			{5, 10, 0.7, Regressed},
			// p = 2/1024 at 10 pairs is not below 1% ÷ 6: the first look
			// that can reach it is at 14.
			{6, 14, 0.85, Regressed},
		} {
			s := NewSequential(Plan{Initial: 6, Step: 4, Max: 30, Confirm: 10, Cells: tc.cells}, DefaultThreshold)
			for k := s.Next(); k > 0; k = s.Next() {
				s.Add(pairsOf(k, tc.ratio, 0.02)...)
			}
			if d := s.Decision(); d.Verdict != tc.verdict || d.N != tc.pairs {
				t.Errorf("%d cells, ratio %g: %s after %d pairs, want %s after %d: %+v",
					tc.cells, tc.ratio, d.Verdict, d.N, tc.verdict, tc.pairs, d)
			}
		}
	})
	t.Run("change found after the first look is confirmed", func(t *testing.T) {
		s := NewSequential(DefaultPlan(), DefaultThreshold)
		s.Add(pairsOf(s.Next(), 1, 0.2)...)
		s.Add(pairsOf(s.Next(), 1, 0.2)...) // 10 pairs, inconclusive
		found := 0
		for k := s.Next(); k > 0; k = s.Next() {
			if found == 0 && s.Decision().Verdict == Regressed {
				found = len(s.Pairs())
				if k != 10 {
					t.Fatalf("regressed at %d pairs, after the first look: Next %d, want 10", found, k)
				}
			}
			s.Add(pairsOf(k, 0.7, 0.02)...)
		}
		if d := s.Decision(); found == 0 || d.Verdict != Regressed || d.N != found+10 {
			t.Fatalf("found at %d pairs, then %+v", found, d)
		}
	})
	t.Run("regression not confirmed", func(t *testing.T) {
		s := NewSequential(DefaultPlan(), DefaultThreshold)
		s.Add(pairsOf(10, 0.95, 0.04)...)
		s.Next()
		s.Add(pairsOf(10, 1.1, 0.02)...) // the drop was a fluke
		k := s.Next()
		if s.Done() || k != 3 {
			t.Fatalf("failed confirmation should step on: Next %d, %+v", k, s.Decision())
		}
	})
	t.Run("unchanged stops", func(t *testing.T) {
		s := NewSequential(Plan{}, DefaultThreshold)
		s.Add(pairsOf(10, 1, 0.005)...)
		if k := s.Next(); k != 0 || s.Decision().Verdict != Unchanged {
			t.Fatalf("Next %d, %+v", k, s.Decision())
		}
	})
	t.Run("unchanged at the first look", func(t *testing.T) {
		s := NewSequential(DefaultPlan(), DefaultThreshold)
		s.Add(pairsOf(s.Next(), 1, 0.005)...)
		if k := s.Next(); k != 0 || s.Decision().Verdict != Unchanged || s.Decision().N != 4 {
			t.Fatalf("Next %d, %+v", k, s.Decision())
		}
	})
	t.Run("budget", func(t *testing.T) {
		s := NewSequential(Plan{Initial: 10, Step: 4, Max: 18}, DefaultThreshold)
		steps := []int{}
		for k := s.Next(); k > 0; k = s.Next() {
			steps = append(steps, k)
			s.Add(pairsOf(k, 1, 0.3)...)
		}
		if len(s.Pairs()) != 18 || s.Decision().Verdict != Inconclusive || len(steps) != 3 {
			t.Fatalf("steps %v, %d pairs, %+v", steps, len(s.Pairs()), s.Decision())
		}
	})
	t.Run("no confirmation", func(t *testing.T) {
		s := NewSequential(Plan{Initial: 10, Step: 4, Max: 30, Confirm: 0}, DefaultThreshold)
		s.Add(pairsOf(10, 0.9, 0.02)...)
		if k := s.Next(); k != 0 || s.Decision().Verdict != Regressed {
			t.Fatalf("Next %d, %+v", k, s.Decision())
		}
	})
}
