package load

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer is a TCP server on loopback whose connections are served by a test's function, for
// responses that net/http would not send. It counts accepted connections.
type rawServer struct {
	addr     string
	accepted atomic.Int64
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	closed   bool
}

// startRaw starts a rawServer; serve runs once per connection, which is closed when it returns.
// Cleanup closes the listener and every connection and waits for all of its goroutines.
func startRaw(t testing.TB, serve func(c net.Conn, br *bufio.Reader)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			s.mu.Lock()
			if s.closed {
				s.mu.Unlock()
				c.Close()
				return
			}
			s.conns[c] = struct{}{}
			s.wg.Add(1)
			s.mu.Unlock()
			go func() {
				defer s.wg.Done()
				defer func() {
					s.mu.Lock()
					delete(s.conns, c)
					s.mu.Unlock()
					c.Close()
				}()
				serve(c, bufio.NewReader(c))
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// readRequest reads one request's header section and Content-Length body, without allocating.
func readRequest(br *bufio.Reader) error {
	var n int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		line = line[:len(line)-1]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if len(line) == 0 {
			break
		}
		if len(line) > 15 && equalFold(line[:15], "content-length:") {
			n, _ = parseDecimal(trimOWS(line[15:]))
		}
	}
	_, err := br.Discard(int(n))
	return err
}

// respond serves every request on a connection with resp, closing the connection after the
// first response if closeAfter.
func respond(resp string, closeAfter bool) func(net.Conn, *bufio.Reader) {
	b := []byte(resp)
	return func(c net.Conn, br *bufio.Reader) {
		for {
			if err := readRequest(br); err != nil {
				return
			}
			if _, err := c.Write(b); err != nil || closeAfter {
				return
			}
		}
	}
}

// hang reads one request and then never answers; it returns when the client closes.
func hang(c net.Conn, br *bufio.Reader) {
	if readRequest(br) == nil {
		io.Copy(io.Discard, br)
	}
}

// reset reads one request and resets the connection (SO_LINGER 0) instead of answering.
func reset(c net.Conn, br *bufio.Reader) {
	if readRequest(br) == nil {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
	}
}

// slotServer is the ground truth the estimator is checked against: a server with exactly k slots, each request holding
// one for a fixed sleep, so throughput is k/sleep. It records connections and peak concurrency.
type slotServer struct {
	addr     string
	conns    atomic.Int64 // connections accepted
	served   atomic.Int64 // requests answered
	inFlight atomic.Int64
	peak     atomic.Int64 // most requests holding a slot at once
}

func startSlots(t testing.TB, k int, sleep time.Duration) *slotServer {
	t.Helper()
	s := &slotServer{}
	sem := make(chan struct{}, k)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		case <-r.Context().Done():
			return
		}
		n := s.inFlight.Add(1)
		for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
		}
		time.Sleep(sleep)
		s.inFlight.Add(-1)
		<-sem
		s.served.Add(1)
		io.WriteString(w, "ok")
	})
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	s.addr = srv.Listener.Addr().String()
	return s
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
