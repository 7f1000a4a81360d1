package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Python developers install workerbench without Go: .github/scripts/release.sh
// packs every release binary into a wheel too (internal/wheel), which the
// release workflow uploads to PyPI. These tests check the wheels release.sh
// built against the archives, and install the linux/amd64 one with pip into
// a fresh virtualenv whose PATH has no go, as `pip install workerbench` does:
//
//	.github/scripts/release.sh
//	WORKERBENCH_RELEASE_DIST=$PWD/dist go test -run 'TestReleaseSnapshot|TestWheel' ./cmd/workerbench/

// wheelTags are each release platform's wheel platform tags: any glibc for
// the static Linux binaries; for macOS, the oldest version the Go linker
// lets the binary run on (macOS 12 since Go 1.25).
var wheelTags = map[string]string{
	"linux_amd64":  "manylinux_2_17_x86_64.manylinux2014_x86_64",
	"linux_arm64":  "manylinux_2_17_aarch64.manylinux2014_aarch64",
	"darwin_amd64": "macosx_12_0_x86_64",
	"darwin_arm64": "macosx_12_0_arm64",
}

// pythonVersion is VERSION as PEP 440 writes it, as pip and PyPI want it:
// 1.2.4-dev is 1.2.4.dev0, 1.3.0-rc.1 is 1.3.0rc1.
func pythonVersion(t *testing.T, version string) string {
	t.Helper()
	m := regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)(?:-(dev|rc|beta|alpha)(?:\.([0-9]+))?)?$`).FindStringSubmatch(version)
	if m == nil {
		t.Fatalf("VERSION %q: not a form release.sh can make a wheel of", version)
	}
	if m[2] == "" {
		return m[1]
	}
	n := m[3]
	if n == "" {
		n = "0"
	}
	return m[1] + map[string]string{"dev": ".dev", "rc": "rc", "beta": "b", "alpha": "a"}[m[2]] + n
}

// releaseWheel is the name of platform's wheel of version.
func releaseWheel(t *testing.T, version, platform string) string {
	t.Helper()
	return "workerbench-" + pythonVersion(t, version) + "-py3-none-" + wheelTags[platform] + ".whl"
}

// checkWheel reads a release wheel back as pip would, checks what it holds
// (the package, the .dist-info, a RECORD that names every other file's
// SHA-256 and size) and returns its binary.
func checkWheel(t *testing.T, path, version, platform string) []byte {
	t.Helper()
	name := filepath.Base(path)
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer z.Close()
	di := "workerbench-" + pythonVersion(t, version) + ".dist-info/"
	want := []string{
		"workerbench/__init__.py", "workerbench/__main__.py", "workerbench/bin/workerbench",
		di + "LICENSE", di + "METADATA", di + "WHEEL", di + "entry_points.txt", di + "RECORD",
	}
	files := map[string][]byte{}
	var names []string
	var when time.Time
	for _, f := range z.File {
		names = append(names, f.Name)
		wantMode := os.FileMode(0o644)
		if f.Name == "workerbench/bin/workerbench" {
			wantMode = 0o755
		}
		if f.Mode() != wantMode {
			t.Errorf("%s: %s has mode %v, want %v", name, f.Name, f.Mode(), wantMode)
		}
		if when.IsZero() {
			when = f.Modified
		} else if !f.Modified.Equal(when) {
			t.Errorf("%s: %s has time %v, the first entry %v: want one time", name, f.Name, f.Modified, when)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(r) // checks the CRC-32 too
		r.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", name, f.Name, err)
		}
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("%s holds %v, want %v", name, names, want)
	}
	var record strings.Builder
	for _, n := range want[:len(want)-1] {
		sum := sha256.Sum256(files[n])
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	record.WriteString(di + "RECORD,,\n")
	if got := string(files[di+"RECORD"]); got != record.String() {
		t.Errorf("%s: RECORD\n%s\nwant\n%s", name, got, record.String())
	}
	wheel := "Root-Is-Purelib: false\n"
	for _, tag := range strings.Split(wheelTags[platform], ".") {
		wheel += "Tag: py3-none-" + tag + "\n"
	}
	if !strings.HasSuffix(string(files[di+"WHEEL"]), wheel) {
		t.Errorf("%s: WHEEL\n%s\nwant it to end\n%s", name, files[di+"WHEEL"], wheel)
	}
	for _, w := range []string{"Name: workerbench\nVersion: " + pythonVersion(t, version) + "\n", "\nLicense: MIT\n", "\nRequires-Python: "} {
		if !bytes.Contains(files[di+"METADATA"], []byte(w)) {
			t.Errorf("%s: METADATA lacks %q:\n%s", name, w, files[di+"METADATA"])
		}
	}
	if want := "[console_scripts]\nworkerbench = workerbench.__main__:main\n"; string(files[di+"entry_points.txt"]) != want {
		t.Errorf("%s: entry_points.txt %q, want %q", name, files[di+"entry_points.txt"], want)
	}
	return files["workerbench/bin/workerbench"]
}

// TestReleaseSnapshotWheels: the snapshot's wheels (.ci/run's dist/), one
// per release platform, carry exactly the binary of that platform's
// archive, and checksums.txt has their digests.
func TestReleaseSnapshotWheels(t *testing.T) {
	dist := releaseDist(t)
	version := versionFile(t)
	sums := readChecksums(t, filepath.Join(dist, "checksums.txt"))
	for _, p := range releasePlatforms {
		whl := releaseWheel(t, version, p)
		data, err := os.ReadFile(filepath.Join(dist, whl))
		if err != nil {
			t.Errorf("no wheel for %s: %v", p, err)
			continue
		}
		if d := sha256Hex(data); d != sums[whl] {
			t.Errorf("%s: sha256 %s, checksums.txt says %q", whl, d, sums[whl])
		}
		bin := checkWheel(t, filepath.Join(dist, whl), version, p)
		files, _ := untar(t, filepath.Join(dist, "workerbench_"+version+"_"+p+".tar.gz"))
		if !bytes.Equal(bin, files["workerbench"]) {
			t.Errorf("%s carries another binary than workerbench_%s_%s.tar.gz", whl, version, p)
		}
		t.Logf("%s: %d bytes, sha256 %s", whl, len(data), sums[whl])
	}
}

// wheelPython is a python3 that makes virtualenvs with pip in them, or
// skips the test.
func wheelPython(t *testing.T) string {
	t.Helper()
	candidates := []string{debianPython} // .ci/run installs its python3-venv
	if p, err := exec.LookPath("python3"); err == nil {
		candidates = append(candidates, p)
	}
	for _, p := range candidates {
		if exec.Command(p, "-c", "import venv, ensurepip").Run() == nil {
			return p
		}
	}
	t.Skipf("no python3 that can make a virtualenv with pip (%v: python3 -m venv needs venv and ensurepip; apt-get install python3-venv)", candidates)
	return ""
}

// TestWheelInstallsWithoutGo installs the linux/amd64 wheel as a Python
// developer does, `pip install` into a fresh virtualenv, and runs the
// console script and `python -m workerbench` with a PATH that has no go:
// the virtualenv's bin, /usr/bin and /bin. It uses the snapshot's wheel
// (WORKERBENCH_RELEASE_DIST), else builds one with release.sh.
func TestWheelInstallsWithoutGo(t *testing.T) {
	const platform = "linux_amd64"
	if runtime.GOOS+"_"+runtime.GOARCH != platform {
		t.Skipf("the %s wheel does not run on %s/%s", platform, runtime.GOOS, runtime.GOARCH)
	}
	version := versionFile(t)
	dist := os.Getenv("WORKERBENCH_RELEASE_DIST")
	if dist == "" {
		needReleaseTools(t)
	}
	python := wheelPython(t)
	tmp := t.TempDir()
	start := time.Now()
	if dist == "" {
		dist = filepath.Join(tmp, "dist")
		if out, errOut, err := runRelease(t, nil, dist); err != nil {
			t.Fatalf("release.sh %s: %v\n%s%s", dist, err, out, errOut)
		}
		t.Logf("release.sh built %s in %v", platform, time.Since(start).Round(time.Millisecond))
	}
	whl := filepath.Join(dist, releaseWheel(t, version, platform))
	bin := checkWheel(t, whl, version, platform)

	venv := filepath.Join(tmp, "venv")
	start = time.Now()
	if out, err := exec.Command(python, "-m", "venv", venv).CombinedOutput(); err != nil {
		t.Fatalf("%s -m venv: %v\n%s", python, err, out)
	}
	env := []string{
		"PATH=" + filepath.Join(venv, "bin") + ":/usr/bin:/bin",
		"HOME=" + tmp,
		"PYTHONNOUSERSITE=1",
		"PIP_CONFIG_FILE=/dev/null",
		"PIP_DISABLE_PIP_VERSION_CHECK=1",
		"PIP_NO_CACHE_DIR=1",
	}
	// sh runs a command line with that PATH as a user's shell would.
	sh := func(line string) (string, error) {
		cmd := exec.Command("/bin/sh", "-c", line)
		cmd.Env, cmd.Dir = env, tmp
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := sh("command -v go"); err == nil {
		t.Fatalf("go is on the PATH the wheel is tested with (%s): %s", env[0], out)
	}
	if out, err := sh("pip install --no-index " + whl); err != nil {
		t.Fatalf("pip install %s: %v\n%s", filepath.Base(whl), err, out)
	}
	t.Logf("virtualenv and pip install: %v", time.Since(start).Round(time.Millisecond))

	// pip unpacked the binary executable, as it is in the archive.
	installed, err := filepath.Glob(filepath.Join(venv, "lib", "python3*", "site-packages", "workerbench", "bin", "workerbench"))
	if err != nil || len(installed) != 1 {
		t.Fatalf("the installed binary: %v %v", installed, err)
	}
	if fi, err := os.Stat(installed[0]); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("%s: %v %v, want mode 0755", installed[0], fi.Mode(), err)
	}
	files, _ := untar(t, filepath.Join(dist, "workerbench_"+version+"_"+platform+".tar.gz"))
	if !bytes.Equal(bin, files["workerbench"]) {
		t.Errorf("%s carries another binary than the %s archive", filepath.Base(whl), platform)
	}

	for _, line := range []string{"workerbench version", "python -m workerbench version", "workerbench --version"} {
		out, err := sh(line)
		if err != nil || !strings.HasPrefix(out, "workerbench "+version+"\n") {
			t.Errorf("%s: %v, said %q; want workerbench %s", line, err, out, version)
		}
	}
	out, err := sh("workerbench demo --help")
	if err != nil || !strings.Contains(out, "workerbench demo [flags]") {
		t.Errorf("workerbench demo --help: %v\n%s", err, out)
	}
	// The binary's exit status is the command's: the script execs it.
	out, err = sh("workerbench nosuchcommand")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != exitUsage || !strings.Contains(out, `unknown command "nosuchcommand"`) {
		t.Errorf("workerbench nosuchcommand: %v, want exit %d and the binary's message:\n%s", err, exitUsage, out)
	}
	out, err = sh("pip show workerbench")
	if err != nil || !strings.Contains(out, "Version: "+pythonVersion(t, version)+"\n") {
		t.Errorf("pip show workerbench: %v\n%s", err, out)
	}
}
