package server

import "syscall"

// leaderAttr puts the server in a process group of its own (we signal the
// group, not the leader) and has the kernel SIGKILL it when the thread
// that forked it exits: see the locked goroutine in Start.
func leaderAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
