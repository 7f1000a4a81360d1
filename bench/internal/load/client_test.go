package load

import (
	"context"
	"net"
	"os"
	"runtime"
	"testing"
	"time"
)

func TestClientConnections(t *testing.T) {
	srv := startRaw(t, respond("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false))
	_, port, _ := net.SplitHostPort(srv.addr)
	tests := []struct {
		name string
		addr string
	}{
		{name: "IP address", addr: srv.addr},
		// The dual-stack dialer finds the IPv4 listener; later connections go straight to it.
		{name: "host name", addr: "localhost:" + port},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := compile(Target{Addr: tt.addr})
			if err != nil {
				t.Fatal(err)
			}
			c := newClient(req)
			defer c.closeConn()
			for i := range 3 {
				if _, k, err := c.roundTrip(context.Background(), time.Now()); k != kindOK {
					t.Fatalf("request %d: %v %v", i+1, k, err)
				}
				if !c.ap.IsValid() || c.ap.String() != srv.addr {
					t.Errorf("request %d: dial address %v, want %s", i+1, c.ap, srv.addr)
				}
			}
			// KeepAlive is off, so the connection is gone; open the next one and look at it.
			if err := c.dial(context.Background(), time.Now().Add(time.Second)); err != nil {
				t.Fatal(err)
			}
			if _, raw := c.nc.(*os.File); raw != (runtime.GOOS == "linux") {
				t.Errorf("connection is %T: want the raw dialer on Linux, net.Dialer elsewhere", c.nc)
			}
		})
	}
}

func TestClientAbortedDial(t *testing.T) {
	srv := startRaw(t, hang)
	req, err := compile(Target{Addr: srv.addr})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(req)
	c.abort()
	if err := c.dial(context.Background(), time.Now().Add(time.Second)); err != errAborted {
		t.Errorf("dial after abort: %v, want %v", err, errAborted)
	}
	if c.nc != nil {
		t.Errorf("aborted client holds a connection")
	}
}
