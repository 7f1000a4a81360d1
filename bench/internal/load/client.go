package load

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// This is a minimal HTTP/1.1 client on raw connections, not net/http, because the generator
// shares the machine with the server it measures: on a 2-core CI runner every microsecond of
// generator CPU is taken from the server under test. net/http was measured at 120–150 µs of CPU
// per request against gunicorn where wrk spends 70 µs. So the request is encoded once per
// Target; each connection is read through one bufio.Reader (one per client, reset onto each new
// connection); only the fields that frame the body are parsed and the body is discarded unread;
// a request on a kept-alive connection allocates nothing; and on Linux connections are opened
// with raw socket calls (dial_linux.go) because gunicorn's sync workers make every request a new
// connection. This client serves Sequential, Burst, and Closed where the event loop cannot run;
// on Linux a closed loop goes through loop_linux.go, which spends less still.

// readBufSize is the per-connection read buffer, which is also the longest status or header
// line accepted.
const readBufSize = 8 << 10

// errAborted is the error of a dial that lost the race with abort.
const errAborted = constError("request aborted")

// kind classifies a request's outcome; the zero kind is success.
type kind uint8

const (
	kindOK kind = iota
	kindConnect
	kindTimeout
	kindStatus
	kindProtocol
	numKinds
)

// String returns the exported name of k, as used in Report.Errors and Outcome.Err.
func (k kind) String() string {
	switch k {
	case kindOK:
		return ""
	case kindConnect:
		return KindConnect
	case kindTimeout:
		return KindTimeout
	case kindStatus:
		return KindStatus
	default:
		return KindProtocol
	}
}

// conn is an open connection: a net.Conn, or on Linux an *os.File from dialFast.
type conn interface {
	io.ReadWriteCloser
	SetDeadline(t time.Time) error
}

// client sends one request at a time on at most one connection.
type client struct {
	req *request
	br  *bufio.Reader  // reset onto each new connection, so one buffer serves them all
	ap  netip.AddrPort // the server's IP address once known: req.addr's, or what its host name resolved to

	// nc is the open connection or nil. Only the goroutine sending requests assigns it, and it does
	// so under mu, so that abort can close it from another goroutine.
	nc     conn
	reused bool // nc has carried a complete exchange, so a silent close means the server idled it out
	// firstByte is when the latest response's first byte arrived.
	firstByte time.Time
	mu        sync.Mutex
	aborted   bool
}

func newClient(req *request) *client {
	c := &client{}
	c.init(req)
	return c
}

func (c *client) init(req *request) {
	c.req = req
	c.ap, _ = netip.ParseAddrPort(req.addr) // invalid for a host name until the first connect
	c.br = bufio.NewReaderSize(nil, readBufSize)
}

// roundTrip sends the request and reads the response, dialling first if there is no connection.
// start is when the request began: the deadline is start plus the timeout. It returns the status
// (0 if no response was read) and the outcome's kind; err explains a kind other than kindOK and
// kindStatus. It does not allocate on a kept-alive connection.
func (c *client) roundTrip(ctx context.Context, start time.Time) (int, kind, error) {
	deadline := start.Add(c.req.timeout)
	for {
		if c.nc == nil {
			if err := c.dial(ctx, deadline); err != nil {
				if isTimeout(err) {
					return 0, kindTimeout, err
				}
				return 0, kindConnect, err
			}
		}
		reused := c.reused
		status, persist, got, err := c.exchange(deadline)
		if err == nil {
			if persist && !c.req.close {
				c.reused = true
			} else {
				c.closeConn() // the server said close, or the body ran to EOF
			}
			if !c.req.statusOK(status) {
				return status, kindStatus, nil
			}
			return status, kindOK, nil
		}
		c.closeConn()
		if isTimeout(err) {
			return status, kindTimeout, err
		}
		if reused && !got {
			// The server closed the idle connection before reading our request. Not an error:
			// retry once, on a fresh connection (reused is now false, so there is no second retry).
			continue
		}
		return status, kindProtocol, err
	}
}

// exchange writes the request on c.nc and reads the response. got reports whether any response
// byte arrived.
func (c *client) exchange(deadline time.Time) (status int, persist, got bool, err error) {
	if err := c.nc.SetDeadline(deadline); err != nil {
		return 0, false, false, err
	}
	if _, err := c.nc.Write(c.req.raw); err != nil {
		return 0, false, false, err
	}
	if _, err := c.br.Peek(1); err != nil {
		return 0, false, false, err
	}
	c.firstByte = time.Now()
	status, persist, err = readResponse(c.br, c.req.head, c.req.maxBody)
	return status, persist, true, err
}

// dial opens a new connection.
func (c *client) dial(ctx context.Context, deadline time.Time) error {
	c.reused = false
	if c.ap.IsValid() {
		if ok, err := c.dialFast(deadline); ok {
			if err == nil {
				c.br.Reset(c.nc)
			}
			return err
		}
	}
	// KeepAlive -1: no TCP keep-alive probes on short loopback connections, and no setsockopt
	// calls per connection for them.
	d := net.Dialer{Deadline: deadline, KeepAlive: -1}
	addr := c.req.addr
	if c.ap.IsValid() {
		addr = c.ap.String()
	}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	if !c.setConn(nc) {
		nc.Close()
		return errAborted
	}
	if !c.ap.IsValid() {
		// Resolve a host name once per client rather than once per connection.
		if ta, ok := nc.RemoteAddr().(*net.TCPAddr); ok {
			ap := ta.AddrPort()
			c.ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
		}
	}
	c.br.Reset(nc)
	return nil
}

// setConn makes nc the connection, unless abort came first.
func (c *client) setConn(nc conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return false
	}
	c.nc = nc
	return true
}

// closeConn closes the connection, if any.
func (c *client) closeConn() {
	c.mu.Lock()
	nc := c.nc
	c.nc = nil
	c.mu.Unlock()
	c.reused = false
	if nc != nil {
		nc.Close()
	}
}

// abort closes the connection and makes every later dial fail, so that a request in flight
// returns at once. It is safe to call from any goroutine.
func (c *client) abort() {
	c.mu.Lock()
	c.aborted = true
	nc := c.nc
	c.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
}

// isTimeout reports whether err is a deadline that passed.
func isTimeout(err error) bool {
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
