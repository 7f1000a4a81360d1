package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
	flaskapp "github.com/workerbench/workerbench/examples/flask"
)

// The end-to-end test runs the action the way GitHub would, under
// nektos/act on this host: a pull_request workflow in a throwaway
// repository uses workerbench/workerbench@e2e, which act resolves to a copy
// of this checkout; every third-party action is a local stand-in,
// GITHUB_API_URL points at a fake API and GITHUB_SERVER_URL at a fake
// release server serving the archives and checksums.txt that
// `.github/scripts/release.sh` built. Nothing leaves the machine.
//
//	.github/scripts/release.sh
//	WORKERBENCH_E2E=1 WORKERBENCH_RELEASE_DIST=$PWD/dist go test -run TestE2EAct ./cmd/workerbench/
//
// WORKERBENCH_E2E_ACT names the act binary (default: act on PATH, then
// $(go env GOPATH)/bin/act).

const e2eRepo = "o/workerbench-e2e"

// e2eWorkflow is the user's workflow: the README's, with a matrix and
// windows small enough for a test, and a first step that says whether go
// is on PATH.
const e2eWorkflow = `name: concurrency
on: pull_request
permissions: { contents: read, pull-requests: write }
jobs:
  concurrency:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - name: go on PATH
        run: command -v go || echo "no go on PATH"
      - uses: workerbench/workerbench@e2e
        id: bench
        with:
          command: /usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} app:app
          working-directory: app
          matrix: 1x1
          path: /?ms=5
          duration: 200ms
          trials: 2
          args: --warmup 100ms --sequential 5 --max-pairs 2 --confirm-pairs 0 --health /health
      - name: outputs
        env:
          VERDICT: ${{ steps.bench.outputs.verdict }}
          BEST: ${{ steps.bench.outputs.best-config }}
          RESULTS: ${{ steps.bench.outputs.results }}
        run: |
          echo "verdict=$VERDICT best=$BEST"
          test -n "$VERDICT" && test "$BEST" = 1x1 && test -s "$RESULTS"
`

// noopAction stands in for actions/setup-go and actions/cache, which act
// would otherwise fetch from GitHub even when skipped.
const noopAction = `name: no-op stand-in
description: stands in for a third-party action that cannot be fetched offline
inputs:
  go-version-file: { description: ignored, default: '' }
  cache: { description: ignored, default: '' }
  name: { description: ignored, default: '' }
  path: { description: ignored, default: '' }
  key: { description: ignored, default: '' }
  restore-keys: { description: ignored, default: '' }
  if-no-files-found: { description: ignored, default: '' }
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "no-op stand-in for a third-party action"
`

// checkoutAction stands in for actions/checkout: in act's host mode the
// workspace starts empty, so it copies the test repository (with .git, so
// the base commit is there) into it. (act copies the repository itself for
// a checkout of the repository under test.)
const checkoutAction = `name: checkout stand-in
description: copies the test repository into the workspace
inputs:
  fetch-depth: { description: ignored, default: '1' }
runs:
  using: composite
  steps:
    - shell: bash
      env:
        SRC: %SRC%
      run: cp -a "$SRC/." "$GITHUB_WORKSPACE/"
`

// uploadAction and downloadAction stand in for actions/upload-artifact and
// actions/download-artifact: an artifact is a directory of the run's
// $WORKERBENCH_E2E_ARTIFACTS, and a download by pattern lays each one out
// in a directory of its own under path, as merge-multiple: false does.
const uploadAction = `name: upload-artifact stand-in
description: copies path into the run's artifact directory
inputs:
  name: { description: artifact name, default: artifact }
  path: { description: what to upload, default: '' }
  if-no-files-found: { description: ignored, default: '' }
runs:
  using: composite
  steps:
    - shell: bash
      env:
        NAME: ${{ inputs.name }}
        SRC: ${{ inputs.path }}
      run: |
        if [ -n "$WORKERBENCH_E2E_ARTIFACTS" ] && [ -d "$SRC" ]; then
          mkdir -p "$WORKERBENCH_E2E_ARTIFACTS/$NAME"
          cp -a "$SRC/." "$WORKERBENCH_E2E_ARTIFACTS/$NAME/"
          echo "uploaded artifact $NAME"
        fi
`

const downloadAction = `name: download-artifact stand-in
description: copies the run's artifacts matching pattern into path
inputs:
  pattern: { description: artifact names, default: '*' }
  path: { description: where to, default: '.' }
  merge-multiple: { description: only false is stood in for, default: 'false' }
runs:
  using: composite
  steps:
    - shell: bash
      env:
        PATTERN: ${{ inputs.pattern }}
        DST: ${{ inputs.path }}
      run: |
        mkdir -p "$DST"
        for d in "$WORKERBENCH_E2E_ARTIFACTS"/$PATTERN; do
          [ -d "$d" ] || continue
          cp -a "$d" "$DST/$(basename "$d")"
          echo "downloaded artifact $(basename "$d")"
        done
`

// firstRequestHook, appended to the example app, writes the time of the
// first request the app serves to $WORKERBENCH_E2E_FIRST_REQUEST: the end
// of the start-up that TestE2EAct reports.
const firstRequestHook = `

_first_request = os.environ.get("WORKERBENCH_E2E_FIRST_REQUEST")
if _first_request:
    @app.before_request
    def _stamp_first_request():
        try:
            fd = os.open(_first_request, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return
        os.write(fd, ("%.6f" % time.time()).encode())
        os.close(fd)
`

// stampScript is BASH_ENV for act's steps: every bash step appends the
// time it started and its script to $WORKERBENCH_E2E_STAMPS, so the start
// of the action's first step is known to the millisecond.
const stampScript = `printf '%s %s\n' "$(date +%s.%N)" "$0" >> "$WORKERBENCH_E2E_STAMPS"
`

// e2e is the set-up that act runs share: the test repository, the action's
// copy, the stand-ins and the fake API and release servers.
type e2e struct {
	act, root string
	repo      testRepo
	origin    string // the bare repository that git reaches for origin
	api       *githubtest.Server
	releases  *fakeReleases
	version   string
	args      []string
	// event, workflow and eventFile are what act runs: by default the
	// pull_request event of e2eWorkflow.
	event, workflow, eventFile string
}

func newE2E(t *testing.T) *e2e {
	t.Helper()
	if os.Getenv("WORKERBENCH_E2E") != "1" {
		t.Skip("set WORKERBENCH_E2E=1 to run the action under nektos/act")
	}
	needGunicorn(t)
	dist := os.Getenv("WORKERBENCH_RELEASE_DIST")
	if dist == "" {
		t.Fatal("WORKERBENCH_E2E=1 needs WORKERBENCH_RELEASE_DIST, " +
			"the dist/ of `.github/scripts/release.sh` (.ci/run builds it)")
	}
	e := &e2e{act: findAct(t), root: t.TempDir(), version: versionFile(t)}
	e.repo = newE2ERepo(t, filepath.Join(e.root, "repo"))
	e.origin = filepath.Join(e.root, "origin.git")
	gitIn(t, e.root, "init", "-q", "--bare", e.origin)
	gitIn(t, e.repo.dir, "push", "-q", e.origin, "main")
	// act takes GITHUB_REPOSITORY from the remote github (--remote-name);
	// origin, in the workspace act copies the repository into too, is the
	// bare repository, as a job's origin is GitHub's.
	gitIn(t, e.repo.dir, "remote", "rename", "origin", "github")
	gitIn(t, e.repo.dir, "remote", "add", "origin", e.origin)
	e.event, e.workflow = "pull_request", ".github/workflows/concurrency.yml"
	e.eventFile = writeE2EEvent(t, e.root, e.repo)
	e.api = githubtest.New(t, e2eRepo)

	// The release the action's VERSION names, as GitHub serves it.
	e.releases = newFakeReleases(t)
	files := map[string][]byte{}
	sums := readChecksums(t, filepath.Join(dist, "checksums.txt"))
	for name := range sums {
		files[name] = nil
	}
	files["checksums.txt"] = nil
	for name := range files {
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = data
	}
	e.releases.publish("workerbench/workerbench", "v"+e.version, files)

	// The action as users get it: the repository's files, not its dist/ or
	// .git (act would copy them into every run).
	actionDir := filepath.Join(e.root, "action")
	copyTree(t, "../..", actionDir, map[string]bool{".git": true, "dist": true, "out": true})
	// As at a release's commit, the action pins the snapshot's digests.
	pinned, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(actionDir, digestsPath), string(pinned))

	stubs := map[string]string{
		"actions/checkout@v4":          strings.ReplaceAll(checkoutAction, "%SRC%", e.repo.dir),
		"actions/setup-go@v5":          noopAction,
		"actions/cache@v4":             noopAction,
		"actions/upload-artifact@v4":   uploadAction,
		"actions/download-artifact@v4": downloadAction,
	}
	stamps := filepath.Join(e.root, "stamp.sh")
	writeFile(t, stamps, stampScript)
	e.args = []string{
		"-P", "ubuntu-latest=-self-hosted",
		"--action-cache-path", filepath.Join(e.root, "act-cache"),
		"--action-offline-mode",
		"--remote-name", "github",
		"--local-repository", "workerbench/workerbench@e2e=" + actionDir,
		"--env", "GITHUB_API_URL=" + e.api.URL(),
		"--env", "GITHUB_SERVER_URL=" + e.releases.srv.URL,
		"--env", "BASH_ENV=" + stamps,
		"-s", "GITHUB_TOKEN=" + githubtest.Token,
	}
	for ref, yml := range stubs {
		dir := filepath.Join(e.root, "stubs", strings.NewReplacer("/", "_", "@", "_").Replace(ref))
		writeFile(t, filepath.Join(dir, "action.yml"), yml)
		e.args = append(e.args, "--local-repository", ref+"="+dir)
	}
	return e
}

// e2eRun is one act run: its log and where its start-up time went.
type e2eRun struct {
	out string
	// actionStart is when the action's first step started, binaryReady
	// when its step that runs workerbench started, firstRequest when the
	// server under test served its first request.
	actionStart, binaryReady, firstRequest time.Time
}

// startup is the time from the action's first step to the first request.
func (r e2eRun) startup() time.Duration { return r.firstRequest.Sub(r.actionStart) }

// run runs the workflow once under act, which must succeed; withGo says
// whether the job's PATH keeps the directories that hold a go binary; env
// adds variables to the job.
func (e *e2e) run(t *testing.T, name string, withGo bool, env map[string]string) e2eRun {
	t.Helper()
	start := time.Now()
	out, dir, err := e.runAct(t, name, withGo, env)
	if err != nil {
		t.Fatalf("%s: act: %v\n%s", name, err, out)
	}
	r := e2eRun{out: out}
	r.actionStart, r.binaryReady = readStamps(t, filepath.Join(dir, "stamps"))
	r.firstRequest = readUnixTime(t, filepath.Join(dir, "first-request"))
	t.Logf("%s: act finished in %s; from the action's first step %s to the binary, "+
		"%s to the first request",
		name, time.Since(start).Round(100*time.Millisecond),
		r.binaryReady.Sub(r.actionStart).Round(10*time.Millisecond),
		r.startup().Round(10*time.Millisecond))
	return r
}

// runAct runs the workflow once under act and returns its log, the run's
// directory (stamps, first-request) and act's error.
func (e *e2e) runAct(t *testing.T, name string, withGo bool, env map[string]string) (
	out, dir string, err error,
) {
	t.Helper()
	dir = filepath.Join(e.root, "runs", name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := append([]string{e.event, "-W", e.workflow, "-e", e.eventFile}, e.args...)
	args = append(args,
		"--env", "WORKERBENCH_E2E_STAMPS="+filepath.Join(dir, "stamps"),
		"--env", "WORKERBENCH_E2E_FIRST_REQUEST="+filepath.Join(dir, "first-request"),
		"--env", "WORKERBENCH_E2E_ARTIFACTS="+filepath.Join(dir, "artifacts"))
	for k, v := range env {
		args = append(args, "--env", k+"="+v)
	}
	path := os.Getenv("PATH")
	if !withGo {
		path = pathWithout(path, "go")
	}
	out, err = runAct(t, e.act, e.repo.dir, args, "PATH="+path)
	if strings.Contains(out, githubtest.Token) {
		t.Errorf("%s: act's log shows the token", name)
	}
	return out, dir, err
}

// readStamps finds, in the BASH_ENV log, the start of the action's first
// step (.github/scripts/install.sh's step) and of the step that runs workerbench.
func readStamps(t *testing.T, path string) (actionStart, binaryReady time.Time) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("stamps: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	for _, line := range lines {
		ts, script, _ := strings.Cut(line, " ")
		switch {
		case actionStart.IsZero() && strings.Contains(script, "-composite-install"):
			actionStart = parseUnixTime(t, ts)
		case binaryReady.IsZero() && strings.Contains(script, "-composite-run"):
			binaryReady = parseUnixTime(t, ts)
		}
	}
	if actionStart.IsZero() || binaryReady.IsZero() {
		t.Fatalf("stamps: no start of the action's install or run step in\n%s", data)
	}
	return actionStart, binaryReady
}

func readUnixTime(t *testing.T, path string) time.Time {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("first request: %v", err)
	}
	return parseUnixTime(t, strings.TrimSpace(string(data)))
}

func parseUnixTime(t *testing.T, s string) time.Time {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("time %q: %v", s, err)
	}
	return time.Unix(0, int64(f*1e9))
}

// pathWithout is PATH without the directories that hold an executable
// named name.
func pathWithout(path, name string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			continue
		}
		keep = append(keep, dir)
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}

// copyTree copies the regular files and directories under src to dst,
// skipping the names in skip at any depth.
func copyTree(t *testing.T, src, dst string, skip map[string]bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if skip[d.Name()] && rel != "." {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
}

func TestE2EAct(t *testing.T) {
	e := newE2E(t)
	releaseLog := "workerbench: using release v" + e.version +
		" of workerbench/workerbench for linux/amd64"

	// Two pushes on the release path, with no go on PATH: the comment is
	// created, then updated.
	for run := 1; run <= 2; run++ {
		r := e.run(t, fmt.Sprintf("release-%d", run), false, nil)
		if !strings.Contains(r.out, "no go on PATH") {
			t.Errorf("run %d: go is on the job's PATH:\n%s", run, r.out)
		}
		if !strings.Contains(r.out, releaseLog) || strings.Contains(r.out, "building from source") {
			t.Errorf("run %d: the log does not say the release was used (%q):\n%s",
				run, releaseLog, r.out)
		}
		e.checkComment(t, run, run-1, r.out)
	}
	base := "/workerbench/workerbench/releases/download/v" + e.version + "/"
	want := []string{base + "workerbench_" + e.version + "_linux_amd64.tar.gz"}
	if got := e.releases.requested(); !slices.Equal(got, append(slices.Clone(want), want...)) {
		t.Errorf("release server saw %v, want %v twice", got, want)
	}

	// No release for this version: the action builds from source, says
	// why, and still updates the comment.
	e.releases.setStatus(http.StatusNotFound)
	r := e.run(t, "build", true, nil)
	for _, want := range []string{
		"workerbench: building from source: no release v" + e.version +
			" of workerbench/workerbench (HTTP 404",
		"workerbench: built " + e.version + "+source from source",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("build run: the log lacks %q:\n%s", want, r.out)
		}
	}
	e.checkComment(t, 3, 2, r.out)

	// A release whose archive does not match the digest the action's
	// checkout pins fails the step, naming the file and both digests, and
	// nothing is built or run.
	archive := "workerbench_" + e.version + "_linux_amd64.tar.gz"
	sums := readChecksums(t, filepath.Join(os.Getenv("WORKERBENCH_RELEASE_DIST"), "checksums.txt"))
	tampered := tarGz(t, map[string]string{"workerbench": standInBinary(e.version, "c0ffee")})
	e.releases.publish("workerbench/workerbench", "v"+e.version,
		map[string][]byte{archive: tampered})
	e.releases.setStatus(0)
	out, _, err := e.runAct(t, "tampered", true, nil)
	if err == nil {
		t.Fatalf("tampered release: act succeeded\n%s", out)
	}
	mismatch := "digest mismatch for " + archive +
		": the release asset differs from what was committed at this ref of the action"
	digests := digestsPath + " says sha256 " + sums[archive] +
		", " + e.releases.srv.URL + base + archive + " has sha256 " + sha256Hex(tampered)
	if !strings.Contains(out, mismatch) || !strings.Contains(out, digests) {
		t.Errorf("tampered release: the log lacks %q and %q:\n%s", mismatch, digests, out)
	}
	if strings.Contains(out, "building from source") ||
		strings.Contains(out, "starting base and head servers") {
		t.Errorf("tampered release: the action went on after the mismatch:\n%s", out)
	}
	e.checkComment(t, 4, 2, out)
}

// checkComment checks the sticky comment after run n: one comment,
// created once and edited edits times, stating the verdict.
func (e *e2e) checkComment(t *testing.T, n, edits int, out string) {
	t.Helper()
	comments, creates, gotEdits := e.api.Comments(7), e.api.Created(), e.api.Edited()
	if len(comments) != 1 || creates != 1 || gotEdits != edits {
		t.Fatalf("after run %d: %d comments, %d creates, %d edits; want 1, 1, %d\n%s",
			n, len(comments), creates, gotEdits, edits, out)
	}
	body := comments[0].Body
	marker, rest, _ := strings.Cut(body, "\n")
	heading, _, _ := strings.Cut(rest, "\n")
	// The marker of the job's comment-key: by default its job id.
	key := strings.TrimPrefix(marker, strings.TrimSuffix(publish.Marker, " -->")+":")
	if marker != publish.MarkerFor(strings.TrimSuffix(key, " -->")) {
		t.Errorf("run %d: comment starts with %q, want the marker of its comment-key", n, marker)
	}
	verdicts := []string{"regress", "unchanged", "improved", "inconclusive", "no change"}
	if !strings.HasPrefix(heading, "### ") || !containsAny(strings.ToLower(heading), verdicts...) {
		t.Errorf("run %d: first line does not state the verdict: %q", n, heading)
	}
}

// findAct returns the act binary or fails: the test was asked for.
func findAct(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("WORKERBENCH_E2E_ACT"); p != "" {
		return p
	}
	if p, err := exec.LookPath("act"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "act")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("WORKERBENCH_E2E=1 but act is not installed: go install github.com/nektos/act@v0.2.89")
	return ""
}

// newE2ERepo is a repository holding the example app (base commit, then a
// head commit) and the workflow, with an origin that names e2eRepo so that
// act sets GITHUB_REPOSITORY to it. Nothing is fetched from it: newE2E
// renames it github and makes origin a bare repository.
func newE2ERepo(t *testing.T, dir string) testRepo {
	t.Helper()
	gitT := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=test",
			"-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	app := string(flaskapp.App) + firstRequestHook
	writeFile(t, filepath.Join(dir, "app", "app.py"), app)
	writeFile(t, filepath.Join(dir, ".github", "workflows", "concurrency.yml"), e2eWorkflow)
	gitT("init", "-q", "-b", "main")
	gitT("remote", "add", "origin", "https://github.com/"+e2eRepo)
	gitT("add", ".")
	gitT("commit", "-q", "-m", "base")
	base := gitT("rev-parse", "HEAD")
	writeFile(t, filepath.Join(dir, "app", "app.py"), app+"\n# head\n")
	gitT("commit", "-q", "-am", "head")
	return testRepo{dir: dir, base: base, head: gitT("rev-parse", "HEAD")}
}

func writeE2EEvent(t *testing.T, root string, repo testRepo) string {
	t.Helper()
	ev := prEventJSON(repo.base, repo.head)
	ev["repository"] = map[string]any{"full_name": e2eRepo}
	data, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "event.json")
	writeFile(t, path, string(data))
	return path
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runAct runs act in dir, with env on top of ours, in its own process group,
// killed as a whole if it outlives its deadline, and returns its combined
// output.
func runAct(t *testing.T, act, dir string, args []string, env ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, act, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	// Whatever act left in its group (servers are reaped by workerbench
	// itself; this is a backstop).
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	return out.String(), err
}

// TestE2EActStartup measures the action's start-up under act on this
// machine: the time from its first step to the first request the server
// under test serves, on the release path and on the build path with cold
// and then warm module and build caches (the directories actions/cache
// restores, here kept on disk between the two runs). It asserts only that
// each path was taken; the figures are in the log.
//
//	WORKERBENCH_E2E=1 WORKERBENCH_E2E_STARTUP=1 WORKERBENCH_RELEASE_DIST=$PWD/dist \
//	  go test -run TestE2EActStartup -v ./cmd/workerbench/
func TestE2EActStartup(t *testing.T) {
	if os.Getenv("WORKERBENCH_E2E_STARTUP") != "1" {
		t.Skip("set WORKERBENCH_E2E_STARTUP=1 (and WORKERBENCH_E2E=1) to measure start-up times; " +
			"the cold build downloads every module")
	}
	e := newE2E(t)
	var release []time.Duration
	for i := range 3 {
		r := e.run(t, fmt.Sprintf("release-%d", i+1), false, nil)
		if !strings.Contains(r.out, "workerbench: using release v"+e.version) {
			t.Fatalf("release run did not use the release:\n%s", r.out)
		}
		release = append(release, r.startup())
	}

	e.releases.setStatus(http.StatusNotFound)
	caches := map[string]string{
		"GOCACHE":    filepath.Join(e.root, "gocache"),
		"GOMODCACHE": filepath.Join(e.root, "gomodcache"),
		"GOFLAGS":    "-modcacherw -buildvcs=false",
	}
	var build []e2eRun
	for _, name := range []string{"cold-build", "warm-build"} {
		r := e.run(t, name, true, caches)
		if !strings.Contains(r.out, "workerbench: building from source: no release") {
			t.Fatalf("%s: did not build from source:\n%s", name, r.out)
		}
		build = append(build, r)
	}
	slices.Sort(release)
	t.Logf("from the action's first step to the first request: release %s (median of %v); "+
		"build with cold caches %s; build with warm caches %s",
		release[1].Round(10*time.Millisecond), release,
		build[0].startup().Round(100*time.Millisecond),
		build[1].startup().Round(100*time.Millisecond))
}
