package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/workerbench/workerbench/bench/internal/load"
	"github.com/workerbench/workerbench/bench/internal/server"
	"github.com/workerbench/workerbench/bench/results"
)

// bootError is a server that failed to start or become ready, with what its
// log says about it.
type bootError struct {
	err     error
	excerpt []string // the log's error lines (server.Excerpt)
	tail    []string // the log's last lines
}

func (b *bootError) Error() string { return b.err.Error() }
func (b *bootError) Unwrap() error { return b.err }

// Lines of a server log that results keep for a failed cell.
const (
	excerptLines = 8
	tailLines    = 20
)

// boot starts the server for shape in dir and waits until it answers. On
// success the caller must stop the returned process; on failure it has
// been stopped already and the error is a *bootError.
func (r *Runner) boot(
	ctx context.Context,
	label string,
	shape Shape,
	dir string,
	env []string,
	logPath string,
) (*server.Process, string, error) {
	l, err := r.launch(label, shape, dir, env, logPath)
	if err != nil {
		return nil, "", err
	}
	if err := r.await(ctx, l); err != nil {
		return nil, "", err
	}
	return l.p, l.addr, nil
}

// launched is a server started but not yet known to answer.
type launched struct {
	p     *server.Process
	addr  string
	label string // "base" or "head" in a comparison, else ""
	shape Shape
	ready server.Readiness
	start time.Time
}

// launch starts the server for shape in dir without waiting for it, so
// that a comparison can boot base and head at once: a boot mostly waits
// for the server to load its app. The caller must await the server. On
// failure the error is a *bootError and nothing runs.
func (r *Runner) launch(
	label string,
	shape Shape,
	dir string,
	env []string,
	logPath string,
) (*launched, error) {
	cfg := r.Config
	port, err := freePort(cfg.Host)
	if err != nil {
		return nil, &bootError{err: err}
	}
	v := vars{host: cfg.Host, port: port, shape: shape, side: sideOf(label)}
	environ := slices.Concat(ServerEnviron(os.Environ()), v.expand(cfg.environ()), v.expand(env))
	argv := cfg.template.expand(v)
	start := time.Now()
	p, err := server.Start(server.Spec{Argv: argv, Dir: dir, Env: environ, LogPath: logPath})
	if err != nil {
		return nil, &bootError{err: err} // already "start server %q: …"
	}
	addr := net.JoinHostPort(cfg.Host, fmt.Sprint(port))
	health := load.Target{
		Addr:        addr,
		Path:        cfg.Health,
		Timeout:     cfg.Timeout,
		AllowRemote: cfg.AllowRemote,
	}
	ready := server.Readiness{Probe: readinessProbe(health), Timeout: cfg.StartupTimeout}
	if ip, err := netip.ParseAddr(cfg.Host); err == nil {
		ready.Addr = netip.AddrPortFrom(ip.Unmap(), uint16(port))
	}
	return &launched{p: p, addr: addr, label: label, shape: shape, ready: ready, start: start}, nil
}

// await waits until a launched server answers. On failure the server has
// been stopped and the error is a *bootError.
func (r *Runner) await(ctx context.Context, l *launched) error {
	if err := l.p.WaitReady(ctx, l.ready); err != nil {
		// The log as it was at the failure: stopping adds shutdown noise.
		be := &bootError{
			err:     err,
			excerpt: l.p.LogExcerpt(excerptLines),
			tail:    l.p.LogTail(tailLines),
		}
		r.stop(l.p, nil)
		return be
	}
	label := ""
	if l.label != "" {
		label = " (" + l.label + ")"
	}
	r.progress(
		"      %s%s: ready after %s",
		l.shape,
		label,
		time.Since(l.start).Round(time.Millisecond),
	)
	return nil
}

// stop stops p and notes in cells anything worth knowing (see noteStop).
func (r *Runner) stop(p *server.Process, cells []results.Cell) {
	st, err := p.Stop(r.Config.Grace)
	r.noteStop(p, st, err, cells)
}

// noteStop notes in cells what stopping p revealed: processes that
// survived, or that left the group. A server that had to be killed is
// reported once per run, with the hint for uWSGI, which reloads on SIGTERM.
func (r *Runner) noteStop(p *server.Process, st server.Stopped, err error, cells []results.Cell) {
	note := func(s string) {
		for i := range cells {
			cells[i].Diagnostics = append(cells[i].Diagnostics, s)
		}
	}
	if err != nil {
		note("stopping the server: " + err.Error())
	}
	if len(st.Escaped) > 0 {
		note(
			fmt.Sprintf(
				"%d processes of the server had left its process group (pid %d, %q): stopped them too; run the server in the foreground",
				len(st.Escaped),
				st.Escaped[0].PID,
				st.Escaped[0].Cmdline,
			),
		)
	}
	if st.Killed && !r.killNoted {
		r.killNoted = true
		hint := "it ignores or delays SIGTERM, and each cell waits --grace for it"
		if name := filepath.Base(p.Argv()[0]); name == "uwsgi" || name == "uwsgi-core" {
			hint = "uWSGI reloads on SIGTERM: add --die-on-term"
		}
		r.progress(
			"      note: the server did not stop within %s of SIGTERM, so it was killed (%s)",
			r.Config.Grace,
			hint,
		)
	}
}

// How long the same wrong answer must last before the wait gives up on it:
// a server that answers 404 or does not speak HTTP will not change its mind.
const sameAnswerFor = 5 * time.Second

// readinessProbe returns the probe of the health target t: one request,
// which must succeed. An answer that stays the same wrong status (or not
// HTTP at all) for sameAnswerFor is Fatal: the server is up but will never
// look ready. 503 is the exception, the status that means "not yet".
func readinessProbe(t load.Target) func(context.Context) error {
	var last string
	var since time.Time
	return func(ctx context.Context) error {
		_, err := load.Sequential(ctx, t, 1)
		if err == nil {
			return nil
		}
		var le *load.Error
		if !errors.As(err, &le) || ctx.Err() != nil {
			return err
		}
		err = describeProbeError(t, le)
		if le.Kind == load.KindConnect || le.Kind == load.KindTimeout ||
			le.Status == http.StatusServiceUnavailable {
			last = ""
			return err
		}
		if msg := err.Error(); msg != last {
			last, since = msg, time.Now()
			return err
		}
		if time.Since(since) < sameAnswerFor {
			return err
		}
		return server.Fatal(stuckProbeError(t, le))
	}
}

// stuckProbeError explains an answer that stayed wrong for sameAnswerFor.
func stuckProbeError(t load.Target, le *load.Error) error {
	if le.Kind == load.KindProtocol {
		return fmt.Errorf(
			"%s accepted connections for %s but did not answer HTTP (%v): is it serving another protocol (uWSGI --socket instead of --http-socket, FastCGI, TLS)?",
			t.Addr,
			sameAnswerFor,
			le.Err,
		)
	}
	hint := "the server is up, but this path does not answer 2xx: fix --path, or give a readiness path with --health PATH"
	if le.Status >= 500 {
		hint = "the server is up but fails this request (did the app load? see its log)"
	}
	return fmt.Errorf(
		"GET %s answered %d %s for %s, want %s: %s",
		t.Path,
		le.Status,
		http.StatusText(le.Status),
		sameAnswerFor,
		wantStatus(t),
		hint,
	)
}

func wantStatus(t load.Target) string {
	if t.Status != 0 {
		return fmt.Sprint(t.Status)
	}
	return "2xx"
}

// probeError is a readiness probe's failure in words, wrapping the load
// generator's error.
type probeError struct {
	msg string
	err *load.Error
}

func (p *probeError) Error() string { return p.msg }
func (p *probeError) Unwrap() error { return p.err }

// describeProbeError says what a failed probe of t met.
func describeProbeError(t load.Target, le *load.Error) error {
	req := "GET " + t.Path
	var msg string
	switch le.Kind {
	case load.KindStatus:
		msg = fmt.Sprintf(
			"%s answered %d %s, want %s",
			req,
			le.Status,
			http.StatusText(le.Status),
			wantStatus(t),
		)
	case load.KindProtocol:
		msg = fmt.Sprintf("%s accepted the connection but did not answer HTTP (%v)", t.Addr, le.Err)
	case load.KindTimeout:
		msg = fmt.Sprintf("%s got no answer within %s", req, t.Timeout)
	case load.KindConnect:
		msg = fmt.Sprintf("%s: cannot connect to %s", req, t.Addr)
		if errors.Is(le, syscall.ECONNREFUSED) {
			msg = fmt.Sprintf("nothing listens on %s (connection refused)", t.Addr)
		}
	default:
		msg = le.Error()
	}
	return &probeError{msg: msg, err: le}
}
