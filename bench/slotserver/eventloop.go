package slotserver

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// serveLoop serves ln like one worker process of an event-loop server
// (uvicorn, a Node process): every connection is served at once and kept
// alive, and a request holds nothing while it sleeps, so a handler that
// only waits has no concurrency limit but the machine's. What a loop does
// bound is computing: a request first spins for s.CPU (or ?cpu=
// milliseconds) with the worker's one loop held, so one worker computes
// one request at a time and its throughput saturates at 1 ÷ CPU. The
// peak useful concurrency of a worker is then (sleep + CPU) ÷ CPU, the
// ground truth a connection sweep is checked against.
func (s Server) serveLoop(ctx context.Context, ln net.Listener) error {
	var loop sync.Mutex
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, req *http.Request) {
		sleep, ok := millis(req, "ms", s.Sleep)
		cpu, ok2 := millis(req, "cpu", s.CPU)
		if !ok || !ok2 {
			http.Error(w, "ms and cpu must be numbers of milliseconds", http.StatusBadRequest)
			return
		}
		if cpu > 0 {
			loop.Lock()
			spin(time.Duration(float64(cpu) * (1 + s.Slowdown)))
			loop.Unlock()
		}
		time.Sleep(time.Duration(float64(sleep) * (1 + s.Slowdown)))
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("Finished"))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}
	stop := context.AfterFunc(ctx, func() {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	})
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// spin keeps the CPU busy for d of wall time.
func spin(d time.Duration) {
	for end := time.Now().Add(d); time.Now().Before(end); {
	}
}
