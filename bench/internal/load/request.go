package load

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

const (
	// defaultTimeout bounds one request, connect through last body byte.
	defaultTimeout = 30 * time.Second
	// defaultMaxBody bounds a response body.
	defaultMaxBody = 1 << 20
	// maxInt is the largest int, as an int64: bufio.Reader.Discard counts in ints.
	maxInt = int64(^uint(0) >> 1)
)

// request is a Target compiled once: validated, defaults applied and the request bytes encoded, so
// that sending it again costs one Write.
type request struct {
	addr    string // dial address, as given in Target.Addr
	raw     []byte // the encoded request, headers and body
	head    bool   // a HEAD request: the response has no body whatever its headers say
	close   bool   // Connection: close was sent, so a connection carries one request
	status  int    // expected status; 0 means any 2xx
	timeout time.Duration
	maxBody int64
}

// statusOK reports whether s is the status the Target expects.
func (r *request) statusOK(s int) bool {
	if r.status == 0 {
		return s >= 200 && s < 300
	}
	return s == r.status
}

// Validate reports whether t is a usable target: a host:port address that is loopback unless
// AllowRemote is set, a token method, a request-target and header fields that cannot break the
// request's framing, and non-negative limits.
func (t Target) Validate() error {
	_, err := compile(t)
	return err
}

// compile validates t and encodes its request.
func compile(t Target) (*request, error) {
	host, port, err := net.SplitHostPort(t.Addr)
	if err != nil {
		return nil, fmt.Errorf("target address %q: %w", t.Addr, err)
	}
	if host == "" || port == "" {
		return nil, fmt.Errorf("target address %q: want host:port", t.Addr)
	}
	if !t.AllowRemote && !IsLoopback(host) {
		return nil, fmt.Errorf(
			"target address %q is not loopback (127.0.0.0/8, ::1 or localhost); set AllowRemote to load another host",
			t.Addr,
		)
	}
	method := t.Method
	if method == "" {
		method = "GET"
	}
	if !IsToken(method) {
		return nil, fmt.Errorf("target method %q is not an HTTP token", method)
	}
	path := t.Path
	if path == "" {
		path = "/"
	}
	if !isRequestTarget(path) {
		return nil, fmt.Errorf(
			"target path %q: empty, or contains a space or control character",
			path,
		)
	}
	hostHeader := t.Host
	if hostHeader == "" {
		hostHeader = t.Addr
	}
	if !isFieldValue(hostHeader) {
		return nil, fmt.Errorf("target host %q contains a control character", hostHeader)
	}
	if t.Status != 0 && (t.Status < 100 || t.Status > 999) {
		return nil, fmt.Errorf(
			"target status %d: want 0 (any 2xx) or a three-digit status",
			t.Status,
		)
	}
	timeout := t.Timeout
	if timeout == 0 {
		timeout = defaultTimeout
	}
	if timeout < 0 {
		return nil, fmt.Errorf("target timeout %v is negative", timeout)
	}
	maxBody := t.MaxBody
	if maxBody == 0 {
		maxBody = defaultMaxBody
	}
	if maxBody < 0 {
		return nil, fmt.Errorf("target max body %d is negative", maxBody)
	}
	maxBody = min(maxBody, maxInt-1) // discardToEOF asks for one byte more

	b := make([]byte, 0, 128+len(path)+len(hostHeader)+len(t.Body))
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, hostHeader...)
	b = append(b, "\r\n"...)
	if !t.KeepAlive {
		b = append(b, "Connection: close\r\n"...)
	}
	for _, h := range t.Header {
		name, value := h[0], h[1]
		if !IsToken(name) {
			return nil, fmt.Errorf("target header name %q is not an HTTP token", name)
		}
		if !isFieldValue(value) {
			return nil, fmt.Errorf(
				"target header %s: value %q contains a control character",
				name,
				value,
			)
		}
		for _, owned := range [...]string{"Host", "Connection", "Content-Length", "Transfer-Encoding"} {
			if strings.EqualFold(name, owned) {
				return nil, fmt.Errorf(
					"target header %s is set by the load generator (see Target.Host, Target.KeepAlive, Target.Body)",
					name,
				)
			}
		}
		b = append(b, name...)
		b = append(b, ": "...)
		b = append(b, value...)
		b = append(b, "\r\n"...)
	}
	if len(t.Body) > 0 || method == "POST" || method == "PUT" || method == "PATCH" {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(t.Body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, t.Body...)

	return &request{
		addr:    t.Addr,
		raw:     b,
		head:    method == "HEAD",
		close:   !t.KeepAlive,
		status:  t.Status,
		timeout: timeout,
		maxBody: maxBody,
	}, nil
}

// IsLoopback reports whether host is "localhost" or a loopback IP
// (127.0.0.0/8, ::1, and ::ffff:127.0.0.1 and the like), with or without
// the brackets of an IPv6 literal. It is workerbench's one rule for where
// load may go without AllowRemote.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// IsToken reports whether s is an HTTP token (RFC 9110 §5.6.2), as methods and field names are.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// isRequestTarget reports whether s can stand between the method and the version: not empty, no
// spaces or control characters.
func isRequestTarget(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}

// isFieldValue reports whether s can be a header field value: no control characters but tab, so
// it cannot end the field early.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
