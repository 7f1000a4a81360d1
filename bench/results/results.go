// Package results is the schema of results.json: what one run of
// workerbench measured, cell by cell, and how it compares with a baseline.
// It reads and writes the file (validating what it reads, which may come
// from an untrusted artifact), compares two runs, and owns the facts derived
// from them: the best cell, the threshold, whether a run is a comparison.
// Renderers (terminal table, Markdown, charts, PR comment, history) read
// only this package; the engine that measures is package bench.
package results

import (
	"fmt"
	"math"
	"strings"

	"github.com/workerbench/workerbench/bench/internal/stats"
)

// Schema identifies the results.json format written by this package.
const Schema = "workerbench/results/v1"

// MaxSize bounds how much of a results file is read, so that a hostile or
// corrupt artifact cannot exhaust memory: with the file and what it
// decodes to (at most 64 MiB, see scan), reading stays within 256 MiB.
// A matrix of a hundred cells with bursts of a thousand requests writes
// about 10 MiB.
const MaxSize = 32 << 20

// DefaultThreshold is the smallest change a comparison reports as one
// when none is given: 5%.
const DefaultThreshold = stats.DefaultThreshold

// Verdict is the outcome of a comparison, per cell and overall; its one
// definition is in package stats, which decides it.
type Verdict = stats.Verdict

// The verdicts.
const (
	Regressed    = stats.Regressed
	Improved     = stats.Improved
	Unchanged    = stats.Unchanged
	Inconclusive = stats.Inconclusive
)

// Run is the content of results.json: everything one run measured.
type Run struct {
	Schema  string `json:"schema"`
	Version string `json:"workerbench_version,omitempty"`
	Host    Host   `json:"host"`
	Command string `json:"command"`
	// Server is the profile the command came from (--server), "" for a
	// command given as is; Model and Runtime are the server's concurrency
	// model ("slots" or "event-loop") and the app's runtime ("cpython",
	// "ruby", "node"), from the profile or told from the command.
	Server      string   `json:"server,omitempty"`
	Model       string   `json:"model,omitempty"`
	Runtime     string   `json:"runtime,omitempty"`
	Dir         string   `json:"dir,omitempty"`
	Settings    Settings `json:"settings"`
	Started     string   `json:"started,omitempty"` // RFC 3339
	Interrupted bool     `json:"interrupted,omitempty"`
	Cells       []Cell   `json:"cells"`
	// Recommendation is the configuration the matrix recommends for the
	// target machine, with its reasons; nil when none was made.
	Recommendation *Recommendation `json:"recommendation,omitempty"`
	// Commit is the commit measured (the head's in a comparison), when
	// known; BaseCommit is in RunComparison.
	Commit string `json:"commit,omitempty"`
	// Shard is set when the run measured one shard of a matrix split
	// across jobs (--shard I/N); Merge puts the shards back together.
	Shard *Shard `json:"shard,omitempty"`
	// Missing names the cells of a merged matrix that no shard measured.
	Missing []string `json:"missing,omitempty"`
	// Diagnostics are notes on the run as a whole, which no one cell
	// shows (the service time varied between boots, every worker stopped
	// at the same number of requests whatever its threads); each names
	// the cells it is about. A cell's own notes are in the cell.
	Diagnostics []string `json:"diagnostics,omitempty"`
	// Setup is the command each side ran before its first cell (--setup),
	// nil when there was none.
	Setup *Setup `json:"setup,omitempty"`
	// Deployed is the configuration the project's own files say it is
	// served with, found when no command was given; nil otherwise. In a
	// comparison it is head's, which both sides ran.
	Deployed *Deployed `json:"deployed,omitempty"`

	// RunComparison is set only by a comparison (ab, compare).
	RunComparison
}

// RunComparison is what a comparison (ab, compare) adds to a run: the
// baseline it was compared with, the overall verdict and its caveats.
type RunComparison struct {
	BaseCommit  string   `json:"base_commit,omitempty"`
	BaseCommand string   `json:"base_command,omitempty"`
	BaseDir     string   `json:"base_dir,omitempty"`
	Verdict     Verdict  `json:"verdict,omitempty"`
	Overall     *Overall `json:"overall,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	// BaseDiagnostics are the base side's notes on the run as a whole (see
	// Run.Diagnostics, which holds head's).
	BaseDiagnostics []string `json:"base_diagnostics,omitempty"`
	// Dependencies says whether the files that pin dependencies differ
	// between base and head, and whether the verdict includes that change;
	// nil when it was not looked at (compare of two files).
	Dependencies *Dependencies `json:"dependencies,omitempty"`
	// BaseDeployed is the base's deployment when its files state another
	// than head's (Run.Deployed); both sides ran head's.
	BaseDeployed *Deployed `json:"base_deployed,omitempty"`
}

// Host describes the machine the results were measured on.
type Host struct {
	CPUs     int    `json:"cpus"`
	OS       string `json:"os"`
	Arch     string `json:"arch"`
	Hostname string `json:"hostname,omitempty"`
	CPUModel string `json:"cpu_model,omitempty"`
}

// Settings records the load settings the cells were measured with, so a
// comparison can warn when two files were measured differently.
type Settings struct {
	DurationS   float64 `json:"duration_s"`
	WarmupS     float64 `json:"warmup_s"`
	Trials      int     `json:"trials"`                // per cell; for ab the most pairs a cell ran (each cell has its own count in pairs)
	Connections int     `json:"connections,omitempty"` // 0 = per cell default (each cell's connections)
	KeepAlive   bool    `json:"keep_alive"`
	Bursts      []int   `json:"bursts,omitempty"`
	Threshold   float64 `json:"threshold,omitempty"` // fraction, e.g. 0.05
	Seed        int64   `json:"seed,omitempty"`
	// SweepMaxConnections and SweepTimeS bound the connection sweep of a
	// cell the connections limited; both 0 when the run did not sweep
	// (--sweep=false, and ab, which never sweeps).
	SweepMaxConnections int     `json:"sweep_max_connections,omitempty"`
	SweepTimeS          float64 `json:"sweep_time_s,omitempty"`
}

// Cell is one workers × threads configuration (and one endpoint) and what
// was measured on it. A failed cell has Error set and may lack measurements.
type Cell struct {
	Workers     int    `json:"workers"`
	Threads     int    `json:"threads"`
	Slots       int    `json:"slots"`
	Endpoint    string `json:"endpoint,omitempty"` // "GET /path"; set when the config has several endpoints
	Mode        string `json:"mode"`               // "closed"
	Connections int    `json:"connections"`
	Requests    int64  `json:"requests"`
	Errors      int64  `json:"errors"`
	// ErrorKinds counts errors by kind: connect, timeout, status, protocol.
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`

	ServiceTimeS float64 `json:"service_time_s"` // S0: median sequential latency, unloaded
	// ServiceTimeNewConnS is S0 again with a new connection per request,
	// measured when requests are kept alive and S0 is short: a server that
	// delays kept-alive requests shows it here.
	ServiceTimeNewConnS float64 `json:"service_time_new_connection_s,omitempty"`
	// TransportStallS is how long a kept-alive response waited in the
	// transport after the server had answered (median): the server wrote
	// it in pieces without TCP_NODELAY and the client's delayed ACK held
	// the rest back. It is not service: ServiceTimeS leaves it out, and it
	// is set only when it is at least a tenth of ServiceTimeS.
	TransportStallS float64 `json:"transport_stall_s,omitempty"`
	ThroughputRPS   float64 `json:"throughput_rps"` // X: plateau throughput, median over trials
	Concurrency     float64 `json:"concurrency"`    // K = X × S0
	Efficiency      float64 `json:"efficiency"`     // K / slots
	PeakInFlight    int     `json:"peak_in_flight,omitempty"`
	Waves           []int   `json:"waves,omitempty"` // of the largest burst

	Latency Latency `json:"latency_s"`
	Memory  Memory  `json:"memory"`

	ServerCPUPerRequestS    float64 `json:"server_cpu_s_per_request"`
	GeneratorCPUPerRequestS float64 `json:"generator_cpu_s_per_request"`
	// CPUBoundness is server CPU per request ÷ S0: near 0 for a handler that
	// waits (I/O-bound), near 1 for one that computes (CPU-bound).
	CPUBoundness float64 `json:"cpu_boundness"`
	Bound        string  `json:"bound,omitempty"` // "cpu" or "io"
	// BusyCores is the server's CPU seconds per second of the measurement
	// windows: how many cores it kept busy. For a CPU-bound handler it is
	// the parallelism achieved, steadier than X × S0 when S0 varies.
	BusyCores float64 `json:"busy_cores,omitempty"`
	// Sweep is set when the closed loop's connections, not the server,
	// limited the achieved concurrency (an event-loop server): the
	// throughput at rising connection counts, and what it says.
	Sweep *Sweep `json:"sweep,omitempty"`
	// KeepAliveOff is one more trial with a new connection per request,
	// run when kept-alive requests were delayed (see ServiceTimeNewConnS).
	KeepAliveOff *Trial `json:"keep_alive_off,omitempty"`

	Trials []Trial `json:"trials,omitempty"`
	Bursts []Burst `json:"bursts,omitempty"`

	Diagnostics []string `json:"diagnostics,omitempty"`
	Error       string   `json:"error,omitempty"` // set when the cell failed
	// FailedSide is the side of a comparison whose server failed the
	// cell, "base" or "head"; "" outside a comparison and in results
	// written before it was recorded (the head, then).
	FailedSide string `json:"failed_side,omitempty"`
	// NotStarted is set when the cell failed because its server never
	// answered: it exited or timed out while starting.
	NotStarted bool `json:"not_started,omitempty"`
	// LogExcerpt holds the lines of the server's log that say what went
	// wrong (errors, the exception of a traceback), for a failed cell.
	LogExcerpt []string `json:"log_excerpt,omitempty"`
	LogTail    []string `json:"log_tail,omitempty"`
	Log        string   `json:"log,omitempty"` // path of the server log, relative to the out dir

	// WallTime is where the wall time of measuring this cell went; nil in
	// results written before it was recorded.
	WallTime *WallTime `json:"wall_time,omitempty"`

	// Comparison is set only by a comparison (ab, compare).
	Comparison
}

// WallTime is where the wall time of measuring a cell went, in seconds, by
// phase. A server's boot and stop belong to the first cell measured on it
// (the first endpoint); in a comparison the cell holds both sides' time and
// its Base none.
type WallTime struct {
	BootS        float64 `json:"boot_s"`         // from start until the server answered
	ServiceTimeS float64 `json:"service_time_s"` // the sequential requests measuring S0
	WarmupS      float64 `json:"warmup_s"`       // closed-loop load before each window
	WindowS      float64 `json:"window_s"`       // the measurement windows
	BurstS       float64 `json:"burst_s,omitempty"`
	SweepS       float64 `json:"sweep_s,omitempty"`
	StopS        float64 `json:"stop_s"`
	TotalS       float64 `json:"total_s"` // all of it, including what no phase covers
}

// Add adds o's phases to w's.
func (w *WallTime) Add(o WallTime) {
	w.BootS += o.BootS
	w.ServiceTimeS += o.ServiceTimeS
	w.WarmupS += o.WarmupS
	w.WindowS += o.WindowS
	w.BurstS += o.BurstS
	w.SweepS += o.SweepS
	w.StopS += o.StopS
	w.TotalS += o.TotalS
}

// OtherS is the time no phase covers: deciding, diagnosing, saving.
func (w WallTime) OtherS() float64 {
	return w.TotalS - (w.BootS + w.ServiceTimeS + w.WarmupS + w.WindowS + w.BurstS + w.SweepS +
		w.StopS)
}

// Comparison is what a comparison adds to a cell: Base holds the base
// side's measurements of the same cell (the cell itself holds head's) and
// the rest compares the two.
type Comparison struct {
	Base    *Cell   `json:"base,omitempty"`
	Ratio   float64 `json:"ratio,omitempty"` // head/base throughput
	CILow   float64 `json:"ci_low,omitempty"`
	CIHigh  float64 `json:"ci_high,omitempty"`
	PValue  float64 `json:"p_value,omitempty"`
	Verdict Verdict `json:"verdict,omitempty"`
	// MDE is the minimum detectable effect (fraction) for the trials run,
	// reported with an inconclusive verdict.
	MDE              float64 `json:"mde,omitempty"`
	ConcurrencyRatio float64 `json:"concurrency_ratio,omitempty"`
	P99Ratio         float64 `json:"p99_ratio,omitempty"`
	Pairs            int     `json:"pairs,omitempty"`
	Method           string  `json:"method,omitempty"`
}

// Significant reports whether the change is significant: the interval,
// which inverts the test, leaves out "no change". A significant change may
// still be within the threshold (verdict unchanged).
func (c Comparison) Significant() bool {
	return c.Base != nil && c.CIHigh > 0 && (c.CILow > 1 || c.CIHigh < 1)
}

// Failed reports whether the cell could not be measured.
func (c Cell) Failed() bool { return c.Error != "" }

// Best returns the measured cell with the highest throughput (the
// sweep's peak for a swept cell, see PeakThroughput): the configuration to
// pick from this matrix. Throughputs of different endpoints do not
// compare, so only cells of the first measured cell's endpoint are
// candidates; between equal throughputs the one with fewer
// slots, then fewer workers (less memory), wins. In a comparison these
// are head's figures. ok is false when no cell was measured. The summary's
// heading and the action's best-config output both use it.
func (r *Run) Best() (best Cell, ok bool) {
	for _, c := range r.Cells {
		if c.Failed() || ok && c.Endpoint != best.Endpoint {
			continue
		}
		if !ok || c.PeakThroughput() > best.PeakThroughput() ||
			c.PeakThroughput() == best.PeakThroughput() &&
				(c.Slots < best.Slots || c.Slots == best.Slots && c.Workers < best.Workers) {
			best, ok = c, true
		}
	}
	return best, ok
}

// Name is the cell's label, "WxT", with the endpoint when there is one.
func (c Cell) Name() string {
	n := fmt.Sprintf("%dx%d", c.Workers, c.Threads)
	if c.Endpoint != "" {
		n += " " + c.Endpoint
	}
	return n
}

// Shard says which part of a matrix a run measured.
type Shard struct {
	Index int `json:"index"` // 1-based
	Count int `json:"count"`
	// Cells names every cell of the whole matrix (WxT, with the endpoint
	// when there are several), so that a merge can tell which are missing.
	Cells []string `json:"cells"`
}

// String is "I/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Sweep is throughput measured at rising connection counts, for a server
// whose concurrency is not bounded by slots.
type Sweep struct {
	Points []SweepPoint `json:"points"`
	// PeakConcurrency is the peak useful concurrency: the achieved
	// concurrency (X × S0) where throughput stops growing or latency
	// inflates, and PeakThroughputRPS the throughput there.
	PeakConcurrency   float64 `json:"peak_concurrency"`
	PeakThroughputRPS float64 `json:"peak_throughput_rps"`
	// PeakConnections is the connection count of the point at the peak.
	PeakConnections int `json:"peak_connections,omitempty"`
	// Limited says why the sweep stopped: "throughput", "latency",
	// "connections" (the largest count tried), "time" or "errors".
	Limited string `json:"limited,omitempty"`
	// USL is the Universal Scalability Law fitted to the points, nil when
	// the fit failed.
	USL *USL `json:"usl,omitempty"`
}

// SweepPoint is one closed-loop measurement of a sweep.
type SweepPoint struct {
	Connections   int     `json:"connections"`
	ThroughputRPS float64 `json:"throughput_rps"`
	P50S          float64 `json:"p50_s"`
	P99S          float64 `json:"p99_s"`
	Errors        int64   `json:"errors,omitempty"`
	// BusyCores is the server's CPU seconds per second of the window, and
	// GeneratorCores the load generator's.
	BusyCores      float64 `json:"busy_cores,omitempty"`
	GeneratorCores float64 `json:"generator_cores,omitempty"`
}

// USL is X(N) = λN / (1 + σ(N−1) + κN(N−1)), the Universal Scalability
// Law, fitted to throughput X at N connections: λ the throughput of one,
// σ contention, κ coherence. Its peak is at N* = √((1−σ)/κ).
type USL struct {
	Lambda float64 `json:"lambda"`
	Sigma  float64 `json:"sigma"`
	Kappa  float64 `json:"kappa"`
	R2     float64 `json:"r2"`     // of the fit
	PeakN  float64 `json:"peak_n"` // N*, +Inf (written 0) when κ is 0
}

// Recommendation is the workers × threads configuration a matrix
// recommends for a target machine.
type Recommendation struct {
	Workers int `json:"workers"`
	Threads int `json:"threads"`
	// Target is the machine it is for.
	TargetCPUs        int     `json:"target_cpus"`
	MemoryBudgetBytes uint64  `json:"memory_budget_bytes,omitempty"`
	P99TargetS        float64 `json:"p99_target_s,omitempty"`
	ExpectedRPS       float64 `json:"expected_rps,omitempty"`
	ExpectedP99S      float64 `json:"expected_p99_s,omitempty"`
	ExpectedPSSBytes  uint64  `json:"expected_pss_bytes,omitempty"`
	PSSPerWorkerBytes uint64  `json:"pss_per_worker_bytes,omitempty"`
	PSSPerThreadBytes uint64  `json:"pss_per_thread_bytes,omitempty"`
	// UnknownCosts names the memory costs the matrix could not fit:
	// "pss_per_worker" when no two cells shared a thread count,
	// "pss_per_thread" when no two shared a worker count. Each one's field
	// is then 0 (a worker's cost includes its threads' when only theirs is
	// unknown), and ExpectedPSSBytes is 0 unless the configuration's
	// memory does not depend on it. A reason names the cells to add.
	UnknownCosts []string `json:"unknown_costs,omitempty"`
	Reasons      []string `json:"reasons"`
	// RuleOfThumb is (2 × cores) + 1 workers, given for comparison.
	RuleOfThumbWorkers int `json:"rule_of_thumb_workers"`
	// VsDeployed sets the recommendation against the configuration the
	// project deploys (Run.Deployed); nil when none is.
	VsDeployed *VersusDeployed `json:"vs_deployed,omitempty"`
}

// Config is the recommendation as WORKERSxTHREADS.
func (r Recommendation) Config() string { return fmt.Sprintf("%dx%d", r.Workers, r.Threads) }

// Finite reports whether v is a figure: not NaN or ±Inf. JSON cannot
// carry those, but arithmetic on absurd values can produce them, so a
// figure is checked before it is stored, drawn or printed.
func Finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Slug makes a cell or endpoint name safe and stable in a file name: its
// letters and digits, lower case, with a dash between runs of them, at most
// n bytes ("3x3 GET /?ms=200" is "3x3-get-ms-200"); "" when none is left.
func Slug(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	out := b.String()
	return out[:min(len(out), n)] // ASCII only, so bytes are runes
}

// Latency holds latency percentiles in seconds.
type Latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Memory holds memory of the server's whole process tree, in bytes.
// PSS counts a page shared by n processes as 1/n in each, so the sum over
// prefork workers is honest where the sum of RSS double-counts.
type Memory struct {
	PSSBytes     uint64 `json:"pss_bytes"`
	RSSBytes     uint64 `json:"rss_bytes"`
	PeakPSSBytes uint64 `json:"peak_pss_bytes"`
	PeakRSSBytes uint64 `json:"peak_rss_bytes,omitempty"`
	Processes    int    `json:"processes,omitempty"`
	// WorkingProcesses is how many of them did a real share of the work
	// while measured: each used at least a tenth of the CPU of the busiest.
	WorkingProcesses int `json:"working_processes,omitempty"`
	// WorkersReplaced counts the processes that appeared while the server
	// was measured (sampled about once a second, so at least this many):
	// workers replaced after --max-requests, a memory limit or a crash.
	WorkersReplaced int `json:"workers_replaced,omitempty"`
}

// Trial is one closed-loop measurement window. Trials are the unit of the
// statistics: one throughput value per trial.
type Trial struct {
	ThroughputRPS float64 `json:"throughput_rps"`
	Concurrency   float64 `json:"concurrency"`
	Requests      int64   `json:"requests,omitempty"`
	Errors        int64   `json:"errors,omitempty"`
	P99S          float64 `json:"p99_s,omitempty"`
}

// Burst is the seed experiment: Size requests fired at the same instant.
type Burst struct {
	Size     int            `json:"size"`
	Waves    []int          `json:"waves"`
	Requests []BurstRequest `json:"requests"`
}

// LargestWave is the most requests that completed together.
func (b Burst) LargestWave() int {
	m := 0
	for _, w := range b.Waves {
		m = max(m, w)
	}
	return m
}

// BurstRequest is one request of a burst, times in seconds since the burst
// was fired. Wave is the 0-based completion wave; -1 when the request failed.
type BurstRequest struct {
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	Wave   int     `json:"wave"`
	Status int     `json:"status,omitempty"`
	Error  string  `json:"error,omitempty"`
}

// Overall is the verdict across all cells of a comparison.
type Overall struct {
	Ratio     float64 `json:"ratio"` // geometric mean of per-cell ratios
	CILow     float64 `json:"ci_low"`
	CIHigh    float64 `json:"ci_high"`
	Threshold float64 `json:"threshold"`
	Method    string  `json:"method"`
}

// Threshold is the smallest change the run's comparison treats as one (a
// fraction): the overall verdict's, else the settings', else
// stats.DefaultThreshold.
func (r *Run) Threshold() float64 {
	if r.Overall != nil && r.Overall.Threshold > 0 {
		return r.Overall.Threshold
	}
	if r.Settings.Threshold > 0 {
		return r.Settings.Threshold
	}
	return stats.DefaultThreshold
}

// IsComparison reports whether r holds a comparison (from ab or compare)
// rather than a single run.
func (r *Run) IsComparison() bool {
	return r.Verdict != "" || r.Overall != nil || Compared(r.Cells)
}

// Compared reports whether any of cells holds a comparison.
func Compared(cells []Cell) bool {
	for _, c := range cells {
		if c.Base != nil || c.Verdict != "" {
			return true
		}
	}
	return false
}

// OverallVerdict is the comparison's verdict: the recorded one, or, for a
// file that lacks it (an interrupted run, say), the most telling of the
// cells' (regressed, then inconclusive, improved, unchanged); "" when
// nothing was compared.
func (r *Run) OverallVerdict() Verdict {
	if r.Verdict != "" {
		return r.Verdict
	}
	seen := map[Verdict]bool{}
	for _, c := range r.Cells {
		seen[c.Verdict] = true
	}
	for _, v := range []Verdict{Regressed, Inconclusive, Improved, Unchanged} {
		if seen[v] {
			return v
		}
	}
	return ""
}
