package history

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDirRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "history") // Append creates it
	d := Dir{Path: dir}
	recs := synth(1, 5, 5, 1, 0.02)
	for _, r := range recs {
		if warns, err := d.Append(r); err != nil || len(warns) > 0 {
			t.Fatalf("Append: %v %v", warns, err)
		}
	}
	h, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Warnings) > 0 || len(h.Series) != 1 {
		t.Fatalf("Load: %d series, warnings %v", len(h.Series), h.Warnings)
	}
	s := h.Series[0]
	if s.Name != DefaultSeries || s.File != "default.jsonl" || !reflect.DeepEqual(s.Records, recs) {
		t.Errorf(
			"loaded %q %q, records equal: %v",
			s.Name,
			s.File,
			reflect.DeepEqual(s.Records, recs),
		)
	}
	data, _ := os.ReadFile(filepath.Join(dir, "default.jsonl"))
	if n := strings.Count(string(data), "\n"); n != 5 {
		t.Errorf("file has %d lines, want one per record (5)", n)
	}
}

func TestDirEndpointsInTheirOwnFiles(t *testing.T) {
	d := Dir{Path: t.TempDir()}
	a := synth(1, 1, 1, 1, 0.02)[0]
	b := a
	b.Endpoint = "GET /cpu"
	c := a
	c.Series = "api"
	if _, err := d.Append(a, b, c); err != nil {
		t.Fatal(err)
	}
	h, err := d.Load()
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, s := range h.Series {
		files = append(files, s.File)
	}
	want := []string{
		"api.jsonl",
		"default--get-cpu-" + FileName("default", "GET /cpu")[len("default--get-cpu-"):],
		"default.jsonl",
	}
	if !reflect.DeepEqual(files, want) {
		t.Errorf("files %v, want %v", files, want)
	}
}

// A corrupt record, a truncated one, one of a newer schema and one of
// another format are skipped with a warning naming file:line; the rest of
// the history survives, and appending keeps the newer schema's line.
func TestLoadSkipsBadRecords(t *testing.T) {
	dir := t.TempDir()
	recs := synth(1, 3, 3, 1, 0.02)
	var lines []string
	for _, r := range recs {
		e, _ := newEntry(&r)
		lines = append(lines, strings.TrimSuffix(string(e.line), "\n"))
	}
	invalid := recs[0]
	invalid.Cells = nil
	ie, _ := newEntry(&invalid)
	misplaced := recs[0]
	misplaced.Series = "other"
	me, _ := newEntry(&misplaced)
	v2 := `{"schema":"workerbench/history/v2","commit":"abcdef1","new":"shape"}`
	file := strings.Join([]string{
		lines[0],
		`{"schema":"workerbench/history/v1","commit":`, // torn write
		"\x00\x01garbage",
		v2,
		`{"schema":"other/v1"}`,
		lines[1],
		strings.TrimSpace(string(ie.line)),
		strings.TrimSpace(string(me.line)),
		"",
		lines[2],
	}, "\n") + "\n"
	path := filepath.Join(dir, "default.jsonl")
	if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
		t.Fatal(err)
	}
	d := Dir{Path: dir}
	h, err := d.Load()
	if err != nil {
		t.Fatalf("Load failed on bad lines: %v", err)
	}
	if got := h.Records(); got != 3 {
		t.Errorf("%d records survived, want the 3 good ones", got)
	}
	wantWarn := []string{
		"default.jsonl:2: corrupt record",
		"default.jsonl:3: corrupt record",
		`default.jsonl:4: record of schema "workerbench/history/v2", which this workerbench does not read`,
		`default.jsonl:5: not a workerbench history record (schema "other/v1")`,
		"default.jsonl:7: invalid record (0 cells",
		`default.jsonl:8: record of series "other" endpoint "" belongs in other.jsonl`,
	}
	if len(h.Warnings) != len(wantWarn) {
		t.Errorf("warnings:\n%v\nwant %d", errors.Join(h.Warnings...), len(wantWarn))
	}
	for i, w := range wantWarn {
		if i < len(h.Warnings) && !strings.Contains(h.Warnings[i].Error(), w) {
			t.Errorf("warning %d = %q, want it to contain %q", i, h.Warnings[i], w)
		}
	}

	more := synth(2, 1, 1, 1, 0.02)[0]
	more.Commit = commitOf(99)
	warns, err := d.Append(more)
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != len(wantWarn) {
		t.Errorf("Append warned %d times, want the same %d", len(warns), len(wantWarn))
	}
	data, _ := os.ReadFile(path)
	got := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(got) != 5 || got[1] != v2 {
		t.Errorf(
			"after Append the file has %d lines (want 5: 3 records, the v2 line in place, the new one):\n%s",
			len(got),
			data,
		)
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := Dir{Path: "/no/such/history"}.Load()
	if err == nil || err.Error() != "history directory /no/such/history does not exist" {
		t.Errorf("missing dir: %v", err)
	}
	_, err = Dir{}.Load()
	if err == nil {
		t.Error("no path: no error")
	}
	// An empty directory is not an error; the caller says "no records".
	h, err := Dir{Path: t.TempDir()}.Load()
	if err != nil || h.Records() != 0 {
		t.Errorf("empty dir: %v, %d records", err, h.Records())
	}
}

func TestAppendRefusesWhatItCannotRead(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "default.jsonl"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Dir{Path: dir}.Append(synth(1, 1, 1, 1, 0.02)[0])
	if err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("Append over a directory: %v", err)
	}
	bad := synth(1, 1, 1, 1, 0.02)[0]
	bad.Commit = "nope"
	if _, err := (Dir{Path: t.TempDir()}).Append(bad); err == nil ||
		!strings.Contains(err.Error(), `commit "nope"`) {
		t.Errorf("invalid record: %v", err)
	}
}

func TestAppendWarnsOnRerun(t *testing.T) {
	d := Dir{Path: t.TempDir()}
	r := synth(1, 1, 1, 1, 0.02)[0]
	d.Append(r)
	warns, err := d.Append(r)
	if err != nil || len(warns) != 1 ||
		!strings.Contains(warns[0].Error(), "already has a record") {
		t.Errorf("second record of a commit: %v %v", warns, err)
	}
}

// TestPolicyBoundsFileSize appends 10,000 pushes and checks after every
// one that the file stays under the cap, that the newest Full pushes are
// as recorded, and that no push is lost from the count.
func TestPolicyBoundsFileSize(t *testing.T) {
	t.Parallel()
	const pushes = 10000
	p := DefaultPolicy()
	recs := synth(3, pushes, pushes/2, 0.9, 0.02)
	var es []entry
	largest, largestAt := 0, 0
	for i := range recs {
		e, err := newEntry(&recs[i])
		if err != nil {
			t.Fatal(err)
		}
		var dropped int
		es, dropped, err = p.compact(append(es, e))
		if err != nil {
			t.Fatal(err)
		}
		if dropped > 0 {
			t.Fatalf("push %d: dropped %d records: typical records must fit without", i, dropped)
		}
		if sz := size(es); sz > largest {
			largest, largestAt = sz, i
		}
		if size(es) > p.MaxBytes {
			t.Fatalf("push %d: file is %d bytes, over the %d cap", i, size(es), p.MaxBytes)
		}
		if got := pushes_(es); got != i+1 {
			t.Fatalf("push %d: the file stands for %d pushes", i, got)
		}
	}
	if n := len(es); n > p.Full+p.Group-1+p.Summaries {
		t.Errorf("%d records, want at most Full+Group-1+Summaries", n)
	}
	tail := es[len(es)-p.Full:]
	for j, e := range tail {
		if !e.full() || !reflect.DeepEqual(*e.rec, recs[pushes-p.Full+j]) {
			t.Fatalf("record %d of the newest %d is not the push as recorded", j, p.Full)
		}
	}
	first := es[0].rec
	if first.FirstCommit != commitOf(0) {
		t.Errorf("oldest record starts at %s, want the first push", first.FirstCommit)
	}
	t.Logf(
		"10,000 pushes: %d records, %d bytes at the end, largest %d bytes after push %d (cap %d); record ≈ %d bytes",
		len(es),
		size(es),
		largest,
		largestAt+1,
		p.MaxBytes,
		len(tail[0].line),
	)
	if largest > 360<<10 {
		t.Errorf("the file peaked at %d bytes; the policy's documentation says ≈ 340 KB", largest)
	}
}

func pushes_(es []entry) int {
	n := 0
	for _, e := range es {
		if e.rec != nil {
			n += e.rec.PushCount()
		}
	}
	return n
}

// The same through the directory, with a small policy, looking at the
// file on disk after each of 150 appends.
func TestDirAppendStaysUnderCap(t *testing.T) {
	t.Parallel()
	d := Dir{Path: t.TempDir(), Policy: Policy{Full: 20, Group: 5, Summaries: 10}}
	recs := synth(4, 150, 75, 0.9, 0.02)
	path := filepath.Join(d.Path, "default.jsonl")
	largest := int64(0)
	for i, r := range recs {
		if _, err := d.Append(r); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, fi.Size())
	}
	h, err := d.Load()
	if err != nil || len(h.Warnings) > 0 {
		t.Fatal(err, h.Warnings)
	}
	s := h.Series[0]
	total := 0
	for _, r := range s.Records {
		total += r.PushCount()
	}
	if total != 150 || len(s.Records) > 20+4+10 {
		t.Errorf("%d records standing for %d pushes", len(s.Records), total)
	}
	// 34 records of ≈ 1.1 KB.
	if largest > 40<<10 {
		t.Errorf("file reached %d bytes", largest)
	}
	t.Logf("largest file %d bytes over 150 appends", largest)
}

// Records far larger than usual meet MaxBytes by thinning harder, then by
// dropping the oldest, with a warning.
func TestPolicyMaxBytes(t *testing.T) {
	t.Parallel()
	d := Dir{Path: t.TempDir(), Policy: Policy{MaxBytes: 1}} // raised to one record's limit
	big := synth(5, 1, 1, 1, 0.02)[0]
	big.Cells = nil
	for w := 1; w <= 200; w++ {
		c := Cell{Workers: w, Threads: 1, Slots: w, Concurrency: 1, P99S: 0.1}
		for k := range MaxTrials {
			c.Throughput = append(c.Throughput, 1000+float64(k)+0.123)
		}
		big.Cells = append(big.Cells, c)
	}
	var dropped bool
	for i := range 12 {
		r := big
		r.Commit = commitOf(i)
		warns, err := d.Append(r)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range warns {
			dropped = dropped || strings.Contains(w.Error(), "dropped the")
		}
		fi, _ := os.Stat(filepath.Join(d.Path, "default.jsonl"))
		if fi.Size() > MaxLine+1 {
			t.Fatalf("append %d: %d bytes, over the cap of %d", i, fi.Size(), MaxLine+1)
		}
	}
	if !dropped {
		t.Error("no warning that records were dropped")
	}
}

func TestMerge(t *testing.T) {
	recs := synth(6, 4, 4, 1, 0.02)
	recs[1].Cells[0].Error, recs[1].Cells[0].Throughput = "server exited", nil
	for i := range recs {
		recs[i].Cells[3].Error, recs[i].Cells[3].Throughput = fmt.Sprintf("failed %d", i), nil
	}
	ptrs := []*Record{&recs[0], &recs[1], &recs[2], &recs[3]}
	m := Merge(ptrs[:2])
	m2 := Merge(ptrs[2:])
	all := Merge([]*Record{&m, &m2})
	if all.Pushes != 4 || all.Commit != recs[3].Commit || all.FirstCommit != recs[0].Commit ||
		!all.FirstTime.Equal(recs[0].Time) {
		t.Errorf("merged: pushes %d, %s…%s", all.Pushes, all.FirstCommit, all.Commit)
	}
	if err := all.Validate(); err != nil {
		t.Fatal(err)
	}
	c := all.Cells[0]
	if len(c.Throughput) != 3 { // push 1 failed in 1x1
		t.Errorf("1x1 keeps %v, want the medians of the 3 measured pushes", c.Throughput)
	}
	if got := all.Cells[3]; !got.Failed() || got.Error != "failed 3" {
		t.Errorf("a cell failed in every push: %+v", got)
	}
	if got := all.Cells[1].Throughput; len(got) != 4 {
		t.Errorf("1x3 keeps %v, want 4 medians", got)
	}
}
