package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		err  bool
	}{
		{"1/1", Shard{1, 1}, false}, {"2/4", Shard{2, 4}, false}, {" 3/3 ", Shard{3, 3}, false},
		{"0/4", Shard{}, true}, {"5/4", Shard{}, true}, {"2", Shard{}, true}, {"a/b", Shard{}, true}, {"1/0", Shard{}, true},
	} {
		got, err := ParseShard(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseShard(%q) = %v, %v", tt.in, got, err)
		}
	}
}

// TestSplit: for every shard count from 1 to one more than the units, the
// split is deterministic, covers every unit exactly once, and is balanced
// (shards differ by at most one unit and one boot).
func TestSplit(t *testing.T) {
	matrix, _ := ParseMatrix("1x1,1x3,3x1,3x3,2x2,4x4,8x1", 2)
	for endpoints := 1; endpoints <= 3; endpoints++ {
		units := len(matrix) * endpoints
		for n := 1; n <= units+1; n++ {
			s := split(matrix, endpoints, n)
			if !reflect.DeepEqual(s, split(matrix, endpoints, n)) {
				t.Fatalf("%d endpoints, %d shards: not deterministic", endpoints, n)
			}
			seen := map[string]int{}
			lo, hi := 1e9, 0.0
			for _, shard := range s {
				load := 0.0
				booted := map[Shape]bool{}
				for _, u := range shard {
					seen[fmt.Sprint(u)]++
					load += unitCost
					if !booted[u.shape] {
						load += bootCost
						booted[u.shape] = true
					}
				}
				lo, hi = min(lo, load), max(hi, load)
			}
			if len(seen) != units {
				t.Fatalf("%d endpoints, %d shards: %d units covered, want %d", endpoints, n, len(seen), units)
			}
			for u, k := range seen {
				if k != 1 {
					t.Fatalf("%d endpoints, %d shards: unit %s in %d shards", endpoints, n, u, k)
				}
			}
			if n <= units && hi-lo > unitCost+bootCost {
				t.Errorf("%d endpoints, %d shards: loads from %.1f to %.1f", endpoints, n, lo, hi)
			}
		}
	}
}

// TestRunShards runs every shard of a 3-shape, 2-endpoint matrix for real
// (the K-slot server, short windows): each shard measures exactly the units
// split gives it and boots only the shapes they belong to, every shard
// records the whole matrix's cell names, the shards together measure every
// cell once, and their merge has the whole matrix in its order. A shard
// with nothing to do is valid: it saves results with no cells and boots
// nothing.
func TestRunShards(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := slotServerCommand(t, 2*time.Millisecond)
	cfg := DefaultConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 1}, {1, 2}, {2, 1}}
	cfg.Endpoints = []Endpoint{{Name: "a", Path: "/?e=a"}, {Name: "b", Path: "/?e=b"}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup, cfg.Sequential = 100*time.Millisecond, 0, 5
	cfg.Dir = t.TempDir()
	all := []string{"1x1 a", "1x1 b", "1x2 a", "1x2 b", "2x1 a", "2x1 b"}

	for _, n := range []int{2, 7} {
		var runs []*results.Run
		var names []string
		for i := 1; i <= n; i++ {
			c := cfg
			c.Shard = Shard{Index: i, Count: n}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			logDir := filepath.Join(t.TempDir(), "logs")
			var saved *results.Run
			r := &Runner{Config: &c, LogDir: logDir, Progress: testWriter{t},
				Save: func(res *results.Run) error { saved = res; return nil }}
			res, err := r.Run(context.Background())
			assertNoProcesses(t, cfg.Dir)
			if err != nil {
				t.Fatalf("shard %d/%d: %v", i, n, err)
			}
			if saved == nil {
				t.Errorf("shard %d/%d: results never saved", i, n)
			}
			want := split(cfg.Matrix, len(cfg.Endpoints), n)[i-1]
			var wantCells []string
			wantLogs := []string{}
			for _, u := range want {
				wantCells = append(wantCells, c.blankCell(u.shape, c.Endpoints[u.endpoint]).Name())
				if log := "server-" + u.shape.String() + ".log"; !slices.Contains(wantLogs, log) {
					wantLogs = append(wantLogs, log)
				}
			}
			var got []string
			for _, cell := range res.Cells {
				got = append(got, cell.Name())
			}
			if !slices.Equal(got, wantCells) {
				t.Errorf("shard %d/%d measured %v, want %v", i, n, got, wantCells)
			}
			if res.Shard == nil || res.Shard.Index != i || res.Shard.Count != n ||
				!slices.Equal(res.Shard.Cells, all) {
				t.Errorf("shard %d/%d: results.shard %+v, want %d/%d of %v",
					i, n, res.Shard, i, n, all)
			}
			ents, _ := os.ReadDir(logDir)
			booted := []string{}
			for _, e := range ents {
				booted = append(booted, e.Name())
			}
			slices.Sort(booted)
			slices.Sort(wantLogs)
			if !slices.Equal(booted, wantLogs) {
				t.Errorf("shard %d/%d booted %v, want %v", i, n, booted, wantLogs)
			}
			runs, names = append(runs, res), append(names, fmt.Sprintf("shard-%d", i))
		}
		m, err := results.Merge(runs, names)
		if err != nil {
			t.Fatalf("%d shards: merge: %v", n, err)
		}
		var got []string
		for _, c := range m.Cells {
			got = append(got, c.Name())
		}
		if !slices.Equal(got, all) || len(m.Missing) != 0 {
			t.Errorf("%d shards merged: cells %v, missing %v; want %v", n, got, m.Missing, all)
		}
	}
}

// TestABShard: a comparison measures only its shard's cells, pairing base
// and head within it, and records the shard.
func TestABShard(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	cmd, env := slotServerCommand(t, 2*time.Millisecond)
	cfg := DefaultABConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Matrix = []Shape{{1, 1}, {1, 2}, {2, 1}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup, cfg.Sequential, cfg.Trials = 100*time.Millisecond, 0, 5, 2
	cfg.Dir = t.TempDir()
	cfg.Shard = Shard{Index: 2, Count: 2}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := DefaultABOptions()
	o.BaseDir, o.HeadDir, o.Seed, o.MaxPairs, o.ConfirmPairs = cfg.Dir, cfg.Dir, 1, 2, 0
	a := newAB(t, Runner{Config: &cfg, LogDir: filepath.Join(t.TempDir(), "logs")}, o)
	res, err := a.Run(context.Background())
	assertNoProcesses(t, cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Cells {
		got = append(got, c.Name())
		if c.Base == nil || c.Pairs != 2 {
			t.Errorf("%s: base %v, %d pairs: want paired within the shard",
				c.Name(), c.Base, c.Pairs)
		}
	}
	// split: 1x1 to shard 1, 1x2 to shard 2, 2x1 to shard 1.
	if strings.Join(got, " ") != "1x2" || res.Shard == nil ||
		strings.Join(res.Shard.Cells, " ") != "1x1 1x2 2x1" || res.Verdict == "" {
		t.Errorf("shard 2/2: cells %v, shard %+v, verdict %q", got, res.Shard, res.Verdict)
	}
}
