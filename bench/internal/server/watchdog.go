package server

import (
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
)

// watchdog kills a server's whole process group if this program dies
// without stopping it, even by SIGKILL. Pdeathsig reaches only the leader:
// gunicorn's sync workers orphaned by a killed master keep serving (and
// holding the port) until their next timeout tick, 15 s by default. So each
// server gets a tiny /bin/sh that blocks reading a pipe whose only writer is
// this program. Stop writes a line once the group is gone and the shell
// exits quietly; if this program dies first, the kernel closes the pipe, the
// read sees EOF and the shell sends SIGKILL to the group.
//
// The script is fixed and its one argument is a number we produced: the
// user's command template never goes through a shell. The watchdog runs in
// a process group of its own (so stopping the server, or a Ctrl-C to our
// terminal's foreground group, does not kill it) and in "/" (so it never
// holds a directory busy).
type watchdog struct {
	w    *os.File // write end of the pipe, close-on-exec
	cmd  *exec.Cmd
	once sync.Once
}

// The script kills the group ($1), then every process that carries the
// server's tag ($2) in its environment: those that left the group. grep -z
// reads NUL-separated entries, -x matches a whole entry.
const watchdogScript = `if read -r _; then exit 0; fi; kill -KILL -"$1" 2>/dev/null
for f in $(grep -lzx -- "$2" /proc/[0-9]*/environ 2>/dev/null); do p=${f#/proc/}; kill -KILL "${p%/environ}" 2>/dev/null; done; exit 0`

// startWatchdog starts the watchdog of process group pgid, whose
// processes carry the environment entry tag.
func startWatchdog(pgid int, tag string) (*watchdog, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close() // the child has its own copy
	cmd := &exec.Cmd{
		Path:        "/bin/sh",
		Args:        []string{"sh", "-c", watchdogScript, "sh", strconv.Itoa(pgid), tag},
		Dir:         "/",
		Env:         []string{"PATH=/usr/bin:/bin"},
		Stdin:       r,
		SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, err
	}
	return &watchdog{w: w, cmd: cmd}, nil
}

// release ends the watchdog. When the group is gone it tells the watchdog
// to exit without killing (the group ID may be reused from now on); when it
// is not, the watchdog is left waiting, so survivors die with this program.
func (d *watchdog) release(groupGone bool) {
	if d == nil || !groupGone {
		return
	}
	d.once.Do(func() {
		d.w.Write([]byte("\n"))
		d.w.Close()
		d.cmd.Wait()
	})
}
