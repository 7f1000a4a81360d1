package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// Faults of the server under test. Each test runs a two-cell matrix in
// which one cell meets the fault and the other is healthy, and checks that
// the faulty cell says what went wrong (with the server's log tail), that
// the other cell is still measured, that Run's error says something failed,
// and (in runMatrix) that no process is left.
//
// What a fault does to a cell:
//
//   - the server exits at start, never becomes ready, dies mid-trial, or
//     every request times out: the cell is failed (Error and LogTail set);
//     Run returns ErrCellsFailed.
//   - a worker dies and is respawned, or the handler answers 5xx for some
//     requests: the cell is measured (throughput counts successful requests),
//     its errors are counted by kind, with a diagnostic and the log tail;
//     Run returns ErrRequestErrors. The figures are kept because they are
//     real, and the run fails because they are not what the user asked for.

// faultConfig is a short run of the two cells 2x1 (the fault) and 1x1.
func faultConfig(dir, command string) Config {
	cfg := DefaultConfig()
	cfg.Command = command
	cfg.Dir = dir
	cfg.Env = []string{slotServerEnv + "=1"}
	cfg.Matrix = []Shape{{2, 1}, {1, 1}}
	cfg.Health = "/health"
	cfg.Duration = 300 * time.Millisecond
	cfg.Warmup = 100 * time.Millisecond
	cfg.Sequential = 10
	cfg.Grace = 3 * time.Second
	cfg.StartupTimeout = 10 * time.Second
	return cfg
}

// faultScript writes a server script whose 2-worker cell runs bad (shell
// code, with the cell's bind address in $2) and whose other cells run the
// K-slot server with a 20 ms service time.
func faultScript(t *testing.T, bad string) (dir, command string) {
	t.Helper()
	dir = t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nif [ \"$1\" = 2 ]; then\n" + bad + "\nfi\nexec " + exe + " -bind \"$2\" -workers 1 -threads 1 -sleep 20ms\n"
	if err := os.WriteFile(filepath.Join(dir, "srv.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "srv.sh") + " {workers} {bind}"
}

// checkFailedFirst checks the outcome every "cell failed" fault shares: the
// first cell failed with an error containing want and a log tail
// containing logWant, the second measured, and Run's error.
func checkFailedFirst(t *testing.T, res *results.Run, err error, want, logWant string) {
	t.Helper()
	if !errors.Is(err, ErrCellsFailed) {
		t.Errorf("Run error = %v, want ErrCellsFailed", err)
	}
	if res == nil || len(res.Cells) != 2 {
		t.Fatalf("results %+v, want 2 cells", res)
	}
	bad, good := res.Cells[0], res.Cells[1]
	t.Logf("failed cell: %s\nlog excerpt:\n%s", bad.Error, strings.Join(bad.LogExcerpt, "\n"))
	if !bad.Failed() || !strings.Contains(bad.Error, want) {
		t.Errorf("cell %s: error %q, want it to contain %q", bad.Name(), bad.Error, want)
	}
	if logWant != "" && !strings.Contains(strings.Join(bad.LogExcerpt, "\n"), logWant) {
		t.Errorf(
			"cell %s: log excerpt %q, want it to contain %q",
			bad.Name(),
			bad.LogExcerpt,
			logWant,
		)
	}
	if good.Failed() || good.ThroughputRPS <= 0 {
		t.Errorf(
			"healthy cell %s not measured: error %q, %.1f req/s",
			good.Name(),
			good.Error,
			good.ThroughputRPS,
		)
	}
}

func TestFaultBadCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir := t.TempDir()
	cfg := faultConfig(dir, "/no/such/server --bind {bind} --workers {workers}")
	res, err := runMatrix(t, cfg)
	if !errors.Is(err, ErrCellsFailed) || len(res.Cells) != 2 {
		t.Fatalf(
			"Run error = %v, %d cells; want ErrCellsFailed for both cells",
			err,
			len(res.Cells),
		)
	}
	for _, c := range res.Cells {
		if !strings.Contains(c.Error, `start server "/no/such/server"`) ||
			!strings.Contains(c.Error, "no such file") {
			t.Errorf(
				"cell %s: error %q, want it to name the command and say it does not exist",
				c.Name(),
				c.Error,
			)
		}
	}
}

func TestFaultExitsAtStart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir, cmd := faultScript(t, "echo 'Traceback: something broke' >&2; exit 3")
	res, err := runMatrix(t, faultConfig(dir, cmd))
	checkFailedFirst(
		t,
		res,
		err,
		"server exited during startup (exit status 3)",
		"Traceback: something broke",
	)
}

func TestFaultNeverReady(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	// Alive, logging, but never listening.
	dir, cmd := faultScript(t, "echo 'still booting' >&2; exec sleep 60")
	cfg := faultConfig(dir, cmd)
	cfg.StartupTimeout = time.Second
	res, err := runMatrix(t, cfg)
	checkFailedFirst(t, res, err, "server not ready after 1s", "still booting")
}

func TestFaultRequestsHang(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	// /health answers at once, / takes a minute.
	exe, _ := os.Executable()
	dir, cmd := faultScript(
		t,
		"echo 'slow handler' >&2; exec "+exe+" -bind \"$2\" -workers 1 -threads 1 -sleep 60s",
	)
	cfg := faultConfig(dir, cmd)
	cfg.Timeout = 500 * time.Millisecond
	res, err := runMatrix(t, cfg)
	checkFailedFirst(t, res, err, "timeout", "slow handler")
}

func TestFaultPortTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	exe, _ := os.Executable()
	dir, cmd := faultScript(
		t,
		"exec "+exe+" -bind "+ln.Addr().String()+" -workers 1 -threads 1 -sleep 20ms",
	)
	res, err := runMatrix(t, faultConfig(dir, cmd))
	checkFailedFirst(t, res, err, "server exited during startup", "address already in use")
}

// TestFaultGunicornImportError: gunicorn's workers cannot import the app,
// the master gives up; the cell says so with the Python traceback.
func TestFaultGunicornImportError(t *testing.T) {
	g := gunicornOrSkip(t)
	dir := flaskDir(t)
	// app2 (the 2-worker cell) is broken, app1 is the example.
	if err := os.Rename(filepath.Join(dir, "app.py"), filepath.Join(dir, "app1.py")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app2.py"), []byte("import no_such_module_xyz\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := faultConfig(
		dir,
		g+" --bind {bind} --workers {workers} --threads {threads} app{workers}:app",
	)
	cfg.Endpoints = []Endpoint{{Path: "/?ms=20"}}
	cfg.StartupTimeout = 30 * time.Second
	res, err := runMatrix(t, cfg)
	checkFailedFirst(
		t,
		res,
		err,
		"server exited during startup",
		"No module named 'no_such_module_xyz'",
	)
}

// TestFaultGunicornPortTaken: gunicorn cannot bind one of its addresses,
// retries, and exits.
func TestFaultGunicornPortTaken(t *testing.T) {
	g := gunicornOrSkip(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := flaskDir(t)
	script := "#!/bin/sh\nif [ \"$1\" = 2 ]; then set -- \"$@\" --bind " + ln.Addr().
		String() +
		"; fi\nshift\nexec " + g + " --bind \"$@\" app:app\n"
	if err := os.WriteFile(filepath.Join(dir, "srv.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := faultConfig(dir, filepath.Join(dir, "srv.sh")+" {workers} {bind}")
	cfg.Endpoints = []Endpoint{{Path: "/?ms=20"}}
	cfg.StartupTimeout = 30 * time.Second
	res, err := runMatrix(t, cfg)
	checkFailedFirst(t, res, err, "server exited during startup", "Connection in use")
}

// killer watches the runner's progress and, when a line contains trigger,
// SIGKILLs a process of the server running in dir after delay: the leader
// (the test's child) or, with worker set, one of the leader's children.
type killer struct {
	t       *testing.T
	dir     string
	trigger string
	delay   time.Duration
	worker  bool

	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex
	killed int // pid, once done
}

func (k *killer) Write(p []byte) (int, error) {
	k.t.Logf("%s", p)
	if strings.Contains(string(p), k.trigger) {
		k.once.Do(func() {
			k.wg.Add(1)
			go func() {
				defer k.wg.Done()
				time.Sleep(k.delay)
				k.kill()
			}()
		})
	}
	return len(p), nil
}

func (k *killer) kill() {
	leader := 0
	for _, pid := range pidsIn(k.dir) {
		if ppid(pid) == os.Getpid() {
			leader = pid
		}
	}
	victim := leader
	if k.worker {
		victim = 0
		for _, pid := range pidsIn(k.dir) {
			if leader != 0 && ppid(pid) == leader {
				victim = pid
				break
			}
		}
	}
	if victim == 0 {
		k.t.Errorf("no process to kill in %s (leader %d)", k.dir, leader)
		return
	}
	k.t.Logf("SIGKILL %d (leader %d)", victim, leader)
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		k.t.Errorf("kill %d: %v", victim, err)
	}
	k.mu.Lock()
	k.killed = victim
	k.mu.Unlock()
}

// pidsIn lists the processes whose working directory is dir.
func pidsIn(dir string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil &&
			cwd == dir {
			out = append(out, pid)
		}
	}
	return out
}

// ppid returns pid's parent, or 0.
func ppid(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PPid:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// runKilling runs cfg with a killer that fires during the first cell's
// first trial.
func runKilling(
	t *testing.T,
	cfg Config,
	worker bool,
	delay time.Duration,
) (*results.Run, error, int) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	k := &killer{
		t:       t,
		dir:     cfg.Dir,
		trigger: cfg.Matrix[0].String() + ": service time",
		delay:   delay,
		worker:  worker,
	}
	r := &Runner{Config: &cfg, Progress: k, LogDir: filepath.Join(t.TempDir(), "logs")}
	res, err := r.Run(context.Background())
	k.wg.Wait()
	assertNoProcesses(t, cfg.Dir)
	return res, err, k.killed
}

// TestFaultGunicornMasterKilled: the master dies by SIGKILL mid-trial. Its
// sync workers, orphaned, would keep serving; the trial stops at once (the
// window is a minute long), the cell fails, and Stop kills the orphans.
func TestFaultGunicornMasterKilled(t *testing.T) {
	g := gunicornOrSkip(t)
	cfg := faultConfig(
		flaskDir(t),
		g+" --bind {bind} --workers {workers} --threads {threads} app:app",
	)
	cfg.Endpoints = []Endpoint{{Path: "/?ms=50"}}
	cfg.Duration = time.Minute
	cfg.Requests = 0
	cfg.Matrix = []Shape{{2, 1}, {1, 1}}
	// The second cell gets an ordinary window.
	res, err, killed := runKillingSecondShort(t, cfg)
	if killed == 0 {
		t.Fatal("nothing was killed")
	}
	checkFailedFirst(
		t,
		res,
		err,
		"server exited during measurement (signal: killed)",
		"Booting worker",
	)
}

// runKillingSecondShort runs the first cell with cfg and a killer, the
// second with a 300 ms window, as two runs sharing the directory, and
// merges them as one run would have.
func runKillingSecondShort(t *testing.T, cfg Config) (*results.Run, error, int) {
	t.Helper()
	first := cfg
	first.Matrix = cfg.Matrix[:1]
	res, err, killed := runKilling(t, first, false, 700*time.Millisecond)
	second := cfg
	second.Matrix = cfg.Matrix[1:]
	second.Duration = 300 * time.Millisecond
	res2, err2 := runMatrix(t, second)
	if res == nil || res2 == nil {
		t.Fatalf("no results: %v; %v", err, err2)
	}
	res.Cells = append(res.Cells, res2.Cells...)
	return res, errors.Join(err, err2), killed
}

// TestFaultGunicornWorkerKilled: one worker dies by SIGKILL mid-trial and
// gunicorn boots another. The cell is measured; the request the worker was
// serving fails and is counted, with the log tail and a diagnostic.
func TestFaultGunicornWorkerKilled(t *testing.T) {
	g := gunicornOrSkip(t)
	cfg := faultConfig(
		flaskDir(t),
		g+" --bind {bind} --workers {workers} --threads {threads} app:app",
	)
	cfg.Endpoints = []Endpoint{{Path: "/?ms=100"}}
	cfg.Matrix = []Shape{{2, 1}}
	cfg.Duration = 3 * time.Second
	cfg.Warmup = 300 * time.Millisecond
	res, err, killed := runKilling(t, cfg, true, 800*time.Millisecond)
	if killed == 0 {
		t.Fatal("no worker was killed")
	}
	if res == nil || len(res.Cells) != 1 {
		t.Fatalf("results %+v, %v", res, err)
	}
	c := res.Cells[0]
	log := strings.Join(c.LogTail, "\n")
	t.Logf(
		"cell %s: %.1f req/s, %d requests, errors %v\ndiagnostics %q\nlog tail:\n%s",
		c.Name(),
		c.ThroughputRPS,
		c.Requests,
		c.ErrorKinds,
		c.Diagnostics,
		log,
	)
	if c.Failed() || c.ThroughputRPS <= 0 {
		t.Fatalf(
			"cell failed (%q) or measured nothing: a respawned worker should leave the cell measured",
			c.Error,
		)
	}
	// A busy sync worker killed mid-request fails that request. (If it was
	// killed between requests nothing fails, and the run is clean.)
	if c.Errors > 0 {
		if !errors.Is(err, ErrRequestErrors) {
			t.Errorf("Run error = %v, want ErrRequestErrors", err)
		}
		if !strings.Contains(log, fmt.Sprint(killed)) {
			t.Errorf("log tail does not mention the killed worker %d", killed)
		}
		if !hasDiagnostic(c, "errors (") {
			t.Errorf("no diagnostic about the errors: %q", c.Diagnostics)
		}
	} else if err != nil {
		t.Errorf("Run error = %v with no request errors", err)
	}
}

// TestFaultGunicornSome5xx: the handler answers 500 to every fifth request.
// The service time leaves those out, the closed loop counts them, the cell
// is measured and the run fails with ErrRequestErrors.
func TestFaultGunicornSome5xx(t *testing.T) {
	g := gunicornOrSkip(t)
	dir := t.TempDir()
	app := `import itertools, threading, time
from flask import Flask
app = Flask(__name__)
n = itertools.count()
@app.route("/")
def flaky():
    time.sleep(0.02)
    if next(n) % 5 == 4:
        return "boom", 500
    return "ok"
@app.route("/health")
def health():
    return "ok"
`
	if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := faultConfig(dir, g+" --bind {bind} --workers {workers} --threads {threads} app:app")
	cfg.Matrix = []Shape{{1, 1}}
	cfg.Duration = time.Second
	res, err := runMatrix(t, cfg)
	if !errors.Is(err, ErrRequestErrors) || errors.Is(err, ErrCellsFailed) {
		t.Errorf("Run error = %v, want ErrRequestErrors only", err)
	}
	if res == nil || len(res.Cells) != 1 {
		t.Fatalf("results %+v", res)
	}
	c := res.Cells[0]
	t.Logf(
		"cell %s: %.1f req/s, S0 %.1fms, %d requests, errors %v, diagnostics %q",
		c.Name(),
		c.ThroughputRPS,
		c.ServiceTimeS*1e3,
		c.Requests,
		c.ErrorKinds,
		c.Diagnostics,
	)
	if c.Failed() || c.ThroughputRPS <= 0 || c.ServiceTimeS <= 0 {
		t.Errorf("cell failed (%q) or measured nothing", c.Error)
	}
	if c.ErrorKinds["status"] == 0 || c.Errors != c.ErrorKinds["status"] {
		t.Errorf("errors %d by kind %v, want only status errors", c.Errors, c.ErrorKinds)
	}
	if !hasDiagnostic(c, "status") || !hasDiagnostic(c, "service time:") {
		t.Errorf(
			"diagnostics %q, want the errors and the skipped service-time requests",
			c.Diagnostics,
		)
	}
	if len(c.LogTail) == 0 {
		t.Error("no log tail on a cell with errors")
	}
}

func hasDiagnostic(c results.Cell, sub string) bool {
	for _, d := range c.Diagnostics {
		if strings.Contains(d, sub) {
			return true
		}
	}
	return false
}
