package results

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Read reads and validates a results file. A file of another schema,
// corrupt JSON, one larger than MaxSize or beyond the limits (MaxString,
// MaxCells, …) is an error naming the path.
func Read(path string) (*Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	defer f.Close()
	r, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("read results %s: %w", path, err)
	}
	return r, nil
}

// Decode decodes and validates results JSON from r. The JSON is scanned
// first, and refused when it exceeds a limit, so that nothing is allocated
// for a hostile file beyond a few times its size.
func Decode(r io.Reader) (*Run, error) {
	data, err := readAtMost(r, MaxSize)
	if err != nil {
		return nil, err
	}
	if err := scan(data); err != nil {
		return nil, err
	}
	var res Run
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("not valid results JSON (corrupt or truncated?): %w", err)
	}
	if res.Schema != Schema {
		if res.Schema == "" {
			return nil, fmt.Errorf("no \"schema\" field: not a workerbench results file")
		}
		return nil, fmt.Errorf("schema %.64q is not %q", res.Schema, Schema)
	}
	if err := res.validate(); err != nil {
		return nil, err
	}
	return &res, nil
}

// readAtMost reads all of r, refusing more than n bytes. A file (or a
// reader that knows its length) is read into a buffer of its size, where
// io.ReadAll would grow one to about twice it.
func readAtMost(r io.Reader, n int64) ([]byte, error) {
	size := int64(-1)
	switch r := r.(type) {
	case *os.File:
		if fi, err := r.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	case interface{ Len() int }: // bytes.Reader, strings.Reader, bytes.Buffer
		size = int64(r.Len())
	}
	size = min(max(size, 0), n) + bytes.MinRead + 1 // ReadFrom wants MinRead free
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(io.LimitReader(r, n+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > n {
		return nil, fmt.Errorf("larger than %d MiB", n>>20)
	}
	return buf.Bytes(), nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename, so readers (and a crash) see either the old file
// or the new one, never half of one.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	// CreateTemp makes the file 0600; results are for everyone to read.
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Write writes r as indented JSON to path, atomically.
func Write(path string, r *Run) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(data, '\n'))
}
