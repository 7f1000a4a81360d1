//go:build !linux

package slotserver

import "syscall"

// workerAttr is empty: only Linux has a parent-death signal.
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{}
}
