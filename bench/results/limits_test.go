package results

import (
	"bytes"
	"runtime"
	"strings"
	"testing"
)

// oneCell is a results file of one 1x1 cell with extra fields.
func oneCell(extra string) string {
	return `{"schema": "workerbench/results/v1", "cells": [{"workers": 1, "threads": 1, ` + extra + `}]}`
}

// many is n copies of s, comma-separated.
func many(s string, n int) string { return strings.TrimSuffix(strings.Repeat(s+",", n), ",") }

// TestDecodeRefusesHostile: an enumerated field holds one of its values,
// or the file is refused naming the field (a verdict or a sweep's
// "limited" once printed "::warning title=FORGED::" in the publish job's
// log); a file beyond a limit is refused naming the limit, before it is
// decoded.
func TestDecodeRefusesHostile(t *testing.T) {
	// A cell of about a real one's size, so that the count, not the
	// memory it decodes to, is what refuses a file of many.
	filler := `{"x": "` + strings.Repeat("x", 500) + `"}`
	for _, tt := range []struct {
		name string
		data string
		want string
	}{
		{"forged cell verdict", oneCell(`"verdict": "::error x"`),
			`cells[0].verdict "::error x": want regressed, improved, unchanged or inconclusive`},
		{"forged run verdict", `{"schema": "workerbench/results/v1", "cells": [], "verdict": "regressed\n::warning title=FORGED::x"}`,
			`verdict "regressed\n::warning title=FORGED::x": want regressed, improved, unchanged or inconclusive`},
		{"forged base verdict", oneCell(`"base": {"workers": 1, "threads": 1, "verdict": "bad"}`),
			`cells[0].base.verdict "bad": want`},
		{"unknown mode", oneCell(`"mode": "open"`), `cells[0].mode "open": want closed`},
		{"unknown bound", oneCell(`"bound": "gpu"`), `cells[0].bound "gpu": want cpu or io`},
		{"forged limited", oneCell(`"sweep": {"points": [], "limited": "x\n::warning title=FORGED::y"}`),
			`cells[0].sweep.limited "x\n::warning title=FORGED::y": want throughput, latency, connections, time or errors`},
		{"base's limited", oneCell(`"base": {"workers": 1, "threads": 1, "sweep": {"limited": "x"}}`),
			`cells[0].base.sweep.limited "x"`},
		{"unknown error kind", oneCell(`"error_kinds": {"::x": 1}`),
			`cells[0].error_kinds "::x": want connect, timeout, status or protocol`},
		{"unknown model", `{"schema": "workerbench/results/v1", "cells": [], "model": "threads"}`,
			`model "threads": want slots or event-loop`},
		{"unknown runtime", `{"schema": "workerbench/results/v1", "cells": [], "runtime": "jvm"}`,
			`runtime "jvm": want cpython, ruby or node`},
		{"unknown cost", `{"schema": "workerbench/results/v1", "cells": [], "recommendation": {"unknown_costs": ["x"]}}`,
			`recommendation.unknown_costs[0] "x": want pss_per_worker or pss_per_thread`},
		{"long value quoted short", oneCell(`"bound": "` + strings.Repeat("x", 1000) + `"`),
			`cells[0].bound "` + strings.Repeat("x", 64) + `": want`},

		{"long string", oneCell(`"error": "` + strings.Repeat("x", MaxString+1) + `"`),
			"cells[0].error: a string of 65537 bytes, more than 65536"},
		{"long string in an unknown field", oneCell(`"x": ["` + strings.Repeat("x", MaxString+1) + `"]`),
			"cells[0].x[0]: a string of 65537 bytes"},
		{"long key", oneCell(`"` + strings.Repeat("k", MaxString+1) + `": 1`), "cells[0]: a key of 65537 bytes"},
		{"too many cells", `{"schema": "workerbench/results/v1", "cells": [` + many(filler, MaxCells+1) + `]}`,
			"cells: more than 10000 elements"},
		{"too many trials", oneCell(`"trials": [` + many("{}", 10001) + `]`), "cells[0].trials: more than 10000 elements"},
		{"too many base trials", oneCell(`"base": {"trials": [` + many("{}", 10001) + `]}`),
			"cells[0].base.trials: more than 10000 elements"},
		{"too many burst requests", oneCell(`"bursts": [{"requests": [` + many("{}", 10001) + `]}]`),
			"cells[0].bursts[0].requests: more than 10000 elements"},
		{"too many sweep points", oneCell(`"sweep": {"points": [` + many("{}", 1001) + `]}`),
			"cells[0].sweep.points: more than 1000 elements"},
		{"too many run diagnostics", `{"schema": "workerbench/results/v1", "cells": [], "diagnostics": [` + many(`""`, 10001) + `]}`,
			"diagnostics: more than 10000 elements"},
		{"too large an unknown array", `{"schema": "workerbench/results/v1", "x": [` + many("0", maxElements+1) + `]}`,
			"x: more than 100000 elements"},
		{"too deep", `{"schema": "workerbench/results/v1", "x": ` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`,
			"nested more than 16 deep"},
		{"nested bases", `{"schema": "workerbench/results/v1", "cells": [` + strings.Repeat(`{"base":`, 20) + "{}" +
			strings.Repeat("}", 20) + `]}`, "nested more than 16 deep"},
		{"decodes too large", `{"schema": "workerbench/results/v1", "cells": [` +
			many(`{"trials": [`+many("{}", 9000)+`]}`, 20) + `]}`, "would take more than 4 MiB to decode"},
		{"case-folded keys count", `{"schema": "workerbench/results/v1", "CELLS": [` + many(filler, MaxCells+1) + `]}`,
			"CELLS: more than 10000 elements"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Decode(strings.NewReader(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode = %v, %.300v; want an error containing %.300q", r, err, tt.want)
			}
		})
	}
}

// TestDecodeListsFewErrors: a file of many bad cells is refused with a few
// of them and a count, not a message as long as the file.
func TestDecodeListsFewErrors(t *testing.T) {
	data := `{"schema": "workerbench/results/v1", "cells": [` + many(`{"verdict": "x"}`, 5000) + `]}`
	_, err := Decode(strings.NewReader(data))
	if err == nil || len(err.Error()) > 2000 || !strings.Contains(err.Error(), "more") {
		t.Errorf("Decode of 5000 bad cells = %.300v… (%d bytes), want a short error", err, len(errText(err)))
	}
}

// TestDecodeBoundsAllocation: refusing a 4 MiB file of empty cells
// allocates a few times its size at most, on any machine (it took 5.7 GB
// before the scan; TestDecodeHostilePeakMemory measures the peak RSS).
func TestDecodeBoundsAllocation(t *testing.T) {
	data := hostileCells((4<<20 - 50) / 3)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(bytes.NewReader(data))
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a file of empty cells was accepted")
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*uint64(len(data)) {
		t.Errorf("refusing a %d-byte file allocated %d bytes, want at most 3 × its size", len(data), alloc)
	}
}
