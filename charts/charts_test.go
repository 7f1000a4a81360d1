package charts

import (
	"bytes"
	"cmp"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"html"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
	"gonum.org/v1/plot"
)

var outDir = flag.String("out", "", "also write every fixture's charts under `dir`/FIXTURE, to look at them")

func load(t *testing.T, name string) *results.Run {
	t.Helper()
	r, err := results.Read(filepath.Join("testdata", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// stems turns "timeline-1x1-burst5" into its two file names.
func files(stems ...string) []string {
	var out []string
	for _, s := range stems {
		out = append(out, s+".png", s+".svg")
	}
	return out
}

func timelines(cells []string, bursts ...int) []string {
	var out []string
	for _, c := range cells {
		for _, b := range bursts {
			out = append(out, fmt.Sprintf("timeline-%s-burst%d", c, b))
		}
	}
	return out
}

var seedCells = []string{"1x1", "1x3", "3x1", "3x3"}

// TestWrite renders every fixture and checks which charts it got: the
// applicable ones, in order, and none of the others.
func TestWrite(t *testing.T) {
	var grid64Timelines []string // the fixture has bursts on the diagonal
	for i := 1; i <= 8; i++ {
		grid64Timelines = append(grid64Timelines, fmt.Sprintf("timeline-%dx%d-burst20", i, i))
	}
	tests := []struct {
		fixture string
		want    []string // file stems, in order
	}{
		{"seed", slices.Concat(
			[]string{"concurrency", "throughput", "latency", "memory", "heatmap", "timeline-burst5", "timeline-burst20"},
			timelines(seedCells, 5, 20))},
		{"compare", slices.Concat(
			[]string{"concurrency", "throughput", "ratio", "latency", "memory", "heatmap", "timeline-burst5", "timeline-burst20"},
			timelines(seedCells, 5, 20))},
		// One cell is no grid, and no comparison.
		{"one", []string{"concurrency", "throughput", "latency", "memory", "timeline-burst5", "timeline-1x1-burst5"}},
		// A single failed cell has nothing to draw.
		{"failed", nil},
		// A failed cell is marked, not left out; the grid stays a grid.
		{"partial", slices.Concat(
			[]string{"concurrency", "throughput", "latency", "memory", "heatmap", "timeline-burst5", "timeline-burst20"},
			timelines([]string{"1x1", "3x1", "3x3"}, 5, 20))},
		{"nomemory", slices.Concat(
			[]string{"concurrency", "throughput", "latency", "heatmap", "timeline-burst5", "timeline-burst20"},
			timelines(seedCells, 5, 20))},
		// 64 cells are too many for the all-cells timeline.
		{"grid64", slices.Concat(
			[]string{"concurrency", "throughput", "latency", "memory", "heatmap"},
			grid64Timelines)},
		{"grid64-compare", []string{"concurrency", "throughput", "ratio", "latency", "memory", "heatmap"}},
		// An event-loop server, every cell swept: a sweep chart per cell.
		{"eventloop", []string{
			"concurrency", "throughput", "latency", "memory",
			"sweep-1x1", "sweep-2x1", "sweep-3x1",
		}},
		// Two endpoints per configuration are no grid.
		{"endpoints", slices.Concat(
			[]string{"concurrency", "throughput", "latency", "memory", "timeline-burst5"},
			timelines([]string{
				"1x1-get-ms-200", "1x1-get-cpu", "1x3-get-ms-200", "1x3-get-cpu",
				"3x1-get-ms-200", "3x1-get-cpu", "3x3-get-ms-200", "3x3-get-cpu"}, 5))},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			t.Parallel()
			r := load(t, tt.fixture)
			dir := t.TempDir()
			if *outDir != "" {
				dir = filepath.Join(*outDir, tt.fixture)
			}
			paths, err := Write(r, dir)
			if err != nil {
				t.Fatalf("Write: %v", err)
			}
			var got []string
			for _, p := range paths {
				if filepath.Dir(p) != dir {
					t.Errorf("%s is not in %s", p, dir)
				}
				got = append(got, filepath.Base(p))
			}
			if want := files(tt.want...); !slices.Equal(got, want) {
				t.Errorf("wrote\n%q\nwant\n%q", got, want)
			}
			for _, p := range paths {
				if strings.HasSuffix(p, ".svg") {
					wellFormed(t, p)
					if data, _ := os.ReadFile(p); !bytes.Contains(data, []byte(svgFonts)) {
						t.Errorf("%s names no fallback font", p)
					}
					continue
				}
				f, err := os.Open(p)
				if err != nil {
					t.Fatal(err)
				}
				cfg, err := png.DecodeConfig(f)
				f.Close()
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				if cfg.Width != 800 || cfg.Height != 450 {
					t.Errorf("%s is %d × %d px, want 800 × 450", p, cfg.Width, cfg.Height)
				}
			}
		})
	}
}

// wellFormed fails unless the file at path is well-formed XML.
func wellFormed(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

var svgText = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)

// texts returns every text drawn in the SVG rendering of p.
func texts(t *testing.T, p *plot.Plot) []string {
	t.Helper()
	svg, err := Render(p, "svg")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range svgText.FindAllSubmatch(svg, -1) {
		out = append(out, html.UnescapeString(string(m[1])))
	}
	return out
}

// chart finds a chart by name among all charts of a fixture.
func chart(t *testing.T, r *results.Run, name string) *plot.Plot {
	t.Helper()
	cs, err := Charts(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Name == name {
			return c.Plot
		}
	}
	t.Fatalf("no chart %q", name)
	return nil
}

// TestSVGText checks that each chart says what it shows: title, axis labels
// with units, legend entries and the labels that carry the point.
func TestSVGText(t *testing.T) {
	tests := []struct {
		fixture, chart string
		want           []string
	}{
		{"seed", "concurrency", []string{
			"Achieved concurrency vs configured slots (labels: efficiency)",
			"cell (workers x threads)", "requests served at once",
			"median of trials", "trial min–max", "ideal = workers × threads",
			"1x1", "1x3", "3x1", "3x3", "99%", "100%",
		}},
		{"seed", "throughput", []string{
			"Throughput per cell", "throughput (req/s)", "cell (workers x threads)",
			"median of trials", "trial min–max", "44.3", "4.93",
		}},
		{"seed", "latency", []string{
			"Latency per cell under load: p50, p90, p99", "latency (s)",
			"p50", "p90", "p99", "unloaded service time S0",
		}},
		{"seed", "memory", []string{
			"Memory: Σ PSS of all server processes vs workers", "Σ PSS (MiB)", "workers (processes)",
			"1 thread", "3 threads", "40", "42", "75", "78",
		}},
		{"seed", "heatmap", []string{
			"Throughput (req/s) by workers × threads; second line: efficiency",
			"threads per worker", "workers (processes)", "lowest 4.93 req/s", "highest 44.3 req/s",
		}},
		{"seed", "timeline-3x3-burst20", []string{
			"Burst of 20 requests on 3x3 (9 slots): served 9 at a time, 3 waves",
			"time since the burst was fired (s)", "requests by completion wave",
			"wave 1: 9", "wave 2: 9", "wave 3: 2", "unloaded service time S0 = 0.20 s",
		}},
		{"seed", "timeline-1x3-burst20", []string{
			"Burst of 20 requests on 1x3 (3 slots): served 3 at a time, 7 waves", "wave 7: 2",
		}},
		{"seed", "timeline-3x3-burst5", []string{"Burst of 5 requests on 3x3 (9 slots): all 5 served at once"}},
		{"seed", "timeline-burst20", []string{
			"Burst of 20 simultaneous requests on each cell, coloured by completion wave",
			"requests, by cell", "1 at a time", "3 at a time", "9 at a time",
		}},
		{"seed", "timeline-burst5", []string{"wave 1", "wave 5", "all at once"}},
		{"compare", "concurrency", []string{"base, median of trials", "head, median of trials", "89%"}},
		{"compare", "throughput", []string{"base, median of trials", "head, median of trials"}},
		{"compare", "ratio", []string{
			"Throughput change per cell: head ÷ base, with confidence interval",
			"throughput ratio (head ÷ base)", "±5% threshold",
			"regressed", "improved", "unchanged", "inconclusive", "overall (geometric mean of cells)", "overall",
			"−9.9%", "+6.2%",
		}},
		{"compare", "latency", []string{"base (hollow)", "head (filled)"}},
		{"compare", "memory", []string{"head", "base"}},
		{"compare", "heatmap", []string{"Throughput (req/s) by workers × threads; second line: head ÷ base", "×0.90"}},
		{"compare", "timeline-burst20", []string{"Burst of 20 simultaneous requests on each cell (head), coloured by completion wave"}},
		{"compare", "timeline-3x3-burst20", []string{"Burst of 20 requests on 3x3 (head, 9 slots): served 9 at a time, 3 waves"}},
		{"partial", "concurrency", []string{"failed"}},
		{"partial", "throughput", []string{"failed"}},
		{"partial", "latency", []string{"failed"}},
		{"partial", "heatmap", []string{"failed"}},
		{"partial", "memory", []string{"no data: 1x3"}},
		{"partial", "timeline-3x3-burst20", []string{
			"Burst of 20 requests on 3x3 (9 slots): served 9 at a time, 2 waves, 2 failed",
			"failed: 2", "failed (sent until the error)",
		}},
		{"partial", "timeline-burst20", []string{"failed", "9 at a time, 2 failed"}},
		{"grid64", "memory", []string{"8 threads", "no data: 5x6"}},
		{"grid64-compare", "ratio", []string{"±3% threshold", "overall"}},
		{"endpoints", "memory", []string{"1 thread, GET /cpu", "3 threads, GET /?ms=200"}},
		{"endpoints", "concurrency", []string{"3x3 GET /cpu"}},
		{"eventloop", "concurrency", []string{
			"Achieved concurrency per cell (no slots: peak of a connection sweep)",
			"peak of a connection sweep", "peak 141", "peak 435",
		}},
		{"eventloop", "throughput", []string{"peak of a connection sweep", "1384", "4268"}},
		{"eventloop", "sweep-1x1", []string{
			"Connection sweep of 1x1: peak useful concurrency 141 at 1384 req/s",
			"connections of the closed loop (log scale)", "throughput (req/s)",
			"no waiting: connections ÷ S0", "USL fit (σ 0.0004, κ 1.1e-05, R² 0.999)",
			"peak: 256 connections", "measured", "141 at once, 1384 req/s", "8", "512",
		}},
		{"eventloop", "sweep-3x1", []string{
			"Connection sweep of 3x1: peak useful concurrency ≥ 435 at 4268 req/s",
			"most connections tried: 1024 connections",
		}},
	}
	fixtures := map[string]*results.Run{}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.chart, func(t *testing.T) {
			r, ok := fixtures[tt.fixture]
			if !ok {
				r = load(t, tt.fixture)
				fixtures[tt.fixture] = r
			}
			got := texts(t, chart(t, r, tt.chart))
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("no text %q in %q", w, got)
				}
			}
		})
	}
}

// TestNoIdealWithoutSlots: an event-loop server has no slots, so its
// concurrency chart draws no workers × threads ideal and no efficiency.
func TestNoIdealWithoutSlots(t *testing.T) {
	r := load(t, "eventloop")
	r.Cells[0].Efficiency = 7.83 // as an older file might say
	for _, got := range texts(t, chart(t, r, "concurrency")) {
		if strings.Contains(got, "ideal") || strings.HasSuffix(got, "%") {
			t.Errorf("the chart of an event-loop server says %q", got)
		}
	}
}

// TestCrowdedLabels checks that 64 cells thin their axis labels and still
// name the overall ratio.
func TestCrowdedLabels(t *testing.T) {
	r := load(t, "grid64-compare")
	got := texts(t, chart(t, r, "ratio"))
	if !slices.Contains(got, "1x1") || slices.Contains(got, "1x2") {
		t.Errorf("want every other cell named (1x1, not 1x2): %q", got)
	}
	if !slices.Contains(got, "overall") {
		t.Errorf("the overall ratio is not named: %q", got)
	}
}

// TestDeterministic renders the charts of a fixture twice, from fresh
// plots, and wants the same bytes.
// TestDeterministic: PNG output is the same twice in one process (the
// golden SVGs hold the SVG output across processes). One fixture is
// enough: rasterising is the slow part of this package's tests.
func TestDeterministic(t *testing.T) {
	for _, fixture := range []string{"compare"} {
		t.Run(fixture, func(t *testing.T) {
			t.Parallel()
			r := load(t, fixture)
			render := func() map[string][]byte {
				cs, err := Charts(r)
				if err != nil {
					t.Fatal(err)
				}
				out := map[string][]byte{}
				for _, c := range cs {
					for _, f := range []string{"png"} {
						b, err := Render(c.Plot, f)
						if err != nil {
							t.Fatal(err)
						}
						out[c.Name+"."+f] = b
					}
				}
				return out
			}
			a, b := render(), render()
			if len(a) != len(b) {
				t.Fatalf("%d files, then %d", len(a), len(b))
			}
			for name, data := range a {
				if !bytes.Equal(data, b[name]) {
					t.Errorf("%s differs between two renderings", name)
				}
			}
		})
	}
}

func TestNotApplicable(t *testing.T) {
	seed := load(t, "seed")
	noGrid := slices.Clone(seed.Cells[:3])
	twice := append(slices.Clone(seed.Cells), seed.Cells[0])
	tests := []struct {
		name string
		run  func() (*plot.Plot, error)
	}{
		{"concurrency of failed cells", func() (*plot.Plot, error) { return Concurrency(load(t, "failed").Cells) }},
		{"throughput of no cells", func() (*plot.Plot, error) { return Throughput(nil) }},
		{"latency of failed cells", func() (*plot.Plot, error) { return Latency(load(t, "failed").Cells) }},
		{"ratio without comparison", func() (*plot.Plot, error) { return Ratio(seed.Cells, nil, 0.05) }},
		{"memory without memory", func() (*plot.Plot, error) { return Memory(load(t, "nomemory").Cells) }},
		{"heatmap of 3 of 4 cells", func() (*plot.Plot, error) { return Heatmap(noGrid) }},
		{"heatmap with a cell twice", func() (*plot.Plot, error) { return Heatmap(twice) }},
		{"heatmap of one cell", func() (*plot.Plot, error) { return Heatmap(load(t, "one").Cells) }},
		{"heatmap of two endpoints", func() (*plot.Plot, error) { return Heatmap(load(t, "endpoints").Cells) }},
		{"timeline without requests", func() (*plot.Plot, error) { return Timeline(seed.Cells[0], results.Burst{Size: 5}) }},
		{"timelines of an absent size", func() (*plot.Plot, error) { return Timelines(seed.Cells, 7) }},
		{"timelines of 64 cells", func() (*plot.Plot, error) { return Timelines(load(t, "grid64").Cells, 20) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.run()
			if !errors.Is(err, ErrNotApplicable) || p != nil {
				t.Errorf("got %v, %v; want ErrNotApplicable", p, err)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]string{
		"3x3":                 "3x3",
		"3x3 GET /?ms=200":    "3x3-get-ms-200",
		"1x1 POST /api/v1/x/": "1x1-post-api-v1-x",
		"":                    "cell",
		"¡¿":                  "cell",
	} {
		if got := cmp.Or(results.Slug(in, 60), "cell"); got != want {
			t.Errorf("slug(%q) = %q, want %q", in, got, want)
		}
	}
	if got := results.Slug(strings.Repeat("a", 100), 60); len(got) != 60 {
		t.Errorf("slug of 100 letters has %d", len(got))
	}

	// Two bursts of one size on one cell get two files.
	r := load(t, "one")
	r.Cells[0].Bursts = append(r.Cells[0].Bursts, r.Cells[0].Bursts[0])
	cs, err := Charts(r)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	for _, want := range []string{"timeline-1x1-burst5", "timeline-1x1-burst5-2"} {
		if !slices.Contains(names, want) {
			t.Errorf("no chart %s in %q", want, names)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []string
	}{
		{0.85, 1.1, 6, []string{"0.85", "0.90", "0.95", "1.00", "1.05", "1.10"}},
		{0, 80, 5, []string{"0", "20", "40", "60", "80"}},
		{0, 0.25, 8, []string{"0.00", "0.05", "0.10", "0.15", "0.20", "0.25"}},
		{-1, 1, 2, []string{"-1", "0", "1"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range (niceTicks{n: tt.n}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("ticks of [%v, %v]: %q, want %q", tt.lo, tt.hi, got, tt.want)
		}
	}
}

// TestHostile feeds absurd values, as a results file from an untrusted
// pull request might carry: no chart may panic.
func TestHostile(t *testing.T) {
	r := load(t, "compare")
	c := &r.Cells[0]
	c.ThroughputRPS, c.Concurrency, c.Efficiency = math.MaxFloat64, -5, math.MaxFloat64
	c.Trials = append(c.Trials, results.Trial{ThroughputRPS: math.MaxFloat64, Concurrency: math.SmallestNonzeroFloat64})
	c.Latency = results.Latency{P50: -1, P90: math.MaxFloat64, P99: 1e-300}
	c.Memory.PSSBytes = math.MaxUint64
	c.Ratio, c.CILow, c.CIHigh = 1e300, 2e300, -1
	c.Bursts[0].Requests[0].Wave = math.MaxInt
	c.Bursts[0].Requests[1].EndS = -1e300
	c.Bursts[1].Requests[0].StartS = math.MaxFloat64
	r.Cells[1].Workers, r.Cells[1].Threads, r.Cells[1].Slots = 0, 0, 0
	r.Cells[2].Endpoint = strings.Repeat("é", 500)
	r.Overall.Threshold = 50
	dir := t.TempDir()
	if *outDir != "" {
		dir = filepath.Join(*outDir, "hostile")
	}
	_, err := Write(r, dir)
	t.Logf("Write: %v", err) // an error is fine; a panic is not
}
