package load

import (
	"context"
	"runtime"
	"testing"
)

// closedFunc is Closed with a given driver.
type closedFunc func(ctx context.Context, t Target, o Options) (Report, error)

// forEachDriver runs f as a subtest once for each way a closed loop can be driven here: a
// goroutine per connection, and on Linux one event loop and two event loops.
func forEachDriver(t *testing.T, f func(t *testing.T, runClosed closedFunc)) {
	t.Helper()
	drivers := []struct {
		name string
		new  func(*request, int) driver
	}{
		{name: "goroutines", new: func(req *request, conns int) driver { return newWorkers(req, conns) }},
	}
	if runtime.GOOS == "linux" {
		for _, procs := range []int{2, 4} {
			name := "epoll"
			if procs > 2 {
				name = "epoll 2 loops"
			}
			drivers = append(drivers, struct {
				name string
				new  func(*request, int) driver
			}{name: name, new: func(req *request, conns int) driver {
				d, ok := newLoops(req, conns, procs)
				if !ok {
					panic("no event loop for " + req.addr)
				}
				return d
			}})
		}
	}
	for _, d := range drivers {
		t.Run(d.name, func(t *testing.T) {
			f(t, func(ctx context.Context, tg Target, o Options) (Report, error) {
				return closed(ctx, tg, o, d.new)
			})
		})
	}
}
