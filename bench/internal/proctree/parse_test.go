package proctree

import (
	"fmt"
	"strings"
	"testing"
)

// statLine builds a /proc/PID/stat line with the given comm and times; the
// other fields are what the kernel writes for an ordinary process.
func statLine(
	pid int,
	comm string,
	state byte,
	ppid, pgrp int,
	utime, stime, cutime, cstime uint64,
) string {
	return fmt.Sprintf(
		"%d (%s) %c %d %d %d 0 -1 4194304 103 0 0 0 %d %d %d %d 20 0 1 0 41920 3133440 385 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		pid,
		comm,
		state,
		ppid,
		pgrp,
		pgrp,
		utime,
		stime,
		cutime,
		cstime,
	)
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    stat
		wantErr string
	}{
		{
			name: "real cat",
			in:   "7505 (cat) R 7502 7502 2880 0 -1 4194304 103 0 0 0 3 4 5 6 20 0 1 0 41920 3133440 385 18446744073709551615 94089120849920 94089120869801 140729290497920 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 94089120885808 94089120887424 94089564307456 140729290500804 140729290500824 140729290500824 140729290502123 0\n",
			want: stat{
				pid:    7505,
				comm:   "cat",
				state:  'R',
				ppid:   7502,
				pgrp:   7502,
				utime:  3,
				stime:  4,
				cutime: 5,
				cstime: 6,
			},
		},
		{
			name: "comm with spaces and parentheses",
			in:   statLine(42, "gunicorn: worker [app:app]", 'S', 41, 41, 10, 20, 30, 40),
			want: stat{
				pid:    42,
				comm:   "gunicorn: worker [app:app]",
				state:  'S',
				ppid:   41,
				pgrp:   41,
				utime:  10,
				stime:  20,
				cutime: 30,
				cstime: 40,
			},
		},
		{
			name: "comm that looks like fields",
			in:   statLine(7, ") R 1 1 (x", 'S', 1, 99, 1, 2, 3, 4),
			want: stat{
				pid:    7,
				comm:   ") R 1 1 (x",
				state:  'S',
				ppid:   1,
				pgrp:   99,
				utime:  1,
				stime:  2,
				cutime: 3,
				cstime: 4,
			},
		},
		{
			name: "empty comm and zombie",
			in:   statLine(8, "", 'Z', 1, 8, 0, 0, 0, 0),
			want: stat{pid: 8, comm: "", state: 'Z', ppid: 1, pgrp: 8},
		},
		{
			name: "kernel thread",
			in:   "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 2 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			want: stat{pid: 2, comm: "kthreadd", state: 'S', stime: 1},
		},
		{
			name: "only up to cstime",
			in:   "9 (a) S 1 9 9 0 -1 0 0 0 0 0 1 2 3 4",
			want: stat{
				pid:    9,
				comm:   "a",
				state:  'S',
				ppid:   1,
				pgrp:   9,
				utime:  1,
				stime:  2,
				cutime: 3,
				cstime: 4,
			},
		},
		{name: "empty", in: "", wantErr: "no (comm)"},
		{
			name:    "no closing parenthesis",
			in:      "9 (a S 1 9 9 0 -1 0 0 0 0 0 1 2 3 4",
			wantErr: "no (comm)",
		},
		{name: "no pid", in: "(a) S 1 9 9 0 -1 0 0 0 0 0 1 2 3 4", wantErr: "bad pid"},
		{name: "zero pid", in: "0 (a) S 1 9 9 0 -1 0 0 0 0 0 1 2 3 4", wantErr: "bad pid"},
		{name: "truncated", in: "9 (a) S 1 9 9 0 -1 0 0 0 0 0 1 2 3", wantErr: "fields after comm"},
		{name: "long state", in: "9 (a) SS 1 9 9 0 -1 0 0 0 0 0 1 2 3 4", wantErr: "bad state"},
		{
			name:    "state not a letter",
			in:      "9 (a) 1 1 9 9 0 -1 0 0 0 0 0 1 2 3 4",
			wantErr: "bad state",
		},
		{name: "bad pgrp", in: "9 (a) S 1 x 9 0 -1 0 0 0 0 0 1 2 3 4", wantErr: "field 5"},
		{name: "negative cutime", in: "9 (a) S 1 9 9 0 -1 0 0 0 0 0 1 2 -3 4", wantErr: "field 16"},
		{
			name:    "huge utime",
			in:      "9 (a) S 1 9 9 0 -1 0 0 0 0 0 18446744073709551616 2 3 4",
			wantErr: "field 14",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf(
						"parseStat(%q) error = %v, want one containing %q",
						tt.in,
						err,
						tt.wantErr,
					)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseStat(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("parseStat(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add(statLine(7505, "cat", 'R', 7502, 7502, 3, 4, 5, 6))
	f.Add(statLine(42, "gunicorn: worker [app:app]", 'S', 41, 41, 10, 20, 30, 40))
	f.Add(statLine(7, ") R 1 1 (x", 'S', 1, 99, 1, 2, 3, 4))
	f.Add(statLine(8, "", 'Z', 1, 8, 0, 0, 0, 0))
	f.Add("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 1 0 0 20 0 1 0 2 0 0")
	f.Add("9 (a) S 1 9 9 0 -1 0 0 0 0 0 1 2 -3 4")
	f.Add("9 (a S 1 9 9")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := parseStat([]byte(in))
		if err != nil {
			return
		}
		if s.pid <= 0 {
			t.Fatalf("parseStat(%q) accepted pid %d", in, s.pid)
		}
		if !strings.Contains(in, "("+s.comm+")") {
			t.Fatalf("parseStat(%q): comm %q is not between parentheses of the input", in, s.comm)
		}
		// What parses must survive being written back the kernel's way.
		again, err := parseStat(
			[]byte(
				statLine(
					s.pid,
					s.comm,
					s.state,
					s.ppid,
					s.pgrp,
					s.utime,
					s.stime,
					s.cutime,
					s.cstime,
				),
			),
		)
		if err != nil {
			t.Fatalf("parseStat(%q) = %+v, which does not parse back: %v", in, s, err)
		}
		if again != s {
			t.Fatalf("parseStat(%q) = %+v, round trip gives %+v", in, s, again)
		}
	})
}

func TestParseSmapsRollup(t *testing.T) {
	const real = `55abbef71000-7ffdd33f3000 ---p 00000000 00:00 0                          [rollup]
Rss:                1708 kB
Pss:                 384 kB
Pss_Dirty:           112 kB
Pss_Anon:            112 kB
Pss_File:            272 kB
Pss_Shmem:             0 kB
Shared_Clean:       1516 kB
Private_Dirty:       112 kB
Swap:                  0 kB
SwapPss:               0 kB
`
	tests := []struct {
		name    string
		in      string
		want    rollup
		wantErr string
	}{
		{name: "real", in: real, want: rollup{pss: 384 << 10, rss: 1708 << 10}},
		{
			name: "Pss before Rss, no header, no final newline",
			in:   "Pss: 1 kB\nRss: 2 kB",
			want: rollup{pss: 1 << 10, rss: 2 << 10},
		},
		{name: "empty (kernel thread or exited)", in: "", want: rollup{}},
		{name: "blank", in: "\n", want: rollup{}},
		{
			name:    "no Pss, only Pss_Anon",
			in:      "Rss: 2 kB\nPss_Anon: 1 kB\n",
			wantErr: "no Rss or Pss",
		},
		{name: "no Rss", in: "Pss: 1 kB\n", wantErr: "no Rss or Pss"},
		{name: "unit", in: "Rss: 2 MB\nPss: 1 kB\n", wantErr: "parse smaps_rollup Rss"},
		{name: "not a number", in: "Rss: 2 kB\nPss: x kB\n", wantErr: "parse smaps_rollup Pss"},
		{name: "overflow", in: "Rss: 18446744073709551615 kB\nPss: 1 kB\n", wantErr: "overflows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSmapsRollup([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSmapsRollup error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseSmapsRollup: %v", err)
			}
			if got != tt.want {
				t.Errorf("parseSmapsRollup = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseSmapsRollup(f *testing.F) {
	f.Add("x [rollup]\nRss: 1708 kB\nPss: 384 kB\nPss_Anon: 112 kB\n")
	f.Add("Pss: 1 kB\nRss: 2 kB")
	f.Add("")
	f.Add("Rss: 18446744073709551615 kB\nPss: 1 kB\n")
	f.Fuzz(func(t *testing.T, in string) {
		r, err := parseSmapsRollup([]byte(in))
		if err == nil && (r.pss%1024 != 0 || r.rss%1024 != 0) {
			t.Fatalf("parseSmapsRollup(%q) = %+v, not whole kB", in, r)
		}
	})
}
