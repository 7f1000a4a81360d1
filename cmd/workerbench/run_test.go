package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/internal/machineload"
)

// asCLIEnv makes the test binary behave as the workerbench binary, so tests
// can use its built-in demo-server as a real server process.
const asCLIEnv = "WORKERBENCH_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(asCLIEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		os.Exit(exitCode(err, os.Stderr))
	}
	os.Exit(m.Run())
}

// demoServerTemplate is a command template running the built-in prefork
// server from the test binary.
func demoServerTemplate(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe + " demo-server --bind {bind} --workers {workers} --threads {threads} --sleep 20ms"
}

// TestRunConfigFile runs the CLI end to end from a config file against
// real server processes and checks every output it promises.
func TestRunConfigFile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir := t.TempDir()
	cfg := `command: ` + demoServerTemplate(t) + `
dir: ` + dir + `
matrix: [1x1, 2x2]
duration: 300ms
warmup: 100ms
sequential: 50
bursts: [4]
env: {` + asCLIEnv + `: "1"}
health: /health
endpoints:
  - name: fast
    path: /?ms=10
  - name: slow
    path: /?ms=30
`
	cfgPath := filepath.Join(dir, "workerbench.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	machineload.Within(t, func(b *machineload.Bands) {
		res, stdout, stderr := runResults(t, out, "run", "--config", cfgPath, "--matrix", "2x2,1x1")
		// The flag's matrix order wins over the file's; each endpoint is a cell.
		var names []string
		for _, c := range res.Cells {
			names = append(names, c.Name())
			if want := float64(c.Slots); c.Concurrency < 0.9*want || c.Concurrency > 1.1*want {
				b.Errorf("%s: concurrency %.2f, want ≈ %v", c.Name(), c.Concurrency, want)
			}
			if len(c.Bursts) != 1 || c.Bursts[0].Size != 4 {
				t.Errorf("%s: bursts %+v", c.Name(), c.Bursts)
			}
		}
		if got := strings.Join(names, ","); got != "2x2 fast,2x2 slow,1x1 fast,1x1 slow" {
			t.Errorf("cells %s", got)
		}
		for _, f := range []string{"summary.md", "concurrency.png", "concurrency.svg", "logs/server-2x2.log"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Errorf("missing output: %v", err)
			}
		}
		if left := serverPids(dir); len(left) > 0 {
			t.Errorf("processes left running: %v", left)
		}
		if !strings.Contains(stdout, "workers") || !strings.Contains(stderr, "[2/2] 1x1") {
			t.Errorf("table or progress missing:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
	})
}

// TestRunServerProfile runs the CLI with --server: the paas profile around
// the built-in server, which reads the port and the workers from the
// environment the profile sets, with the profile's default matrix.
func TestRunServerProfile(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, out := t.TempDir(), t.TempDir()
	app := "sh -c 'exec " + exe + " demo-server --bind $HOST:$PORT --workers $WEB_CONCURRENCY" +
		" --threads 1 --sleep 20ms'"
	machineload.Within(t, func(b *machineload.Bands) {
		res, _, _ := runResults(t, out, "run", "--server", "paas", "--app", app, "--dir", dir,
			"--env", asCLIEnv+"=1", "--health", "/health", "--duration", "300ms", "--warmup", "100ms",
			"--sequential", "10")
		var names []string
		for _, c := range res.Cells {
			names = append(names, c.Name())
			if want := float64(c.Workers); c.Concurrency < 0.9*want || c.Concurrency > 1.1*want {
				b.Errorf("%s: concurrency %.2f, want ≈ %v workers", c.Name(), c.Concurrency, want)
			}
		}
		if got := strings.Join(names, ","); got != "1x1,2x1,4x1" {
			t.Errorf("cells %s, want the paas profile's matrix 1x1,2x1,4x1", got)
		}
		if res.Server != "paas" || res.Command != app || res.Model != "slots" || res.Runtime != "" {
			t.Errorf("results: server %q command %q model %q runtime %q",
				res.Server, res.Command, res.Model, res.Runtime)
		}
		if left := serverPids(dir); len(left) > 0 {
			t.Errorf("processes left running: %v", left)
		}
	})
}

// TestRunShardsCLI runs a two-cell matrix as two shards and as three (the
// third empty) through the CLI against the built-in server, then merges
// and plots them: each shard's results.json names its part and the whole
// matrix, an empty shard still writes results, renders and plots, and the
// merge of the shards has both cells.
func TestRunShardsCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir := t.TempDir()
	shard := func(s string) (string, *results.Run) {
		t.Helper()
		out := filepath.Join(t.TempDir(), "shard")
		res, _, _ := runResults(t, out, "run", "--cmd", demoServerTemplate(t), "--dir", dir,
			"--env", asCLIEnv+"=1", "--health", "/health", "--matrix", "1x1,2x1",
			"--path", "/?ms=10", "--duration", "200ms", "--warmup", "50ms", "--sequential", "10",
			"--shard", s)
		return out, res
	}
	one, r1 := shard("1/2")
	two, r2 := shard("2/2")
	empty, r3 := shard("3/3")
	for _, tt := range []struct {
		res   *results.Run
		want  string
		shard string
	}{{r1, "1x1", "1/2"}, {r2, "2x1", "2/2"}, {r3, "", "3/3"}} {
		var names []string
		for _, c := range tt.res.Cells {
			names = append(names, c.Name())
		}
		s := tt.res.Shard
		if strings.Join(names, ",") != tt.want || s == nil || s.String() != tt.shard ||
			strings.Join(s.Cells, ",") != "1x1,2x1" {
			t.Errorf("--shard %s: cells %v, shard %+v", tt.shard, names, tt.res.Shard)
		}
	}
	summary, err := os.ReadFile(filepath.Join(empty, "summary.md"))
	if err != nil || !strings.Contains(string(summary), "Shard 3/3: these results hold only") {
		t.Errorf("empty shard's summary.md (%v):\n%s", err, summary)
	}
	for _, d := range []string{one, empty} {
		if code, _, stderr := runCLI(t, "plot", filepath.Join(d, "results.json"), "--out",
			t.TempDir()); code != 0 {
			t.Errorf("plot %s: exit %d\n%s", d, code, stderr)
		}
	}
	out := t.TempDir()
	code, stdout, stderr := runCLI(t, "merge", one, two, "--out", out)
	merged, err := results.Read(filepath.Join(out, "results.json"))
	if code != 0 || err != nil || len(merged.Cells) != 2 || len(merged.Missing) != 0 {
		t.Errorf("merge: exit %d, %v, %+v\n%s%s", code, err, merged, stdout, stderr)
	}
	if left := serverPids(dir); len(left) > 0 {
		t.Errorf("processes left running: %v", left)
	}
}

// runResults runs the CLI with args and --out out, fails the test unless
// it exits 0, and returns the results.json it wrote and what it printed.
func runResults(t *testing.T, out string, args ...string) (res *results.Run, stdout, stderr string) {
	t.Helper()
	args = append(args, "--out", out)
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, stdout, stderr)
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	return res, stdout, stderr
}
