// Package machineload lets a test read a real server's timing or CPU
// against a band only when the machine gave the server its cores.
//
// Such figures (achieved concurrency within 3% of a slot count, a
// CPU-bound handler on about the core count) are true of the server only
// while nothing else takes the cores; under go test ./... the tests of
// other packages, and the servers they start, run beside each other on
// the same few cores. A test measures through Within, which measures
// beside the server's figures how busy other processes kept the machine,
// and reads a band that fails as a failure only when the machine was
// quiet.
package machineload

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// QuietCores is the most CPU other processes may take during an attempt
// for its failed bands to count as failures: a fifth of a core, which an
// idle machine's daemons stay well under (0.00–0.05 read here).
const QuietCores = 0.2

// Attempts is how many times a band that failed on a contended machine is
// measured.
const Attempts = 3

// Load measures the cores the machine kept busy from its start: every
// process (from /proc/stat), and the share of it that is not this test
// binary or the processes it started and reaped (getrusage of the process
// and of its waited-for children, which holds their own children's CPU
// once they reaped them, as pre-fork servers do).
type Load struct {
	start            time.Time
	hostBusy, ownCPU float64 // seconds of CPU
}

// Start begins measuring. It fails when /proc/stat cannot be read.
func Start() (Load, error) {
	busy, err := HostBusySeconds()
	if err != nil {
		return Load{}, err
	}
	return Load{start: time.Now(), hostBusy: busy, ownCPU: OwnCPUSeconds()}, nil
}

// Cores returns how many cores the whole machine, and processes other
// than this test's own, kept busy on average since l started.
func (l Load) Cores() (host, others float64) {
	wall := time.Since(l.start).Seconds()
	busy, err := HostBusySeconds()
	if wall <= 0 || err != nil {
		return 0, 0
	}
	host = (busy - l.hostBusy) / wall
	own := (OwnCPUSeconds() - l.ownCPU) / wall
	return host, max(host-own, 0)
}

// HostBusySeconds is the CPU time every process on the machine has used
// since boot, from the first line of /proc/stat (all but idle and iowait).
func HostBusySeconds() (float64, error) {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, fmt.Errorf("the machine's load cannot be read: %w", err)
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
	return busy / clockTicks, nil
}

// OwnCPUSeconds is the CPU time of this process and of the children it
// has waited for.
func OwnCPUSeconds() float64 {
	var sum float64
	for _, who := range []int{syscall.RUSAGE_SELF, syscall.RUSAGE_CHILDREN} {
		var ru syscall.Rusage
		if syscall.Getrusage(who, &ru) == nil {
			sum += time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
	}
	return sum
}

// Bands collects the faults of one attempt at a measurement whose bands
// move with the machine's load, in place of t.Errorf.
type Bands struct{ faults []string }

// Errorf records a band the attempt's figures fell outside.
func (b *Bands) Errorf(format string, args ...any) {
	b.faults = append(b.faults, fmt.Sprintf(format, args...))
}

// Within runs attempt, which measures and checks its figures through b,
// and reports its faults as test errors when the machine was quiet while
// it ran. When other processes took more than QuietCores, the faults may
// be theirs: the attempt is logged and run again, up to Attempts times;
// if every attempt that failed was contended, the test is skipped saying
// so, since the server's bands could not be read on this machine. attempt
// may call t.Fatal for what no load explains (a run that errs).
func Within(t testing.TB, attempt func(b *Bands)) {
	t.Helper()
	for try := 1; ; try++ {
		load, err := Start()
		if err != nil {
			t.Skip(err)
		}
		var b Bands
		attempt(&b)
		host, others := load.Cores()
		t.Logf("attempt %d: the machine kept %.2f of %d cores busy, other processes %.2f",
			try, host, runtime.NumCPU(), others)
		if len(b.faults) == 0 {
			return
		}
		if others <= QuietCores {
			for _, f := range b.faults {
				t.Error(f)
			}
			return
		}
		for _, f := range b.faults {
			t.Logf("attempt %d, contended: %s", try, f)
		}
		if try == Attempts {
			t.Skipf("the bands could not be checked: other processes kept more than %.2f cores "+
				"busy in each of %d attempts that failed (%.2f in the last)", QuietCores, Attempts, others)
		}
	}
}
