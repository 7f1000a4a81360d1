package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// These tests run .github/scripts/install.sh, the action's first step, against a
// fake release server on loopback (GITHUB_SERVER_URL), with the digests the
// action's checkout holds in .github/release-digests.txt. The archives hold a
// stand-in binary (a shell script answering `version`);
// TestReleaseBuildIsReproducible, TestReleaseSnapshot and TestE2EAct use the
// real ones.

const installScript = "../../.github/scripts/install.sh"

// fakeReleases serves files under /OWNER/REPO/releases/download/TAG/ like
// GitHub, 404 for anything else, and records the paths asked for.
type fakeReleases struct {
	srv *httptest.Server

	mu       sync.Mutex
	files    map[string][]byte // URL path → content
	status   int               // when not 0, every request gets it
	requests []string
}

func newFakeReleases(t *testing.T) *fakeReleases {
	t.Helper()
	f := &fakeReleases{files: map[string][]byte{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests = append(f.requests, r.URL.Path)
		if f.status != 0 {
			http.Error(w, http.StatusText(f.status), f.status)
			return
		}
		data, ok := f.files[r.URL.Path]
		if !ok || r.Method != http.MethodGet {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// publish puts files (name → content) up as release tag of repo.
func (f *fakeReleases) publish(repo, tag string, files map[string][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, data := range files {
		f.files["/"+repo+"/releases/download/"+tag+"/"+name] = data
	}
}

func (f *fakeReleases) setStatus(code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status = code
}

func (f *fakeReleases) requested() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// tarGz is a .tar.gz holding files (name → content), executables 0755.
func tarGz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		mode := int64(0o644)
		if strings.HasPrefix(files[name], "#!") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(files[name])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(files[name]))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// standInBinary answers `version` like workerbench built as version at commit.
func standInBinary(version, commit string) string {
	return fmt.Sprintf("#!/bin/sh\nprintf 'workerbench %%s\\ncommit %%s\\nbuilt with go1.23.0 linux/amd64\\n' '%s' '%s'\n", version, commit)
}

// installRun is one run of install.sh.
type installRun struct {
	code           int
	stdout, stderr string
	outputs        map[string]string
	installDir     string
}

// digestsPath is where the action's checkout holds the release digests.
const digestsPath = ".github/release-digests.txt"

// runInstall runs install.sh for an action whose VERSION is version and
// whose .github/release-digests.txt is digests (none when ""), with env on
// top of a minimal environment that points at rel.
func runInstall(t *testing.T, rel *fakeReleases, actionPath, version, digests string, env map[string]string) installRun {
	t.Helper()
	tmp := t.TempDir()
	if actionPath == "" {
		actionPath = filepath.Join(tmp, "action")
	}
	if version != "" {
		writeFile(t, filepath.Join(actionPath, "VERSION"), version+"\n")
	}
	if digests != "" {
		writeFile(t, filepath.Join(actionPath, digestsPath), digests)
	}
	output := filepath.Join(tmp, "output")
	writeFile(t, output, "")
	r := installRun{installDir: filepath.Join(tmp, "install")}
	vars := map[string]string{
		"PATH":                          os.Getenv("PATH"),
		"WORKERBENCH_ACTION_PATH":       actionPath,
		"WORKERBENCH_ACTION_REPOSITORY": "o/wb",
		"WORKERBENCH_INSTALL_DIR":       r.installDir,
		"GITHUB_SERVER_URL":             rel.srv.URL,
		"GITHUB_OUTPUT":                 output,
		"RUNNER_OS":                     "Linux",
		"RUNNER_ARCH":                   "X64",
		"RUNNER_TEMP":                   tmp,
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := exec.Command("bash", installScript)
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r.stdout, r.stderr = stdout.String(), stderr.String()
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("install.sh: %v", err)
		}
		r.code = ee.ExitCode()
	}
	data, err := os.ReadFile(output)
	if err != nil {
		t.Fatal(err)
	}
	r.outputs = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			if _, dup := r.outputs[k]; dup {
				t.Errorf("output %s written twice", k)
			}
			r.outputs[k] = v
		}
	}
	return r
}

// fakeRelease is release v1.2.3 of o/wb as published: its archives, with
// their real checksums.txt.
type fakeRelease struct {
	archive string            // the linux/amd64 archive's name
	digest  string            // its SHA-256
	files   map[string][]byte // name → content
	sums    map[string]string // archive name → SHA-256
}

// newRelease1 makes release v1.2.3 whose archives hold bin.
func newRelease1(t *testing.T, bin string) *fakeRelease {
	t.Helper()
	r := &fakeRelease{files: map[string][]byte{}, sums: map[string]string{}}
	for _, plat := range []string{"linux_amd64", "linux_arm64", "darwin_amd64", "darwin_arm64"} {
		name := "workerbench_1.2.3_" + plat + ".tar.gz"
		r.files[name] = tarGz(t, map[string]string{"workerbench": bin, "LICENSE": "MIT\n", "README.md": "# workerbench\n"})
		r.sums[name] = sha256Hex(r.files[name])
	}
	r.files["checksums.txt"] = []byte(r.digests(nil))
	r.archive = "workerbench_1.2.3_linux_amd64.tar.gz"
	r.digest = r.sums[r.archive]
	return r
}

// digests is the release's digests in sha256sum's format, as release.sh
// writes them, with sums overriding them (name → digest; "" leaves the line
// out).
func (r *fakeRelease) digests(sums map[string]string) string {
	names := make([]string, 0, len(r.sums))
	for name := range r.sums {
		names = append(names, name)
	}
	slices.Sort(names)
	var list strings.Builder
	for _, name := range names {
		sum, ok := sums[name]
		if !ok {
			sum = r.sums[name]
		}
		if sum != "" {
			fmt.Fprintf(&list, "%s  %s\n", sum, name)
		}
	}
	return list.String()
}

// release1 publishes release v1.2.3 of o/wb whose archives hold bin, and
// returns it; its digests() are what the release commit holds.
func release1(t *testing.T, rel *fakeReleases, bin string) *fakeRelease {
	t.Helper()
	r := newRelease1(t, bin)
	rel.publish("o/wb", "v1.2.3", r.files)
	return r
}

const releaseBase = "/o/wb/releases/download/v1.2.3/"

func TestInstallRelease(t *testing.T) {
	rel := newFakeReleases(t)
	r1 := release1(t, rel, standInBinary("1.2.3", "c0ffee"))
	r := runInstall(t, rel, "", "1.2.3", r1.digests(nil), nil)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	bin := filepath.Join(r.installDir, "workerbench")
	if r.outputs["path"] != "release" || r.outputs["bin"] != bin {
		t.Errorf("outputs %v, want path=release bin=%s", r.outputs, bin)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "workerbench 1.2.3\n") {
		t.Errorf("installed binary: %q, %v", out, err)
	}
	for _, want := range []string{
		"using release v1.2.3 of o/wb for linux/amd64", r1.archive, "sha256 " + r1.digest,
		"the digest committed at this ref of the action; its source commit c0ffee",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("log lacks %q:\n%s", want, r.stdout)
		}
	}
	// Only the archive: nothing downloaded says what it should be.
	if got, want := rel.requested(), []string{releaseBase + r1.archive}; !slices.Equal(got, want) {
		t.Errorf("requests %v, want %v", got, want)
	}
	if left, _ := filepath.Glob(filepath.Join(r.installDir, "download.*")); len(left) != 0 {
		t.Errorf("download directory left behind: %v", left)
	}
}

// TestInstallDigestMismatchFails: an asset replaced after the release, with
// a checksums.txt that matches it, fails against the committed digest.
func TestInstallDigestMismatchFails(t *testing.T) {
	rel := newFakeReleases(t)
	r1 := newRelease1(t, standInBinary("1.2.3", "c0ffee"))
	evil := release1(t, rel, standInBinary("1.2.3", "bad"))
	r := runInstall(t, rel, filepath.Join(t.TempDir(), "_actions", "o", "wb", "v1.2.3"), "1.2.3",
		r1.digests(nil), map[string]string{"WORKERBENCH_ACTION_REPOSITORY": ""})
	if r.code == 0 {
		t.Fatalf("exit 0 on a digest mismatch\nstdout:\n%s", r.stdout)
	}
	for _, want := range []string{
		"digest mismatch for " + r1.archive,
		"the release asset differs from what was committed at this ref of the action (v1.2.3)",
		".github/release-digests.txt says sha256 " + r1.digest,
		rel.srv.URL + releaseBase + r1.archive + " has sha256 " + evil.digest,
	} {
		if !strings.Contains(r.stderr, want) || !strings.Contains(r.stdout, want) {
			t.Errorf("error (stderr and the ::error annotation) lacks %q:\nstdout:\n%s\nstderr:\n%s", want, r.stdout, r.stderr)
		}
	}
	if !strings.HasPrefix(r.stdout, "::error ") {
		t.Errorf("no ::error annotation:\n%s", r.stdout)
	}
	if len(r.outputs) != 0 {
		t.Errorf("outputs %v after a mismatch: the build fallback must not run", r.outputs)
	}
	if _, err := os.Stat(filepath.Join(r.installDir, "workerbench")); err == nil {
		t.Error("the unverified binary was installed")
	}
}

func TestInstallFallsBackToBuild(t *testing.T) {
	tests := []struct {
		name       string
		version    string
		digests    func(r *fakeRelease) string // the action's .github/release-digests.txt
		env        map[string]string
		wantReason string
		wantAlso   string // further on in the reason
		wantReqs   int
	}{
		{
			name:    "no digest for a dev version",
			version: "1.2.4-dev",
			digests: func(r *fakeRelease) string { return r.digests(nil) },
			wantReason: "no digest for workerbench_1.2.4-dev_linux_amd64.tar.gz in .github/release-digests.txt" +
				" at this ref of the action (VERSION 1.2.4-dev is not a release, or not for linux/amd64)",
		},
		{
			name:       "no digests file",
			version:    "1.2.3",
			wantReason: "no .github/release-digests.txt at this ref of the action, so no release binary is pinned for VERSION 1.2.3",
		},
		{
			name:    "no digest for this platform",
			version: "1.2.3",
			digests: func(r *fakeRelease) string {
				return r.digests(map[string]string{"workerbench_1.2.3_linux_amd64.tar.gz": ""})
			},
			wantReason: "no digest for workerbench_1.2.3_linux_amd64.tar.gz in .github/release-digests.txt",
		},
		{
			name:       "no release to download (a fork)",
			version:    "1.2.3",
			digests:    func(r *fakeRelease) string { return r.digests(nil) },
			env:        map[string]string{"WORKERBENCH_ACTION_REPOSITORY": "fork/wb"},
			wantReason: "no release v1.2.3 of fork/wb (HTTP 404 for ",
			wantAlso:   "/fork/wb/releases/download/v1.2.3/workerbench_1.2.3_linux_amd64.tar.gz): a fork",
			wantReqs:   1,
		},
		{
			name:       "unknown OS",
			version:    "1.2.3",
			env:        map[string]string{"RUNNER_OS": "Windows"},
			wantReason: "no release archive for OS Windows",
		},
		{
			name:       "unknown architecture",
			version:    "1.2.3",
			env:        map[string]string{"RUNNER_ARCH": "ARM"},
			wantReason: "no release archive for architecture ARM",
		},
		{
			name:       "local action (uses: ./)",
			version:    "1.2.3",
			digests:    func(r *fakeRelease) string { return r.digests(nil) },
			env:        map[string]string{"WORKERBENCH_ACTION_REPOSITORY": ""},
			wantReason: "cannot tell which repository this action came from",
		},
		{
			name:       "not a version",
			version:    "$(reboot)",
			wantReason: "VERSION file holds $(reboot), not a version",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := newFakeReleases(t)
			r1 := release1(t, rel, standInBinary("1.2.3", "c0ffee"))
			digests := ""
			if tt.digests != nil {
				digests = tt.digests(r1)
			}
			r := runInstall(t, rel, "", tt.version, digests, tt.env)
			if r.code != 0 {
				t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
			}
			if r.outputs["path"] != "build" || !strings.Contains(r.outputs["reason"], tt.wantReason) ||
				!strings.Contains(r.outputs["reason"], tt.wantAlso) || r.outputs["bin"] != "" {
				t.Errorf("outputs %v, want path=build and a reason with %q", r.outputs, tt.wantReason)
			}
			if !strings.Contains(r.stdout, "workerbench: building from source: "+tt.wantReason) {
				t.Errorf("log does not say why it builds:\n%s", r.stdout)
			}
			if lines := strings.Count(strings.TrimSpace(r.stdout), "\n") + 1; lines != 1 || r.stderr != "" {
				t.Errorf("want one line on stdout and nothing on stderr, got:\n%s\nstderr:\n%s", r.stdout, r.stderr)
			}
			if got := rel.requested(); len(got) != tt.wantReqs {
				t.Errorf("requests %v, want %d", got, tt.wantReqs)
			}
			if _, err := os.Stat(filepath.Join(r.installDir, "workerbench")); err == nil {
				t.Error("a binary was installed")
			}
		})
	}
}

func TestInstallServerErrorWarnsAndBuilds(t *testing.T) {
	rel := newFakeReleases(t)
	r1 := release1(t, rel, standInBinary("1.2.3", "c0ffee"))
	rel.setStatus(http.StatusServiceUnavailable)
	r := runInstall(t, rel, "", "1.2.3", r1.digests(nil), nil)
	if r.code != 0 || r.outputs["path"] != "build" || !strings.Contains(r.outputs["reason"], "HTTP 503") {
		t.Fatalf("exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "::warning title=workerbench: release download failed::HTTP 503") {
		t.Errorf("no warning annotation:\n%s", r.stdout)
	}
	if n := len(rel.requested()); n != 3 {
		t.Errorf("%d requests, want 3 (curl retries twice)", n)
	}
}

func TestInstallWrongVersionFails(t *testing.T) {
	rel := newFakeReleases(t)
	r1 := release1(t, rel, standInBinary("1.2.2", "c0ffee"))
	r := runInstall(t, rel, "", "1.2.3", r1.digests(nil), nil)
	want := r1.archive + " (sha256 " + r1.digest + `) holds a binary that says "workerbench 1.2.2", want "workerbench 1.2.3"`
	if r.code == 0 || !strings.Contains(r.stderr, want) || len(r.outputs) != 0 {
		t.Errorf("exit %d, outputs %v; stderr lacks %q:\n%s", r.code, r.outputs, want, r.stderr)
	}
}

func TestInstallMalformedDigestFails(t *testing.T) {
	rel := newFakeReleases(t)
	r1 := release1(t, rel, standInBinary("1.2.3", "c0ffee"))
	r := runInstall(t, rel, "", "1.2.3", r1.digests(map[string]string{r1.archive: "abc"}), nil)
	want := ".github/release-digests.txt at this ref of the action: the SHA-256 of " + r1.archive + " is not 64 hex digits: abc"
	if r.code == 0 || !strings.Contains(r.stderr, want) || len(r.outputs) != 0 || len(rel.requested()) != 0 {
		t.Errorf("exit %d, outputs %v, requests %v; stderr lacks %q:\n%s", r.code, r.outputs, rel.requested(), want, r.stderr)
	}
}

// TestInstallRepositoryFromActionPath: inside a composite action's run:
// steps GitHub's runner leaves github.action_repository empty, so the
// repository and ref come from where the runner unpacked the action. A
// commit pin gets the release its digests name: the tag's commit holds
// them, on top of the source commit the binary reports.
func TestInstallRepositoryFromActionPath(t *testing.T) {
	pin := strings.Repeat("c", 40)
	tests := []struct{ name, ref string }{{"tag", "v1.2.3"}, {"commit", pin}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rel := newFakeReleases(t)
			r1 := release1(t, rel, standInBinary("1.2.3", strings.Repeat("b", 40)))
			path := filepath.Join(t.TempDir(), "work", "_actions", "o", "wb", tt.ref)
			r := runInstall(t, rel, path, "1.2.3", r1.digests(nil), map[string]string{"WORKERBENCH_ACTION_REPOSITORY": ""})
			if r.code != 0 || r.outputs["path"] != "release" {
				t.Fatalf("exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
			}
			if want := "the digest committed at this ref of the action (" + tt.ref + ")"; !strings.Contains(r.stdout, want) {
				t.Errorf("log lacks %q:\n%s", want, r.stdout)
			}
			if got := rel.requested(); len(got) != 1 || got[0] != releaseBase+r1.archive {
				t.Errorf("requests %v", got)
			}
		})
	}
}

// TestInstallMacOS runs the darwin path with shasum instead of sha256sum,
// as on a macOS runner.
func TestInstallMacOS(t *testing.T) {
	bin := t.TempDir()
	for _, tool := range []string{"bash", "curl", "awk", "tar", "gzip", "mktemp", "mkdir", "mv", "chmod", "rm", "head", "tr", "cat", "shasum", "perl", "sh", "printf"} {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s: %v", tool, err)
		}
		if err := os.Symlink(p, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	rel := newFakeReleases(t)
	r1 := release1(t, rel, standInBinary("1.2.3", "c0ffee"))
	r := runInstall(t, rel, "", "1.2.3", r1.digests(nil), map[string]string{"PATH": bin, "RUNNER_OS": "macOS", "RUNNER_ARCH": "ARM64"})
	if r.code != 0 || r.outputs["path"] != "release" || !strings.Contains(r.stdout, "for darwin/arm64: workerbench_1.2.3_darwin_arm64.tar.gz") {
		t.Fatalf("exit %d, outputs %v\nstdout:\n%s\nstderr:\n%s", r.code, r.outputs, r.stdout, r.stderr)
	}
}
