package bench

import (
	"reflect"
	"testing"
)

func TestWaves(t *testing.T) {
	tests := []struct {
		name  string
		ends  []float64
		tol   float64
		sizes []int
		of    []int
	}{
		{
			"one at a time",
			[]float64{0.2, 0.4, 0.6, 0.8, 1.0},
			0.05,
			[]int{1, 1, 1, 1, 1},
			[]int{0, 1, 2, 3, 4},
		},
		{
			"nine and nine",
			[]float64{
				0.21,
				0.2,
				0.4,
				0.2,
				0.41,
				0.2,
				0.2,
				0.2,
				0.2,
				0.2,
				0.2,
				0.4,
				0.4,
				0.4,
				0.4,
				0.4,
				0.4,
				0.4,
			},
			0.05,
			[]int{9, 9},
			[]int{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1},
		},
		{"failed requests", []float64{0.2, -1, 0.2}, 0.05, []int{2}, []int{0, -1, 0}},
		{"none", nil, 0.05, nil, []int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sizes, of := Waves(tt.ends, tt.tol)
			if !reflect.DeepEqual(sizes, tt.sizes) || !reflect.DeepEqual(of, tt.of) {
				t.Errorf("Waves = %v %v, want %v %v", sizes, of, tt.sizes, tt.of)
			}
		})
	}
}
