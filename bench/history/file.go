package history

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// entry is one line of a series file: a record this version reads, or a
// line of a newer schema, kept as it is so that an older writer never
// deletes what a newer one wrote.
type entry struct {
	rec  *Record // nil for a kept line
	line []byte  // the encoded line, with its newline
}

func newEntry(r *Record) (entry, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return entry{}, err
	}
	return entry{rec: r, line: append(data, '\n')}, nil
}

func (e entry) full() bool    { return e.rec != nil && e.rec.PushCount() == 1 }
func (e entry) summary() bool { return e.rec != nil && e.rec.PushCount() > 1 }

// decodeFile parses the lines of a series file. A line that is not a valid
// record is skipped with a warning naming file:line, never an error: a
// corrupt record (a torn write, a bad merge, a hand edit) must not cost
// the rest of the history. Lines of another workerbench/history schema are
// kept, unread.
func decodeFile(name string, data []byte) (es []entry, warnings []error) {
	warn := func(line int, format string, a ...any) {
		warnings = append(warnings, fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...)))
	}
	for n, line := range bytes.Split(data, []byte("\n")) {
		n++ // line numbers from 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if len(line) > MaxLine {
			warn(n, "record longer than %d KiB: skipped", MaxLine>>10)
			continue
		}
		var probe struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal(line, &probe); err != nil {
			warn(n, "corrupt record (%v): skipped", err)
			continue
		}
		if probe.Schema != Schema {
			if strings.HasPrefix(probe.Schema, "workerbench/history/") {
				warn(
					n,
					"record of schema %q, which this workerbench does not read (a newer version wrote it): skipped, kept in the file",
					probe.Schema,
				)
				es = append(es, entry{line: append(bytes.Clone(line), '\n')})
				continue
			}
			warn(n, "not a workerbench history record (schema %q): skipped", probe.Schema)
			continue
		}
		var r Record
		if err := json.Unmarshal(line, &r); err != nil {
			warn(n, "corrupt record (%v): skipped", err)
			continue
		}
		if err := r.Validate(); err != nil {
			warn(n, "invalid record (%s): skipped", strings.ReplaceAll(err.Error(), "\n", "; "))
			continue
		}
		if want := FileName(r.Series, r.Endpoint); want != baseName(name) {
			warn(
				n,
				"record of series %q endpoint %q belongs in %s: skipped",
				r.Series,
				r.Endpoint,
				want,
			)
			continue
		}
		es = append(es, entry{rec: &r, line: append(bytes.Clone(line), '\n')})
	}
	return es, warnings
}

func encodeFile(es []entry) []byte {
	var b bytes.Buffer
	for _, e := range es {
		b.Write(e.line)
	}
	return b.Bytes()
}

func size(es []entry) int {
	n := 0
	for _, e := range es {
		n += len(e.line)
	}
	return n
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}
