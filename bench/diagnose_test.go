package bench

import (
	"slices"
	"strings"
	"testing"

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
		change func(c *results.Cell)
		want   []string // substrings, one note each
	}{
		{"healthy", func(*results.Cell) {}, nil},
		{
			"fewer connections than slots",
			func(c *results.Cell) { c.Connections = 4; c.Concurrency, c.Efficiency = 3.9, 0.43 },
			[]string{"only 4 connections for 9 slots: achieved concurrency cannot exceed 4"},
		},
		{"CPU-bound", func(c *results.Cell) { c.Bound, c.CPUBoundness = "cpu", 0.93 },
			[]string{
				"CPU-bound handler (93% of the service time is server CPU): throughput is limited by cores (2 here)",
			}},
		{
			"threaded workers short of slots",
			func(c *results.Cell) { c.Concurrency, c.Efficiency = 7.1, 0.79 },
			[]string{
				"achieved 7.1 of 9 configured slots (79%): threaded workers that accept more connections",
			},
		},
		{
			"one worker short of slots: no gthread hint",
			func(c *results.Cell) { c.Workers, c.Slots, c.Concurrency, c.Efficiency = 1, 3, 2.1, 0.7 },
			[]string{"achieved 2.1 of 3 configured slots (70%)"},
		},
		{
			"errors",
			func(c *results.Cell) { c.Errors, c.ErrorKinds = 3, map[string]int64{"status": 2, "connect": 1} },
			[]string{"3 errors (connect: 1, status: 2)"},
		},
		{
			"first burst wave below the slots",
			func(c *results.Cell) { c.Bursts = []results.Burst{{Size: 20, Waves: []int{6, 8, 6}}} },
			[]string{"burst 20: first wave served 6 requests at once, not 9: threaded workers"},
		},
		{"an event loop at its connections", func(c *results.Cell) {
			c.Workers, c.Threads, c.Slots, c.Connections = 1, 1, 1, 8
			c.Concurrency, c.Efficiency = 7.9, 0
		}, []string{"concurrency 7.90 reached the 8 connections of the closed loop: the load " +
			"generator, not the server, was the limit"}},
		{"an event loop swept", func(c *results.Cell) {
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
		}, []string{"swept 8 → 32 connections: peak useful concurrency 15.8 at 158.0 req/s " +
			"(more connections added less than 5% throughput)"}},
		{"a sweep the machine limited", func(c *results.Cell) {
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
		}, []string{"swept 8 → 16 connections", "at the peak the load generator kept 1.20 cores " +
			"busy and the server 0.60, of 2"}},
		{"generator busier than the server", func(c *results.Cell) {
			c.ThroughputRPS, c.GeneratorCPUPerRequestS, c.ServerCPUPerRequestS = 2000, 0.0002, 0.0001
		}, []string{"the load generator used more CPU per request (200µs, 40% of a core) than the server (100µs)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := healthy
			c.Bursts = slices.Clone(healthy.Bursts)
			tt.change(&c)
			diagnose(&c, 2)
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
