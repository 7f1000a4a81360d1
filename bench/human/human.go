// Package human formats figures for people, one way wherever they are
// shown: the terminal table, the Markdown, the notes the engine and the
// recommendation write into results.json, the history's trend and the
// charts. It imports only results, so every one of those packages can
// import it; bench/recommend could not import bench/report for this, as
// report's tests import recommend.
//
// A value that is not a number (NaN, ±Inf) formats as "".
package human

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Num formats a figure with about three significant digits: "1234",
// "12.3", "1.23", "0.123".
func Num(x float64) string {
	if !results.Finite(x) {
		return ""
	}
	switch a := math.Abs(x); {
	case a == 0:
		return "0"
	case a >= 99.95:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case a >= 9.995:
		return strconv.FormatFloat(x, 'f', 1, 64)
	case a >= 0.9995:
		return strconv.FormatFloat(x, 'f', 2, 64)
	default:
		return strconv.FormatFloat(x, 'f', 3, 64)
	}
}

// Terse formats a figure with about three significant digits but at most
// two decimals, where a chart's label or a row of figures has no room for
// Num's third: "1234", "12.3", "1.23", "0.12".
func Terse(x float64) string {
	if !results.Finite(x) {
		return ""
	}
	switch a := math.Abs(x); {
	case a >= 100:
		return fmt.Sprintf("%.0f", x)
	case a >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// Seconds formats a duration given in seconds in the unit that keeps
// Num's three digits whole, with a space before the unit: "840 µs",
// "1.10 ms", "201 ms", "1.63 s"; zero is "0 µs".
func Seconds(s float64) string {
	switch a := math.Abs(s); {
	case !results.Finite(s):
		return ""
	case a >= 0.9995:
		return Num(s) + " s"
	case a >= 0.0009995:
		return Num(s*1e3) + " ms"
	default:
		return Num(s*1e6) + " µs"
	}
}

// SignedPercent formats a ratio as a signed change to a tenth of a
// percent, with a typographic minus: 0.949 is "−5.1%", 1.2 is "+20.0%".
func SignedPercent(ratio float64) string {
	if !results.Finite(ratio) {
		return ""
	}
	return strings.Replace(fmt.Sprintf("%+.1f%%", 100*(ratio-1)), "-", "−", 1)
}

// Times formats a ratio as a multiple with about two significant digits:
// "2.4 ×", "1.0 ×", "0.52 ×", "12 ×"; "" for a ratio that is not a
// positive figure.
func Times(x float64) string {
	switch {
	case !results.Finite(x) || x <= 0:
		return ""
	case x >= 9.95:
		return strconv.FormatFloat(x, 'f', 0, 64) + " ×"
	case x >= 0.995:
		return strconv.FormatFloat(x, 'f', 1, 64) + " ×"
	}
	return strconv.FormatFloat(x, 'f', 2, 64) + " ×"
}
