//go:build linux

package proctree

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noGroup is a process group ID that cannot exist: PIDs are below pid_max,
// which is at most 2^22.
const noGroup = 1 << 22

// fakeProc writes a fake /proc tree: name → file content, with "/" in names
// for files inside PID directories. A name ending in "/" is an empty directory.
func fakeProc(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func rollupKB(pss, rss int) string {
	return fmt.Sprintf(
		"0-1 ---p 00000000 00:00 0 [rollup]\nRss: %d kB\nPss: %d kB\nPss_Anon: 1 kB\n",
		rss,
		pss,
	)
}

func TestMeasureFakeProc(t *testing.T) {
	root := fakeProc(t, map[string]string{
		"100/stat":         statLine(100, "gunicorn: master", 'S', 1, 100, 1, 2, 3, 4),
		"100/smaps_rollup": rollupKB(4, 10),
		"101/stat":         statLine(101, "gunicorn: worker", 'R', 100, 100, 10, 0, 0, 0),
		"101/smaps_rollup": rollupKB(6, 20),
		"102/stat": statLine(
			102,
			"gunicorn: worker",
			'Z',
			100,
			100,
			5,
			0,
			0,
			0,
		), // zombie: CPU only
		"103/stat": statLine(
			103,
			"gunicorn: worker",
			'S',
			100,
			100,
			7,
			0,
			0,
			0,
		), // exited before smaps_rollup was read
		"104/":             "", // exited before stat was read
		"105/stat":         "", // exited while stat was read
		"200/stat":         statLine(200, "other", 'S', 1, 200, 1000, 0, 0, 0),
		"200/smaps_rollup": rollupKB(1000, 1000),
		"self/stat":        "not a process",
		"meminfo":          "MemTotal: 1 kB\n",
	})
	tests := []struct {
		name     string
		pgid     int
		want     Usage
		wantPids []int
		wantErr  string
	}{
		{
			name: "group with zombie and vanished processes",
			pgid: 100,
			want: Usage{PSS: 10 << 10, RSS: 30 << 10, CPU: (10 + 10 + 5 + 7) * tick, Procs: 2,
				// 103 vanished before its memory was read, after its CPU was.
				ByPid: map[int]time.Duration{100: 3 * tick, 101: 10 * tick, 103: 7 * tick}},
			wantPids: []int{100, 101, 103},
		},
		{
			name: "other group",
			pgid: 200,
			want: Usage{PSS: 1000 << 10, RSS: 1000 << 10, CPU: 10 * time.Second, Procs: 1,
				ByPid: map[int]time.Duration{200: 10 * time.Second}},
			wantPids: []int{200},
		},
		{name: "missing group", pgid: 300},
		{name: "zero", pgid: 0, wantErr: "not a process group ID"},
		{name: "negative", pgid: -100, wantErr: "not a process group ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := measure(root, tt.pgid)
			gotPids, pidsErr := pids(root, tt.pgid)
			if tt.wantErr != "" {
				for _, err := range []error{err, pidsErr} {
					if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
						t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
					}
				}
				return
			}
			if err != nil || pidsErr != nil {
				t.Fatalf("measure: %v; pids: %v", err, pidsErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("measure(%d) = %+v, want %+v", tt.pgid, got, tt.want)
			}
			slices.Sort(gotPids)
			if !slices.Equal(gotPids, tt.wantPids) {
				t.Errorf("pids(%d) = %v, want %v", tt.pgid, gotPids, tt.wantPids)
			}
		})
	}
}

func TestMeasureFakeProcErrors(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		wantErr string
	}{
		{
			name:    "garbled stat",
			files:   map[string]string{"100/stat": "100 (x S 1"},
			wantErr: "/proc/100/stat: parse stat",
		},
		{
			name: "garbled smaps_rollup",
			files: map[string]string{
				"100/stat":         statLine(100, "x", 'S', 1, 100, 0, 0, 0, 0),
				"100/smaps_rollup": "Rss: lots\n",
			},
			wantErr: "measure pid 100: parse smaps_rollup Rss",
		},
		{
			name:    "no proc",
			wantErr: "scan process group 100",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "missing")
			if tt.files != nil {
				root = fakeProc(t, tt.files)
			}
			_, err := measure(root, 100)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("measure error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMeasureMissingGroup(t *testing.T) {
	u, err := Measure(noGroup)
	if err != nil {
		t.Fatalf("Measure(%d): %v", noGroup, err)
	}
	if !reflect.DeepEqual(u, Usage{}) {
		t.Errorf("Measure(%d) = %+v, want zero", noGroup, u)
	}
	pids, err := Pids(noGroup)
	if err != nil || len(pids) != 0 {
		t.Errorf("Pids(%d) = %v, %v; want none", noGroup, pids, err)
	}
}

// startGroup starts argv in a new process group and kills the group when the
// test ends, checking that nothing of it is left.
func startGroup(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	pgid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = cmd.Wait()
		waitPids(t, pgid, 0)
	})
	return pgid
}

// waitPids waits up to 5 s for Pids(pgid) to return n processes.
func waitPids(t *testing.T, pgid, n int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := Pids(pgid)
		if err != nil {
			t.Fatalf("Pids(%d): %v", pgid, err)
		}
		if len(pids) == n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("Pids(%d) = %v, want %d processes", pgid, pids, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPidsShellTree(t *testing.T) {
	pgid := startGroup(t, exec.Command("sh", "-c", "sleep 60 & sleep 60 & wait"))
	pids := waitPids(t, pgid, 3)
	if !slices.Contains(pids, pgid) {
		t.Errorf("Pids(%d) = %v, want the leader among them", pgid, pids)
	}
	u, err := Measure(pgid)
	if err != nil {
		t.Fatalf("Measure: %v", err)
	}
	if u.Procs != 3 || u.PSS == 0 || u.PSS > u.RSS {
		t.Errorf("Measure(%d) = %+v, want 3 processes and 0 < PSS <= RSS", pgid, u)
	}
}

// TestHelperProcess is not a test: the tests below run the test binary again
// with PROCTREE_TEST_HELPER set to get a process whose memory they control.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("PROCTREE_TEST_HELPER") != "alloc" {
		return
	}
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	fmt.Println("idle")
	<-usr1
	// Memory from mmap, not the Go heap: under -race every heap write also
	// dirties shadow memory, which would double the growth measured.
	b, err := syscall.Mmap(
		-1,
		0,
		50<<20,
		syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_ANON|syscall.MAP_PRIVATE,
	)
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	for i := 0; i < len(b); i += os.Getpagesize() {
		b[i] = 1 // touch every page, or it is not resident
	}
	fmt.Println("allocated")
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(0)
}

func TestMeasureMemory(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "PROCTREE_TEST_HELPER=alloc")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	pgid := startGroup(t, cmd)
	lines := bufio.NewScanner(out)
	expect := func(want string) {
		t.Helper()
		if !lines.Scan() || lines.Text() != want {
			t.Fatalf("helper said %q (%v), want %q", lines.Text(), lines.Err(), want)
		}
	}
	expect("idle")
	before, err := Measure(pgid)
	if err != nil {
		t.Fatalf("Measure before: %v", err)
	}
	if err := syscall.Kill(pgid, syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	expect("allocated")
	after, err := Measure(pgid)
	if err != nil {
		t.Fatalf("Measure after: %v", err)
	}
	t.Logf("before %+v\nafter  %+v", before, after)
	const lo, hi = 45 << 20, 70 << 20
	for _, d := range []struct {
		name          string
		before, after uint64
	}{{"PSS", before.PSS, after.PSS}, {"RSS", before.RSS, after.RSS}} {
		if grew := int64(d.after) - int64(d.before); grew < lo || grew > hi {
			t.Errorf(
				"%s grew by %d MiB after touching 50 MiB, want %d–%d MiB",
				d.name,
				grew>>20,
				lo>>20,
				hi>>20,
			)
		}
	}
	if before.Procs != 1 || after.Procs != 1 {
		t.Errorf("Procs = %d then %d, want 1", before.Procs, after.Procs)
	}
}

func TestWatchSummary(t *testing.T) {
	errSample := errors.New("proc went away")
	u := func(pss, rss uint64, cpu time.Duration, procs int) Usage {
		return Usage{PSS: pss, RSS: rss, CPU: cpu, Procs: procs}
	}
	type sample struct {
		u   Usage
		err error
	}
	tests := []struct {
		name    string
		samples []sample
		want    Summary
	}{
		{
			name:    "peak per field from different samples",
			samples: []sample{{u: u(10, 50, 1, 4)}, {u: u(30, 40, 2, 3)}, {u: u(20, 45, 3, 4)}},
			want:    Summary{Last: u(20, 45, 3, 4), Peak: u(30, 50, 3, 4), Samples: 3},
		},
		{
			name:    "errors are not samples; the first is kept",
			samples: []sample{{err: errSample}, {u: u(1, 2, 3, 1)}, {err: errors.New("later")}},
			want:    Summary{Last: u(1, 2, 3, 1), Peak: u(1, 2, 3, 1), Samples: 1, Err: errSample},
		},
		{
			name:    "empty group after the server went",
			samples: []sample{{u: u(5, 9, 7, 2)}, {u: Usage{}}},
			want:    Summary{Last: Usage{}, Peak: u(5, 9, 7, 2), Samples: 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			i := 0
			last := make(chan struct{})
			w := watch(ctx, time.Millisecond, func() (Usage, error) {
				s := tt.samples[i]
				if i++; i == len(tt.samples) {
					cancel() // no more samples after this one
					close(last)
				}
				return s.u, s.err
			})
			<-last
			got := w.Stop()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Summary = %+v, want %+v", got, tt.want)
			}
			if again := w.Stop(); !reflect.DeepEqual(again, got) {
				t.Errorf("second Stop = %+v, want %+v", again, got)
			}
		})
	}
}

// TestWorking: a process counts as working when its CPU grew by a tenth of
// the busiest one's or more, so a master or reloader that wakes now and
// then does not, and a worker started after the first sample does.
func TestWorking(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	tests := []struct {
		name      string
		then, now map[int]time.Duration
		want      int
	}{
		{"master and three workers", map[int]time.Duration{1: ms(50), 2: ms(10), 3: ms(10), 4: ms(10)},
			map[int]time.Duration{1: ms(52), 2: ms(400), 3: ms(350), 4: ms(300)}, 3},
		{"reloader, tracker and one server", map[int]time.Duration{1: ms(80), 2: ms(5), 3: ms(200)},
			map[int]time.Duration{1: ms(95), 2: ms(5), 3: ms(1400)}, 1},
		{"a worker that came later", map[int]time.Duration{1: ms(10)},
			map[int]time.Duration{1: ms(500), 9: ms(300)}, 2},
		{"nobody computed", map[int]time.Duration{1: ms(10)}, map[int]time.Duration{1: ms(10)}, 0},
		{"one sample", nil, map[int]time.Duration{1: ms(10), 2: ms(0)}, 1},
	}
	for _, tt := range tests {
		if got := working(tt.then, tt.now); got != tt.want {
			t.Errorf("%s: working = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestWatchRealGroup(t *testing.T) {
	pgid := startGroup(t, exec.Command("sleep", "60"))
	waitPids(t, pgid, 1)
	w := Watch(context.Background(), pgid, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	s := w.Stop()
	if s.Err != nil || s.Samples < 2 || s.Last.Procs != 1 || s.Peak.RSS == 0 {
		t.Errorf("Summary = %+v, want ≥ 2 samples of one process", s)
	}
}

// TestMeasureCPU: a process that spins for a while and one that wakes up
// often but barely computes are told apart to well under a clock tick per
// wake-up (tick sampling charged the sleeper a whole tick each time).
func TestMeasureCPU(t *testing.T) {
	spin := startGroup(
		t,
		exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 60"),
	)
	// The sleeper wakes up 100 times in one process: a shell loop of
	// sleep commands charged it a fork and exec each time (3.3 ms of CPU
	// apiece here, more in all than the spinner's work).
	// Debian's python3 starts in 35 ms of CPU; a version manager's shim
	// first on PATH (pyenv's is a shell script) costs ten times that.
	python, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		if python, err = exec.LookPath("python3"); err != nil {
			t.Skip("no python3 for the sleeper")
		}
	}
	nap := startGroup(
		t,
		exec.Command(python, "-c", "import time\nfor _ in range(100): time.sleep(0.005)\ntime.sleep(60)"),
	)
	time.Sleep(1500 * time.Millisecond)
	spun, err := Measure(spin)
	if err != nil {
		t.Fatal(err)
	}
	napped, err := Measure(nap)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("spinner %v, sleeper %v", spun.CPU, napped.CPU)
	if spun.CPU < 50*time.Millisecond {
		t.Errorf("spinner used %v of CPU, want at least 50ms", spun.CPU)
	}
	if napped.CPU >= spun.CPU {
		t.Errorf("sleeper %v ≥ spinner %v", napped.CPU, spun.CPU)
	}
}

// TestStarted: processes that appear after the first sample are counted
// once each (workers a server replaced); those of the first are not.
func TestStarted(t *testing.T) {
	var s Summary
	for _, pids := range [][]int{{1, 2, 3}, {1, 2, 3}, {1, 3, 4}, {1, 4, 5}, {1, 4, 5}} {
		u := Usage{ByPid: map[int]time.Duration{}}
		for _, p := range pids {
			u.ByPid[p] = time.Millisecond
		}
		s.add(u)
	}
	if s.Started != 2 {
		t.Errorf("Started = %d, want 2 (pids 4 and 5)", s.Started)
	}
}
