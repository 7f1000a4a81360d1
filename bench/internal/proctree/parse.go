package proctree

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// stat is the part of /proc/PID/stat that we use. Times are in clock ticks.
type stat struct {
	pid                          int
	comm                         string
	state                        byte
	ppid, pgrp                   int
	utime, stime, cutime, cstime uint64
}

// ticks is the process's CPU time plus that of its reaped children, in clock ticks.
func (s stat) ticks() uint64 { return s.utime + s.stime + s.cutime + s.cstime }

// dead reports whether the process has exited and only its entry remains
// (a zombie waiting to be reaped, or a task being torn down).
func (s stat) dead() bool { return s.state == 'Z' || s.state == 'X' || s.state == 'x' }

// parseStat parses the content of /proc/PID/stat (proc(5)).
//
// comm is the executable name in parentheses and may itself contain spaces and
// parentheses ("(a) b)"), so it extends from the first '(' to the last ')';
// the numeric fields follow the last ')'.
func parseStat(b []byte) (stat, error) {
	var s stat
	open := bytes.IndexByte(b, '(')
	closing := bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return s, errors.New("parse stat: no (comm)")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil || pid <= 0 {
		return s, fmt.Errorf("parse stat: bad pid %q", b[:open])
	}
	s.pid = pid
	s.comm = string(b[open+1 : closing])

	// fields[0] is proc(5) field 3 (state), so field n is fields[n-3].
	fields := bytes.Fields(b[closing+1:])
	const cstimeField = 17
	if len(fields) < cstimeField-2 {
		return s, fmt.Errorf(
			"parse stat: %d fields after comm, want at least %d",
			len(fields),
			cstimeField-2,
		)
	}
	if len(fields[0]) != 1 || !isLetter(fields[0][0]) {
		return s, fmt.Errorf("parse stat: bad state %q", fields[0])
	}
	s.state = fields[0][0]
	ints := []struct {
		field int
		dst   *int
	}{{4, &s.ppid}, {5, &s.pgrp}}
	for _, f := range ints {
		v, err := strconv.ParseInt(string(fields[f.field-3]), 10, 32)
		if err != nil {
			return s, fmt.Errorf("parse stat field %d: %w", f.field, err)
		}
		*f.dst = int(v)
	}
	// utime and stime are unsigned; cutime and cstime are signed in the
	// kernel's format but never negative, and ParseUint rejects a sign.
	times := []struct {
		field int
		dst   *uint64
	}{{14, &s.utime}, {15, &s.stime}, {16, &s.cutime}, {17, &s.cstime}}
	for _, f := range times {
		v, err := strconv.ParseUint(string(fields[f.field-3]), 10, 64)
		if err != nil {
			return s, fmt.Errorf("parse stat field %d: %w", f.field, err)
		}
		*f.dst = v
	}
	return s, nil
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// rollup is the part of /proc/PID/smaps_rollup that we use, in bytes.
type rollup struct {
	pss, rss uint64
}

// parseSmapsRollup parses the content of /proc/PID/smaps_rollup: the "Rss:"
// and "Pss:" lines, in kB. Lines such as "Pss_Anon:" are not "Pss:".
// An empty file (a kernel thread, or a process that exited while being read)
// is zero usage; a non-empty one must carry both lines.
func parseSmapsRollup(b []byte) (rollup, error) {
	var r rollup
	if len(bytes.TrimSpace(b)) == 0 {
		return r, nil
	}
	var haveRss, havePss bool
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue // the header line: "start-end perms offset dev inode [rollup]"
		}
		var dst *uint64
		switch string(key) {
		case "Rss":
			dst, haveRss = &r.rss, true
		case "Pss":
			dst, havePss = &r.pss, true
		default:
			continue
		}
		v, err := parseKB(rest)
		if err != nil {
			return r, fmt.Errorf("parse smaps_rollup %s: %w", key, err)
		}
		*dst = v
	}
	if !haveRss || !havePss {
		return r, errors.New("parse smaps_rollup: no Rss or Pss line")
	}
	return r, nil
}

// parseKB parses "   1708 kB" into bytes.
func parseKB(b []byte) (uint64, error) {
	f := bytes.Fields(b)
	if len(f) != 2 || string(f[1]) != "kB" {
		return 0, fmt.Errorf("want \"N kB\", got %q", bytes.TrimSpace(b))
	}
	v, err := strconv.ParseUint(string(f[0]), 10, 64)
	if err != nil {
		return 0, err
	}
	if v > (1<<64-1)/1024 {
		return 0, fmt.Errorf("%d kB overflows", v)
	}
	return v * 1024, nil
}
