package load

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// worker is one closed-loop connection on its own goroutine, and what it recorded.
type worker struct {
	c     client
	hist  *hdrhistogram.Histogram
	tally tally
	timer *time.Timer // connect back-off, made on first use
	_     [64]byte    // keeps workers' hot fields off each other's cache lines
}

// loop sends requests until the run is over for this worker.
func (w *worker) loop(ctx context.Context, r *run) {
	done := ctx.Done()
	for {
		select {
		case <-done:
			return
		default:
		}
		if !w.step(ctx, r) {
			return
		}
	}
}

// step sends one request and records its outcome; false means this worker is finished.
func (w *worker) step(ctx context.Context, r *run) bool {
	start := time.Now()
	_, k, _ := w.c.roundTrip(ctx, start)
	switch r.settle(ctx, &w.tally, w.hist, start, time.Now(), k) {
	case nextStop:
		return false
	case nextPause:
		return w.pause(ctx.Done(), connectBackoff)
	}
	return true
}

// pause waits d, or until done; false means done.
func (w *worker) pause(done <-chan struct{}, d time.Duration) bool {
	if w.timer == nil {
		w.timer = time.NewTimer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-done:
		w.timer.Stop()
		return false
	case <-w.timer.C:
		return true
	}
}

// workers is the portable driver: one goroutine and one client per connection.
type workers []*worker

func newWorkers(req *request, conns int) workers {
	ws := make(workers, conns)
	for i := range ws {
		w := &worker{hist: newHistogram(req.timeout)}
		w.c.init(req)
		ws[i] = w
	}
	return ws
}

func (ws workers) run(ctx context.Context, r *run) {
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, r)
		}()
	}
	wg.Wait()
}

func (ws workers) abort() {
	for _, w := range ws {
		w.c.abort()
	}
}

func (ws workers) close() {
	for _, w := range ws {
		w.c.closeConn()
		if w.timer != nil {
			w.timer.Stop()
		}
	}
}

func (ws workers) results() ([]*tally, []*hdrhistogram.Histogram) {
	ts := make([]*tally, len(ws))
	hs := make([]*hdrhistogram.Histogram, len(ws))
	for i, w := range ws {
		ts[i], hs[i] = &w.tally, w.hist
	}
	return ts, hs
}
