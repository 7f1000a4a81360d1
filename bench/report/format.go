package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/workerbench/workerbench/bench/human"
	"github.com/workerbench/workerbench/bench/results"
)

// Number formatting for the model (newModel) and the sentences, with the
// digits of package human. Each function returns "" for a value that was not measured (zero, NaN,
// infinite), and the renderer shows its own placeholder (style.none: "-" on
// a terminal, "—" in Markdown).

// seconds is a measured duration for the model, "" where the duration is
// zero: not measured.
func seconds(s float64) string {
	if s <= 0 {
		return ""
	}
	return human.Seconds(s)
}

// bytesIEC formats a byte count: "40.0 MiB", "1.25 GiB".
func bytesIEC(b uint64) string {
	const kib, mib, gib = 1 << 10, 1 << 20, 1 << 30
	x := float64(b)
	switch {
	case b == 0:
		return ""
	case b >= gib:
		return human.Num(x/gib) + " GiB"
	case b >= mib:
		return human.Num(x/mib) + " MiB"
	default:
		return human.Num(x/kib) + " KiB"
	}
}

// pss is the memory figure the reports show: peak Σ PSS of the server's
// process tree, or the last sample when no peak was recorded.
func pss(m results.Memory) uint64 {
	if m.PeakPSSBytes > 0 {
		return m.PeakPSSBytes
	}
	return m.PSSBytes
}

// Percent formats a fraction as a whole percentage: 0.987 → "99%"; ""
// for a value that is not a number.
func Percent(f float64) string {
	if !results.Finite(f) {
		return ""
	}
	return strconv.FormatFloat(100*f, 'f', 0, 64) + "%"
}

// change formats a head/base ratio as a signed change: 0.919 → "-8.1%".
func change(ratio float64) string {
	if !results.Finite(ratio) || ratio <= 0 {
		return ""
	}
	s := fmt.Sprintf("%+.1f%%", 100*(ratio-1))
	if s == "+0.0%" || s == "-0.0%" {
		return "0.0%"
	}
	return s
}

// changeShort is change with whole percents from 10% on: "-12%", "-8.1%".
func changeShort(ratio float64) string {
	if !results.Finite(ratio) || ratio <= 0 {
		return ""
	}
	if math.Abs(ratio-1) >= 0.0995 {
		return fmt.Sprintf("%+.0f%%", 100*(ratio-1))
	}
	return change(ratio)
}

// interval formats a confidence interval of a ratio: "[-10.2%, -6.0%]".
func interval(lo, hi float64) string {
	if lo <= 0 || hi <= 0 || !results.Finite(lo) || !results.Finite(hi) {
		return ""
	}
	return "[" + change(lo) + ", " + change(hi) + "]"
}

// pvalue formats a p-value: "0.002", "<0.001". Zero means not computed.
func pvalue(p float64) string {
	switch {
	case !results.Finite(p) || p <= 0:
		return ""
	case p < 0.001:
		return "<0.001"
	case p < 0.01:
		return strconv.FormatFloat(p, 'f', 3, 64)
	default:
		return strconv.FormatFloat(p, 'f', 2, 64)
	}
}

// pEq is a formatted p-value (pvalue) as "p=0.002" or "p<0.001"; "p"
// alone when p was not computed.
func pEq(p string) string {
	if p == "" || p[0] == '<' {
		return "p" + p
	}
	return "p=" + p
}

// inParens is " (p=0.002)" for a p-value, "" when there is none.
func inParens(p string) string {
	if p == "" {
		return ""
	}
	return " (" + pEq(p) + ")"
}

// spaced joins a change and its interval: "-12.1% [-14.2%, -9.9%]", either
// of them alone, or "".
func spaced(change, interval string) string { return strings.TrimSpace(change + " " + interval) }

func itoa(i int) string { return strconv.Itoa(i) }

// atoi is the whole number s, 0 when it is none.
func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// sig formats a fitted parameter with two significant digits: "0", "0.012",
// "3.5e-06".
func sig(x float64) string {
	if !results.Finite(x) {
		return ""
	}
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'g', 2, 64)
}

// fixed2 formats an achieved concurrency: "8.98".
func fixed2(x float64) string {
	if !results.Finite(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'f', 2, 64)
}

// Plural counts n of noun in English: "1 cell", "4 cells", "2 pushes".
func Plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	for _, end := range []string{"s", "sh", "ch", "x", "z"} {
		if strings.HasSuffix(noun, end) {
			return fmt.Sprintf("%d %ses", n, noun)
		}
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// minus replaces ASCII hyphen-minus signs with the typographic minus sign
// for Markdown, which GitHub renders in a proportional font.
func minus(s string) string { return strings.ReplaceAll(s, "-", "−") }

// or returns s, or placeholder when s is empty.
func or(s, placeholder string) string {
	if s == "" {
		return placeholder
	}
	return s
}

// errorSummary is "0", or "12 (2.4%: status 10, timeout 2)".
func errorSummary(c results.Cell) string {
	if c.Errors <= 0 {
		return "0"
	}
	s := strconv.FormatInt(c.Errors, 10)
	var detail []string
	if c.Requests > 0 {
		// results.go does not say whether Requests counts failed requests;
		// either way this is the share of errors to within a rounding.
		detail = append(detail, percentFine(min(1, float64(c.Errors)/float64(c.Requests))))
	}
	kinds := make([]string, 0, len(c.ErrorKinds))
	for k := range c.ErrorKinds {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	var byKind []string
	for _, k := range kinds {
		byKind = append(byKind, fmt.Sprintf("%s %d", Clip(k, 20), c.ErrorKinds[k]))
	}
	if len(byKind) > 0 {
		detail = append(detail, strings.Join(byKind, ", "))
	}
	if len(detail) > 0 {
		s += " (" + strings.Join(detail, ": ") + ")"
	}
	return s
}

// percentFine formats a fraction with a decimal below 10%: "0.4%", "5%", "12%".
func percentFine(f float64) string {
	if f >= 0.0995 {
		return Percent(f)
	}
	return trimFloat(100*f, 1) + "%"
}

// trimFloat formats x with at most prec decimals and no trailing zeros:
// "5", "0.5", "1.25".
func trimFloat(x float64, prec int) string {
	s := strconv.FormatFloat(x, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// width is the display width of s in a terminal, counted in runes (the
// reports use no wide characters in aligned text).
func width(s string) int { return utf8.RuneCountInString(s) }
