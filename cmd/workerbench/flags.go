package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench"
)

// cmdLine is one command's flags and what is wrong with its command line.
// It gathers every problem before anything is reported, so that one
// attempt shows them all: a value a flag refuses does not stop the parse,
// and the command adds its own checks (problemf) before err.
type cmdLine struct {
	fs       *flag.FlagSet
	problems []error
}

// newCmdLine returns the command line of the command name (as "workerbench
// help" knows it). The flag package prints nothing: its errors become
// problems, and -h a helpRequest.
func newCmdLine(name string) *cmdLine {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &cmdLine{fs: fs}
}

// parse parses args, flags before, between and after the positional
// arguments (as gh, kubectl and go itself accept them), and returns the
// positional ones. Everything after "--" is positional.
//
// A refused value is kept as a problem and the parse goes on. An unknown
// flag or a flag without its value stops it: what follows may be a value
// or an argument, nobody can tell. Then err is the problems so far, and
// -h or --help is a helpRequest, which run answers on stdout.
func (c *cmdLine) parse(args []string) ([]string, error) {
	c.fs.VisitAll(func(f *flag.Flag) {
		v := f.Value
		if cv, ok := v.(checkedValue); ok {
			v = cv.Value
		}
		f.Value = checkedValue{Value: v, name: f.Name, c: c}
	})
	var pos []string
	for {
		err := c.fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, helpRequest{c.fs}
		}
		rest := c.fs.Args()
		if err != nil {
			c.problems = append(c.problems, c.stopped(err, args[:len(args)-len(rest)]))
			return nil, c.err()
		}
		if len(rest) == 0 {
			return pos, nil
		}
		if consumed := args[:len(args)-len(rest)]; len(consumed) > 0 &&
			consumed[len(consumed)-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// problemf adds a problem with the command line.
func (c *cmdLine) problemf(format string, a ...any) {
	c.problems = append(c.problems, fmt.Errorf(format, a...))
}

// check adds err's problems, each of them (errors.Join's parts) on its own
// and, when it begins with the name of a flag given on the command line
// (as bench.Config.Validate's do: "trials 0: …"), spelled as the flag:
// "--trials 0: …". A value from a config file keeps its key's name.
func (c *cmdLine) check(err error) {
	given := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, e := range leaves(err) {
		msg := e.Error()
		if name, _, _ := strings.Cut(msg, " "); given[strings.TrimSuffix(name, ":")] {
			e = errors.New("--" + msg)
		}
		c.problems = append(c.problems, e)
	}
}

// leaves are err's parts when it joins several (errors.Join), recursively.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	j, ok := err.(interface{ Unwrap() []error })
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range j.Unwrap() {
		out = append(out, leaves(e)...)
	}
	return out
}

// err is every problem, one per line, as a usage error pointing to the
// command's help; nil when there is none.
func (c *cmdLine) err() error {
	if len(c.problems) == 0 {
		return nil
	}
	return seeHelp{usageError{errors.Join(c.problems...)}, c.fs.Name()}
}

// stopped rewrites an error that stopped the flag package's parse, in the
// --flag spelling of the help, with a suggestion for a mistyped flag;
// consumed are the arguments parsed, the bad one last.
func (c *cmdLine) stopped(err error, consumed []string) error {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		c.fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		var hint string
		if why, ok := notHere[c.fs.Name()+" --"+name]; ok {
			hint = ": " + why
		} else if afterCmd(consumed) {
			hint = ": if it is the server's, quote the whole --cmd template"
		} else if s := suggest(name, names); len(s) > 0 {
			hint = "; did you mean --" + strings.Join(s, " or --") + "?"
		}
		return fmt.Errorf("unknown flag --%s%s", name, hint)
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		return fmt.Errorf("--%s needs a value", name)
	}
	if arg, ok := strings.CutPrefix(msg, "bad flag syntax: "); ok {
		return fmt.Errorf("%q is not a flag: write --NAME or --NAME=VALUE", arg)
	}
	return err
}

// notHere says why a command lacks a flag that run has.
var notHere = map[string]string{
	"ab --dir":                   "ab runs base in --base-dir and head in --head-dir",
	"ab --sweep":                 "ab never sweeps (run does)",
	"ab --sweep-max-connections": "ab never sweeps (run does)",
	"ab --sweep-time":            "ab never sweeps (run does)",
}

// afterCmd reports whether the last of args follows a one-word --cmd
// value, as a flag of the server's does in a template left unquoted:
// --cmd gunicorn --bind {bind}.
func afterCmd(args []string) bool {
	n := len(args)
	var value string
	switch {
	case n >= 3 && (args[n-3] == "--cmd" || args[n-3] == "-cmd"):
		value = args[n-2]
	case n >= 2 && strings.HasPrefix(strings.TrimLeft(args[n-2], "-"), "cmd="):
		value = strings.TrimPrefix(strings.TrimLeft(args[n-2], "-"), "cmd=")
	default:
		return false
	}
	return len(strings.Fields(value)) == 1
}

// checkedValue is a flag's value that keeps a refused value as a problem
// of its command line, named by the flag, instead of stopping the parse.
type checkedValue struct {
	flag.Value
	name string
	c    *cmdLine
}

func (v checkedValue) Set(s string) error {
	old := v.Value.String()
	if err := v.Value.Set(s); err != nil {
		v.c.problems = append(v.c.problems, refused(v.name, s, v.Value, err))
		// The flag package's values take a refused value's zero; the
		// default must stand, or it would be reported again as 0.
		_ = v.Value.Set(old)
	}
	return nil
}

func (v checkedValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func (v checkedValue) Get() any {
	if g, ok := v.Value.(flag.Getter); ok {
		return g.Get()
	}
	return nil
}

// refused says why the value s of flag --name was refused: what the flag
// wants for the flag package's own types (their errors say only "parse
// error"), else the flag's error, named by the flag.
func refused(name, s string, v flag.Value, err error) error {
	flagged := fmt.Sprintf("--%s %q", name, s)
	if g, ok := v.(flag.Getter); ok {
		switch g.Get().(type) {
		case time.Duration:
			return fmt.Errorf("%s: want a duration like 5s or 500ms", flagged)
		case bool:
			return fmt.Errorf("%s: want true or false, as --%s=false", flagged, name)
		case int, int64, uint, uint64:
			if errors.Is(err, strconv.ErrRange) || strings.Contains(err.Error(), "out of range") {
				return fmt.Errorf("%s: out of range", flagged)
			}
			return fmt.Errorf("%s: want a whole number", flagged)
		}
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, name+" "): // shard "2": want I/N…
		return errors.New("--" + msg)
	case strings.HasPrefix(msg, strconv.Quote(s)): // "x": want a size…
		return fmt.Errorf("--%s %s", name, msg)
	}
	return fmt.Errorf("%s: %s", flagged, msg)
}

// suggest returns the names a mistyped word most likely meant: those it
// begins, or those within an edit distance of 2 (a transposition counts
// one) that is less than its length, the closest first.
func suggest(word string, names []string) []string {
	best, out := 2, []string(nil)
	for _, n := range names {
		d := distance(word, n)
		if len(word) >= 2 && strings.HasPrefix(n, word) {
			d = 1
		}
		if d >= len(word) || d > best {
			continue
		}
		if d < best {
			best, out = d, nil
		}
		out = append(out, n)
	}
	slices.Sort(out)
	if len(out) > 3 {
		out = out[:3]
	}
	return out
}

// distance is the optimal string alignment distance between a and b: the
// insertions, deletions, substitutions and adjacent transpositions that
// turn one into the other.
func distance(a, b string) int {
	s, t := []rune(a), []rune(b)
	d := make([][]int, len(s)+1)
	for i := range d {
		d[i] = make([]int, len(t)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(s); i++ {
		for j := 1; j <= len(t); j++ {
			cost := 1
			if s[i-1] == t[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && s[i-1] == t[j-2] && s[i-2] == t[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(s)][len(t)]
}

// shardFlag is --shard I/N, bound to a Config's Shard.
type shardFlag struct{ s *bench.Shard }

func (f shardFlag) String() string {
	if f.s == nil || f.s.Count == 0 {
		return ""
	}
	return f.s.String()
}

func (f shardFlag) Set(v string) error {
	s, err := bench.ParseShard(v)
	if err != nil {
		return err
	}
	*f.s = s
	return nil
}
