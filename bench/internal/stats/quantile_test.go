package stats

import (
	"math"
	"slices"
	"testing"
)

func near(a, b, tol float64) bool {
	if math.IsInf(a, 0) || math.IsInf(b, 0) {
		return a == b
	}
	return math.Abs(a-b) <= tol*max(1, math.Abs(b))
}

func TestMedianQuantile(t *testing.T) {
	tests := []struct {
		name string
		xs   []float64
		q    float64
		want float64
	}{
		{"one", []float64{7}, 0.5, 7},
		{"odd", []float64{3, 1, 2}, 0.5, 2},
		{"even", []float64{4, 1, 3, 2}, 0.5, 2.5},
		{"lower quartile", []float64{5, 4, 3, 2, 1}, 0.25, 2},
		{"interpolated", []float64{1, 2, 3, 4}, 0.25, 1.75},
		{"min", []float64{3, 1, 2}, 0, 1},
		{"max", []float64{3, 1, 2}, 1, 3},
		{"clamped", []float64{3, 1, 2}, 2, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.xs)
			if got := Quantile(tt.xs, tt.q); !near(got, tt.want, 1e-12) {
				t.Errorf("Quantile(%v, %v) = %v, want %v", tt.xs, tt.q, got, tt.want)
			}
			if !slices.Equal(in, tt.xs) {
				t.Errorf("input modified: %v", tt.xs)
			}
		})
	}
	if got := Median([]float64{10, 30, 20, 40}); got != 25 {
		t.Errorf("Median = %v, want 25", got)
	}
	if !math.IsNaN(Median(nil)) || !math.IsNaN(Quantile([]float64{1}, math.NaN())) {
		t.Error("empty sample or NaN quantile should give NaN")
	}
}

// TestQuantileCI checks the order statistics against the cases of
// go-moremath's TestQuantileCI (the exact-binomial branch benchmath uses),
// which follow from the Binomial(n, q) PMF: for n = 4, q = ½ the bands carry
// 1/16, 4/16, 6/16, 4/16, 1/16.
func TestQuantileCI(t *testing.T) {
	tests := []struct {
		n          int
		q, conf    float64
		lo, hi     int
		wantActual float64
	}{
		{4, 0.5, 0.001, 2, 3, 0.375},
		{4, 0.25, 0.001, 1, 2, 0.421875},
		{4, 0, 0.001, 0, 1, 1},
		{4, 1, 0.001, 4, 5, 1},
		{4, 0.5, 0.375, 2, 3, 0.375},
		{4, 0.5, 0.3750001, 1, 3, 0.625}, // left-biased
		{4, 0.5, 1, 0, 5, 1},
		{4, 0.5, 0.99, 0, 5, 1},
		{4, 0.5, 0.99 - 0.0625, 0, 4, 0.9375},
		{5, 0.5, 0.001, 2, 3, 0.3125},
		{5, 0.5, 0.3125, 2, 3, 0.3125},
		{5, 0.5, 0.3125001, 2, 4, 0.625},
		{5, 0.5, 0.99, 0, 6, 1},
		{5, 0.5, 0.99 - 0.03125, 0, 5, 1 - 0.03125},
		// benchmath's medianSamples: 6 values for 95%, 8 for 99%.
		{6, 0.5, 0.95, 1, 6, 1 - 2.0/64},
		{7, 0.5, 0.99, 0, 7, 1 - 1.0/128}, // one bound infinite: benchmath's "need ≥ 8"
		{8, 0.5, 0.99, 1, 8, 1 - 2.0/256},
		{0, 0.5, 0.95, 0, 1, 1},
	}
	for _, tt := range tests {
		got := QuantileCI(tt.n, tt.q, tt.conf)
		if got.Lo != tt.lo || got.Hi != tt.hi || !near(got.Confidence, tt.wantActual, 1e-12) {
			t.Errorf("QuantileCI(%d, %v, %v) = [%d, %d] @ %v, want [%d, %d] @ %v",
				tt.n, tt.q, tt.conf, got.Lo, got.Hi, got.Confidence, tt.lo, tt.hi, tt.wantActual)
		}
	}
	// A large n uses lgamma; the interval must still be about the median
	// ± 1.96·√n/2 order statistics (normal approximation, n = 10000).
	big := QuantileCI(10000, 0.5, 0.95)
	if big.Lo < 4895 || big.Lo > 4905 || big.Hi < 5096 || big.Hi > 5106 || big.Confidence < 0.95 {
		t.Errorf("QuantileCI(10000, .5, .95) = %+v", big)
	}
}

// TestMedianCI uses benchmath's TestSummaryNone sample.
func TestMedianCI(t *testing.T) {
	xs := []float64{-10, 2, 3, 4, 5, 6}
	got := MedianCI(xs, 0.95)
	want := Interval{Center: 3.5, Lo: -10, Hi: 6, Confidence: 0.96875}
	if got != want {
		t.Errorf("MedianCI(.95) = %+v, want %+v", got, want)
	}
	got = MedianCI(xs, 0.99)
	want = Interval{Center: 3.5, Lo: math.Inf(-1), Hi: math.Inf(1), Confidence: 1}
	if got != want {
		t.Errorf("MedianCI(.99) = %+v, want %+v", got, want)
	}
	if got := MedianCI([]float64{1, 2}, 0); got.Lo != 1 || got.Hi != 2 || got.Center != 1.5 ||
		got.Confidence != 0.5 {
		t.Errorf("MedianCI({1,2}, 0) = %+v, want 1.5 in [1, 2] @ 0.5", got)
	}
	if lo, hi := QuantileCI(3, 0.5, 0.5).Bounds([]float64{1, 2}); !math.IsNaN(lo) ||
		!math.IsNaN(hi) {
		t.Error("Bounds of a sample of the wrong size should be NaN")
	}
}
