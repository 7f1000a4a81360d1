package load

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// The unloaded measurements: requests one at a time (the service time
// S0), and the seed's burst of requests fired together.

// Timing is one request of Sequential: the time from writing it to the
// first byte of its response, and to the last.
type Timing struct {
	FirstByte, Total time.Duration
}

// Sequential sends n requests one after another on one connection (a new one per request unless
// KeepAlive, or when the server closes it) and returns each latency. It stops at the first failed
// request, returning the latencies before it and an error naming the request and wrapping an
// *Error of its kind; if ctx ends first it returns ctx.Err().
func Sequential(ctx context.Context, t Target, n int) ([]time.Duration, error) {
	ts, err := SequentialTimings(ctx, t, n)
	lat := make([]time.Duration, len(ts))
	for i, x := range ts {
		lat[i] = x.Total
	}
	return lat, err
}

// SequentialTimings is Sequential that also tells when each response's
// first byte arrived: a response the server wrote at once but the
// transport delivered in pieces (Nagle's algorithm against a delayed ACK)
// shows a last byte well after its first.
func SequentialTimings(ctx context.Context, t Target, n int) ([]Timing, error) {
	req, err := compile(t)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("request count %d is negative", n)
	}
	c := newClient(req)
	release := abortWhenDone(ctx, c.abort)
	defer release()
	defer c.closeConn()

	out := make([]Timing, 0, n)
	for i := range n {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		start := time.Now()
		status, k, err := c.roundTrip(ctx, start)
		d := time.Since(start)
		if k != kindOK {
			if err := ctx.Err(); err != nil {
				return out, err
			}
			return out, fmt.Errorf("request %d of %d: %w", i+1, n, newError(req, k, status, err))
		}
		out = append(out, Timing{FirstByte: c.firstByte.Sub(start), Total: d})
	}
	return out, nil
}

// Burst is the seed experiment: it opens n connections, then releases them together so that n
// requests are written at the same instant, one per connection, and returns each request's start
// and end relative to that fire instant. A connection that cannot be opened gives an Outcome with
// Err KindConnect. The error is for an invalid target or ctx ending (then the outcomes are
// partial); failed requests are reported in their Outcome.
func Burst(ctx context.Context, t Target, n int) ([]Outcome, error) {
	req, err := compile(t)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("burst size %d is negative", n)
	}
	clients := make([]*client, n)
	for i := range clients {
		clients[i] = newClient(req)
	}
	release := abortWhenDone(ctx, func() {
		for _, c := range clients {
			c.abort()
		}
	})
	defer release()
	defer func() {
		for _, c := range clients {
			c.closeConn()
		}
	}()

	out := make([]Outcome, n)
	for i, c := range clients {
		if err := c.dial(ctx, time.Now().Add(req.timeout)); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return out, ctxErr
			}
			k := kindConnect
			if isTimeout(err) {
				k = kindTimeout
			}
			out[i] = Outcome{Err: k.String(), Detail: err.Error()}
		}
	}

	fire := make(chan struct{})
	var fireAt time.Time // written before fire is closed, read after
	var wg sync.WaitGroup
	for i, c := range clients {
		if c.nc == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-fire
			start := time.Now()
			status, k, err := c.roundTrip(ctx, start)
			o := Outcome{Start: start.Sub(fireAt), End: time.Since(fireAt), Status: status}
			if k != kindOK {
				e := newError(req, k, status, err)
				o.Err, o.Detail = e.Kind, e.Err.Error()
			}
			out[i] = o
		}()
	}
	fireAt = time.Now()
	close(fire)
	wg.Wait()
	return out, ctx.Err()
}

// Outcome is one request of a burst. Start and End are measured from the fire instant, when all
// the burst's connections were released together: Start is when the request was written, End
// when its response was read or it failed. Both are zero for a request whose connection could not
// be opened.
type Outcome struct {
	Start, End time.Duration
	Status     int    // response status; 0 if no response was read
	Err        string // "" on success, else the error kind (KindConnect, KindTimeout, ...)
	Detail     string // the error's message, for diagnostics
}

// abortWhenDone calls abort if ctx ends before release is called. release returns once the
// goroutine watching ctx has exited.
func abortWhenDone(ctx context.Context, abort func()) (release func()) {
	if ctx.Done() == nil {
		return func() {}
	}
	quit := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			abort()
		case <-quit:
		}
	}()
	return func() {
		close(quit)
		<-exited
	}
}
