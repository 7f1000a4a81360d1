package results

import (
	"strings"
	"testing"
)

// shards splits a compared matrix of four cells into two shards.
func shards() []*Run {
	all := []string{"1x1", "1x3", "3x1", "3x3"}
	cell := func(name string, w, t int, v Verdict, ratio, p float64) Cell {
		b := Cell{Workers: w, Threads: t, ThroughputRPS: 100}
		return Cell{Workers: w, Threads: t, ThroughputRPS: 100 * ratio, Comparison: Comparison{
			Base: &b, Ratio: ratio, CILow: ratio - 0.01, CIHigh: ratio + 0.01, PValue: p, Verdict: v}}
	}
	run := func(i int, cells ...Cell) *Run {
		return &Run{Schema: Schema, Command: "gunicorn {bind}", Commit: "abc", Settings: Settings{Threshold: 0.05, Seed: int64(i)},
			Cells: cells, Shard: &Shard{Index: i, Count: 2, Cells: all},
			RunComparison: RunComparison{BaseCommit: "def", BaseCommand: "gunicorn {bind}", Verdict: Unchanged}}
	}
	return []*Run{
		run(1, cell("1x1", 1, 1, Unchanged, 1.0, 0.5), cell("3x1", 3, 1, Unchanged, 1.0, 0.6)),
		run(2, cell("1x3", 1, 3, Unchanged, 1.0, 0.4), cell("3x3", 3, 3, Regressed, 0.9, 0.001)),
	}
}

func TestMerge(t *testing.T) {
	s := shards()
	m, err := Merge(s, []string{"shard-1", "shard-2"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range m.Cells {
		names = append(names, c.Name())
	}
	if strings.Join(names, " ") != "1x1 1x3 3x1 3x3" || m.Shard != nil || len(m.Missing) != 0 {
		t.Errorf("merged cells %v, shard %v, missing %v: want the whole matrix in its order", names, m.Shard, m.Missing)
	}
	// Each shard said unchanged; across all cells the regression shows.
	if m.Verdict != Regressed || m.Overall == nil || !strings.Contains(m.Overall.Method, "Holm over 4 cells") {
		t.Errorf("merged verdict %q, overall %+v: want regressed over 4 cells", m.Verdict, m.Overall)
	}
}

func TestMergeMissingShard(t *testing.T) {
	s := shards()
	s[1].Cells[1].Verdict, s[1].Cells[1].Ratio, s[1].Cells[1].PValue = Unchanged, 1, 0.5
	m, err := Merge(s[:1], []string{"shard-1"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(m.Missing, " ") != "1x3 3x3" || m.Verdict != Inconclusive {
		t.Errorf("missing %v, verdict %q: want 1x3 and 3x3 missing and inconclusive, never unchanged", m.Missing, m.Verdict)
	}
	w := strings.Join(m.Warnings, "\n")
	if !strings.Contains(w, "shard 2/2 is missing") || !strings.Contains(w, "no shard measured 1x3, 3x3") {
		t.Errorf("warnings %q", m.Warnings)
	}
}

func TestMergeRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(s []*Run)
		want   string
	}{
		{"other commit", func(s []*Run) { s[1].Commit = "xyz" }, "shard-1 and shard-2 differ in commit (abc, xyz)"},
		{"other base commit", func(s []*Run) { s[1].BaseCommit = "xyz" }, "differ in base commit"},
		{"other command", func(s []*Run) { s[1].Command = "uwsgi {bind}" }, "differ in command"},
		{"other settings", func(s []*Run) { s[1].Settings.DurationS = 5 }, "differ in settings"},
		{"other matrix", func(s []*Run) { s[1].Shard.Cells = []string{"1x1"} }, "differ in matrix"},
		{"same shard twice", func(s []*Run) { s[1].Shard.Index = 1 }, "shard-1 and shard-2 are both shard 1/2"},
		{"same cell twice", func(s []*Run) { s[1].Cells[0] = s[0].Cells[0] }, "cell 1x1 is in both shard-1 and shard-2"},
		{"forged command on one line", func(s []*Run) { s[1].Command = "x\n::error title=FORGED-VIA-MERGE::x" },
			`differ in command (gunicorn {bind}, "x\n::error title=FORGED-VIA-MERGE::x")`},
		{"not a shard", func(s []*Run) { s[1].Shard = nil }, "shard-2 is not a shard"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := shards()
			tt.change(s)
			_, err := Merge(s, []string{"shard-1", "shard-2"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Merge error = %v, want %q", err, tt.want)
			}
		})
	}
}
