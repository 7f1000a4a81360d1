package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// buildCLI builds the workerbench binary into a temporary directory: these
// tests signal a real workerbench process, as a user or a CI runner would.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "workerbench")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// serverPids lists the processes whose working directory is dir: each test
// runs its servers in a fresh directory, so these are what it left behind.
func serverPids(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd")); err == nil && cwd == dir {
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			out = append(out, e.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// waitNoServers waits up to d for every process in dir to be gone.
func waitNoServers(t *testing.T, dir string, d time.Duration) time.Duration {
	t.Helper()
	begin := time.Now()
	for {
		left := serverPids(dir)
		if len(left) == 0 {
			return time.Since(begin)
		}
		if time.Since(begin) > d {
			for _, l := range left {
				if pid, err := strconv.Atoi(strings.Fields(l)[0]); err == nil {
					syscall.Kill(pid, syscall.SIGKILL) // leave nothing behind, whatever the test says
				}
			}
			t.Fatalf("processes still running in %s after %v:\n%s", dir, d, strings.Join(left, "\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cliRun is a workerbench process and the progress lines it writes.
type cliRun struct {
	cmd   *exec.Cmd
	lines chan string
	log   strings.Builder // every stderr line, for failure messages
	done  chan struct{}   // closed when stderr reaches EOF
}

// startCLI starts bin with args, in a directory of its own (so no
// workerbench.yml is picked up).
func startCLI(t *testing.T, bin string, args ...string) *cliRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &cliRun{cmd: cmd, lines: make(chan string, 1024), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			r.log.WriteString(sc.Text() + "\n")
			select {
			case r.lines <- sc.Text():
			default:
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return r
}

// waitLine waits up to d for a progress line containing sub.
func (r *cliRun) waitLine(t *testing.T, sub string, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case l := <-r.lines:
			if strings.Contains(l, sub) {
				return
			}
		case <-timeout:
			t.Fatalf("no line containing %q after %v", sub, d)
		}
	}
}

// wait waits for the process to exit and returns its exit code.
func (r *cliRun) wait(t *testing.T) int {
	t.Helper()
	exited := make(chan error, 1)
	go func() {
		<-r.done
		exited <- r.cmd.Wait()
	}()
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(60 * time.Second):
		t.Fatal("workerbench did not exit within 60 s of the signal")
		return -1
	}
}

// gunicornApp returns a directory holding the example Flask app, or skips.
func gunicornApp(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/gunicorn"); err != nil {
		t.Skip("gunicorn is not installed")
	}
	if exec.Command("/usr/bin/python3", "-c", "import flask").Run() != nil {
		t.Skip("python3-flask is not installed")
	}
	src, err := os.ReadFile("../../examples/flask/app.py")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.py"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

const gunicornTemplate = "/usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} app:app"

// TestInterrupt: SIGINT or SIGTERM in the middle of the second cell stops
// every server, keeps the first cell in results.json marked interrupted, and
// exits 1.
func TestInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds workerbench and runs real servers")
	}
	bin := buildCLI(t)
	for _, tc := range []struct {
		name     string
		sig      syscall.Signal
		gunicorn bool
	}{
		{"SIGINT demo-server", syscall.SIGINT, false},
		{"SIGTERM gunicorn", syscall.SIGTERM, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tmpl, path := bin+" demo-server --bind {bind} --workers {workers} --threads {threads} --sleep 50ms", "/"
			if tc.gunicorn {
				dir, tmpl, path = gunicornApp(t), gunicornTemplate, "/?ms=50"
			}
			out := t.TempDir()
			r := startCLI(t, bin, "run", "--cmd", tmpl, "--dir", dir, "--path", path, "--health", "/health",
				"--matrix", "1x1,2x1,1x2", "--duration", "2s", "--warmup", "200ms", "--sequential", "10", "--out", out)
			r.waitLine(t, "[2/3] 2x1: starting server", time.Minute)
			r.waitLine(t, "2x1: service time", time.Minute) // mid-cell, load running
			if err := r.cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			code := r.wait(t)
			t.Logf("stderr:\n%s", r.log.String())
			if code != exitError {
				t.Errorf("exit code %d, want %d", code, exitError)
			}
			waitNoServers(t, dir, 0) // Stop reaped the group before workerbench exited
			res, err := results.Read(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			if !res.Interrupted {
				t.Error(`results.json lacks "interrupted": true`)
			}
			if len(res.Cells) != 1 || res.Cells[0].Name() != "1x1" || res.Cells[0].Failed() || res.Cells[0].ThroughputRPS <= 0 {
				t.Errorf("cells %+v, want the completed 1x1 cell alone", res.Cells)
			}
			if _, err := os.Stat(filepath.Join(out, "summary.md")); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestKilledWorkerbenchLeavesNoServer: when workerbench dies by SIGKILL it
// cannot stop anything; the leader's parent-death signal and the watchdog
// kill the server's whole process group, gunicorn's workers included.
func TestKilledWorkerbenchLeavesNoServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds workerbench and runs real servers")
	}
	bin := buildCLI(t)
	for _, gunicorn := range []bool{false, true} {
		name := "demo-server"
		if gunicorn {
			name = "gunicorn"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			tmpl, path := bin+" demo-server --bind {bind} --workers {workers} --threads {threads} --sleep 50ms", "/"
			if gunicorn {
				dir, tmpl, path = gunicornApp(t), gunicornTemplate, "/?ms=50"
			}
			r := startCLI(t, bin, "run", "--cmd", tmpl, "--dir", dir, "--path", path, "--health", "/health",
				"--matrix", "3x1", "--duration", "30s", "--warmup", "200ms", "--sequential", "10")
			// Right after readiness the workers are idle: an idle gunicorn
			// sync worker notices its master is gone only at its next
			// timeout tick (15 s by default), so this is the hard case.
			r.waitLine(t, "3x1: ready after", time.Minute)
			for deadline := time.Now().Add(10 * time.Second); len(serverPids(dir)) < 4; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("want a master and 3 workers, have:\n%s", strings.Join(serverPids(dir), "\n"))
				}
			}
			if err := r.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			r.wait(t)
			took := waitNoServers(t, dir, 5*time.Second)
			t.Logf("all server processes gone %v after workerbench was SIGKILLed", took)
		})
	}
}

// TestSecondInterruptKillsAtOnce: a server that ignores SIGTERM would hold
// a stopping workerbench for the whole --grace; a second Ctrl-C ends
// workerbench at once, and the watchdog kills the server.
func TestSecondInterruptKillsAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds workerbench and runs real servers")
	}
	bin := buildCLI(t)
	dir := t.TempDir()
	script, err := os.ReadFile("../../testdata/servers/misbehave.py")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "misbehave.py"), script, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	// Two cells of one server: WORKERS in its environment is the axis.
	r := startCLI(t, bin, "run", "--cmd", "python3 misbehave.py --ignore-term --port {port}", "--dir", dir,
		"--env", "WORKERS={workers}", "--matrix", "1x1,2x1", "--duration", "30s", "--sequential", "5", "--grace", "60s", "--out", out)
	r.waitLine(t, "1x1: service time", time.Minute)
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r.waitLine(t, "interrupt again to kill them at once", 10*time.Second)
	time.Sleep(200 * time.Millisecond) // workerbench is now waiting out the grace period
	second := time.Now()
	if err := r.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	r.wait(t)
	if took := time.Since(second); took > 3*time.Second {
		t.Errorf("workerbench exited %v after the second interrupt, want at once", took)
	}
	took := waitNoServers(t, dir, 5*time.Second)
	t.Logf("workerbench exited after the second interrupt; the server was gone %v later\n%s", took, r.log.String())
}
