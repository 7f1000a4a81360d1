package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/internal/proctree"
	"github.com/workerbench/workerbench/bench/slotserver"
)

// slotServerEnv makes the test binary act as the K-slot ground-truth
// server (a prefork master and its workers) instead of running tests, so
// the engine is tested end to end against real processes whose
// concurrency is known exactly.
const slotServerEnv = "WORKERBENCH_TEST_SLOTSERVER"

func TestMain(m *testing.M) {
	if os.Getenv(slotServerEnv) == "1" {
		os.Exit(slotServerMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func slotServerMain(args []string) int {
	fs := flag.NewFlagSet("slotserver", flag.ExitOnError)
	bind := fs.String("bind", "", "")
	workers := fs.Int("workers", 1, "")
	threads := fs.Int("threads", 1, "")
	sleep := fs.Duration("sleep", 50*time.Millisecond, "")
	worker := fs.Bool("worker", false, "")
	precise := fs.Bool("precise", false, "")
	eventLoop := fs.Bool("event-loop", false, "")
	cpu := fs.Duration("cpu", 0, "")
	fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	slowdown, _ := strconv.ParseFloat(os.Getenv("WORKERBENCH_SLOWDOWN"), 64)
	srv := slotserver.Server{Slots: *threads, Sleep: *sleep, Slowdown: slowdown, Precise: *precise,
		EventLoop: *eventLoop, CPU: *cpu}
	var err error
	if *worker {
		ln, lerr := slotserver.ListenerFromFD()
		if lerr != nil {
			fmt.Fprintln(os.Stderr, lerr)
			return 1
		}
		err = srv.Serve(ctx, ln)
	} else {
		exe, _ := os.Executable()
		p := slotserver.Prefork{Addr: *bind, Workers: *workers, Exe: exe, Env: os.Environ(), Stderr: os.Stderr,
			Args: []string{"-worker", "-threads", strconv.Itoa(*threads), "-sleep", sleep.String(),
				"-precise=" + strconv.FormatBool(*precise),
				"-event-loop=" + strconv.FormatBool(*eventLoop), "-cpu", cpu.String()}}
		err = p.Run(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// slotServerCommand is a command template that starts the ground-truth
// server with the given service time.
func slotServerCommand(t *testing.T, sleep time.Duration) (cmd string, env []string) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe + " -bind {bind} -workers {workers} -threads {threads} -sleep " + sleep.String(), []string{
		slotServerEnv + "=1",
	}
}

// assertNoProcesses fails the test if any process still runs in dir.
func assertNoProcesses(t *testing.T, dir string) {
	t.Helper()
	pids, err := proctree.InDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, pid := range pids {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		left = append(left, strconv.Itoa(pid)+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	if len(left) > 0 {
		t.Errorf("processes left running in %s:\n%s", dir, strings.Join(left, "\n"))
	}
}
