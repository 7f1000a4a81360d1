package main

import (
	"context"
	"io"
	"os"
	"path/filepath"

	"github.com/workerbench/workerbench/bench/results"
)

// mergeCmd is "workerbench merge DIR…": the shards of one matrix, each
// measured by a job of its own (--shard I/N), put back together into one
// results.json, summary.md and set of charts with one verdict.
func mergeCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cl := newCmdLine("merge")
	out := cl.fs.String("out", "", "write the merged results.json, summary.md and charts to `DIR`")
	fail := cl.fs.Bool("fail-on-regression", false, "exit 3 when the merged verdict is regressed")
	asJSON := cl.fs.Bool("json", false, jsonUsage)
	paths, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		cl.problemf("merge takes the shards' results: DIR… or results.json…")
	}
	if err := cl.err(); err != nil {
		return err
	}
	runs, err := readShards(paths)
	if err != nil {
		return err
	}
	res, err := results.Merge(runs, paths)
	if err != nil {
		return usageError{err}
	}
	return reportComparison(res, *out, *fail, *asJSON, stdout, stderr)
}

// readShards reads each shard's results.json: the path itself, or
// results.json in it when it is a directory. Each is untrusted input (an
// artifact of another job).
func readShards(paths []string) ([]*results.Run, error) {
	runs := make([]*results.Run, len(paths))
	for i, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			p = filepath.Join(p, "results.json")
		}
		r, err := results.Read(p)
		if err != nil {
			return nil, usagef("shard %d: %w", i+1, err)
		}
		runs[i] = r
	}
	return runs, nil
}
