package results

import "testing"

func TestSlotsApply(t *testing.T) {
	slot := Cell{Workers: 3, Threads: 3, Slots: 9, Connections: 27, Concurrency: 8.98}
	loop := Cell{Workers: 1, Threads: 1, Slots: 1, Connections: 8, Concurrency: 7.9}
	queued := Cell{Workers: 1, Threads: 1, Slots: 1, Connections: 8, Concurrency: 6.8}
	fewConns := Cell{Workers: 2, Threads: 8, Slots: 16, Connections: 4, Concurrency: 4}
	swept := loop
	swept.Sweep = &Sweep{PeakConcurrency: 150, PeakThroughputRPS: 1500}
	tests := []struct {
		name    string
		model   string
		c       Cell
		limited bool
		slots   bool
	}{
		{"slot server", "", slot, false, true},
		{"slot server told", "slots", slot, false, true},
		{"event loop at its connections", "", loop, true, false},
		{"event loop with some queueing", "", queued, true, false},
		{"fewer connections than slots", "", fewConns, false, true},
		{"event-loop model", ModelEventLoop, slot, false, false},
		{"swept", "", swept, true, false},
	}
	for _, tt := range tests {
		if got := tt.c.LimitedByConnections(); got != tt.limited {
			t.Errorf("%s: LimitedByConnections %v, want %v", tt.name, got, tt.limited)
		}
		if got := SlotsApply(tt.model, tt.c); got != tt.slots {
			t.Errorf("%s: SlotsApply %v, want %v", tt.name, got, tt.slots)
		}
	}
}

// TestBestSwept: a swept cell competes with the throughput at its peak,
// not with that of the connections it started with.
func TestBestSwept(t *testing.T) {
	a := Cell{Workers: 1, Threads: 1, Slots: 1, Connections: 8, ThroughputRPS: 79}
	b := a
	b.Workers, b.Slots = 2, 2
	b.Sweep = &Sweep{PeakThroughputRPS: 2650, PeakConcurrency: 268}
	a.Sweep = &Sweep{PeakThroughputRPS: 1490, PeakConcurrency: 151}
	r := &Run{Cells: []Cell{a, b}}
	if best, _ := r.Best(); best.Workers != 2 {
		t.Errorf("best %s, want 2x1 (2650 req/s at its peak)", best.Name())
	}
}
