package load

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// next follows each response in TestReadResponse, to check that the parser stops at its end.
const next = "NEXT"

// responseCase is a response, how it was asked for, and how it must be parsed.
type responseCase struct {
	name        string
	in          string
	head        bool
	maxBody     int64 // 0: 1 MiB
	wantStatus  int
	wantPersist bool
	wantErr     error // nil, a constError, or io.ErrUnexpectedEOF
	wantRest    string
}

// responseCases are the responses both parsers are tested on: readResponse (TestReadResponse)
// and the event loop's parser (TestParser).
func responseCases() []responseCase {
	return []responseCase{
		{name: "content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "bare LF and no reason", in: "HTTP/1.1 201\nContent-Length: 2\n\nok" + next,
			wantStatus: 201, wantPersist: true, wantRest: next},
		{name: "header case and whitespace", in: "HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: \t3 \r\nX-A: b\r\n\r\nabc" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "chunked with extension and trailer",
			in:         "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\nA \r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "gzip then chunked", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "chunked wins over content-length, and closes", in: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n" + next,
			wantStatus: 200, wantPersist: false, wantRest: next},
		{name: "non-chunked coding reads to EOF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nabc",
			wantStatus: 200, wantPersist: false},
		{name: "connection close", in: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok" + next,
			wantStatus: 200, wantPersist: false, wantRest: next},
		{name: "connection token list", in: "HTTP/1.1 200 OK\r\nConnection: Upgrade, Close\r\nContent-Length: 0\r\n\r\n",
			wantStatus: 200, wantPersist: false},
		{name: "http/1.0 reads to EOF", in: "HTTP/1.0 200 OK\r\n\r\nhello",
			wantStatus: 200, wantPersist: false},
		{name: "http/1.0 with length closes", in: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok" + next,
			wantStatus: 200, wantPersist: false, wantRest: next},
		{name: "http/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "http/1.1 without length reads to EOF", in: "HTTP/1.1 200 OK\r\n\r\nhello",
			wantStatus: 200, wantPersist: false},
		{name: "204 has no body", in: "HTTP/1.1 204 No Content\r\n\r\n" + next,
			wantStatus: 204, wantPersist: true, wantRest: next},
		{name: "304 has no body despite length", in: "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n" + next,
			wantStatus: 304, wantPersist: true, wantRest: next},
		{name: "HEAD has no body despite length", head: true, in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "100 continue skipped", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "redirect is just a status", in: "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n" + next,
			wantStatus: 302, wantPersist: true, wantRest: next},
		{name: "repeated equal content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok" + next,
			wantStatus: 200, wantPersist: true, wantRest: next},
		{name: "body at the bound", maxBody: 5, in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			wantStatus: 200, wantPersist: true},
		{name: "EOF body at the bound", maxBody: 5, in: "HTTP/1.0 200 OK\r\n\r\nhello",
			wantStatus: 200, wantPersist: false},

		{name: "content-length over the bound", maxBody: 4, in: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
			wantStatus: 200, wantErr: errBodyTooLarge},
		{name: "chunked over the bound", maxBody: 4, in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\nabc\r\n0\r\n\r\n",
			wantStatus: 200, wantErr: errBodyTooLarge},
		{name: "EOF body over the bound", maxBody: 4, in: "HTTP/1.0 200 OK\r\n\r\nhello",
			wantStatus: 200, wantErr: errBodyTooLarge},
		{name: "truncated body", in: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello",
			wantStatus: 200, wantErr: io.ErrUnexpectedEOF},
		{name: "truncated header", in: "HTTP/1.1 200 OK\r\nContent-Le",
			wantStatus: 200, wantErr: io.ErrUnexpectedEOF},
		{name: "truncated chunk", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
			wantStatus: 200, wantErr: io.ErrUnexpectedEOF},
		{name: "empty", in: "", wantErr: io.ErrUnexpectedEOF},
		{name: "not HTTP", in: "SSH-2.0-OpenSSH\r\n\r\n", wantErr: errStatusLine},
		{name: "HTTP/2 status line", in: "HTTP/2 200\r\n\r\n", wantErr: errStatusLine},
		{name: "two-digit status", in: "HTTP/1.1 20 OK\r\n\r\n", wantErr: errStatusLine},
		{name: "status glued to reason", in: "HTTP/1.1 200OK\r\n\r\n", wantErr: errStatusLine},
		{name: "conflicting content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
			wantStatus: 200, wantErr: errContentLength},
		{name: "negative content-length", in: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
			wantStatus: 200, wantErr: errContentLength},
		{name: "space before colon", in: "HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok",
			wantStatus: 200, wantErr: errHeaderLine},
		{name: "header without colon", in: "HTTP/1.1 200 OK\r\nbogus\r\n\r\n",
			wantStatus: 200, wantErr: errHeaderLine},
		{name: "folded header", in: "HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n",
			wantStatus: 200, wantErr: errHeaderFold},
		{name: "bad chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
			wantStatus: 200, wantErr: errChunkSize},
		{name: "huge chunk size", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n",
			wantStatus: 200, wantErr: errChunkSize},
		{name: "chunk without CRLF", in: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxy\r\n0\r\n\r\n",
			wantStatus: 200, wantErr: errChunkEnd},
		{name: "switching protocols", in: "HTTP/1.1 101 Switching Protocols\r\n\r\n",
			wantStatus: 101, wantErr: errSwitching},
		{name: "endless 1xx", in: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", maxInterim+2),
			wantErr: errTooManyInterim},
		{name: "line longer than the buffer", in: "HTTP/1.1 200 OK\r\nX: " + strings.Repeat("a", readBufSize) + "\r\n\r\n",
			wantStatus: 200, wantErr: errLineTooLong},
		{name: "header section too large", in: "HTTP/1.1 200 OK\r\n" + strings.Repeat("X: "+strings.Repeat("a", 1000)+"\r\n", 70) + "\r\n",
			wantStatus: 200, wantErr: errHeaderTooLarge},
	}
}

func TestReadResponse(t *testing.T) {
	for _, tt := range responseCases() {
		t.Run(tt.name, func(t *testing.T) {
			maxBody := tt.maxBody
			if maxBody == 0 {
				maxBody = defaultMaxBody
			}
			br := bufio.NewReaderSize(strings.NewReader(tt.in), readBufSize)
			status, persist, err := readResponse(br, tt.head, maxBody)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if err != nil {
				return
			}
			if persist != tt.wantPersist {
				t.Errorf("persist = %v, want %v", persist, tt.wantPersist)
			}
			if rest, _ := io.ReadAll(br); string(rest) != tt.wantRest {
				t.Errorf("left unread %q, want %q", rest, tt.wantRest)
			}
		})
	}
}

// FuzzReadResponse checks that no input panics the parser, loops it, or gets a non-final status
// accepted as a response.
func FuzzReadResponse(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x\r\nhello\r\n0\r\nT: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nabc",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
	} {
		f.Add([]byte(s), false, int64(16))
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool, maxBody int64) {
		if maxBody < 0 {
			maxBody = -maxBody
		}
		if maxBody < 0 {
			return // math.MinInt64
		}
		br := bufio.NewReaderSize(strings.NewReader(string(in)), readBufSize)
		status, _, err := readResponse(br, head, maxBody)
		if err == nil && (status < 200 || status > 999) {
			t.Fatalf("status %d without error", status)
		}
	})
}
