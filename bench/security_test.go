package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/internal/server"
	"github.com/workerbench/workerbench/bench/results"
)

// TestServerGetsNoToken: the server under test (a pull request's code,
// perhaps) never sees the job's token, so neither its log (an artifact) nor
// anything it serves can carry it. The server here prints its whole
// environment to its log.
func TestServerGetsNoToken(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	const token = "ghs_SeCrEtToKeN0123456789abcdefABCDEF"
	t.Setenv("INPUT_GITHUB-TOKEN", token)
	t.Setenv("GITHUB_TOKEN", token)
	t.Setenv("ACTIONS_RUNTIME_TOKEN", token)
	t.Setenv("WORKERBENCH_TEST_KEPT", "yes")
	exe, _ := os.Executable()
	dir, cmd := faultScript(t, "")
	script := "#!/bin/sh\nenv >&2\nexec " + exe + " -bind \"$2\" -workers 1 -threads 1 -sleep 5ms\n"
	if err := os.WriteFile(filepath.Join(dir, "srv.sh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := faultConfig(dir, cmd)
	cfg.Matrix = []Shape{{1, 1}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(t.TempDir(), "logs")
	out := filepath.Join(t.TempDir(), "results.json")
	r := &Runner{
		Config: &cfg,
		LogDir: logs,
		Save:   func(res *results.Run) error { return results.Write(out, res) },
	}
	if _, err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	assertNoProcesses(t, dir)
	log, err := os.ReadFile(filepath.Join(logs, "server-1x1.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(log, []byte("WORKERBENCH_TEST_KEPT=yes")) {
		t.Fatalf("the server's log lacks its environment:\n%s", log)
	}
	for _, p := range []string{filepath.Join(logs, "server-1x1.log"), out} {
		data, _ := os.ReadFile(p)
		if bytes.Contains(data, []byte(token)) {
			t.Errorf("%s contains the token", p)
		}
	}
}

func TestServerEnviron(t *testing.T) {
	in := []string{
		"PATH=/bin",
		"GITHUB_TOKEN=x",
		"INPUT_GITHUB-TOKEN=x",
		"input_command=x",
		"GH_TOKEN=x",
		"ACTIONS_RUNTIME_TOKEN=x",
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN=x",
		"GITHUB_SHA=abc",
		"GITHUB_ENV=/home/runner/work/_temp/_runner_file_commands/set_env_1",
		"GITHUB_OUTPUT=/x/set_output_1",
		"GITHUB_PATH=/x/add_path_1",
		"GITHUB_STATE=/x/save_state_1",
		"GITHUB_STEP_SUMMARY=/x/step_summary_1",
		"HOME=/root",
	}
	got := strings.Join(ServerEnviron(in), " ")
	if got != "PATH=/bin GITHUB_SHA=abc HOME=/root" {
		t.Errorf("ServerEnviron = %s", got)
	}
}

// TestTemplateNeverRunsThroughAShell: shell syntax in a command template
// reaches the program as literal words; nothing it would do in a shell
// happens.
func TestTemplateNeverRunsThroughAShell(t *testing.T) {
	dir := t.TempDir()
	tmpl, err := ParseTemplate(
		"/bin/echo {port} $(touch pwned1) ; touch pwned2 `touch pwned3` && touch pwned4 > pwned5 '|' touch pwned6",
	)
	if err != nil {
		t.Fatal(err)
	}
	argv := tmpl.expand(vars{host: "127.0.0.1", port: 1234, shape: Shape{1, 1}})
	log := filepath.Join(t.TempDir(), "log")
	p, err := server.Start(server.Spec{Argv: argv, Dir: dir, LogPath: log})
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if _, err := p.Stop(time.Second); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(log)
	want := "1234 $(touch pwned1) ; touch pwned2 `touch pwned3` && touch pwned4 > pwned5 | touch pwned6\n"
	if string(got) != want {
		t.Errorf("echo printed %q, want the words literally: %q", got, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("the template ran shell syntax: %s holds %v", dir, entries)
	}
}
