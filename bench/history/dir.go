package history

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// MaxFileSize bounds how much of a series file is read: far above what a
// Policy lets a file grow to, so only a file written by something else
// reaches it.
const MaxFileSize = 64 << 20

// Dir is a history kept in a plain directory, one JSON-lines file per
// series (FileName). The directory can be anywhere: the work tree of a data
// branch, a cache, a shared disk. Writes replace a file atomically, but two
// processes appending to one Dir at once can lose a record: concurrent
// writers go through a data branch (package databranch), which replays an
// append that lost a race.
type Dir struct {
	Path   string
	Policy Policy // the zero value means DefaultPolicy
}

// History is what a Dir holds: its series, and what could not be read.
type History struct {
	Series []Series
	// Warnings name each record or file skipped, and why. They are not
	// errors: a corrupt line costs that line, never the history.
	Warnings []error
}

// Series is the records of one file, oldest first.
type Series struct {
	Name     string // the records' series
	Endpoint string
	File     string // base name of the file
	Records  []Record
}

// Load reads every series file of the directory (*.jsonl), in file-name
// order. A missing or unreadable directory is an error; a file or record
// that cannot be read is a warning. A file with no readable record is left
// out.
func (d Dir) Load() (*History, error) {
	names, err := d.files()
	if err != nil {
		return nil, err
	}
	h := &History{}
	for _, name := range names {
		es, warns, err := d.read(name)
		h.Warnings = append(h.Warnings, warns...)
		if err != nil {
			h.Warnings = append(h.Warnings, err)
			continue
		}
		s := Series{File: name}
		for _, e := range es {
			if e.rec != nil {
				s.Records = append(s.Records, *e.rec)
			}
		}
		if len(s.Records) == 0 {
			continue
		}
		s.Name, s.Endpoint = s.Records[0].Series, s.Records[0].Endpoint
		h.Series = append(h.Series, s)
	}
	return h, nil
}

// Records is the number of records in all series.
func (h *History) Records() int {
	n := 0
	for _, s := range h.Series {
		n += len(s.Records)
	}
	return n
}

func (d Dir) files() ([]string, error) {
	if d.Path == "" {
		return nil, errors.New("history directory not given")
	}
	ents, err := os.ReadDir(d.Path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) && errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("history directory %s does not exist", d.Path)
		}
		return nil, fmt.Errorf("read history directory: %w", err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".jsonl") && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names, nil
}

// read reads one series file. A file that is missing gives no entries and
// no error; one that is not a regular file or is too large is an error.
func (d Dir) read(name string) ([]entry, []error, error) {
	path := filepath.Join(d.Path, name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		kind := "a special file"
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			kind = "a symbolic link"
		case fi.IsDir():
			kind = "a directory"
		}
		return nil, nil, fmt.Errorf("%s: not a regular file but %s, not read", path, kind)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf(
			"%s: larger than %d MiB: not a file workerbench wrote, skipped",
			path,
			MaxFileSize>>20,
		)
	}
	es, warns := decodeFile(name, data)
	return es, warns, nil
}

// Append adds records (each to its series' file, created if needed) and
// applies the policy to every file it touched. The directory is created if
// it does not exist. An invalid record is an error and nothing is written;
// lines of the file it cannot read are warnings (a corrupt line is dropped
// when the file is rewritten; a line of a newer schema is kept).
func (d Dir) Append(recs ...Record) (warnings []error, err error) {
	if d.Path == "" {
		return nil, errors.New("history directory not given")
	}
	byFile := map[string][]Record{}
	var order []string
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return nil, fmt.Errorf("record %d (commit %s): %w", i, recs[i].Commit, err)
		}
		name := FileName(recs[i].Series, recs[i].Endpoint)
		if _, ok := byFile[name]; !ok {
			order = append(order, name)
		}
		byFile[name] = append(byFile[name], recs[i])
	}
	if err := os.MkdirAll(d.Path, 0o755); err != nil {
		return nil, fmt.Errorf("create history directory: %w", err)
	}
	for _, name := range order {
		es, warns, err := d.read(name)
		warnings = append(warnings, warns...)
		if err != nil {
			// Rewriting a file that could not be read would lose it.
			return warnings, fmt.Errorf("append to %s: %w; nothing recorded: remove or "+
				"replace it on the history branch or directory", name, err)
		}
		for _, r := range byFile[name] {
			if slices.ContainsFunc(
				es,
				func(e entry) bool { return e.rec != nil && e.rec.Commit == r.Commit },
			) {
				warnings = append(
					warnings,
					fmt.Errorf(
						"%s: commit %s already has a record: adding another (a re-run?)",
						name,
						ShortCommit(r.Commit),
					),
				)
			}
			e, err := newEntry(&r)
			if err != nil {
				return warnings, fmt.Errorf("encode record: %w", err)
			}
			es = append(es, e)
		}
		es, dropped, err := d.Policy.compact(es)
		if err != nil {
			return warnings, fmt.Errorf("thin %s: %w", name, err)
		}
		if dropped > 0 {
			warnings = append(
				warnings,
				fmt.Errorf(
					"%s: dropped the %d oldest records to stay under %d bytes",
					name,
					dropped,
					d.Policy.normalized().MaxBytes,
				),
			)
		}
		if err := results.WriteFileAtomic(filepath.Join(d.Path, name), encodeFile(es)); err != nil {
			return warnings, fmt.Errorf("write %s: %w", name, err)
		}
	}
	return warnings, nil
}

// ShortCommit is a commit's first 7 digits, as git abbreviates it, or the
// whole of a shorter one: "1f55114".
func ShortCommit(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}
