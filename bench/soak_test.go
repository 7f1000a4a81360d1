package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// soakEnv enables TestSoak: WORKERBENCH_SOAK=1000000 runs a closed loop of
// that many requests (it takes about a minute and both cores).
const soakEnv = "WORKERBENCH_SOAK"

// TestSoak drives a long closed loop through the whole engine against a
// keep-alive server in another process and checks that workerbench's own
// memory stays flat: latency goes into histograms, never per-request
// slices. It samples this process's RSS twice a second and reports the
// peak (VmHWM).
//
//	WORKERBENCH_SOAK=1000000 go test -run TestSoak -v ./bench/
func TestSoak(t *testing.T) {
	n, _ := strconv.ParseInt(os.Getenv(soakEnv), 10, 64)
	if n <= 0 {
		t.Skip("set " + soakEnv + "=1000000 to run the soak test")
	}
	srv := filepath.Join(t.TempDir(), "soakserver")
	if out, err := exec.Command("go", "build", "-o", srv, "./testdata/soakserver").CombinedOutput(); err != nil {
		t.Fatalf("build soak server: %v\n%s", err, out)
	}
	cfg := DefaultConfig()
	cfg.Command = srv + " -bind {bind}"
	cfg.Dir = t.TempDir()
	cfg.Matrix = []Shape{{1, 1}}
	cfg.Connections = 16
	cfg.Requests = n
	cfg.Duration = 30 * time.Minute // the request count ends the window
	cfg.Warmup = time.Second
	cfg.Timeout = 10 * time.Second

	var (
		mu      sync.Mutex
		samples []int64 // kB
	)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if v := procStatus("VmRSS"); v > 0 {
					mu.Lock()
					samples = append(samples, v)
					mu.Unlock()
				}
			}
		}
	}()
	begin := time.Now()
	res, err := runMatrix(t, cfg)
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	c := res.Cells[0]
	peak := procStatus("VmHWM")
	t.Logf(
		"%d requests (+ warm-up) in %v: %.0f req/s, %d errors, p99 %.3fms",
		c.Requests,
		time.Since(begin).Round(time.Second),
		c.ThroughputRPS,
		c.Errors,
		c.Latency.P99*1e3,
	)
	var parts []string
	for i, s := range samples {
		if i%10 == 0 || i == len(samples)-1 {
			parts = append(parts, strconv.FormatInt(s/1024, 10))
		}
	}
	t.Logf(
		"RSS every 5 s (MiB): %s; peak (VmHWM) %.1f MiB",
		strings.Join(parts, " "),
		float64(peak)/1024,
	)
	if c.Requests < n {
		t.Errorf("%d requests recorded, want %d", c.Requests, n)
	}
	if peak > 50*1024 {
		t.Errorf("peak RSS %.1f MiB, goal ≤ 50 MiB", float64(peak)/1024)
	}
	// Flat: the last samples are within 8 MiB of the level a tenth of the
	// way in (allocator and GC noise), not growing with the request count.
	if len(samples) >= 20 {
		early, late := samples[len(samples)/10], samples[len(samples)-1]
		if late > early+8*1024 {
			t.Errorf("RSS grew from %d to %d MiB during the run", early/1024, late/1024)
		}
	}
}

// procStatus returns a kB field of /proc/self/status, or 0.
func procStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	return 0
}
