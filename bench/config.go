package bench

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/workerbench/workerbench/bench/deploy"
	"github.com/workerbench/workerbench/bench/recommend"

	"github.com/workerbench/workerbench/bench/internal/load"
	"github.com/workerbench/workerbench/bench/profile"
	"go.yaml.in/yaml/v3"
)

// Config is everything one benchmark run needs. Build it from defaults, a
// config file and flags, then call Validate once; the engine trusts it after.
type Config struct {
	Command string   // template, see ParseTemplate; "" with Server
	Server  string   // a server profile (package profile) building the command
	App     string   // what Server starts; "" for the profile's default
	Dir     string   // working directory of the server
	Env     []string // extra environment, KEY=VALUE
	// ServerArgs are more of Server's flags: a deployment's (Detect).
	ServerArgs []string
	// Deployed is the configuration the project's files say it is served
	// with (Detect), nil when the command was given; its cell must be in
	// Matrix.
	Deployed *deploy.Deployment
	// Setup is a shell command (sh -c) run once in each side's directory
	// before its first cell: the side's own dependencies and database.
	// {side} is its only placeholder.
	Setup     string
	Matrix    []Shape       // cells to run, in order
	Endpoints []Endpoint    // at least one after Validate
	Health    string        // readiness path; default the first endpoint's path
	Host      string        // address the server binds; default 127.0.0.1
	Duration  time.Duration // measurement window per trial
	Warmup    time.Duration // load before each window, not recorded
	Requests  int64         // alternative to Duration: requests per trial
	Trials    int
	// Connections is the closed loop's connection count; 0 means per cell
	// 3 × slots, at least 8, so every slot stays busy while requests queue
	// (see ShortQueue).
	Connections int
	// ShortQueue makes that default 2 × slots on a server with slots: each
	// slot busy with one request queued behind it, which is all a
	// comparison needs. A connection's cycle, which sets how long a window
	// must be for each connection to complete several requests, is then
	// 2 × S0 rather than 3 × S0 (8 × S0 for one slot). Event-loop servers
	// keep the default: more connections are what they serve.
	ShortQueue bool
	// SteadyWarmup ends each trial's warm-up as soon as the closed loop is
	// steady (every connection has completed two requests on the first
	// trial, one on later ones) instead of after Warmup, which then only
	// bounds it.
	SteadyWarmup   bool
	KeepAlive      bool
	Bursts         []int         // burst sizes fired after the closed loop
	Sequential     int           // requests measuring the unloaded service time
	Timeout        time.Duration // per request
	StartupTimeout time.Duration // from start to the first good response
	Grace          time.Duration // SIGTERM to SIGKILL
	AllowRemote    bool          // allow a non-loopback Host
	Out            string        // output directory; "" writes nothing
	Seed           int64
	// Shard, when its Count is not 0, limits the run to its part of the
	// matrix (see Shard): shapes whose endpoints are all in other shards
	// are not booted, and a shard may be empty.
	Shard Shard
	// Sweep, when the connections rather than the server limited a cell's
	// achieved concurrency (an event-loop server), measures the cell again
	// at doubling connection counts, up to SweepMaxConnections and for at
	// most SweepTime, to find its peak useful concurrency (run only).
	Sweep               bool
	SweepMaxConnections int
	SweepTime           time.Duration
	// Target is the machine the run recommends a configuration for
	// (recommend.For); zero CPUs means this one.
	Target recommend.Target

	template   Template        // parsed Command or Server's command, set by Validate
	serverEnv  []string        // Server's environment entries, set by Validate
	model      profile.Model   // set by Validate
	runtime    profile.Runtime // set by Validate
	find       profile.Finder  // how Validate finds Server's program; zero: here
	searched   string          // the directory Detect found no deployment in
	undetected error           // why Detect could not read the deployment
}

// Endpoint is one request the load generator sends.
type Endpoint struct {
	Name    string            `yaml:"name"`
	Method  string            `yaml:"method"`
	Path    string            `yaml:"path"`
	Headers map[string]string `yaml:"headers"`
	Body    string            `yaml:"body"`
	Status  int               `yaml:"status"` // expected status; 0 = any 2xx
}

// Label names the endpoint in results: its name, or "METHOD path".
func (e Endpoint) Label() string {
	if e.Name != "" {
		return e.Name
	}
	return e.Method + " " + e.Path
}

// DefaultConfig returns the defaults every run starts from.
func DefaultConfig() Config {
	return Config{
		Host:           "127.0.0.1",
		Duration:       5 * time.Second,
		Warmup:         time.Second,
		Trials:         1,
		KeepAlive:      true,
		Sequential:     50,
		Timeout:        30 * time.Second,
		StartupTimeout: 60 * time.Second,
		Grace:          10 * time.Second,

		Sweep:               true,
		SweepMaxConnections: 4096,
		SweepTime:           time.Minute,
	}
}

// Template returns the parsed command template (valid after Validate).
func (c *Config) Template() Template { return c.template }

// ConnectionsFor is the closed-loop connection count for a cell: the
// --connections given, else 3 × slots (2 × with a short queue), at least 8
// and, like --connections, at most 10,000 (a 256x256 cell would otherwise
// open 196,608, more than one client's ports).
func (c *Config) ConnectionsFor(s Shape) int {
	if c.Connections > 0 {
		return c.Connections
	}
	const most = 10000 // Validate's bound on --connections
	if c.ShortQueue && c.model == profile.Slots {
		return min(2*s.Slots(), most)
	}
	return min(max(3*s.Slots(), 8), most)
}

// Validate checks every field once and fills derived defaults. Its error
// names each bad field and how to fix it.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	t, err := c.command()
	if err != nil {
		errs = append(errs, err)
	}
	c.template = t
	if err == nil && !givesPort(t.String()) && !slices.ContainsFunc(c.environ(), givesPort) {
		bad(
			"command %q has neither {bind} nor {port}: workerbench gives each cell a free port, so the command must say where it goes (e.g. --bind {bind}), or the environment must (e.g. --env PORT={port})",
			t.String(),
		)
	}
	if c.Dir != "" {
		if fi, err := os.Stat(c.Dir); err != nil {
			bad("dir %q does not exist", c.Dir)
		} else if !fi.IsDir() {
			bad("dir %q is not a directory", c.Dir)
		}
	}
	for _, e := range c.Env {
		if err := checkEnv(e); err != nil {
			errs = append(errs, fmt.Errorf("env %w", err))
		}
	}
	if err := checkSetup(c.Setup); err != nil {
		errs = append(errs, err)
	}
	if s := c.Shard; s != (Shard{}) &&
		(s.Count < 1 || s.Count > 1000 || s.Index < 1 || s.Index > s.Count) {
		bad("shard %s: want 1 ≤ I ≤ N ≤ 1000", s)
	}
	if len(c.Matrix) == 0 {
		bad("matrix is empty: give cells like --matrix 1x1,1x3,3x1,3x3")
	} else {
		errs = append(errs, c.checkAxes())
	}
	if s, ok := c.DeployedShape(); ok && !slices.Contains(c.Matrix, s) {
		bad("matrix %s lacks the deployed cell %s (%s)", FormatMatrix(c.Matrix), s, c.Deployed.Summary())
	}
	if len(c.Endpoints) == 0 {
		c.Endpoints = []Endpoint{{Path: "/"}}
	}
	for i := range c.Endpoints {
		e := &c.Endpoints[i]
		if e.Method == "" {
			e.Method = http.MethodGet
		}
		e.Method = strings.ToUpper(e.Method)
		if !load.IsToken(e.Method) {
			bad("endpoints[%d].method %q is not an HTTP method", i, e.Method)
		}
		if !strings.HasPrefix(e.Path, "/") || strings.ContainsAny(e.Path, " \r\n") {
			bad(
				"endpoints[%d].path %q: want an absolute path like /api?x=1, without spaces",
				i,
				e.Path,
			)
		}
		for k, v := range e.Headers {
			if !load.IsToken(k) || strings.ContainsAny(v, "\r\n") {
				bad("endpoints[%d].headers: %q is not a valid header", i, k)
			}
		}
		if e.Status != 0 && (e.Status < 100 || e.Status > 599) {
			bad("endpoints[%d].status %d is not an HTTP status", i, e.Status)
		}
	}
	if c.Health == "" && len(c.Endpoints) > 0 {
		c.Health = c.Endpoints[0].Path
	}
	if !strings.HasPrefix(c.Health, "/") {
		bad("health %q: want an absolute path like /health", c.Health)
	}
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	// "[::1]" is how a URL writes the address; {bind} adds the brackets.
	c.Host = strings.TrimSuffix(strings.TrimPrefix(c.Host, "["), "]")
	if !c.AllowRemote && !IsLoopback(c.Host) {
		bad(
			"host %q is not a loopback address: workerbench sends load only to 127.0.0.1/::1 unless --allow-remote is given",
			c.Host,
		)
	}
	if c.Requests < 0 {
		bad("requests %d: must be positive (or 0 to use --duration)", c.Requests)
	}
	if c.Requests == 0 && c.Duration <= 0 {
		bad("duration %s: must be positive, e.g. 5s", c.Duration)
	}
	if c.Warmup < 0 {
		bad("warmup %s: must be 0 or positive", c.Warmup)
	}
	if c.Trials < 1 || c.Trials > 1000 {
		bad("trials %d: must be between 1 and 1000", c.Trials)
	}
	if c.Connections < 0 || c.Connections > 10000 {
		bad("connections %d: must be between 1 and 10000 (or 0 for 3 × slots)", c.Connections)
	}
	if c.Sweep && (c.SweepMaxConnections < 1 || c.SweepMaxConnections > 10000) {
		bad("sweep-max-connections %d: must be between 1 and 10000", c.SweepMaxConnections)
	}
	if c.Target.CPUs < 0 || c.Target.CPUs > 4096 {
		bad("target-cpus %d: must be between 1 and 4096 (or 0 for this machine's)", c.Target.CPUs)
	}
	if c.Target.P99 < 0 {
		bad("p99-target %gs: must be positive", c.Target.P99)
	}
	if c.Sweep && c.SweepTime <= 0 {
		bad("sweep-time %s: must be positive, e.g. 1m (or turn the sweep off: --sweep=false)",
			c.SweepTime)
	}
	for _, b := range c.Bursts {
		if b < 1 || b > 10000 {
			bad("burst %d: must be between 1 and 10000", b)
		}
	}
	if c.Sequential < 1 {
		bad("sequential %d: must be at least 1", c.Sequential)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", c.Timeout}, {"startup-timeout", c.StartupTimeout}, {"grace", c.Grace}} {
		if d.v <= 0 {
			bad("%s %s: must be positive", d.name, d.v)
		}
	}
	return errors.Join(errs...)
}

// checkEnv checks an environment entry: KEY=VALUE, with known
// placeholders in the value.
func checkEnv(e string) error {
	if k, _, ok := strings.Cut(e, "="); !ok || k == "" {
		return fmt.Errorf("%q: want KEY=VALUE", e)
	}
	if err := checkPlaceholders(e); err != nil {
		return fmt.Errorf("%q: %w", e, err)
	}
	return nil
}

// IsLoopback reports whether host names this machine's loopback
// interface, by the load generator's rule (load.IsLoopback).
func IsLoopback(host string) bool { return load.IsLoopback(host) }

// fileConfig is the YAML form of Config. Pointers tell "absent" from zero,
// so a file only overrides what it sets.
type fileConfig struct {
	Command        *string           `yaml:"command"`
	Server         *string           `yaml:"server"`
	App            *string           `yaml:"app"`
	Dir            *string           `yaml:"dir"`
	Setup          *string           `yaml:"setup"`
	Env            map[string]string `yaml:"env"`
	Matrix         *stringOrList     `yaml:"matrix"`
	Endpoints      []Endpoint        `yaml:"endpoints"`
	Path           *string           `yaml:"path"`
	Health         *string           `yaml:"health"`
	Host           *string           `yaml:"host"`
	Duration       *string           `yaml:"duration"`
	Warmup         *string           `yaml:"warmup"`
	Requests       *int64            `yaml:"requests"`
	Trials         *int              `yaml:"trials"`
	Connections    *int              `yaml:"connections"`
	KeepAlive      *bool             `yaml:"keep_alive"`
	Bursts         []int             `yaml:"bursts"`
	Sequential     *int              `yaml:"sequential"`
	Timeout        *string           `yaml:"timeout"`
	StartupTimeout *string           `yaml:"startup_timeout"`
	Grace          *string           `yaml:"grace"`
	Sweep          *bool             `yaml:"sweep"`
	SweepMaxConns  *int              `yaml:"sweep_max_connections"`
	SweepTime      *string           `yaml:"sweep_time"`
	TargetCPUs     *int              `yaml:"target_cpus"`
	MemoryBudget   *string           `yaml:"memory_budget"`
	P99Target      *string           `yaml:"p99_target"`
}

// stringOrList accepts "1x1,3x3" as well as [1x1, 3x3].
type stringOrList string

func (s *stringOrList) UnmarshalYAML(n *yaml.Node) error {
	var list []string
	if n.Kind == yaml.SequenceNode {
		if err := n.Decode(&list); err != nil {
			return err
		}
		*s = stringOrList(strings.Join(list, ","))
		return nil
	}
	var one string
	if err := n.Decode(&one); err != nil {
		return err
	}
	*s = stringOrList(one)
	return nil
}

// MaxConfigSize bounds a config file.
const MaxConfigSize = 1 << 20

// LoadConfigFile applies the YAML config file at path on top of c. Unknown
// keys are errors (a typo must not be silently ignored).
func (c *Config) LoadConfigFile(path string, cpus int) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	if err := c.LoadConfig(f, cpus); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

// LoadConfig applies YAML read from r on top of c.
func (c *Config) LoadConfig(r io.Reader, cpus int) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigSize+1))
	if err != nil {
		return err
	}
	if len(data) > MaxConfigSize {
		return fmt.Errorf("larger than %d KiB", MaxConfigSize>>10)
	}
	var fc fileConfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return explainYAML(err)
	}
	var errs []error
	dur := func(name string, s *string, dst *time.Duration) {
		if s == nil {
			return
		}
		d, err := time.ParseDuration(*s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want a duration like 5s or 500ms", name, *s))
			return
		}
		*dst = d
	}
	set(&c.Command, fc.Command)
	set(&c.Server, fc.Server)
	set(&c.App, fc.App)
	set(&c.Dir, fc.Dir)
	set(&c.Setup, fc.Setup)
	for k, v := range fc.Env {
		c.Env = append(c.Env, k+"="+v)
	}
	if fc.Matrix != nil {
		m, err := ParseMatrix(string(*fc.Matrix), cpus)
		if err != nil {
			errs = append(errs, err)
		}
		c.Matrix = m
	}
	if fc.Path != nil {
		c.Endpoints = []Endpoint{{Path: *fc.Path}}
	}
	if len(fc.Endpoints) > 0 {
		c.Endpoints = fc.Endpoints
	}
	set(&c.Health, fc.Health)
	set(&c.Host, fc.Host)
	dur("duration", fc.Duration, &c.Duration)
	dur("warmup", fc.Warmup, &c.Warmup)
	set(&c.Requests, fc.Requests)
	set(&c.Trials, fc.Trials)
	set(&c.Connections, fc.Connections)
	set(&c.KeepAlive, fc.KeepAlive)
	if fc.Bursts != nil {
		c.Bursts = fc.Bursts
	}
	set(&c.Sequential, fc.Sequential)
	dur("timeout", fc.Timeout, &c.Timeout)
	dur("startup_timeout", fc.StartupTimeout, &c.StartupTimeout)
	dur("grace", fc.Grace, &c.Grace)
	set(&c.Sweep, fc.Sweep)
	set(&c.SweepMaxConnections, fc.SweepMaxConns)
	dur("sweep_time", fc.SweepTime, &c.SweepTime)
	set(&c.Target.CPUs, fc.TargetCPUs)
	if fc.MemoryBudget != nil {
		b, err := ParseBytes(*fc.MemoryBudget)
		if err != nil {
			errs = append(errs, fmt.Errorf("memory_budget: %w", err))
		}
		c.Target.MemoryBudget = b
	}
	var p99 time.Duration
	dur("p99_target", fc.P99Target, &p99)
	if fc.P99Target != nil {
		c.Target.P99 = p99.Seconds()
	}
	return errors.Join(errs...)
}

// unknownFieldRE matches yaml's message for a key KnownFields rejects.
var unknownFieldRE = regexp.MustCompile(
	`^(line \d+): field (.+) not found in type bench\.(fileConfig|Endpoint)$`,
)

// explainYAML rewrites yaml's "field x not found in type bench.fileConfig"
// into an error that names the key and lists the valid ones.
func explainYAML(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	lines := make([]string, len(te.Errors))
	for i, e := range te.Errors {
		lines[i] = e
		m := unknownFieldRE.FindStringSubmatch(e)
		if m == nil {
			continue
		}
		var v any = fileConfig{}
		where := ""
		if m[3] == "Endpoint" {
			v, where = Endpoint{}, " of an endpoint"
		}
		lines[i] = fmt.Sprintf(
			"%s: unknown key %q%s: valid keys are %s",
			m[1],
			m[2],
			where,
			strings.Join(yamlKeys(v), ", "),
		)
	}
	return errors.New(strings.Join(lines, "; "))
}

// yamlKeys lists the yaml keys of struct v.
func yamlKeys(v any) []string {
	t := reflect.TypeOf(v)
	keys := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if k, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); k != "" && k != "-" {
			keys = append(keys, k)
		}
	}
	return keys
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// ParseBytes parses a size like "512MiB", "2GiB", "2G" or "1048576"
// (bytes): binary units for Ki/Mi/Gi/Ti, decimal for K/M/G/T.
func ParseBytes(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"Ti", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1}}
	mult := 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v*mult > 1<<62 {
		return 0, fmt.Errorf("%q: want a size like 512MiB or 2GiB", s)
	}
	return uint64(v * mult), nil
}
