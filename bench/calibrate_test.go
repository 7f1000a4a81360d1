package bench

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// The calibration measures the regression verdict's error rates under this
// machine's real noise. It takes about half an hour, so it runs only when
// asked:
//
//	go test -run TestCalibrate -calibrate -timeout 2h -v ./bench/
var (
	calibrate  = flag.Bool("calibrate", false, "run the regression-verdict calibration (slow)")
	calibScale = flag.Float64(
		"calibrate.scale",
		1,
		"fraction of the calibration's verdict counts to run",
	)
	calibCases = flag.String(
		"calibrate.cases",
		"kslot-0,kslot-10,kslot-5,kslot-5.5,gunicorn-0,gunicorn-10",
		"calibration cases to run",
	)
)

// calibCase reports whether the named case was asked for.
func calibCase(name string) bool {
	return strings.Contains(","+*calibCases+",", ","+name+",")
}

// calibration boots a base and a head server once and draws many verdicts
// from them, each a fresh sequence of interleaved pairs.
type calibration struct {
	t     *testing.T
	ab    *AB
	shape Shape
}

// calibrationAB is the default comparison of cfg.Dir with itself; run
// injects head's slowdown.
func calibrationAB(t *testing.T, cfg *Config) *AB {
	o := DefaultABOptions()
	o.BaseDir, o.HeadDir = cfg.Dir, cfg.Dir
	return newAB(t, Runner{Config: cfg}, o)
}

type calibRow struct {
	server   string
	slowdown float64
	verdicts map[results.Verdict]int
	n        int
	pairs    []int
	ratios   []float64
	elapsed  time.Duration
}

func (c *calibration) run(server string, slowdown float64, n int) calibRow {
	t, a := c.t, c.ab
	ctx := context.Background()
	cfg := a.Config
	row := calibRow{server: server, slowdown: slowdown, verdicts: map[results.Verdict]int{}, n: n}
	dir := cfg.Dir
	logs := t.TempDir()
	base, baseAddr, err := a.boot(ctx, "base", c.shape, dir, nil, filepath.Join(logs, "base.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.stop(base, nil)
	head, headAddr, err := a.boot(
		ctx,
		"head",
		c.shape,
		dir,
		[]string{fmt.Sprintf("WORKERBENCH_SLOWDOWN=%g", slowdown)},
		filepath.Join(logs, "head.log"),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer a.stop(head, nil)
	e := cfg.Endpoints[0]
	bc, hc := cfg.blankCell(c.shape, e), cfg.blankCell(c.shape, e)
	quiet := func(string, ...any) {}
	bm := &meter{
		cfg:      cfg,
		pgid:     base.Pgid(),
		target:   cfg.target(baseAddr, e),
		cell:     &bc,
		progress: quiet,
	}
	hm := &meter{
		cfg:      cfg,
		pgid:     head.Pgid(),
		target:   cfg.target(headAddr, e),
		cell:     &hc,
		progress: quiet,
	}
	if err := serviceTimes(ctx, bm, hm); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(uint64(slowdown*1000), 7))
	failed := 0
	for i := range n {
		d, err := a.pairs(ctx, bm, hm, rng)
		if err != nil {
			// A trial in which nothing completed, even after longer
			// windows, is the machine stalling, not a verdict: say so and
			// draw the verdict again, unless it keeps happening.
			if failed++; failed > max(n/20, 1) {
				t.Fatalf("%d verdicts failed, the last: %v", failed, err)
			}
			t.Logf("%s slowdown %g: verdict %d failed, drawn again: %v", server, slowdown, i+1, err)
			d, err = a.pairs(ctx, bm, hm, rng)
			if err != nil {
				t.Fatal(err)
			}
		}
		row.verdicts[d.Verdict]++
		if slowdown > 0 && d.Verdict != results.Regressed {
			// What a missed change looked like: its pairs and interval.
			t.Logf("%s slowdown %g: verdict %d %s after %d pairs, ratio %.3f [%.3f, %.3f]: %s",
				server, slowdown, i+1, d.Verdict, d.N, d.Ratio, d.Low, d.High, d.Method)
		}
		row.pairs = append(row.pairs, d.N)
		row.ratios = append(row.ratios, d.Ratio)
		if (i+1)%20 == 0 {
			t.Logf("%s slowdown %g: %d/%d verdicts %v", server, slowdown, i+1, n, row.verdicts)
		}
	}
	row.elapsed = time.Since(start)
	return row
}

func (r calibRow) String() string {
	slices.Sort(r.pairs)
	slices.Sort(r.ratios)
	rate := func(v results.Verdict) string { return fmt.Sprintf("%5.1f%%", 100*float64(r.verdicts[v])/float64(r.n)) }
	return fmt.Sprintf(
		"| %-16s | %4.1f%% | %+5.1f%% | %4d | %s | %s | %s | %s | %3d | %6.1fs |",
		r.server,
		100*r.slowdown,
		100*(r.ratios[len(r.ratios)/2]-1),
		r.n,
		rate(results.Regressed),
		rate(results.Unchanged),
		rate(results.Inconclusive),
		rate(results.Improved),
		r.pairs[len(r.pairs)/2],
		r.elapsed.Seconds()/float64(r.n),
	)
}

func TestCalibrate(t *testing.T) {
	if !*calibrate {
		t.Skip("calibration runs only with -calibrate (about 30 minutes)")
	}
	scaled := func(n int) int { return max(int(float64(n)**calibScale), 1) }
	var rows []calibRow

	// The K-slot server, 2 slots of 5 ms: hundreds of verdicts in half an
	// hour, at about 400 requests/s so that the sleep, not CPU, sets the pace
	// (at 2 ms and 1800 requests/s connection handling dominated and a
	// slower sleep did not show).
	slot, env := slotServerCommand(t, 5*time.Millisecond)
	cfg := DefaultABConfig()
	cfg.Command, cfg.Env = slot+" -precise", env
	cfg.Matrix = []Shape{{1, 2}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup = 100*time.Millisecond, 40*time.Millisecond
	cfg.Dir = t.TempDir()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	k := &calibration{t: t, ab: calibrationAB(t, &cfg), shape: Shape{1, 2}}
	// Cases kslot-N inject an N% slower sleep into head. Connection
	// handling is not slowed, so the throughput drop is smaller than N:
	// the table's median change column says by how much (a 5% slower
	// sleep, 4.7 to 4.9%; 5.5%, about 5.2%).
	for _, name := range strings.Split(*calibCases, ",") {
		pct, ok := strings.CutPrefix(name, "kslot-")
		if !ok {
			continue
		}
		n, err := strconv.ParseFloat(pct, 64)
		if err != nil || n < 0 {
			t.Fatalf("-calibrate.cases: %q: want kslot-N, N a percentage such as 5 or 5.5", name)
		}
		verdicts := 100
		if n == 0 {
			verdicts = 200
		}
		rows = append(rows, k.run("K-slot 1x2 5ms", n/100, scaled(verdicts)))
	}
	assertNoProcesses(t, cfg.Dir)

	// gunicorn + Flask, 2 workers × 2 threads, a 10 ms endpoint.
	if g, err := os.Stat("/usr/bin/gunicorn"); err == nil && !g.IsDir() {
		gc := DefaultABConfig()
		gc.Command = "/usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} app:app"
		gc.Dir = flaskDir(t)
		gc.Matrix = []Shape{{2, 2}}
		gc.Endpoints = []Endpoint{{Path: "/?ms=10"}}
		gc.Health = "/health"
		gc.Duration, gc.Warmup = 200*time.Millisecond, 100*time.Millisecond
		if err := gc.Validate(); err != nil {
			t.Fatal(err)
		}
		g := &calibration{t: t, ab: calibrationAB(t, &gc), shape: Shape{2, 2}}
		if calibCase("gunicorn-0") {
			rows = append(rows, g.run("gunicorn 2x2 10ms", 0, scaled(30)))
		}
		if calibCase("gunicorn-10") {
			rows = append(rows, g.run("gunicorn 2x2 10ms", 0.10, scaled(30)))
		}
		assertNoProcesses(t, gc.Dir)
	}

	var b strings.Builder
	b.WriteString(
		"| server | injected slowdown | median throughput change | verdicts | regressed | unchanged | inconclusive | improved | median pairs | s/verdict |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
	)
	for _, r := range rows {
		b.WriteString(r.String() + "\n")
	}
	t.Log("\n" + b.String())
	// Targets: no more than 1% false alarms without a change; a 10%
	// slower sleep detected 95% of the time; a drop of at least the
	// threshold (the median change, not the sleep's) 90%. A smaller drop
	// (a 5% slower sleep lost 4.7% of throughput in one boot) is only
	// reported: shown to be inside the threshold, unchanged is its right
	// answer, and the more precise the pairs, the more often it is given.
	for _, r := range rows {
		got := float64(r.verdicts[results.Regressed]) / float64(r.n)
		change := r.ratios[len(r.ratios)/2] - 1
		switch {
		case r.slowdown == 0 && got > 0.01:
			t.Errorf("%s A/A: false regressed rate %.1f%% > 1%%", r.server, 100*got)
		case r.slowdown >= 0.10 && got < 0.95:
			t.Errorf("%s %.1f%% drop: detected %.1f%% < 95%%", r.server, 100*change, 100*got)
		case r.slowdown > 0 && -change >= results.DefaultThreshold && got < 0.90:
			t.Errorf("%s %.1f%% drop: detected %.1f%% < 90%%", r.server, 100*change, 100*got)
		}
	}
}
