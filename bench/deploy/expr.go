package deploy

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// This file evaluates the few expressions configuration files use for
// workers and threads, in Go: numbers and strings, + - * / // %, and, or,
// comparisons, the CPU count (multiprocessing.cpu_count(), os.cpu_count(),
// len(os.sched_getaffinity(0)), Etc.nprocessors,
// Concurrent.processor_count), the environment (os.environ.get,
// os.getenv, os.environ[...], ENV.fetch with a default or a block, ENV[...])
// and conversions (int, Integer, to_i, str, to_s, max, min). Anything else
// is an error naming it: nothing in a file is ever run.

// value is what an expression evaluates to: a number, a string, a boolean
// or nothing (None, nil, an unset variable).
type value struct {
	kind byte // 'n' number, 's' string, 'b' boolean, 0 nothing
	n    float64
	s    string
}

func num(n float64) value { return value{kind: 'n', n: n} }

func (v value) truthy() bool {
	switch v.kind {
	case 'n':
		return v.n != 0
	case 's':
		return v.s != ""
	case 'b':
		return v.n != 0
	}
	return false
}

// integer converts v as int() and Integer() do: a number truncated, a
// string of digits parsed.
func (v value) integer() (int, error) {
	switch v.kind {
	case 'n':
		if math.IsNaN(v.n) || math.Abs(v.n) > 1e9 {
			return 0, fmt.Errorf("%g is out of range", v.n)
		}
		return int(v.n), nil
	case 's':
		n, err := strconv.Atoi(strings.TrimSpace(v.s))
		if err != nil {
			return 0, fmt.Errorf("%q is not a whole number", v.s)
		}
		return n, nil
	case 'b':
		return int(v.n), nil
	}
	return 0, errors.New("it has no value")
}

// node is an expression, evaluated for a CPU count (the environment is read
// when the expression is parsed).
type node interface {
	eval(cpus int) (value, error)
}

type (
	literal  value
	cpuCount struct{}
	negate   struct{ x node }
	binary   struct {
		op   string
		l, r node
		ruby bool // integer division for whole numbers
	}
	// call is a conversion or min/max.
	call struct {
		fn   string
		args []node
	}
	// failed is an expression that cannot be evaluated; the error says why.
	failed struct{ err error }
	// choice is "x if cond else y", and a Ruby statement's "if"/"unless".
	choice struct{ cond, yes, no node }
)

func (l literal) eval(int) (value, error) { return value(l), nil }

func (cpuCount) eval(cpus int) (value, error) { return num(float64(cpus)), nil }

func (f failed) eval(int) (value, error) { return value{}, f.err }

func (n negate) eval(cpus int) (value, error) {
	v, err := n.x.eval(cpus)
	if err != nil {
		return v, err
	}
	if v.kind != 'n' {
		return value{}, errors.New("minus of a value that is not a number")
	}
	return num(-v.n), nil
}

func (c choice) eval(cpus int) (value, error) {
	cond, err := c.cond.eval(cpus)
	if err != nil {
		return value{}, err
	}
	if cond.truthy() {
		return c.yes.eval(cpus)
	}
	return c.no.eval(cpus)
}

func (b binary) eval(cpus int) (value, error) {
	l, err := b.l.eval(cpus)
	if err != nil {
		return value{}, err
	}
	switch b.op {
	case "or", "||":
		if l.truthy() {
			return l, nil
		}
		return b.r.eval(cpus)
	case "and", "&&":
		if !l.truthy() {
			return l, nil
		}
		return b.r.eval(cpus)
	}
	r, err := b.r.eval(cpus)
	if err != nil {
		return value{}, err
	}
	switch b.op {
	case "==", "!=":
		eq := l.kind == r.kind && l.n == r.n && l.s == r.s
		return truth(eq == (b.op == "==")), nil
	}
	if l.kind == 's' && r.kind == 's' && b.op == "+" {
		return value{kind: 's', s: l.s + r.s}, nil
	}
	if l.kind != 'n' || r.kind != 'n' {
		return value{}, fmt.Errorf("%s of values that are not both numbers", b.op)
	}
	x, y := l.n, r.n
	switch b.op {
	case "+":
		return num(x + y), nil
	case "-":
		return num(x - y), nil
	case "*":
		return num(x * y), nil
	case "<":
		return truth(x < y), nil
	case "<=":
		return truth(x <= y), nil
	case ">":
		return truth(x > y), nil
	case ">=":
		return truth(x >= y), nil
	}
	if y == 0 {
		return value{}, errors.New("division by zero")
	}
	switch b.op {
	case "/":
		if b.ruby && x == math.Trunc(x) && y == math.Trunc(y) {
			return num(math.Floor(x / y)), nil
		}
		return num(x / y), nil
	case "//":
		return num(math.Floor(x / y)), nil
	case "%":
		return num(x - y*math.Floor(x/y)), nil
	}
	return value{}, fmt.Errorf("operator %s", b.op)
}

func truth(b bool) value {
	if b {
		return value{kind: 'b', n: 1}
	}
	return value{kind: 'b'}
}

func (c call) eval(cpus int) (value, error) {
	args := make([]value, len(c.args))
	for i, a := range c.args {
		v, err := a.eval(cpus)
		if err != nil {
			return value{}, err
		}
		args[i] = v
	}
	switch c.fn {
	case "int", "Integer":
		n, err := args[0].integer()
		if err != nil {
			return value{}, fmt.Errorf("%s(): %w", c.fn, err)
		}
		return num(float64(n)), nil
	case "to_i":
		// Ruby's to_i reads leading digits and is 0 for anything else.
		if args[0].kind == 's' {
			s := strings.TrimSpace(args[0].s)
			end := 0
			for end < len(s) && (s[end] >= '0' && s[end] <= '9' || end == 0 && s[end] == '-') {
				end++
			}
			n, _ := strconv.Atoi(s[:end])
			return num(float64(n)), nil
		}
		n, _ := args[0].integer()
		return num(float64(n)), nil
	case "str", "to_s":
		if args[0].kind == 'n' {
			return value{kind: 's', s: strconv.FormatFloat(args[0].n, 'f', -1, 64)}, nil
		}
		return args[0], nil
	case "max", "min":
		best := args[0]
		for _, a := range args {
			if a.kind != 'n' || best.kind != 'n' {
				return value{}, fmt.Errorf("%s() of values that are not numbers", c.fn)
			}
			if c.fn == "max" && a.n > best.n || c.fn == "min" && a.n < best.n {
				best = a
			}
		}
		return best, nil
	}
	return value{}, fmt.Errorf("%s() is not something workerbench evaluates", c.fn)
}
