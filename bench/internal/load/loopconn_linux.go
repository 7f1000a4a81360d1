//go:build linux

package load

import (
	"syscall"
	"time"
)

// A connection of an event loop (loop_linux.go) and the request it carries, driven as a state
// machine through its phases: dial, connect, write, read; then the next request, a back-off
// after a failed connect, or the end of the run.

// evConn is one connection of an event loop and the request it carries.
type evConn struct {
	tally
	id       int32  // index in the loop's conns, the epoll data of its sockets
	fd       int    // the socket, or -1
	gen      uint32 // counts sockets, so an event of a closed one is recognised
	watch    uint32 // the events the socket is registered for; 0: not registered yet
	phase    phase
	sent     int       // bytes of the request written
	start    time.Time // when the request began
	deadline time.Time // start plus the timeout
	resume   time.Time // end of a connect back-off
	reused   bool      // the socket has carried a complete exchange
	got      bool      // a response byte arrived since the request was written (or was left over)
	buf      []byte    // received bytes; buf[r:w] are not parsed yet
	r, w     int
	resp     int // bytes of the current response parsed so far
	p        parser
}

// phase is where a connection stands in its request.
type phase uint8

const (
	phIdle    phase = iota // no request
	phDial                 // needs a new socket
	phConnect              // connecting; the request is not written yet
	phWrite                // writing the request
	phRead                 // reading the response
	phPause                // waiting out connectBackoff after a failed connect
)

// begin starts a request on c at now; progress drives it.
func (l *evLoop) begin(c *evConn, now time.Time) {
	c.start = now
	c.deadline = now.Add(l.req.timeout)
	l.wakeAt(c.deadline)
	c.sent = 0
	c.resp = 0
	c.p.reset(l.req.head, l.req.maxBody)
	if c.fd < 0 {
		c.phase = phDial
	} else {
		c.phase = phWrite
		c.got = c.w > c.r // bytes the server sent after the last response
	}
}

// start begins a request on c at now and drives it as far as it goes; false means the run is
// over.
func (l *evLoop) start(c *evConn, now time.Time) bool {
	l.begin(c, now)
	return l.progress(c, evIn|evOut)
}

// fail ends c's request with outcome k (a failure), closing its socket, and goes on as settle
// says; false means the run is over.
func (l *evLoop) fail(c *evConn, k kind, now time.Time) bool {
	l.closeConn(c)
	if !l.settle(c, k, now) {
		return false
	}
	return c.phase == phPause || l.progress(c, evIn|evOut)
}

// settle accounts for c's request, which ended at now with outcome k, and begins the next one
// or a back-off; false means the run is over.
func (l *evLoop) settle(c *evConn, k kind, now time.Time) bool {
	switch l.r.settle(nil, &c.tally, l.hist, c.start, now, k) {
	case nextStop:
		c.phase = phIdle
		return false
	case nextPause:
		c.phase = phPause
		c.resume = now.Add(connectBackoff)
		l.wakeAt(c.resume)
		return true
	}
	l.begin(c, now)
	return true
}

// progress performs the I/O that c's phase needs and events (epoll's readiness bits) allow,
// until it would block; each request that ends is settled and the next begun, on a socket that
// is then writable. False means the run is over.
func (l *evLoop) progress(c *evConn, events uint32) bool {
	for {
		k, ended := l.advance(c, events)
		if !ended {
			return true
		}
		if !l.settle(c, k, time.Now()) {
			return false
		}
		if c.phase == phPause {
			return true
		}
		events = evIn | evOut
	}
}

// advance moves c's request on until it would block (ended false) or ends with outcome k.
func (l *evLoop) advance(c *evConn, events uint32) (k kind, ended bool) {
	for {
		switch c.phase {
		case phDial:
			if err := l.dial(c); err != nil {
				l.closeConn(c)
				return kindConnect, true
			}
			c.phase = phConnect
			events |= evOut // try the write at once: on loopback connect has usually finished
		case phConnect, phWrite:
			if events&(evOut|evErr|evHup) == 0 {
				return 0, false
			}
			n, err := sysWrite(c.fd, l.req.raw[c.sent:])
			switch {
			case err == syscall.EAGAIN:
				if err := l.watch(c, evIn|evOut|evRdHup|evET); err != nil {
					l.closeConn(c)
					return kindConnect, true
				}
				return 0, false
			case err == syscall.EINTR:
				continue
			case err != 0:
				if c.phase == phConnect && isConnectErrno(err) {
					l.closeConn(c)
					return kindConnect, true
				}
				if l.retry(c) {
					continue
				}
				l.closeConn(c)
				return kindProtocol, true
			}
			c.phase = phWrite
			if c.sent += n; c.sent < len(l.req.raw) {
				continue
			}
			c.phase = phRead
			if c.watch == 0 {
				// Registered only now, and only for reading: an edge for the writability of
				// every new socket would cost a wake-up per request for nothing.
				if err := l.watch(c, evIn|evRdHup|evET); err != nil {
					l.closeConn(c)
					return kindConnect, true
				}
			}
			if c.w == c.r {
				return 0, false // wait for the response
			}
			if k, ended := l.parse(c, false); ended {
				return k, true
			}
			return 0, false
		case phRead:
			if events&(evIn|evRdHup|evErr|evHup) == 0 {
				return 0, false
			}
			want := len(c.buf) - c.w
			n, err := sysRead(c.fd, c.buf[c.w:])
			switch {
			case err == syscall.EAGAIN:
				return 0, false
			case err == syscall.EINTR:
				continue
			case err != 0: // reset
				if l.retry(c) {
					continue
				}
				l.closeConn(c)
				return kindProtocol, true
			case n == 0:
				if l.retry(c) {
					continue
				}
				return l.parse(c, true)
			}
			c.got = true
			c.w += n
			// A short read drained the socket. If the peer had shut down its side by then
			// (epoll said so), nothing more can come: that is the end of the stream.
			eof := n < want && events&(evRdHup|evHup) != 0
			if k, ended := l.parse(c, eof); ended {
				return k, true
			}
			if n < want {
				return 0, false // wait for the next edge
			}
		default:
			return 0, false
		}
	}
}

// parse feeds c's unparsed bytes to its parser; ended reports that the response is complete or
// failed, with outcome k. A complete response leaves the socket open for the next request if
// both sides allow it, and closed otherwise.
func (l *evLoop) parse(c *evConn, eof bool) (k kind, ended bool) {
	n, status, err := c.p.feed(c.buf[c.r:c.w], eof)
	c.r += n
	c.resp += n
	if c.r == c.w {
		c.r, c.w = 0, 0
	}
	if err != nil {
		l.closeConn(c)
		return kindProtocol, true
	}
	if !c.p.done() {
		if c.r > 0 { // keep the incomplete line at the front
			c.w = copy(c.buf, c.buf[c.r:c.w])
			c.r = 0
		}
		return 0, false
	}
	if c.p.persist && !l.req.close {
		c.reused = true
	} else {
		l.closeConn(c)
	}
	if l.req.close && !l.lowatOff {
		switch {
		case c.p.persist:
			l.lowat, l.lowatOff = 0, true
		case l.lowat == 0 || c.resp < l.lowat:
			l.lowat = c.resp
		}
	}
	if !l.req.statusOK(status) {
		return kindStatus, true
	}
	return kindOK, true
}

// retry prepares to send the request again on a new socket if the failed one had carried a
// complete exchange and no byte of the response arrived: the server closed the idle
// connection before reading the request, which is not an error. There is one retry, since the
// new socket has not been reused.
func (l *evLoop) retry(c *evConn) bool {
	if !c.reused || c.got {
		return false
	}
	l.closeConn(c)
	c.phase = phDial
	c.sent = 0
	c.p.reset(l.req.head, l.req.maxBody)
	return true
}

// watch registers c's socket with the epoll set for events, or changes what it is registered
// for. Registering checks readiness, so an edge that came before is not lost.
func (l *evLoop) watch(c *evConn, events uint32) error {
	if c.watch == events {
		return nil
	}
	op := syscall.EPOLL_CTL_MOD
	if c.watch == 0 {
		op = syscall.EPOLL_CTL_ADD
	}
	ev := syscall.EpollEvent{Events: events, Fd: c.id, Pad: int32(c.gen)}
	if err := sysEpollCtl(l.epfd, op, c.fd, &ev); err != 0 {
		return err
	}
	c.watch = events
	return nil
}

// dial opens a non-blocking socket for c and starts connecting; the socket joins the epoll set
// when the request is written, or cannot be yet (see watch).
func (l *evLoop) dial(c *evConn) error {
	fd, err := sysSocket(l.sa.family)
	if err != 0 {
		return err
	}
	c.fd = fd
	c.gen++
	c.reused, c.got = false, false
	c.r, c.w = 0, 0
	c.watch = 0
	if l.lowat > 1 {
		if err := sysSetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVLOWAT, l.lowat); err != 0 {
			return err
		}
	}
	if err := sysConnect(fd, &l.sa); err != 0 && err != syscall.EINPROGRESS &&
		err != syscall.EINTR {
		return err
	}
	return nil
}

// closeConn closes c's socket, if any (which also takes it out of the epoll set).
func (l *evLoop) closeConn(c *evConn) {
	if c.fd >= 0 {
		sysClose(c.fd)
		c.fd = -1
	}
	c.reused = false
	c.r, c.w = 0, 0
}

// isConnectErrno reports whether err, from the first write on a connecting socket, says the
// connection was never made (rather than made and then broken).
func isConnectErrno(err syscall.Errno) bool {
	switch err {
	case syscall.ECONNREFUSED,
		syscall.ENETUNREACH,
		syscall.EHOSTUNREACH,
		syscall.ETIMEDOUT,
		syscall.ENOTCONN:
		return true
	}
	return false
}
