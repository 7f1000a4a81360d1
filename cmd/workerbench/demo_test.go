package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/internal/machineload"
)

// TestDemo runs the README's first command as a user would and checks what
// it teaches: the seed's concurrency is workers × threads on the slot
// server, and one event-loop worker serves many requests at once. It uses
// gunicorn and uvicorn where installed (CI installs both) and the built-in
// servers otherwise, as the demo itself does.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo, about a minute")
	}
	bin := buildCLI(t)
	machineload.Within(t, func(b *machineload.Bands) {
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd := exec.Command(bin, "demo", "--out", out)
		cmd.Dir = t.TempDir()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("demo: %v\n%s\n%s", err, stdout.String(), stderr.String())
		}
		t.Logf("stdout:\n%s", stdout.String())

		slots, err := results.Read(filepath.Join(out, "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("slot part: %s", slots.Command)
		if len(slots.Cells) != 4 {
			t.Fatalf("slot part measured %d cells, want the seed's 4", len(slots.Cells))
		}
		for _, c := range slots.Cells {
			want := float64(c.Workers * c.Threads)
			if c.Concurrency < 0.9*want || c.Concurrency > 1.1*want {
				b.Errorf("%dx%d: concurrency %.2f, want workers × threads = %.0f ± 10%%",
					c.Workers, c.Threads, c.Concurrency, want)
			}
		}

		loop, err := results.Read(filepath.Join(out, "event-loop", "results.json"))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("event-loop part: %s (model %s)", loop.Command, loop.Model)
		if loop.Model != results.ModelEventLoop {
			t.Errorf("event-loop part's model %q, want %q", loop.Model, results.ModelEventLoop)
		}
		if len(loop.Cells) != 1 || loop.Cells[0].Sweep == nil {
			b.Errorf("event-loop part: want one swept cell, got %+v", loop.Cells)
			return
		}
		// One worker's loop spends about 0.5 ms of CPU per request and each
		// waits 100 ms: it serves on the order of a hundred at once (278 with
		// uvicorn here, 182 with the built-in server). 20 is far above any slot.
		if peak := loop.Cells[0].PeakConcurrency(); peak < 20 {
			b.Errorf("one event-loop worker's peak useful concurrency %.1f, want ≥ 20", peak)
		}
		for _, want := range []string{"The contrast: one ", "at once on the same 100 ms wait"} {
			if !strings.Contains(stdout.String(), want) {
				t.Errorf("stdout lacks %q", want)
			}
		}
		// One sync worker with one thread serves one request at a time: 0.99
		// and 1.01 are that figure on a busy machine.
		if !regexp.MustCompile(`served (0\.9[5-9]|1\.0[0-5]) request at a time`).MatchString(stdout.String()) {
			b.Errorf("stdout lacks \"served 1.00 request at a time\" (± 5%%)")
		}
		for _, f := range []string{"summary.md", "event-loop/summary.md", "event-loop/sweep-1x1.svg"} {
			if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
				t.Errorf("demo --out wrote no %s", f)
			}
		}
	})
}
