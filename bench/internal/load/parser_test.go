package load

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"
)

// parsed is what a parser made of one response.
type parsed struct {
	status  int
	persist bool
	err     error
	rest    string // bytes after the response, when it parsed
}

// parseFed runs the event loop's parser over in as it would see it arrive in pieces of the given
// sizes (the last piece runs to the end; then EOF), through a buffer of readBufSize bytes that
// keeps an incomplete line at its front, as evLoop.parse does.
func parseFed(in []byte, sizes []int, head bool, maxBody int64) parsed {
	var p parser
	p.reset(head, maxBody)
	buf := make([]byte, readBufSize)
	r, w := 0, 0
	for {
		// One read: the next piece, at most what the buffer has room for.
		k := len(in)
		if len(sizes) > 0 {
			k = min(k, sizes[0])
			sizes = sizes[1:]
		}
		k = min(k, len(buf)-w)
		copy(buf[w:], in[:k])
		in = in[k:]
		w += k
		eof := len(in) == 0
		n, status, err := p.feed(buf[r:w], eof)
		r += n
		if err != nil {
			return parsed{status: status, err: err}
		}
		if p.done() {
			return parsed{status: status, persist: p.persist, rest: string(buf[r:w]) + string(in)}
		}
		if eof {
			return parsed{err: errors.New("parser neither finished nor failed at EOF")}
		}
		// Keep the incomplete line at the front.
		copy(buf, buf[r:w])
		r, w = 0, w-r
	}
}

// parseBufio runs readResponse over in.
func parseBufio(in []byte, head bool, maxBody int64) parsed {
	br := bufio.NewReaderSize(strings.NewReader(string(in)), readBufSize)
	status, persist, err := readResponse(br, head, maxBody)
	if err != nil {
		return parsed{status: status, err: err}
	}
	rest, _ := io.ReadAll(br)
	return parsed{status: status, persist: persist, rest: string(rest)}
}

func TestParser(t *testing.T) {
	for _, tt := range responseCases() {
		t.Run(tt.name, func(t *testing.T) {
			maxBody := tt.maxBody
			if maxBody == 0 {
				maxBody = defaultMaxBody
			}
			want := parsed{status: tt.wantStatus, persist: tt.wantPersist, err: tt.wantErr, rest: tt.wantRest}
			in := []byte(tt.in)
			check := func(how string, got parsed) {
				t.Helper()
				if got.err != want.err || got.status != want.status || (got.err == nil && (got.persist != want.persist || got.rest != want.rest)) {
					t.Fatalf("%s: got %+v, want %+v", how, got, want)
				}
			}
			check("whole", parseFed(in, nil, tt.head, maxBody))
			ones := make([]int, len(in))
			for i := range ones {
				ones[i] = 1
			}
			check("byte by byte", parseFed(in, ones, tt.head, maxBody))
			if len(in) < 2000 {
				for i := range len(in) {
					check("split", parseFed(in, []int{i}, tt.head, maxBody))
				}
			}
		})
	}
}

// FuzzParserMatches checks that the event loop's parser accepts and rejects exactly what
// readResponse does, with the same status, error, connection fate and bytes left over, however
// the response is cut into reads.
func FuzzParserMatches(f *testing.F) {
	for _, tt := range responseCases() {
		f.Add([]byte(tt.in), tt.head, int64(16), []byte{3, 1, 7})
	}
	f.Fuzz(func(t *testing.T, in []byte, head bool, maxBody int64, cuts []byte) {
		if maxBody < 0 {
			maxBody = -maxBody
		}
		if maxBody < 0 {
			return // math.MinInt64
		}
		sizes := make([]int, len(cuts))
		for i, c := range cuts {
			sizes[i] = int(c) + 1
		}
		want := parseBufio(in, head, maxBody)
		got := parseFed(in, sizes, head, maxBody)
		if got.err != want.err || got.status != want.status || (got.err == nil && (got.persist != want.persist || got.rest != want.rest)) {
			t.Fatalf("parser %+v, readResponse %+v", got, want)
		}
	})
}
