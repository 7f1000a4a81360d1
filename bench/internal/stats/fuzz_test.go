package stats

import (
	"encoding/binary"
	"math"
	"testing"
)

// floats decodes data as little-endian float64s, any bit pattern allowed
// (NaN, ±Inf, zeros, negatives, subnormals).
func floats(data []byte) []float64 {
	var xs []float64
	for len(data) >= 8 && len(xs) < 400 {
		xs = append(xs, math.Float64frombits(binary.LittleEndian.Uint64(data)))
		data = data[8:]
	}
	return xs
}

func fuzzSeeds(f *testing.F) {
	enc := func(xs ...float64) []byte {
		var b []byte
		for _, x := range xs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
		}
		return b
	}
	f.Add(enc(100, 90, 101, 91, 99, 89, 100, 90, 102, 92, 98, 88, 100, 90, 101, 91), 0.05, false)
	f.Add(enc(100, 0, 0, 100, 0, 0, math.NaN(), 1, math.Inf(1), 1, -1, 1), 0.05, false)
	f.Add(enc(math.MaxFloat64, math.SmallestNonzeroFloat64, 5e-324, 1e308), 0.5, true)
	f.Add(enc(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), -1.0, false)
	f.Add([]byte{}, math.NaN(), true)
}

// FuzzDecidePaired: any input gives a well-formed Decision, never a panic,
// never a NaN or ∞.
func FuzzDecidePaired(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, threshold float64, boot bool) {
		xs := floats(data)
		pairs := make([]Pair, len(xs)/2)
		for i := range pairs {
			pairs[i] = Pair{Base: xs[2*i], Head: xs[2*i+1]}
		}
		var opts []Option
		if boot {
			opts = append(opts, WithBootstrap(50), WithSeed(1))
		}
		d := DecidePaired(pairs, threshold, opts...)
		checkDecision(t, d)
		if d.N > len(pairs) {
			t.Fatalf("N %d > %d pairs", d.N, len(pairs))
		}
	})
}

// FuzzDecideUnpaired is FuzzDecidePaired for two independent samples.
func FuzzDecideUnpaired(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, threshold float64, split bool) {
		xs := floats(data)
		cut := len(xs) / 2
		if split {
			cut = len(xs) / 3
		}
		checkDecision(t, DecideUnpaired(xs[:cut], xs[cut:], threshold))
	})
}
