package stats

import (
	"math"
	"testing"
)

func TestGeoMean(t *testing.T) {
	tests := []struct {
		xs   []float64
		want float64
	}{
		{[]float64{1, 4}, 2},
		{[]float64{2, 8}, 4},
		{[]float64{0.5, 2}, 1},
		{[]float64{1, 10, 100}, 10},
		{[]float64{3}, 3},
	}
	for _, tt := range tests {
		if got := GeoMean(tt.xs); !near(got, tt.want, 1e-12) {
			t.Errorf("GeoMean(%v) = %v, want %v", tt.xs, got, tt.want)
		}
	}
	for _, bad := range [][]float64{nil, {1, 0}, {1, -2}, {math.NaN()}} {
		if got := GeoMean(bad); !math.IsNaN(got) {
			t.Errorf("GeoMean(%v) = %v, want NaN", bad, got)
		}
	}
}

func TestGeoMeanCI(t *testing.T) {
	e := math.Exp
	one := Interval{Center: 1, Lo: e(-0.1), Hi: e(0.1), Confidence: 0.99}
	if got := GeoMeanCI([]Interval{one}); !near(got.Center, 1, 1e-12) ||
		!near(got.Lo, one.Lo, 1e-12) ||
		!near(got.Hi, one.Hi, 1e-12) {
		t.Errorf("one interval: %+v, want %+v", got, one)
	}
	// Two independent equal intervals: the mean's half-width is h/√2.
	got := GeoMeanCI([]Interval{one, one})
	if !near(got.Lo, e(-0.1/math.Sqrt2), 1e-12) || !near(got.Hi, e(0.1/math.Sqrt2), 1e-12) ||
		got.Confidence != 0.99 {
		t.Errorf("two intervals: %+v", got)
	}
	// Centres 0.8 and 1.25 have geometric mean 1; asymmetric widths are
	// kept apart: lower √(0.2²+0.1²)/2, upper √(0.1²+0.3²)/2 on the log scale.
	a := Interval{Center: 0.8, Lo: 0.8 * e(-0.2), Hi: 0.8 * e(0.1), Confidence: 0.95}
	b := Interval{Center: 1.25, Lo: 1.25 * e(-0.1), Hi: 1.25 * e(0.3), Confidence: 0.99}
	got = GeoMeanCI([]Interval{a, b, {Center: 0}, {Center: 1, Lo: 0.5, Hi: math.Inf(1)}})
	if !near(got.Center, 1, 1e-12) || !near(got.Lo, e(-math.Sqrt(0.05)/2), 1e-12) ||
		!near(got.Hi, e(math.Sqrt(0.1)/2), 1e-12) ||
		got.Confidence != 0.95 {
		t.Errorf("asymmetric: %+v", got)
	}
	if got := GeoMeanCI(nil); !math.IsNaN(got.Center) {
		t.Errorf("no intervals: %+v, want NaN", got)
	}
}

// TestHolm checks against R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm")
// = 0.03 0.06 0.06 0.02, worked by hand: sorted 0.005·4, 0.01·3, 0.03·2,
// 0.04·1, each raised to the running maximum.
func TestHolm(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03, 0.005})
	want := []float64{0.03, 0.06, 0.06, 0.02}
	for i := range want {
		if !near(got[i], want[i], 1e-12) {
			t.Errorf("Holm = %v, want %v", got, want)
			break
		}
	}
	got = Holm([]float64{0.5, math.NaN(), 0.001})
	if got[0] != 1 || got[1] != 1 || !near(got[2], 0.003, 1e-12) {
		t.Errorf("Holm with NaN = %v, want [1 1 0.003]", got)
	}
	if len(Holm(nil)) != 0 {
		t.Error("Holm(nil) not empty")
	}
}

func TestBootstrapCI(t *testing.T) {
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	a := BootstrapCI(xs, Mean, 0.95, 1000, 42)
	b := BootstrapCI(xs, Mean, 0.95, 1000, 42)
	c := BootstrapCI(xs, Mean, 0.95, 1000, 43)
	if a != b {
		t.Errorf("same seed, different intervals: %+v, %+v", a, b)
	}
	if a == c {
		t.Errorf("different seeds, same interval: %+v", a)
	}
	// The mean 5.5 has standard error ≈ 0.91 (population SD 2.87/√10);
	// a 95% percentile interval is about ±1.8.
	if a.Center != 5.5 || a.Lo < 3.4 || a.Lo > 4.1 || a.Hi < 6.9 || a.Hi > 7.6 ||
		a.Confidence != 0.95 {
		t.Errorf("BootstrapCI = %+v", a)
	}
	if got := BootstrapCI([]float64{3, 1, 2}, Median, 0.9, 0, 1); got.Center != 2 {
		t.Errorf("Median bootstrap centre = %v (default resamples)", got.Center)
	}
	if got := BootstrapCI(nil, Mean, 0.95, 10, 1); !math.IsNaN(got.Center) {
		t.Errorf("empty: %+v", got)
	}
}
