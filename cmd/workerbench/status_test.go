package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench"
)

func TestStatusText(t *testing.T) {
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    bench.Status
		now  time.Duration // since start
		want string
	}{
		{
			"first cell, no estimate yet",
			bench.Status{Shape: bench.Shape{Workers: 1, Threads: 3}, Index: 1, Total: 4, Trials: 1,
				Started: start},
			5 * time.Second,
			"[1/4] 1x3: 1 pair done · 0:05 elapsed · time left known after the first cell",
		},
		{
			// Two cells of 10 s and 14 s: the mean is 12 s; the third has
			// run 4 s of it and a fourth is to come: 8 + 12 = 20 s.
			"from the cells done",
			bench.Status{Shape: bench.Shape{Workers: 3, Threads: 1}, Index: 3, Total: 4, Trials: 6,
				Started: start.Add(24 * time.Second),
				Done:    []time.Duration{10 * time.Second, 14 * time.Second}},
			28 * time.Second,
			"[3/4] 3x1: 6 pairs done · 0:28 elapsed · about 0:20 left",
		},
		{
			// The last cell runs past the mean: nothing more is promised.
			"last cell over time",
			bench.Status{Shape: bench.Shape{Workers: 3, Threads: 3}, Index: 2, Total: 2, Trials: 20,
				Started: start.Add(10 * time.Second), Done: []time.Duration{10 * time.Second}},
			2*time.Hour + 25*time.Second,
			"[2/2] 3x3: 20 pairs done · 2:00:25 elapsed · about 0:00 left",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := statusText(tt.s, "pair", start, start.Add(tt.now)); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestStatusLine: progress lines print above the status line, which is
// cleared before each and drawn again after it, and removed at the end.
func TestStatusLine(t *testing.T) {
	var b bytes.Buffer
	l := newStatusLine(&b, "trial")
	l.mu.Lock()
	start := l.start
	l.now = func() time.Time { return start.Add(3 * time.Second) }
	l.mu.Unlock()
	if _, err := l.Write([]byte("before any status\n")); err != nil {
		t.Fatal(err)
	}
	l.Update(bench.Status{Shape: bench.Shape{Workers: 2, Threads: 2}, Index: 1, Total: 1,
		Started: start})
	if _, err := l.Write([]byte("[1/1] 2x2: ready\n")); err != nil {
		t.Fatal(err)
	}
	l.Close()
	status := "[1/1] 2x2 · 0:03 elapsed · time left known after the first cell"
	want := "before any status\n" +
		status + "\r\033[K[1/1] 2x2: ready\n" + status + "\r\033[K"
	// The ticker may have redrawn the line in between: the same text again.
	got := strings.ReplaceAll(b.String(), status+"\r\033["+"K"+status, status)
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestIsTerminal(t *testing.T) {
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}
