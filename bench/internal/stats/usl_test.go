package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitUSL recovers known laws from throughputs at doubling
// concurrencies, as a connection sweep measures them, with 2% noise.
func TestFitUSL(t *testing.T) {
	tests := []struct {
		name string
		u    USL
	}{
		{"contention only", USL{Lambda: 10, Sigma: 0.02}},
		{"contention and coherence", USL{Lambda: 10, Sigma: 0.01, Kappa: 2e-5}},
		{"linear", USL{Lambda: 20}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			var ns, xs []float64
			for n := 8.0; n <= 2048; n *= 2 {
				ns = append(ns, n)
				xs = append(xs, tt.u.At(n)*(1+0.02*rng.NormFloat64()))
			}
			got, r2, err := FitUSL(ns, xs)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("want %+v, got %+v, R² %.4f, N* %.0f", tt.u, got, r2, got.PeakN())
			if r2 < 0.99 {
				t.Errorf("R² %.4f, want ≥ 0.99", r2)
			}
			if math.Abs(got.Lambda/tt.u.Lambda-1) > 0.05 {
				t.Errorf("λ %.3f, want %.3f ± 5%%", got.Lambda, tt.u.Lambda)
			}
			// The fitted curve must follow the true one where it was measured.
			for _, n := range ns {
				if w, g := tt.u.At(n), got.At(n); math.Abs(g/w-1) > 0.05 {
					t.Errorf("X(%.0f) = %.1f, want %.1f ± 5%%", n, g, w)
				}
			}
			if tt.u.Kappa > 0 {
				if w, g := tt.u.PeakN(), got.PeakN(); math.Abs(g/w-1) > 0.25 {
					t.Errorf("N* %.0f, want %.0f ± 25%%", g, w)
				}
			}
		})
	}
}

func TestFitUSLRejects(t *testing.T) {
	for name, pts := range map[string][2][]float64{
		"two points":   {{1, 2}, {1, 2}},
		"zero":         {{1, 2, 4}, {1, 0, 3}},
		"uneven":       {{1, 2, 4}, {1, 2}},
		"below one":    {{0.5, 2, 4}, {1, 2, 3}},
		"not a number": {{1, 2, math.NaN()}, {1, 2, 3}},
	} {
		if _, _, err := FitUSL(pts[0], pts[1]); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestUSLPeakN(t *testing.T) {
	if got := (USL{Lambda: 1, Sigma: 0.1, Kappa: 0.001}).PeakN(); math.Abs(got-30) > 1e-9 {
		t.Errorf("N* = %v, want 30", got)
	}
	if got := (USL{Lambda: 1, Sigma: 0.1}).PeakN(); !math.IsInf(got, 1) {
		t.Errorf("N* without coherence = %v, want +Inf", got)
	}
}
