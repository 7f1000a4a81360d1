package load

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Timing in these tests: assertions hold whatever the machine's speed (upper bounds that the
// server makes physically impossible to beat, lower bounds at a small fraction of the ideal), and
// "returns promptly" means well under the request timeout it would otherwise wait for.

func TestClosedMatchesSlots(t *testing.T) {
	tests := []struct {
		name  string
		k     int
		sleep time.Duration
		conns int
	}{
		{name: "1 slot", k: 1, sleep: 20 * time.Millisecond, conns: 4},
		{name: "4 slots", k: 4, sleep: 20 * time.Millisecond, conns: 12},
	}
	forEachDriver(t, func(t *testing.T, runClosed closedFunc) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv := startSlots(t, tt.k, tt.sleep)
				o := Options{Connections: tt.conns, Warmup: 200 * time.Millisecond, Duration: time.Second}
				rep, err := runClosed(context.Background(), Target{Addr: srv.addr, KeepAlive: true}, o)
				if err != nil {
					t.Fatal(err)
				}
				if len(rep.Errors) != 0 {
					t.Errorf("errors %v, want none", rep.Errors)
				}
				if rep.Window != o.Duration {
					t.Errorf("window %v, want %v", rep.Window, o.Duration)
				}
				if got := rep.Latency.TotalCount(); got != rep.Requests {
					t.Errorf("histogram holds %d requests, report %d", got, rep.Requests)
				}
				// Each slot completes at most one request per sleep, plus one already under way.
				maxReq := int64(tt.k) * (int64(o.Duration/tt.sleep) + 1)
				want := float64(tt.k) / tt.sleep.Seconds()
				if rep.Requests > maxReq || rep.Throughput() < want/2 {
					t.Errorf("%d requests (%.0f/s), want at most %d and at least %.0f/s", rep.Requests, rep.Throughput(), maxReq, want/2)
				}
				if served := srv.served.Load(); served < rep.Requests {
					t.Errorf("server answered %d requests, report counts %d", served, rep.Requests)
				}
				if p := srv.peak.Load(); p != int64(tt.k) {
					t.Errorf("peak concurrency at the server %d, want every slot busy (%d)", p, tt.k)
				}
				if c := srv.conns.Load(); c != int64(tt.conns) {
					t.Errorf("server accepted %d connections, want one per closed-loop connection (%d)", c, tt.conns)
				}
				if p50 := rep.Quantile(0.5); p50 < tt.sleep {
					t.Errorf("median latency %v below the service time %v", p50, tt.sleep)
				}
				if rep.GeneratorCPU <= 0 {
					t.Errorf("generator CPU %v, want > 0", rep.GeneratorCPU)
				}
			})
		}
	})
}

// TestClosedSteadyAfter checks that the warm-up ends once every connection
// has completed SteadyAfter requests, long before Warmup, and that the
// window then measures what the slots serve; and that a connection the
// server never answers holds the warm-up to Warmup.
func TestClosedSteadyAfter(t *testing.T) {
	forEachDriver(t, func(t *testing.T, runClosed closedFunc) {
		const k, sleep = 2, 20 * time.Millisecond
		srv := startSlots(t, k, sleep)
		o := Options{Connections: 4, Warmup: 5 * time.Second, SteadyAfter: 2, Duration: 400 * time.Millisecond}
		start := time.Now()
		rep, err := runClosed(context.Background(), Target{Addr: srv.addr, KeepAlive: true}, o)
		if err != nil {
			t.Fatal(err)
		}
		// Two cycles of 4 connections over 2 slots: 80 ms, plus the window.
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("took %v: the warm-up did not end when every connection was steady", took)
		}
		if rep.Window != o.Duration {
			t.Errorf("window %v, want %v", rep.Window, o.Duration)
		}
		want := float64(k) / sleep.Seconds()
		if x := rep.Throughput(); x < 0.8*want || x > 1.05*want {
			t.Errorf("throughput %.1f/s, want about %.0f/s", x, want)
		}

		starved := startRaw(t, hang)
		o = Options{Connections: 1, Warmup: 300 * time.Millisecond, SteadyAfter: 1, Duration: 100 * time.Millisecond}
		start = time.Now()
		if _, err := runClosed(context.Background(), Target{Addr: starved.addr, KeepAlive: true, Timeout: time.Hour}, o); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < o.Warmup+o.Duration {
			t.Errorf("took %v, want the whole warm-up %v and window %v", took, o.Warmup, o.Duration)
		}
	})
}

func TestClosedRequestLimit(t *testing.T) {
	tests := []struct {
		name      string
		keepAlive bool
	}{
		{name: "keep-alive", keepAlive: true},
		{name: "connection close", keepAlive: false},
	}
	forEachDriver(t, func(t *testing.T, runClosed closedFunc) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv := startRaw(t, respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
				const conns, limit = 4, 200
				rep, err := runClosed(context.Background(), Target{Addr: srv.addr, KeepAlive: tt.keepAlive},
					Options{Connections: conns, Requests: limit})
				if err != nil {
					t.Fatal(err)
				}
				if rep.Requests != limit || rep.Latency.TotalCount() != limit {
					t.Errorf("requests %d, histogram %d, want exactly %d", rep.Requests, rep.Latency.TotalCount(), limit)
				}
				if len(rep.Errors) != 0 || rep.Window <= 0 {
					t.Errorf("errors %v, window %v", rep.Errors, rep.Window)
				}
				accepted := srv.accepted.Load()
				if tt.keepAlive && accepted != conns {
					t.Errorf("accepted %d connections, want %d reused", accepted, conns)
				}
				if !tt.keepAlive && accepted < limit {
					t.Errorf("accepted %d connections, want one per request (>= %d)", accepted, limit)
				}
			})
		}
	})
}

func TestClosedAbandonsInFlight(t *testing.T) {
	// The first request is answered; every later one hangs until the client closes. Closed must
	// return at the end of the window, not wait out the one-minute timeout, and must not count
	// the abandoned requests as errors.
	forEachDriver(t, func(t *testing.T, runClosed closedFunc) {
		var answered atomic.Bool
		srv := startRaw(t, func(c net.Conn, br *bufio.Reader) {
			for readRequest(br) == nil {
				if !answered.CompareAndSwap(false, true) {
					hang(c, br)
					return
				}
				c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
			}
		})
		start := time.Now()
		rep, err := runClosed(context.Background(), Target{Addr: srv.addr, KeepAlive: true, Timeout: time.Minute},
			Options{Connections: 3, Duration: 300 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		if elapsed := time.Since(start); elapsed > 30*time.Second {
			t.Errorf("Closed took %v: it waited for requests in flight", elapsed)
		}
		if rep.Requests != 1 || len(rep.Errors) != 0 {
			t.Errorf("requests %d, errors %v; want 1 and none", rep.Requests, rep.Errors)
		}
	})
}

func TestClosedErrors(t *testing.T) {
	tests := []struct {
		name     string
		serve    func(net.Conn, *bufio.Reader) // nil: nothing listens
		target   Target
		wantKind string
	}{
		{name: "timeout", serve: hang, target: Target{Timeout: 50 * time.Millisecond}, wantKind: KindTimeout},
		{name: "status", serve: respond("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", false), wantKind: KindStatus},
		{name: "protocol", serve: respond("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789", false),
			target: Target{MaxBody: 5}, wantKind: KindProtocol},
		{name: "reset", serve: reset, wantKind: KindProtocol},
		{name: "connect", wantKind: KindConnect},
	}
	forEachDriver(t, func(t *testing.T, runClosed closedFunc) {
		for _, tt := range tests {
			for _, keepAlive := range []bool{true, false} {
				t.Run(fmt.Sprintf("%s keep-alive %t", tt.name, keepAlive), func(t *testing.T) {
					tg := tt.target
					tg.KeepAlive = keepAlive
					if tt.serve != nil {
						tg.Addr = startRaw(t, tt.serve).addr
					} else {
						tg.Addr = deadAddr(t)
					}
					o := Options{Connections: 4, Duration: 300 * time.Millisecond}
					rep, err := runClosed(context.Background(), tg, o)
					if err != nil {
						t.Fatal(err)
					}
					if rep.Requests != 0 || rep.Errors[tt.wantKind] == 0 || len(rep.Errors) != 1 {
						t.Errorf("requests %d, errors %v; want only %q errors", rep.Requests, rep.Errors, tt.wantKind)
					}
					// Timeouts never fire early, nor does the back-off after a failed connect end
					// early: both bound the count.
					var each time.Duration
					switch tt.wantKind {
					case KindConnect:
						each = connectBackoff
					case KindTimeout:
						each = tg.Timeout
					}
					if each > 0 {
						perConn := int64(o.Duration/each) + 1
						if n := rep.Errors[tt.wantKind]; n > int64(o.Connections)*perConn {
							t.Errorf("%d %s errors in %v: at most %d possible", n, tt.wantKind, o.Duration, int64(o.Connections)*perConn)
						}
					}
				})
			}
		}
	})
}

func TestIdleCloseIsRetried(t *testing.T) {
	ok := []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	tests := []struct {
		name  string
		serve func(net.Conn, *bufio.Reader)
		gap   time.Duration // between the requests
	}{
		{
			// The server closes right after each response, without saying Connection: close.
			name: "closed after the response",
			serve: func(c net.Conn, br *bufio.Reader) {
				if readRequest(br) == nil {
					c.Write(ok)
				}
			},
		},
		{
			name: "closed after an idle timeout",
			serve: func(c net.Conn, br *bufio.Reader) {
				for readRequest(br) == nil {
					c.Write(ok)
					c.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
				}
			},
			gap: 50 * time.Millisecond,
		},
	}
	forEachDriver(t, func(t *testing.T, runClosed closedFunc) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				srv := startRaw(t, tt.serve)
				req, err := compile(Target{Addr: srv.addr, KeepAlive: true})
				if err != nil {
					t.Fatal(err)
				}
				c := newClient(req)
				defer c.closeConn()
				const n = 5
				for i := range n {
					if _, k, err := c.roundTrip(context.Background(), time.Now()); k != kindOK {
						t.Fatalf("request %d: %v %v", i+1, k, err)
					}
					time.Sleep(tt.gap)
				}
				if got := srv.accepted.Load(); got != n {
					t.Errorf("accepted %d connections, want %d", got, n)
				}

				rep, err := runClosed(context.Background(), Target{Addr: srv.addr, KeepAlive: true},
					Options{Connections: 2, Duration: 200 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				if rep.Requests == 0 || len(rep.Errors) != 0 {
					t.Errorf("closed loop: requests %d, errors %v; want some and none", rep.Requests, rep.Errors)
				}
			})
		}
	})
}

func TestSequential(t *testing.T) {
	const (
		ok2      = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
		chunked  = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n"
		closeHdr = "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
	)
	tests := []struct {
		name       string
		resp       string
		closeAfter bool   // the server closes after its first response
		target     Target // Addr is filled in
		wantConns  int64  // 0: don't check
		wantKind   string // "" for success
	}{
		{name: "content-length reused", resp: ok2, target: Target{KeepAlive: true}, wantConns: 1},
		{name: "chunked reused", resp: chunked, target: Target{KeepAlive: true}, wantConns: 1},
		{name: "server says close", resp: closeHdr, closeAfter: true, target: Target{KeepAlive: true}, wantConns: 3},
		{name: "http/1.0 body to EOF", resp: "HTTP/1.0 200 OK\r\n\r\nhello", closeAfter: true, target: Target{KeepAlive: true}, wantConns: 3},
		{name: "http/1.0 keep-alive", resp: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", target: Target{KeepAlive: true}, wantConns: 1},
		{name: "http/1.1 body to EOF", resp: "HTTP/1.1 200 OK\r\n\r\nhello", closeAfter: true, target: Target{KeepAlive: true}, wantConns: 3},
		{name: "no content", resp: "HTTP/1.1 204 No Content\r\n\r\n", target: Target{KeepAlive: true}, wantConns: 1},
		{name: "100 continue", resp: "HTTP/1.1 100 Continue\r\n\r\n" + ok2, target: Target{KeepAlive: true}, wantConns: 1},
		{name: "HEAD", resp: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", target: Target{Method: "HEAD", KeepAlive: true}, wantConns: 1},
		{name: "POST body", resp: "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", target: Target{Method: "POST", Body: []byte("abc"), KeepAlive: true, Status: 201}, wantConns: 1},
		{name: "keep-alive off", resp: ok2, target: Target{}, wantConns: 3},
		{name: "redirect expected", resp: "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", target: Target{KeepAlive: true, Status: 302}, wantConns: 1},

		{name: "redirect is not followed", resp: "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n", target: Target{KeepAlive: true}, wantKind: KindStatus},
		{name: "server error", resp: "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n", target: Target{KeepAlive: true}, wantKind: KindStatus},
		{name: "body too large", resp: ok2, target: Target{KeepAlive: true, MaxBody: 1}, wantKind: KindProtocol},
		{name: "chunked body too large", resp: chunked, target: Target{KeepAlive: true, MaxBody: 4}, wantKind: KindProtocol},
		{name: "EOF body too large", resp: "HTTP/1.0 200 OK\r\n\r\nhello", closeAfter: true, target: Target{MaxBody: 4}, wantKind: KindProtocol},
		{name: "truncated body", resp: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", closeAfter: true, target: Target{KeepAlive: true}, wantKind: KindProtocol},
		{name: "garbage", resp: "hello\r\n\r\n", target: Target{KeepAlive: true}, wantKind: KindProtocol},
		// A fresh connection closed without a response is the server's failure, not an idle
		// close: no retry.
		{name: "fresh connection closed", resp: "", closeAfter: true, target: Target{KeepAlive: true}, wantConns: 1, wantKind: KindProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRaw(t, respond(tt.resp, tt.closeAfter))
			tg := tt.target
			tg.Addr = srv.addr
			const n = 3
			lat, err := Sequential(context.Background(), tg, n)
			if tt.wantKind == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(lat) != n || slices.Min(lat) <= 0 {
					t.Errorf("latencies %v, want %d positive", lat, n)
				}
			} else {
				var e *Error
				if !errors.As(err, &e) || e.Kind != tt.wantKind || !strings.Contains(err.Error(), "request 1 of 3: "+tt.wantKind) {
					t.Fatalf("err = %v, want a %q error naming request 1", err, tt.wantKind)
				}
				if len(lat) != 0 {
					t.Errorf("latencies %v before the failed first request", lat)
				}
			}
			if tt.wantConns != 0 {
				if got := srv.accepted.Load(); got != tt.wantConns {
					t.Errorf("server accepted %d connections, want %d", got, tt.wantConns)
				}
			}
		})
	}
}

func TestSequentialErrors(t *testing.T) {
	tests := []struct {
		name     string
		addr     func(t *testing.T) string
		target   Target
		wantKind string
	}{
		{name: "connection refused", addr: func(t *testing.T) string { return deadAddr(t) }, wantKind: KindConnect},
		{name: "timeout", addr: func(t *testing.T) string { return startRaw(t, hang).addr },
			target: Target{Timeout: 50 * time.Millisecond}, wantKind: KindTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := tt.target
			tg.Addr = tt.addr(t)
			_, err := Sequential(context.Background(), tg, 2)
			var e *Error
			if !errors.As(err, &e) || e.Kind != tt.wantKind {
				t.Fatalf("err = %v, want kind %q", err, tt.wantKind)
			}
		})
	}
}

func TestBurst(t *testing.T) {
	const n, sleep = 5, 50 * time.Millisecond
	srv := startSlots(t, 1, sleep)
	out, err := Burst(context.Background(), Target{Addr: srv.addr}, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != n {
		t.Fatalf("%d outcomes, want %d", len(out), n)
	}
	var lastStart time.Duration
	ends := make([]time.Duration, 0, n)
	for i, o := range out {
		if o.Err != "" || o.Status != 200 {
			t.Fatalf("request %d: %+v", i, o)
		}
		lastStart = max(lastStart, o.Start)
		ends = append(ends, o.End)
	}
	slices.Sort(ends)
	// Every request was on the wire before the first could finish...
	if lastStart >= ends[0] {
		t.Errorf("last request started at %v, after the first ended at %v", lastStart, ends[0])
	}
	// ...and the one slot served them one after another, a service time apart.
	if ends[0] < sleep {
		t.Errorf("first end %v, before one service time %v", ends[0], sleep)
	}
	for i := 1; i < n; i++ {
		if gap := ends[i] - ends[i-1]; gap < sleep/2 {
			t.Errorf("ends %v: gap %v between waves %d and %d, want about %v", ends, gap, i, i+1, sleep)
		}
	}
	if c := srv.conns.Load(); c != n {
		t.Errorf("server accepted %d connections, want %d", c, n)
	}
}

func TestBurstConnectError(t *testing.T) {
	out, err := Burst(context.Background(), Target{Addr: deadAddr(t)}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if o.Err != KindConnect || o.Detail == "" {
			t.Errorf("outcome %d: %+v, want a connect error", i, o)
		}
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name string
		call func(ctx context.Context, tg Target) error
	}{
		{name: "closed", call: func(ctx context.Context, tg Target) error {
			rep, err := Closed(ctx, tg, Options{Connections: 4, Duration: time.Hour})
			if rep.Window <= 0 || rep.Window >= time.Hour || rep.Errors == nil || rep.Latency == nil {
				t.Errorf("report after cancel: %+v", rep)
			}
			return err
		}},
		{name: "closed in warm-up", call: func(ctx context.Context, tg Target) error {
			rep, err := Closed(ctx, tg, Options{Connections: 4, Warmup: time.Hour, Duration: time.Hour})
			if rep.Window != 0 || rep.Requests != 0 {
				t.Errorf("report after cancel in warm-up: %+v", rep)
			}
			return err
		}},
		{name: "sequential", call: func(ctx context.Context, tg Target) error {
			_, err := Sequential(ctx, tg, 10)
			return err
		}},
		{name: "burst", call: func(ctx context.Context, tg Target) error {
			_, err := Burst(ctx, tg, 3)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRaw(t, hang)
			ctx, cancel := context.WithCancel(context.Background())
			timer := time.AfterFunc(100*time.Millisecond, cancel)
			defer timer.Stop()
			start := time.Now()
			err := tt.call(ctx, Target{Addr: srv.addr, KeepAlive: true, Timeout: time.Minute})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			if elapsed := time.Since(start); elapsed > 30*time.Second {
				t.Errorf("returned after %v: cancellation did not interrupt the request", elapsed)
			}
		})
	}
}

func TestRefusesRemote(t *testing.T) {
	tg := Target{Addr: "192.0.2.1:80", Timeout: time.Minute}
	want := `"192.0.2.1:80" is not loopback`
	_, err := Closed(context.Background(), tg, Options{Connections: 1, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Closed: %v", err)
	}
	if _, err := Sequential(context.Background(), tg, 1); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Sequential: %v", err)
	}
	if _, err := Burst(context.Background(), tg, 1); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Burst: %v", err)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		ok   bool
	}{
		{name: "duration", o: Options{Connections: 1, Duration: time.Second}, ok: true},
		{name: "requests", o: Options{Connections: 1, Requests: 10}, ok: true},
		{name: "neither", o: Options{Connections: 1}},
		{name: "no connections", o: Options{Duration: time.Second}},
		{name: "negative warm-up", o: Options{Connections: 1, Duration: time.Second, Warmup: -1}},
		{name: "negative requests", o: Options{Connections: 1, Requests: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.o.validate(); (err == nil) != tt.ok {
				t.Errorf("validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestReport(t *testing.T) {
	h := newHistogram(time.Second)
	for _, us := range []int64{500, 1000, 1500, 2000} { // exact at 3 significant digits
		h.RecordValue(us)
	}
	tests := []struct {
		name   string
		r      Report
		wantX  float64
		q      float64
		wantQ  time.Duration
		wantEC int64
	}{
		{name: "empty", r: Report{}, q: 0.5},
		{name: "median", r: Report{Requests: 4, Window: 2 * time.Second, Latency: h, Errors: map[string]int64{"timeout": 1, "status": 2}},
			wantX: 2, q: 0.5, wantQ: time.Millisecond, wantEC: 3},
		{name: "max", r: Report{Requests: 4, Window: time.Second, Latency: h}, wantX: 4, q: 1, wantQ: 2 * time.Millisecond},
		{name: "q clamped", r: Report{Latency: h}, q: 7, wantQ: 2 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if x := tt.r.Throughput(); x != tt.wantX {
				t.Errorf("Throughput() = %v, want %v", x, tt.wantX)
			}
			if q := tt.r.Quantile(tt.q); q != tt.wantQ {
				t.Errorf("Quantile(%v) = %v, want %v", tt.q, q, tt.wantQ)
			}
			if n := tt.r.ErrorCount(); n != tt.wantEC {
				t.Errorf("ErrorCount() = %d, want %d", n, tt.wantEC)
			}
		})
	}
}

// TestThroughputDistrustsUnfairRates: the per-connection estimate is used
// only where it agrees with the count within the count's phase error; a
// server that serves some connections in bursts (puma with keep-alive)
// makes it overstate, and the count is returned instead.
func TestThroughputDistrustsUnfairRates(t *testing.T) {
	for _, tt := range []struct {
		rep  Report
		want float64
	}{
		{Report{Requests: 100, Window: time.Second, ConnRate: 104}, 104}, // phase error: trust ConnRate
		{Report{Requests: 100, Window: time.Second, ConnRate: 300}, 100}, // puma 1x2: 6 of 2 slots
		{Report{Requests: 100, Window: time.Second}, 100},                // too few renewals
		{Report{ConnRate: 50}, 50},
	} {
		if got := tt.rep.Throughput(); got != tt.want {
			t.Errorf("Throughput(%+v) = %v, want %v", tt.rep, got, tt.want)
		}
	}
}
