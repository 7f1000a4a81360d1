package charts

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/bench/human"
)

// trendSeries is n pushes of a 1x1 and a 3x3 cell at 2% run-to-run noise,
// 3 trials each; 3x3 drops 5% at push 30, its push 44 failed, and the
// runner got more CPUs at push 52.
func trendSeries(n int) history.Series {
	rng := rand.New(rand.NewPCG(13, 13))
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := history.Series{Name: "default"}
	for i := range n {
		r := history.Record{
			Schema:  history.Schema,
			Series:  "default",
			Commit:  fmt.Sprintf("%08x%032x", uint32(i*2654435761), i),
			Time:    t0.Add(time.Duration(i) * time.Hour),
			Command: "gunicorn app:app",
			Host:    history.Host{CPUs: 2, OS: "linux", Arch: "amd64"},
		}
		if i >= 52 {
			r.Host.CPUs = 4
		}
		for _, wt := range [][2]int{{1, 1}, {3, 3}} {
			slots := wt[0] * wt[1]
			level := 10 * float64(slots)
			if slots == 9 && i >= 30 {
				level *= 0.95
			}
			day := 1 + 0.02*rng.NormFloat64()
			c := history.Cell{Workers: wt[0], Threads: wt[1], Slots: slots, ServiceTimeS: 0.1}
			for range 3 {
				c.Throughput = append(c.Throughput, level*day*(1+0.005*rng.NormFloat64()))
			}
			c.Concurrency = c.Median() * 0.1 * 0.998
			if slots == 9 && i == 44 {
				c.Throughput, c.Concurrency, c.Error = nil, 0, "server exited during startup"
			}
			r.Cells = append(r.Cells, c)
		}
		s.Records = append(s.Records, r)
	}
	return s
}

func TestTrendChart(t *testing.T) {
	tr := history.Analyze(trendSeries(60), history.Options{})
	dir := t.TempDir()
	if *outDir != "" {
		dir = filepath.Join(*outDir, "trend")
	}
	paths, err := WriteTrend(tr, dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	const wantFiles = "trend-default-1x1.png trend-default-1x1.svg " +
		"trend-default-3x3.png trend-default-3x3.svg"
	if got := strings.Join(names, " "); got != wantFiles {
		t.Errorf("wrote %s", got)
	}
	data, err := os.ReadFile(filepath.Join(dir, "trend-default-3x3.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 800 || b.Dy() != 640 {
		t.Errorf("PNG is %dx%d, want 800x640", b.Dx(), b.Dy())
	}
	svg, err := os.ReadFile(filepath.Join(dir, "trend-default-3x3.svg"))
	if err != nil {
		t.Fatal(err)
	}
	ch := tr.Cells[1].Throughput.Changes
	if len(ch) != 1 {
		t.Fatalf("3x3 changes %+v", ch)
	}
	label := fmt.Sprintf("%s %s", history.ShortCommit(ch[0].Commit), human.SignedPercent(ch[0].Ratio()))
	for _, want := range []string{
		label, "noise band ±2σ", "change point", "failed", "9 slots",
		"achieved concurrency, of 9 configured slots", "commit (oldest → newest)",
	} {
		if !bytes.Contains(svg, []byte(escapeSVG(want))) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	golden := filepath.Join("testdata", "trend.svg")
	if *update {
		os.WriteFile(golden, svg, 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./charts -run TestTrendChart -update writes it)", err)
	}
	if !bytes.Equal(svg, want) {
		t.Errorf("trend SVG differs from %s (go test ./charts -run TestTrendChart -update "+
			"rewrites it; look at it first)", golden)
	}
	// The same records give the same bytes.
	again, _ := Trend(tr, tr.Cells[1])
	data2, err := RenderStack(again, "svg")
	if err != nil || !bytes.Equal(data2, svg) {
		t.Errorf("second render differs (%v)", err)
	}
}

func escapeSVG(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestTrendChartEdgeCases(t *testing.T) {
	for _, n := range []int{1, 2, 5, 120} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			tr := history.Analyze(trendSeries(n), history.Options{})
			formats := []string{"svg"}
			if n == 5 { // rasterising is slow under -race; the drawing is the same
				formats = append(formats, "png")
			}
			for _, c := range tr.Cells {
				ps, err := Trend(tr, c)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range formats {
					if _, err := RenderStack(ps, f); err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
	s := trendSeries(3)
	for i := range s.Records {
		s.Records[i].Cells[0].Throughput, s.Records[i].Cells[0].Error = nil, "failed"
	}
	tr := history.Analyze(s, history.Options{})
	if _, err := Trend(tr, tr.Cells[0]); !errors.Is(err, ErrNotApplicable) {
		t.Errorf("never measured: %v", err)
	}
}

// stepSeries is a 2x2 cell at about 186 req/s (1% noise) for n pushes,
// then at 165 (−12%) for the last after pushes: a step too recent for the
// change-point test.
func stepSeries(n, after int) history.Series {
	rng := rand.New(rand.NewPCG(23, 23))
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	s := history.Series{Name: "default"}
	for i := range n + after {
		level := 186.0
		if i >= n {
			level = 165
		}
		day := 1 + 0.01*rng.NormFloat64()
		c := history.Cell{Workers: 2, Threads: 2, Slots: 4, ServiceTimeS: 0.02}
		for range 3 {
			c.Throughput = append(c.Throughput, level*day*(1+0.003*rng.NormFloat64()))
		}
		c.Concurrency = 3.7 * day
		s.Records = append(s.Records, history.Record{
			Schema: history.Schema, Series: "default",
			Commit:  fmt.Sprintf("%08x%032x", uint32(i*2654435761), i),
			Time:    t0.Add(time.Duration(i) * time.Hour),
			Command: "gunicorn app:app",
			Host:    history.Host{CPUs: 2, OS: "linux", Arch: "amd64"},
			Cells:   []history.Cell{c},
		})
	}
	return s
}

// A step in the newest pushes is drawn as a new level of its own, dashed
// orange from its first push, where the old level and band end.
func TestTrendChartTentativeStep(t *testing.T) {
	tr := history.Analyze(stepSeries(12, 2), history.Options{})
	c := tr.Cells[0]
	st := c.Throughput.Tentative
	if st == nil || c.Points[st.Point].Index != 12 || len(c.Throughput.Changes) != 0 {
		t.Fatalf("tentative %+v, changes %+v: want a step at push 12, no change point",
			st, c.Throughput.Changes)
	}
	segs := c.Throughput.Segments
	if len(segs) != 2 || segs[0].To != 12 || !segs[1].Tentative || segs[1].From != 12 {
		t.Errorf("segments %+v", segs)
	}
	ps, err := Trend(tr, c)
	if err != nil {
		t.Fatal(err)
	}
	svg, err := RenderStack(ps, "svg")
	if err != nil {
		t.Fatal(err)
	}
	label := history.ShortCommit(st.Commit) + " " + human.SignedPercent(st.Ratio()) + ", not yet confirmed"
	for _, want := range []string{label, "new level, not yet confirmed"} {
		if !bytes.Contains(svg, []byte(escapeSVG(want))) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if *outDir != "" {
		if _, err := WriteTrend(tr, filepath.Join(*outDir, "trend-step")); err != nil {
			t.Fatal(err)
		}
	}
	checkGolden(t, filepath.Join("testdata", "trend-step.svg"), svg)
}
