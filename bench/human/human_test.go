package human

import (
	"math"
	"testing"
)

// TestFormats pins each format's digits and its units' boundaries: a
// value that would round to 1000 of a unit is shown in the next one.
func TestFormats(t *testing.T) {
	tests := []struct {
		name string
		f    func(float64) string
		in   float64
		want string
	}{
		{"Num", Num, 0, "0"},
		{"Num", Num, 1234.4, "1234"},
		{"Num", Num, 99.96, "100"},
		{"Num", Num, 12.34, "12.3"},
		{"Num", Num, 9.996, "10.0"},
		{"Num", Num, 1.234, "1.23"},
		{"Num", Num, 0.1234, "0.123"},
		{"Num", Num, -8.1, "-8.10"},
		{"Num", Num, math.NaN(), ""},
		{"Num", Num, math.Inf(1), ""},

		{"Terse", Terse, 1234.4, "1234"},
		{"Terse", Terse, 99.97, "100.0"},
		{"Terse", Terse, 12.34, "12.3"},
		{"Terse", Terse, 1.234, "1.23"},
		{"Terse", Terse, 0.1234, "0.12"},
		{"Terse", Terse, 0, "0.00"},
		{"Terse", Terse, math.NaN(), ""},

		{"Times", Times, 2.4, "2.4 ×"},
		{"Times", Times, 1, "1.0 ×"},
		{"Times", Times, 0.996, "1.0 ×"},
		{"Times", Times, 0.5234, "0.52 ×"},
		{"Times", Times, 9.96, "10 ×"},
		{"Times", Times, 123.4, "123 ×"},
		{"Times", Times, 0, ""},
		{"Times", Times, math.Inf(1), ""},

		{"Seconds", Seconds, 0, "0 µs"},
		{"Seconds", Seconds, 0.00084, "840 µs"},
		{"Seconds", Seconds, 0.0009996, "1.00 ms"},
		{"Seconds", Seconds, 0.0011, "1.10 ms"},
		{"Seconds", Seconds, 0.2013, "201 ms"},
		{"Seconds", Seconds, 0.99951, "1.00 s"},
		{"Seconds", Seconds, 1.63, "1.63 s"},
		{"Seconds", Seconds, 41.3, "41.3 s"},
		{"Seconds", Seconds, math.NaN(), ""},
		{"Seconds", Seconds, math.Inf(-1), ""},

		{"SignedPercent", SignedPercent, 0.949, "−5.1%"},
		{"SignedPercent", SignedPercent, 0.9, "−10.0%"},
		{"SignedPercent", SignedPercent, 1.2, "+20.0%"},
		{"SignedPercent", SignedPercent, 1, "+0.0%"},
		{"SignedPercent", SignedPercent, math.NaN(), ""},
	}
	for _, tt := range tests {
		if got := tt.f(tt.in); got != tt.want {
			t.Errorf("%s(%v) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
