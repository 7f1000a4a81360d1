// Package load drives HTTP/1.1 load at a server on loopback and measures what it achieves: a
// closed loop of C connections for throughput and latency (Closed), back-to-back requests for the
// service time (Sequential), and n simultaneous requests for the seed's completion waves (Burst).
//
// It speaks HTTP/1.1 itself on raw sockets instead of using net/http, to spend as little CPU as
// it can: the generator runs on the same small machine as the server it measures (see
// client.go). On Linux a closed loop runs wrk's way, on an epoll event loop (loop_linux.go).
package load

import (
	"fmt"
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
