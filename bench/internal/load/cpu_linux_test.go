//go:build linux

package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// helloServerEnv, set to "1", makes the test binary a keep-alive Go hello server instead of
// running tests, so that BenchmarkGeneratorCPU can put the server in a separate process and
// getrusage(RUSAGE_SELF) counts only the generator.
const helloServerEnv = "WORKERBENCH_LOAD_HELLO_SERVER"

// benchDurationEnv overrides the measurement window of each BenchmarkGeneratorCPU row (a Go
// duration; whole seconds for wrk). Default 3s.
const benchDurationEnv = "WORKERBENCH_LOAD_BENCH_DURATION"

func TestMain(m *testing.M) {
	if os.Getenv(helloServerEnv) == "1" {
		os.Exit(serveHello(os.Stdin, os.Stdout))
	}
	os.Exit(m.Run())
}

// serveHello serves "hello" on a loopback port, writes the address as one line to out, and
// returns when in reaches EOF (the parent closed it or died).
func serveHello(in io.Reader, out io.Writer) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "hello")
	})}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintln(out, ln.Addr())
	io.Copy(io.Discard, in)
	srv.Close()
	<-served
	return 0
}

// cpuRow is one generator's cost against one server.
type cpuRow struct {
	requests int64
	cpu      time.Duration
	window   time.Duration
}

func (r cpuRow) usPerReq() float64 {
	if r.requests == 0 {
		return 0
	}
	return float64(r.cpu.Microseconds()) / float64(r.requests)
}

func (r cpuRow) rps() float64 { return float64(r.requests) / r.window.Seconds() }

func (r cpuRow) report(b *testing.B) {
	b.ReportMetric(r.usPerReq(), "cpu-µs/req")
	b.ReportMetric(r.rps(), "req/s")
}

// BenchmarkGeneratorCPU prints this generator's CPU per request beside wrk's (and, for
// reference, a closed loop on net/http's client), against the same server with the same
// connection count: (a) a keep-alive Go hello server in a separate process
// and (b) gunicorn with one sync worker serving examples/flask. It is a measurement, not a test:
// run it with -benchtime 1x; each row takes a few seconds (see benchDurationEnv).
func BenchmarkGeneratorCPU(b *testing.B) {
	d := 3 * time.Second
	if s := os.Getenv(benchDurationEnv); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < time.Second {
			b.Fatalf("%s=%q: want a duration of at least 1s", benchDurationEnv, s)
		}
	}
	const (
		conns   = 8
		wrkPath = "/usr/bin/wrk"
	)
	servers := []struct {
		name  string
		path  string
		start func(b *testing.B) string
	}{
		{name: "go-hello-keepalive", path: "/", start: startHelloProcess},
		{name: "gunicorn-sync-1", path: "/?ms=0", start: startGunicorn},
	}
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			addr := s.start(b)
			var ours, std cpuRow
			b.Run("workerbench", func(b *testing.B) {
				rep, err := Closed(context.Background(), Target{Addr: addr, Path: s.path, KeepAlive: true},
					Options{Connections: conns, Warmup: 500 * time.Millisecond, Duration: d})
				if err != nil || rep.ErrorCount() != 0 || rep.Requests == 0 {
					b.Fatalf("closed loop: %v, %d requests, errors %v", err, rep.Requests, rep.Errors)
				}
				ours = cpuRow{requests: rep.Requests, cpu: rep.GeneratorCPU, window: rep.Window}
				ours.report(b)
			})
			b.Run("net-http", func(b *testing.B) {
				std = runNetHTTP(b, "http://"+addr+s.path, conns, 500*time.Millisecond, d)
				std.report(b)
			})
			// The side-by-side line is logged by the last leaf: a parent benchmark's log shows
			// only with -v.
			b.Run("wrk", func(b *testing.B) {
				line := fmt.Sprintf("%s, %d connections: workerbench %.1f cpu-µs/req (%.0f req/s) | net/http %.1f cpu-µs/req (%.0f req/s)",
					s.name, conns, ours.usPerReq(), ours.rps(), std.usPerReq(), std.rps())
				if _, err := os.Stat(wrkPath); err != nil {
					b.Skipf("%s | no wrk: %v", line, err)
				}
				wrk := runWrk(b, wrkPath, "http://"+addr+s.path, conns, d)
				wrk.report(b)
				b.Logf("%s | wrk %.1f cpu-µs/req (%.0f req/s) | workerbench/wrk %.2f",
					line, wrk.usPerReq(), wrk.rps(), ours.usPerReq()/wrk.usPerReq())
			})
		})
	}
}

// runWrk runs /usr/bin/wrk and returns its request count and its process's CPU time.
func runWrk(b *testing.B, wrkPath, url string, conns int, d time.Duration) cpuRow {
	secs := max(int(d.Round(time.Second)/time.Second), 1)
	var out bytes.Buffer
	cmd := exec.Command(wrkPath, "-t1", "-c"+strconv.Itoa(conns), "-d"+strconv.Itoa(secs)+"s", url)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its group, should it outlive Wait
	if err := cmd.Wait(); err != nil {
		b.Fatalf("wrk: %v\n%s", err, out.Bytes())
	}
	// The summary line: "  123456 requests in 3.00s, 15.00MB read".
	m := regexp.MustCompile(`(\d+) requests in ([0-9.]+)(ms|s|m)\b`).FindSubmatch(out.Bytes())
	if m == nil {
		b.Fatalf("no request count in wrk's output:\n%s", out.Bytes())
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	window, _ := time.ParseDuration(string(m[2]) + string(m[3]))
	if bytes.Contains(out.Bytes(), []byte("Socket errors")) || bytes.Contains(out.Bytes(), []byte("Non-2xx")) {
		b.Logf("wrk reported errors:\n%s", out.Bytes())
	}
	ps := cmd.ProcessState
	return cpuRow{requests: n, cpu: ps.UserTime() + ps.SystemTime(), window: window}
}

// runNetHTTP runs a closed loop of conns goroutines on net/http's client, for reference, and
// returns the requests it completed in the window after warm-up and the CPU it spent on them.
func runNetHTTP(b *testing.B, url string, conns int, warmup, d time.Duration) cpuRow {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var counting atomic.Bool
	counts := make([]int64, conns)
	var wg sync.WaitGroup
	for i := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				if err != nil {
					return
				}
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(connectBackoff)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if counting.Load() && resp.StatusCode == http.StatusOK {
					counts[i]++
				}
			}
		}()
	}
	time.Sleep(warmup)
	counting.Store(true)
	cpu0, t0 := processCPU(), time.Now()
	time.Sleep(d)
	counting.Store(false)
	row := cpuRow{cpu: processCPU() - cpu0, window: time.Since(t0)}
	cancel()
	wg.Wait()
	for _, n := range counts {
		row.requests += n
	}
	if row.requests == 0 {
		b.Fatal("net/http completed no requests")
	}
	return row
}

// startHelloProcess re-executes the test binary as a hello server (see TestMain) in its own
// process group, killed at cleanup, and returns its address.
func startHelloProcess(b *testing.B) string {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helloServerEnv+"=1")
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		stopGroup(cmd)
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("hello server: %v", err)
	}
	addr := line[:len(line)-1]
	waitReady(b, addr, "/")
	return addr
}

// startGunicorn starts /usr/bin/gunicorn with one sync worker serving examples/flask in its own
// process group, stopped at cleanup, and returns its address.
func startGunicorn(b *testing.B) string {
	const gunicorn = "/usr/bin/gunicorn"
	if _, err := os.Stat(gunicorn); err != nil {
		b.Skipf("no gunicorn: %v", err)
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "examples", "flask"))
	if err != nil {
		b.Fatal(err)
	}
	logPath := filepath.Join(b.TempDir(), "gunicorn.log")
	log, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(gunicorn, "--bind", "127.0.0.1:0", "--workers", "1", "app:app")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stopGroup(cmd) })
	listening := regexp.MustCompile(`Listening at: http://(127\.0\.0\.1:\d+)`)
	var addr string
	for deadline := time.Now().Add(15 * time.Second); addr == ""; time.Sleep(50 * time.Millisecond) {
		text, _ := os.ReadFile(logPath)
		if m := listening.FindSubmatch(text); m != nil {
			addr = string(m[1])
		} else if time.Now().After(deadline) {
			b.Fatalf("gunicorn did not report its address:\n%s", text)
		}
	}
	waitReady(b, addr, "/health")
	return addr
}

// waitReady waits until addr answers a request for path: an open port is not readiness.
func waitReady(b *testing.B, addr, path string) {
	var err error
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, err = Sequential(context.Background(), Target{Addr: addr, Path: path, Timeout: 2 * time.Second}, 1); err == nil {
			return
		}
	}
	b.Fatalf("server at %s not ready: %v", addr, err)
}

// stopGroup stops a process started in its own group: SIGTERM to the group, then SIGKILL to the
// group after a grace period (gunicorn's sync workers outlive a killed master otherwise).
func stopGroup(cmd *exec.Cmd) {
	pgid := cmd.Process.Pid
	syscall.Kill(-pgid, syscall.SIGTERM)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		cmd.Wait()
	}()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
	}
	syscall.Kill(-pgid, syscall.SIGKILL) // whatever of the group is left
	<-waited
}
