package proctree

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// Proc is a live process: its ID and process group.
type Proc struct {
	PID, PGID int
	Cmdline   string // arguments joined by spaces; "" for a kernel thread
}

// WithEnv returns the live processes whose environment holds the entry kv
// ("KEY=VALUE"), as their own /proc/PID/environ records it. A server is
// started with a unique entry, which every process it forks inherits, so
// this finds its descendants even after they left its process group
// (setsid: a server that went to the background) and were reparented.
// Processes whose environment we may not read are skipped.
func WithEnv(kv string) ([]Proc, error) {
	return withEnv(procRoot, kv)
}

func withEnv(root, kv string) ([]Proc, error) {
	d, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, err
	}
	want := []byte(kv)
	var out []Proc
	for _, name := range names {
		if name == "" || name[0] < '0' || name[0] > '9' {
			continue
		}
		env, err := os.ReadFile(filepath.Join(root, name, "environ"))
		if err != nil || !hasEntry(env, want) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, name, "stat"))
		if err != nil {
			continue
		}
		s, err := parseStat(b)
		if err != nil || s.dead() {
			continue
		}
		out = append(out, Proc{PID: s.pid, PGID: s.pgrp, Cmdline: Cmdline(s.pid)})
	}
	return out, nil
}

// hasEntry reports whether the NUL-separated environment env holds kv.
func hasEntry(env, kv []byte) bool {
	for len(env) > 0 {
		e, rest, _ := bytes.Cut(env, []byte{0})
		if bytes.Equal(e, kv) {
			return true
		}
		env = rest
	}
	return false
}

// Members returns the live processes of process group pgid with their
// command lines.
func Members(pgid int) ([]Proc, error) {
	stats, err := scan(procRoot, pgid)
	if err != nil {
		return nil, err
	}
	var out []Proc
	for _, s := range stats {
		if !s.dead() {
			out = append(out, Proc{PID: s.pid, PGID: s.pgrp, Cmdline: Cmdline(s.pid)})
		}
	}
	return out, nil
}

// Cmdline returns the command line of pid, arguments joined by spaces, or
// "" when it cannot be read. Servers often rewrite it to describe the
// process ("puma: cluster worker 0: 1234 [app]").
func Cmdline(pid int) string {
	return cmdline(procRoot, pid)
}

func cmdline(root string, pid int) string {
	b, err := os.ReadFile(filepath.Join(root, strconv.Itoa(pid), "cmdline"))
	if err != nil {
		return ""
	}
	b = bytes.TrimRight(b, "\x00")
	return string(bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
}

// Alive reports whether pid is a live process (not a zombie).
func Alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s, err := parseStat(b)
	return err == nil && !s.dead()
}
