// Command workerbench measures how many requests a web server really serves
// at once under a matrix of worker × thread configurations, and whether a
// change made that worse. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/workerbench/workerbench/bench"
	"github.com/workerbench/workerbench/bench/report"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	go func() { // lives until the first signal, or until main exits
		<-interrupts
		fmt.Fprintln(
			os.Stderr,
			"\nworkerbench: interrupted: stopping the servers and saving the results (interrupt again to kill them at once)",
		)
		// A second signal takes its default action and ends this process
		// at once; each server's watchdog then kills its whole group.
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		cancel()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	cancel()
	// An error can quote an artifact (a shard's command, a bad field).
	os.Exit(exitCode(err, report.NewCommandGuard(os.Stderr)))
}

// Exit codes, as documented in the README.
const (
	exitOK         = 0
	exitError      = 1
	exitUsage      = 2
	exitRegression = 3
)

// usageError marks a mistake in how the command was invoked.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// errRegression is returned when --fail-on-regression finds a regression.
var errRegression = errors.New("throughput regressed")

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) { // -h printed the usage
		return exitOK
	}
	fmt.Fprintf(stderr, "workerbench: %v\n", err)
	var u usageError
	switch {
	case errors.As(err, &u), errors.As(err, new(*bench.SetupError)):
		return exitUsage
	case errors.Is(err, errRegression):
		return exitRegression
	default:
		return exitError
	}
}

const usage = `workerbench measures the concurrency a web server achieves under a matrix of
worker × thread configurations.

Usage:
  workerbench run     --cmd TEMPLATE --matrix 1x1,1x3,3x1,3x3 [flags]
  workerbench ab      --base-dir DIR --head-dir DIR [run's flags] [--threshold 5%] [--fail-on-regression]
  workerbench compare BASE.json HEAD.json [--threshold 5%] [--fail-on-regression]
  workerbench merge   DIR… [--out DIR]   put the shards of a matrix back together
  workerbench plot    RESULTS.json --out DIR
  workerbench demo    [--out DIR]   the seed experiment on the bundled Flask example
  workerbench action  the GitHub Action's entry point (INPUT_* and GITHUB_* variables)
  workerbench publish [--dir DIR]   comment a results artifact from a workflow_run job
  workerbench history add --history DIR RESULTS.json   record a push (or --branch BRANCH)
  workerbench trend   --history DIR --out DIR   trend charts and change points (or --branch BRANCH)
  workerbench version  the version, commit and Go version (also --version)
  workerbench help    [COMMAND]

Run "workerbench help run" for the flags.
`

func run(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
	// Everything printed may quote an artifact or a pull request's server;
	// in a GitHub Actions log none of it may start a workflow command. The
	// action's annotations are written under the guard (publish.Actions).
	stdout, stderr = report.NewCommandGuard(stdout), report.NewCommandGuard(stderr)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usagef("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "ab":
		return abCmd(ctx, rest, stdout, stderr)
	case "compare":
		return compareCmd(ctx, rest, stdout, stderr)
	case "merge":
		return mergeCmd(ctx, rest, stdout, stderr)
	case "plot":
		return plotCmd(ctx, rest, stdout, stderr)
	case "demo":
		return demoCmd(ctx, rest, stdout, stderr)
	case "action":
		return actionCmd(ctx, rest, getenv, stdout, stderr)
	case "publish":
		return publishCmd(ctx, rest, getenv, stdout, stderr)
	case "history":
		return historyCmd(ctx, rest, getenv, stdout, stderr)
	case "trend":
		return trendCmd(ctx, rest, stdout, stderr)
	case "demo-server":
		return demoServerCmd(ctx, rest, stderr)
	case "version", "--version":
		return versionCmd(rest, stdout, stderr)
	case "help", "-h", "--help":
		if len(rest) > 0 {
			return run(ctx, []string{rest[0], "-h"}, getenv, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usagef("unknown command %q", cmd)
	}
}
