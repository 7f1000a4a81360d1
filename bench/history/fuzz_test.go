package history

import (
	"reflect"
	"testing"
)

// FuzzDecodeFile: any bytes decode without panicking, every record kept
// is valid, and a file written from them reads back the same.
func FuzzDecodeFile(f *testing.F) {
	for _, r := range synth(1, 3, 2, 0.9, 0.02) {
		e, _ := newEntry(&r)
		f.Add(e.line)
	}
	f.Add([]byte(`{"schema":"workerbench/history/v2","x":1}` + "\n"))
	f.Add(
		[]byte(
			`{"schema":"workerbench/history/v1","series":"default","commit":"abcdef1","time":"2025-03-01T12:00:00Z","cells":[{"workers":1,"threads":1,"rps":[1e308]}]}`,
		),
	)
	f.Add([]byte("{\n}\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, _ := decodeFile("default.jsonl", data)
		for _, e := range es {
			if e.rec != nil {
				if err := e.rec.Validate(); err != nil {
					t.Fatalf("kept an invalid record: %v", err)
				}
			}
		}
		again, warns := decodeFile("default.jsonl", encodeFile(es))
		if len(warns) != count(es, func(e entry) bool { return e.rec == nil }) ||
			len(again) != len(es) {
			t.Fatalf(
				"re-reading gave %d entries and %d warnings from %d",
				len(again),
				len(warns),
				len(es),
			)
		}
		for i := range es {
			if (es[i].rec == nil) != (again[i].rec == nil) ||
				es[i].rec != nil && !reflect.DeepEqual(*es[i].rec, *again[i].rec) {
				t.Fatalf("entry %d changed on re-reading", i)
			}
		}
	})
}
