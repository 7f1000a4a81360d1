package deploy_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/deploy"
	"github.com/workerbench/workerbench/bench/internal/server"
	"github.com/workerbench/workerbench/bench/profile"
)

// fixtures are the projects of testdata/projects/deploy: what Detect finds
// in each on a 2-CPU runner, and the setup that makes its database.
var fixtures = []struct {
	dir     string
	summary string
	want    deploy.Deployment // Profile, App, Workers, Threads, Machine*, Env
	setup   []string
	needs   []string // a command that fails when the app's libraries are missing
}{
	{
		dir:     "django-procfile",
		summary: "deployed: gunicorn 3x2 from Procfile line 2",
		want:    deploy.Deployment{Profile: "gunicorn", App: "mysite.wsgi:application", Workers: 3, Threads: 2},
		setup:   []string{"/usr/bin/python3", "manage.py", "migrate", "--noinput"},
		needs:   []string{"/usr/bin/python3", "-c", "import django"},
	},
	{
		dir:     "flask-gunicorn-conf",
		summary: "deployed: gunicorn 5x2 from gunicorn.conf.py, workers = multiprocessing.cpu_count() * 2 + 1 (gunicorn.conf.py line 13)",
		want:    deploy.Deployment{Profile: "gunicorn", App: "flaskr:create_app()", Workers: 5, Threads: 2},
		setup:   []string{"/usr/bin/python3", "-m", "flask", "--app", "flaskr", "init-db"},
		needs:   []string{"/usr/bin/python3", "-c", "import flask"},
	},
	{
		dir:     "sinatra-puma",
		summary: "deployed: puma 2x3 from Procfile line 1, workers = Integer(ENV.fetch(\"WEB_CONCURRENCY\", 1)) if worker_count > 1 (config/puma.rb line 11)",
		want: deploy.Deployment{Profile: "puma", App: "config.ru", Workers: 2, Threads: 3, MachineMemoryMiB: 1024,
			Env: []string{"RACK_ENV=production", "RAILS_MAX_THREADS=3"}},
		setup: []string{"ruby", "db/init.rb"},
		needs: []string{"ruby", "-e", "require 'sinatra/base'; require 'sqlite3'; require 'puma'"},
	},
	{
		dir:     "node-render",
		summary: "deployed: paas 2x1 from package.json line 9 via render.yaml line 7, workers = $WEB_CONCURRENCY default 1 (src/server.js line 10)",
		want: deploy.Deployment{Profile: "paas", App: "node src/server.js", Workers: 2, Threads: 1, MachineCPUs: 1, MachineMemoryMiB: 2048,
			Env: []string{"NODE_ENV=production"}},
		setup: []string{"node", "scripts/init-db.js"},
		needs: []string{"node", "--version"},
	},
	{
		dir:     "flask-dockerfile",
		summary: "deployed: gunicorn 2x4 from Dockerfile line 10",
		want:    deploy.Deployment{Profile: "gunicorn", App: "flaskr:create_app()", Workers: 2, Threads: 4},
		setup:   []string{"/usr/bin/python3", "-m", "flask", "--app", "flaskr", "init-db"},
		needs:   []string{"/usr/bin/python3", "-c", "import flask"},
	},
	{
		dir:     "fastapi-fly",
		summary: "deployed: uvicorn 2x1 from Dockerfile line 10, workers = $WEB_CONCURRENCY",
		want:    deploy.Deployment{Profile: "uvicorn", App: "shop.main:app", Workers: 2, Threads: 1, MachineCPUs: 2, MachineMemoryMiB: 1024},
		setup:   []string{"/usr/bin/python3", "-m", "shop.init_db"},
		needs:   []string{"/usr/bin/python3", "-c", "import fastapi, uvicorn"},
	},
}

func fixtureDir(name string) string {
	return filepath.Join("..", "..", "testdata", "projects", "deploy", name)
}

// TestFixtures detects each fixture project as a 2-CPU runner would, with
// an empty process environment.
func TestFixtures(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.dir, func(t *testing.T) {
			d, err := deploy.Detect(fixtureDir(fx.dir), nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			if d.Summary() != fx.summary {
				t.Errorf("Summary\n got %s\nwant %s", d.Summary(), fx.summary)
			}
			w := fx.want
			if d.Profile != w.Profile || d.App != w.App || d.Cell() != w.Cell() ||
				d.MachineCPUs != w.MachineCPUs || d.MachineMemoryMiB != w.MachineMemoryMiB {
				t.Errorf("got %s %q %s machine %d CPUs %d MiB, want %s %q %s machine %d CPUs %d MiB",
					d.Profile, d.App, d.Cell(), d.MachineCPUs, d.MachineMemoryMiB,
					w.Profile, w.App, w.Cell(), w.MachineCPUs, w.MachineMemoryMiB)
			}
			if !slices.Equal(d.Env, w.Env) {
				t.Errorf("Env = %q, want %q", d.Env, w.Env)
			}
			t.Logf("%s; sources %v", d.Summary(), d.Sources)
		})
	}
}

// TestFixtureUnreadable: a Procfile that runs a script is named, with
// the flags that take over.
func TestFixtureUnreadable(t *testing.T) {
	_, err := deploy.Detect(fixtureDir("flask-bin-start"), nil, 2)
	var u *deploy.UnreadableError
	if !errors.As(err, &u) {
		t.Fatalf("Detect: %v, want an *UnreadableError", err)
	}
	want := "Procfile line 1: web: bin/start runs a script workerbench cannot read; pass --cmd '…{port}…' or --server NAME"
	if err.Error() != want {
		t.Errorf("error\n got %s\nwant %s", err, want)
	}
}

// TestFixturesBoot starts each fixture's detected deployment under its
// server profile, as workerbench would (the profile's command with the
// deployment's app, cell, flags and environment, on loopback), and wants
// /health to answer. It skips a fixture whose server or libraries are missing.
func TestFixturesBoot(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	for _, fx := range fixtures {
		t.Run(fx.dir, func(t *testing.T) {
			if err := exec.Command(fx.needs[0], fx.needs[1:]...).Run(); err != nil {
				t.Skipf("%s: %v", strings.Join(fx.needs, " "), err)
			}
			d, err := deploy.Detect(fixtureDir(fx.dir), nil, 2)
			if err != nil {
				t.Fatal(err)
			}
			p, err := profile.Lookup(d.Profile)
			if err != nil {
				t.Fatal(err)
			}
			cmd, err := p.Resolve(d.App, profile.Finder{
				Look: exec.LookPath,
				Imports: func(python, module string) bool {
					return exec.Command(python, "-c", "import "+module).Run() == nil
				},
			}, d.Args...)
			if err != nil {
				t.Skip(err)
			}
			dir := copyTree(t, fixtureDir(fx.dir))
			setup := exec.Command(fx.setup[0], fx.setup[1:]...)
			setup.Dir = dir
			if out, err := setup.CombinedOutput(); err != nil {
				t.Fatalf("setup %s: %v\n%s", strings.Join(fx.setup, " "), err, out)
			}
			boot(t, dir, d, cmd)
		})
	}
}

// boot starts cmd for d's cell on a free loopback port in dir, waits for
// /health and stops the server's process group.
func boot(t *testing.T, dir string, d deploy.Deployment, cmd profile.Command) {
	t.Helper()
	port := freePort(t)
	vars := strings.NewReplacer(
		"{bind}", "127.0.0.1:"+strconv.Itoa(port), "{host}", "127.0.0.1", "{port}", strconv.Itoa(port),
		"{workers}", strconv.Itoa(d.Workers), "{threads}", strconv.Itoa(d.Threads))
	template := cmd.Template
	if d.Workers == 1 && cmd.OneWorker != "" {
		template = cmd.OneWorker
	}
	var argv []string
	for _, w := range strings.Fields(template) {
		argv = append(argv, vars.Replace(strings.Trim(w, "'")))
	}
	env := append(os.Environ(), d.Env...)
	for _, e := range cmd.Environment {
		env = append(env, vars.Replace(e))
	}
	log := filepath.Join(t.TempDir(), "server.log")
	t.Logf("%s: %s", d.Summary(), strings.Join(argv, " "))
	p, err := server.Start(server.Spec{Argv: argv, Dir: dir, Env: env, LogPath: log})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if _, err := p.Stop(10 * time.Second); err != nil {
			t.Errorf("stop: %v", err)
		}
	}()
	url := fmt.Sprintf("http://127.0.0.1:%d/health", port)
	err = p.WaitReady(context.Background(), server.Readiness{
		Probe: func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("GET /health: %s", resp.Status)
			}
			return nil
		},
		Addr:    netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port)),
		Timeout: 90 * time.Second,
	})
	if err != nil {
		out, _ := os.ReadFile(log)
		t.Fatalf("%s did not answer /health: %v\n%s", strings.Join(argv, " "), err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// copyTree copies a fixture to a new directory, leaving out what setup
// makes in a checkout.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		switch e.Name() {
		case "__pycache__", "node_modules", "instance", "data", ".bundle", "vendor":
			return filepath.SkipDir
		}
		if e.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if strings.HasSuffix(e.Name(), ".sqlite3") || strings.HasSuffix(e.Name(), ".sqlite") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
