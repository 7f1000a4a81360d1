package report

import (
	"fmt"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Fixtures: results as the engine would write them for the seed experiment
// (a Flask endpoint that sleeps 200 ms, under gunicorn) and comparisons of it.

const mib = 1 << 20

var seedHost = results.Host{
	CPUs: 2, OS: "linux", Arch: "amd64",
	CPUModel: "Intel(R) Xeon(R) Platinum 8370C CPU @ 2.80GHz", Hostname: "fv-az123-456",
}

var seedSettings = results.Settings{
	DurationS: 5, WarmupS: 1, Trials: 3, KeepAlive: false, Bursts: []int{5, 20}, Seed: 1,
}

const seedCommand = "gunicorn --bind {bind} --workers {workers} --threads {threads} " +
	"--worker-connections {threads} app:app"

// seedCell is one cell of the seed matrix: K ≈ slots, X = K / 0.2 s.
func seedCell(workers, threads int, x, pssMiB float64, bursts ...results.Burst) results.Cell {
	slots := workers * threads
	conns := max(8, 3*slots)
	s0 := 0.2013
	k := x * s0
	p50 := float64(conns) / x
	c := results.Cell{
		Workers: workers, Threads: threads, Slots: slots, Mode: "closed",
		Connections: conns, Requests: int64(x * 15), ServiceTimeS: s0,
		ThroughputRPS: x, Concurrency: k, Efficiency: k / float64(slots),
		Latency: results.Latency{P50: p50, P90: p50 * 1.01, P99: p50 * 1.03, Max: p50 * 1.06},
		Memory: results.Memory{
			PSSBytes:     uint64(pssMiB * mib * 0.98),
			RSSBytes:     uint64((34*float64(workers) + 20) * mib),
			PeakPSSBytes: uint64(pssMiB * mib), Processes: workers + 1,
		},
		ServerCPUPerRequestS: 0.0011, GeneratorCPUPerRequestS: 0.00014,
		CPUBoundness: 0.0055, Bound: "io",
		Trials: []results.Trial{
			{ThroughputRPS: x * 0.998, Concurrency: k * 0.998},
			{ThroughputRPS: x, Concurrency: k},
			{ThroughputRPS: x * 1.002, Concurrency: k * 1.002},
		},
		Bursts: bursts,
	}
	if len(bursts) > 0 {
		c.Waves = bursts[len(bursts)-1].Waves
		c.PeakInFlight = bursts[len(bursts)-1].LargestWave()
	}
	return c
}

func burst(size int, waves ...int) results.Burst {
	return results.Burst{Size: size, Waves: waves}
}

func ones(n int) []int {
	w := make([]int, n)
	for i := range w {
		w[i] = 1
	}
	return w
}

// seedRun is the seed matrix: 1x1, 1x3, 3x1, 3x3 with bursts of 5 and 20.
func seedRun() *results.Run {
	c33 := seedCell(3, 3, 44.7, 78, burst(5, 5), burst(20, 9, 9, 2))
	c33.Diagnostics = []string{"the load generator used 140 µs of CPU per request " +
		"on a 2-CPU runner: it competes with the server for cores"}
	return &results.Run{
		Schema:   results.Schema,
		Version:  "v0.1.0",
		Host:     seedHost,
		Command:  seedCommand,
		Dir:      "examples/flask",
		Settings: seedSettings,
		Started:  "2026-11-25T21:50:00Z",
		Cells: []results.Cell{
			seedCell(1, 1, 4.97, 40, burst(5, 1, 1, 1, 1, 1), burst(20, ones(20)...)),
			seedCell(1, 3, 14.9, 42, burst(5, 3, 2), burst(20, 3, 3, 3, 3, 3, 3, 2)),
			seedCell(3, 1, 14.9, 75, burst(5, 3, 2), burst(20, 3, 3, 3, 3, 3, 3, 2)),
			c33,
		},
	}
}

// The methods of the fixtures' verdicts, as results.Compare names them.
const (
	cellMethod    = "signed-rank test (exact) and Hodges-Lehmann 95% interval of log(head/base)"
	overallMethod = "verdict: Holm over 4 cells' p-values at alpha 0.05; " +
		"ratio: geometric mean of 4 cells' ratios, interval combined from theirs"
)

// Short names for the verdicts of the fixtures' cells.
const (
	same  = results.Unchanged
	worse = results.Regressed
	noisy = results.Inconclusive
)

// overall is the overall result of a comparison of the fixtures' four cells
// with the geometric mean ratio and its interval.
func overall(ratio, lo, hi float64) *results.Overall {
	return &results.Overall{
		Ratio: ratio, CILow: lo, CIHigh: hi, Threshold: 0.05, Method: overallMethod,
	}
}

// compared returns a comparison of the seed run against itself with the
// head's throughput scaled per cell by ratios, and the given verdicts.
func compared(ratios []float64, verdicts []results.Verdict) *results.Run {
	base := seedRun()
	head := seedRun()
	settings := seedSettings
	settings.Trials = 10
	settings.Threshold = 0.05
	r := &results.Run{
		Schema: results.Schema, Version: "v0.1.0", Host: seedHost, Command: seedCommand,
		Dir: "head", Settings: settings, Started: "2026-11-25T22:10:00Z",
		RunComparison: results.RunComparison{BaseDir: "base", BaseCommand: seedCommand},
	}
	for i := range head.Cells {
		h, b := head.Cells[i], base.Cells[i]
		h.ThroughputRPS *= ratios[i]
		h.Concurrency *= ratios[i]
		h.Efficiency *= ratios[i]
		h.Latency.P99 /= ratios[i]
		h.Requests = int64(float64(h.Requests) * ratios[i])
		for j := range h.Trials {
			h.Trials[j].ThroughputRPS *= ratios[i]
			h.Trials[j].Concurrency *= ratios[i]
		}
		h.Memory.PeakPSSBytes += 300 << 10
		h.Diagnostics = nil
		b.Diagnostics = nil
		h.Base = &b
		h.Ratio = ratios[i]
		h.Verdict = verdicts[i]
		h.Pairs = 10
		h.Method = cellMethod + ", 10 pairs"
		h.ConcurrencyRatio = ratios[i]
		h.P99Ratio = 1 / ratios[i]
		switch verdicts[i] {
		case results.Regressed:
			h.CILow, h.CIHigh, h.PValue = ratios[i]-0.021, ratios[i]+0.022, 0.002
		case results.Improved:
			h.CILow, h.CIHigh, h.PValue = ratios[i]-0.02, ratios[i]+0.02, 0.004
		case results.Inconclusive:
			h.CILow, h.CIHigh, h.PValue, h.MDE = ratios[i]-0.07, ratios[i]+0.08, 0.25, 0.09
			h.Pairs = 3
			h.Method = cellMethod + ", 3 pairs"
		default:
			h.CILow, h.CIHigh, h.PValue = ratios[i]-0.009, ratios[i]+0.008, 0.62-0.1*float64(i)
		}
		r.Cells = append(r.Cells, h)
	}
	return r
}

func compareRegressed() *results.Run {
	r := compared([]float64{0.998, 1.003, 0.995, 0.879}, []results.Verdict{same, same, same, worse})
	r.Verdict = results.Regressed
	r.Overall = overall(0.967, 0.955, 0.979)
	r.Cells[3].Diagnostics = []string{"burst 20: first wave served 6 requests at once, not 9"}
	r.Cells[3].Bursts[1].Waves = []int{6, 7, 5, 2}
	return r
}

func compareUnchanged() *results.Run {
	r := compared([]float64{0.998, 1.003, 0.995, 0.988}, []results.Verdict{same, same, same, same})
	r.Verdict = results.Unchanged
	r.Overall = overall(0.996, 0.981, 1.011)
	return r
}

func compareInconclusive() *results.Run {
	r := compared([]float64{0.998, 0.97, 1.004, 0.96}, []results.Verdict{same, noisy, same, noisy})
	r.Verdict = results.Inconclusive
	r.Overall = overall(0.984, 0.93, 1.041)
	r.Warnings = []string{
		"only 3 trial pairs for 1x3 and 3x3 (the run hit its time budget): too few for a verdict",
		"base throughput varied by 6.1% between trials of 3x3 (CV): the runner is noisy",
	}
	return r
}

// hostile is text an attacker controls through a server log or an error.
const hostile = "</details><img src=x onerror=alert(1)> @everyone #1 ``` | pipes |"

func failedHostile() *results.Run {
	r := seedRun()
	r.Cells = r.Cells[:2]
	r.Command = "gunicorn --bind {bind} app:app # " + hostile
	r.Dir = "/tmp/<b>@octocat</b>"
	r.Host.Hostname = "runner @admin #42"
	bad := results.Cell{
		Workers: 3, Threads: 3, Slots: 9, Mode: "closed", Connections: 27,
		Endpoint: "GET /api?x=" + hostile,
		Error:    "server exited with status 3 before answering: " + hostile + "\nsecond line",
		LogExcerpt: []string{
			`File "/srv/app.py", line 3, in <module>`,
			"RuntimeError: " + hostile,
			"````` even longer fence `````",
		},
		LogTail: []string{
			"[2026-11-25 21:50:01 +0000] [4242] [INFO] Starting gunicorn 20.1.0",
			"[2026-11-25 21:50:01 +0000] [4242] [INFO] Listening at: http://127.0.0.1:40123 (4242)",
			"Traceback (most recent call last):",
			"  File \"/srv/app.py\", line 3, in <module>",
			"    raise RuntimeError(\"" + hostile + "\")",
			"RuntimeError: " + hostile,
			"````` even longer fence `````",
			"\x1b[31mred\x1b[0m and a bidi \u202etxt.exe\u202c",
			"[2026-11-25 21:50:02 +0000] [4242] [INFO] Shutting down: Master",
		},
		Log:         "logs/3x3.log",
		Diagnostics: []string{"worker said: " + hostile},
	}
	r.Cells = append(r.Cells, bad)
	r.Warnings = []string{"server printed to stderr: " + hostile}
	return r
}

func interrupted() *results.Run {
	r := seedRun()
	r.Cells = r.Cells[:2]
	r.Interrupted = true
	r.Warnings = []string{"interrupted by SIGINT after 2 of 4 cells (3x1 and 3x3 not measured)"}
	return r
}

// manyCells is a comparison of 64 cells, every fourth failed with a long
// log tail full of backticks and markup, for the size cap.
func manyCells() *results.Run {
	r := compareRegressed()
	tmpl := r.Cells[3]
	r.Cells = nil
	for i := range 64 {
		c := tmpl
		base := *tmpl.Base
		c.Base = &base
		c.Workers, c.Threads = i/8+1, i%8+1
		c.Slots = c.Workers * c.Threads
		base.Workers, base.Threads, base.Slots = c.Workers, c.Threads, c.Slots
		base.Concurrency = 0.995 * float64(c.Slots)
		base.ThroughputRPS = base.Concurrency / base.ServiceTimeS
		base.Efficiency = base.Concurrency / float64(c.Slots)
		c.Endpoint = fmt.Sprintf("GET /sleep?ms=200&cell=%d", i)
		c.Verdict, c.Ratio, c.CILow, c.CIHigh, c.PValue = results.Unchanged, 1.001, 0.99, 1.012, 0.5
		switch {
		case i%4 == 0:
			c.Error = "server exited with status 1: " + strings.Repeat("x", 500)
			for j := range 200 {
				line := fmt.Sprintf("line %d %s ``` ```` <details> </details> @all #%d %s",
					j, hostile, j, strings.Repeat("y", 200))
				c.LogTail = append(c.LogTail, line)
			}
		case i%7 == 0:
			c.Verdict, c.Ratio = results.Regressed, 0.9
			c.CILow, c.CIHigh, c.PValue = 0.88, 0.92, 0.001
		case i%9 == 0:
			c.Verdict, c.MDE = results.Inconclusive, 0.12
		}
		c.Concurrency = base.Concurrency * c.Ratio
		c.ThroughputRPS = base.ThroughputRPS * c.Ratio
		c.Efficiency = base.Efficiency * c.Ratio
		c.Diagnostics = []string{strings.Repeat("a long diagnostic ", 30)}
		r.Cells = append(r.Cells, c)
	}
	return r
}

// eventLoopCell is a cell of an event-loop server (uvicorn) on an endpoint
// that sleeps 100 ms: its concurrency reached the 8 connections of the
// closed loop, so the connections were swept (xs at 8, 16, 32, …).
func eventLoopCell(workers int, pssMiB float64, xs []float64, usl results.USL,
	limited string) results.Cell {
	const s0 = 0.1013
	x0 := xs[0]
	c := results.Cell{
		Workers: workers, Threads: 1, Slots: workers, Mode: "closed",
		Connections: 8, Requests: int64(x0 * 15), ServiceTimeS: s0,
		ThroughputRPS: x0, Concurrency: x0 * s0,
		Latency: results.Latency{P50: 0.1018, P90: 0.1024, P99: 0.1051, Max: 0.112},
		Memory: results.Memory{
			PSSBytes:     uint64(pssMiB * mib * 0.98),
			RSSBytes:     uint64((30*float64(workers) + 20) * mib),
			PeakPSSBytes: uint64(pssMiB * mib), Processes: workers + 1,
		},
		ServerCPUPerRequestS: 0.00062, GeneratorCPUPerRequestS: 0.00004,
		CPUBoundness: 0.0061, Bound: "io", BusyCores: 0.05,
		Trials: []results.Trial{{ThroughputRPS: x0, Concurrency: x0 * s0}},
	}
	s := &results.Sweep{Limited: limited, USL: &usl}
	peak := 0
	for i, x := range xs {
		n := 8 << i
		p50 := max(s0*1.005, float64(n)/x)
		s.Points = append(s.Points, results.SweepPoint{
			Connections: n, ThroughputRPS: x, P50S: p50, P99S: p50 * 1.4,
		})
		if x >= 1.05*xs[peak] {
			peak = i
		}
	}
	k := s.Points[peak]
	s.PeakConnections, s.PeakThroughputRPS = k.Connections, k.ThroughputRPS
	s.PeakConcurrency = k.ThroughputRPS * s0
	c.Sweep = s
	c.Diagnostics = []string{"achieved concurrency 7.96 reached the 8 connections of the " +
		"closed loop: the load generator, not the server, was the limit"}
	return c
}

// eventLoopRun is uvicorn with 1 and 2 workers on a 100 ms sleep: both
// cells swept, no efficiency.
func eventLoopRun() *results.Run {
	return &results.Run{
		Schema:  results.Schema,
		Version: "v0.1.0",
		Host:    seedHost,
		Command: "python3 -m uvicorn --host {host} --port {port} --workers {workers} app:app",
		Model:   results.ModelEventLoop, Runtime: "cpython",
		Dir:      "testdata/apps/asgi",
		Settings: results.Settings{DurationS: 2, WarmupS: 0.5, Trials: 1, KeepAlive: true},
		Started:  "2026-11-29T18:00:00Z",
		Cells: []results.Cell{
			eventLoopCell(1, 24, []float64{78.6, 157, 313, 620, 1180, 1490, 1530},
				results.USL{Lambda: 9.946, Kappa: 9.193e-06, R2: 0.9929, PeakN: 329.8},
				results.LimitedThroughput),
			eventLoopCell(2, 41, []float64{78.9, 158, 315, 627, 1230, 2290, 2650, 2710},
				results.USL{Lambda: 10.01, Sigma: 0.00014, Kappa: 2.647e-06, R2: 0.9886,
					PeakN: 614.6},
				results.LimitedThroughput),
		},
	}
}

// compareEventLoop is ab on the same server: no sweep (ab compares at the
// default connection count), so no efficiency and the concurrency is that
// of 8 connections.
func compareEventLoop() *results.Run {
	r := eventLoopRun()
	r.Settings.Trials, r.Settings.Threshold = 10, 0.05
	r.Dir = "head"
	r.RunComparison = results.RunComparison{
		BaseDir: "base", BaseCommand: r.Command, Verdict: results.Unchanged,
		Overall: &results.Overall{Ratio: 0.999, CILow: 0.993, CIHigh: 1.004, Threshold: 0.05,
			Method: "verdict: Holm over 2 cells' p-values at alpha 0.05"},
	}
	for i := range r.Cells {
		h := &r.Cells[i]
		h.Sweep, h.Diagnostics = nil, nil
		b := *h
		b.ThroughputRPS *= 1.001
		h.Base = &b
		h.Ratio, h.CILow, h.CIHigh, h.PValue = 0.999, 0.992, 1.005, 0.71
		h.Verdict, h.Pairs, h.Method = results.Unchanged, 10, cellMethod+", 10 pairs"
	}
	return r
}

// compareDepsUnmeasured is a pull request that changed its dependency
// files, measured in one environment: the verdict leaves the change out.
// One file name is an attacker's.
func compareDepsUnmeasured() *results.Run {
	r := compareUnchanged()
	r.Dependencies = &results.Dependencies{
		Changed: []string{"poetry.lock", "pyproject.toml", "requirements/" + hostile + ".txt", "uv.lock"},
	}
	return r
}

// compareDepsMeasured is a dependency upgrade measured with each side's
// own environment: a slower driver version regressed.
func compareDepsMeasured() *results.Run {
	r := compareRegressed()
	r.Setup = &results.Setup{
		Command:  "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt",
		WallTime: results.SetupWallTime{BaseS: 14.2, HeadS: 13.8},
	}
	r.Dependencies = &results.Dependencies{Changed: []string{"requirements.txt"}, Setup: true}
	return r
}

// procfile is the deployment of the seed's app as a Procfile states it.
func procfile(workers, threads int) *results.Deployed {
	return &results.Deployed{Cell: fmt.Sprintf("%dx%d", workers, threads), Workers: workers, Threads: threads,
		Profile: "gunicorn", App: "app:app", Sources: []results.Source{{File: "Procfile", Line: 1, What: "web process"}}}
}

// compareDeployed is compareRegressed of a project that deploys 3x3, whose
// base deployed 3x1.
func compareDeployed() *results.Run {
	r := compareRegressed()
	r.Deployed = procfile(3, 3)
	r.BaseDeployed = procfile(3, 1)
	r.Warnings = []string{"base deploys gunicorn 3x1 app:app (Procfile line 1); both sides ran head's " +
		"gunicorn 3x3 app:app (Procfile line 1), so the verdict is the code's under it"}
	return r
}

// deployedHostile is a run whose deployment's text a pull request wrote.
func deployedHostile() *results.Run {
	r := seedRun()
	r.Deployed = procfile(1, 3)
	r.Deployed.App = hostile
	r.Deployed.WorkersExpr = "\n::error::" + hostile
	r.Deployed.Sources = append(r.Deployed.Sources, results.Source{File: hostile, What: "machine " + hostile})
	r.Deployed.Machine = &results.Machine{CPUs: 4}
	r.Recommendation = &results.Recommendation{Workers: 4, Threads: 16, TargetCPUs: 4, Reasons: []string{"x"},
		VsDeployed: &results.VersusDeployed{TargetFromDeployment: true,
			Measured: &results.Versus{Config: "3x3", Deployed: "1x3", ThroughputRatio: 3, PSSRatio: 1.8, P99Ratio: 1},
			Target:   &results.Versus{Config: "4x16", Deployed: "1x3", ThroughputRatio: 21}}}
	return r
}
