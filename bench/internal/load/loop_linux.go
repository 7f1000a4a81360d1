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
			if end := r.end(); !end.IsZero() && (until.IsZero() || end.Before(until)) {
				until = end
			}
			var err error
			if n, err = l.park(until); err != nil {
				return // cannot happen; the run would stall, so end it
			}
			yielded = time.Now()
		}
		now = time.Now()
		if end := r.end(); !end.IsZero() && !now.Before(end) {
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
