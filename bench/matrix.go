package bench

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxDimension bounds workers and threads per cell: beyond it a typo (3x300)
// would fork hundreds of processes on a CI runner.
const MaxDimension = 256

// Shape is one cell of the matrix: how many worker processes and how many
// threads per worker the server is started with.
type Shape struct {
	Workers int
	Threads int
}

// Slots is the configured concurrency, workers × threads.
func (s Shape) Slots() int { return s.Workers * s.Threads }

// String formats the shape as the matrix syntax, "WxT".
func (s Shape) String() string { return fmt.Sprintf("%dx%d", s.Workers, s.Threads) }

// ParseMatrix parses a comma-separated list of WORKERSxTHREADS cells, such
// as "1x1,1x3,3x1,3x3". "auto" picks a matrix for the host's cpus. Cells
// keep the order given; a repeated cell is an error.
func ParseMatrix(s string, cpus int) ([]Shape, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("matrix is empty: give cells like 1x1,1x3,3x1,3x3")
	}
	if s == "auto" {
		return AutoMatrix(cpus), nil
	}
	var out []Shape
	seen := map[Shape]bool{}
	for _, f := range strings.Split(s, ",") {
		sh, err := ParseShape(f)
		if err != nil {
			return nil, err
		}
		if seen[sh] {
			return nil, fmt.Errorf("matrix cell %s appears twice", sh)
		}
		seen[sh] = true
		out = append(out, sh)
	}
	return out, nil
}

// ParseShape parses one matrix cell, "WORKERSxTHREADS".
func ParseShape(f string) (Shape, error) {
	f = strings.TrimSpace(f)
	w, t, ok := strings.Cut(strings.ToLower(f), "x")
	if !ok {
		return Shape{}, fmt.Errorf("matrix cell %q: want WORKERSxTHREADS, like 3x2", f)
	}
	workers, err := parseDimension(f, "workers", w)
	if err != nil {
		return Shape{}, err
	}
	threads, err := parseDimension(f, "threads", t)
	if err != nil {
		return Shape{}, err
	}
	return Shape{Workers: workers, Threads: threads}, nil
}

func parseDimension(cell, name, s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf(
			"matrix cell %q: %s missing: want WORKERSxTHREADS, like 3x2",
			cell,
			name,
		)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("matrix cell %q: %s %q is not a whole number", cell, name, s)
	}
	if n < 1 || n > MaxDimension {
		return 0, fmt.Errorf(
			"matrix cell %q: %s must be between 1 and %d",
			cell,
			name,
			MaxDimension,
		)
	}
	return n, nil
}

// AutoMatrix is the default grid for a host with cpus cores: one worker,
// gunicorn's recommended 2 × cores + 1 workers, and 1 and 4 threads each —
// enough to show what workers and threads each buy.
func AutoMatrix(cpus int) []Shape {
	rec := 2*max(cpus, 1) + 1
	return []Shape{{1, 1}, {1, 4}, {rec, 1}, {rec, 4}}
}

// FormatMatrix formats shapes back into the matrix syntax.
func FormatMatrix(m []Shape) string {
	parts := make([]string, len(m))
	for i, s := range m {
		parts[i] = s.String()
	}
	return strings.Join(parts, ",")
}
