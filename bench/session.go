package bench

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/workerbench/workerbench/bench/internal/proctree"
	"github.com/workerbench/workerbench/bench/internal/server"
	"github.com/workerbench/workerbench/bench/results"
)

// session is one booted server under measurement, for one shape: Run has
// one per shape, AB.Run two. Its context ends when the server's leader
// exits, so a server that dies mid-measurement does not leave the
// generator redialling a closed port until the window ends; its memory is
// sampled until memory is called.
type session struct {
	r      *Runner
	p      *server.Process
	addr   string
	ctx    context.Context
	cancel context.CancelFunc
	watch  *proctree.Watcher
}

// open boots the server for shape in dir (see boot), labelled "base" or
// "head" in a comparison; the caller must close the session. On failure
// the error is a *bootError and nothing is left running.
func (r *Runner) open(
	ctx context.Context,
	label string,
	shape Shape,
	dir string,
	env []string,
	log string,
) (*session, error) {
	l, err := r.launch(label, shape, dir, env, log)
	if err != nil {
		return nil, err
	}
	return r.attach(ctx, l)
}

// attach waits until a launched server answers and starts watching it. On
// failure the error is a *bootError and the server has been stopped.
func (r *Runner) attach(ctx context.Context, l *launched) (*session, error) {
	if err := r.await(ctx, l); err != nil {
		return nil, err
	}
	p := l.p
	s := &session{r: r, p: p, addr: l.addr}
	s.ctx, s.cancel = context.WithCancel(ctx)
	go func() {
		select {
		case <-p.Done():
			s.cancel()
		case <-s.ctx.Done():
		}
	}()
	s.watch = proctree.Watch(s.ctx, p.Pgid(), time.Second)
	return s, nil
}

// meter returns a meter of endpoint e of this server into cell.
func (s *session) meter(e Endpoint, cell *results.Cell, progress func(string, ...any)) *meter {
	cfg := s.r.Config
	return &meter{
		cfg:      cfg,
		pgid:     s.p.Pgid(),
		target:   cfg.target(s.addr, e),
		cell:     cell,
		progress: progress,
		model:    string(cfg.model),
	}
}

// exited says that the server's leader exited, if it did.
func (s *session) exited() error {
	select {
	case <-s.p.Done():
		if err := s.p.ExitErr(); err != nil {
			return fmt.Errorf("server exited during measurement (%v)", err)
		}
		return errors.New("server exited during measurement (exit status 0)")
	default:
		return nil
	}
}

// record notes in c how its measurement ended: err, or the server's exit,
// which is the cause when there is one (what the generator saw then is a
// consequence), with what the server's log says.
func (s *session) record(c *results.Cell, err error) {
	if e := s.exited(); e != nil {
		err = e
	}
	if err != nil {
		c.Error = err.Error()
		c.LogExcerpt = s.p.LogExcerpt(excerptLines)
	}
	if err != nil || c.Errors > 0 {
		c.LogTail = s.p.LogTail(tailLines)
	}
}

// memory stops sampling and returns what the samples saw. Call it before
// close: after the server stops, the group is empty.
func (s *session) memory() proctree.Summary { return s.watch.Stop() }

// close stops sampling and the server, noting in cells anything the stop
// revealed (see Runner.noteStop).
func (s *session) close(cells []results.Cell) {
	closeAll([]*session{s}, [][]results.Cell{cells})
}

// closeAll stops the servers of ss at once and notes in cells[i] what
// stopping ss[i] revealed (see stopAll).
func closeAll(ss []*session, cells [][]results.Cell) { stopAll(ss)(cells) }

// stopAll starts stopping the servers of ss at once, since each stop may
// wait for its server to finish in-flight requests (gunicorn's gthread
// workers take about a second), and returns at once. What it returns
// waits until every server has stopped and notes in cells[i] what
// stopping ss[i] revealed; it must be called, once, on the goroutine that
// prints progress.
func stopAll(ss []*session) func(cells [][]results.Cell) {
	type stopped struct {
		st  server.Stopped
		err error
	}
	out := make([]stopped, len(ss))
	var wg sync.WaitGroup
	for i, s := range ss {
		s.watch.Stop()
		s.cancel()
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i].st, out[i].err = s.p.Stop(s.r.Config.Grace)
		}()
	}
	return func(cells [][]results.Cell) {
		wg.Wait()
		for i, s := range ss {
			s.r.noteStop(s.p, out[i].st, out[i].err, cells[i])
		}
	}
}
