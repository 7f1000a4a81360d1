package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCLI runs workerbench in-process and returns its exit code and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(string) string { return "" }
	err := run(context.Background(), args, getenv, &out, &errb)
	code = exitCode(err, &errb)
	return code, out.String(), errb.String()
}

func TestBadInput(t *testing.T) {
	const cmd = "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app"
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"bench"}, `unknown command "bench"`},
		{"unknown flag", []string{"run", "--cmd", cmd, "--wrokers", "3"}, "unknown flag --wrokers"},
		{"matrix 3x", []string{"run", "--cmd", cmd, "--matrix", "3x"}, `--matrix: matrix cell "3x": threads missing`},
		{"matrix 0x1", []string{"run", "--cmd", cmd, "--matrix", "0x1"}, `matrix cell "0x1": workers must be between 1 and 256`},
		{"matrix axb", []string{"run", "--cmd", cmd, "--matrix", "axb"}, `matrix cell "axb": workers "a" is not a whole number`},
		{"template without port", []string{"run", "--cmd", "gunicorn --workers {workers} app:app"}, "has neither {bind} nor {port}"},
		{"missing command", []string{"run", "--matrix", "1x1"}, "command is empty"},
		{"missing dir", []string{"run", "--cmd", cmd, "--dir", "/no/such/dir"}, `dir "/no/such/dir" does not exist`},
		{"zero duration", []string{"run", "--cmd", cmd, "--duration", "0s"}, "duration 0s: must be positive"},
		{"negative duration", []string{"run", "--cmd", cmd, "--duration", "-2s"}, "duration -2s: must be positive"},
		{"bad duration", []string{"run", "--cmd", cmd, "--duration", "fast"}, `--duration "fast": want a duration like 5s or 500ms`},
		{"bad burst", []string{"run", "--cmd", cmd, "--burst", "five"}, `--burst "five"`},
		{"stray argument", []string{"run", "--cmd", "gunicorn", "--bind", "{bind}"}, "unknown flag --bind: if it is the server's, quote the whole --cmd template"},
		{"missing config", []string{"run", "--config", "/no/such.yml"}, "config: open /no/such.yml"},
		{"remote host", []string{"run", "--cmd", cmd, "--host", "192.0.2.1"}, "not a loopback address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != exitUsage {
				t.Errorf("exit code %d, want %d", code, exitUsage)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr does not contain %q:\n%s", tt.want, stderr)
			}
		})
	}
}
