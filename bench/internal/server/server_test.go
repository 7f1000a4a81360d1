package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/internal/proctree"
)

// start starts argv with its log in a temporary directory. When the test
// ends it stops the server (a second Stop if the test stopped it already)
// and fails if any process of the group is left.
func start(t *testing.T, argv ...string) *Process {
	t.Helper()
	p, err := Start(Spec{Argv: argv, LogPath: filepath.Join(t.TempDir(), "server.log")})
	if err != nil {
		t.Fatalf("Start(%q): %v", argv, err)
	}
	t.Cleanup(func() {
		if _, err := p.Stop(2 * time.Second); err != nil {
			t.Errorf("Stop in cleanup: %v", err)
		}
		assertGone(t, p.Pgid())
	})
	return p
}

// assertGone fails unless process group pgid has no live process.
func assertGone(t *testing.T, pgid int) {
	t.Helper()
	pids, err := proctree.Pids(pgid)
	if err != nil {
		t.Fatalf("Pids(%d): %v", pgid, err)
	}
	if len(pids) != 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL) // leave nothing behind, whatever the test says
		t.Errorf("process group %d still has pids %v", pgid, pids)
	}
}

// waitPids waits up to 5 s for process group pgid to have n live processes.
func waitPids(t *testing.T, pgid, n int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := proctree.Pids(pgid)
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

// waitLog waits until the server has logged line: the tests' servers are
// shell scripts, whose readiness is a line they print.
func waitLog(t *testing.T, p *Process, line string) {
	t.Helper()
	probe := func(context.Context) error {
		if slices.Contains(p.LogTail(20), line) {
			return nil
		}
		return fmt.Errorf("no %q in the log yet", line)
	}
	if err := p.WaitReady(context.Background(), Readiness{Probe: probe, Timeout: 5 * time.Second}); err != nil {
		t.Fatalf("WaitReady: %v", err)
	}
}

// waitDone waits up to 5 s for the leader to be reaped.
func waitDone(t *testing.T, p *Process) {
	t.Helper()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatalf("leader %d still running", p.Pgid())
	}
}

// signalOf returns the signal that ended the leader, or 0.
func signalOf(err error) syscall.Signal {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return ws.Signal()
		}
	}
	return 0
}

func TestStop(t *testing.T) {
	const grace = 700 * time.Millisecond
	tests := []struct {
		name       string
		script     string
		procs      int
		wantSignal syscall.Signal
		wantKill   bool // whether Stop had to wait out the grace period
	}{
		{
			name:       "shell tree exits on SIGTERM",
			script:     "sleep 60 & sleep 60 & echo ready; wait",
			procs:      3,
			wantSignal: syscall.SIGTERM,
		},
		{
			name:       "leader and children ignore SIGTERM",
			script:     `trap "" TERM; sleep 60 & sleep 60 & echo ready; wait`,
			procs:      3,
			wantSignal: syscall.SIGKILL,
			wantKill:   true,
		},
		{
			name:       "leader exits on SIGTERM, a child ignores it",
			script:     `(trap "" TERM; sleep 60; true) & echo ready; wait`,
			procs:      3, // sh, the subshell, sleep
			wantSignal: syscall.SIGTERM,
			wantKill:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, "sh", "-c", tt.script)
			waitLog(t, p, "ready")
			pids := waitPids(t, p.Pgid(), tt.procs)
			if !slices.Contains(pids, p.Pgid()) {
				t.Errorf("Pids = %v, want the leader %d among them", pids, p.Pgid())
			}

			begin := time.Now()
			if _, err := p.Stop(grace); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			took := time.Since(begin)
			assertGone(t, p.Pgid())
			if killed := took >= grace; killed != tt.wantKill {
				t.Errorf(
					"Stop took %v with grace %v; want SIGKILL needed = %v",
					took,
					grace,
					tt.wantKill,
				)
			}
			select {
			case <-p.Done():
			default:
				t.Fatal("Done not closed after Stop")
			}
			if sig := signalOf(p.ExitErr()); sig != tt.wantSignal {
				t.Errorf(
					"leader ended with %v (%v), want signal %v",
					p.ExitErr(),
					sig,
					tt.wantSignal,
				)
			}
			if _, err := p.Stop(grace); err != nil {
				t.Errorf("second Stop: %v", err)
			}
		})
	}
}

func TestStopOrphans(t *testing.T) {
	p := start(t, "sh", "-c", "sleep 60 & sleep 60 & echo ready; wait")
	waitLog(t, p, "ready")
	waitPids(t, p.Pgid(), 3)
	// Kill the leader alone, as a crash or an OOM kill would: its children
	// are orphaned but stay in the group, like gunicorn's sync workers.
	if err := syscall.Kill(p.Pgid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitDone(t, p)
	if sig := signalOf(p.ExitErr()); sig != syscall.SIGKILL {
		t.Errorf("leader ended with %v, want SIGKILL", p.ExitErr())
	}
	orphans := waitPids(t, p.Pgid(), 2)
	t.Logf("orphans %v in process group %d", orphans, p.Pgid())
	if _, err := p.Stop(time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	assertGone(t, p.Pgid())
}

func TestStopAfterExit(t *testing.T) {
	p := start(t, "sh", "-c", "echo bye")
	waitDone(t, p)
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr = %v, want nil", err)
	}
	begin := time.Now()
	if _, err := p.Stop(time.Second); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(begin); took > 500*time.Millisecond {
		t.Errorf("Stop of an exited server took %v", took)
	}
	assertGone(t, p.Pgid())
	if got := p.LogTail(5); !slices.Equal(got, []string{"bye"}) {
		t.Errorf("LogTail = %q, want [bye]", got)
	}
}

func TestStopConcurrent(t *testing.T) {
	p := start(t, "sh", "-c", "sleep 60 & echo ready; wait")
	waitLog(t, p, "ready")
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.Stop(time.Second)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Stop #%d: %v", i, err)
		}
	}
	assertGone(t, p.Pgid())
}

func TestWaitReady(t *testing.T) {
	errRefused := errors.New("connect: connection refused")
	failing := func(*Process, *atomic.Int32) func(context.Context) error {
		return func(context.Context) error { return errRefused }
	}
	blocking := func(*Process, *atomic.Int32) func(context.Context) error {
		return func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
	}
	tests := []struct {
		name        string
		argv        []string
		probe       func(p *Process, calls *atomic.Int32) func(context.Context) error
		timeout     time.Duration
		cancelAfter time.Duration // cancel the caller's context after this, if non-zero
		wantErr     string        // "" for success
		wantIs      error
		wantTail    []string
		maxTook     time.Duration
	}{
		{
			name: "ready on the third probe",
			argv: []string{"sleep", "60"},
			probe: func(_ *Process, calls *atomic.Int32) func(context.Context) error {
				return func(context.Context) error {
					if calls.Add(1) < 3 {
						return errRefused
					}
					return nil
				}
			},
			timeout: 5 * time.Second,
			maxTook: 2 * time.Second,
		},
		{
			name: "leader exits during startup",
			argv: []string{
				"sh",
				"-c",
				`echo "[INFO] Booting worker"; echo "ModuleNotFoundError: No module named 'app'" >&2; exit 3`,
			},
			probe:   failing,
			timeout: 10 * time.Second,
			wantErr: "server exited during startup (exit status 3)",
			wantTail: []string{
				"[INFO] Booting worker",
				"ModuleNotFoundError: No module named 'app'",
			},
			maxTook: 5 * time.Second,
		},
		{
			name:    "leader exits while a probe blocks",
			argv:    []string{"sh", "-c", "sleep 0.2; exit 4"},
			probe:   blocking,
			timeout: 10 * time.Second,
			wantErr: "server exited during startup (exit status 4)",
			maxTook: 5 * time.Second,
		},
		{
			name: "an answer after our leader died is not ours",
			argv: []string{"sh", "-c", "exit 5"},
			probe: func(p *Process, _ *atomic.Int32) func(context.Context) error {
				return func(context.Context) error { <-p.Done(); return nil }
			},
			timeout: 10 * time.Second,
			wantErr: "server exited during startup (exit status 5)",
			maxTook: 5 * time.Second,
		},
		{
			name:    "timeout",
			argv:    []string{"sleep", "60"},
			probe:   failing,
			timeout: 200 * time.Millisecond,
			wantErr: "server not ready after 200ms: connect: connection refused; its processes listen on no port",
			wantIs:  errRefused,
			maxTook: 2 * time.Second,
		},
		{
			name:    "probe blocks past the timeout",
			argv:    []string{"sleep", "60"},
			probe:   blocking,
			timeout: 200 * time.Millisecond,
			wantErr: "server not ready after 200ms: no answer to the readiness probe; its processes listen on no port",
			maxTook: 2 * time.Second,
		},
		{
			name:        "caller cancels",
			argv:        []string{"sleep", "60"},
			probe:       failing,
			timeout:     10 * time.Second,
			cancelAfter: 150 * time.Millisecond,
			wantErr:     "wait for server: context canceled",
			wantIs:      context.Canceled,
			maxTook:     2 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := start(t, tt.argv...)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancelAfter > 0 {
				timer := time.AfterFunc(tt.cancelAfter, cancel)
				defer timer.Stop()
			}
			var calls atomic.Int32
			begin := time.Now()
			err := p.WaitReady(ctx, Readiness{Probe: tt.probe(p, &calls), Timeout: tt.timeout})
			took := time.Since(begin)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("WaitReady: %v", err)
				}
			} else if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("WaitReady error = %v, want %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("WaitReady error %v is not %v", err, tt.wantIs)
			}
			if took > tt.maxTook {
				t.Errorf("WaitReady took %v, want at most %v", took, tt.maxTook)
			}
			if tt.wantTail != nil {
				if got := p.LogTail(len(tt.wantTail)); !slices.Equal(got, tt.wantTail) {
					t.Errorf("LogTail = %q, want %q", got, tt.wantTail)
				}
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		wantErr string
		wantIs  error
	}{
		{name: "no command", spec: Spec{}, wantErr: "start server: empty command"},
		{
			name:    "executable not in PATH",
			spec:    Spec{Argv: []string{"workerbench-no-such-server", "--bind", "x"}},
			wantErr: `start server "workerbench-no-such-server": executable file not found in $PATH`,
			wantIs:  exec.ErrNotFound,
		},
		{
			name:    "executable not in the server's PATH",
			spec:    Spec{Argv: []string{"sleep", "60"}, Env: []string{"PATH=/nonexistent"}},
			wantErr: `start server "sleep": executable file not found in $PATH`,
			wantIs:  exec.ErrNotFound,
		},
		{
			name:    "missing path",
			spec:    Spec{Argv: []string{"/nonexistent/bin/gunicorn"}},
			wantErr: `start server "/nonexistent/bin/gunicorn": `,
			wantIs:  fs.ErrNotExist,
		},
		{
			name:    "missing directory",
			spec:    Spec{Argv: []string{"sleep", "60"}, Dir: "/nonexistent"},
			wantErr: `start server "sleep": `,
			wantIs:  fs.ErrNotExist,
		},
		{
			name:    "log not writable",
			spec:    Spec{Argv: []string{"sleep", "60"}, LogPath: "/nonexistent/server.log"},
			wantErr: `start server "sleep": open log: `,
			wantIs:  fs.ErrNotExist,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Start(tt.spec)
			if err == nil {
				_, _ = p.Stop(time.Second)
				assertGone(t, p.Pgid())
				t.Fatalf("Start(%+v) succeeded, want an error", tt.spec)
			}
			if !strings.HasPrefix(err.Error(), tt.wantErr) {
				t.Errorf("Start error = %q, want it to begin %q", err, tt.wantErr)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Start error %v is not %v", err, tt.wantIs)
			}
		})
	}
}

func TestStartSpec(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(log, []byte("previous run\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// cat reads stdin, which must be /dev/null (empty), not ours.
	p, err := Start(Spec{
		Argv:    []string{"sh", "-c", `pwd; echo "$WB_GREETING"; cat; echo to-stderr >&2`},
		Dir:     dir,
		Env:     []string{"PATH=/usr/bin:/bin", "WB_GREETING=hello"},
		LogPath: log,
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if _, err := p.Stop(time.Second); err != nil {
			t.Error(err)
		}
		assertGone(t, p.Pgid())
	})
	waitDone(t, p)
	if err := p.ExitErr(); err != nil {
		t.Errorf("ExitErr = %v", err)
	}
	want := []string{"previous run", dir, "hello", "to-stderr"}
	if got := p.LogTail(10); !slices.Equal(got, want) {
		t.Errorf("LogTail = %q, want %q", got, want)
	}
}

func TestLookPath(t *testing.T) {
	bin := t.TempDir()
	for name, mode := range map[string]os.FileMode{"server": 0o755, "notexec": 0o644} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(bin, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	ourSleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep in PATH")
	}
	tests := []struct {
		name    string
		file    string
		env     []string
		want    string
		wantErr string
	}{
		{
			name: "server's PATH",
			file: "server",
			env:  []string{"HOME=/", "PATH=/nonexistent:" + bin},
			want: filepath.Join(bin, "server"),
		},
		{
			name: "last PATH wins",
			file: "server",
			env:  []string{"PATH=/nonexistent", "PATH=" + bin},
			want: filepath.Join(bin, "server"),
		},
		{name: "our PATH when env is nil", file: "sleep", want: ourSleep},
		{
			name: "slash: as given",
			file: "./venv/bin/gunicorn",
			env:  []string{"PATH=" + bin},
			want: "./venv/bin/gunicorn",
		},
		{
			name:    "not executable",
			file:    "notexec",
			env:     []string{"PATH=" + bin},
			wantErr: "executable file not found in $PATH",
		},
		{
			name:    "a directory",
			file:    "adir",
			env:     []string{"PATH=" + bin},
			wantErr: "executable file not found in $PATH",
		},
		{
			name:    "relative PATH entry ignored",
			file:    "server",
			env:     []string{"PATH=.:" + filepath.Base(bin)},
			wantErr: "executable file not found in $PATH",
		},
		{
			name:    "env without PATH",
			file:    "sleep",
			env:     []string{"HOME=/"},
			wantErr: "no PATH in the server's environment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LookPath(tt.file, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) ||
					!errors.Is(err, exec.ErrNotFound) {
					t.Fatalf(
						"LookPath(%q) = %q, %v; want error %q wrapping exec.ErrNotFound",
						tt.file,
						got,
						err,
						tt.wantErr,
					)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("LookPath(%q) = %q, %v; want %q", tt.file, got, err, tt.want)
			}
		})
	}
}

func TestTail(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		n     int
		limit int64
		want  []string
	}{
		{name: "empty", in: "", n: 3, limit: 100, want: nil},
		{name: "zero lines", in: "a\nb\n", n: 0, limit: 100, want: nil},
		{name: "final newline", in: "a\nb\nc\n", n: 2, limit: 100, want: []string{"b", "c"}},
		{name: "no final newline", in: "a\nb\nc", n: 2, limit: 100, want: []string{"b", "c"}},
		{name: "fewer lines than asked", in: "a\nb\n", n: 5, limit: 100, want: []string{"a", "b"}},
		{name: "blank lines kept", in: "a\n\nb\n", n: 3, limit: 100, want: []string{"a", "", "b"}},
		{name: "CRLF", in: "a\r\nb\r\n", n: 2, limit: 100, want: []string{"a", "b"}},
		{
			name:  "window starts mid-line: partial line dropped",
			in:    "first line\nsecond\nthird\n",
			n:     5,
			limit: 16,
			want:  []string{"second", "third"},
		},
		{
			name:  "window is one partial line",
			in:    "a very long line indeed\n",
			n:     5,
			limit: 8,
			want:  []string{" indeed"},
		},
		{name: "window starts at a line", in: "abc\ndef\n", n: 5, limit: 4, want: []string{"def"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tail(strings.NewReader(tt.in), int64(len(tt.in)), tt.n, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("tail(%q, %d, %d) = %q, want %q", tt.in, tt.n, tt.limit, got, tt.want)
			}
		})
	}
}

func TestLogTailBounded(t *testing.T) {
	var b strings.Builder
	for i := range 100_000 { // ~1 MB, four times maxTail
		fmt.Fprintf(&b, "line %d\n", i)
	}
	log := filepath.Join(t.TempDir(), "server.log")
	if err := os.WriteFile(log, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	p := &Process{logPath: log}
	if got, want := p.LogTail(2), []string{"line 99998", "line 99999"}; !slices.Equal(got, want) {
		t.Errorf("LogTail(2) = %q, want %q", got, want)
	}
	got := p.LogTail(1_000_000)
	if len(got) == 0 || len(got) > maxTail/len("line 99999\n")+1 {
		t.Errorf(
			"LogTail(1e6) gave %d lines, want at most what fits in %d bytes",
			len(got),
			maxTail,
		)
	}
	if got[0] != "line "+strconv.Itoa(100_000-len(got)) {
		t.Errorf(
			"LogTail(1e6) starts with %q after dropping the partial line; %d lines",
			got[0],
			len(got),
		)
	}
	if (&Process{}).LogTail(3) != nil {
		t.Error("LogTail without a log file is not nil")
	}
}

// TestHelperProcess is not a test. TestPdeathsig runs the test binary again
// with SERVER_TEST_HELPER=intermediate to stand in for workerbench: it starts
// a server, prints its pgid, and waits to be killed.
func TestHelperProcess(t *testing.T) {
	if os.Getenv("SERVER_TEST_HELPER") != "intermediate" {
		return
	}
	p, err := Start(Spec{Argv: []string{"sleep", "60"}})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(p.Pgid())
	// Make the runtime start and retire OS threads: a goroutine that exits
	// while locked to its thread takes the thread with it, and had the server
	// been forked from one of those threads, Pdeathsig would kill it now.
	// This checks that the server survives such churn; it cannot force the
	// narrow race that Start's thread locking rules out.
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.LockOSThread()
			time.Sleep(time.Millisecond)
		}()
	}
	wg.Wait()
	fmt.Println("churned")
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(0)
}

func TestPdeathsig(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "SERVER_TEST_HELPER=intermediate")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("intermediate said nothing: %v", lines.Err())
	}
	pgid, err := strconv.Atoi(lines.Text())
	if err != nil {
		t.Fatalf("intermediate said %q, want a pgid", lines.Text())
	}
	t.Cleanup(func() { assertGone(t, pgid) })
	if !lines.Scan() || lines.Text() != "churned" {
		t.Fatalf("intermediate said %q, want churned", lines.Text())
	}
	time.Sleep(100 * time.Millisecond)
	if pids := waitPids(t, pgid, 1); pids[0] != pgid {
		t.Fatalf("Pids(%d) = %v, want the server alone", pgid, pids)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	begin := time.Now()
	waitPids(t, pgid, 0) // fails after 5 s
	t.Logf("server gone %v after the intermediate was SIGKILLed", time.Since(begin))
}

var listeningRE = regexp.MustCompile(`Listening at: http://127\.0\.0\.1:(\d+)`)

func TestGunicorn(t *testing.T) {
	const gunicorn = "/usr/bin/gunicorn"
	if _, err := os.Stat(gunicorn); err != nil {
		t.Skipf("no %s: %v", gunicorn, err)
	}
	app, err := filepath.Abs("../../../examples/flask")
	if err != nil {
		t.Fatal(err)
	}
	for _, workers := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			log := filepath.Join(t.TempDir(), "gunicorn.log")
			p, err := Start(Spec{
				Argv: []string{
					gunicorn,
					"--bind",
					"127.0.0.1:0",
					"--workers",
					strconv.Itoa(workers),
					"app:app",
				},
				Dir:     app,
				LogPath: log,
			})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			t.Cleanup(func() {
				if _, err := p.Stop(10 * time.Second); err != nil {
					t.Errorf("Stop in cleanup: %v", err)
				}
				assertGone(t, p.Pgid())
			})

			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			probe := func(ctx context.Context) error {
				var port string
				for _, line := range p.LogTail(50) {
					if m := listeningRE.FindStringSubmatch(line); m != nil {
						port = m[1]
					}
				}
				if port == "" {
					return errors.New("no port in the log yet")
				}
				req, err := http.NewRequestWithContext(
					ctx,
					http.MethodGet,
					"http://127.0.0.1:"+port+"/health",
					nil,
				)
				if err != nil {
					return err
				}
				resp, err := client.Do(req)
				if err != nil {
					return err
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != http.StatusOK || string(body) != "ok" {
					return fmt.Errorf("GET /health: %s %q", resp.Status, body)
				}
				return nil
			}
			begin := time.Now()
			if err := p.WaitReady(context.Background(), Readiness{Probe: probe, Timeout: 30 * time.Second}); err != nil {
				t.Fatalf("WaitReady: %v\n%s", err, strings.Join(p.LogTail(20), "\n"))
			}
			t.Logf("ready after %v", time.Since(begin))

			waitPids(t, p.Pgid(), workers+1)
			u := settled(t, p.Pgid())
			const mib = 1 << 20
			t.Logf("gunicorn --workers %d: %d processes, Σ PSS %.1f MiB, Σ RSS %.1f MiB, CPU %v",
				workers, u.Procs, float64(u.PSS)/mib, float64(u.RSS)/mib, u.CPU)
			if u.Procs != workers+1 {
				t.Errorf("Measure: %d processes, want %d", u.Procs, workers+1)
			}
			if u.PSS == 0 || u.PSS >= u.RSS {
				t.Errorf("Σ PSS %d, Σ RSS %d: want 0 < PSS < RSS", u.PSS, u.RSS)
			}

			begin = time.Now()
			if _, err := p.Stop(10 * time.Second); err != nil {
				t.Fatalf("Stop: %v", err)
			}
			t.Logf("stopped in %v (leader: %v)", time.Since(begin), p.ExitErr())
			assertGone(t, p.Pgid())
		})
	}
}

// settled measures the group until its PSS stops moving (workers import the
// app after they are forked), for up to 10 s.
func settled(t *testing.T, pgid int) proctree.Usage {
	t.Helper()
	var prev proctree.Usage
	deadline := time.Now().Add(10 * time.Second)
	for {
		u, err := proctree.Measure(pgid)
		if err != nil {
			t.Fatalf("Measure: %v", err)
		}
		if (u.Procs == prev.Procs && u.PSS <= prev.PSS+prev.PSS/100) || time.Now().After(deadline) {
			return u
		}
		prev = u
		time.Sleep(300 * time.Millisecond)
	}
}

// TestStopDaemon stops a server that daemonizes as gunicorn --daemon does
// (fork, the leader exits; setsid, fork, the middle exits; the master
// forks a worker) right as its leader exits, the moment a failed startup
// stops it. Stop must find the master and the worker although the process
// it first saw outside the group, the middle one, is gone by design.
func TestStopDaemon(t *testing.T) {
	needsPython(t)
	const daemon = `
import os, sys, time
if os.fork(): os._exit(0)
os.setsid()
if os.fork(): os._exit(0)
os.fork()
time.sleep(60)
`
	for i := range 20 {
		p := start(t, "python3", "-c", daemon)
		waitDone(t, p)
		begin := time.Now()
		st, err := p.Stop(time.Second)
		if err != nil {
			t.Fatalf("run %d: Stop: %v", i, err)
		}
		t.Logf("run %d: Stop took %v, escaped %v", i, time.Since(begin), pidsOf(st.Escaped))
		left, err := proctree.WithEnv(p.tag)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) > 0 {
			for _, l := range left {
				syscall.Kill(l.PID, syscall.SIGKILL) // leave nothing behind
			}
			t.Fatalf("run %d: Stop returned (escaped %v) with %v still running", i, pidsOf(st.Escaped), pidsOf(left))
		}
	}
}

func needsPython(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("needs python3")
	}
}
