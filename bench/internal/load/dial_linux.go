//go:build linux

package load

import (
	"os"
	"syscall"
	"time"
)

// dialFast connects to c.ap with raw socket calls and makes the socket a pollable *os.File.
// That is five system calls (socket, fcntl and epoll_ctl in os.NewFile, connect, getsockopt)
// where net.Dialer makes seven (it adds TCP_NODELAY, getsockname and getpeername), and none of its resolver, context and address bookkeeping; in a closed loop
// against gunicorn's sync workers, which close every connection, it saved about a tenth of the
// generator's CPU per request. TCP_NODELAY does not matter here: each request is one write, and
// a loopback segment holds 64 KiB. It reports false, without error, when the caller must use
// net.Dialer instead.
func (c *client) dialFast(deadline time.Time) (bool, error) {
	var sa syscall.Sockaddr
	family := syscall.AF_INET
	switch ip := c.ap.Addr(); {
	case ip.Is4():
		sa = &syscall.SockaddrInet4{Port: int(c.ap.Port()), Addr: ip.As4()}
	case ip.Is6() && ip.Zone() == "":
		family = syscall.AF_INET6
		sa = &syscall.SockaddrInet6{Port: int(c.ap.Port()), Addr: ip.As16()}
	default:
		return false, nil
	}
	fd, err := syscall.Socket(
		family,
		syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC,
		0,
	)
	if err != nil {
		return true, os.NewSyscallError("socket", err)
	}
	if fd <= 2 {
		// Standard output or error was closed and the socket took its number: os.File raises
		// SIGPIPE on a broken pipe there. Leave this one to the net package.
		syscall.Close(fd)
		return false, nil
	}
	// Register with the poller (os.NewFile sees the non-blocking flag) before connecting:
	// RawConn.Write clears the write readiness before its first call, so a connection that
	// completed before that would never be noticed.
	f := os.NewFile(uintptr(fd), "tcp")
	if !c.setConn(f) {
		f.Close()
		return true, errAborted
	}
	// From here abort can close f, which ends the wait below.
	if err := c.connect(f, sa, deadline); err != nil {
		c.closeConn()
		return true, err
	}
	return true, nil
}

// connect connects the socket f to sa, waiting at most until deadline.
func (c *client) connect(f *os.File, sa syscall.Sockaddr, deadline time.Time) error {
	if err := f.SetWriteDeadline(deadline); err != nil {
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connErr error
	started := false
	err = rc.Write(func(fd uintptr) bool {
		if !started {
			started = true
			switch err := syscall.Connect(int(fd), sa); err {
			case nil:
				return true
			case syscall.EINPROGRESS:
				return false // wait until writable: connected or failed
			default:
				connErr = os.NewSyscallError("connect", err)
				return true
			}
		}
		switch v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR); {
		case err != nil:
			connErr = os.NewSyscallError("getsockopt", err)
		case v != 0:
			connErr = os.NewSyscallError("connect", syscall.Errno(v))
		}
		return true
	})
	if err != nil {
		return err
	}
	return connErr
}
