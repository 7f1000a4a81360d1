//go:build linux

package load

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestNewLoops(t *testing.T) {
	tests := []struct {
		name       string
		addr       string
		conns      int
		procs      int
		wantConns  []int // per loop; nil: no event loop
		wantFamily int
	}{
		{name: "one loop on two Ps", addr: "127.0.0.1:80", conns: 8, procs: 2, wantConns: []int{8}, wantFamily: syscall.AF_INET},
		{name: "a loop per two Ps", addr: "127.0.0.1:80", conns: 5, procs: 4, wantConns: []int{3, 2}, wantFamily: syscall.AF_INET},
		{name: "no more loops than connections", addr: "127.0.0.1:80", conns: 1, procs: 8, wantConns: []int{1}, wantFamily: syscall.AF_INET},
		{name: "IPv6", addr: "[::1]:80", conns: 2, procs: 2, wantConns: []int{2}, wantFamily: syscall.AF_INET6},
		{name: "one P", addr: "127.0.0.1:80", conns: 8, procs: 1},
		{name: "host name", addr: "localhost:80", conns: 8, procs: 2},
		{name: "zoned IPv6", addr: "[fe80::1%lo]:80", conns: 8, procs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := compile(Target{Addr: tt.addr, AllowRemote: true})
			if err != nil {
				t.Fatal(err)
			}
			d, ok := newLoops(req, tt.conns, tt.procs)
			if ok != (tt.wantConns != nil) {
				t.Fatalf("newLoops ok = %v, want %v", ok, tt.wantConns != nil)
			}
			if !ok {
				return
			}
			defer d.close()
			ls := d.(loops)
			var got []int
			for _, l := range ls {
				got = append(got, len(l.conns))
				if l.sa.family != tt.wantFamily {
					t.Errorf("family %d, want %d", l.sa.family, tt.wantFamily)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.wantConns) {
				t.Errorf("connections per loop %v, want %v", got, tt.wantConns)
			}
			if ts, hs := d.results(); len(ts) != tt.conns || len(hs) != len(ls) {
				t.Errorf("%d tallies and %d histograms, want %d and %d", len(ts), len(hs), tt.conns, len(ls))
			}
		})
	}
}

// runLoops runs a closed loop on event loops (procs Ps' worth) and returns the report and the
// loops, for a look inside.
func runLoops(t *testing.T, procs int, tg Target, o Options) (Report, loops) {
	t.Helper()
	var ls loops
	rep, err := closed(context.Background(), tg, o, func(req *request, conns int) driver {
		d, ok := newLoops(req, conns, procs)
		if !ok {
			t.Fatalf("no event loop for %s", req.addr)
		}
		ls = d.(loops)
		return d
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep, ls
}

// TestLoopConnectTimeout fills a listener's accept queue so that the kernel drops further SYNs:
// connects then never complete, and each request must end as a timeout at its deadline, not as
// a connect error, and not before.
func TestLoopConnectTimeout(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil { // never accepted
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
	// Fill the accept queue (one connection with a backlog of 0; a few to be sure).
	for range 3 {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err != nil {
			break
		}
		defer c.Close()
	}
	const timeout = 100 * time.Millisecond
	for _, keepAlive := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep-alive %t", keepAlive), func(t *testing.T) {
			o := Options{Connections: 2, Duration: 450 * time.Millisecond}
			rep, _ := runLoops(t, 2, Target{Addr: addr, KeepAlive: keepAlive, Timeout: timeout}, o)
			n := rep.Errors[KindTimeout]
			// Each connection times out once per timeout: 4 in the window, give or take one at
			// either edge, and the first ones may fall before it.
			if len(rep.Errors) != 1 || n < 2 || n > int64(o.Connections)*(int64(o.Duration/timeout)+1) {
				t.Errorf("errors %v; want only timeouts, about %d", rep.Errors, int64(o.Connections)*int64(o.Duration/timeout))
			}
		})
	}
}

// TestLoopLargeExchanges sends requests and responses larger than the socket buffers and the
// read buffer, so that writes return EAGAIN half way and reads fill the buffer.
func TestLoopLargeExchanges(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	chunked := func() string {
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
		for range 40 {
			fmt.Fprintf(&b, "%x\r\n%s\r\n", 5000, big[:5000])
		}
		b.WriteString("0\r\n\r\n")
		return b.String()
	}()
	tests := []struct {
		name      string
		resp      string
		close     bool // the server closes after each response
		body      []byte
		keepAlive bool
	}{
		// The server reads it late (see below), so the write fills the socket buffers.
		{name: "large request body", resp: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", body: make([]byte, 8<<20), keepAlive: true},
		{name: "large response", resp: "HTTP/1.1 200 OK\r\nContent-Length: 307200\r\n\r\n" + big, keepAlive: true},
		{name: "large chunked response", resp: chunked, keepAlive: true},
		{name: "large response to EOF", resp: "HTTP/1.0 200 OK\r\n\r\n" + big, close: true},
		{name: "large response, new connection each", resp: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 307200\r\n\r\n" + big, close: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			serve := respond(tt.resp, tt.close)
			if tt.body != nil {
				serve = func(c net.Conn, br *bufio.Reader) {
					time.Sleep(20 * time.Millisecond)
					respond(tt.resp, tt.close)(c, br)
				}
			}
			srv := startRaw(t, serve)
			method := ""
			if tt.body != nil {
				method = "POST"
			}
			rep, _ := runLoops(t, 2, Target{Addr: srv.addr, Method: method, Body: tt.body, KeepAlive: tt.keepAlive, Timeout: 5 * time.Second},
				Options{Connections: 3, Requests: 12})
			if rep.Requests != 12 || len(rep.Errors) != 0 {
				t.Errorf("requests %d, errors %v; want 12 and none", rep.Requests, rep.Errors)
			}
		})
	}
}

// TestLoopReceiveLowWater checks the SO_RCVLOWAT of connections per request: it follows the
// smallest response while the server says Connection: close (and a smaller response is still
// read at once, the server's FIN waking the loop), and it is dropped for good once a response
// would keep the connection open.
func TestLoopReceiveLowWater(t *testing.T) {
	resp := func(body string, close bool) []byte {
		h := "HTTP/1.1 200 OK\r\n"
		if close {
			h += "Connection: close\r\n"
		}
		return []byte(fmt.Sprintf("%sContent-Length: %d\r\n\r\n%s", h, len(body), body))
	}
	long, short := resp(strings.Repeat("a", 500), true), resp("b", true)
	tests := []struct {
		name      string
		responses [][]byte // served in turn, one per connection
		wantLowat int
	}{
		{name: "sizes vary", responses: [][]byte{long, long, short, long}, wantLowat: len(short)},
		{name: "server keeps connections", responses: [][]byte{long, resp("c", false), long}, wantLowat: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := startRaw(t, func(c net.Conn, br *bufio.Reader) {
				if readRequest(br) == nil {
					c.Write(tt.responses[int(n.Add(1)-1)%len(tt.responses)])
				}
			})
			const timeout = 5 * time.Second
			start := time.Now()
			rep, ls := runLoops(t, 2, Target{Addr: srv.addr, Timeout: timeout}, Options{Connections: 2, Requests: 200})
			if rep.Requests != 200 || len(rep.Errors) != 0 {
				t.Errorf("requests %d, errors %v; want 200 and none", rep.Requests, rep.Errors)
			}
			if elapsed := time.Since(start); elapsed > timeout {
				t.Errorf("200 requests took %v: some waited for their deadline", elapsed)
			}
			if l := ls[0]; l.lowat != tt.wantLowat || l.lowatOff != (tt.wantLowat == 0) {
				t.Errorf("lowat %d (off %v), want %d", l.lowat, l.lowatOff, tt.wantLowat)
			}
		})
	}
}

// TestLoopLeftoverResponse: a server that answers one request with two responses. The event
// loop, like the goroutine per connection, takes the second as the answer to the next request.
func TestLoopLeftoverResponse(t *testing.T) {
	ok := "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	srv := startRaw(t, func(c net.Conn, br *bufio.Reader) {
		for i := 0; readRequest(br) == nil; i++ {
			if i%2 == 0 {
				c.Write([]byte(ok + ok))
			}
		}
	})
	rep, _ := runLoops(t, 2, Target{Addr: srv.addr, KeepAlive: true, Timeout: 5 * time.Second}, Options{Connections: 1, Requests: 20})
	if rep.Requests != 20 || len(rep.Errors) != 0 || srv.accepted.Load() != 1 {
		t.Errorf("requests %d, errors %v, connections %d; want 20, none, 1", rep.Requests, rep.Errors, srv.accepted.Load())
	}
}

// TestLoopDoesNotAllocate checks that the event loop allocates nothing per request, with and
// without keep-alive: a run of 3,000 requests allocates no more than a run of 300.
func TestLoopDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	// The server runs in this process and is counted too: a raw one, reading and writing
	// through fixed buffers. Accepting a connection allocates, so without keep-alive the
	// server's allocations per connection are subtracted.
	const resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	for _, keepAlive := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep-alive %t", keepAlive), func(t *testing.T) {
			srv := startRaw(t, respond(resp, !keepAlive))
			tg := Target{Addr: srv.addr, KeepAlive: keepAlive, Timeout: 5 * time.Second}
			allocs := func(n int64) (uint64, int64) {
				var m0, m1 runtime.MemStats
				conns0 := srv.accepted.Load()
				runtime.ReadMemStats(&m0)
				rep, _ := runLoops(t, 2, tg, Options{Connections: 2, Requests: n})
				runtime.ReadMemStats(&m1)
				if rep.Requests != n {
					t.Fatalf("requests %d, errors %v", rep.Requests, rep.Errors)
				}
				return m1.Mallocs - m0.Mallocs, srv.accepted.Load() - conns0
			}
			allocs(100) // warm up
			small, smallConns := allocs(300)
			large, largeConns := allocs(3000)
			perConn := 0.0
			if !keepAlive {
				perConn = serverAllocsPerConn(t)
			}
			extra := float64(large) - float64(small) - perConn*float64(largeConns-smallConns)
			if perReq := extra / 2700; perReq > 0.1 {
				t.Errorf("%.2f allocations per request (runs of 300 and 3,000: %d and %d allocations)", perReq, small, large)
			}
		})
	}
}

// serverAllocsPerConn measures what rawServer allocates for each connection it accepts and
// serves with one response, with a client that allocates nothing per connection.
func serverAllocsPerConn(t *testing.T) float64 {
	t.Helper()
	srv := startRaw(t, respond("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true))
	req, err := compile(Target{Addr: srv.addr, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var buf [256]byte
	ap := netip.MustParseAddrPort(srv.addr)
	sa := &syscall.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	// A blocking client through the syscall package, not raw calls: a raw call that blocks
	// would hold its P through a stop-the-world and deadlock with the server's goroutines.
	one := func() {
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer syscall.Close(fd)
		if err := syscall.Connect(fd, sa); err != nil {
			t.Fatal(err)
		}
		syscall.Write(fd, req.raw)
		for {
			if n, err := syscall.Read(fd, buf[:]); n <= 0 || err != nil {
				return
			}
		}
	}
	one()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	const n = 200
	for range n {
		one()
	}
	time.Sleep(50 * time.Millisecond) // the server's goroutines finish
	runtime.ReadMemStats(&m1)
	return float64(m1.Mallocs-m0.Mallocs) / n
}

// TestLoopAbort checks that abort ends a loop blocked in epoll_wait at once.
func TestLoopAbort(t *testing.T) {
	srv := startRaw(t, hang)
	req, err := compile(Target{Addr: srv.addr, KeepAlive: true, Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	d, ok := newLoops(req, 2, 2)
	if !ok {
		t.Fatal("no event loop")
	}
	defer d.close()
	r := newRun(time.Now(), Options{Connections: 2, Requests: math.MaxInt64})
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.run(context.Background(), r)
	}()
	time.Sleep(50 * time.Millisecond)
	d.abort()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the loop did not return after abort")
	}
}
