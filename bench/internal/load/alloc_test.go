package load

import (
	"context"
	"testing"
	"time"
)

// TestHotLoopDoesNotAllocate checks that a closed-loop step on a kept-alive connection, request,
// response parsing and recording, allocates nothing. The server is a raw one that does not
// allocate either, since testing.AllocsPerRun counts the whole process.
func TestHotLoopDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	tests := []struct {
		name string
		resp string
	}{
		{name: "content-length", resp: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"},
		{name: "chunked", resp: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startRaw(t, respond(tt.resp, false))
			req, err := compile(Target{Addr: srv.addr, KeepAlive: true})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := &worker{hist: newHistogram(req.timeout)}
			w.c.init(req)
			defer w.c.closeConn()
			r := newRun(time.Now(), Options{Connections: 1, Duration: time.Hour})
			allocs := testing.AllocsPerRun(1000, func() {
				if !w.step(ctx, r) {
					t.Fatal("step ended the run")
				}
			})
			if allocs != 0 {
				t.Errorf("%v allocations per request, want 0", allocs)
			}
			if w.tally.n < 1000 || w.tally.errs != [numKinds]int64{} {
				t.Errorf("recorded %d requests, errors %v", w.tally.n, w.tally.errs)
			}
			if got := srv.accepted.Load(); got != 1 {
				t.Errorf("accepted %d connections, want 1", got)
			}
		})
	}
}

// BenchmarkRoundTrip measures one kept-alive request against an in-process raw server; its CPU
// includes the server's.
func BenchmarkRoundTrip(b *testing.B) {
	srv := startRaw(b, respond("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", false))
	req, err := compile(Target{Addr: srv.addr, KeepAlive: true})
	if err != nil {
		b.Fatal(err)
	}
	c := newClient(req)
	defer c.closeConn()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, k, err := c.roundTrip(ctx, time.Now()); k != kindOK {
			b.Fatal(k, err)
		}
	}
}
