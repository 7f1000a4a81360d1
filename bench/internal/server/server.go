// Package server runs one server under test: it starts the server in a
// process group of its own, waits until it answers, and stops the whole group
// so that no worker outlives a trial. Linux only.
package server

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/workerbench/workerbench/bench/internal/proctree"
)

// Spec says how to start a server.
type Spec struct {
	Argv    []string // already expanded; never run through a shell by us
	Dir     string   // working directory; empty means ours
	Env     []string // full environment; nil inherits ours
	LogPath string   // stdout and stderr both go (appended) here; empty discards them
}

// Process is a started server: the leader process and its process group.
type Process struct {
	argv    []string
	pgid    int
	logPath string
	done    chan struct{}
	exitErr error // written once before done is closed
	// tag is an environment entry unique to this server, inherited by
	// every process it forks: it finds those that leave the group.
	tag string

	stopMu sync.Mutex // serialises Stop
	wd     *watchdog  // nil when it could not be started
}

// TagEnv is the name of the environment variable that marks a server's
// processes (see Start).
const TagEnv = "WORKERBENCH_SERVER"

// How often WaitReady probes and Stop looks for survivors, and how long Stop
// waits for the group to vanish after SIGKILL.
const (
	probeEvery = 50 * time.Millisecond
	pollEvery  = 20 * time.Millisecond
	killWait   = 5 * time.Second
)

// Start starts the server described by spec in a new process group whose
// leader is the server's first process, with stdin from /dev/null. If this
// program dies, even by SIGKILL, the kernel kills the leader (Pdeathsig),
// and a watchdog process kills the rest of the group (see watchdog).
//
// The server's environment gets one more entry, TagEnv=<random>, which
// its processes inherit: a process that leaves the group (a server that
// daemonizes calls setsid) is still found by it, and stopped.
func Start(spec Spec) (*Process, error) {
	if len(spec.Argv) == 0 || spec.Argv[0] == "" {
		return nil, errors.New("start server: empty command")
	}
	name := spec.Argv[0]
	path, err := LookPath(name, spec.Env)
	if err != nil {
		return nil, fmt.Errorf("start server %q: %w", name, err)
	}
	logPath := spec.LogPath
	if logPath == "" {
		logPath = os.DevNull
	}
	log, err := os.OpenFile(logPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start server %q: open log: %w", name, err)
	}
	// The child gets its own copy of the descriptor; ours is not needed once
	// the child exists (or failed to).
	defer log.Close()

	env := spec.Env
	if env == nil {
		env = os.Environ()
	}
	tag := fmt.Sprintf("%s=%016x", TagEnv, rand.Uint64())
	cmd := &exec.Cmd{
		Path:   path,
		Args:   spec.Argv,
		Dir:    spec.Dir,
		Env:    append(slices.Clip(env), tag),
		Stdin:  nil, // exec.Cmd connects a nil Stdin to /dev/null
		Stdout: log, // an *os.File is handed to the child as is: no copying goroutine
		Stderr: log,
	}
	// Its own process group (pgid = the leader's pid; we signal the group,
	// not the leader), and on Linux a parent-death signal.
	cmd.SysProcAttr = leaderAttr()
	p := &Process{argv: spec.Argv, logPath: spec.LogPath, done: make(chan struct{}), tag: tag}
	started := make(chan error, 1)
	// The kernel sends Pdeathsig when the *thread* that forked the child
	// exits, not when the process does. An ordinary goroutine hops between
	// OS threads, and the runtime ends a thread whenever a goroutine locked
	// to it exits, so forking from any goroutine would tie a healthy server
	// to a thread that some other goroutine might later lock and end. So this
	// goroutine locks itself to its thread, forks from it and never unlocks:
	// no other goroutine runs on a locked thread, and this one lives until
	// Wait has reaped the child. When it returns still locked the runtime
	// ends the thread, which by then kills nothing. If this program dies,
	// every thread dies with it and the signal fires, which is the point.
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pgid = cmd.Process.Pid
		started <- nil
		p.exitErr = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start server %q: %w", name, err)
	}
	// Without a watchdog the leader's Pdeathsig still holds; workers a
	// killed master orphans then live until they notice by themselves.
	p.wd, _ = startWatchdog(p.pgid, tag)
	return p, nil
}

// LookPath resolves a command name without a slash through the PATH of env
// (the server's environment, which may point at a virtualenv) or, when env is
// nil, through ours; exec.LookPath only knows ours. Relative PATH entries are
// skipped (os/exec refuses them too, with exec.ErrDot). A name with a slash
// is used as given, and a relative one is relative to Spec.Dir.
func LookPath(name string, env []string) (string, error) {
	if strings.Contains(name, "/") {
		return name, nil
	}
	pathList, ok := os.LookupEnv("PATH")
	if env != nil {
		pathList, ok = "", false
		for _, kv := range env {
			if v, found := strings.CutPrefix(kv, "PATH="); found {
				pathList, ok = v, true // the last one wins, as in getenv
			}
		}
	}
	if !ok {
		return "", fmt.Errorf("no PATH in the server's environment: %w", exec.ErrNotFound)
	}
	for _, dir := range filepath.SplitList(pathList) {
		if !filepath.IsAbs(dir) {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound // "executable file not found in $PATH"
}

// Argv returns the command line the server was started with.
func (p *Process) Argv() []string { return p.argv }

// Pgid returns the server's process group ID, which is also the leader's PID.
func (p *Process) Pgid() int { return p.pgid }

// Done returns a channel closed once the leader has exited and been reaped.
// Other processes of the group may still be running (see Stop).
func (p *Process) Done() <-chan struct{} { return p.done }

// ExitErr returns how the leader ended, as exec.Cmd.Wait reports it (nil for
// exit status 0, *exec.ExitError otherwise). It is nil until Done is closed.
func (p *Process) ExitErr() error {
	select {
	case <-p.done:
		return p.exitErr
	default:
		return nil
	}
}

// Stopped tells how a server went down.
type Stopped struct {
	// Killed is set when the server outlived its grace period after
	// SIGTERM and was killed (uWSGI without --die-on-term reloads on SIGTERM).
	Killed bool
	// Escaped lists processes that had left the server's process group
	// (setsid: a daemon) and were stopped too.
	Escaped []proctree.Proc
}

// Stop ends the server: SIGTERM to every process of its group and to its
// processes that left the group, then up to grace for all of them to exit
// (the leader reaped, no process with that group ID in /proc, no escapee
// left), then SIGKILL and a few more seconds. It returns an error naming
// the processes that survived. The group is signalled, not the leader,
// because gunicorn's sync workers orphaned by a killed master stay in the
// group and keep the port.
//
// Stop may be called more than once, and after the server has died by
// itself; once the group is gone it sends no signal to it, since its ID may
// then be reused.
func (p *Process) Stop(grace time.Duration) (Stopped, error) {
	p.stopMu.Lock()
	defer p.stopMu.Unlock()
	var st Stopped
	esc, err := p.escapees()
	if err != nil {
		return st, err
	}
	st.Escaped = esc
	if gone, err := p.gone(esc); err != nil || gone {
		// The escapees seen may have been a daemon's middle process, gone
		// since by design, whose child lives on: look again.
		p.wd.release(gone)
		return st, p.stopStragglers(&st, err)
	}
	if err := p.signal(syscall.SIGTERM, esc); err != nil {
		return st, err
	}
	if gone, err := p.waitGone(grace, esc); err != nil || gone {
		p.wd.release(gone)
		return st, p.stopStragglers(&st, err)
	}
	st.Killed = true
	if err := p.signal(syscall.SIGKILL, esc); err != nil {
		return st, err
	}
	if gone, err := p.waitGone(killWait, esc); err != nil || gone {
		p.wd.release(gone)
		return st, p.stopStragglers(&st, err)
	}
	pids, err := proctree.Pids(p.pgid)
	if err != nil {
		return st, fmt.Errorf("stop server: %w", err)
	}
	return st, fmt.Errorf("stop server: pids %v of process group %d survived SIGKILL", pids, p.pgid)
}

// stopStragglers kills escapees that appeared after Stop first looked (an
// escaped master forks workers until it dies; a daemon's middle process
// forks the master and exits), once the rest is gone. No escapee is left
// only when two scans in a row find none: one scan can miss a
// process that forks and exits while /proc is read (its child was created
// after the listing, the parent had exited when its environment was read).
func (p *Process) stopStragglers(st *Stopped, err error) error {
	if err != nil {
		return err
	}
	for rounds, empty := 0, 0; empty < 2 && rounds < strayRounds; {
		esc, err := p.escapees()
		if err != nil {
			return err
		}
		if len(esc) == 0 {
			if empty++; empty < 2 {
				time.Sleep(pollEvery)
			}
			continue
		}
		empty = 0
		rounds++
		st.Escaped = append(st.Escaped, esc...)
		for _, e := range esc { // the group is gone: its ID may be reused
			syscall.Kill(e.PID, syscall.SIGKILL)
		}
		p.waitGone(killWait, esc)
	}
	esc, err := p.escapees()
	if err == nil && len(esc) > 0 {
		err = fmt.Errorf(
			"stop server: processes %v that left its process group survived SIGKILL",
			pidsOf(esc),
		)
	}
	return err
}

// strayRounds bounds how often stopStragglers finds and kills escapees.
const strayRounds = 5

// escapees returns the live processes the server started that are no
// longer in its process group: they carry its tag (see Start) but another
// group ID.
func (p *Process) escapees() ([]proctree.Proc, error) {
	tagged, err := proctree.WithEnv(p.tag)
	if err != nil {
		return nil, fmt.Errorf("stop server: %w", err)
	}
	var out []proctree.Proc
	for _, t := range tagged {
		if t.PGID != p.pgid {
			out = append(out, t)
		}
	}
	return out, nil
}

// signal sends sig to the process group and to each escapee. An empty
// group (ESRCH) is not an error, nor is an escapee that has exited.
func (p *Process) signal(sig syscall.Signal, esc []proctree.Proc) error {
	for _, e := range esc {
		syscall.Kill(e.PID, sig)
	}
	return p.signalGroup(sig)
}

func pidsOf(ps []proctree.Proc) []int {
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = p.PID
	}
	return out
}

// signalGroup sends sig to every process of the group. An empty group
// (ESRCH) is not an error.
func (p *Process) signalGroup(sig syscall.Signal) error {
	err := syscall.Kill(-p.pgid, sig)
	if err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop server: send %v to process group %d: %w", sig, p.pgid, err)
	}
	return nil
}

// gone reports whether the leader has been reaped and no live process of
// the group, nor any of the escapees esc, is left.
func (p *Process) gone(esc []proctree.Proc) (bool, error) {
	select {
	case <-p.done:
	default:
		return false, nil
	}
	pids, err := proctree.Pids(p.pgid)
	if err != nil {
		return false, fmt.Errorf("stop server: %w", err)
	}
	if len(pids) > 0 {
		return false, nil
	}
	for _, e := range esc {
		if proctree.Alive(e.PID) {
			return false, nil
		}
	}
	return true, nil
}

// waitGone polls gone until it holds or d has passed.
func (p *Process) waitGone(d time.Duration, esc []proctree.Proc) (bool, error) {
	deadline := time.Now().Add(d)
	t := time.NewTimer(d)
	defer t.Stop()
	done := p.done
	for {
		gone, err := p.gone(esc)
		if err != nil || gone {
			return gone, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return false, nil
		}
		t.Reset(min(pollEvery, left))
		select {
		case <-t.C:
		case <-done: // the leader is usually the last to go: look again at once
			done = nil // closed for good; stop selecting on it
		}
	}
}
