// Package history keeps the history of a branch's benchmarks: one compact,
// versioned Record per push, stored as JSON lines with one file per series
// in a directory (Dir) — a plain one, or the work tree of a git data
// branch (see package databranch). It validates records on read, skipping
// bad ones with a warning, bounds each file's size by thinning old records
// (Policy), and reads each cell's trend out of a series (Analyze), with
// change points and the run-to-run noise.
//
// The one place that knows the results.json types is FromResults.
package history

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/workerbench/workerbench/bench/internal/stats"

	"github.com/workerbench/workerbench/bench/results"
)

// Schema identifies the record format. A reader skips records of any other
// schema with a warning; a breaking change bumps the version.
const Schema = "workerbench/history/v1"

// DefaultSeries names a series when none is given.
const DefaultSeries = "default"

// Limits of a record, so that one file's size can be bounded (see Policy).
const (
	MaxCells       = 256
	MaxTrials      = 50 // throughput values kept per cell
	MaxLine        = 256 << 10
	maxCommandLen  = 4096
	maxEndpointLen = 512
	maxErrorLen    = 200
)

// Record is one push of a series: what was measured at a commit, per cell.
// A record that summarises several older pushes (see Policy) has Pushes > 1
// and spans FirstCommit…Commit.
type Record struct {
	Schema string `json:"schema"`
	// Series names the benchmark (one workflow job, say); with Endpoint it
	// picks the file the record lives in.
	Series   string    `json:"series"`
	Endpoint string    `json:"endpoint,omitempty"` // "GET /path"; empty for a single endpoint
	Commit   string    `json:"commit"`
	Time     time.Time `json:"time"` // when it was measured
	Version  string    `json:"workerbench_version,omitempty"`
	Host     Host      `json:"host"`
	Command  string    `json:"command"`
	Settings Settings  `json:"settings"`
	Cells    []Cell    `json:"cells"`

	// Set on a summary of several pushes.
	Pushes      int        `json:"pushes,omitempty"` // 0 means 1
	FirstCommit string     `json:"first_commit,omitempty"`
	FirstTime   *time.Time `json:"first_time,omitempty"`
}

// Host is the runner a record was measured on. The hostname is left out:
// hosted runners get a random one, and it says nothing about speed.
type Host struct {
	CPUs     int    `json:"cpus"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	CPUModel string `json:"cpu_model,omitempty"`
}

// Settings are the load settings of the measurement.
type Settings struct {
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`
	Trials      int     `json:"trials"`
	Connections int     `json:"connections,omitempty"`
	KeepAlive   bool    `json:"keep_alive"`
}

// Cell is one workers × threads configuration at one push.
type Cell struct {
	Workers int `json:"workers"`
	Threads int `json:"threads"`
	Slots   int `json:"slots"`
	// Throughput holds req/s per trial; in a summary, the median of each
	// push it summarises (at most MaxTrials, spread over their range).
	Throughput   []float64 `json:"rps"`
	Concurrency  float64   `json:"concurrency"` // achieved K, median over trials
	ServiceTimeS float64   `json:"s0_s,omitempty"`
	P99S         float64   `json:"p99_s"`
	PSSBytes     uint64    `json:"pss_bytes"` // peak Σ PSS of the server's process tree
	// Error says why the cell could not be measured at this push.
	Error string `json:"error,omitempty"`
}

// Name is the cell's label, "WxT".
func (c Cell) Name() string { return fmt.Sprintf("%dx%d", c.Workers, c.Threads) }

// Failed reports whether the cell has no measurement at this push.
func (c Cell) Failed() bool { return c.Error != "" || len(c.Throughput) == 0 }

// Median is the cell's throughput at this push: the median over trials.
func (c Cell) Median() float64 { return stats.Median(c.Throughput) }

// PushCount is how many pushes the record stands for.
func (r *Record) PushCount() int { return max(r.Pushes, 1) }

// Meta is what a record needs beside the results: which commit, when, and
// which series.
type Meta struct {
	Series string    // DefaultSeries when empty
	Commit string    // required: 7 to 64 hex digits
	Time   time.Time // the results' start time when zero
}

// FromResults builds the records of one push from a results file: one per
// endpoint, cells in the order measured. It is the only function that reads
// the results.json types. Failed cells are kept, with their error, so the
// trend shows the gap; an interrupted run is refused, as its cells are not
// the ones asked for.
func FromResults(res *results.Run, m Meta) ([]Record, error) {
	if res == nil {
		return nil, errors.New("no results")
	}
	if res.Interrupted {
		return nil, errors.New(
			"the run was interrupted: its cells are incomplete, so it is not recorded",
		)
	}
	if len(res.Cells) == 0 {
		return nil, errors.New("the results have no cells")
	}
	if m.Series == "" {
		m.Series = DefaultSeries
	}
	m.Commit = strings.ToLower(strings.TrimSpace(m.Commit))
	if m.Time.IsZero() && res.Started != "" {
		t, err := time.Parse(time.RFC3339, res.Started)
		if err != nil {
			return nil, fmt.Errorf("results started %q: %w", res.Started, err)
		}
		m.Time = t
	}
	if m.Time.IsZero() {
		return nil, errors.New("no time: the results do not say when they started, so give one")
	}
	var recs []Record
	byEndpoint := map[string]int{}
	for _, c := range res.Cells {
		i, ok := byEndpoint[c.Endpoint]
		if !ok {
			i = len(recs)
			byEndpoint[c.Endpoint] = i
			recs = append(recs, Record{
				Schema: Schema, Series: m.Series, Endpoint: c.Endpoint,
				Commit: m.Commit, Time: m.Time.UTC().Truncate(time.Second), Version: res.Version,
				Host: Host{
					CPUs:     res.Host.CPUs,
					OS:       res.Host.OS,
					Arch:     res.Host.Arch,
					CPUModel: res.Host.CPUModel,
				},
				Command: res.Command,
				Settings: Settings{
					DurationS: round(res.Settings.DurationS), WarmupS: round(res.Settings.WarmupS),
					Trials: res.Settings.Trials, Connections: res.Settings.Connections, KeepAlive: res.Settings.KeepAlive,
				},
			})
		}
		recs[i].Cells = append(recs[i].Cells, cellFromResults(c))
	}
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return nil, fmt.Errorf("record of endpoint %q: %w", recs[i].Endpoint, err)
		}
	}
	return recs, nil
}

func cellFromResults(c results.Cell) Cell {
	out := Cell{
		Workers: c.Workers, Threads: c.Threads, Slots: c.Slots,
		Concurrency: clean(
			c.Concurrency,
		), ServiceTimeS: clean(c.ServiceTimeS), P99S: clean(c.Latency.P99),
		PSSBytes: c.Memory.PeakPSSBytes,
	}
	if out.PSSBytes == 0 {
		out.PSSBytes = c.Memory.PSSBytes
	}
	if c.Failed() {
		msg, _, _ := strings.Cut(c.Error, "\n")
		out.Error = truncate(msg, maxErrorLen)
		return out
	}
	for _, t := range c.Trials {
		if v := t.ThroughputRPS; results.Finite(v) && v >= 0 {
			out.Throughput = append(out.Throughput, round(v))
		}
	}
	if len(out.Throughput) == 0 && results.Finite(c.ThroughputRPS) && c.ThroughputRPS > 0 {
		out.Throughput = []float64{round(c.ThroughputRPS)}
	}
	out.Throughput = spread(out.Throughput, MaxTrials)
	if len(out.Throughput) == 0 {
		out.Error = "no throughput measured"
	}
	return out
}

var (
	commitRE = regexp.MustCompile(`^[0-9a-f]{7,64}$`)
	seriesRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
)

// ValidSeries reports whether name can name a series: 1 to 64 lowercase
// letters, digits, dots, dashes and underscores, starting with a letter or
// digit (it becomes a file name).
func ValidSeries(name string) bool { return seriesRE.MatchString(name) }

// Validate checks a record against the format's rules: known schema, a
// commit, a time, and cells with plausible, finite figures.
func (r *Record) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	if r.Schema != Schema {
		bad("schema %q is not %q", r.Schema, Schema)
	}
	if !ValidSeries(r.Series) {
		bad("series %q: want 1 to 64 of a-z 0-9 . _ -", r.Series)
	}
	if len(r.Endpoint) > maxEndpointLen || !utf8.ValidString(r.Endpoint) {
		bad("endpoint: longer than %d bytes or not UTF-8", maxEndpointLen)
	}
	if !commitRE.MatchString(r.Commit) {
		bad("commit %q: want 7 to 64 lowercase hex digits", r.Commit)
	}
	if r.FirstCommit != "" && !commitRE.MatchString(r.FirstCommit) {
		bad("first_commit %q: want 7 to 64 lowercase hex digits", r.FirstCommit)
	}
	if r.Time.IsZero() {
		bad("no time")
	}
	if r.Pushes < 0 {
		bad("pushes %d: must not be negative", r.Pushes)
	}
	if len(r.Command) > maxCommandLen {
		bad("command: longer than %d bytes", maxCommandLen)
	}
	if len(r.Cells) == 0 || len(r.Cells) > MaxCells {
		bad("%d cells: want 1 to %d", len(r.Cells), MaxCells)
	}
	seen := map[string]bool{}
	for i, c := range r.Cells {
		if err := c.validate(); err != nil {
			bad("cells[%d]: %w", i, err)
		}
		if seen[c.Name()] {
			bad("cells[%d]: %s appears twice", i, c.Name())
		}
		seen[c.Name()] = true
	}
	return errors.Join(errs...)
}

func (c *Cell) validate() error {
	var errs []error
	if c.Workers < 1 || c.Threads < 1 || c.Workers > 1024 || c.Threads > 1024 {
		errs = append(
			errs,
			fmt.Errorf("%dx%d: workers and threads must be 1 to 1024", c.Workers, c.Threads),
		)
	}
	if c.Slots < 0 {
		errs = append(errs, fmt.Errorf("slots %d: must not be negative", c.Slots))
	}
	if len(c.Throughput) > MaxTrials {
		errs = append(
			errs,
			fmt.Errorf("%d throughput values: at most %d", len(c.Throughput), MaxTrials),
		)
	}
	for _, v := range c.Throughput {
		if !results.Finite(v) || v < 0 {
			errs = append(
				errs,
				fmt.Errorf("throughput %v: must be a finite, non-negative req/s", v),
			)
			break
		}
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"concurrency", c.Concurrency}, {"s0_s", c.ServiceTimeS}, {"p99_s", c.P99S}} {
		if !results.Finite(f.v) || f.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v: must be finite and non-negative", f.name, f.v))
		}
	}
	if len(c.Error) > maxErrorLen*2 {
		errs = append(errs, fmt.Errorf("error: longer than %d bytes", maxErrorLen*2))
	}
	return errors.Join(errs...)
}

// FileName is the file a series' records live in: the series name, and for
// one of several endpoints a readable slug of it with a short hash (two
// endpoints can slug alike).
func FileName(series, endpoint string) string {
	if endpoint == "" {
		return series + ".jsonl"
	}
	h := fnv.New32a()
	h.Write([]byte(endpoint))
	return fmt.Sprintf("%s--%s-%06x.jsonl", series, cmp.Or(results.Slug(endpoint, 40), "endpoint"), h.Sum32()&0xffffff)
}

// clean makes a figure storable: JSON has no NaN or ∞, and a negative one is
// not a measurement.
func clean(v float64) float64 {
	if !results.Finite(v) || v < 0 {
		return 0
	}
	return round(v)
}

// round keeps 5 significant digits (a relative error of 5e-6, far below any
// run-to-run noise), which keeps records short.
func round(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 5, 64), 64)
	if err != nil {
		return v
	}
	return r
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// spread returns at most k of xs: all of them when they fit, else k order
// statistics evenly spaced from the smallest to the largest, which keeps
// the centre and the range.
func spread(xs []float64, k int) []float64 {
	k = max(k, 2)
	if len(xs) <= k {
		return xs
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	out := make([]float64, k)
	for i := range out {
		out[i] = s[int(math.Round(float64(i)*float64(len(s)-1)/float64(k-1)))]
	}
	return out
}
