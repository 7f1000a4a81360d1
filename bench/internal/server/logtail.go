package server

import (
	"bytes"
	"io"
	"os"
)

// maxTail bounds how much of the log LogTail reads, from the end: a server
// that logs megabytes per second must not make an error message expensive.
const maxTail = 256 << 10

// LogTail returns the last n lines of the server's log, without their line
// endings, reading at most the last 256 KiB of the file. It returns nil when
// there is no log (Spec.LogPath was empty) or it cannot be read: it serves
// error messages, which must not fail in turn.
func (p *Process) LogTail(n int) []string {
	if p.logPath == "" || n <= 0 {
		return nil
	}
	f, err := os.Open(p.logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	lines, err := tail(f, fi.Size(), n, maxTail)
	if err != nil {
		return nil
	}
	return lines
}

// tail returns the last n lines of the first size bytes of r, reading at
// most limit bytes from the end. A final line ending is not an empty last
// line. If the window starts mid-line, that partial line is dropped unless it
// is all there is.
func tail(r io.ReaderAt, size int64, n int, limit int64) ([]string, error) {
	if n <= 0 || size <= 0 {
		return nil, nil
	}
	start := max(size-limit, 0)
	buf := make([]byte, size-start)
	if _, err := r.ReadAt(buf, start); err != nil && err != io.EOF {
		return nil, err
	}
	buf = bytes.TrimSuffix(buf, []byte{'\n'})
	if start > 0 {
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			buf = buf[i+1:]
		}
	}
	var lines []string
	for len(lines) < n {
		i := bytes.LastIndexByte(buf, '\n')
		lines = append(lines, string(bytes.TrimSuffix(buf[i+1:], []byte{'\r'})))
		if i < 0 {
			break
		}
		buf = buf[:i]
	}
	// lines is newest first.
	for i, j := 0, len(lines)-1; i < j; i, j = i+1, j-1 {
		lines[i], lines[j] = lines[j], lines[i]
	}
	return lines, nil
}
