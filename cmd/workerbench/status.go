package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/workerbench/workerbench/bench"
)

// statusLine keeps one line at the bottom of a terminal saying where a
// long run stands: the shape, the trials or pairs done on it, the time
// elapsed and an estimate of the time left. Progress lines written through
// it print above the line; it is redrawn every second. It is for
// terminals only: CI logs get the progress lines alone, one per step.
type statusLine struct {
	mu     sync.Mutex
	w      io.Writer
	unit   string // what a trial is called: "trial" (run) or "pair" (ab)
	start  time.Time
	st     bench.Status
	drawn  bool
	now    func() time.Time
	stop   chan struct{}
	closed sync.WaitGroup
}

// newStatusLine starts a status line on w, which must be a terminal (see
// isTerminal). Close it before writing anything else to w.
func newStatusLine(w io.Writer, unit string) *statusLine {
	l := &statusLine{w: w, unit: unit, start: time.Now(), now: time.Now, stop: make(chan struct{})}
	l.closed.Add(1)
	go func() {
		defer l.closed.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
				l.mu.Lock()
				l.redraw()
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// Write prints p above the status line.
func (l *statusLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
	n, err := l.w.Write(p)
	l.redraw()
	return n, err
}

// Update is a bench.Runner's OnStatus.
func (l *statusLine) Update(s bench.Status) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st = s
	l.redraw()
}

// Close stops redrawing and removes the line.
func (l *statusLine) Close() {
	close(l.stop)
	l.closed.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.clear()
}

func (l *statusLine) clear() {
	if l.drawn {
		fmt.Fprint(l.w, "\r\033[K")
		l.drawn = false
	}
}

func (l *statusLine) redraw() {
	if l.st.Index == 0 {
		return // nothing started yet
	}
	l.clear()
	fmt.Fprint(l.w, statusText(l.st, l.unit, l.start, l.now()))
	l.drawn = true
}

// statusText is the status line for s at now, in a run that started at
// start.
func statusText(s bench.Status, unit string, start, now time.Time) string {
	text := fmt.Sprintf("[%d/%d] %s", s.Index, s.Total, s.Shape)
	if s.Trials > 0 {
		text += fmt.Sprintf(": %d %s", s.Trials, unit)
		if s.Trials > 1 {
			text += "s"
		}
		text += " done"
	}
	text += " · " + clock(now.Sub(start)) + " elapsed"
	if left, ok := s.Left(now); ok {
		text += " · about " + clock(left) + " left"
	} else {
		text += " · time left known after the first cell"
	}
	return text
}

// clock is d as m:ss (h:mm:ss from an hour).
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// isTerminal reports whether w is a terminal that can redraw a line.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("TERM") == "dumb" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
