package main

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/internal/machineload"
)

// The failures a user meets first, each with a real server: what the
// terminal says, the exit code, how long it takes to say it (the startup
// timeout is the default minute), and that nothing is left running.

// failureCase is one way a command template goes wrong.
type failureCase struct {
	name  string
	needs []string // programs on PATH, or "python3:module" for an importable module
	files map[string]string
	args  []string // after "run"; --dir is added
	want  []string // substrings of stderr
	// wantOnce are substrings that must appear exactly once.
	wantOnce []string
	code     int
	within   time.Duration
}

// fixture is the content of a file of testdata/servers or examples.
func fixture(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// needs skips the test unless every program (or Python module) is there.
func needs(t *testing.T, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if mod, ok := strings.CutPrefix(p, "python3:"); ok {
			if exec.Command("/usr/bin/python3", "-c", "import "+mod).Run() != nil {
				t.Skipf("python3 module %s is not installed", mod)
			}
			continue
		}
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s is not installed", p)
		}
	}
}

func runFailureCases(t *testing.T, cases []failureCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			needs(t, tc.needs...)
			dir := t.TempDir()
			for name, content := range tc.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"run", "--dir", dir, "--sequential", "10", "--duration", "300ms", "--warmup", "100ms", "--grace", "3s"}, tc.args...)
			machineload.Within(t, func(b *machineload.Bands) {
				begin := time.Now()
				code, _, stderr := runCLI(t, args...)
				took := time.Since(begin)
				t.Logf("%s: exit %d after %v\n%s", tc.name, code, took.Round(time.Millisecond), stderr)
				if code != tc.code {
					t.Errorf("exit code %d, want %d", code, tc.code)
				}
				for _, w := range tc.want {
					if !strings.Contains(stderr, w) {
						t.Errorf("stderr does not contain %q", w)
					}
				}
				for _, w := range tc.wantOnce {
					if n := strings.Count(stderr, w); n != 1 {
						t.Errorf("stderr contains %q %d times, want once", w, n)
					}
				}
				for _, bad := range []string{"connect: connect:", "status: status", "some cells failed", " 1 cells"} {
					if strings.Contains(stderr, bad) {
						t.Errorf("stderr says %q", bad)
					}
				}
				if took > tc.within {
					b.Errorf("took %v, want at most %v (the startup timeout is a minute)", took, tc.within)
				}
				waitNoServers(t, dir, 5*time.Second)
				// A failed cell's log outlives a run without --out, and the
				// terminal says where.
				if code == exitError {
					m := regexp.MustCompile(`log: (/\S+)`).FindStringSubmatch(stderr)
					if m == nil {
						t.Fatal("no log path under the FAILED line")
					}
					if _, err := os.Stat(m[1]); err != nil {
						t.Errorf("the failed cell's log is gone: %v", err)
					}
					os.RemoveAll(filepath.Dir(m[1]))
				}
			})
		})
	}
}

// TestFailuresSayWhy: each mistake in a command template ends within
// seconds with the server's own words for it, and leaves no process.
func TestFailuresSayWhy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	const gunicorn = "/usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} "
	flask := map[string]string{"app.py": fixture(t, "examples/flask/app.py")}
	misbehave := map[string]string{"misbehave.py": fixture(t, "testdata/servers/misbehave.py")}
	rack := map[string]string{
		"config.ru": "run lambda { |env| [200, {'content-type' => 'text/plain'}, ['ok']] }\n",
		"crash.ru":  "raise 'cannot connect to the database' if ENV['WORKERBENCH_SERVER']\nrun lambda { |env| [200, {}, ['ok']] }\n",
	}
	runFailureCases(t, []failureCase{
		// 1. The server's error on screen, not just its exit status.
		{name: "gunicorn wrong module", needs: []string{"gunicorn", "python3:flask"}, files: flask,
			args: []string{"--cmd", gunicorn + "wrongmodule:app", "--matrix", "1x1"},
			want: []string{"FAILED: server exited during startup (exit status 3)", "| ModuleNotFoundError: No module named 'wrongmodule'", "log: /"},
			code: exitError, within: 15 * time.Second},
		{name: "waitress option error on line 1", needs: []string{"waitress-serve", "python3:flask"}, files: flask,
			args: []string{"--cmd", "waitress-serve --bind {bind} app:app", "--matrix", "1x1"},
			want: []string{"| Error: option --bind not recognized"},
			code: exitError, within: 15 * time.Second},
		{name: "uvicorn --bind", needs: []string{"python3:uvicorn"}, files: flask,
			args: []string{"--cmd", "/usr/bin/python3 -m uvicorn --bind {bind} app:app", "--matrix", "1x1"},
			want: []string{"| Error: No such option: --bind"},
			code: exitError, within: 15 * time.Second},
		{name: "puma bind without tcp://", needs: []string{"puma"}, files: rack,
			args: []string{"--cmd", "puma -b {bind} -w 0 config.ru", "--matrix", "1x1"},
			want: []string{"bad URI(is not URI?)"},
			code: exitError, within: 20 * time.Second},
		{name: "waitress callable typo", needs: []string{"waitress-serve", "python3:flask"}, files: flask,
			args: []string{"--cmd", "waitress-serve --listen {bind} app:ap", "--matrix", "1x1"},
			want: []string{"| Error: Bad object name 'ap'"},
			code: exitError, within: 15 * time.Second},
		{name: "puma config.ru that raises", needs: []string{"puma"}, files: map[string]string{"config.ru": "raise 'DATABASE_URL is not set'\n"},
			args: []string{"--cmd", "puma -b tcp://{bind} -w 0 config.ru", "--matrix", "1x1"},
			want: []string{"| ! Unable to load application: RuntimeError: DATABASE_URL is not set"},
			code: exitError, within: 20 * time.Second},
		{name: "puma missing config.ru", needs: []string{"puma"}, files: rack,
			args: []string{"--cmd", "puma -b tcp://{bind} -w 0 nosuch.ru", "--matrix", "1x1"},
			want: []string{"ERROR: No application configured, nothing to run"},
			code: exitError, within: 20 * time.Second},
		// 2. A server that daemonizes is found, named and stopped.
		{name: "gunicorn --daemon", needs: []string{"gunicorn", "python3:flask"}, files: flask,
			args: []string{"--cmd", gunicorn + "--daemon app:app", "--matrix", "1x1"},
			want: []string{"the server went to the background (pid ", "run it in the foreground"},
			code: exitError, within: 15 * time.Second},
		// 3. A server that listens somewhere else.
		{name: "listens on a port of its own", files: misbehave,
			args: []string{"--cmd", "python3 misbehave.py --elsewhere --port {port}", "--matrix", "1x1"},
			want: []string{"the server listens on 127.0.0.1:", "check the flag that sets its address or port"},
			code: exitError, within: 15 * time.Second},
		// 4. A server that answers, but not as a ready server does.
		{name: "health path 404", needs: []string{"gunicorn", "python3:flask"}, files: flask,
			args: []string{"--cmd", gunicorn + "app:app", "--matrix", "1x1", "--path", "/nope"},
			want: []string{"GET /nope answered 404 Not Found for 5s, want 2xx", "--health PATH"},
			code: exitError, within: 20 * time.Second},
		{name: "uWSGI speaking its own protocol", needs: []string{"uwsgi", "python3:flask"}, files: flask,
			args: []string{"--cmd", "uwsgi --plugin python3 --socket {bind} --module app:app --master --die-on-term", "--matrix", "1x1"},
			want: []string{"accepted connections for 5s but did not answer HTTP", "uWSGI --socket instead of --http-socket"},
			code: exitError, within: 20 * time.Second},
		{name: "uWSGI with no app", needs: []string{"uwsgi", "python3:flask"}, files: flask,
			args: []string{"--cmd", "uwsgi --plugin python3 --http-socket {bind} --module nosuch:app --master --die-on-term", "--matrix", "1x1"},
			want: []string{"answered 500 Internal Server Error for 5s", "| ModuleNotFoundError: No module named 'nosuch'"},
			code: exitError, within: 20 * time.Second},
		// 5. Workers that die at boot and are respawned.
		{name: "crash loop", files: misbehave,
			args: []string{"--cmd", "python3 misbehave.py --crash-loop --port {port}", "--matrix", "1x1"},
			want: []string{"the server's processes keep dying and being replaced", "| RuntimeError: worker cannot start"},
			code: exitError, within: 15 * time.Second},
		{name: "puma crash loop", needs: []string{"puma"}, files: rack,
			args: []string{"--cmd", "puma -b tcp://{bind} -w 3 crash.ru", "--matrix", "1x1"},
			want: []string{"the server's processes keep dying and being replaced", "! Unable to start worker"},
			code: exitError, within: 15 * time.Second},
		// 6. A server that ignores SIGTERM is killed after --grace, said once.
		{name: "ignores SIGTERM", files: misbehave,
			// Two cells of one server: WORKERS in its environment is the axis.
			args: []string{"--cmd", "python3 misbehave.py --ignore-term --port {port}",
				"--env", "WORKERS={workers}", "--matrix", "1x1,2x1", "--connections", "2"},
			wantOnce: []string{"note: the server did not stop within 3s of SIGTERM, so it was killed"},
			code:     exitOK, within: 45 * time.Second},
		{name: "uWSGI without --die-on-term", needs: []string{"uwsgi", "python3:flask"}, files: flask,
			args:     []string{"--cmd", "uwsgi --plugin python3 --http-socket {bind} --module app:app --master --processes {workers} --threads {threads}", "--matrix", "1x1", "--path", "/?ms=5"},
			wantOnce: []string{"so it was killed (uWSGI reloads on SIGTERM: add --die-on-term)"},
			code:     exitOK, within: 45 * time.Second},
		// 8. A server configured through its environment.
		{name: "port in the environment", files: misbehave,
			args: []string{"--cmd", "python3 misbehave.py", "--env", "PORT={port}", "--matrix", "1x1", "--connections", "2"},
			want: []string{"measured 1 cell in"},
			code: exitOK, within: 45 * time.Second},
		// 9. Wording: every cell failed.
		{name: "all cells failed", needs: []string{"gunicorn", "python3:flask"}, files: flask,
			args: []string{"--cmd", gunicorn + "wrongmodule:app", "--matrix", "1x1,2x1"},
			want: []string{"workerbench: all 2 cells failed: 1x1, 2x1", "measured 2 cells in"},
			code: exitError, within: 20 * time.Second},
	})
}

// TestFailureWrongPortFlag: gunicorn -p is its pid file, so the server
// listens on its default 127.0.0.1:8000; the message says so at once.
func TestFailureWrongPortFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:8000")
	if err != nil {
		t.Skip("127.0.0.1:8000 is in use: gunicorn could not listen there")
	}
	ln.Close()
	runFailureCases(t, []failureCase{{
		name: "gunicorn -p {port}", needs: []string{"gunicorn", "python3:flask"},
		files: map[string]string{"app.py": fixture(t, "examples/flask/app.py")},
		args:  []string{"--cmd", "/usr/bin/gunicorn -p {port} app:app", "--matrix", "1x1"},
		want:  []string{"the server listens on 127.0.0.1:8000, not on 127.0.0.1:"},
		code:  exitError, within: 15 * time.Second,
	}})
}
