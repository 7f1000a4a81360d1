package bench

import (
	"slices"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/profile"
	"github.com/workerbench/workerbench/bench/results"
)

// TestDiagnose: each note appears for the figures that call for it, and
// not for a healthy cell.
func TestDiagnose(t *testing.T) {
	healthy := results.Cell{Workers: 3, Threads: 3, Slots: 9, Connections: 27, ServiceTimeS: 0.1,
		ThroughputRPS: 89.8, Concurrency: 8.98, Efficiency: 0.998, Bound: "io",
		ServerCPUPerRequestS: 0.001, GeneratorCPUPerRequestS: 0.0001,
		Bursts: []results.Burst{{Size: 20, Waves: []int{9, 9, 2}}}}
	tests := []struct {
		name   string
		facts  facts // default: 2 cores, CPython, slots
		change func(c *results.Cell)
		want   []string // substrings, one note each
	}{
		{name: "healthy", change: func(*results.Cell) {}},
		{name: "fewer connections than slots",
			change: func(c *results.Cell) { c.Connections, c.Concurrency, c.Efficiency = 4, 3.9, 0.43 },
			want:   []string{"only 4 connections for 9 slots: achieved concurrency cannot exceed 4"}},
		{name: "CPU-bound, CPython",
			change: func(c *results.Cell) { c.Bound, c.CPUBoundness, c.BusyCores, c.ThroughputRPS = "cpu", 0.93, 1.02, 10 },
			want: []string{"CPU-bound handler (93% of the service time is server CPU): throughput is " +
				"limited by cores (2 here, 1.02 kept busy), and Python threads add none because of the GIL"}},
		{name: "CPU-bound, Ruby", facts: facts{cpus: 2, runtime: profile.Ruby},
			change: func(c *results.Cell) { c.Bound, c.CPUBoundness, c.ThroughputRPS = "cpu", 0.9, 19 },
			want:   []string{"Ruby threads add none because of the GVL"}},
		{name: "CPU-bound, Node", facts: facts{cpus: 2, runtime: profile.Node, model: profile.EventLoop},
			change: func(c *results.Cell) { c.Bound, c.CPUBoundness, c.ThroughputRPS = "cpu", 0.9, 19 },
			want:   []string{"a Node process computes on one thread"}},
		{name: "CPU-bound above the cores", change: func(c *results.Cell) {
			c.Bound, c.CPUBoundness, c.BusyCores = "cpu", 0.8, 1.9
			c.ThroughputRPS, c.ServiceTimeS = 700, 0.004 // X × S0 = 2.8 on 2 cores
		}, want: []string{"CPU-bound handler",
			"CPU-bound concurrency above the core count: throughput × S0 gives 2.80 on 2 cores"}},
		{name: "threaded workers short of slots",
			change: func(c *results.Cell) { c.Concurrency, c.Efficiency = 7.1, 0.79 },
			want: []string{"achieved 7.1 of 9 configured slots (79%): threaded workers that accept " +
				"more connections"}},
		{name: "one worker short of slots: no gthread hint", change: func(c *results.Cell) {
			c.Workers, c.Slots, c.Concurrency, c.Efficiency = 1, 3, 2.1, 0.7
		}, want: []string{"achieved 2.1 of 3 configured slots (70%)"}},
		{name: "the generator was the limit", change: func(c *results.Cell) {
			c.Workers, c.Threads, c.Slots, c.Connections, c.Concurrency, c.Efficiency = 1, 1, 1, 8, 7.9, 7.9
		}, want: []string{"concurrency 7.90 reached the 8 connections of the closed loop: the load " +
			"generator, not the server, was the limit"}},
		{name: "event loop: the generator was the limit, no slot notes", facts: facts{cpus: 2, model: profile.EventLoop},
			change: func(c *results.Cell) {
				c.Workers, c.Threads, c.Slots, c.Connections, c.Concurrency, c.Efficiency = 1, 1, 1, 8, 7.9, 7.9
				c.Bursts[0].Waves = []int{1, 1}
			}, want: []string{"concurrency 7.90 reached the 8 connections of the closed loop: the load generator, not the server, was the limit"}},
		{name: "an event loop swept", change: func(c *results.Cell) {
			c.Workers, c.Threads, c.Slots, c.Connections = 1, 1, 1, 8
			c.Concurrency, c.Efficiency = 7.9, 0
			c.Sweep = &results.Sweep{
				Points: []results.SweepPoint{
					{Connections: 8, ThroughputRPS: 79},
					{Connections: 16, ThroughputRPS: 158, BusyCores: 0.3, GeneratorCores: 0.1},
					{Connections: 32, ThroughputRPS: 160},
				},
				PeakConcurrency: 15.8, PeakThroughputRPS: 158, PeakConnections: 16,
				Limited: results.LimitedThroughput,
			}
		}, want: []string{"swept 8 → 32 connections: peak useful concurrency 15.8 at 158.0 req/s " +
			"(more connections added less than 5% throughput)"}},
		{name: "a sweep the machine limited", change: func(c *results.Cell) {
			c.Workers, c.Threads, c.Slots, c.Connections = 1, 1, 1, 8
			c.Concurrency, c.Efficiency = 7.9, 0
			c.Sweep = &results.Sweep{
				Points: []results.SweepPoint{
					{Connections: 8, ThroughputRPS: 79},
					{Connections: 16, ThroughputRPS: 158, BusyCores: 0.6, GeneratorCores: 1.2},
				},
				PeakConcurrency: 15.8, PeakThroughputRPS: 158, PeakConnections: 16,
				Limited: results.LimitedConnections,
			}
		}, want: []string{"swept 8 → 16 connections", "at the peak the load generator kept 1.20 cores " +
			"busy and the server 0.60, of 2"}},
		{name: "kept-alive responses stalled in the transport", change: func(c *results.Cell) {
			c.ServiceTimeS, c.ServiceTimeNewConnS, c.TransportStallS = 0.0021, 0.0021, 0.0439
			c.Bound, c.CPUBoundness, c.ThroughputRPS = "io", 0.05, 181
			c.KeepAliveOff = &results.Trial{ThroughputRPS: 1322}
		}, want: []string{"kept-alive responses waited 43.9 ms in the transport (S0 2.10 ms on new " +
			"connections): written in pieces without TCP_NODELAY, the client's delayed ACK holds the " +
			"rest (uvicorn --workers ≥ 2); S0 and concurrency leave the wait out; with " +
			"--keep-alive=false 1322.0 req/s, not 181.0"}},
		{name: "unfair scheduling", change: func(c *results.Cell) {
			c.Latency = results.Latency{P50: 0.101, P99: 4.1}
		}, want: []string{"unfair scheduling: p99 is 41 × p50 (4.10 s against 101 ms)"}},
		{name: "errors", change: func(c *results.Cell) {
			c.Errors, c.ErrorKinds = 3, map[string]int64{"status": 2, "connect": 1}
		}, want: []string{"3 errors (connect: 1, status: 2)"}},
		{name: "first burst wave below the slots", change: func(c *results.Cell) {
			c.Bursts = []results.Burst{{Size: 20, Waves: []int{6, 8, 6}}}
		}, want: []string{"burst 20: first wave served 6 requests at once, not 9: threaded workers"}},
		{name: "generator busier than the server", change: func(c *results.Cell) {
			c.ThroughputRPS, c.GeneratorCPUPerRequestS, c.ServerCPUPerRequestS = 2000, 0.0002, 0.0001
		}, want: []string{"the load generator used more CPU per request (200 µs, 40% of a core) than " +
			"the server (100 µs)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := healthy
			c.Bursts = slices.Clone(healthy.Bursts)
			tt.change(&c)
			f := tt.facts
			if f.cpus == 0 {
				f.cpus = 2
			}
			if f.runtime == profile.Unknown && f.model == "" {
				f.runtime = profile.CPython
			}
			if f.argv == nil { // a bare --cmd: gthread workers accept greedily
				f.argv = strings.Fields("gunicorn --bind {bind} --workers {workers} --threads {threads} app:app")
			}
			diagnose(&c, f)
			if len(c.Diagnostics) != len(tt.want) {
				t.Fatalf("notes %q, want %d", c.Diagnostics, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(c.Diagnostics[i], w) {
					t.Errorf("note %q, want it to contain %q", c.Diagnostics[i], w)
				}
			}
			if most := slices.Max(append([]int{0}, c.Bursts[0].Waves...)); c.PeakInFlight != most {
				t.Errorf("peak in flight %d, want the largest wave %d", c.PeakInFlight, most)
			}
		})
	}
}

func TestDiagnoseProcessesAndBoots(t *testing.T) {
	cells := []results.Cell{
		{Workers: 3, Threads: 1, Memory: results.Memory{Processes: 2}, Bound: "cpu", ServiceTimeS: 0.0031},
		{Workers: 3, Threads: 1, Memory: results.Memory{Processes: 4, WorkingProcesses: 3}, Bound: "cpu", ServiceTimeS: 0.005},
		// uvicorn --reload: a reloader, a resource tracker and one server.
		{Workers: 3, Threads: 1, Memory: results.Memory{Processes: 3, WorkingProcesses: 1}, Bound: "io", ServiceTimeS: 0.02},
		{Workers: 1, Threads: 4, Memory: results.Memory{Processes: 1}, Bound: "io", ServiceTimeS: 0.1},
	}
	diagnoseProcesses(cells)
	notes := diagnoseBoots(cells)
	if len(cells[0].Diagnostics) != 1 || !strings.Contains(cells[0].Diagnostics[0], "2 processes did the work where 3 workers were asked") {
		t.Errorf("cell 0 notes %q", cells[0].Diagnostics)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "S0 3.10 ms → 5.00 ms across 3x1 and 3x1") {
		t.Errorf("run notes %q: want the boots note once, naming its cells", notes)
	}
	if len(cells[1].Diagnostics) != 0 || len(cells[3].Diagnostics) != 0 {
		t.Errorf("notes %q, %q: want none on the second and fourth cells", cells[1].Diagnostics, cells[3].Diagnostics)
	}
	if len(cells[2].Diagnostics) != 1 || !strings.Contains(cells[2].Diagnostics[0], "one process did the work where 3 workers") {
		t.Errorf("--reload cell's notes %q", cells[2].Diagnostics)
	}
}

func TestDiagnoseWorkerCap(t *testing.T) {
	cell := func(w, th int, k float64) results.Cell {
		return results.Cell{Workers: w, Threads: th, Slots: w * th, Concurrency: k,
			Efficiency: k / float64(w*th), Bound: "io"}
	}
	profileCmd := strings.Fields("gunicorn --bind {bind} --workers {workers} --threads {threads} " +
		"--worker-connections {threads} app:app")
	slots := facts{cpus: 2, model: profile.Slots, argv: profileCmd}
	for _, tt := range []struct {
		name  string
		cells []results.Cell
		f     facts
		want  string // "" for no note
	}{
		{"a pool of 2 per process", []results.Cell{cell(1, 1, 1), cell(1, 3, 2.01), cell(3, 1, 3.01),
			cell(3, 3, 6.06)}, slots, "each worker served about 2 requests at a time whatever its " +
			"threads (1x3 2.01, 3x3 6.06): a pool, semaphore or lock of about 2 per process"},
		{"healthy seed matrix", []results.Cell{cell(1, 1, 1), cell(1, 3, 3), cell(3, 1, 3),
			cell(3, 3, 8.9)}, slots, ""},
		{"short of slots, not alike per worker", []results.Cell{cell(1, 3, 2.9), cell(3, 3, 5.2)},
			slots, ""},
		{"one cell short", []results.Cell{cell(1, 3, 2), cell(3, 3, 9)}, slots, ""},
		{"event loop has no slots", []results.Cell{cell(1, 3, 2), cell(3, 3, 6)},
			facts{cpus: 2, model: profile.EventLoop}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			notes := diagnoseWorkerCap(tt.cells, tt.f)
			if tt.want == "" && len(notes) > 0 || tt.want != "" && (len(notes) != 1 || !strings.Contains(notes[0], tt.want)) {
				t.Errorf("notes %q, want %q", notes, tt.want)
			}
		})
	}
}

// TestGreedyHint: the greedy-accept hint only where the command lets a
// gthread worker accept more connections than it has threads.
func TestGreedyHint(t *testing.T) {
	c := results.Cell{Workers: 3, Threads: 3, Slots: 9, Concurrency: 6.06, Efficiency: 0.67, Bound: "io",
		Connections: 18}
	for _, tt := range []struct {
		cmd  string
		hint bool
	}{
		{"gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} app:app", false},
		{"gunicorn --bind {bind} --workers {workers} --threads {threads} app:app", true},
		{"uwsgi --http {bind} --processes {workers} --threads {threads} -w app:app", false},
	} {
		cell := c
		diagnose(&cell, facts{cpus: 2, model: profile.Slots, argv: strings.Fields(tt.cmd)})
		notes := strings.Join(cell.Diagnostics, "\n")
		if got := strings.Contains(notes, "--worker-connections equal to --threads"); got != tt.hint {
			t.Errorf("%s: hint %v, want %v; notes:\n%s", tt.cmd, got, tt.hint, notes)
		}
	}
}

// TestBlockedLoopNote: one request at a time per worker on an event loop
// whose handler waits is a blocked loop; fewer than one per worker means
// kept-alive connections reached only some workers.
func TestBlockedLoopNote(t *testing.T) {
	asgi := facts{cpus: 2, model: profile.EventLoop, runtime: profile.CPython,
		argv: strings.Fields("python3 -m uvicorn --workers {workers} app:app")}
	for _, tt := range []struct {
		name string
		k    float64
		f    facts
		want string
	}{
		{"two workers, both blocked", 2.01, asgi, "about one per worker, though"},
		{"one worker took every connection", 1.0, asgi, "about one per worker that got connections (1 of 2"},
		{"gevent", 2.0, facts{cpus: 2, model: profile.EventLoop, runtime: profile.CPython,
			argv: strings.Fields("gunicorn -k gevent app:app")}, "a call gevent cannot patch"},
		{"node", 2.0, facts{cpus: 2, model: profile.EventLoop, runtime: profile.Node,
			argv: strings.Fields("node server.js")}, "synchronous work on the main thread"},
		{"not blocked", 7.5, asgi, ""},
		{"slots, not a loop", 2.0, facts{cpus: 2, model: profile.Slots}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := results.Cell{Workers: 2, Threads: 1, Slots: 2, Connections: 8, Concurrency: tt.k,
				Bound: "io", CPUBoundness: 0.02}
			got := blockedLoopNote(&c, tt.f)
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("note %q, want %q", got, tt.want)
			}
		})
	}
}
