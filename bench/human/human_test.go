package human

import (
	"math"
	"testing"
)

func TestNum(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{1234.4, "1234"},
		{99.96, "100"},
		{12.34, "12.3"},
		{9.996, "10.0"},
		{1.234, "1.23"},
		{0.1234, "0.123"},
		{-8.1, "-8.10"},
		{math.NaN(), ""},
		{math.Inf(1), ""},
	}
	for _, tt := range tests {
		if got := Num(tt.in); got != tt.want {
			t.Errorf("Num(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestSeconds pins the one spacing and the units' boundaries: a value
// that would round to 1000 of a unit is shown in the next one.
func TestSeconds(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0, "0 µs"},
		{0.00084, "840 µs"},
		{0.0009996, "1.00 ms"},
		{0.0011, "1.10 ms"},
		{0.2013, "201 ms"},
		{0.99951, "1.00 s"},
		{1.63, "1.63 s"},
		{41.3, "41.3 s"},
		{math.NaN(), ""},
		{math.Inf(-1), ""},
	}
	for _, tt := range tests {
		if got := Seconds(tt.in); got != tt.want {
			t.Errorf("Seconds(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSignedPercent(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{0.949, "−5.1%"},
		{0.9, "−10.0%"},
		{1.2, "+20.0%"},
		{1, "+0.0%"},
		{math.NaN(), ""},
	}
	for _, tt := range tests {
		if got := SignedPercent(tt.in); got != tt.want {
			t.Errorf("SignedPercent(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTerse(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{1234.4, "1234"},
		{99.97, "100.0"},
		{12.34, "12.3"},
		{1.234, "1.23"},
		{0.1234, "0.12"},
		{0, "0.00"},
		{math.NaN(), ""},
	}
	for _, tt := range tests {
		if got := Terse(tt.in); got != tt.want {
			t.Errorf("Terse(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
