package results

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Merge puts the shards of one matrix back together: runs that each
// measured a part of it (--shard I/N), on runners of their own, with base
// and head paired within each shard. names labels the runs in errors (the
// directories they came from).
//
// It refuses shards that disagree on what they measured (the commits, the
// command, the server, the settings other than the seed, the shard count),
// naming them; a shard given twice, or two shards that measured the same
// cell, is an error too. The merged run holds every cell in the order of
// the whole matrix, names the cells no shard measured in Missing, and for
// a comparison recomputes the overall verdict over all cells (Combine:
// Holm's correction and the geometric mean). A comparison with a missing
// cell is never unchanged: a regression could hide there.
func Merge(runs []*Run, names []string) (*Run, error) {
	if len(runs) == 0 {
		return nil, errors.New("merge: no results to merge")
	}
	first := runs[0]
	if first.Shard == nil {
		return nil, fmt.Errorf("merge: %s is not a shard (no \"shard\" in its results.json): run with --shard I/N",
			names[0])
	}
	seen := map[int]string{}
	byCell := map[string]Cell{}
	from := map[string]string{}
	var errs []error
	for i, r := range runs {
		if r.Shard == nil {
			errs = append(errs, fmt.Errorf("%s is not a shard (no \"shard\" in its results.json)", names[i]))
			continue
		}
		if prev, dup := seen[r.Shard.Index]; dup {
			errs = append(errs, fmt.Errorf("%s and %s are both shard %s", prev, names[i], r.Shard))
			continue
		}
		seen[r.Shard.Index] = names[i]
		for _, d := range differences(first, r) {
			errs = append(errs, fmt.Errorf("%s and %s differ in %s: shards of one comparison measure the same "+
				"thing", names[0], names[i], d))
		}
		for _, c := range r.Cells {
			if prev, dup := from[c.Name()]; dup {
				errs = append(errs, fmt.Errorf("cell %s is in both %s and %s", shown(c.Name()), prev, names[i]))
				continue
			}
			byCell[c.Name()], from[c.Name()] = c, names[i]
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}

	out := *first
	out.Shard, out.Cells, out.Missing = nil, nil, nil
	out.Interrupted = false
	out.Warnings, out.Diagnostics, out.BaseDiagnostics = nil, nil, nil
	union := func(dst *[]string, src []string) {
		for _, s := range src {
			if !slices.Contains(*dst, s) {
				*dst = append(*dst, s)
			}
		}
	}
	for _, r := range runs {
		out.Interrupted = out.Interrupted || r.Interrupted
		union(&out.Warnings, r.Warnings)
		// Each shard's notes on the run cover its own cells.
		union(&out.Diagnostics, r.Diagnostics)
		union(&out.BaseDiagnostics, r.BaseDiagnostics)
	}
	for _, name := range first.Shard.Cells {
		c, ok := byCell[name]
		if !ok {
			out.Missing = append(out.Missing, name)
			continue
		}
		out.Cells = append(out.Cells, c)
	}
	for i := 1; i <= first.Shard.Count; i++ {
		if _, ok := seen[i]; !ok {
			out.Warnings = append(out.Warnings, fmt.Sprintf("shard %d/%d is missing", i, first.Shard.Count))
		}
	}
	if len(out.Missing) > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("no shard measured %s", strings.Join(out.Missing, ", ")))
	}
	if out.IsComparison() {
		v, o := Combine(out.Cells, out.Threshold())
		if len(out.Missing) > 0 && v == Unchanged {
			v = Inconclusive
			o.Method += fmt.Sprintf("; inconclusive, not unchanged: %d cells missing", len(out.Missing))
		}
		out.Verdict, out.Overall = v, &o
	}
	return &out, nil
}

// differences names what a and b, two shards of one matrix, measured
// differently.
func differences(a, b *Run) []string {
	var d []string
	differ := func(what string, x, y any) {
		if x != y {
			d = append(d, fmt.Sprintf("%s (%s, %s)", what, shown(x), shown(y)))
		}
	}
	differ("commit", a.Commit, b.Commit)
	differ("base commit", a.BaseCommit, b.BaseCommit)
	differ("command", a.Command, b.Command)
	differ("base command", a.BaseCommand, b.BaseCommand)
	differ("server", a.Server, b.Server)
	differ("shard count", a.Shard.Count, b.Shard.Count)
	if !slices.Equal(a.Shard.Cells, b.Shard.Cells) {
		d = append(d, "matrix")
	}
	as, bs := a.Settings, b.Settings
	as.Seed, bs.Seed, as.Trials, bs.Trials = 0, 0, 0, 0 // pairs vary per cell; seeds per shard
	if !slices.Equal(as.Bursts, bs.Bursts) {
		d = append(d, fmt.Sprintf("bursts (%v, %v)", as.Bursts, bs.Bursts))
	}
	as.Bursts, bs.Bursts = nil, nil
	if fmt.Sprint(as) != fmt.Sprint(bs) {
		d = append(d, fmt.Sprintf("settings (%+v, %+v)", as, bs))
	}
	return d
}

// shown is v as an error names a value from an artifact: as is when it is
// printable text, else quoted, so that it stays on one line; cut short.
func shown(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsPrint(r) }) {
		return strconv.Quote(s)
	}
	return s
}
