package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// badInputCase is one row of the "Bad input" table of
// docs/troubleshooting.md: the input, a mistake in it, and what the user
// sees (a part of stderr) with the exit code.
type badInputCase struct {
	row  string   // the table row's first column
	args []string // CONFIG and DIR are replaced by a config file and a temp dir
	yml  string   // content of CONFIG
	want string
	code int
}

const badTmpl = "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app"

func badInputCases() []badInputCase {
	return []badInputCase{
		// Command line
		{row: "command", args: nil, want: "no command given", code: exitUsage},
		{row: "command", args: []string{"bench"}, want: `unknown command "bench"`, code: exitUsage},
		{row: "flag", args: []string{"run", "--cmd", badTmpl, "--wrokers", "3"}, want: "unknown flag --wrokers", code: exitUsage},
		{row: "flag", args: []string{"run", "--cmd", "x {bind}", "extra"}, want: `unexpected argument "extra": quote the --cmd template`, code: exitUsage},
		// Template
		{row: "--cmd", args: []string{"run", "--matrix", "1x1"}, want: "command is empty, and nothing in", code: exitUsage},
		{row: "--cmd", args: []string{"run", "--matrix", "1x1"}, want: "says how the project is served (workerbench looked for Procfile, gunicorn.conf.py", code: exitUsage},
		{row: "--cmd", args: []string{"run", "--cmd", "gunicorn --workers {workers} app:app"}, want: "has neither {bind} nor {port}: workerbench gives each cell a free port, so the command must say where it goes (e.g. --bind {bind}), or the environment must (e.g. --env PORT={port})", code: exitUsage},
		{row: "--cmd", args: []string{"run", "--cmd", "gunicorn --bind {bnd} app:app"}, want: "unknown placeholder {bnd}", code: exitUsage},
		{row: "--cmd", args: []string{"run", "--cmd", "gunicorn --bind '{bind} app:app"}, want: "unclosed ' quote", code: exitUsage},
		// The project's own files, read without --cmd or --server (PROJECT
		// is a directory whose Procfile is yml)
		{row: "deployment", args: []string{"run", "--dir", "PROJECT"}, yml: "web: bin/start\n", want: "Procfile line 1: web: bin/start runs a script workerbench cannot read; pass --cmd '…{port}…' or --server NAME", code: exitUsage},
		{row: "deployment", args: []string{"run", "--dir", "PROJECT"}, yml: "web: gunicorn -k eventlet app:app\n", want: "runs gunicorn's eventlet workers, which workerbench has no profile for", code: exitUsage},
		// Matrix
		{row: "--matrix", args: []string{"run", "--cmd", badTmpl, "--matrix", "3x"}, want: `matrix cell "3x": threads missing`, code: exitUsage},
		{row: "--matrix", args: []string{"run", "--cmd", badTmpl, "--matrix", "3"}, want: `matrix cell "3": want WORKERSxTHREADS, like 3x2`, code: exitUsage},
		{row: "--matrix", args: []string{"run", "--cmd", badTmpl, "--matrix", "0x1"}, want: "workers must be between 1 and 256", code: exitUsage},
		{row: "--matrix", args: []string{"run", "--cmd", badTmpl, "--matrix", "axb"}, want: `workers "a" is not a whole number`, code: exitUsage},
		{row: "--matrix", args: []string{"run", "--cmd", badTmpl, "--matrix", "1x1,1x1"}, want: "matrix cell 1x1 appears twice", code: exitUsage},
		{row: "--matrix", args: []string{"run", "--cmd", "uvicorn --port {port} --workers {workers} app:app", "--matrix", "1x1,1x3"}, want: "matrix varies threads (1, 3) but the command has no {threads}: cells 1x1 and 1x3 would run the same server; put {threads} in the command (e.g. --threads {threads}) or in an --env value, or give every cell the same threads", code: exitUsage},
		// Servers
		{row: "--server, --app", args: []string{"run", "--server", "unicorn"}, want: `server "unicorn" is not one workerbench knows: use one of gunicorn, gunicorn-gevent, uvicorn, hypercorn, uwsgi, puma, waitress, paas, or --cmd for any other command`, code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--server", "gunicorn", "--cmd", badTmpl}, want: `--server gunicorn and --cmd "` + badTmpl + `" are both given: --server builds the command, --cmd is for any other server; give one of them`, code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--config", "CONFIG"}, yml: "server: gunicorn\ncommand: x {bind}\n", want: `--server gunicorn and --cmd "x {bind}" are both given`, code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--cmd", badTmpl, "--app", "app:app"}, want: `app "app:app" is given without a server: --app says what --server starts; with --cmd the app is a word of the command`, code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--server", "paas"}, want: `server paas needs --app: the command to run, e.g. "node server.js"`, code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--server", "puma", "--env", "PATH=/nonexistent"}, want: "server puma: puma is not installed here (apt-get install puma, or gem install puma)", code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--server", "waitress", "--matrix", "1x4,2x4"}, want: "server waitress has no workers to set (waitress: one process, a pool of threads (WSGI)), but the matrix asks for workers 2 (cell 2x4): give cells 1xT, like its default matrix 1x1,1x4,1x8", code: exitUsage},
		{row: "--server, --app", args: []string{"run", "--server", "uvicorn", "--matrix", "1x1,1x3"}, want: "server uvicorn has no threads to set (uvicorn: an asyncio event loop per worker (ASGI: Starlette, FastAPI)), but the matrix asks for threads 3 (cell 1x3): give cells Wx1, like its default matrix 1x1,2x1,4x1", code: exitUsage},
		// Endpoints
		{row: "--path, --health", args: []string{"run", "--cmd", badTmpl, "--path", "api"}, want: `endpoints[0].path "api": want an absolute path like /api?x=1`, code: exitUsage},
		{row: "--path, --health", args: []string{"run", "--cmd", badTmpl, "--health", "health"}, want: `health "health": want an absolute path like /health`, code: exitUsage},
		{row: "endpoints (config)", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nendpoints:\n  - path: /\n    method: GE T\n", want: `endpoints[0].method "GE T" is not an HTTP method`, code: exitUsage},
		{row: "endpoints (config)", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nendpoints:\n  - path: /\n    status: 999\n", want: "endpoints[0].status 999 is not an HTTP status", code: exitUsage},
		{row: "endpoints (config)", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nendpoints:\n  - path: /\n    headers: {\"Bad Name\": x}\n", want: `endpoints[0].headers: "Bad Name" is not a valid header`, code: exitUsage},
		// Durations
		{row: "durations", args: []string{"run", "--cmd", badTmpl, "--duration", "fast"}, want: `--duration "fast": want a duration like 5s or 500ms`, code: exitUsage},
		{row: "durations", args: []string{"run", "--cmd", badTmpl, "--duration", "0s"}, want: "duration 0s: must be positive, e.g. 5s", code: exitUsage},
		{row: "durations", args: []string{"run", "--cmd", badTmpl, "--warmup", "-1s"}, want: "warmup -1s: must be 0 or positive", code: exitUsage},
		{row: "durations", args: []string{"run", "--cmd", badTmpl, "--timeout", "0s"}, want: "timeout 0s: must be positive", code: exitUsage},
		{row: "durations", args: []string{"run", "--cmd", badTmpl, "--startup-timeout", "0s"}, want: "startup-timeout 0s: must be positive", code: exitUsage},
		{row: "durations", args: []string{"run", "--cmd", badTmpl, "--grace", "-1s"}, want: "grace -1s: must be positive", code: exitUsage},
		// Counts
		{row: "counts", args: []string{"run", "--cmd", badTmpl, "--trials", "0"}, want: "trials 0: must be between 1 and 1000", code: exitUsage},
		{row: "counts", args: []string{"run", "--cmd", badTmpl, "--connections", "20000"}, want: "connections 20000: must be between 1 and 10000", code: exitUsage},
		{row: "counts", args: []string{"run", "--cmd", badTmpl, "--requests", "-5"}, want: "requests -5: must be positive", code: exitUsage},
		{row: "counts", args: []string{"run", "--cmd", badTmpl, "--sequential", "0"}, want: "sequential 0: must be at least 1", code: exitUsage},
		{row: "counts", args: []string{"run", "--cmd", badTmpl, "--burst", "five"}, want: `--burst "five": want request counts like 5,20`, code: exitUsage},
		{row: "counts", args: []string{"run", "--cmd", badTmpl, "--burst", "0"}, want: "burst 0: must be between 1 and 10000", code: exitUsage},
		// Server settings
		{row: "--dir", args: []string{"run", "--cmd", badTmpl, "--dir", "/no/such/dir"}, want: `dir "/no/such/dir" does not exist`, code: exitUsage},
		{row: "--env", args: []string{"run", "--cmd", badTmpl, "--env", "DEBUG"}, want: `env "DEBUG": want KEY=VALUE`, code: exitUsage},
		{row: "--env", args: []string{"run", "--cmd", badTmpl, "--env", "PORT={prot}"}, want: `env "PORT={prot}": unknown placeholder {prot}`, code: exitUsage},
		{row: "--host", args: []string{"run", "--cmd", badTmpl, "--host", "192.0.2.1"}, want: "not a loopback address: workerbench sends load only to 127.0.0.1/::1 unless --allow-remote", code: exitUsage},
		// Config file
		{row: "--config", args: []string{"run", "--config", "/no/such.yml"}, want: "config: open /no/such.yml: no such file or directory", code: exitUsage},
		{row: "--config", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nmatirx: 1x1\n", want: `line 2: unknown key "matirx": valid keys are command, server, app, dir, setup, env, matrix,`, code: exitUsage},
		{row: "endpoints (config)", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nendpoints:\n  - pth: /\n", want: `line 3: unknown key "pth" of an endpoint: valid keys are name, method, path, headers, body, status`, code: exitUsage},
		{row: "--config", args: []string{"run", "--config", "CONFIG"}, yml: "command: [unclosed\n", want: "yaml:", code: exitUsage},
		{row: "--config", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nduration: 5\n", want: `duration "5": want a duration like 5s or 500ms`, code: exitUsage},
		{row: "--config", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\nmatrix: [1x1, 2y2]\n", want: `matrix cell "2y2"`, code: exitUsage},
		{row: "--config", args: []string{"run", "--config", "CONFIG"}, yml: "command: x {bind}\n#" + strings.Repeat("x", 1<<20) + "\n", want: "larger than 1024 KiB", code: exitUsage},
		// Thresholds
		{row: "--threshold", args: []string{"compare", "--threshold", "five", "A", "B"}, want: `threshold "five": want a percentage like 5% or a fraction like 0.05`, code: exitUsage},
		{row: "--threshold", args: []string{"compare", "--threshold", "150%", "A", "B"}, want: `threshold "150%": must be between 0% and 100%`, code: exitUsage},
		// Shards
		{row: "--shard", args: []string{"run", "--cmd", badTmpl, "--shard", "3/2"},
			want: `--shard "3/2": want 1 ≤ I ≤ N ≤ 1000`,
			code: exitUsage},
		{row: "--shard", args: []string{"ab", "--cmd", badTmpl, "--shard", "2"},
			want: `shard "2": want I/N, like 2/4 for the second of four`, code: exitUsage},
		// ab
		{row: "ab", args: []string{"ab", "--cmd", badTmpl}, want: "--base-dir is required", code: exitUsage},
		{row: "ab", args: []string{"ab", "--cmd", badTmpl, "--base-dir", "/no/base", "--head-dir", "DIR"}, want: `--base-dir "/no/base": not a directory`, code: exitUsage},
		{row: "ab", args: []string{"ab", "--cmd", badTmpl, "--base-dir", "DIR", "--head-dir", "DIR", "--trials", "12", "--max-pairs", "4"}, want: "--max-pairs 4 is less than --trials 12", code: exitUsage},
		// Results files
		{row: "results files", args: []string{"compare", "only.json"}, want: "compare takes two results files, BASE.json HEAD.json; got 1", code: exitUsage},
		{row: "results files", args: []string{"compare", "/no/base.json", "/no/head.json"}, want: "base: read results: open /no/base.json: no such file or directory", code: exitUsage},
		{row: "results files", args: []string{"plot", "CONFIG", "--out", "DIR"}, yml: `{"schema": "workerbench/results/v1", "cells": [`, want: "not valid results JSON (corrupt or truncated?)", code: exitUsage},
		{row: "results files", args: []string{"plot", "CONFIG", "--out", "DIR"}, yml: `{"schema": "other/v2"}`, want: `schema "other/v2" is not "workerbench/results/v1"`, code: exitUsage},
		{row: "results files", args: []string{"plot", "CONFIG", "--out", "DIR"}, yml: `{"cells": []}`, want: `no "schema" field: not a workerbench results file`, code: exitUsage},
		{row: "results files", args: []string{"plot", "CONFIG", "--out", "DIR"}, yml: `{"schema": "workerbench/results/v1", "cells": [{"workers": 0, "threads": 1}]}`, want: "cells[0]: workers and threads must be ≥ 1", code: exitUsage},
		{row: "results files", args: []string{"plot", "CONFIG"}, yml: "{}", want: "plot: --out DIR is required", code: exitUsage},
	}
}

// TestBadInputTable runs every row of the "Bad input" table of
// docs/troubleshooting.md.
func TestBadInputTable(t *testing.T) {
	for _, tc := range badInputCases() {
		name := tc.row + " " + strings.Join(tc.args, " ")
		if len(name) > 80 {
			name = name[:80]
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				switch a {
				case "CONFIG":
					a = filepath.Join(dir, "input")
					if err := os.WriteFile(a, []byte(tc.yml), 0o644); err != nil {
						t.Fatal(err)
					}
				case "DIR":
					a = dir
				case "PROJECT":
					a = dir
					if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(tc.yml), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				args[i] = a
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, want %d; stderr does not contain %q:\n%s", code, tc.code, tc.want, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing on bad input", stdout)
			}
		})
	}
}

// TestBadInputREADME keeps the "Bad input" table, which moved from the
// README to docs/troubleshooting.md, and the cases above in step: every
// row is tested, every tested input is documented.
func TestBadInputREADME(t *testing.T) {
	data, err := os.ReadFile("../../docs/troubleshooting.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n## Bad input\n")
	if !ok {
		t.Fatal(`docs/troubleshooting.md has no "## Bad input" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	rowRE := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|")
	documented := map[string]bool{}
	for _, m := range rowRE.FindAllStringSubmatch(section, -1) {
		documented[m[1]] = true
	}
	tested := map[string]bool{}
	for _, tc := range badInputCases() {
		tested[tc.row] = true
		if !documented[tc.row] {
			t.Errorf("input %q is tested but has no row in the Bad input table of docs/troubleshooting.md", tc.row)
		}
	}
	for row := range documented {
		if !tested[row] && !strings.HasPrefix(row, "action") {
			t.Errorf("the Bad input row %q of docs/troubleshooting.md has no case in badInputCases", row)
		}
	}
}
