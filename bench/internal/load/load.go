// Package load drives HTTP/1.1 load at a server on loopback and measures what it achieves: a
// closed loop of C connections for throughput and latency (Closed), back-to-back requests for the
// service time (Sequential), and n simultaneous requests for the seed's completion waves (Burst).
//
// It speaks HTTP/1.1 itself on raw sockets instead of using net/http, to spend as little CPU as
// it can: the generator runs on the same small machine as the server it measures (see
// client.go). On Linux a closed loop runs wrk's way, on an epoll event loop (loop_linux.go).
package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Error kinds: the keys of Report.Errors, the values of Outcome.Err and Error.Kind.
const (
	// KindConnect is a connection that could not be opened (refused, unreachable).
	KindConnect = "connect"
	// KindTimeout is a request that outlived Target.Timeout, in any phase from connect on.
	KindTimeout = "timeout"
	// KindStatus is a complete response with a status other than the expected one.
	KindStatus = "status"
	// KindProtocol is a response that was malformed, cut short, larger than Target.MaxBody, or
	// never came because a fresh connection was closed or reset.
	KindProtocol = "protocol"
)

// connectBackoff is the pause after a failed connect, so that a dead server does not make the
// generator spin a core redialling it.
const connectBackoff = 10 * time.Millisecond

// Target is one HTTP request sent repeatedly.
type Target struct {
	Addr        string        // "127.0.0.1:PORT"
	Method      string        // default GET
	Path        string        // request-target with query, e.g. "/?ms=200"; default "/"
	Host        string        // Host header; default Addr
	Header      [][2]string   // extra headers, in order; not Host, Connection, Content-Length, Transfer-Encoding
	Body        []byte        // sent with a Content-Length (also for an empty POST, PUT or PATCH)
	Status      int           // expected status; 0 = any 2xx
	KeepAlive   bool          // reuse connections (HTTP/1.1 keep-alive); false sends Connection: close
	Timeout     time.Duration // per request, connect through last body byte; default 30s
	MaxBody     int64         // response body bound, default 1 MiB; beyond it the request is an error of kind "protocol"
	AllowRemote bool          // without it, any Addr that is not a loopback IP or "localhost" is refused with an error
}

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

// Report is what a closed-loop run measured.
type Report struct {
	Requests     int64                   // successful requests that completed inside the window
	Errors       map[string]int64        // by kind: "connect", "timeout", "status", "protocol" (inside the window); never nil
	Window       time.Duration           // the window actually measured
	Latency      *hdrhistogram.Histogram // microseconds; successful requests in the window, merged from per-goroutine histograms
	GeneratorCPU time.Duration           // this process's user+sys CPU (getrusage) spent during the window

	// ConnRate is the sum over connections of each connection's
	// completion rate, (n−1) ÷ (last − first completion), or 0 when some
	// connection completed fewer than minRenewals requests in the window.
	ConnRate float64
}

// minRenewals is how many completions every connection needs before
// ConnRate is trusted over the plain count.
const minRenewals = 4

// Throughput returns successful requests per second. Counting completions
// in a fixed window has a phase error of up to one request per connection
// cycle (±4% for 25 requests), so when every connection completed enough
// requests it returns ConnRate instead: each connection's completions are
// a renewal sequence whose rate is measured from its first to its last
// completion, free of the window's phase.
//
// A server that serves its connections unfairly (puma serves some kept-alive
// connections back to back while others wait) breaks the renewal premise:
// a connection served in a burst looks fast, one starved looks absent, and
// the sum overstates (puma 1x2 read 6 of 2 slots). The phase error of the
// count is at most about 1/15 for the windows meter asks for, so when the
// two disagree by more than maxPhaseError the count is the one to trust.
func (r Report) Throughput() float64 {
	if r.Window <= 0 {
		return r.ConnRate
	}
	count := float64(r.Requests) / r.Window.Seconds()
	if r.ConnRate > 0 && math.Abs(r.ConnRate/count-1) <= maxPhaseError {
		return r.ConnRate
	}
	return count
}

// maxPhaseError bounds how far ConnRate may stray from the plain count
// before it is not believed.
const maxPhaseError = 0.15

// Quantile returns the latency at quantile q in [0, 1] (0.5 is the median), or 0 if nothing was
// recorded.
func (r Report) Quantile(q float64) time.Duration {
	if r.Latency == nil || r.Latency.TotalCount() == 0 {
		return 0
	}
	q = min(max(q, 0), 1)
	// hdrhistogram's ValueAtQuantile takes a percentile, 0 to 100.
	return time.Duration(r.Latency.ValueAtQuantile(q*100)) * time.Microsecond
}

// ErrorCount returns the number of failed requests inside the window, of every kind.
func (r Report) ErrorCount() int64 {
	var n int64
	for _, v := range r.Errors {
		n += v
	}
	return n
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

// Error is a failed request: its kind (KindConnect, KindTimeout, KindStatus, KindProtocol) and
// cause.
type Error struct {
	Kind   string
	Status int // the response's status, for KindStatus
	Err    error
}

// Error returns "kind: cause".
func (e *Error) Error() string { return e.Kind + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// newError describes a failed roundTrip as an *Error.
func newError(req *request, k kind, status int, err error) *Error {
	if k == kindStatus {
		want := "any 2xx"
		if req.status != 0 {
			want = fmt.Sprint(req.status)
		}
		err = fmt.Errorf("status %d, want %s", status, want)
	}
	return &Error{Kind: k.String(), Status: status, Err: err}
}

// newHistogram returns a latency histogram in microseconds up to timeout (plus a margin for
// scheduling), at 3 significant digits. Its counts array is sized by the range; its pages are
// only touched where values land.
func newHistogram(timeout time.Duration) *hdrhistogram.Histogram {
	return hdrhistogram.New(1, (timeout + time.Second).Microseconds(), 3)
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

// worker is one closed-loop connection on its own goroutine, and what it recorded.
type worker struct {
	c     client
	hist  *hdrhistogram.Histogram
	tally tally
	timer *time.Timer // connect back-off, made on first use
	_     [64]byte    // keeps workers' hot fields off each other's cache lines
}

// loop sends requests until the run is over for this worker.
func (w *worker) loop(ctx context.Context, r *run) {
	done := ctx.Done()
	for {
		select {
		case <-done:
			return
		default:
		}
		if !w.step(ctx, r) {
			return
		}
	}
}

// step sends one request and records its outcome; false means this worker is finished.
func (w *worker) step(ctx context.Context, r *run) bool {
	start := time.Now()
	_, k, _ := w.c.roundTrip(ctx, start)
	switch r.settle(ctx, &w.tally, w.hist, start, time.Now(), k) {
	case nextStop:
		return false
	case nextPause:
		return w.pause(ctx.Done(), connectBackoff)
	}
	return true
}

// pause waits d, or until done; false means done.
func (w *worker) pause(done <-chan struct{}, d time.Duration) bool {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-done:
		w.timer.Stop()
		return false
	case <-w.timer.C:
		return true
	}
}

// workers is the portable driver: one goroutine and one client per connection.
type workers []*worker

func newWorkers(req *request, conns int) workers {
	ws := make(workers, conns)
	for i := range ws {
		w := &worker{hist: newHistogram(req.timeout)}
		w.c.init(req)
		ws[i] = w
	}
	return ws
}

func (ws workers) run(ctx context.Context, r *run) {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, r)
		}()
	}
	wg.Wait()
}

func (ws workers) abort() {
	for _, w := range ws {
		w.c.abort()
	}
}

func (ws workers) close() {
	for _, w := range ws {
		w.c.closeConn()
		if w.timer != nil {
			w.timer.Stop()
		}
	}
}

func (ws workers) results() ([]*tally, []*hdrhistogram.Histogram) {
	ts := make([]*tally, len(ws))
	hs := make([]*hdrhistogram.Histogram, len(ws))
	for i, w := range ws {
		ts[i], hs[i] = &w.tally, w.hist
	}
	return ts, hs
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
