package load

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCompileEncodes(t *testing.T) {
	tests := []struct {
		name string
		t    Target
		want string
	}{
		{
			name: "defaults",
			t:    Target{Addr: "127.0.0.1:8000"},
			want: "GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nConnection: close\r\n\r\n",
		},
		{
			name: "keep-alive with query and headers in order",
			t: Target{Addr: "127.0.0.1:8000", Path: "/?ms=200", Host: "app.test", KeepAlive: true,
				Header: [][2]string{{"X-B", "2"}, {"Accept", "*/*"}}},
			want: "GET /?ms=200 HTTP/1.1\r\nHost: app.test\r\nX-B: 2\r\nAccept: */*\r\n\r\n",
		},
		{
			name: "body",
			t:    Target{Addr: "[::1]:80", Method: "POST", Body: []byte(`{"a":1}`), KeepAlive: true},
			want: "POST / HTTP/1.1\r\nHost: [::1]:80\r\nContent-Length: 7\r\n\r\n{\"a\":1}",
		},
		{
			name: "empty POST still has a length",
			t:    Target{Addr: "localhost:80", Method: "POST", KeepAlive: true},
			want: "POST / HTTP/1.1\r\nHost: localhost:80\r\nContent-Length: 0\r\n\r\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := compile(tt.t)
			if err != nil {
				t.Fatal(err)
			}
			if string(req.raw) != tt.want {
				t.Errorf("request bytes\n got %q\nwant %q", req.raw, tt.want)
			}
			// net/http's server-side parser must read back what we meant.
			hr, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(req.raw)))
			if err != nil {
				t.Fatalf("net/http cannot parse the request: %v", err)
			}
			body, _ := io.ReadAll(hr.Body)
			if !bytes.Equal(body, tt.t.Body) {
				t.Errorf("body read back %q, want %q", body, tt.t.Body)
			}
			if hr.Close != !tt.t.KeepAlive {
				t.Errorf("net/http sees Close=%v, want %v", hr.Close, !tt.t.KeepAlive)
			}
		})
	}
}

func TestCompileDefaults(t *testing.T) {
	req, err := compile(Target{Addr: "127.0.0.1:1", Method: "HEAD"})
	if err != nil {
		t.Fatal(err)
	}
	if req.timeout != defaultTimeout || req.maxBody != defaultMaxBody || !req.head || !req.close {
		t.Errorf("compiled %+v", req)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		t       Target
		wantErr string // "" for valid; else a substring of the error
	}{
		{name: "ipv4 loopback", t: Target{Addr: "127.0.0.1:80"}},
		{name: "all of 127/8", t: Target{Addr: "127.1.2.3:80"}},
		{name: "ipv6 loopback", t: Target{Addr: "[::1]:80"}},
		{name: "localhost", t: Target{Addr: "LocalHost:80"}},
		{name: "remote allowed", t: Target{Addr: "192.0.2.1:80", AllowRemote: true}},
		{name: "remote name allowed", t: Target{Addr: "example.com:80", AllowRemote: true}},
		{name: "remote refused", t: Target{Addr: "192.0.2.1:80"}, wantErr: `"192.0.2.1:80" is not loopback`},
		{name: "remote name refused", t: Target{Addr: "example.com:80"}, wantErr: `"example.com:80" is not loopback`},
		{name: "unspecified refused", t: Target{Addr: "0.0.0.0:80"}, wantErr: "is not loopback"},
		{name: "empty host refused", t: Target{Addr: ":80"}, wantErr: "want host:port"},
		{name: "no port", t: Target{Addr: "127.0.0.1"}, wantErr: "missing port"},
		{name: "method with space", t: Target{Addr: "127.0.0.1:80", Method: "GET /"}, wantErr: "method"},
		{name: "path with CRLF", t: Target{Addr: "127.0.0.1:80", Path: "/\r\nX: y"}, wantErr: "path"},
		{name: "path with space", t: Target{Addr: "127.0.0.1:80", Path: "/a b"}, wantErr: "path"},
		{name: "host with LF", t: Target{Addr: "127.0.0.1:80", Host: "a\nb"}, wantErr: "host"},
		{name: "header value injection", t: Target{Addr: "127.0.0.1:80", Header: [][2]string{{"X", "1\r\nY: 2"}}}, wantErr: "control character"},
		{name: "header name not a token", t: Target{Addr: "127.0.0.1:80", Header: [][2]string{{"X Y", "1"}}}, wantErr: "token"},
		{name: "owned header", t: Target{Addr: "127.0.0.1:80", Header: [][2]string{{"content-length", "1"}}}, wantErr: "set by the load generator"},
		{name: "negative timeout", t: Target{Addr: "127.0.0.1:80", Timeout: -time.Second}, wantErr: "timeout"},
		{name: "negative max body", t: Target{Addr: "127.0.0.1:80", MaxBody: -1}, wantErr: "max body"},
		{name: "bad status", t: Target{Addr: "127.0.0.1:80", Status: 42}, wantErr: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.t.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}
