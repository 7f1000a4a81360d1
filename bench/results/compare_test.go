package results

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

// cellWith returns a w×t cell whose trials have the given throughputs, a
// service time of 0.1 s and a p99 latency of 1/throughput s.
func cellWith(w, t int, xs ...float64) Cell {
	c := Cell{Workers: w, Threads: t, Slots: w * t, Mode: "closed", ServiceTimeS: 0.1}
	for _, x := range xs {
		tr := Trial{ThroughputRPS: x, Concurrency: x * 0.1}
		if x > 0 {
			tr.P99S = 1 / x
		}
		c.Trials = append(c.Trials, tr)
	}
	if len(xs) > 0 {
		c.ThroughputRPS = stats.Median(xs)
		c.Concurrency = c.ThroughputRPS * 0.1
	}
	return c
}

// jittered returns n throughputs around mean·ratio, with a fixed pattern of
// ±spread so that tests are deterministic.
func jittered(n int, mean, ratio, spread float64) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		j := spread * math.Sin(float64(i)*2.1)
		xs[i] = mean * ratio * (1 + j)
	}
	return xs
}

func TestComparePaired(t *testing.T) {
	base := jittered(10, 200, 1, 0.02)
	tests := []struct {
		name      string
		base      Cell
		head      Cell
		threshold float64
		verdict   Verdict
		pairs     int
		diag      string
	}{
		{
			"10% slower",
			cellWith(1, 1, base...),
			cellWith(1, 1, jittered(10, 200, 0.9, 0.02)...),
			0.05,
			Regressed,
			10,
			"",
		},
		{
			"10% faster",
			cellWith(1, 1, base...),
			cellWith(1, 1, jittered(10, 200, 1.1, 0.02)...),
			0.05,
			Improved,
			10,
			"",
		},
		{
			"same, default threshold",
			cellWith(1, 1, jittered(20, 200, 1, 0.01)...),
			cellWith(1, 1, jittered(20, 200, 1.001, 0.01)...),
			0,
			Unchanged,
			20,
			"",
		},
		{
			"uneven trials",
			cellWith(1, 1, base...),
			cellWith(1, 1, jittered(12, 200, 0.9, 0.02)...),
			0.05,
			Regressed,
			10,
			"base has 10 trials and head 12",
		},
		{
			"too few",
			cellWith(1, 1, base[:4]...),
			cellWith(1, 1, jittered(4, 200, 0.5, 0.02)...),
			0.05,
			Inconclusive,
			4,
			"need ≥ 8 pairs",
		},
		{"no trials", cellWith(1, 1), cellWith(1, 1), 0.05, Inconclusive, 0, "no usable pairs"},
		{
			"head failed",
			cellWith(1, 1, base...),
			Cell{Workers: 1, Threads: 1, Error: "server exited"},
			0.05,
			Inconclusive,
			0,
			"head failed: server exited",
		},
		{
			"head served nothing",
			cellWith(1, 1, base...),
			cellWith(1, 1, make([]float64, 10)...),
			0.05,
			Regressed,
			10,
			"zero throughput on one side",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			headDiag := len(tt.head.Diagnostics)
			got := ComparePaired(tt.base, tt.head, tt.threshold, 1)
			if got.Verdict != tt.verdict || got.Pairs != tt.pairs {
				t.Errorf(
					"verdict %s with %d pairs, want %s with %d: %+v",
					got.Verdict,
					got.Pairs,
					tt.verdict,
					tt.pairs,
					got,
				)
			}
			if got.Base == nil || got.Base.Name() != tt.base.Name() ||
				len(got.Base.Trials) != len(tt.base.Trials) {
				t.Errorf("Base not set to base: %+v", got.Base)
			}
			if tt.diag != "" && !strings.Contains(strings.Join(got.Diagnostics, "\n"), tt.diag) {
				t.Errorf("diagnostics %q lack %q", got.Diagnostics, tt.diag)
			}
			if len(tt.head.Diagnostics) != headDiag {
				t.Error("head's diagnostics were modified")
			}
			if got.Verdict == Inconclusive && got.Ratio > 0 && got.MDE == 0 {
				t.Errorf("inconclusive without an MDE: %+v", got)
			}
			if got.Verdict != Inconclusive && got.MDE != 0 {
				t.Errorf("MDE %v reported with verdict %s", got.MDE, got.Verdict)
			}
			if got.Ratio > 0 &&
				!(got.CILow <= got.Ratio && got.Ratio <= got.CIHigh && got.PValue > 0 && got.Method != "") {
				t.Errorf("inconsistent comparison: %+v", got)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("not JSON-encodable: %v", err)
			}
		})
	}
}

func TestComparePairedSideRatios(t *testing.T) {
	base := cellWith(2, 2, jittered(10, 200, 1, 0.02)...)
	head := cellWith(2, 2, jittered(10, 200, 0.8, 0.02)...)
	got := ComparePaired(base, head, 0.05, 0)
	// Concurrency is X·S0 and p99 is 1/X per trial: 0.8 and 1.25.
	if math.Abs(got.ConcurrencyRatio-0.8) > 1e-9 || math.Abs(got.P99Ratio-1.25) > 1e-9 {
		t.Errorf(
			"concurrency ratio %v, p99 ratio %v; want 0.8, 1.25",
			got.ConcurrencyRatio,
			got.P99Ratio,
		)
	}
	// Without per-trial values the cell-level ones are used.
	base.Trials[0].P99S, head.Trials[0].P99S = 0, 0
	for i := range base.Trials {
		base.Trials[i].P99S, head.Trials[i].P99S = 0, 0
	}
	base.Latency.P99, head.Latency.P99 = 0.2, 0.3
	if got := ComparePaired(base, head, 0.05, 0); math.Abs(got.P99Ratio-1.5) > 1e-9 {
		t.Errorf("fallback p99 ratio %v, want 1.5", got.P99Ratio)
	}
	// A stale comparison on the inputs is not carried over.
	head.Verdict, head.MDE, head.Base = Regressed, 0.3, &Cell{}
	base.Base = &Cell{}
	got = ComparePaired(base, head, 0.05, 0)
	if got.Base.Base != nil || got.Verdict != Regressed || got.MDE != 0 {
		t.Errorf("stale fields: %+v", got)
	}
}

func results(host Host, cells ...Cell) *Run {
	return &Run{
		Schema:   Schema,
		Host:     host,
		Command:  "gunicorn --bind {bind} app:app",
		Settings: Settings{DurationS: 5, WarmupS: 1, Trials: 10, KeepAlive: true},
		Cells:    cells,
	}
}

func TestCompare(t *testing.T) {
	host := Host{CPUs: 2, OS: "linux", Arch: "amd64", Hostname: "a", CPUModel: "x"}
	base := results(host,
		cellWith(1, 1, jittered(10, 10, 1, 0.01)...),
		cellWith(1, 3, jittered(10, 30, 1, 0.01)...),
		cellWith(3, 1, jittered(10, 30, 1, 0.01)...))
	base.Dir = "base-checkout"
	h2 := host
	h2.CPUs, h2.Hostname = 4, "b"
	head := results(h2,
		cellWith(1, 1, jittered(10, 10, 0.8, 0.01)...),
		cellWith(1, 3, jittered(10, 30, 1.002, 0.01)...),
		cellWith(3, 3, jittered(10, 90, 1, 0.01)...))
	head.Settings.DurationS = 10
	head.Warnings = []string{"measured warning"}

	got, err := Compare(base, head, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Cells) != 2 || got.Cells[0].Name() != "1x1" || got.Cells[1].Name() != "1x3" {
		t.Fatalf("cells %v, want the intersection 1x1, 1x3", names(got.Cells))
	}
	if got.Cells[0].Verdict != Regressed || got.Cells[1].Verdict != Unchanged {
		t.Errorf(
			"verdicts %s, %s; want regressed, unchanged",
			got.Cells[0].Verdict,
			got.Cells[1].Verdict,
		)
	}
	if got.Cells[0].Base == nil ||
		got.Cells[0].Base.Trials[0].ThroughputRPS != base.Cells[0].Trials[0].ThroughputRPS {
		t.Error("Base not set from base's cell")
	}
	if !strings.Contains(got.Cells[0].Method, "unpaired") || got.Cells[0].Pairs != 0 {
		t.Errorf("method %q, pairs %d", got.Cells[0].Method, got.Cells[0].Pairs)
	}
	if got.Verdict != Regressed || got.Overall == nil || got.Overall.Threshold != 0.05 ||
		got.Overall.Ratio <= 0 {
		t.Errorf("overall %s %+v", got.Verdict, got.Overall)
	}
	if got.BaseCommand != base.Command || got.BaseDir != "base-checkout" || got.Host != h2 {
		t.Errorf("base command %q, dir %q, host %+v", got.BaseCommand, got.BaseDir, got.Host)
	}
	warnings := strings.Join(got.Warnings, "\n")
	for _, want := range []string{"measured warning", "cell 3x3 is only in head", "cell 3x1 is only in base",
		"host CPUs differs: base 2, head 4", `hostname differs: base "a", head "b"`, "duration (s) differs: base 5, head 10", "unpaired"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	for _, unwanted := range []string{"architecture", "keep-alive", "command differs"} {
		if strings.Contains(warnings, unwanted) {
			t.Errorf("warnings mention %q:\n%s", unwanted, warnings)
		}
	}
	if len(head.Cells) != 3 || head.Cells[0].Verdict != "" || len(head.Warnings) != 1 {
		t.Error("Compare modified head")
	}

	// The combined results survive a round trip through results.json.
	path := filepath.Join(t.TempDir(), "results.json")
	if err := Write(path, got); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Verdict != Regressed || back.Cells[0].Base == nil ||
		back.Cells[0].Ratio != got.Cells[0].Ratio {
		t.Errorf("round trip lost the comparison: %+v", back.Cells[0])
	}
}

func TestCompareEndpointsAndDuplicates(t *testing.T) {
	a := cellWith(1, 1, jittered(10, 10, 1, 0.01)...)
	a.Endpoint = "GET /a"
	b := a
	b.Endpoint = "GET /b"
	host := Host{CPUs: 2}
	got, err := Compare(results(host, a, b, a), results(host, b), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Cells) != 1 || got.Cells[0].Name() != "1x1 GET /b" ||
		got.Overall.Threshold != stats.DefaultThreshold {
		t.Errorf("cells %v, overall %+v", names(got.Cells), got.Overall)
	}
	w := strings.Join(got.Warnings, "\n")
	if !strings.Contains(w, "1x1 GET /a appears twice in base") ||
		!strings.Contains(w, "1x1 GET /a is only in base") {
		t.Errorf("warnings:\n%s", w)
	}
}

func TestCompareErrors(t *testing.T) {
	r := results(Host{}, cellWith(1, 1, 10, 11, 12))
	other := results(Host{}, cellWith(2, 2, 10, 11, 12))
	tests := []struct {
		name       string
		base, head *Run
		threshold  float64
		want       string
	}{
		{"nil base", nil, r, 0.05, "missing"},
		{"nil head", r, nil, 0.05, "missing"},
		{"negative threshold", r, r, -0.05, "threshold"},
		{"threshold 1", r, r, 1, "threshold"},
		{"NaN threshold", r, r, math.NaN(), "threshold"},
		{"nothing in common", r, other, 0.05, "no cells in common"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Compare(tt.base, tt.head, tt.threshold); err == nil ||
				!strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestOverallVerdict(t *testing.T) {
	cell := func(verdict Verdict, ratio, p float64) Cell {
		return Cell{
			Workers: 1,
			Threads: 1,
			Comparison: Comparison{
				Verdict: verdict,
				Ratio:   ratio,
				CILow:   ratio * 0.97,
				CIHigh:  ratio / 0.97,
				PValue:  p,
			},
		}
	}
	un := cell(Unchanged, 1, 0.5)
	tests := []struct {
		name  string
		cells []Cell
		want  Verdict
	}{
		{"all unchanged", []Cell{un, un, un, un}, Unchanged},
		{
			"strong regression in one of four",
			[]Cell{un, un, cell(Regressed, 0.9, 0.001), un},
			Regressed,
		},
		// Holm: 4 × 0.008 = 0.032 > 0.01.
		{
			"weak regression in one of four",
			[]Cell{un, un, cell(Regressed, 0.9, 0.008), un},
			Inconclusive,
		},
		{"weak regression alone", []Cell{cell(Regressed, 0.9, 0.008)}, Regressed},
		{"improvement", []Cell{un, cell(Improved, 1.2, 0.0001)}, Improved},
		// Holm: 0.0001·3, then 0.008·2 = 0.016 > 0.01.
		{
			"improvement with a weak regression",
			[]Cell{cell(Regressed, 0.9, 0.008), cell(Improved, 1.2, 0.0001), un},
			Inconclusive,
		},
		{"one inconclusive", []Cell{un, cell(Inconclusive, 0.97, 0.2)}, Inconclusive},
		{
			"failed cell",
			[]Cell{
				un,
				{
					Workers:    1,
					Threads:    1,
					Error:      "boom",
					Comparison: Comparison{Verdict: Inconclusive},
				},
			},
			Inconclusive,
		},
		{"not compared", []Cell{{Workers: 1, Threads: 1}}, Inconclusive},
		{"empty", nil, Inconclusive},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, o := Combine(tt.cells, 0.05)
			if got != tt.want {
				t.Errorf("verdict %s, want %s (%+v)", got, tt.want, o)
			}
			if o.Threshold != 0.05 || o.Method == "" {
				t.Errorf("overall %+v", o)
			}
			if _, err := json.Marshal(o); err != nil {
				t.Errorf("not JSON-encodable: %v", err)
			}
		})
	}
	// The overall ratio is the geometric mean: 0.8 and 1.25 give 1, and
	// the interval is narrower on the log scale by √2 per equal cell.
	_, o := Combine([]Cell{cell(Regressed, 0.8, 0.001), cell(Improved, 1.25, 0.001)}, 0.05)
	if math.Abs(o.Ratio-1) > 1e-12 ||
		math.Abs(math.Log(o.CIHigh)-math.Log(1/0.97)/math.Sqrt2) > 1e-12 {
		t.Errorf("geometric mean %+v", o)
	}
}

// TestOverallSimulation runs whole four-cell matrices through the adaptive
// plan, ComparePaired and OverallVerdict with trials as in
// stats.TestSimulation (3% noise per trial, 3% shared within a pair): A/A
// must not raise a false overall regression more than 1% of the time, and
// a 10% regression confined to one cell, or a 5% one in every cell, must
// be found.
func TestOverallSimulation(t *testing.T) {
	tests := []struct {
		name   string
		ratios [4]float64
		runs   int
		min    float64 // minimum rate of overall "regressed"; for A/A the maximum
	}{
		{"A/A", [4]float64{1, 1, 1, 1}, 500, 0.01},
		{"one cell 10% slower", [4]float64{1, 1, 1 / 1.1, 1}, 300, 0.95},
		{"all cells 5% slower", [4]float64{1 / 1.05, 1 / 1.05, 1 / 1.05, 1 / 1.05}, 300, 0.80},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(uint64(i), 77))
			regressed, pairs := 0, 0
			for range tt.runs {
				var cells []Cell
				for k, ratio := range tt.ratios {
					seq := stats.NewSequential(stats.DefaultPlan(), stats.DefaultThreshold)
					for n := seq.Next(); n > 0; n = seq.Next() {
						for range n {
							s := 0.03 * rng.NormFloat64()
							seq.Add(
								stats.Pair{
									Base: 100 * (1 + s + 0.03*rng.NormFloat64()),
									Head: 100 * ratio * (1 + s + 0.03*rng.NormFloat64()),
								},
							)
						}
					}
					var bx, hx []float64
					for _, p := range seq.Pairs() {
						bx, hx = append(bx, p.Base), append(hx, p.Head)
					}
					pairs += len(bx)
					cells = append(
						cells,
						ComparePaired(cellWith(1, k+1, bx...), cellWith(1, k+1, hx...), 0.05, 0),
					)
				}
				if v, _ := Combine(cells, 0.05); v == Regressed {
					regressed++
				}
			}
			rate := float64(regressed) / float64(tt.runs)
			t.Logf(
				"%s: overall regressed %.1f%% of %d matrices, %.1f pairs per cell",
				tt.name,
				100*rate,
				tt.runs,
				float64(pairs)/float64(4*tt.runs),
			)
			if tt.name == "A/A" && rate > tt.min || tt.name != "A/A" && rate < tt.min {
				t.Errorf("overall regressed %.1f%%, limit %.0f%%", 100*rate, 100*tt.min)
			}
		})
	}
}

func names(cells []Cell) []string {
	var n []string
	for _, c := range cells {
		n = append(n, c.Name())
	}
	return n
}
