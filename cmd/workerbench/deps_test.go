package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/internal/machineload"
)

// A pull request that changes only a dependency's version is measured when
// each side installs its own (--setup), and reported as not measured when
// both sides run in one environment. The dependency is testdata/deps's
// slowdep, whose work() sleeps 10 ms in 1.0 and 15 ms in 2.0; the app
// (testdata/deps/app) calls it once per request and pins it in
// requirements.txt. Its wheels are built offline from the sources, with
// Debian's python3 and its pip, wheel, setuptools and venv; Flask and
// gunicorn are Debian's, seen from each side's virtualenv through
// --system-site-packages.

// debianPython is the interpreter whose packages (pip, wheel, setuptools,
// venv, Flask, gunicorn) the tests use: the python3 on PATH may not be it.
const debianPython = "/usr/bin/python3"

// depsSetup installs a side's requirements.txt into its own virtualenv
// from the wheelhouse the tests build, as a user's setup installs from
// PyPI.
const depsSetup = debianPython + ` -m venv --system-site-packages .venv && ` +
	`.venv/bin/pip install --no-index --find-links "$WHEELHOUSE" -r requirements.txt`

// depsVenvCmd starts a side's server from its own virtualenv: a relative
// program resolves in each side's directory.
const depsVenvCmd = ".venv/bin/python -m gunicorn --bind {bind} --workers {workers} " +
	"--threads {threads} app:app"

// depsWindows are the ab flags of these tests: one 1x2 cell with short
// windows (a pair takes about 0.6 s), eight pairs first (fewer cannot be
// significant at 1%) and four to confirm a change.
var depsWindows = []string{
	"--matrix", "1x2", "--path", "/", "--health", "/health",
	"--duration", "300ms", "--warmup", "200ms", "--sequential", "5",
	"--trials", "8", "--confirm-pairs", "4", "--grace", "3s",
}

// needWheelBuild skips the test unless Debian's python3 can build wheels
// offline and make virtualenvs, and its gunicorn serves Flask.
func needWheelBuild(t *testing.T) {
	t.Helper()
	needGunicorn(t)
	if _, err := os.Stat(debianPython); err != nil {
		t.Skipf("%s is not installed: the dependency tests build wheels with Debian's python3", debianPython)
	}
	for _, m := range []struct{ module, pkg string }{
		{"pip", "python3-pip"},
		{"wheel", "python3-wheel"},
		{"setuptools", "python3-setuptools"},
		{"ensurepip", "python3-venv"}, // venv without ensurepip makes no pip
		{"flask", "python3-flask"},
	} {
		if out, err := exec.Command(debianPython, "-c", "import "+m.module).CombinedOutput(); err != nil {
			t.Skipf("%s cannot import %s (install %s) to build and install the slowdep wheels: %v\n%s",
				debianPython, m.module, m.pkg, err, out)
		}
	}
}

// buildWheelhouse builds slowdep 1.0 and 2.0 (testdata/deps) into a new
// directory and returns it. Each is built from a copy of its sources, so
// the build leaves nothing in the repository, and without the network:
// no index, no build isolation (Debian's setuptools builds it).
func buildWheelhouse(t *testing.T) string {
	t.Helper()
	needWheelBuild(t)
	root := t.TempDir()
	wheelhouse := filepath.Join(root, "wheelhouse")
	versions := []string{"1.0", "2.0"}
	errs := make([]string, len(versions))
	var wg sync.WaitGroup
	for i, v := range versions {
		src := filepath.Join(root, "src", "slowdep-"+v)
		copyTree(t, filepath.Join("..", "..", "testdata", "deps", "slowdep-"+v), src, nil)
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(debianPython, "-m", "pip", "wheel", "--no-deps",
				"--no-build-isolation", "--no-index", "--no-cache-dir", "-w", wheelhouse, src)
			cmd.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = "pip wheel slowdep " + v + ": " + err.Error() + "\n" + string(out)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Fatal(e)
		}
	}
	for _, v := range versions {
		if _, err := os.Stat(filepath.Join(wheelhouse, "slowdep-"+v+"-py3-none-any.whl")); err != nil {
			t.Fatalf("pip wheel built no slowdep %s wheel: %v", v, err)
		}
	}
	return wheelhouse
}

// depsPair lays out base and head: the app of testdata/deps, head's
// requirements.txt rewritten from slowdep==1.0 to headPin (its only
// change), in directories of their own under a new one that is returned
// too (for the output and anything shared).
func depsPair(t *testing.T, headPin string) (root, base, head string) {
	t.Helper()
	root = t.TempDir()
	base, head = filepath.Join(root, "base"), filepath.Join(root, "head")
	app := filepath.Join("..", "..", "testdata", "deps", "app")
	skip := map[string]bool{".venv": true, ".deps": true, "__pycache__": true}
	copyTree(t, app, base, skip)
	copyTree(t, app, head, skip)
	req := filepath.Join(head, "requirements.txt")
	data, err := os.ReadFile(req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\nslowdep==1.0\n") {
		t.Fatalf("testdata/deps/app/requirements.txt no longer pins slowdep==1.0:\n%s", data)
	}
	writeFile(t, req, strings.Replace(string(data), "\nslowdep==1.0\n", "\n"+headPin+"\n", 1))
	return root, base, head
}

// abResults reads the results.json an ab run wrote under out, with its
// one cell.
func abResults(t *testing.T, out string) (*results.Run, results.Cell) {
	t.Helper()
	res, err := results.Read(filepath.Join(out, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Cells) != 1 || res.Cells[0].Base == nil {
		t.Fatalf("results.json has %d cells, want 1x2 with its base", len(res.Cells))
	}
	return res, res.Cells[0]
}

// serverSaid checks that the server log at ref (relative to out) says
// want: which slowdep the app imported, and from where.
func serverSaid(t *testing.T, side, out, ref, want string) {
	t.Helper()
	if ref == "" {
		t.Errorf("%s: results.json has no server log", side)
		return
	}
	data, err := os.ReadFile(filepath.Join(out, ref))
	if err != nil {
		t.Errorf("%s: %v", side, err)
		return
	}
	if !strings.Contains(string(data), want) {
		t.Errorf("%s's server log lacks %q:\n%s", side, want, data)
	}
}

// logFigures logs what ab measured: each side's throughput, the ratio
// with its interval, the pairs and the verdict.
func logFigures(t *testing.T, res *results.Run, c results.Cell) {
	t.Helper()
	t.Logf("%s: base %.1f req/s, head %.1f req/s, head/base %.3f [%.3f, %.3f] after %d pairs: %s",
		c.Name(), c.Base.ThroughputRPS, c.ThroughputRPS, c.Ratio, c.CILow, c.CIHigh, c.Pairs,
		res.Verdict)
}

// TestABDependencyChangeMeasuredWithSetup: head pins slowdep 2.0, base
// 1.0, and nothing else differs. With --setup each side installs its own
// into its own virtualenv and serves from it, so head is a third slower
// and ab says regressed; results.json records the changed file, that the
// verdict includes it, and each side's setup time.
func TestABDependencyChangeMeasuredWithSetup(t *testing.T) {
	wheelhouse := buildWheelhouse(t)
	root, base, head := depsPair(t, "slowdep==2.0")
	machineload.Within(t, func(b *machineload.Bands) {
		out := filepath.Join(root, "out")
		args := append([]string{"ab", "--base-dir", base, "--head-dir", head,
			"--setup", depsSetup, "--env", "WHEELHOUSE=" + wheelhouse,
			"--cmd", depsVenvCmd, "--out", out, "--fail-on-regression"}, depsWindows...)
		begin := time.Now()
		code, stdout, stderr := runCLI(t, args...)
		took := time.Since(begin)
		if code != exitRegression {
			b.Errorf("exit %d, want %d (regressed, with --fail-on-regression)\nstdout:\n%s\nstderr:\n%s",
				code, exitRegression, stdout, stderr)
			return
		}
		res, c := abResults(t, out)
		logFigures(t, res, c)
		t.Logf("ab took %s", took.Round(100*time.Millisecond))
		if res.Verdict != results.Regressed || c.Verdict != results.Regressed {
			b.Errorf("verdict %q (cell %q), want regressed", res.Verdict, c.Verdict)
		}
		// 10 ms against 15 ms in a handler that takes about 1 ms more:
		// head/base about 0.68. A change this large stands at the first
		// look that can reach significance, 11 pairs here, whose interval
		// is the range of the pairs' Walsh averages: on a loaded machine
		// it reached 0.87.
		if c.Ratio <= 0 || c.Ratio > 0.8 || c.CIHigh > 0.9 {
			b.Errorf("head/base %.3f [%.3f, %.3f], want about 0.68 (10 ms vs 15 ms of slowdep)",
				c.Ratio, c.CILow, c.CIHigh)
		}
		if d := res.Dependencies; d == nil || !slices.Equal(d.Changed, []string{"requirements.txt"}) ||
			!d.Setup {
			t.Errorf("results.json dependencies %+v, want changed [requirements.txt] and setup true", d)
		}
		if s := res.Setup; s == nil || s.Command != depsSetup || s.WallTime.BaseS <= 0 ||
			s.WallTime.HeadS <= 0 {
			t.Errorf("results.json setup %+v, want the command and both sides' wall times", s)
		} else {
			t.Logf("setup: base %.1fs, head %.1fs", s.WallTime.BaseS, s.WallTime.HeadS)
		}
		// Each side served from its own virtualenv, with its own slowdep.
		serverSaid(t, "base", out, c.Base.Log,
			"app: slowdep 1.0 from "+filepath.Join(base, ".venv"))
		serverSaid(t, "head", out, c.Log, "app: slowdep 2.0 from "+filepath.Join(head, ".venv"))

		summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(summary), "requirements.txt") {
			t.Errorf("summary.md does not name requirements.txt:\n%s", summary)
		}
		for name, text := range map[string]string{"summary.md": string(summary), "stdout": stdout,
			"stderr": stderr} {
			if strings.Contains(text, "one environment") || strings.Contains(text, "no --setup") {
				t.Errorf("%s warns that the dependency change was not measured:\n%s", name, text)
			}
		}
		if !strings.Contains(stderr+stdout, "requirements.txt") {
			t.Errorf("the terminal does not name requirements.txt:\n%s\n%s", stdout, stderr)
		}
	})
}

// TestABDependencyChangeWarnedWithoutSetup: the same pair without
// --setup, both sides served by Debian's gunicorn with slowdep 1.0 from
// one directory on PYTHONPATH. Both run the same code, so ab says
// unchanged, and the terminal, summary.md and results.json say that
// requirements.txt changed and the verdict does not include it.
func TestABDependencyChangeWarnedWithoutSetup(t *testing.T) {
	wheelhouse := buildWheelhouse(t)
	root, base, head := depsPair(t, "slowdep==2.0")
	shared := filepath.Join(root, "shared")
	install := exec.Command(debianPython, "-m", "pip", "install", "--no-index", "--no-cache-dir",
		"--find-links", wheelhouse, "--target", shared, "slowdep==1.0")
	install.Env = append(os.Environ(), "PIP_DISABLE_PIP_VERSION_CHECK=1")
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("pip install slowdep 1.0 into %s: %v\n%s", shared, err, out)
	}
	machineload.Within(t, func(b *machineload.Bands) {
		out := filepath.Join(root, "out")
		args := append([]string{"ab", "--base-dir", base, "--head-dir", head,
			"--env", "PYTHONPATH=" + shared, "--cmd", gunicornTemplate, "--out", out,
			"--fail-on-regression"}, depsWindows...)
		begin := time.Now()
		code, stdout, stderr := runCLI(t, args...)
		took := time.Since(begin)
		if code != 0 {
			b.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			return
		}
		res, c := abResults(t, out)
		logFigures(t, res, c)
		t.Logf("ab took %s", took.Round(100*time.Millisecond))
		if res.Verdict != results.Unchanged {
			b.Errorf("verdict %q, want unchanged: both sides ran slowdep 1.0", res.Verdict)
		}
		if d := res.Dependencies; d == nil || !slices.Equal(d.Changed, []string{"requirements.txt"}) ||
			d.Setup {
			t.Errorf("results.json dependencies %+v, want changed [requirements.txt] and setup false", d)
		}
		if res.Setup != nil {
			t.Errorf("results.json records a setup without --setup: %+v", res.Setup)
		}
		want := "app: slowdep 1.0 from " + filepath.Join(shared, "slowdep.py")
		serverSaid(t, "base", out, c.Base.Log, want)
		serverSaid(t, "head", out, c.Log, want)

		// The warning, where each reader meets it: a line naming the file, the
		// one environment and setup, on the terminal and in summary.md (under
		// a GitHub alert, which is the line before).
		summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
		if err != nil {
			t.Fatal(err)
		}
		if !hasLine(stderr+stdout, "warning", "requirements.txt", "one environment", "setup") {
			t.Errorf("the terminal has no warning naming requirements.txt, that both sides ran in "+
				"one environment and what setup does:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
		}
		if !strings.Contains(string(summary), "[!WARNING]") ||
			!hasLine(string(summary), "requirements.txt", "one environment", "setup") {
			t.Errorf("summary.md has no warning naming requirements.txt, that both sides ran in "+
				"one environment and what setup does:\n%s", summary)
		}
		heading, _, _ := strings.Cut(string(summary), "\n")
		if !strings.Contains(heading, "requirements.txt") {
			t.Errorf("summary.md's heading does not say requirements.txt changed: %q", heading)
		}
		t.Logf("summary.md's heading: %s", heading)
	})
}

// hasLine reports whether a line of text contains every one of words,
// ignoring case.
func hasLine(text string, words ...string) bool {
	for _, line := range strings.Split(strings.ToLower(text), "\n") {
		if !slices.ContainsFunc(words, func(w string) bool {
			return !strings.Contains(line, strings.ToLower(w))
		}) {
			return true
		}
	}
	return false
}

// TestABSetupFailsNamingSide: head's requirements.txt names a package the
// wheelhouse does not have. Setup fails on head within seconds with the
// usage exit code; the error names head and shows pip's ERROR line, and
// no server was started (the app, which marks each process that imports
// it, was never imported; nothing is left running in either directory).
func TestABSetupFailsNamingSide(t *testing.T) {
	wheelhouse := buildWheelhouse(t)
	root, base, head := depsPair(t, "nosuchpkg-workerbench==1.0")
	started := filepath.Join(root, "started")
	out := filepath.Join(root, "out")
	// pip into a directory of the side's, not a virtualenv: the failure,
	// not the virtualenv's four seconds, is the point.
	setup := debianPython + ` -m pip install --no-index --no-cache-dir --find-links "$WHEELHOUSE" ` +
		`--target .deps -r requirements.txt`
	args := append([]string{"ab", "--base-dir", base, "--head-dir", head, "--setup", setup,
		"--env", "WHEELHOUSE=" + wheelhouse, "--env", "SLOWDEP_APP_STARTED=" + started,
		"--env", "PYTHONPATH=.deps", "--cmd", gunicornTemplate, "--out", out}, depsWindows...)
	machineload.Within(t, func(b *machineload.Bands) {
		begin := time.Now()
		code, stdout, stderr := runCLI(t, args...)
		took := time.Since(begin)
		t.Logf("exit %d after %s\n%s", code, took.Round(100*time.Millisecond), stderr)
		if code != exitUsage {
			t.Errorf("exit %d, want %d (usage)\nstdout:\n%s", code, exitUsage, stdout)
		}
		if took > 10*time.Second {
			b.Errorf("took %s, want a few seconds (pip fails in about one)", took)
		}
		lines := strings.Split(stderr, "\n")
		last := ""
		for i := len(lines) - 1; i >= 0 && last == ""; i-- {
			last = lines[i]
		}
		if !strings.Contains(last, "head") || strings.Contains(last, " base") || strings.Contains(last, base) ||
			!strings.Contains(last, "nosuchpkg-workerbench") {
			t.Errorf("the error does not name head and the missing package: %q", last)
		}
		if !hasLine(stderr, "ERROR: ", "nosuchpkg-workerbench") {
			t.Errorf("stderr does not show pip's ERROR line:\n%s", stderr)
		}
		if strings.Contains(stderr, "starting base and head servers") {
			t.Errorf("servers were started after setup failed:\n%s", stderr)
		}
		if data, err := os.ReadFile(started); err == nil {
			t.Errorf("the app was imported (a server started) by pids %s", strings.Fields(string(data)))
		}
		for _, dir := range []string{base, head} {
			waitNoServers(t, dir, 5*time.Second)
		}
		if logs, _ := filepath.Glob(filepath.Join(out, "logs", "server-*")); len(logs) > 0 {
			t.Errorf("server logs were written: %v", logs)
		}
		if _, err := os.Stat(filepath.Join(base, ".deps", "slowdep.py")); err != nil {
			t.Errorf("base's setup did not install slowdep: %v", err)
		}
	})
}
