//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// The recipes of docs/recipes.md, each a real project under
// testdata/projects run end to end with the command line the recipe gives:
// setup (database, dependencies) in each side's own directory, then the
// server under its profile, with tiny windows. Each project is copied to a
// temporary directory first, since setup writes there (databases,
// node_modules).

// recipeWindows are the measuring flags of every recipe test: short
// windows, one trial, S0 from 5 requests.
var recipeWindows = []string{
	"--duration", "300ms", "--warmup", "200ms", "--trials", "1", "--sequential", "5", "--grace", "3s",
}

// recipePairs are ab's instead: two pairs per cell and no confirmation,
// enough to check both sides ran, not to reach a verdict.
var recipePairs = []string{
	"--duration", "300ms", "--warmup", "200ms", "--sequential", "5", "--grace", "3s",
	"--trials", "2", "--max-pairs", "2", "--confirm-pairs", "0",
}

// needDebian skips the test unless ok reports that pkg's software is there.
func needDebian(t *testing.T, pkg string, ok bool) {
	t.Helper()
	if !ok {
		t.Skipf("needs the Debian package %s (apt-get install %s)", pkg, pkg)
	}
}

// pythonHas reports whether Debian's python3 imports module.
func pythonHas(module string) bool {
	return exec.Command(debianPython, "-c", "import "+module).Run() == nil
}

// rubyHas reports whether ruby requires lib.
func rubyHas(lib string) bool {
	return exec.Command("ruby", "-e", fmt.Sprintf("require %q", lib)).Run() == nil
}

func onPath(prog string) bool {
	_, err := exec.LookPath(prog)
	return err == nil
}

// needRecipe skips in -short mode, since recipes start real servers.
func needRecipe(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts real servers")
	}
}

// copyProject copies testdata/projects/name to a new directory dir/name
// and returns it; what setup makes is left behind, should a checkout have
// it.
func copyProject(t *testing.T, name, dir string) string {
	t.Helper()
	dst := filepath.Join(dir, name)
	copyTree(t, filepath.Join("..", "..", "testdata", "projects", name), dst, map[string]bool{
		"__pycache__": true, "node_modules": true, ".venv": true, "instance": true, "data": true,
		"db.sqlite3": true, "shop.sqlite3": true, "books.sqlite3": true, ".bundle": true, "vendor": true,
	})
	return dst
}

// runRecipe runs the command line, wants exit 0, and returns results.json
// with every cell measured: throughput, no errors, no failure.
func runRecipe(t *testing.T, args ...string) *results.Run {
	t.Helper()
	out := t.TempDir()
	args = append(args, "--out", out)
	begin := time.Now()
	var stdout, stderr lockedBuffer
	code := exitCode(run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr), &stderr)
	t.Logf("workerbench %s\nexit %d after %v", strings.Join(args, " "), code, time.Since(begin).Round(time.Millisecond))
	if code != 0 {
		t.Fatalf("exit code %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) == 0 {
		t.Fatal("results.json has no cells")
	}
	for _, c := range res.Cells {
		cells := []results.Cell{c}
		if c.Base != nil {
			cells = append(cells, *c.Base)
		}
		for i, side := range cells {
			name := c.Name()
			if len(cells) > 1 {
				name += [...]string{" head", " base"}[i]
			}
			t.Logf("%s: %.1f req/s, S0 %.1f ms, %d requests, concurrency %.2f", name,
				side.ThroughputRPS, side.ServiceTimeS*1e3, side.Requests, side.Concurrency)
			if side.Error != "" {
				t.Errorf("%s failed: %s\n%s", name, side.Error, strings.Join(side.LogExcerpt, "\n"))
			}
			if side.ThroughputRPS <= 0 || side.Requests == 0 {
				t.Errorf("%s: %.1f req/s from %d requests, want some", name, side.ThroughputRPS, side.Requests)
			}
			if side.Errors != 0 {
				t.Errorf("%s: %d errors %v", name, side.Errors, side.ErrorKinds)
			}
		}
	}
	if res.Setup == nil || res.Setup.WallTime.HeadS <= 0 {
		t.Errorf("results.json records no setup: %+v", res.Setup)
	}
	return res
}

// lockedBuffer is a bytes.Buffer that goroutines may write at once: ab
// sets base and head up at once, and both print their progress.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// wantFiles fails unless each path exists: what setup made.
func wantFiles(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("setup did not make %s: %v", p, err)
		}
	}
}

// TestRecipeFlaskr: the Flask tutorial's app factory on gunicorn, compared
// with itself by ab; setup initialises each side's SQLite database in its
// own instance folder.
func TestRecipeFlaskr(t *testing.T) {
	needRecipe(t)
	needGunicorn(t)
	needDebian(t, "python3-flask", pythonHas("flask"))
	dir := t.TempDir()
	base, head := copyProject(t, "flaskr", filepath.Join(dir, "base")), copyProject(t, "flaskr", filepath.Join(dir, "head"))
	res := runRecipe(t, append([]string{"ab",
		"--server", "gunicorn", "--app", "flaskr:create_app()",
		"--base-dir", base, "--head-dir", head,
		"--setup", debianPython + " -m flask --app flaskr init-db",
		"--matrix", "2x2", "--path", "/", "--health", "/health",
	}, recipePairs...)...)
	wantFiles(t, filepath.Join(base, "instance", "flaskr.sqlite"), filepath.Join(head, "instance", "flaskr.sqlite"))
	if res.Verdict == "" || res.Setup == nil || res.Setup.WallTime.BaseS <= 0 {
		t.Errorf("not a comparison with a setup on each side: verdict %q, setup %+v", res.Verdict, res.Setup)
	}
}

// TestRecipeDjango: a Django project (a model, a view, a template) on
// gunicorn; setup migrates, which creates and seeds db.sqlite3.
func TestRecipeDjango(t *testing.T) {
	needRecipe(t)
	needGunicorn(t)
	needDebian(t, "python3-django", pythonHas("django"))
	dir := copyProject(t, "django", t.TempDir())
	runRecipe(t, append([]string{"run",
		"--server", "gunicorn", "--app", "mysite.wsgi:application", "--dir", dir,
		"--setup", debianPython + " manage.py migrate --noinput",
		"--matrix", "1x1,2x2", "--path", "/", "--health", "/health",
	}, recipeWindows...)...)
	wantFiles(t, filepath.Join(dir, "db.sqlite3"))
}

// TestRecipeFastAPI: a FastAPI package (routers, a database dependency,
// SQLite) under uvicorn's profile; setup creates the database.
func TestRecipeFastAPI(t *testing.T) {
	needRecipe(t)
	needDebian(t, "python3-fastapi", pythonHas("fastapi"))
	needDebian(t, "python3-uvicorn", pythonHas("uvicorn"))
	dir := copyProject(t, "fastapi", t.TempDir())
	runRecipe(t, append([]string{"run",
		"--server", "uvicorn", "--app", "shop.main:app", "--dir", dir,
		"--setup", debianPython + " -m shop.init_db",
		"--matrix", "1x1,2x1", "--path", "/", "--health", "/health",
		// The handler computes; a sweep of the connections would only
		// lengthen the test.
		"--sweep=false",
	}, recipeWindows...)...)
	wantFiles(t, filepath.Join(dir, "shop.sqlite3"))
}

// TestRecipeSinatra: a Sinatra app (config.ru, app.rb, views/, Gemfile and
// Gemfile.lock, which config.ru loads through bundler/setup) on puma, with
// Debian's gems; setup creates the SQLite database. Under puma's profile,
// and as platforms start Rack apps (bundle exec puma -C config/puma.rb,
// which reads PORT, WEB_CONCURRENCY and RAILS_MAX_THREADS; the workflow
// runs it through bundle exec, Debian names bundler bundle3.1).
func TestRecipeSinatra(t *testing.T) {
	needRecipe(t)
	needDebian(t, "puma", onPath("puma"))
	needDebian(t, "ruby-sinatra", rubyHas("sinatra/base"))
	needDebian(t, "ruby-sqlite3", rubyHas("sqlite3"))
	for _, tc := range []struct {
		name   string
		server []string
	}{
		{"profile", []string{"--server", "puma", "--app", "config.ru", "--env", "RACK_ENV=production",
			"--matrix", "1x1,2x2"}},
		{"puma.rb", []string{"--server", "paas", "--app", "puma -C config/puma.rb",
			"--env", "RAILS_MAX_THREADS={threads}", "--matrix", "2x2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyProject(t, "sinatra", t.TempDir())
			args := append([]string{"run", "--dir", dir, "--setup", "ruby db/init.rb"}, tc.server...)
			args = append(args, "--path", "/", "--health", "/health")
			runRecipe(t, append(args, recipeWindows...)...)
			wantFiles(t, filepath.Join(dir, "db", "books.sqlite3"))
		})
	}
}

// TestRecipeNode: a Node service (package.json, package-lock.json, src/)
// as a platform starts it, under the paas profile; setup is npm ci and the
// package's init-db script.
func TestRecipeNode(t *testing.T) {
	needRecipe(t)
	needDebian(t, "nodejs", onPath("node"))
	needDebian(t, "npm", onPath("npm"))
	dir := copyProject(t, "node", t.TempDir())
	runRecipe(t, append([]string{"run",
		"--server", "paas", "--app", "node src/server.js", "--dir", dir,
		"--setup", "npm ci --no-audit --no-fund && npm run init-db",
		"--matrix", "1x1,2x1", "--path", "/", "--health", "/health",
		"--sweep=false",
	}, recipeWindows...)...)
	wantFiles(t, filepath.Join(dir, "data", "store.json"))
}

// TestRecipePostgres: a Flask app whose data is in PostgreSQL, compared
// with itself by ab against a real PostgreSQL on loopback that the test
// starts: one database per side through {side} in DATABASE_URL, and a
// setup that creates the schema and records its side.
func TestRecipePostgres(t *testing.T) {
	needRecipe(t)
	needGunicorn(t)
	needDebian(t, "python3-flask", pythonHas("flask"))
	needDebian(t, "python3-psycopg2", pythonHas("psycopg2"))
	pg := startPostgres(t)
	for _, db := range []string{"app_base", "app_head"} {
		pg.run(t, "createdb", db)
	}
	dir := t.TempDir()
	base, head := copyProject(t, "postgres", filepath.Join(dir, "base")), copyProject(t, "postgres", filepath.Join(dir, "head"))
	runRecipe(t, append([]string{"ab",
		"--server", "gunicorn", "--app", "notes:create_app()",
		"--base-dir", base, "--head-dir", head,
		"--env", fmt.Sprintf("DATABASE_URL=postgresql://postgres@127.0.0.1:%d/app_{side}", pg.port),
		"--setup", debianPython + " init_db.py --side {side}",
		"--matrix", "1x1,2x2", "--path", "/", "--health", "/health",
	}, recipePairs...)...)
	for _, side := range []string{"base", "head"} {
		got := pg.run(t, "psql", "-d", "app_"+side, "-tAc", "SELECT string_agg(side, ',') FROM deployment")
		if got != side {
			t.Errorf("database app_%s was set up by %q, want %q only", side, got, side)
		}
		if n := pg.run(t, "psql", "-d", "app_"+side, "-tAc", "SELECT COUNT(*) FROM note"); n == "0" || n == "" {
			t.Errorf("database app_%s has %q notes", side, n)
		}
	}
}

// postgres is a PostgreSQL server the test started on loopback.
type postgres struct {
	bin  string // the directory of its programs
	port int
}

// run runs the PostgreSQL client program prog against the server as its
// superuser and returns its trimmed output.
func (pg *postgres) run(t *testing.T, prog string, args ...string) string {
	t.Helper()
	args = append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-U", "postgres"}, args...)
	out, err := exec.Command(filepath.Join(pg.bin, prog), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// startPostgres initialises a cluster in a temporary directory and starts
// PostgreSQL on 127.0.0.1 on a free port, trusting local connections; the
// test's cleanup stops it and removes the directory. PostgreSQL refuses to
// run as root, so as root it runs as the user postgres, which owns the
// directory. It skips the test when PostgreSQL is not installed.
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/postgres")
	if len(bins) == 0 {
		t.Skip("needs the Debian package postgresql (apt-get install postgresql)")
	}
	slices.Sort(bins)
	pg := &postgres{bin: filepath.Dir(bins[len(bins)-1])}
	var cred *syscall.Credential
	dir, err := os.MkdirTemp("", "workerbench-recipe-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Skipf("PostgreSQL refuses to run as root and there is no user postgres to run it as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(pg.bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"--no-sync", "--no-instructions", "-E", "UTF8", "--locale", "C")
	initdb.Dir = dir
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	pg.port = freePort(t)
	logPath := filepath.Join(dir, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	if cred != nil {
		os.Chown(logPath, int(cred.Uid), int(cred.Gid))
	}
	cmd := exec.Command(filepath.Join(pg.bin, "postgres"), "-D", data,
		"-h", "127.0.0.1", "-p", strconv.Itoa(pg.port), "-k", dir,
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logFile, logFile
	// Its own process group, to kill what is left of it; and killed with
	// its test binary, should that die before the cleanup runs.
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// The kernel sends Pdeathsig when the thread that forked exits, and the
	// runtime ends a thread whose locked goroutine exits (the engine's
	// server goroutines do): fork from a goroutine locked to its thread
	// until PostgreSQL has been reaped, as bench/internal/server does.
	started, done := make(chan error, 1), make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(done)
	}()
	if err := <-started; err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	t.Cleanup(func() {
		// SIGINT is the fast shutdown: it ends the sessions and stops.
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("postgres did not stop within 15 s of SIGINT: killed")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		// Nothing of its group may outlive it.
		if syscall.Kill(-cmd.Process.Pid, 0) == nil {
			t.Errorf("postgres left processes behind: killed")
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		ready := exec.CommandContext(ctx, filepath.Join(pg.bin, "pg_isready"), "-q",
			"-h", "127.0.0.1", "-p", strconv.Itoa(pg.port))
		if ready.Run() == nil {
			return pg
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("postgres exited: %v\n%s", cmd.ProcessState, log)
		case <-ctx.Done():
			log, _ := os.ReadFile(logPath)
			t.Fatalf("postgres not ready on 127.0.0.1:%d within 30 s\n%s", pg.port, log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// freePort is a port of 127.0.0.1 that nothing listened on a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
