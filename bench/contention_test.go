package bench

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Some tests check a real server's timing or CPU against a band: achieved
// concurrency within 3% of a slot count, a CPU-bound handler on about the
// core count. Those figures are true of the server only while the machine
// gives it the cores; under go test ./... the tests of other packages, and
// the servers they start, run beside these on the same 2 cores. So such a
// test measures, beside its own figures, how busy other processes kept the
// machine, and reads a band that fails as a fault of the server only when
// the machine was quiet.

// quietCores is the most CPU other processes may take during an attempt
// for its failed bands to count as the server's: a fifth of a core, which
// an idle machine's daemons stay well under (0.00–0.05 read here).
const quietCores = 0.2

// attempts is how many times a band that failed on a contended machine is
// measured.
const attempts = 3

// machineLoad measures the cores the machine kept busy from its start:
// every process (from /proc/stat), and the share of it that is not this
// test binary or the servers it started and reaped (getrusage of the
// process and of its waited-for children).
type machineLoad struct {
	start            time.Time
	hostBusy, ownCPU float64 // seconds of CPU
}

func startMachineLoad(t *testing.T) machineLoad {
	t.Helper()
	return machineLoad{start: time.Now(), hostBusy: hostBusySeconds(t), ownCPU: ownCPUSeconds()}
}

// cores returns how many cores the whole machine, and processes other than
// this test's own, kept busy on average since m started.
func (m machineLoad) cores(t *testing.T) (host, others float64) {
	t.Helper()
	wall := time.Since(m.start).Seconds()
	if wall <= 0 {
		return 0, 0
	}
	host = (hostBusySeconds(t) - m.hostBusy) / wall
	own := (ownCPUSeconds() - m.ownCPU) / wall
	return host, max(host-own, 0)
}

// hostBusySeconds is the CPU time every process on the machine has used
// since boot, from the first line of /proc/stat (all but idle and iowait).
func hostBusySeconds(t *testing.T) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Skipf("the machine's load cannot be read: %v", err)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	var busy float64
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	const clockTicks = 100 // USER_HZ, 100 on every Linux architecture Go runs on
	return busy / clockTicks
}

// ownCPUSeconds is the CPU time of this process and of the children it has
// waited for (every server a test started, with their workers).
func ownCPUSeconds() float64 {
	var sum float64
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			sum += time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
	}
	return sum
}

// bands collects the faults of one attempt at a measurement whose bands
// move with the machine's load, in place of t.Errorf.
type bands struct{ faults []string }

// Errorf records a band the attempt's figures fell outside.
func (b *bands) Errorf(format string, args ...any) {
	b.faults = append(b.faults, fmt.Sprintf(format, args...))
}

// withinBands runs attempt, which measures and checks its figures through
// b, and reports its faults as test errors when the machine was quiet
// while it ran. When other processes took more than quietCores, the faults
// may be theirs: the attempt is logged and run again, up to attempts
// times; if every attempt that failed was contended, the test is skipped
// saying so, since the server's bands could not be read on this machine.
// attempt may call t.Fatal for what no load explains (a run that errs).
func withinBands(t *testing.T, attempt func(b *bands)) {
	t.Helper()
	for try := 1; ; try++ {
		load := startMachineLoad(t)
		var b bands
		attempt(&b)
		host, others := load.cores(t)
		t.Logf("attempt %d: the machine kept %.2f of %d cores busy, other processes %.2f",
			try, host, runtime.NumCPU(), others)
		if len(b.faults) == 0 {
			return
		}
		if others <= quietCores {
			for _, f := range b.faults {
				t.Error(f)
			}
			return
		}
		for _, f := range b.faults {
			t.Logf("attempt %d, contended: %s", try, f)
		}
		if try == attempts {
			t.Skipf("the bands could not be checked: other processes kept more than %.2f cores "+
				"busy in each of %d attempts that failed (%.2f in the last)", quietCores, attempts, others)
		}
	}
}

// TestOwnCPUCountsServers: the CPU of a server this test started, and of
// the worker it forked, counts as the test's own once they are reaped, so
// that withinBands does not take a test's own servers for other processes.
func TestOwnCPUCountsServers(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	before := ownCPUSeconds()
	// A master that forks a worker and reaps it, as a pre-fork server
	// does; the worker counts to 300,000 (0.4 s of CPU here).
	cmd := exec.Command(sh, "-c", `sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done' & wait`)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got := ownCPUSeconds() - before; got < 0.2 {
		t.Errorf("own CPU grew %.2f s while a reaped grandchild counted (0.4 s of CPU here), want ≥ 0.2", got)
	}
}
