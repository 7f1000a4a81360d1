package bench

import "sort"

// Waves groups request completion times (seconds) into waves: requests
// that finished together. A new wave starts where the gap to the previous
// completion exceeds tol. It returns the wave sizes in time order and, per
// input index, the wave it belongs to. Negative times (failed requests) get
// wave -1 and are not counted.
func Waves(ends []float64, tol float64) (sizes []int, waveOf []int) {
	idx := make([]int, 0, len(ends))
	waveOf = make([]int, len(ends))
	for i, e := range ends {
		waveOf[i] = -1
		if e >= 0 {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return ends[idx[a]] < ends[idx[b]] })
	prev := 0.0
	for n, i := range idx {
		if n == 0 || ends[i]-prev > tol {
			sizes = append(sizes, 0)
		}
		sizes[len(sizes)-1]++
		waveOf[i] = len(sizes) - 1
		prev = ends[i]
	}
	return sizes, waveOf
}

// WaveTolerance is how close completions must be to count as one wave: a
// quarter of the service time, but at least 10 ms so scheduling jitter on a
// busy runner does not split a wave.
func WaveTolerance(serviceTime float64) float64 {
	return max(serviceTime/4, 0.010)
}
