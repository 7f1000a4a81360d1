package bench

import (
	"fmt"
	"reflect"
	"testing"
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
