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
	"slices"
	"strings"
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

// Exit codes, as documented in docs/cli.md and docs/troubleshooting.md.
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

// seeHelp is a usage error about a command line: exitCode prints it a
// problem a line and then where the command's help is.
type seeHelp struct {
	err   error
	topic string // the command: "workerbench help TOPIC"; "" for the list
}

func (s seeHelp) Error() string { return s.err.Error() }
func (s seeHelp) Unwrap() error { return s.err }

// helpRequest is -h or --help given to a command whose flags are fs: run
// prints the command's help on stdout.
type helpRequest struct{ fs *flag.FlagSet }

func (helpRequest) Error() string        { return "help requested" }
func (helpRequest) Is(target error) bool { return target == flag.ErrHelp }

// errRegression is returned when --fail-on-regression finds a regression.
var errRegression = errors.New("throughput regressed")

func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) { // a help request, answered on stdout
		return exitOK
	}
	var u usageError
	var see seeHelp
	switch {
	case errors.As(err, &see):
		// One line per problem, then one line to go on from.
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(stderr, "workerbench: %s\n", line)
		}
		// The action's flags come from its inputs: no help applies.
		if see.topic != "action" {
			fmt.Fprintln(stderr, "see: "+strings.TrimSpace("workerbench help "+see.topic))
		}
	default:
		fmt.Fprintf(stderr, "workerbench: %v\n", err)
	}
	switch {
	case errors.As(err, &u), errors.As(err, new(*bench.SetupError)):
		return exitUsage
	case errors.Is(err, errRegression):
		return exitRegression
	default:
		return exitError
	}
}

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
	err := dispatch(ctx, args, getenv, stdout, stderr)
	if h := (helpRequest{}); errors.As(err, &h) {
		return writeHelp(stdout, h.fs)
	}
	return err
}

// dispatch runs the command args name. A command given -h or --help
// returns a helpRequest.
func dispatch(
	ctx context.Context,
	args []string,
	getenv func(string) string,
	stdout, stderr io.Writer,
) error {
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
		if len(rest) > 0 && isHelpFlag(rest[0]) {
			return helpRequest{newCmdLine("action").fs}
		}
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
	case "help", "-h", "--help", "-help":
		if len(rest) == 0 || rest[0] == "help" || isHelpFlag(rest[0]) {
			fmt.Fprint(stdout, usage)
			return nil
		}
		if !slices.Contains(commands, rest[0]) {
			return unknownCommand(rest[0])
		}
		// "help history add" is history's help, like "help history".
		return dispatch(ctx, []string{rest[0], "-h"}, getenv, stdout, stderr)
	default:
		return unknownCommand(cmd)
	}
}

// commands are the commands "workerbench help" lists, in its order.
var commands = []string{
	"run", "ab", "compare", "merge", "plot", "demo", "action", "publish", "history", "trend",
	"version", "help",
}

func isHelpFlag(arg string) bool { return arg == "-h" || arg == "--help" || arg == "-help" }

func unknownCommand(cmd string) error {
	msg := fmt.Sprintf("unknown command %q", cmd)
	if s := suggest(strings.TrimLeft(cmd, "-"), commands); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return seeHelp{usageError{errors.New(msg)}, ""}
}

const usage = `workerbench measures the concurrency a web server achieves under a matrix of
worker × thread configurations, and whether a change made it worse.

Usage:
  workerbench run     (--server NAME --app SPEC | --cmd TEMPLATE) [--matrix WxT,...] [flags]
  workerbench ab      --base-dir DIR --head-dir DIR [run's flags] [--fail-on-regression]
  workerbench compare BASE.json HEAD.json [--threshold 5%] [--fail-on-regression]
  workerbench merge   DIR... [--out DIR]    put the shards of a matrix back together
  workerbench plot    RESULTS.json --out DIR
  workerbench demo    [--out DIR]    the seed experiment on the bundled Flask example
  workerbench action  the GitHub Action's entry point (INPUT_* and GITHUB_* variables)
  workerbench publish [--dir DIR]    comment a results artifact from a workflow_run job
  workerbench history add (--history DIR | --branch BRANCH) RESULTS.json    record a push
  workerbench trend   (--history DIR | --branch BRANCH) --out DIR    trend charts, change points
  workerbench version    the version, commit and Go version (also --version)
  workerbench help    [COMMAND]

Run "workerbench help COMMAND" (or "workerbench COMMAND --help") for its flags and examples.
`
