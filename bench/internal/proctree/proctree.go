// Package proctree reads what /proc says about a process group: its members
// and their command lines, their memory (Σ PSS and RSS) and CPU, the sockets
// they listen on, and the processes that carry a given environment entry.
//
// A server under test is a process group (a gunicorn master and its workers,
// say), so every function here takes a process group ID and re-walks /proc on
// each call: workers die and respawn, and a list of PIDs taken at start-up
// goes stale. Memory is proportional set size (PSS) from
// /proc/PID/smaps_rollup, because summing RSS over prefork workers counts the
// pages they share once per worker. Linux only.
package proctree

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// procRoot is where procfs is mounted; tests point the unexported functions
// at a fake tree instead.
const procRoot = "/proc"

// tick is the length of one clock tick in /proc/PID/stat. USER_HZ is 100 on
// every architecture we run on.
const tick = time.Second / 100

// Usage is the resource use of a process group at one instant.
type Usage struct {
	PSS, RSS uint64        // bytes, summed over the group's processes
	CPU      time.Duration // user+system time of the processes and of their reaped children
	Procs    int           // live processes whose memory was read
	// ByPid is each live process's own CPU time (without its children's).
	ByPid map[int]time.Duration
}

// Pids returns the live processes whose process group is pgid, in no
// particular order. Zombies are left out: they have exited, hold no memory
// and no socket, and only wait for their parent (or init) to reap them.
// A group with no live process gives an empty list and no error.
func Pids(pgid int) ([]int, error) {
	return pids(procRoot, pgid)
}

func pids(root string, pgid int) ([]int, error) {
	stats, err := scan(root, pgid)
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, s := range stats {
		if !s.dead() {
			pids = append(pids, s.pid)
		}
	}
	return pids, nil
}

// Measure sums the memory and CPU of the processes in process group pgid.
// It re-walks the group on every call. A process that exits during the walk
// is skipped, not an error; a group with no process gives a zero Usage.
//
// CPU includes zombies of the group (their time moves to the reaper's
// cutime/cstime once reaped, so counting them keeps the sum steady while a
// worker is being replaced) but Procs and memory count live processes only.
func Measure(pgid int) (Usage, error) {
	return measure(procRoot, pgid)
}

func measure(root string, pgid int) (Usage, error) {
	var u Usage
	stats, err := scan(root, pgid)
	if err != nil {
		return u, err
	}
	for _, s := range stats {
		if s.dead() {
			u.CPU += time.Duration(s.ticks()) * tick
			continue
		}
		own := time.Duration(s.utime+s.stime) * tick
		if run, ok := schedRuntime(root, s.pid); ok {
			own = run
		}
		u.CPU += own + time.Duration(s.cutime+s.cstime)*tick
		if u.ByPid == nil {
			u.ByPid = map[int]time.Duration{}
		}
		u.ByPid[s.pid] = own
		b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(s.pid), "smaps_rollup"))
		if vanished(err) {
			continue
		}
		if err != nil {
			return Usage{}, fmt.Errorf("measure pid %d: %w", s.pid, err)
		}
		r, err := parseSmapsRollup(b)
		if err != nil {
			return Usage{}, fmt.Errorf("measure pid %d: %w", s.pid, err)
		}
		u.PSS += r.pss
		u.RSS += r.rss
		u.Procs++
	}
	return u, nil
}

// schedRuntime sums the scheduler's nanosecond CPU time over every thread of
// pid, from /proc/PID/task/*/schedstat. The clock-tick times in stat are
// sampled: a process that wakes on a timer interrupt is charged a whole
// tick, so a handler that sleeps 100 ms looked like exactly 1 ms of CPU per
// request. ok is false when schedstat cannot be read (kernels without
// CONFIG_SCHED_INFO); the caller then falls back to ticks.
func schedRuntime(root string, pid int) (time.Duration, bool) {
	dir := filepath.Join(root, strconv.Itoa(pid), "task")
	tasks, err := os.ReadDir(dir)
	if err != nil || len(tasks) == 0 {
		return 0, false
	}
	var total time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat"))
		if vanished(err) {
			continue // a thread that just exited
		}
		if err != nil {
			return 0, false
		}
		f, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
		ns, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, false
		}
		total += time.Duration(ns)
	}
	return total, true
}

// scan returns the stat of every process under root whose process group is
// pgid, zombies included.
func scan(root string, pgid int) ([]stat, error) {
	if pgid <= 0 {
		return nil, fmt.Errorf("scan process group %d: not a process group ID", pgid)
	}
	dir, err := os.Open(root)
	if err != nil {
		return nil, fmt.Errorf("scan process group %d: %w", pgid, err)
	}
	names, err := dir.Readdirnames(-1)
	dir.Close()
	if err != nil {
		return nil, fmt.Errorf("scan process group %d: %w", pgid, err)
	}
	var stats []stat
	for _, name := range names {
		if name == "" || name[0] < '0' || name[0] > '9' {
			continue // not a process: "self", "meminfo", …
		}
		b, err := os.ReadFile(filepath.Join(root, name, "stat"))
		if vanished(err) || (err == nil && len(b) == 0) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("scan process group %d: %w", pgid, err)
		}
		s, err := parseStat(b)
		if err != nil {
			return nil, fmt.Errorf("scan process group %d: /proc/%s/stat: %w", pgid, name, err)
		}
		if s.pgrp == pgid {
			stats = append(stats, s)
		}
	}
	return stats, nil
}

// vanished reports whether err means the process exited while we read it:
// its directory is gone (ENOENT) or the task is being torn down (ESRCH).
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// Summary is what a Watcher saw.
type Summary struct {
	Last    Usage // the last successful sample
	Peak    Usage // per-field maximum over the samples (fields may come from different samples; no ByPid)
	Samples int   // successful samples
	Err     error // the first sampling error, if any; failed samples are not counted
	// Working is how many processes did a real share of the work between
	// the first sample and the last: each used at least WorkingShare of
	// the CPU of the busiest one. 0 when no process used any CPU.
	Working int
	// Started counts the processes that appeared after the first sample:
	// workers the server replaced (gunicorn's --max-requests, a memory
	// limit, a crash) or started late. One that lived between two samples
	// is missed, so it is a lower bound.
	Started int

	first map[int]time.Duration // ByPid of the first sample
	seen  map[int]bool          // every process of every sample
}

// WorkingShare is the part of the busiest process's CPU a process must use
// to count as working: a gunicorn master or a reloader that wakes now and
// then uses far less, any worker that serves requests far more.
const WorkingShare = 0.1

// add folds one sample into s.
func (s *Summary) add(u Usage) {
	if s.Samples == 0 {
		s.first = u.ByPid
	}
	for pid := range u.ByPid {
		if s.seen == nil {
			s.seen = map[int]bool{}
		}
		if !s.seen[pid] && s.Samples > 0 {
			s.Started++
		}
		s.seen[pid] = true
	}
	s.Samples++
	s.Last = u
	s.Working = working(s.first, u.ByPid)
	s.Peak.PSS = max(s.Peak.PSS, u.PSS)
	s.Peak.RSS = max(s.Peak.RSS, u.RSS)
	s.Peak.CPU = max(s.Peak.CPU, u.CPU)
	s.Peak.Procs = max(s.Peak.Procs, u.Procs)
}

// working counts the processes of now whose CPU grew since then by at least
// WorkingShare of the largest growth; a process absent from then counts all
// of its CPU.
func working(then, now map[int]time.Duration) int {
	var most time.Duration
	for pid, cpu := range now {
		most = max(most, cpu-then[pid])
	}
	n := 0
	for pid, cpu := range now {
		if most > 0 && float64(cpu-then[pid]) >= WorkingShare*float64(most) {
			n++
		}
	}
	return n
}

// Watcher samples a process group in the background until stopped.
type Watcher struct {
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
	sum      Summary // owned by the sampling goroutine until done is closed
}

// Watch starts sampling process group pgid at once (the first sample is
// taken even if Stop follows immediately) and then every interval
// (about a second in production; a non-positive every means one second),
// until ctx is done or Stop is called. Call Stop in every case: it waits for
// the sampling goroutine and returns what it saw. Stop the watcher before
// stopping the server, or the last samples see an empty group.
func Watch(ctx context.Context, pgid int, every time.Duration) *Watcher {
	return watch(ctx, every, func() (Usage, error) { return Measure(pgid) })
}

func watch(ctx context.Context, every time.Duration, measure func() (Usage, error)) *Watcher {
	if every <= 0 {
		every = time.Second
	}
	w := &Watcher{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if u, err := measure(); err != nil {
				if w.sum.Err == nil {
					w.sum.Err = err
				}
			} else {
				w.sum.add(u)
			}
			select {
			case <-ctx.Done():
				return
			case <-w.stop:
				return
			case <-t.C:
			}
			select { // stopping wins over a tick that was due at the same time
			case <-ctx.Done():
				return
			case <-w.stop:
				return
			default:
			}
		}
	}()
	return w
}

// Stop ends sampling, waits for the sampling goroutine to return, and
// returns the summary. It may be called more than once.
func (w *Watcher) Stop() Summary {
	w.stopOnce.Do(func() { close(w.stop) })
	<-w.done
	return w.sum
}

// InDir returns the live processes whose working directory is dir. Tests
// start each server in a fresh directory, so this finds whatever a test
// left running, whichever process group it ended up in.
func InDir(dir string) ([]int, error) {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if cwd, err := os.Readlink(filepath.Join(procRoot, e.Name(), "cwd")); err == nil &&
			cwd == dir {
			out = append(out, pid)
		}
	}
	return out, nil
}
