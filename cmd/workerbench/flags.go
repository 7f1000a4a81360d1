package main

import (
	"errors"
	"flag"

	"github.com/workerbench/workerbench/bench"
)

// parse parses args with fs, flags before, between and after the
// positional arguments (as gh, kubectl and go itself accept them), and
// returns the positional ones. Everything after "--" is positional.
// Errors are usageErrors, but flag.ErrHelp after fs printed its usage,
// which exitCode treats as success: every command returns it as is.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usageError{err}
		}
		rest := fs.Args()
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
