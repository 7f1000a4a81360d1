package slotserver

import "syscall"

// workerAttr has the kernel SIGTERM a worker when the thread that forked
// it exits, so workers never outlive their parent.
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
