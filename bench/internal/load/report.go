package load

import (
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Report is what a closed-loop run measured.
type Report struct {
	Requests     int64                   // successful requests that completed inside the window
	Errors       map[string]int64        // by kind: "connect", "timeout", "status", "protocol" (inside the window); never nil
	Window       time.Duration           // the window actually measured
	Latency      *hdrhistogram.Histogram // microseconds; successful requests in the window, merged from per-goroutine histograms
	GeneratorCPU time.Duration           // this process's user+sys CPU (getrusage) spent during the window

	// ConnRate is the sum over connections of each connection's
	// completion rate, intervals between completions ÷ their span, or 0
	// when some connection had fewer than minIntervals in the window. A
	// connection's first interval starts at its last completion of the
	// warm-up, when there was one (n ÷ (last − origin)), else at its first
	// completion in the window ((n−1) ÷ (last − first)): a renewal
	// sequence may be timed from any of its completions, so a window needs
	// a cycle less.
	ConnRate float64
}

// minIntervals is how many intervals between completions every
// connection needs before ConnRate is trusted over the plain count.
const minIntervals = 3

// Throughput returns successful requests per second. Counting completions
// in a fixed window has a phase error of up to one request per connection
// cycle (±4% for 25 requests), so when every connection completed enough
// requests it returns ConnRate instead: each connection's completions are
// a renewal sequence whose rate is measured between two of its
// completions (the warm-up's last and the window's last), free of the
// window's phase.
//
// A server that serves its connections unfairly (puma serves some kept-alive
// connections back to back while others wait) breaks the renewal premise:
// a connection served in a burst looks fast, one starved looks absent, and
// the sum overstates (puma 1x2 read 6 of 2 slots). The phase error of the
// count is at most about 1/8 for the windows meter asks for, so when the
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
