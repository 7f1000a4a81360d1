package load

import (
	"bufio"
	"bytes"
	"io"
)

const (
	// maxHeaderBytes bounds a response's header section, and separately its trailer section.
	maxHeaderBytes = 64 << 10
	// maxInterim bounds the 1xx responses accepted before the final one.
	maxInterim = 8
)

// constError is an error that can be a constant, so that this package's sentinel errors are not
// package-level variables.
type constError string

func (e constError) Error() string { return string(e) }

// Responses that break HTTP/1.1 framing or our limits.
const (
	errStatusLine     = constError("malformed status line")
	errHeaderLine     = constError("malformed header line")
	errHeaderFold     = constError("obsolete header line folding")
	errHeaderTooLarge = constError("response header section too large")
	errLineTooLong    = constError("response line too long")
	errContentLength  = constError("invalid or conflicting Content-Length")
	errChunkSize      = constError("malformed chunk size")
	errChunkEnd       = constError("chunk data not followed by CRLF")
	errBodyTooLarge   = constError("response body exceeds MaxBody")
	errSwitching      = constError("unexpected 101 Switching Protocols")
	errTooManyInterim = constError("too many 1xx responses")
)

// header holds the fields of a response header that frame its body and decide the connection's
// fate; every other field is skipped.
type header struct {
	contentLength int64 // -1 if absent
	te            bool  // Transfer-Encoding present
	chunked       bool  // and its final coding is chunked
	close         bool  // Connection: close
	keepAlive     bool  // Connection: keep-alive (matters for HTTP/1.0)
}

// readResponse reads one response from br and discards its body, reading at most maxBody body
// bytes (a longer body is errBodyTooLarge). It returns the status and whether the connection can
// carry another request. head says the request was HEAD. Interim 1xx responses are skipped.
// It does not allocate.
func readResponse(
	br *bufio.Reader,
	head bool,
	maxBody int64,
) (status int, persist bool, err error) {
	for interim := 0; ; interim++ {
		if interim > maxInterim {
			return 0, false, errTooManyInterim
		}
		line, err := readLine(br)
		if err != nil {
			return 0, false, err
		}
		minor, status, err := parseStatusLine(line)
		if err != nil {
			return 0, false, err
		}
		var h header
		if err := readHeader(br, &h); err != nil {
			return status, false, err
		}
		if status < 200 {
			if status == 101 {
				return status, false, errSwitching
			}
			continue // an interim response; the final one follows
		}
		persist = !h.close && (minor >= 1 || h.keepAlive)
		// Body length, RFC 9112 §6.3.
		switch {
		case head || status == 204 || status == 304:
			return status, persist, nil
		case h.te && h.chunked:
			if h.contentLength >= 0 {
				persist = false // both framings present: do not trust the connection after this
			}
			return status, persist, discardChunked(br, maxBody)
		case h.te:
			return status, false, discardToEOF(br, maxBody)
		case h.contentLength >= 0:
			return status, persist, discardN(br, h.contentLength, maxBody)
		default:
			return status, false, discardToEOF(br, maxBody)
		}
	}
}

// readLine returns the next line without its CRLF (or bare LF). The slice aliases br's buffer.
func readLine(br *bufio.Reader) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == bufio.ErrBufferFull {
			return nil, errLineTooLong
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// parseStatusLine parses "HTTP/1.x NNN[ reason]".
func parseStatusLine(line []byte) (minor, status int, err error) {
	if len(line) < len("HTTP/1.x NNN") || string(line[:7]) != "HTTP/1." || line[8] != ' ' ||
		(len(line) > 12 && line[12] != ' ') {
		return 0, 0, errStatusLine
	}
	if line[7] < '0' || line[7] > '9' {
		return 0, 0, errStatusLine
	}
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return 0, 0, errStatusLine
		}
		status = status*10 + int(c-'0')
	}
	if status < 100 {
		return 0, 0, errStatusLine
	}
	return int(line[7] - '0'), status, nil
}

// readHeader reads header lines up to the empty line, recording the framing fields in h.
func readHeader(br *bufio.Reader, h *header) error {
	*h = header{contentLength: -1}
	total := 0
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		if end, err := h.line(line, &total); end || err != nil {
			return err
		}
	}
}

// line takes one header line (without its line ending): the empty line ends the section (end),
// any other is a field, recorded in h if it frames the body. total counts the section's bytes.
func (h *header) line(line []byte, total *int) (end bool, err error) {
	if *total += len(line) + 2; *total > maxHeaderBytes {
		return false, errHeaderTooLarge
	}
	if len(line) == 0 {
		return true, nil
	}
	if line[0] == ' ' || line[0] == '\t' {
		return false, errHeaderFold
	}
	i := bytes.IndexByte(line, ':')
	if i <= 0 || line[i-1] == ' ' || line[i-1] == '\t' {
		return false, errHeaderLine // whitespace before the colon is a request-smuggling vector
	}
	name, value := line[:i], trimOWS(line[i+1:])
	switch len(name) {
	case len("content-length"):
		if equalFold(name, "content-length") {
			n, ok := parseDecimal(value)
			if !ok || (h.contentLength >= 0 && h.contentLength != n) {
				return false, errContentLength
			}
			h.contentLength = n
		}
	case len("transfer-encoding"):
		if equalFold(name, "transfer-encoding") {
			h.te = true
			h.chunked = equalFold(lastToken(value), "chunked")
		}
	case len("connection"):
		if equalFold(name, "connection") {
			h.close = h.close || hasToken(value, "close")
			h.keepAlive = h.keepAlive || hasToken(value, "keep-alive")
		}
	}
	return false, nil
}

// discardN discards an n-byte body.
func discardN(br *bufio.Reader, n, maxBody int64) error {
	if n > maxBody {
		return errBodyTooLarge
	}
	if _, err := br.Discard(int(n)); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

// discardToEOF discards a body delimited by the connection's close.
func discardToEOF(br *bufio.Reader, maxBody int64) error {
	if maxBody >= maxInt {
		maxBody = maxInt - 1
	}
	_, err := br.Discard(int(maxBody) + 1)
	switch err {
	case nil:
		return errBodyTooLarge
	case io.EOF:
		return nil
	default:
		return err
	}
}

// discardChunked discards a chunked body and its trailer section.
func discardChunked(br *bufio.Reader, maxBody int64) error {
	var total int64
	for {
		line, err := readLine(br)
		if err != nil {
			return err
		}
		size, err := parseChunkSize(line)
		if err != nil {
			return err
		}
		if size == 0 {
			var trailer header
			return readHeader(br, &trailer) // trailers are read and ignored
		}
		if size > maxBody-total {
			return errBodyTooLarge
		}
		total += size
		if err := discardN(br, size, maxBody); err != nil {
			return err
		}
		if line, err = readLine(br); err != nil {
			return err
		}
		if len(line) != 0 {
			return errChunkEnd
		}
	}
}

// parseChunkSize parses "HEX[ext]" where ext is optional whitespace then ";…".
func parseChunkSize(line []byte) (int64, error) {
	var n int64
	i := 0
digits:
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			break digits
		}
		if i == 15 {
			return 0, errChunkSize // beyond 2^60 bytes: not a body we will read
		}
		n = n<<4 | int64(d)
	}
	if i == 0 {
		return 0, errChunkSize
	}
	if rest := trimOWS(line[i:]); len(rest) > 0 && rest[0] != ';' {
		return 0, errChunkSize
	}
	return n, nil
}

// parseDecimal parses a non-empty run of at most 18 decimal digits.
func parseDecimal(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// trimOWS trims optional whitespace (spaces and tabs) from both ends.
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// hasToken reports whether the comma-separated list v contains tok, ignoring ASCII case.
func hasToken(v []byte, tok string) bool {
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		if i < 0 {
			return equalFold(trimOWS(v), tok)
		}
		if equalFold(trimOWS(v[:i]), tok) {
			return true
		}
		v = v[i+1:]
	}
	return false
}

// lastToken returns the last element of the comma-separated list v.
func lastToken(v []byte) []byte {
	if i := bytes.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return trimOWS(v)
}

// equalFold reports whether b equals the lower-case ASCII string s, ignoring ASCII case in b.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}
