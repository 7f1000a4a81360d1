// Command gen writes the results.json fixtures of the charts tests.
//
// The numbers model the seed experiment (a handler that sleeps 200 ms, served
// by gunicorn on a 2-vCPU box) closely enough that the charts look like the
// real thing; the random source is seeded, so the output is stable. Run it
// from the repository root after changing it:
//
//	go run ./charts/testdata/gen charts/testdata
package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"

	"github.com/workerbench/workerbench/bench/results"
)

const (
	mib      = 1 << 20
	s0       = 0.2015 // measured sequential latency of the 200 ms handler
	duration = 5.0
	trials   = 5
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	files := map[string]*results.Run{
		"seed.json":           seed(),
		"compare.json":        compare(),
		"one.json":            one(),
		"failed.json":         failed(),
		"partial.json":        partial(),
		"nomemory.json":       noMemory(),
		"grid64.json":         grid64(false),
		"grid64-compare.json": grid64(true),
		"endpoints.json":      endpoints(),
		"eventloop.json":      eventLoop(),
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if err := results.Write(filepath.Join(dir, n), files[n]); err != nil {
			return err
		}
	}
	return nil
}

func header(bursts ...int) *results.Run {
	return &results.Run{
		Schema:  results.Schema,
		Version: "0.0.0-test",
		Host: results.Host{
			CPUs:     2,
			OS:       "linux",
			Arch:     "amd64",
			CPUModel: "Intel(R) Xeon(R) Platinum 8272CL CPU @ 2.60GHz",
		},
		Command: "gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections 3 app:app",
		Dir:     "examples/flask",
		Settings: results.Settings{
			DurationS: duration, WarmupS: 1, Trials: trials, Bursts: bursts, Seed: 1,
		},
		Started: "2025-03-01T12:00:00Z",
	}
}

// cellSpec is what a fixture cell is made from.
type cellSpec struct {
	workers, threads int
	eff              float64 // achieved concurrency ÷ slots
	pssMiB           float64
	bursts           []int
	noise            float64 // relative spread of the trials
}

func makeCell(rng *rand.Rand, s cellSpec) results.Cell {
	slots := s.workers * s.threads
	conns := max(3*slots, 8)
	x := float64(slots) * s.eff / s0
	c := results.Cell{
		Workers: s.workers, Threads: s.threads, Slots: slots, Mode: "closed",
		Connections: conns, ServiceTimeS: round(s0+rng.Float64()*0.0004, 5),
		ServerCPUPerRequestS: 0.0004, GeneratorCPUPerRequestS: 0.00013,
		CPUBoundness: 0.002, Bound: "io",
	}
	noise := s.noise
	if noise == 0 {
		noise = 0.01
	}
	var xs []float64
	for range trials {
		xi := x * (1 + rng.NormFloat64()*noise)
		n := int64(xi * duration)
		c.Trials = append(c.Trials, results.Trial{
			ThroughputRPS: round(xi, 3), Concurrency: round(xi*c.ServiceTimeS, 3),
			Requests: n, P99S: round(float64(conns)/xi*1.03, 4),
		})
		c.Requests += n
		xs = append(xs, xi)
	}
	slices.Sort(xs)
	c.ThroughputRPS = round(xs[len(xs)/2], 3)
	c.Concurrency = round(c.ThroughputRPS*c.ServiceTimeS, 3)
	c.Efficiency = round(c.Concurrency/float64(slots), 4)
	r := float64(conns) / c.ThroughputRPS // closed loop: every connection waits its turn
	c.Latency = results.Latency{
		P50: round(r, 4),
		P90: round(r*1.012, 4),
		P99: round(r*1.031, 4),
		Max: round(r*1.07, 4),
	}
	if s.pssMiB > 0 {
		pss := s.pssMiB * mib
		rss := (24 + 34*float64(s.workers) + 0.4*float64(s.threads)) * mib
		c.Memory = results.Memory{
			PSSBytes: uint64(pss), RSSBytes: uint64(rss),
			PeakPSSBytes: uint64(pss * 1.02), PeakRSSBytes: uint64(rss * 1.01),
			Processes: s.workers + 1,
		}
	}
	for _, size := range s.bursts {
		c.Bursts = append(c.Bursts, makeBurst(rng, size, slots))
	}
	if n := len(c.Bursts); n > 0 {
		c.Waves = c.Bursts[n-1].Waves
		c.PeakInFlight = c.Bursts[n-1].LargestWave()
	}
	return c
}

// makeBurst fires size requests at a server with slots slots: each wave
// takes about S0, and which request lands in which wave is random.
func makeBurst(rng *rand.Rand, size, slots int) results.Burst {
	b := results.Burst{Size: size}
	for left := size; left > 0; left -= min(left, slots) {
		b.Waves = append(b.Waves, min(left, slots))
	}
	order := rng.Perm(size)
	ends := make([]float64, len(b.Waves))
	t := 0.0
	for k := range ends {
		t += s0 + 0.0015 + rng.Float64()*0.002
		ends[k] = t
	}
	b.Requests = make([]results.BurstRequest, size)
	i := 0
	for k, n := range b.Waves {
		for range n {
			j := order[i]
			start := float64(j)*0.00006 + rng.Float64()*0.0008
			b.Requests[j] = results.BurstRequest{
				StartS: round(start, 5), EndS: round(ends[k]+rng.Float64()*0.0025, 5),
				Wave: k, Status: 200,
			}
			i++
		}
	}
	return b
}

func round(v float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

var seedSpecs = []cellSpec{
	{workers: 1, threads: 1, eff: 0.995, pssMiB: 40.2, bursts: []int{5, 20}},
	{workers: 1, threads: 3, eff: 0.993, pssMiB: 42.1, bursts: []int{5, 20}},
	{workers: 3, threads: 1, eff: 0.996, pssMiB: 74.8, bursts: []int{5, 20}},
	{workers: 3, threads: 3, eff: 0.992, pssMiB: 78.3, bursts: []int{5, 20}},
}

func seed() *results.Run {
	rng := rand.New(rand.NewPCG(1, 1))
	r := header(5, 20)
	for _, s := range seedSpecs {
		r.Cells = append(r.Cells, makeCell(rng, s))
	}
	return r
}

// compare is an ab run of a PR that imports a heavy module at start-up (more
// memory per worker) and adds work to the handler that hurts 3x3 most.
func compare() *results.Run {
	rng := rand.New(rand.NewPCG(2, 2))
	r := header(5, 20)
	r.Settings.Threshold = 0.05
	r.BaseCommand = r.Command
	r.BaseDir = "base/examples/flask"
	type change struct {
		eff, pssMiB, ratio, half float64
		verdict                  results.Verdict
		p                        float64
	}
	changes := []change{
		{eff: 0.994, pssMiB: 46.5, ratio: 0.998, half: 0.012, verdict: results.Unchanged, p: 0.81},
		{eff: 0.990, pssMiB: 48.4, ratio: 1.062, half: 0.018, verdict: results.Improved, p: 0.008},
		{
			eff:     0.992,
			pssMiB:  93.7,
			ratio:   0.968,
			half:    0.055,
			verdict: results.Inconclusive,
			p:       0.31,
		},
		{eff: 0.893, pssMiB: 97.2, ratio: 0.901, half: 0.021, verdict: results.Regressed, p: 0.004},
	}
	logSum := 0.0
	for i, s := range seedSpecs {
		base := makeCell(rng, s)
		hs := s
		hs.eff, hs.pssMiB = changes[i].eff, changes[i].pssMiB
		head := makeCell(rng, hs)
		ch := changes[i]
		head.Base = &base
		head.Ratio = ch.ratio
		head.CILow = round(ch.ratio-ch.half, 4)
		head.CIHigh = round(ch.ratio+ch.half, 4)
		head.PValue = ch.p
		head.Verdict = ch.verdict
		head.ConcurrencyRatio = round(head.Concurrency/base.Concurrency, 4)
		head.P99Ratio = round(head.Latency.P99/base.Latency.P99, 4)
		head.Pairs = trials
		head.Method = "bootstrap"
		if ch.verdict == results.Inconclusive {
			head.MDE = 0.07
		}
		logSum += math.Log(ch.ratio)
		r.Cells = append(r.Cells, head)
	}
	g := math.Exp(logSum / float64(len(changes)))
	r.Overall = &results.Overall{
		Ratio:     round(g, 4),
		CILow:     round(g-0.016, 4),
		CIHigh:    round(g+0.016, 4),
		Threshold: 0.05,
		Method:    "geomean",
	}
	r.Verdict = results.Regressed
	return r
}

func one() *results.Run {
	rng := rand.New(rand.NewPCG(3, 3))
	r := header(5)
	r.Cells = []results.Cell{
		makeCell(rng, cellSpec{workers: 1, threads: 1, eff: 0.995, pssMiB: 40.2, bursts: []int{5}}),
	}
	return r
}

func failedCell(w, t int) results.Cell {
	return results.Cell{
		Workers: w, Threads: t, Slots: w * t, Mode: "closed",
		Error: "start server: no HTTP answer on 127.0.0.1:41233 within 30s",
		LogTail: []string{
			"[2025-03-01 12:00:01 +0000] [4711] [INFO] Starting gunicorn 20.1.0",
			"ModuleNotFoundError: No module named 'app'",
		},
	}
}

func failed() *results.Run {
	r := header(5, 20)
	r.Cells = []results.Cell{failedCell(3, 3)}
	return r
}

// partial has a failed cell and a cell whose burst lost two requests.
func partial() *results.Run {
	rng := rand.New(rand.NewPCG(4, 4))
	r := header(5, 20)
	r.Cells = []results.Cell{
		makeCell(rng, seedSpecs[0]),
		failedCell(1, 3),
		makeCell(rng, seedSpecs[2]),
		makeCell(rng, seedSpecs[3]),
	}
	c := &r.Cells[3]
	c.Errors = 12
	c.ErrorKinds = map[string]int64{"connect": 12}
	c.Diagnostics = []string{"12 connections were reset by the server"}
	b := &c.Bursts[1]
	lost := 0
	for i := range b.Requests {
		if b.Requests[i].Wave == 2 && lost < 2 {
			b.Requests[i] = results.BurstRequest{
				StartS: b.Requests[i].StartS,
				EndS:   0.4551 + 0.0007*float64(lost),
				Wave:   -1,
				Error:  "read: connection reset by peer",
			}
			lost++
		}
	}
	b.Waves = b.Waves[:2]
	c.Waves = b.Waves
	return r
}

func noMemory() *results.Run {
	r := seed()
	for i := range r.Cells {
		r.Cells[i].Memory = results.Memory{}
	}
	return r
}

// grid64 is an 8x8 matrix; efficiency drops as the slots outgrow two CPUs.
func grid64(withBase bool) *results.Run {
	rng := rand.New(rand.NewPCG(5, 5))
	r := header(20)
	if withBase {
		r.Settings.Threshold = 0.03
		r.BaseCommand = r.Command
	}
	logSum, n := 0.0, 0
	for w := 1; w <= 8; w++ {
		for t := 1; t <= 8; t++ {
			s := cellSpec{
				workers: w, threads: t, eff: 1 - 0.002*float64(w*t) - 0.004*float64(w),
				pssMiB: 24 + 16.2*float64(w) + 0.35*float64(t), bursts: []int{20}, noise: 0.02,
			}
			// Bursts on the diagonal only: 64 timelines would say nothing
			// eight do not, and would slow the tests down.
			if withBase || w != t {
				s.bursts = nil
			}
			c := makeCell(rng, s)
			if withBase {
				base := makeCell(rng, s)
				c.Base = &base
				c.Ratio = round(1+rng.NormFloat64()*0.02-0.002*float64(w), 4)
				c.CILow = round(c.Ratio-0.01-rng.Float64()*0.02, 4)
				c.CIHigh = round(c.Ratio+0.01+rng.Float64()*0.02, 4)
				c.Pairs = trials
				c.Method = "bootstrap"
				switch {
				case c.CIHigh < 0.97:
					c.Verdict = results.Regressed
				case c.CILow > 1.03:
					c.Verdict = results.Improved
				case c.CILow > 0.97 && c.CIHigh < 1.03:
					c.Verdict = results.Unchanged
				default:
					c.Verdict = results.Inconclusive
				}
				logSum += math.Log(c.Ratio)
				n++
			}
			r.Cells = append(r.Cells, c)
		}
	}
	// A cell whose server never came up, in the middle of the grid.
	r.Cells[8*4+5] = failedCell(5, 6)
	if withBase {
		g := math.Exp(logSum / float64(n))
		r.Overall = &results.Overall{
			Ratio:     round(g, 4),
			CILow:     round(g-0.006, 4),
			CIHigh:    round(g+0.006, 4),
			Threshold: 0.03,
			Method:    "geomean",
		}
		r.Verdict = results.Regressed
	}
	return r
}

// endpoints measures two endpoints on each cell, so cell names carry them.
func endpoints() *results.Run {
	rng := rand.New(rand.NewPCG(6, 6))
	r := header(5)
	for _, s := range seedSpecs {
		s.bursts = []int{5}
		c := makeCell(rng, s)
		c.Endpoint = "GET /?ms=200"
		r.Cells = append(r.Cells, c)
		// The CPU-bound endpoint: parallelism is capped by the 2 cores.
		cs := s
		cs.eff = math.Min(1, 1.9/float64(s.workers*s.threads))
		if s.threads > 1 && s.workers == 1 {
			cs.eff = 0.75 / float64(s.threads) // the GIL: threads make it worse
		}
		cpu := makeCell(rng, cs)
		cpu.Endpoint = "GET /cpu"
		cpu.Bound = "cpu"
		cpu.CPUBoundness = 0.97
		r.Cells = append(r.Cells, cpu)
	}
	return r
}

// eventLoop is uvicorn with 1, 2 and 3 workers on a handler that sleeps
// 100 ms: the 8 connections of the closed loop limited every cell, so each
// was swept. The sweep's throughputs follow a Universal Scalability Law per
// cell (the fit recorded is that law, with the R² of the noisy points), and
// the 3x1 sweep ran into its connection limit.
func eventLoop() *results.Run {
	const loopS0 = 0.1019
	rng := rand.New(rand.NewPCG(3, 3))
	r := header()
	r.Command = "python3 -m uvicorn --host {host} --port {port} --workers {workers} app:app"
	r.Model, r.Runtime = results.ModelEventLoop, "cpython"
	r.Dir = "testdata/eventloop"
	r.Settings.KeepAlive = true
	laws := []results.USL{
		{Lambda: 9.6, Sigma: 0.0004, Kappa: 1.1e-5},
		{Lambda: 9.7, Sigma: 0.0002, Kappa: 3.2e-6},
		{Lambda: 9.7, Sigma: 0.0001, Kappa: 1.2e-6},
	}
	maxConns := []int{1024, 2048, 1024}
	for i, law := range laws {
		workers := i + 1
		pss := (26 + 17*float64(i)) * mib
		c := results.Cell{
			Workers: workers, Threads: 1, Slots: workers, Mode: "closed",
			Connections: 8, ServiceTimeS: loopS0,
			Latency: results.Latency{P50: 0.1031, P90: 0.1042, P99: 0.1088, Max: 0.1203},
			Memory: results.Memory{PSSBytes: uint64(pss), PeakPSSBytes: uint64(pss * 1.02),
				RSSBytes: uint64(pss * 1.6), Processes: workers + 1},
			ServerCPUPerRequestS: 0.0006, GeneratorCPUPerRequestS: 0.00005,
			CPUBoundness: 0.006, Bound: "io", BusyCores: 0.05,
		}
		s := &results.Sweep{Limited: results.LimitedThroughput}
		peak := 0
		var ys, fs []float64
		for n := 8; n <= maxConns[i]; n *= 2 {
			x := round(law.At(float64(n))*(1+0.02*rng.NormFloat64()), 1)
			p50 := max(loopS0*1.01, float64(n)/x)
			s.Points = append(s.Points, results.SweepPoint{
				Connections: n, ThroughputRPS: x, P50S: round(p50, 4), P99S: round(p50*1.5, 4),
			})
			ys, fs = append(ys, x), append(fs, law.At(float64(n)))
			if len(s.Points) == 1 || x >= 1.05*s.Points[peak].ThroughputRPS {
				peak = len(s.Points) - 1
			} else {
				break
			}
		}
		if s.Points[len(s.Points)-1].Connections == maxConns[i] && peak == len(s.Points)-1 {
			s.Limited = results.LimitedConnections
		}
		k := s.Points[peak]
		c.ThroughputRPS = s.Points[0].ThroughputRPS
		c.Concurrency = round(c.ThroughputRPS*loopS0, 3)
		c.Requests = int64(c.ThroughputRPS * duration)
		c.Trials = []results.Trial{{ThroughputRPS: c.ThroughputRPS, Concurrency: c.Concurrency,
			Requests: c.Requests}}
		s.PeakConnections, s.PeakThroughputRPS = k.Connections, k.ThroughputRPS
		s.PeakConcurrency = round(k.ThroughputRPS*loopS0, 2)
		law.R2 = round(r2(ys, fs), 4)
		law.PeakN = round(math.Sqrt((1-law.Sigma)/law.Kappa), 1)
		s.USL = &law
		c.Sweep = s
		r.Cells = append(r.Cells, c)
	}
	return r
}

// r2 is 1 − SSres/SStot of fitted values fs against ys.
func r2(ys, fs []float64) float64 {
	mean := 0.0
	for _, y := range ys {
		mean += y / float64(len(ys))
	}
	var res, tot float64
	for i := range ys {
		res += (ys[i] - fs[i]) * (ys[i] - fs[i])
		tot += (ys[i] - mean) * (ys[i] - mean)
	}
	return 1 - res/tot
}
