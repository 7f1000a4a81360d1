package server

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/workerbench/workerbench/bench/internal/proctree"
)

// Readiness says how WaitReady tells that a starting server is ready.
type Readiness struct {
	// Probe asks the server once and returns nil when it answered the way
	// a ready server does. An error wrapped by Fatal ends the wait at once
	// (the server answers, but will not answer differently).
	Probe func(ctx context.Context) error
	// Addr is where the server was told to listen, like 127.0.0.1:8000;
	// when its processes listen only elsewhere, WaitReady fails early.
	Addr netip.AddrPort
	// Timeout bounds the whole wait.
	Timeout time.Duration
}

// How the startup watch decides. A crash loop is this many exits of
// processes with the same command line; a server listening only on other
// addresses is given listenGrace to open the right one.
const (
	watchEvery      = 100 * time.Millisecond
	crashLoopDeaths = 5
	listenGrace     = 2 * time.Second
)

// fatalError marks a probe error after which waiting is pointless.
type fatalError struct{ err error }

func (f fatalError) Error() string { return f.err.Error() }
func (f fatalError) Unwrap() error { return f.err }

// Fatal wraps a probe error so that WaitReady stops waiting at once.
func Fatal(err error) error { return fatalError{err} }

// WaitReady probes the server about every 50 ms until a probe succeeds.
// Readiness must be an answer from the server (an HTTP response, say): an
// open port or a log line is not, since gunicorn listens before its
// workers can answer. Each probe's context ends when WaitReady returns, so
// a probe that blocks (on a connection the server accepted but has not
// answered) never outlives it.
//
// While it waits it watches the server's processes, and fails within
// seconds, with an error that says why, when the leader exits (and, if its
// processes went on in the background, that it daemonized), when
// processes of the group keep dying and being replaced (a crash loop), when
// the server listens only on other addresses than r.Addr, or when a probe
// returns a Fatal error. Otherwise it fails when r.Timeout passes or ctx
// is done.
func (p *Process) WaitReady(ctx context.Context, r Readiness) error {
	tctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	results := make(chan error)
	probing := make(chan struct{})
	go func() { // ends when tctx does: cancel above, deferred
		defer close(probing)
		for {
			err := r.Probe(tctx)
			select {
			case results <- err:
			case <-tctx.Done():
				return
			}
			if err == nil || !sleep(tctx, probeEvery) {
				return
			}
		}
	}()
	defer func() { cancel(); <-probing }()

	w := &startupWatch{p: p, addr: r.Addr, seen: map[int]string{}, deaths: map[string]int{}}
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	var lastErr error
	for {
		select {
		case <-p.done:
			return p.exitedDuringStartup()
		case <-tctx.Done():
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("wait for server: %w", err)
			}
			return w.timedOut(r.Timeout, lastErr)
		case err := <-results:
			if err == nil {
				// Another process may answer on the port while ours failed
				// to bind it: an answer only counts if our leader is there.
				select {
				case <-p.done:
					return p.exitedDuringStartup()
				default:
					return nil
				}
			}
			lastErr = err
			var fe fatalError
			if errors.As(err, &fe) {
				return fe.err
			}
		case <-tick.C:
			if err := w.check(lastErr); err != nil {
				return err
			}
		}
	}
}

// sleep waits d or until ctx is done; false means ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// exitedDuringStartup explains a leader that exited before the server was
// ready. A leader that exits 0 while its processes live on (outside the
// group after setsid, or inside it after "&") has put the server in the
// background, where workerbench cannot measure or stop it as a unit.
//
// A daemon forks twice (fork, setsid, fork): a scan of /proc that lists the
// middle process just before it exits and reads the directory before the
// last one appears sees neither, so an exit 0 is looked at a few times.
func (p *Process) exitedDuringStartup() error {
	for try := 0; p.exitErr == nil && try < backgroundLooks; try++ {
		if try > 0 {
			time.Sleep(backgroundPause)
		}
		var bg []proctree.Proc
		if esc, err := p.escapees(); err == nil {
			bg = esc
		}
		if members, err := proctree.Members(p.pgid); err == nil {
			bg = append(bg, members...)
		}
		if len(bg) > 0 {
			return fmt.Errorf(
				"the server went to the background (pid %d, %q): run it in the foreground (no --daemon, -D or daemonize option; exec instead of &)",
				bg[0].PID,
				clipCmdline(bg[0].Cmdline),
			)
		}
	}
	return fmt.Errorf("server exited during startup (%w)", p.exitedErr())
}

// backgroundLooks and backgroundPause: how often, and how far apart, a
// leader's exit 0 is checked for processes it left in the background.
const (
	backgroundLooks = 5
	backgroundPause = 50 * time.Millisecond
)

// exitedErr describes a leader that has exited.
func (p *Process) exitedErr() error {
	if p.exitErr == nil {
		return errors.New("exit status 0")
	}
	return p.exitErr
}

// startupWatch looks at a starting server's processes between probes.
type startupWatch struct {
	p      *Process
	addr   netip.AddrPort
	seen   map[int]string // live processes of the group at the last look: pid → command line
	deaths map[string]int // exits per command line, numbers left out (cmdlineKey)
	// elsewhere is when the server was first seen listening, but not on
	// addr; zero while it is not.
	elsewhere time.Time
}

// check fails when the group crash-loops or listens only elsewhere.
func (w *startupWatch) check(lastErr error) error {
	members, err := proctree.Members(w.p.pgid)
	if err != nil {
		return nil // a failed look is no evidence either way
	}
	now := make(map[int]string, len(members))
	for _, m := range members {
		now[m.PID] = m.Cmdline
	}
	for pid, cmdline := range w.seen {
		if _, alive := now[pid]; alive || pid == w.p.pgid {
			continue
		}
		key := cmdlineKey(cmdline)
		if w.deaths[key]++; w.deaths[key] >= crashLoopDeaths {
			return fmt.Errorf(
				"the server's processes keep dying and being replaced: %d exits of %q during startup (a crash loop)",
				w.deaths[key],
				clipCmdline(cmdline),
			)
		}
	}
	w.seen = now
	if !w.addr.IsValid() || !errors.Is(lastErr, syscall.ECONNREFUSED) {
		w.elsewhere = time.Time{}
		return nil
	}
	pids := make([]int, 0, len(members))
	for _, m := range members {
		pids = append(pids, m.PID)
	}
	ls, err := proctree.Listening(pids)
	if err != nil || len(ls) == 0 || w.listensOnAddr(ls) {
		w.elsewhere = time.Time{}
		return nil
	}
	if w.elsewhere.IsZero() {
		w.elsewhere = time.Now()
		return nil
	}
	if time.Since(w.elsewhere) < listenGrace {
		return nil
	}
	return fmt.Errorf(
		"the server listens on %s, not on %s: check the flag that sets its address or port (gunicorn --bind {bind}, uvicorn --port {port}, puma -b tcp://{bind})",
		listenerList(ls),
		w.addr,
	)
}

// listensOnAddr reports whether one of ls accepts connections to w.addr:
// the same port on that address or on the wildcard address.
func (w *startupWatch) listensOnAddr(ls []proctree.Listener) bool {
	for _, l := range ls {
		ap, err := netip.ParseAddrPort(l.Addr)
		if err != nil || ap.Port() != w.addr.Port() {
			continue
		}
		if ap.Addr().IsUnspecified() || ap.Addr() == w.addr.Addr() {
			return true
		}
	}
	return false
}

// timedOut explains a server that never answered as it should.
func (w *startupWatch) timedOut(timeout time.Duration, lastErr error) error {
	var hint string
	if members, err := proctree.Members(w.p.pgid); err == nil {
		pids := make([]int, 0, len(members))
		for _, m := range members {
			pids = append(pids, m.PID)
		}
		if ls, err := proctree.Listening(pids); err == nil && len(ls) == 0 {
			hint = "; its processes listen on no port"
		} else if err == nil {
			hint = "; it listens on " + listenerList(ls)
		}
	}
	if lastErr == nil {
		return fmt.Errorf(
			"server not ready after %v: no answer to the readiness probe%s",
			timeout,
			hint,
		)
	}
	return fmt.Errorf("server not ready after %v: %w%s", timeout, lastErr, hint)
}

func listenerList(ls []proctree.Listener) string {
	addrs := make([]string, len(ls))
	for i, l := range ls {
		addrs[i] = l.Addr
	}
	return strings.Join(addrs, ", ")
}

var cmdlineDigits = regexp.MustCompile(`\d+`)

// cmdlineKey is what the processes of a respawning pool have in common:
// their command line without numbers ("puma: cluster worker 2: 4711").
func cmdlineKey(c string) string { return cmdlineDigits.ReplaceAllString(c, "N") }

// clipCmdline shortens a command line for a message: the program's base
// name ("/root/.pyenv/versions/3.11.7/bin/python3" is "python3"), and at
// most 60 characters.
func clipCmdline(c string) string {
	if prog, args, _ := strings.Cut(c, " "); strings.Contains(prog, "/") {
		c = strings.TrimSpace(filepath.Base(prog) + " " + args)
	}
	if r := []rune(c); len(r) > 60 {
		return string(r[:59]) + "…"
	}
	return c
}
