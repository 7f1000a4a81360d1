package history

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestAnalyze(t *testing.T) {
	recs := synth(7, 60, 30, 0.95, 0.02)
	// 3x3 fails at push 40; push 50 changes the command.
	recs[40].Cells[3].Error, recs[40].Cells[3].Throughput = "server exited", nil
	for i := 50; i < 60; i++ {
		recs[i].Command += " --preload"
	}
	tr := Analyze(Series{Name: DefaultSeries, Records: recs}, Options{})
	if len(tr.Cells) != 4 || tr.Pushes != 60 || len(tr.Commits) != 60 {
		t.Fatalf("%d cells, %d pushes", len(tr.Cells), tr.Pushes)
	}
	if len(tr.Events) != 1 || tr.Events[0] != (Event{50, "command changed"}) {
		t.Errorf("events %v", tr.Events)
	}
	for _, c := range tr.Cells {
		ch, ok := c.Throughput.Latest()
		if !ok || len(c.Throughput.Changes) != 1 {
			t.Errorf("%s: changes %+v, want one", c.Name, c.Throughput.Changes)
			continue
		}
		if at := c.Points[ch.Point].Index; at < 29 || at > 31 || ch.Commit != commitOf(at) {
			t.Errorf("%s: change at push %d (%s), want 30 ± 1", c.Name, at, ch.Commit)
		}
		if r := ch.Ratio(); r < 0.93 || r > 0.97 {
			t.Errorf("%s: ratio %.3f, want ≈ 0.95", c.Name, r)
		}
		if cv := c.Throughput.NoiseCV; cv < 0.01 || cv > 0.03 {
			t.Errorf("%s: noise %.3f, want ≈ 0.02", c.Name, cv)
		}
		if len(c.Throughput.Segments) != 2 {
			t.Fatalf("%s: segments %+v", c.Name, c.Throughput.Segments)
		}
		s0, s1 := c.Throughput.Segments[0], c.Throughput.Segments[1]
		if s0.From != 0 || s0.To != ch.Point || s1.From != ch.Point || s1.To != len(c.Points) ||
			!(s0.Lo < s0.Level && s0.Level < s0.Hi) {
			t.Errorf("%s: segments %+v", c.Name, c.Throughput.Segments)
		}
		if len(c.Concurrency.Changes) != 1 {
			t.Errorf("%s: concurrency changes %+v, want one", c.Name, c.Concurrency.Changes)
		}
	}
	c := tr.Cells[3]
	if c.Name != "3x3" || !c.Points[40].Failed() || c.Points[40].Error != "server exited" ||
		!math.IsNaN(c.Points[40].Concurrency) {
		t.Errorf("3x3 at push 40: %+v", c.Points[40])
	}
	if s := c.Summary(); !strings.Contains(s, "−5.") || !strings.Contains(s, "pushes ago") {
		t.Errorf("summary %q", s)
	}
}

func TestAnalyzeFlat(t *testing.T) {
	tr := Analyze(Series{Name: DefaultSeries, Records: synth(8, 60, 60, 1, 0.02)}, Options{})
	for _, c := range tr.Cells {
		if len(c.Throughput.Changes) > 0 {
			t.Errorf("%s: change points %+v in a flat series", c.Name, c.Throughput.Changes)
		}
	}
	if s := tr.Cells[0].Summary(); !strings.Contains(s, "no change point") {
		t.Errorf("summary %q", s)
	}
}

func TestAnalyzeFew(t *testing.T) {
	for n := range 4 {
		tr := Analyze(Series{Name: DefaultSeries, Records: synth(9, n, n, 1, 0.02)}, Options{})
		if n > 0 && (len(tr.Cells) != 4 || len(tr.Cells[0].Points) != n) {
			t.Errorf("%d records: %+v", n, tr)
		}
		if n < 3 && n > 0 && !math.IsNaN(tr.Cells[0].Throughput.NoiseCV) {
			t.Errorf("%d records: noise %v from too few", n, tr.Cells[0].Throughput.NoiseCV)
		}
		TrendMarkdown(nil, MarkdownOptions{}) // must not panic
	}
}

// A summary counts its pushes in "pushes ago" and is labelled first…last.
func TestAnalyzeSummaries(t *testing.T) {
	recs := synth(10, 80, 70, 0.9, 0.01)
	var es []entry
	for i := range recs {
		e, _ := newEntry(&recs[i])
		es = append(es, e)
	}
	es, _, err := Policy{Full: 30, Group: 10, Summaries: 100}.compact(es)
	if err != nil {
		t.Fatal(err)
	}
	var s Series
	for _, e := range es {
		s.Records = append(s.Records, *e.rec)
	}
	tr := Analyze(s, Options{})
	if tr.Pushes != 80 || len(tr.Commits) != 35 {
		t.Fatalf("%d pushes in %d records", tr.Pushes, len(tr.Commits))
	}
	p := tr.Cells[0].Points[0]
	if p.Pushes != 10 || p.Label() != ShortCommit(commitOf(0))+"…"+ShortCommit(commitOf(9)) {
		t.Errorf("first point %+v, label %q", p, p.Label())
	}
	ch, ok := tr.Cells[0].Throughput.Latest()
	if !ok || tr.Cells[0].Points[ch.Point].Commit != commitOf(70) {
		t.Fatalf("change %+v", tr.Cells[0].Throughput.Changes)
	}
	if s := tr.Cells[0].Summary(); !strings.Contains(s, "9 pushes ago") {
		t.Errorf("summary %q, want 9 pushes ago", s)
	}
}

func TestTrendMarkdown(t *testing.T) {
	recs, other := trendFixture()
	got := TrendMarkdown(append(recs, other...), MarkdownOptions{Title: "main's trend"})
	golden(t, "trend.md", got)
	if !strings.Contains(got, "| 3x3 | ") || !strings.Contains(got, "| failed |") ||
		!strings.Contains(got, "runner: 2 → 4 CPUs") {
		t.Errorf("markdown:\n%s", got)
	}
}

func TestSparkline(t *testing.T) {
	pts := func(vs ...float64) []Point {
		var out []Point
		for i, v := range vs {
			out = append(out, Point{Index: i, Throughput: v})
		}
		return out
	}
	tests := []struct {
		vals []float64
		want string
	}{
		{[]float64{100, 100, 100}, "▅▅▅"},
		{[]float64{100, 101, 99, 100}, "▅▅▄▅"}, // 1% noise is a ripple
		{[]float64{100, 100, 50, 50}, "██▁▁"},
		{[]float64{100, math.NaN(), 100}, "▅·▅"},
	}
	for _, tt := range tests {
		if got := sparkline(pts(tt.vals...), 0, len(tt.vals)); got != tt.want {
			t.Errorf("sparkline(%v) = %q, want %q", tt.vals, got, tt.want)
		}
	}
	if got := sparkline(pts(100), 0, 3); got != "▅··" {
		t.Errorf("missing records: %q", got)
	}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf(
			"%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s",
			path,
			got,
			want,
		)
	}
}
