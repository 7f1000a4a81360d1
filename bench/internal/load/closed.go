package load

import (
	"context"
	"errors"
	"fmt"
	"math"
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
	// SteadyAfter, when positive, ends the warm-up early: as soon as every
	// connection has completed this many requests, the loop has cycled
	// through all of them and, on a server that is already up, runs as it
	// will in the window; Warmup then bounds the wait (a connection the
	// server starves never gets there).
	SteadyAfter int
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
	case o.SteadyAfter < 0:
		return fmt.Errorf("steady-after %d is negative", o.SteadyAfter)
	case o.Duration < 0:
		return fmt.Errorf("duration %v is negative", o.Duration)
	case o.Requests < 0:
		return fmt.Errorf("requests %d is negative", o.Requests)
	case o.Duration == 0 && o.Requests == 0:
		return errors.New("neither duration nor requests set: the run would not end")
	}
	return nil
}

// run is the shared state of one closed-loop run. Workers read the window's edges on every
// request; they are written once each when the window opens. count is written on every request
// only when there is a request limit, and padding keeps it off the edges' cache line.
type run struct {
	t0       time.Time    // the run's start; the edges are offsets from it
	opens    atomic.Int64 // ns after t0 the window opens; never until the warm-up ends
	ends     atomic.Int64 // ns after t0 the run ends; never with only a request limit
	limit    int64        // 0: no request limit
	limitHit chan struct{}
	lastAt   time.Time // when the limit-th request completed; written before limitHit is closed
	// steady counts the connections that completed steadyAfter requests in the warm-up;
	// allSteady is closed when that is all of them.
	steadyAfter int64
	conns       int64
	steady      atomic.Int64
	allSteady   chan struct{}
	_           [64]byte
	count       atomic.Int64 // recorded requests, with a limit
	_           [64]byte
}

// newRun is the state of a run of o starting at start. Without o.SteadyAfter the window's
// edges are known at once.
func newRun(start time.Time, o Options) *run {
	r := &run{
		t0:          start,
		limit:       o.Requests,
		limitHit:    make(chan struct{}),
		steadyAfter: int64(o.SteadyAfter),
		conns:       int64(o.Connections),
		allSteady:   make(chan struct{}),
	}
	r.opens.Store(never)
	r.ends.Store(never)
	if o.SteadyAfter == 0 {
		r.openAt(start.Add(o.Warmup), o.Duration)
	}
	return r
}

// never is an edge that is not (yet) set.
const never = math.MaxInt64

// openAt sets the window to open at t and, with a duration d > 0, end d later.
func (r *run) openAt(t time.Time, d time.Duration) {
	if d > 0 {
		r.ends.Store(int64(t.Add(d).Sub(r.t0)))
	}
	r.opens.Store(int64(t.Sub(r.t0)))
}

// end is when the run ends, zero if that is not known (yet).
func (r *run) end() time.Time {
	e := r.ends.Load()
	if e == never {
		return time.Time{}
	}
	return r.t0.Add(time.Duration(e))
}

// tally is what one closed-loop connection recorded.
type tally struct {
	n     int64     // requests recorded
	first time.Time // first and last recorded completion
	last  time.Time
	warm  int64 // requests completed in the warm-up, counted up to steadyAfter
	// origin is the connection's last completion before the window
	// opened, zero if it had none or failed since: the start of its first
	// interval in the window (Report.ConnRate).
	origin time.Time
	errs   [numKinds]int64
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
	at := int64(now.Sub(r.t0))
	if at >= r.ends.Load() {
		return nextStop
	}
	inWindow := at >= r.opens.Load()
	if k == kindOK {
		if !inWindow {
			t.origin = now
			if t.warm < r.steadyAfter {
				if t.warm++; t.warm == r.steadyAfter && r.steady.Add(1) == r.conns {
					close(r.allSteady)
				}
			}
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
	if inWindow {
		t.errs[k]++
	} else {
		t.origin = time.Time{}
	}
	if k == kindConnect {
		return nextPause
	}
	return nextRequest
}

// rate is the connection's completion rate in the window: intervals
// between completions ÷ their span, from its last completion before the
// window (origin) when it had one, else from its first in it. ok is false
// below minIntervals intervals.
func (t *tally) rate() (rate float64, ok bool) {
	from, intervals := t.first, t.n-1
	if !t.origin.IsZero() && t.n > 0 {
		from, intervals = t.origin, t.n
	}
	if intervals < minIntervals || !t.last.After(from) {
		return 0, false
	}
	return float64(intervals) / t.last.Sub(from).Seconds(), true
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
	r := newRun(time.Now(), o)
	d := newDriver(req, o.Connections)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		d.run(runCtx, r)
	}()

	// The driver runs until stop and abort below; everything between here and there only waits.
	var cpuStart, cpuEnd time.Duration
	interrupted := !r.warmUp(ctx, o)
	measureStart := r.t0.Add(time.Duration(r.opens.Load()))
	windowEnd := measureStart
	if !interrupted {
		if o.OnWindowStart != nil {
			o.OnWindowStart()
		}
		cpuStart = processCPU()
		var timeUp <-chan time.Time
		end := r.end()
		if !end.IsZero() {
			timer := time.NewTimer(time.Until(end))
			defer timer.Stop()
			timeUp = timer.C
		}
		select {
		case <-timeUp:
			windowEnd = end
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
	rep.Window = max(windowEnd.Sub(measureStart), 0)
	rep.GeneratorCPU = cpuEnd - cpuStart
	var errs [numKinds]int64
	renewal := true
	tallies, hists := d.results()
	for _, t := range tallies {
		if rate, ok := t.rate(); ok {
			rep.ConnRate += rate
		} else {
			renewal = false
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

// warmUp waits out the warm-up and opens the window: at o.Warmup, or, with
// o.SteadyAfter, as soon as every connection is steady, if that is sooner.
// False means ctx is done (the window then opens now, and measures nothing).
func (r *run) warmUp(ctx context.Context, o Options) bool {
	if o.SteadyAfter == 0 {
		return sleepUntil(ctx, r.t0.Add(o.Warmup))
	}
	timer := time.NewTimer(time.Until(r.t0.Add(o.Warmup)))
	defer timer.Stop()
	ok := true
	select {
	case <-timer.C:
	case <-r.allSteady:
	case <-ctx.Done():
		ok = false
	}
	r.openAt(time.Now(), o.Duration)
	return ok
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
