package machineload

import (
	"os/exec"
	"strings"
	"testing"
)

// TestOwnCPUCountsServers: the CPU of a server this test started, and of
// the worker it forked, counts as the test's own once they are reaped, so
// that Within does not take a test's own servers for other processes.
func TestOwnCPUCountsServers(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	before := OwnCPUSeconds()
	// A master that forks a worker and reaps it, as a pre-fork server
	// does; the worker counts to 300,000 (0.4 s of CPU here).
	cmd := exec.Command(sh, "-c", `sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done' & wait`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := OwnCPUSeconds() - before; got < 0.2 {
		t.Errorf("own CPU grew %.2f s while a reaped grandchild counted (0.4 s of CPU here), want ≥ 0.2", got)
	}
}

// recorder is a testing.TB that records what Within reports.
type recorder struct {
	testing.TB
	errors, logs []string
	skipped      bool
}

func (r *recorder) Helper()                         {}
func (r *recorder) Error(args ...any)               { r.errors = append(r.errors, args[0].(string)) }
func (r *recorder) Logf(format string, args ...any) { r.logs = append(r.logs, format) }
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	panic(skip{})
}

type skip struct{}

// TestWithinPassesAndFails: a band that holds is one attempt; a band that
// fails on a machine this test keeps quiet is an error, at once.
func TestWithinPassesAndFails(t *testing.T) {
	r := &recorder{TB: t}
	tries := 0
	Within(r, func(b *Bands) { tries++ })
	if tries != 1 || len(r.errors) != 0 {
		t.Errorf("a band that holds: %d attempts, errors %q; want 1 and none", tries, r.errors)
	}
	// Whether the machine is quiet now is not up to this test: a fault is
	// either an error at the first attempt (quiet) or logged as contended
	// and measured again.
	r, tries = &recorder{TB: t}, 0
	func() {
		defer func() {
			if v := recover(); v != nil && v != (skip{}) {
				panic(v)
			}
		}()
		Within(r, func(b *Bands) { tries++; b.Errorf("concurrency %.2f, want 4", 3.5) })
	}()
	switch {
	case len(r.errors) == 1 && tries == 1:
		if r.errors[0] != "concurrency 3.50, want 4" {
			t.Errorf("error %q", r.errors[0])
		}
	case r.skipped && tries == Attempts:
		if !strings.Contains(strings.Join(r.logs, "\n"), "contended") {
			t.Errorf("skipped without logging the contended attempts: %q", r.logs)
		}
	default:
		t.Errorf("a failing band: %d attempts, errors %q, skipped %v", tries, r.errors, r.skipped)
	}
}
