package bench

import (
	"errors"
	"fmt"
	"runtime"
)

// goos is the OS this runs on; tests set it to see what another one is told.
var goos = runtime.GOOS

// ErrNotLinux is why Runner.Run and AB.Run measure nothing on any OS but
// Linux: memory (Σ PSS), server CPU time, the server's process group and
// its listening sockets all come from /proc (package proctree), which
// macOS does not have. The darwin build still reads, compares, merges,
// plots and publishes results measured on Linux.
var ErrNotLinux = errors.New("measuring needs Linux")

// checkPlatform is ErrNotLinux, said for the user, on any OS but Linux.
func checkPlatform() error {
	if goos == "linux" {
		return nil
	}
	return fmt.Errorf("%w: workerbench reads the server's memory (PSS), CPU time and processes "+
		"from /proc, which %s does not have; run, ab, demo and the action's benchmark run on Linux "+
		"(a Linux machine, container or CI runner), while compare, merge, plot, trend, history and "+
		"publish work here on the results.json they write", ErrNotLinux, goos)
}
