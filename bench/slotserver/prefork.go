package slotserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// Prefork runs a master that binds addr and forks Workers copies of a
// worker program sharing the listening socket, like gunicorn's master. The
// worker program is Exe run with Args; it finds the socket as file
// descriptor 3 (see ListenerFromFD) and should call Server.Serve on it.
type Prefork struct {
	Addr    string
	Workers int
	Exe     string
	Args    []string
	Env     []string
	Stderr  io.Writer
}

// Run binds, starts the workers and waits until ctx is done or a worker
// exits, then stops every worker (SIGTERM) and reaps it.
func (p Prefork) Run(ctx context.Context) error {
	if p.Workers < 1 {
		return fmt.Errorf("workers %d: must be at least 1", p.Workers)
	}
	ln, err := net.Listen("tcp", p.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", p.Addr, err)
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		return fmt.Errorf("listener file: %w", err)
	}
	defer f.Close()
	nWorkers := "1 worker"
	if p.Workers != 1 {
		nWorkers = fmt.Sprintf("%d workers", p.Workers)
	}
	fmt.Fprintf(p.Stderr, "demo server: listening at http://%s with %s\n", ln.Addr(), nWorkers)

	// Pdeathsig fires when the OS thread that forked a child exits, so the
	// workers are forked and waited for from one locked goroutine: if this
	// master dies, they get SIGTERM.
	exited := make(chan error, 1) // the first worker's exit
	reaped := make(chan struct{}) // closed when every worker is reaped
	procs := make(chan []*os.Process, 1)
	go func() {
		defer close(reaped)
		runtime.LockOSThread()
		var cmds []*exec.Cmd
		var started []*os.Process
		for range p.Workers {
			cmd := exec.Command(p.Exe, p.Args...)
			cmd.Env = p.Env
			cmd.ExtraFiles = []*os.File{f}
			cmd.Stdout, cmd.Stderr = p.Stderr, p.Stderr
			cmd.SysProcAttr = workerAttr()
			if err := cmd.Start(); err != nil {
				for _, c := range cmds {
					c.Process.Kill()
					c.Wait()
				}
				procs <- nil
				exited <- fmt.Errorf("start worker: %w", err)
				return
			}
			cmds = append(cmds, cmd)
			started = append(started, cmd.Process)
		}
		procs <- started
		errc := make(chan error, len(cmds))
		for _, c := range cmds {
			go func() { errc <- c.Wait() }()
		}
		first := <-errc
		exited <- first
		for range len(cmds) - 1 {
			<-errc
		}
	}()
	workers := <-procs
	if workers == nil {
		return <-exited
	}
	err = nil
	select {
	case <-ctx.Done():
	case err = <-exited:
		if err == nil {
			err = errors.New("exited")
		}
		err = fmt.Errorf("worker: %w", err)
	}
	for _, w := range workers {
		w.Signal(syscall.SIGTERM)
	}
	<-reaped
	return err
}

// ListenerFromFD returns the listening socket a Prefork master passed as
// file descriptor 3.
func ListenerFromFD() (net.Listener, error) {
	f := os.NewFile(3, "listener")
	if f == nil {
		return nil, errors.New("no listener on file descriptor 3")
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listener on file descriptor 3: %w", err)
	}
	return ln, nil
}
