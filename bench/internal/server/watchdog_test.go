package server

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestWatchdogHelper is not a test. TestWatchdogKillsOrphans runs the test
// binary again with SERVER_TEST_HELPER=orphans to stand in for workerbench:
// it starts a shell with two children in one group, prints the pgid, and
// waits to be killed.
func TestWatchdogHelper(t *testing.T) {
	if os.Getenv("SERVER_TEST_HELPER") != "orphans" {
		return
	}
	p, err := Start(Spec{Argv: []string{"/bin/sh", "-c", "sleep 60 & sleep 60 & wait"}})
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println(p.Pgid())
	time.Sleep(time.Minute) // the test kills us long before
	os.Exit(0)
}

// TestWatchdogKillsOrphans: when workerbench dies by SIGKILL, Pdeathsig
// kills only the leader; its children (gunicorn's workers, here two sleeps)
// would live on. The watchdog kills the whole group.
func TestWatchdogKillsOrphans(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogHelper$")
	cmd.Env = append(os.Environ(), "SERVER_TEST_HELPER=orphans")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(out)
	if !lines.Scan() {
		t.Fatalf("intermediate said nothing: %v", lines.Err())
	}
	pgid, err := strconv.Atoi(lines.Text())
	if err != nil {
		t.Fatalf("intermediate said %q, want a pgid", lines.Text())
	}
	t.Cleanup(func() { assertGone(t, pgid) })
	waitPids(t, pgid, 3)

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	begin := time.Now()
	waitPids(t, pgid, 0) // fails after 5 s
	t.Logf("leader and orphans gone %v after the intermediate was SIGKILLed", time.Since(begin))
}

// TestWatchdogReleased: a stopped server's watchdog exits without killing
// anything, and is reaped.
func TestWatchdogReleased(t *testing.T) {
	p, err := Start(Spec{Argv: []string{"sleep", "60"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.wd == nil {
		t.Fatal("no watchdog")
	}
	wdPid := p.wd.cmd.Process.Pid
	if _, err := p.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	if p.wd.cmd.ProcessState == nil || !p.wd.cmd.ProcessState.Success() {
		t.Errorf("watchdog %d: state %v, want exited 0", wdPid, p.wd.cmd.ProcessState)
	}
	assertGone(t, p.Pgid())
}
