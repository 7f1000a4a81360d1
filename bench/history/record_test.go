package history

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

func seedResults() *results.Run {
	cell := func(w, t int, endpoint string, rps ...float64) results.Cell {
		c := results.Cell{
			Workers: w, Threads: t, Slots: w * t, Endpoint: endpoint, Mode: "closed",
			ServiceTimeS: 0.10123456, ThroughputRPS: rps[0], Concurrency: 0.1 * rps[0] * 1.0123,
			Latency: results.Latency{P50: 0.1, P99: 0.1234567},
			Memory:  results.Memory{PSSBytes: 40 << 20, PeakPSSBytes: 42 << 20},
		}
		for _, v := range rps {
			c.Trials = append(c.Trials, results.Trial{ThroughputRPS: v, Concurrency: v * 0.1})
		}
		return c
	}
	failed := results.Cell{Workers: 3, Threads: 3, Slots: 9, Endpoint: "GET /cpu",
		Error: "server exited during startup (exit status 3)\nmore lines"}
	return &results.Run{
		Schema: results.Schema, Version: "0.1.0-dev",
		Host: results.Host{
			CPUs:     2,
			OS:       "linux",
			Arch:     "amd64",
			Hostname: "fv-az123",
			CPUModel: "AMD EPYC",
		},
		Command: "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app",
		Settings: results.Settings{
			DurationS: 5,
			WarmupS:   1,
			Trials:    2,
			KeepAlive: true,
			Bursts:    []int{5},
		},
		Started: "2025-03-01T12:00:00Z",
		Cells: []results.Cell{
			cell(1, 1, "GET /?ms=100", 9.87654321, 9.9),
			cell(3, 3, "GET /?ms=100", 88.3, 88.1),
			cell(1, 1, "GET /cpu", 48.2, 47.9),
			failed,
		},
	}
}

func TestFromResults(t *testing.T) {
	recs, err := FromResults(
		seedResults(),
		Meta{Commit: "ABCDEF1234567890ABCDEF1234567890ABCDEF12"},
	)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("%d records, want one per endpoint (2)", len(recs))
	}
	r := recs[0]
	if r.Series != DefaultSeries || r.Endpoint != "GET /?ms=100" ||
		r.Commit != "abcdef1234567890abcdef1234567890abcdef12" {
		t.Errorf("series %q endpoint %q commit %q", r.Series, r.Endpoint, r.Commit)
	}
	if want := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC); !r.Time.Equal(want) {
		t.Errorf("time %v, want the results' start %v", r.Time, want)
	}
	if len(r.Cells) != 2 || r.Cells[0].Name() != "1x1" || r.Cells[1].Name() != "3x3" {
		t.Fatalf("cells %+v", r.Cells)
	}
	c := r.Cells[0]
	if got := c.Throughput; len(got) != 2 || got[0] != 9.8765 || got[1] != 9.9 {
		t.Errorf("throughput %v, want the trials to 5 digits [9.8765 9.9]", got)
	}
	if c.PSSBytes != 42<<20 || c.P99S != 0.12346 || c.ServiceTimeS != 0.10123 {
		t.Errorf("pss %d p99 %v s0 %v", c.PSSBytes, c.P99S, c.ServiceTimeS)
	}
	f := recs[1].Cells[1]
	if !f.Failed() || f.Error != "server exited during startup (exit status 3)" ||
		f.Throughput != nil {
		t.Errorf("failed cell %+v: want its first error line and no figures", f)
	}
	data, _ := json.Marshal(r)
	if strings.Contains(string(data), "fv-az123") {
		t.Errorf("record carries the hostname: %s", data)
	}
	if len(data) > 800 {
		t.Errorf("a two-cell record is %d bytes: %s", len(data), data)
	}

	bad := []struct {
		name string
		edit func(*results.Run, *Meta)
		want string
	}{
		{"no commit", func(_ *results.Run, m *Meta) { m.Commit = "" }, "commit"},
		{"not hex", func(_ *results.Run, m *Meta) { m.Commit = "main" }, `commit "main"`},
		{"interrupted", func(r *results.Run, _ *Meta) { r.Interrupted = true }, "interrupted"},
		{"no cells", func(r *results.Run, _ *Meta) { r.Cells = nil }, "no cells"},
		{"no time", func(r *results.Run, _ *Meta) { r.Started = "" }, "no time"},
		{"bad series", func(_ *results.Run, m *Meta) { m.Series = "../x" }, "series"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			res, m := seedResults(), Meta{Commit: "abcdef1"}
			tt.edit(res, &m)
			_, err := FromResults(res, m)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	good := func() Record { return synth(1, 1, 1, 1, 0.02)[0] }
	r := good()
	if err := r.Validate(); err != nil {
		t.Fatalf("good record: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Record)
		want string
	}{
		{"schema", func(r *Record) { r.Schema = "workerbench/history/v2" }, "schema"},
		{"short commit", func(r *Record) { r.Commit = "abc" }, "commit"},
		{"no time", func(r *Record) { r.Time = time.Time{} }, "no time"},
		{"no cells", func(r *Record) { r.Cells = nil }, "0 cells"},
		{"zero workers", func(r *Record) { r.Cells[0].Workers = 0 }, "workers and threads"},
		{"negative rps", func(r *Record) { r.Cells[0].Throughput[0] = -1 }, "throughput -1"},
		{
			"too many trials",
			func(r *Record) { r.Cells[0].Throughput = make([]float64, MaxTrials+1) },
			"throughput values",
		},
		{"twice", func(r *Record) { r.Cells[1] = r.Cells[0] }, "appears twice"},
		{"series", func(r *Record) { r.Series = "Has Space" }, "series"},
		{"pushes", func(r *Record) { r.Pushes = -2 }, "pushes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good()
			tt.edit(&r)
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	if got := FileName("default", ""); got != "default.jsonl" {
		t.Errorf("FileName(default) = %q", got)
	}
	a, b := FileName("s", "GET /a b"), FileName("s", "GET /a-b")
	if a == b || !strings.HasPrefix(a, "s--get-a-b-") || !strings.HasSuffix(a, ".jsonl") {
		t.Errorf("endpoints that slug alike: %q and %q", a, b)
	}
}
