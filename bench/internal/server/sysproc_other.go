//go:build !linux

package server

import "syscall"

// leaderAttr puts the server in a process group of its own. Only Linux has
// a parent-death signal; elsewhere the watchdog alone stops an orphaned
// server.
func leaderAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
