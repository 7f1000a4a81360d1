// Package slotserver is a web server whose concurrency is known exactly: it
// serves at most a fixed number of requests at a time, each taking a fixed
// time. It is the ground truth workerbench's estimator is validated against,
// and, run as real prefork processes, the demo's stand-in for gunicorn.
//
// Every request is served on its own connection, which is closed after the
// response, the way gunicorn's sync workers behave. A request sleeps for
// ?ms= milliseconds (default the server's Sleep), lengthened by Slowdown, so
// tests can inject a regression of known size.
//
// In event-loop mode (Server.EventLoop) it is instead the ground truth of
// a server without slots, like a uvicorn or Node worker: see serveLoop.
package slotserver

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// Server serves with Slots concurrent request slots.
type Server struct {
	Slots    int
	Sleep    time.Duration // default service time of "/"
	Slowdown float64       // fraction added to every sleep, e.g. 0.1
	// Precise spins through the last millisecond of each sleep instead of
	// trusting the timer, whose wake-ups land up to a millisecond late and
	// unevenly: at 5 ms a 5% longer sleep measured as a 2% drop in
	// throughput and a 10% one as 13%. It costs CPU, so only calibration
	// uses it.
	Precise bool
	// EventLoop serves like one process of an event-loop server: no slot
	// limit (Slots is ignored), keep-alive connections, and every request
	// first computes for CPU (?cpu= milliseconds overrides it) on the
	// worker's one loop, then waits its sleep without holding anything.
	EventLoop bool
	CPU       time.Duration
}

// Serve accepts connections from ln with exactly s.Slots goroutines, each
// serving one connection at a time, until ctx is done or ln is closed. A slot
// accepts only when free, so waiting connections stay in the kernel's
// backlog instead of being hoarded (gunicorn's gthread workers hoard; see
// profile.GreedyAccept). Serve closes ln when ctx is done and returns after
// every slot has finished its current request.
func (s Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.EventLoop {
		return s.serveLoop(ctx, ln)
	}
	if s.Slots < 1 {
		return fmt.Errorf("slots %d: must be at least 1", s.Slots)
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	errc := make(chan error, s.Slots)
	for range s.Slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					if ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
						errc <- err
					}
					return
				}
				s.serveConn(c)
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func (s Server) serveConn(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil {
		return
	}
	status, body := s.respond(req)
	fmt.Fprintf(
		c,
		"HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status,
		http.StatusText(status),
		len(body),
		body,
	)
}

// respond runs the handler: / sleeps, /health answers at once.
func (s Server) respond(req *http.Request) (int, string) {
	switch req.URL.Path {
	case "/health":
		return http.StatusOK, "ok"
	case "/":
		d, ok := millis(req, "ms", s.Sleep)
		if !ok {
			return http.StatusBadRequest, "ms must be a number of milliseconds\n"
		}
		d = time.Duration(float64(d) * (1 + s.Slowdown))
		if s.Precise {
			sleepPrecise(d)
		} else {
			time.Sleep(d)
		}
		return http.StatusOK, "Finished"
	default:
		return http.StatusNotFound, "not found\n"
	}
}

// millis is the query parameter key of req in milliseconds, def when it is
// absent; ok is false when it is not a number of milliseconds up to 10 min.
func millis(req *http.Request, key string, def time.Duration) (d time.Duration, ok bool) {
	v := req.URL.Query().Get(key)
	if v == "" {
		return def, true
	}
	ms, err := strconv.ParseFloat(v, 64)
	if err != nil || ms < 0 || ms > 600000 {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

// sleepPrecise sleeps d: with the timer until a millisecond before the
// end, then yielding in a loop until the deadline.
func sleepPrecise(d time.Duration) {
	end := time.Now().Add(d)
	if d > time.Millisecond {
		time.Sleep(d - time.Millisecond)
	}
	for time.Now().Before(end) {
		runtime.Gosched()
	}
}
