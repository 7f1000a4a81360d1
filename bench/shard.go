package bench

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// Shard is one part of a matrix split across jobs, run with --shard I/N:
// each job boots and measures only its part, on a runner of its own, with
// base and head paired within it, and `workerbench merge` puts the parts
// back together. A base measured on one runner is never paired with a head
// measured on another: runners differ by several percent.
type Shard struct {
	Index, Count int // 1 ≤ Index ≤ Count
}

// ParseShard parses "I/N".
func ParseShard(s string) (Shard, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: want I/N, like 2/4 for the second of four", s)
	}
	if count < 1 || count > 1000 || index < 1 || index > count {
		return Shard{}, fmt.Errorf("shard %q: want 1 ≤ I ≤ N ≤ 1000", s)
	}
	return Shard{Index: index, Count: count}, nil
}

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// unit is a piece of the work a shard can take: one endpoint of one shape.
type unit struct {
	shape    Shape
	endpoint int
}

// Costs of the split, in measurements of one endpoint: a shard that boots a
// shape pays for the boot and the service time too, so a shape's endpoints
// stay together when that keeps the shards balanced.
const (
	unitCost = 1.0
	bootCost = 0.5
)

// split assigns every endpoint of every shape to one of n shards,
// deterministically: in matrix order, each to the shard with the least
// expected cost so far (a boot costs extra unless the shard already runs
// that shape), the lowest index on a tie. Every unit lands in exactly one
// shard; a shard may be empty when there are more shards than units.
func split(matrix []Shape, endpoints, n int) [][]unit {
	shards := make([][]unit, n)
	load := make([]float64, n)
	booted := make([]map[Shape]bool, n)
	for i := range booted {
		booted[i] = map[Shape]bool{}
	}
	cost := func(i int, s Shape) float64 {
		if booted[i][s] {
			return unitCost
		}
		return unitCost + bootCost
	}
	for _, s := range matrix {
		for e := range endpoints {
			best := 0
			for i := 1; i < n; i++ {
				if load[i]+cost(i, s) < load[best]+cost(best, s) {
					best = i
				}
			}
			load[best] += cost(best, s)
			booted[best][s] = true
			shards[best] = append(shards[best], unit{shape: s, endpoint: e})
		}
	}
	return shards
}

// shapeWork is what a run measures of one shape: its index in the whole
// matrix (which seeds its pair order, so a shard draws the same orders as
// an unsharded run would) and the indexes of its endpoints.
type shapeWork struct {
	index     int
	shape     Shape
	endpoints []int
}

// work is what this run measures, in matrix order: every endpoint of every
// shape, or with Shard set only its part of the split. A shape whose
// endpoints all went to other shards is left out, so it is never booted.
func (c *Config) work() []shapeWork {
	var out []shapeWork
	if c.Shard.Count == 0 {
		all := make([]int, len(c.Endpoints))
		for e := range all {
			all[e] = e
		}
		for i, s := range c.Matrix {
			out = append(out, shapeWork{index: i, shape: s, endpoints: all})
		}
		return out
	}
	mine := split(c.Matrix, len(c.Endpoints), c.Shard.Count)[c.Shard.Index-1]
	for i, s := range c.Matrix {
		var eps []int
		for _, u := range mine {
			if u.shape == s {
				eps = append(eps, u.endpoint)
			}
		}
		if len(eps) > 0 {
			out = append(out, shapeWork{index: i, shape: s, endpoints: eps})
		}
	}
	return out
}

// shardOf records the shard in results: which part this run measured, and
// the name of every cell of the whole matrix, so that a merge can name the
// cells no shard measured. nil without a shard.
func (c *Config) shardOf() *results.Shard {
	if c.Shard.Count == 0 {
		return nil
	}
	s := &results.Shard{Index: c.Shard.Index, Count: c.Shard.Count}
	for _, shape := range c.Matrix {
		for _, e := range c.Endpoints {
			s.Cells = append(s.Cells, c.blankCell(shape, e).Name())
		}
	}
	return s
}
