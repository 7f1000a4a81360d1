package load

import (
	"bytes"
	"io"
)

// parser is readResponse turned inside out for the event loop (loop_linux.go): it is fed bytes as
// they arrive instead of pulling them from a blocking reader, keeps its place between feeds, and
// accepts and rejects exactly what readResponse does, with the same errors (FuzzParserMatches
// holds the two together). The caller's buffer plays bufio.Reader's: a line must fit in
// readBufSize bytes.
type parser struct {
	head    bool // a HEAD request
	maxBody int64

	state    pstate
	interim  int // 1xx responses skipped so far
	minor    int // HTTP/1.minor of the current status line
	status   int
	h        header // the current response's framing fields, or the trailer's
	hdrTotal int    // bytes of the current header or trailer section
	persist  bool
	remain   int64 // body bytes left: of a Content-Length body, or of a chunk
	total    int64 // body bytes so far: of a chunked body, or of one delimited by EOF
}

// pstate is what the parser expects next.
type pstate uint8

const (
	psStatus    pstate = iota // a status line
	psHeader                  // a header line, or the empty line ending the section
	psBody                    // remain bytes of a Content-Length body
	psChunkSize               // a chunk-size line
	psChunkData               // remain bytes of a chunk
	psChunkEnd                // the CRLF after a chunk
	psTrailer                 // a trailer line, or the empty line ending the trailer section
	psToEOF                   // body bytes until the connection closes
	psDone                    // the response is complete
)

// reset prepares p for a new response.
func (p *parser) reset(head bool, maxBody int64) {
	*p = parser{head: head, maxBody: maxBody}
}

// done reports whether the response is complete.
func (p *parser) done() bool { return p.state == psDone }

// feed parses b, the bytes received and not yet consumed, and returns how many it consumed: all
// of them unless the response completed or a line is still incomplete (the caller keeps the rest
// and feeds it again, with more bytes after it). eof says the connection was closed after b.
// On error, status is what readResponse would return with it; afterwards p must be reset.
func (p *parser) feed(b []byte, eof bool) (n int, status int, err error) {
	for p.state != psDone {
		switch p.state {
		case psBody, psChunkData:
			k := int(min(p.remain, int64(len(b)-n)))
			n += k
			p.remain -= int64(k)
			if p.remain > 0 {
				if eof {
					return n, p.status, io.ErrUnexpectedEOF
				}
				return n, 0, nil
			}
			if p.state == psBody {
				p.state = psDone
			} else {
				p.state = psChunkEnd
			}
			continue
		case psToEOF:
			p.total += int64(len(b) - n)
			n = len(b)
			if p.total > p.maxBody {
				return n, p.status, errBodyTooLarge
			}
			if !eof {
				return n, 0, nil
			}
			p.state = psDone
			continue
		}

		// The other states read a line.
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			st := p.status
			if p.state == psStatus {
				st = 0
			}
			switch {
			case len(b)-n >= readBufSize:
				return n, st, errLineTooLong
			case eof:
				return n, st, io.ErrUnexpectedEOF
			}
			return n, 0, nil
		}
		line := b[n : n+i]
		n += i + 1
		if k := len(line); k > 0 && line[k-1] == '\r' {
			line = line[:k-1]
		}
		if err := p.line(line); err != nil {
			st := p.status
			if p.state == psStatus || err == errTooManyInterim {
				st = 0
			}
			return n, st, err
		}
	}
	return n, p.status, nil
}

// line takes one line in a line-reading state.
func (p *parser) line(line []byte) error {
	switch p.state {
	case psStatus:
		minor, status, err := parseStatusLine(line)
		if err != nil {
			return err
		}
		p.minor, p.status = minor, status
		p.h, p.hdrTotal = header{contentLength: -1}, 0
		p.state = psHeader
	case psHeader:
		end, err := p.h.line(line, &p.hdrTotal)
		if err != nil || !end {
			return err
		}
		return p.endHeader()
	case psChunkSize:
		size, err := parseChunkSize(line)
		if err != nil {
			return err
		}
		if size == 0 {
			p.h, p.hdrTotal = header{contentLength: -1}, 0
			p.state = psTrailer
			return nil
		}
		if size > p.maxBody-p.total {
			return errBodyTooLarge
		}
		p.total += size
		p.remain = size
		p.state = psChunkData
	case psChunkEnd:
		if len(line) != 0 {
			return errChunkEnd
		}
		p.state = psChunkSize
	case psTrailer:
		end, err := p.h.line(line, &p.hdrTotal) // trailers are read and ignored
		if err != nil {
			return err
		}
		if end {
			p.state = psDone
		}
	}
	return nil
}

// endHeader decides what follows a header section, as readResponse does.
func (p *parser) endHeader() error {
	h := &p.h
	if p.status < 200 {
		if p.status == 101 {
			return errSwitching
		}
		// An interim response; the final one follows.
		if p.interim++; p.interim > maxInterim {
			return errTooManyInterim
		}
		p.state = psStatus
		return nil
	}
	p.persist = !h.close && (p.minor >= 1 || h.keepAlive)
	switch {
	case p.head || p.status == 204 || p.status == 304:
		p.state = psDone
	case h.te && h.chunked:
		if h.contentLength >= 0 {
			p.persist = false // both framings present: do not trust the connection after this
		}
		p.state = psChunkSize
	case h.te:
		p.persist = false
		p.state = psToEOF
	case h.contentLength >= 0:
		if h.contentLength > p.maxBody {
			return errBodyTooLarge
		}
		p.remain = h.contentLength
		p.state = psBody
	default:
		p.persist = false
		p.state = psToEOF
	}
	return nil
}
