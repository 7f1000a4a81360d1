//go:build linux

package load

import (
	"net/netip"
	"syscall"
	"unsafe"
)

// The event loop's socket calls, made raw: on a non-blocking socket none of them waits, so the
// runtime's bookkeeping around a system call that may block (entersyscall and exitsyscall, and
// handing the P to another thread should it block) is pure cost, and so is boxing the errno in
// an error to compare it. Only epoll_wait, which blocks, goes through syscall.EpollWait.

// sockaddr is a socket address in the kernel's layout.
type sockaddr struct {
	raw    [unsafe.Sizeof(syscall.RawSockaddrInet6{})]byte
	len    uintptr
	family int
}

// newSockaddr converts ap; false for an address with a zone.
func newSockaddr(ap netip.AddrPort) (sockaddr, bool) {
	var sa sockaddr
	port := ap.Port()
	switch ip := ap.Addr(); {
	case ip.Is4():
		r := (*syscall.RawSockaddrInet4)(unsafe.Pointer(&sa.raw))
		r.Family = syscall.AF_INET
		r.Addr = ip.As4()
		p := (*[2]byte)(unsafe.Pointer(&r.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		sa.len, sa.family = syscall.SizeofSockaddrInet4, syscall.AF_INET
	case ip.Is6() && ip.Zone() == "":
		r := (*syscall.RawSockaddrInet6)(unsafe.Pointer(&sa.raw))
		r.Family = syscall.AF_INET6
		r.Addr = ip.As16()
		p := (*[2]byte)(unsafe.Pointer(&r.Port))
		p[0], p[1] = byte(port>>8), byte(port)
		sa.len, sa.family = syscall.SizeofSockaddrInet6, syscall.AF_INET6
	default:
		return sa, false
	}
	return sa, true
}

func sysSocket(family int) (int, syscall.Errno) {
	fd, _, e := syscall.RawSyscall(syscall.SYS_SOCKET, uintptr(family),
		syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	return int(fd), e
}

func sysConnect(fd int, sa *sockaddr) syscall.Errno {
	_, _, e := syscall.RawSyscall(
		syscall.SYS_CONNECT,
		uintptr(fd),
		uintptr(unsafe.Pointer(&sa.raw)),
		sa.len,
	)
	return e
}

func sysWrite(fd int, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(
		syscall.SYS_WRITE,
		uintptr(fd),
		uintptr(unsafe.Pointer(unsafe.SliceData(p))),
		uintptr(len(p)),
	)
	return int(n), e
}

func sysRead(fd int, p []byte) (int, syscall.Errno) {
	n, _, e := syscall.RawSyscall(
		syscall.SYS_READ,
		uintptr(fd),
		uintptr(unsafe.Pointer(unsafe.SliceData(p))),
		uintptr(len(p)),
	)
	return int(n), e
}

func sysClose(fd int) {
	syscall.RawSyscall(syscall.SYS_CLOSE, uintptr(fd), 0, 0)
}

func sysEpollCtl(epfd, op, fd int, ev *syscall.EpollEvent) syscall.Errno {
	_, _, e := syscall.RawSyscall6(
		syscall.SYS_EPOLL_CTL,
		uintptr(epfd),
		uintptr(op),
		uintptr(fd),
		uintptr(unsafe.Pointer(ev)),
		0,
		0,
	)
	return e
}

func sysSetsockoptInt(fd, level, opt, v int) syscall.Errno {
	i := int32(v)
	_, _, e := syscall.RawSyscall6(
		syscall.SYS_SETSOCKOPT,
		uintptr(fd),
		uintptr(level),
		uintptr(opt),
		uintptr(unsafe.Pointer(&i)),
		4,
		0,
	)
	return e
}

// sysEpollWait returns the ready events without waiting, or -1 on error.
func sysEpollWait(epfd int, events []syscall.EpollEvent) int {
	n, _, e := syscall.RawSyscall6(
		syscall.SYS_EPOLL_PWAIT,
		uintptr(epfd),
		uintptr(unsafe.Pointer(unsafe.SliceData(events))),
		uintptr(len(events)),
		0,
		0,
		0,
	)
	if e != 0 {
		return -1
	}
	return int(n)
}
