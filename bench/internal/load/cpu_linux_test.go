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
	"slices"
	"strconv"
	"strings"
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

// benchDurationEnv overrides how long each generator runs in each round of
// BenchmarkGeneratorCPU (a Go duration; whole seconds for wrk). Default 3s.
const benchDurationEnv = "WORKERBENCH_LOAD_BENCH_DURATION"

func TestMain(m *testing.M) {
	if os.Getenv(helloServerEnv) == "1" {
		os.Exit(serveHello(os.Stdin, os.Stdout))
	}
	if name := os.Getenv(generatorEnv); name != "" {
		os.Exit(runGenerator(name, os.Getenv(generatorArgsEnv), os.Stdout))
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

// generatorEnv, set to "workerbench", "workerbench-goroutines" or "net-http", makes the test binary a load generator
// instead of running tests (see runGenerator), so that BenchmarkGeneratorCPU measures each
// generator as a whole process, as it measures wrk: startup, connection setup, warm-up, garbage
// collection and teardown included, and the servers excluded.
const generatorEnv = "WORKERBENCH_LOAD_GENERATOR"

// benchRoundsEnv overrides the number of rounds of BenchmarkGeneratorCPU. Default 5.
const benchRoundsEnv = "WORKERBENCH_LOAD_BENCH_ROUNDS"

// cpuRow is one generator's run against one server: every request it completed and all the CPU
// its process used.
type cpuRow struct {
	requests int64
	errors   int64
	cpu      time.Duration
	wall     time.Duration
}

func (r cpuRow) usPerReq() float64 {
	if r.requests == 0 {
		return 0
	}
	return float64(r.cpu.Nanoseconds()) / 1e3 / float64(r.requests)
}

func (r cpuRow) rps() float64 { return float64(r.requests) / r.wall.Seconds() }

// generator is one load generator of the comparison, run as a child process.
type generator struct {
	name string
	run  func(b *testing.B, url string, conns int, keepAlive bool, d time.Duration) cpuRow
}

// BenchmarkGeneratorCPU prints this generator's CPU per request beside wrk's and, for reference,
// net/http's, against the same server with the same connection count: (a) a keep-alive Go hello
// server in a separate process, and (b) gunicorn with one sync worker serving examples/flask, a
// new connection per request (Connection: close, as KeepAlive false sends). Each generator runs
// in a process of its own and is charged the whole process's user+system CPU (wait4's rusage)
// over every request it completed, so warm-up, connection setup, garbage collection and exit are
// all counted and the server never is. The machine is shared and noisy, so it runs several
// rounds, rotating the generators' order, and reports medians and the median of each round's
// ratio. It is a measurement, not a test: run it with -benchtime 1x; each run of a generator
// takes a few seconds (see benchDurationEnv and benchRoundsEnv).
func BenchmarkGeneratorCPU(b *testing.B) {
	d := 3 * time.Second
	if s := os.Getenv(benchDurationEnv); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil || d < time.Second {
			b.Fatalf("%s=%q: want a duration of at least 1s", benchDurationEnv, s)
		}
	}
	rounds := 5
	if s := os.Getenv(benchRoundsEnv); s != "" {
		var err error
		if rounds, err = strconv.Atoi(s); err != nil || rounds < 1 {
			b.Fatalf("%s=%q: want a positive integer", benchRoundsEnv, s)
		}
	}
	const (
		conns   = 8
		wrkPath = "/usr/bin/wrk"
	)
	gens := []generator{
		{name: "workerbench", run: runChild("workerbench")},
		{name: "net/http", run: runChild("net-http")},
	}
	if _, err := os.Stat(wrkPath); err == nil {
		gens = append(gens, generator{name: "wrk", run: runWrk(wrkPath)})
	} else {
		b.Logf("no wrk: %v", err)
	}
	servers := []struct {
		name      string
		path      string
		keepAlive bool
		start     func(b *testing.B) string
	}{
		{name: "go-hello-keepalive", path: "/", keepAlive: true, start: startHelloProcess},
		{name: "gunicorn-sync-close", path: "/?ms=0", keepAlive: false, start: startGunicorn},
	}
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			url := "http://" + s.start(b) + s.path
			rows := make([][]cpuRow, len(gens)) // by generator, then round
			var log strings.Builder
			fmt.Fprintf(&log, "%s, %d connections, %v per run, %d rounds; cpu-µs/req (req/s)\n", s.name, conns, d, rounds)
			for round := range rounds {
				fmt.Fprintf(&log, "  round %d:", round+1)
				for j := range gens {
					g := (j + round) % len(gens) // rotate the order: no generator always runs first
					row := gens[g].run(b, url, conns, s.keepAlive, d)
					if row.errors != 0 {
						b.Errorf("%s: %d errors", gens[g].name, row.errors)
					}
					rows[g] = append(rows[g], row)
					fmt.Fprintf(&log, "  %s %.1f (%.0f)", gens[g].name, row.usPerReq(), row.rps())
				}
				log.WriteString("\n")
			}
			med := func(g int, f func(r cpuRow) float64) float64 {
				v := make([]float64, len(rows[g]))
				for i, r := range rows[g] {
					v[i] = f(r)
				}
				return median(v)
			}
			log.WriteString("  median:")
			for g, gen := range gens {
				us := med(g, cpuRow.usPerReq)
				fmt.Fprintf(&log, "  %s %.1f (%.0f)", gen.name, us, med(g, cpuRow.rps))
				b.ReportMetric(us, strings.ReplaceAll(gen.name, "/", "")+"-cpu-µs/req")
			}
			log.WriteString("\n")
			if w := len(gens) - 1; gens[w].name == "wrk" {
				log.WriteString("  median of the rounds' ratios to wrk:")
				for g, gen := range gens[:w] {
					ratio := make([]float64, rounds)
					for i := range ratio {
						ratio[i] = rows[g][i].usPerReq() / rows[w][i].usPerReq()
					}
					r := median(ratio)
					fmt.Fprintf(&log, "  %s/wrk %.2f (%.2f–%.2f)", gen.name, r, slices.Min(ratio), slices.Max(ratio))
					b.ReportMetric(r, strings.ReplaceAll(gen.name, "/", "")+"/wrk")
				}
				log.WriteString("\n")
			}
			// Printed rather than logged: a benchmark's log is cut after ten lines.
			fmt.Print(log.String())
		})
	}
}

// median returns the median of v, which it sorts.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// runWrk returns a generator that runs wrk with one thread (as wrk's own CPU is one event loop)
// and charges it its process's CPU over the requests it reports.
func runWrk(wrkPath string) func(*testing.B, string, int, bool, time.Duration) cpuRow {
	return func(b *testing.B, url string, conns int, keepAlive bool, d time.Duration) cpuRow {
		secs := max(int(d.Round(time.Second)/time.Second), 1)
		args := []string{"-t1", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(secs) + "s"}
		if !keepAlive {
			args = append(args, "-H", "Connection: close") // the request workerbench sends
		}
		out, ps, wall := runProcess(b, exec.Command(wrkPath, append(args, url)...))
		// The summary line: "  123456 requests in 3.00s, 15.00MB read".
		m := regexp.MustCompile(`(\d+) requests in ([0-9.]+)(ms|s|m)\b`).FindSubmatch(out)
		if m == nil {
			b.Fatalf("no request count in wrk's output:\n%s", out)
		}
		n, _ := strconv.ParseInt(string(m[1]), 10, 64)
		var errs int64
		for _, re := range []string{`Non-2xx or 3xx responses: (\d+)`, `connect (\d+), read (\d+), write (\d+), timeout (\d+)`} {
			if m := regexp.MustCompile(re).FindSubmatch(out); m != nil {
				for _, v := range m[1:] {
					k, _ := strconv.ParseInt(string(v), 10, 64)
					errs += k
				}
			}
		}
		if errs != 0 {
			b.Logf("wrk reported errors:\n%s", out)
		}
		return cpuRow{requests: n, errors: errs, cpu: ps.UserTime() + ps.SystemTime(), wall: wall}
	}
}

// runChild returns a generator that re-executes the test binary as the generator name (see
// runGenerator) and charges it its process's CPU over the requests it reports.
func runChild(name string) func(*testing.B, string, int, bool, time.Duration) cpuRow {
	return func(b *testing.B, url string, conns int, keepAlive bool, d time.Duration) cpuRow {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), generatorEnv+"="+name,
			fmt.Sprintf("%s=%s %d %t %s", generatorArgsEnv, url, conns, keepAlive, d))
		out, ps, wall := runProcess(b, cmd)
		var row cpuRow
		if _, err := fmt.Sscanf(string(out), "requests %d errors %d", &row.requests, &row.errors); err != nil || row.requests == 0 {
			b.Fatalf("%s: %v:\n%s", name, err, out)
		}
		row.cpu, row.wall = ps.UserTime()+ps.SystemTime(), wall
		return row
	}
}

// runProcess runs cmd in its own process group and returns its combined output, its state (for
// rusage) and its wall time.
func runProcess(b *testing.B, cmd *exec.Cmd) ([]byte, *os.ProcessState, time.Duration) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // its group, should anything outlive Wait
	if err := cmd.Wait(); err != nil {
		b.Fatalf("%s: %v\n%s", cmd.Path, err, out.Bytes())
	}
	return out.Bytes(), cmd.ProcessState, time.Since(start)
}

// generatorArgsEnv carries a child generator's arguments: "URL CONNS KEEPALIVE DURATION".
const generatorArgsEnv = "WORKERBENCH_LOAD_GENERATOR_ARGS"

// runGenerator is the child process of runChild: it drives a closed loop with the generator
// name for the duration, with no warm-up so that every completed request is counted, and prints
// "requests N errors M".
func runGenerator(name, args string, out io.Writer) int {
	var (
		url       string
		conns     int
		keepAlive bool
		d         time.Duration
		ds        string
	)
	if _, err := fmt.Sscanf(args, "%s %d %t %s", &url, &conns, &keepAlive, &ds); err != nil {
		fmt.Fprintf(out, "%s=%q: %v\n", generatorArgsEnv, args, err)
		return 2
	}
	d, err := time.ParseDuration(ds)
	if err != nil {
		fmt.Fprintln(out, err)
		return 2
	}
	var requests, errs int64
	switch name {
	case "workerbench", "workerbench-goroutines":
		newDriver := newDriver
		if name == "workerbench-goroutines" { // the portable driver, for comparison
			newDriver = func(req *request, conns int) driver { return newWorkers(req, conns) }
		}
		addr, path, _ := strings.Cut(strings.TrimPrefix(url, "http://"), "/")
		rep, err := closed(context.Background(), Target{Addr: addr, Path: "/" + path, KeepAlive: keepAlive},
			Options{Connections: conns, Duration: d}, newDriver)
		if err != nil {
			fmt.Fprintln(out, err)
			return 1
		}
		requests, errs = rep.Requests, rep.ErrorCount()
	case "net-http":
		requests, errs = netHTTPLoop(url, conns, keepAlive, d)
	default:
		fmt.Fprintf(out, "%s=%q: unknown generator\n", generatorEnv, name)
		return 2
	}
	fmt.Fprintf(out, "requests %d errors %d\n", requests, errs)
	return 0
}

// netHTTPLoop runs a closed loop of conns goroutines on net/http's client for d and returns the
// requests that completed with status 200 and those that did not.
func netHTTPLoop(url string, conns int, keepAlive bool, d time.Duration) (requests, errs int64) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, DisableCompression: true, DisableKeepAlives: !keepAlive}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ok, bad atomic.Int64
	var wg sync.WaitGroup
	for range conns {
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
					if ctx.Err() == nil {
						bad.Add(1)
						time.Sleep(connectBackoff)
					}
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					ok.Add(1)
				} else {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return ok.Load(), bad.Load()
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
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "examples", "flask"))
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
