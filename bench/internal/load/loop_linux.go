//go:build linux

package load

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// On Linux a closed loop runs its connections the way wrk does: non-blocking sockets on one epoll
// instance, served by one goroutine, instead of a goroutine per connection on Go's netpoller. Measured against gunicorn's sync workers (a new connection per
// request), the goroutines cost about three context switches and several futex, nanosleep and
// EAGAIN-read system calls per request on top of the exchange itself, as goroutines were parked,
// woken and handed between threads; the event loop makes none of them.
//
// Per request it makes only the calls the exchange needs. On a kept-alive connection: write, read,
// and a share of an epoll_wait. On a new connection: socket, setsockopt (SO_RCVLOWAT), connect,
// write, epoll_ctl, read and close (wrk adds two fcntl and several epoll_ctl). Sockets are
// registered once, edge-triggered, so readiness never has to be re-armed; the request is
// written as soon as connect returns, since on loopback the handshake completes within the
// call (if it has not, the write says EAGAIN and the loop waits for the socket to become
// writable); a short read means the socket is drained, so the loop waits for the next edge
// rather than reading again to see EAGAIN; and a response whose end its framing gives is not
// followed by a read of the end of the stream.

// Epoll flags as the uint32 of EpollEvent.Events (syscall.EPOLLET is a negative int).
const (
	evIn    = uint32(syscall.EPOLLIN)
	evOut   = uint32(syscall.EPOLLOUT)
	evErr   = uint32(syscall.EPOLLERR)
	evHup   = uint32(syscall.EPOLLHUP)
	evRdHup = uint32(syscall.EPOLLRDHUP)
	evET    = uint32(1) << 31
)

// wakeID is the epoll data of the pipe that abort writes to.
const wakeID = -1

// A loop takes the events that are ready with a non-blocking epoll_wait and, when there are
// none, parks its goroutine in the runtime's poller, which watches the epoll instance (readable
// when an event is ready), until one is or a deadline passes. It never blocks in epoll_wait
// itself: a thread blocked in a system call keeps its P, and the runtime takes it back only
// when sysmon next looks, which can be 10 ms later. Meanwhile another goroutine of the process
// (a server under test in the same process, say) waits for a P; with 2 Ps such a server
// measured 5% below its true throughput. Parking costs two system calls more per wait than
// blocking in epoll_wait (the poller's epoll_wait and the harvest), and was measured as cheap.
// A goroutine that runs 10 ms without being rescheduled draws sysmon too (a preemption
// signal, then polling every 20 µs for a while), so a loop that never has to park yields
// (runtime.Gosched) every yieldEvery.
const yieldEvery = 7 * time.Millisecond

// loops is the Linux driver: event loops that share out the connections.
type loops []*evLoop

// evLoop drives its connections on one goroutine.
type evLoop struct {
	req    *request
	sa     sockaddr // the server's address
	epfd   int
	wake   [2]int // a pipe: abort writes to wake[1]; wake[0] is in the epoll set
	events []syscall.EpollEvent
	conns  []evConn
	hist   *hdrhistogram.Histogram
	r      *run

	// nextScan is when scan must next look at the connections: no request's deadline and no
	// back-off ends before it. Zero: nothing to wait for. Every request has the same timeout, so
	// a new request's deadline is never before those of the requests in flight.
	nextScan time.Time

	// lowat is the SO_RCVLOWAT given to new sockets when each request has a connection of its own
	// (0: none): the size of the smallest response seen, so that epoll reports a socket
	// readable when a whole response of that size is there, or the server closed, or failed,
	// and not for every segment of it. gunicorn, for one, sends the header section and the body
	// in two segments, and waking for each cost a context switch and a read per request. It is
	// set only while every response has said the server closes the connection after it
	// (Connection: close, as RFC 9112 requires of a server sent one): should a response smaller
	// than lowat come, the server's FIN makes the socket readable. A response that would keep
	// the connection open ends it for the rest of the run (lowatOff).
	lowat    int
	lowatOff bool

	// The epoll instance as a file of the runtime's poller, which park waits on.
	file      *os.File
	rc        syscall.RawConn
	parkUntil time.Time             // the file's read deadline
	harvest   func(fd uintptr) bool // harvestEvents: a method value allocates, so made once
	harvested int
}

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

// newLoops returns event loops for conns connections to req's address, given procs Ps
// (GOMAXPROCS), or false when the portable driver must be used: the address is a host name
// (which net.Dialer resolves, trying each address) or a zoned IPv6 address, epoll could not be
// set up, or there is a single P (the loop was designed and measured with two; an early version
// that blocked in epoll_wait was ruinous with one). There is one loop for every two Ps: on a
// 2-core runner a single loop leaves the other core to the server, as wrk -t1 does.
func newLoops(req *request, conns, procs int) (driver, bool) {
	if procs < 2 {
		return nil, false
	}
	ap, err := netip.ParseAddrPort(req.addr)
	if err != nil {
		return nil, false
	}
	sa, ok := newSockaddr(ap)
	if !ok {
		return nil, false
	}
	n := min(conns, procs/2)
	ls := make(loops, 0, n)
	for i := range n {
		// Connections i, i+n, i+2n, ... are this loop's.
		l := &evLoop{req: req, sa: sa, epfd: -1, wake: [2]int{-1, -1},
			conns: make([]evConn, (conns-i+n-1)/n), hist: newHistogram(req.timeout)}
		ls = append(ls, l)
		if err := l.open(); err != nil {
			ls.close()
			return nil, false
		}
	}
	return ls, true
}

// open makes the loop's epoll instance and wake-up pipe, and its connections' buffers.
func (l *evLoop) open() error {
	var err error
	if l.epfd, err = syscall.EpollCreate1(syscall.EPOLL_CLOEXEC); err != nil {
		return err
	}
	// The runtime's poller takes a file only in non-blocking mode, which epoll_wait ignores.
	if err := syscall.SetNonblock(l.epfd, true); err != nil {
		return err
	}
	l.file = os.NewFile(uintptr(l.epfd), "epoll")
	if l.rc, err = l.file.SyscallConn(); err != nil {
		return err
	}
	l.harvest = l.harvestEvents
	if err := syscall.Pipe2(l.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		return err
	}
	ev := syscall.EpollEvent{Events: evIn, Fd: wakeID}
	if err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, l.wake[0], &ev); err != nil {
		return err
	}
	l.events = make([]syscall.EpollEvent, len(l.conns)+1)
	for i := range l.conns {
		l.conns[i].id = int32(i)
		l.conns[i].fd = -1
		l.conns[i].buf = make([]byte, readBufSize)
	}
	return nil
}

func (ls loops) run(_ context.Context, r *run) {
	done := make(chan struct{}, len(ls))
	for _, l := range ls {
		go func() {
			defer func() { done <- struct{}{} }()
			l.run(r)
		}()
	}
	for range ls {
		<-done
	}
}

// abort wakes every loop, which then returns.
func (ls loops) abort() {
	one := []byte{1}
	for _, l := range ls {
		syscall.Write(l.wake[1], one) // a full pipe already holds a wake-up
	}
}

func (ls loops) close() {
	for _, l := range ls {
		for i := range l.conns {
			l.closeConn(&l.conns[i])
		}
		if l.file != nil {
			l.file.Close() // and with it the epoll instance
			l.file, l.epfd = nil, -1
		}
		for _, fd := range [...]int{l.epfd, l.wake[0], l.wake[1]} {
			if fd >= 0 {
				syscall.Close(fd)
			}
		}
		l.epfd, l.wake = -1, [2]int{-1, -1}
	}
}

func (ls loops) results() ([]*tally, []*hdrhistogram.Histogram) {
	var ts []*tally
	hs := make([]*hdrhistogram.Histogram, len(ls))
	for i, l := range ls {
		for j := range l.conns {
			ts = append(ts, &l.conns[j].tally)
		}
		hs[i] = l.hist
	}
	return ts, hs
}

// run drives the loop's connections until the run is over for them or abort wakes it.
func (l *evLoop) run(r *run) {
	l.r = r
	now := time.Now()
	for i := range l.conns {
		if !l.start(&l.conns[i], now) {
			return
		}
	}
	yielded := now
	for {
		if time.Since(yielded) >= yieldEvery {
			runtime.Gosched()
			yielded = time.Now()
		}
		// Take what is ready; if nothing is, park until something is or the next deadline,
		// back-off or end of the run.
		n := sysEpollWait(l.epfd, l.events)
		if n <= 0 {
			var until time.Time
			if !l.nextScan.IsZero() {
				until = l.nextScan
			}
			if !r.end.IsZero() && (until.IsZero() || r.end.Before(until)) {
				until = r.end
			}
			var err error
			if n, err = l.park(until); err != nil {
				return // cannot happen; the run would stall, so end it
			}
			yielded = time.Now()
		}
		now = time.Now()
		if !r.end.IsZero() && !now.Before(r.end) {
			return
		}
		events := l.events[:max(n, 0)]
		for _, ev := range events {
			if ev.Fd == wakeID {
				return
			}
		}
		for _, ev := range events {
			c := &l.conns[ev.Fd]
			if uint32(ev.Pad) != c.gen || c.fd < 0 {
				continue // an event of a socket closed since
			}
			if !now.Before(c.deadline) {
				if !l.fail(c, kindTimeout, now) {
					return
				}
				continue
			}
			if !l.progress(c, ev.Events) {
				return
			}
		}
		if !l.nextScan.IsZero() && !now.Before(l.nextScan) && !l.scan(now) {
			return
		}
	}
}

// park waits for an event, or until until (zero: no limit), with the goroutine parked in the
// runtime's poller, and returns the events that came.
func (l *evLoop) park(until time.Time) (int, error) {
	if !until.Equal(l.parkUntil) {
		if err := l.file.SetReadDeadline(until); err != nil {
			return 0, err
		}
		l.parkUntil = until
	}
	l.harvested = 0
	if err := l.rc.Read(l.harvest); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return 0, err
	}
	return max(l.harvested, 0), nil
}

// harvestEvents is the poller's callback: it takes the ready events without waiting, and says
// whether there were any.
func (l *evLoop) harvestEvents(fd uintptr) bool {
	l.harvested = sysEpollWait(int(fd), l.events)
	return l.harvested > 0
}

// scan fails the requests whose deadline passed, starts those whose back-off ended, and works
// out nextScan again; false means the run is over.
func (l *evLoop) scan(now time.Time) bool {
	l.nextScan = time.Time{}
	for i := range l.conns {
		c := &l.conns[i]
		switch c.phase {
		case phPause:
			if !now.Before(c.resume) && !l.start(c, now) {
				return false
			}
		case phDial, phConnect, phWrite, phRead:
			if !now.Before(c.deadline) && !l.fail(c, kindTimeout, now) {
				return false
			}
		}
	}
	// The requests started above have already lowered nextScan to their deadline; add the others.
	for i := range l.conns {
		switch c := &l.conns[i]; c.phase {
		case phPause:
			l.wakeAt(c.resume)
		case phDial, phConnect, phWrite, phRead:
			l.wakeAt(c.deadline)
		}
	}
	return true
}

// wakeAt makes sure scan runs no later than t.
func (l *evLoop) wakeAt(t time.Time) {
	if l.nextScan.IsZero() || t.Before(l.nextScan) {
		l.nextScan = t
	}
}

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
