package load

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// The closed loop (Closed): C connections, each with one request in flight,
// counted in a measurement window after a warm-up. A driver runs the
// connections: a goroutine each (workers.go), or on Linux event loops
// (loop_linux.go).

// connectBackoff is the pause after a failed connect, so that a dead server does not make the
// generator spin a core redialling it.
const connectBackoff = 10 * time.Millisecond

// Options shape a closed-loop run.
type Options struct {
	Connections int           // closed loop: this many connections, each with one request in flight
	Warmup      time.Duration // load runs but nothing is recorded
	Duration    time.Duration // measurement window after warm-up
	Requests    int64         // alternative to Duration: stop after this many recorded requests (with both, whichever comes first)

	// OnWindowStart and OnWindowEnd, when set, are called as the
	// measurement window opens and closes, so a caller can sample the
	// server (its CPU time, say) over exactly the window. They run on the
	// coordinating goroutine while the load goes on; keep them short.
	OnWindowStart func()
	OnWindowEnd   func()
}

func (o Options) validate() error {
	switch {
	case o.Connections < 1:
		return fmt.Errorf("connections %d: want at least 1", o.Connections)
	case o.Warmup < 0:
		return fmt.Errorf("warm-up %v is negative", o.Warmup)
	case o.Duration < 0:
		return fmt.Errorf("duration %v is negative", o.Duration)
	case o.Requests < 0:
		return fmt.Errorf("requests %d is negative", o.Requests)
	case o.Duration == 0 && o.Requests == 0:
		return errors.New("neither duration nor requests set: the run would not end")
	}
	return nil
}

// run is the shared state of one closed-loop run. Workers read the times on every request; count
// is written on every request only when there is a request limit, and padding keeps it off the
// times' cache line.
type run struct {
	measureStart time.Time
	end          time.Time // zero: no time limit, only a request limit
	limit        int64     // 0: no request limit
	limitHit     chan struct{}
	lastAt       time.Time // when the limit-th request completed; written before limitHit is closed
	_            [64]byte
	count        atomic.Int64 // recorded requests, with a limit
	_            [64]byte
}

// tally is what one closed-loop connection recorded.
type tally struct {
	n     int64     // requests recorded
	first time.Time // first and last recorded completion
	last  time.Time
	errs  [numKinds]int64
}

// nextStep is what a closed-loop connection does after a request.
type nextStep uint8

const (
	nextRequest nextStep = iota // send the next request
	nextPause                   // wait connectBackoff, then send the next request
	nextStop                    // the run is over for this connection
)

// settle accounts for a request that started at start and ended at now with outcome k, recording
// its latency in h and the rest in t, and says what the connection does next. A request counts
// when it completes inside the window: not before measureStart, not at or after end, and not
// beyond the request limit. A request cut off by the run's end is not counted at all; nor is a
// failure once ctx (nil: none) is done, since the run's end aborted it.
func (r *run) settle(
	ctx context.Context,
	t *tally,
	h *hdrhistogram.Histogram,
	start, now time.Time,
	k kind,
) nextStep {
	if !r.end.IsZero() && !now.Before(r.end) {
		return nextStop
	}
	if k == kindOK {
		if now.Before(r.measureStart) {
			return nextRequest
		}
		if r.limit > 0 {
			n := r.count.Add(1)
			if n > r.limit {
				return nextStop
			}
			t.record(h, start, now)
			if n == r.limit {
				r.lastAt = now
				close(r.limitHit)
				return nextStop
			}
			return nextRequest
		}
		t.record(h, start, now)
		return nextRequest
	}
	if ctx != nil && ctx.Err() != nil {
		return nextStop // aborted by the end of the run: not the server's failure
	}
	if !now.Before(r.measureStart) {
		t.errs[k]++
	}
	if k == kindConnect {
		return nextPause
	}
	return nextRequest
}

func (t *tally) record(h *hdrhistogram.Histogram, start, now time.Time) {
	d := now.Sub(start)
	if t.n == 0 {
		t.first = now
	}
	t.last = now
	t.n++
	us := min(d.Microseconds(), h.HighestTrackableValue())
	_ = h.RecordValue(us) // cannot fail: us is within range
}

// driver runs the connections of a closed loop: a goroutine per connection (workers), or on
// Linux event loops (loop_linux.go).
type driver interface {
	// run sends requests on every connection until the run is over or abort is called.
	run(ctx context.Context, r *run)
	// abort makes run return promptly, abandoning requests in flight. Any goroutine may call it.
	abort()
	// close releases the connections, after run returned.
	close()
	// results returns what the connections recorded: a tally per connection, and histograms
	// that together hold every recorded latency.
	results() ([]*tally, []*hdrhistogram.Histogram)
}

// Closed runs a closed loop: o.Connections connections, each with one request in flight, for o.Warmup and then a measurement window of o.Duration or until o.Requests requests
// were recorded. Only requests completing inside the window count; those in flight at its end are
// abandoned (their connections closed) and not counted. Latency includes connecting when a request
// needs a new connection. If ctx ends first, Closed returns what was measured so far and ctx.Err().
func Closed(ctx context.Context, t Target, o Options) (Report, error) {
	return closed(ctx, t, o, newDriver)
}

// newDriver returns the driver for conns connections: event loops where they can run (Linux,
// an IP address, and at least two Ps, see newLoops), else a goroutine per connection.
func newDriver(req *request, conns int) driver {
	if l, ok := newLoops(req, conns, runtime.GOMAXPROCS(0)); ok {
		return l
	}
	return newWorkers(req, conns)
}

// closed is Closed with the driver that newDriver makes.
func closed(
	ctx context.Context,
	t Target,
	o Options,
	newDriver func(*request, int) driver,
) (Report, error) {
	empty := Report{Errors: map[string]int64{}}
	req, err := compile(t)
	if err != nil {
		return empty, err
	}
	if err := o.validate(); err != nil {
		return empty, err
	}
	empty.Latency = newHistogram(req.timeout)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	start := time.Now()
	r := &run{
		measureStart: start.Add(o.Warmup),
		limit:        o.Requests,
		limitHit:     make(chan struct{}),
	}
	if o.Duration > 0 {
		r.end = r.measureStart.Add(o.Duration)
	}
	d := newDriver(req, o.Connections)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		d.run(runCtx, r)
	}()

	// The driver runs until stop and abort below; everything between here and there only waits.
	var cpuStart, cpuEnd time.Duration
	windowEnd := r.measureStart
	interrupted := !sleepUntil(ctx, r.measureStart)
	if !interrupted {
		if o.OnWindowStart != nil {
			o.OnWindowStart()
		}
		cpuStart = processCPU()
		var timeUp <-chan time.Time
		if !r.end.IsZero() {
			timer := time.NewTimer(time.Until(r.end))
			defer timer.Stop()
			timeUp = timer.C
		}
		select {
		case <-timeUp:
			windowEnd = r.end
		case <-r.limitHit:
			windowEnd = r.lastAt
		case <-ctx.Done():
			interrupted = true
			windowEnd = time.Now()
		}
		cpuEnd = processCPU()
		if o.OnWindowEnd != nil {
			o.OnWindowEnd()
		}
	}
	stop()
	d.abort()
	<-finished
	d.close()

	rep := empty
	rep.Window = max(windowEnd.Sub(r.measureStart), 0)
	rep.GeneratorCPU = cpuEnd - cpuStart
	var errs [numKinds]int64
	renewal := true
	tallies, hists := d.results()
	for _, t := range tallies {
		if t.n < minRenewals || !t.last.After(t.first) {
			renewal = false
		} else {
			rep.ConnRate += float64(t.n-1) / t.last.Sub(t.first).Seconds()
		}
		rep.Requests += t.n
		for k, n := range t.errs {
			errs[k] += n
		}
	}
	for _, h := range hists {
		rep.Latency.Merge(h)
	}
	for k, n := range errs {
		if n > 0 {
			rep.Errors[kind(k).String()] = n
		}
	}
	if !renewal {
		rep.ConnRate = 0
	}
	if interrupted {
		return rep, ctx.Err()
	}
	return rep, nil
}

// sleepUntil waits until t or until ctx is done; false means ctx is done.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
