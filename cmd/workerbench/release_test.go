package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"debug/elf"
	"debug/macho"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

// The release tests check what .github/scripts/release.sh built
// (.ci/run builds it) against what the action and the README
// promise:
//
//	.github/scripts/release.sh
//	WORKERBENCH_RELEASE_DIST=$PWD/dist go test -run TestReleaseSnapshot ./cmd/workerbench/

// releasePlatforms are the GOOS_GOARCH pairs every release carries.
var releasePlatforms = []string{"darwin_amd64", "darwin_arm64", "linux_amd64", "linux_arm64"}

// releaseDist is the snapshot's dist directory, or skips the test.
func releaseDist(t *testing.T) string {
	t.Helper()
	dist := os.Getenv("WORKERBENCH_RELEASE_DIST")
	if dist == "" {
		t.Skip("set WORKERBENCH_RELEASE_DIST to the dist/ of `.github/scripts/release.sh` (.ci/run does)")
	}
	if _, err := os.Stat(filepath.Join(dist, "checksums.txt")); err != nil {
		t.Fatalf("WORKERBENCH_RELEASE_DIST: %v", err)
	}
	return dist
}

// versionFile is the version in VERSION.
func versionFile(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// readChecksums parses checksums.txt: archive name → SHA-256.
func readChecksums(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	line := regexp.MustCompile(`^([0-9a-f]{64})  (\S+)$`)
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			t.Fatalf("checksums.txt: line %q is not SHA256  NAME", sc.Text())
		}
		sums[m[2]] = m[1]
	}
	return sums
}

// untar reads a .tar.gz into name → content and name → mode.
func untar(t *testing.T, path string) (map[string][]byte, map[string]os.FileMode) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	files, modes := map[string][]byte{}, map[string]os.FileMode{}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		files[h.Name], modes[h.Name] = data, h.FileInfo().Mode()
	}
	return files, modes
}

func TestReleaseSnapshot(t *testing.T) {
	dist := releaseDist(t)
	version := versionFile(t)
	// The release script builds in the repository, which holds dist/.
	buildDir, err := filepath.Abs(filepath.Dir(dist))
	if err != nil {
		t.Fatal(err)
	}
	license, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}

	sums := readChecksums(t, filepath.Join(dist, "checksums.txt"))
	var want []string
	for _, p := range releasePlatforms {
		want = append(want, "workerbench_"+version+"_"+p+".tar.gz")
	}
	// The archives, and the wheels that carry the same binaries
	// (TestReleaseSnapshotWheels checks them).
	listed := slices.Clone(want)
	for _, p := range releasePlatforms {
		listed = append(listed, releaseWheel(t, version, p))
	}
	slices.Sort(listed)
	var got []string
	for name := range sums {
		got = append(got, name)
	}
	slices.Sort(got)
	if !slices.Equal(got, listed) {
		t.Fatalf("checksums.txt lists %v, want %v (.github/scripts/install.sh asks for the archives by these names)", got, listed)
	}

	var hostBin []byte
	for i, p := range releasePlatforms {
		name := want[i]
		data, err := os.ReadFile(filepath.Join(dist, name))
		if err != nil {
			t.Fatal(err)
		}
		if d := sha256Hex(data); d != sums[name] {
			t.Errorf("%s: sha256 %s, checksums.txt says %s", name, d, sums[name])
		}
		files, modes := untar(t, filepath.Join(dist, name))
		var names []string
		for n := range files {
			names = append(names, n)
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"LICENSE", "README.md", "workerbench"}) {
			t.Errorf("%s holds %v, want LICENSE, README.md and workerbench at the top", name, names)
		}
		if !bytes.Equal(files["LICENSE"], license) {
			t.Errorf("%s: LICENSE differs from the repository's", name)
		}
		if modes["workerbench"]&0o111 == 0 {
			t.Errorf("%s: workerbench is not executable (%v)", name, modes["workerbench"])
		}
		bin := files["workerbench"]
		checkReleaseBinary(t, name, p, bin)
		if bytes.Contains(bin, []byte(buildDir+"/")) {
			t.Errorf("%s: the binary holds the build directory %s: not built with -trimpath", name, buildDir)
		}
		if p == runtime.GOOS+"_"+runtime.GOARCH {
			hostBin = bin
		}
	}
	if hostBin == nil {
		t.Skipf("no release archive runs on %s/%s", runtime.GOOS, runtime.GOARCH)
	}

	// The binary says the version in VERSION and the commit it was built
	// from, and records that version in results.json.
	bin := filepath.Join(t.TempDir(), "workerbench")
	if err := os.WriteFile(bin, hostBin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("workerbench version: %v", err)
	}
	var meta struct{ Version, Commit string }
	data, err := os.ReadFile(filepath.Join(dist, "metadata.json"))
	if err == nil {
		err = json.Unmarshal(data, &meta)
	}
	if err != nil {
		t.Fatalf("dist/metadata.json: %v", err)
	}
	lines := strings.Split(string(out), "\n")
	if lines[0] != "workerbench "+version || meta.Version != version {
		t.Errorf("released binary says %q (metadata.json's version %q), VERSION says %q", lines[0], meta.Version, version)
	}
	if len(lines) < 2 || lines[1] != "commit "+meta.Commit {
		t.Errorf("released binary says %q, metadata.json says commit %q", out, meta.Commit)
	}
	if meta.Commit != "none" && !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(meta.Commit) {
		t.Errorf("commit %q is not a full SHA", meta.Commit)
	}
	t.Logf("%s", out)

	res := filepath.Join(t.TempDir(), "out")
	tmpl := bin + " demo-server --bind {bind} --workers {workers} --threads {threads} --sleep 5ms"
	cmd := exec.Command(bin, "run", "--cmd", tmpl, "--matrix", "1x1", "--duration", "200ms", "--warmup", "50ms", "--sequential", "5", "--quiet", "--out", res)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("released binary: run: %v\n%s", err, out)
	}
	r, err := results.Read(filepath.Join(res, "results.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != version {
		t.Errorf("results.json: workerbench_version %q, want %q", r.Version, version)
	}
}

// checkReleaseBinary checks that bin is an executable for platform
// (GOOS_GOARCH) with its symbol table stripped.
func checkReleaseBinary(t *testing.T, name, platform string, bin []byte) {
	t.Helper()
	goos, goarch, _ := strings.Cut(platform, "_")
	switch goos {
	case "linux":
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Errorf("%s: not an ELF binary: %v", name, err)
			return
		}
		if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]; f.Machine != want {
			t.Errorf("%s: machine %v, want %v", name, f.Machine, want)
		}
		if f.Section(".symtab") != nil {
			t.Errorf("%s: has a symbol table: not stripped (-s)", name)
		}
	case "darwin":
		f, err := macho.NewFile(bytes.NewReader(bin))
		if err != nil {
			t.Errorf("%s: not a Mach-O binary: %v", name, err)
			return
		}
		if want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]; f.Cpu != want {
			t.Errorf("%s: cpu %v, want %v", name, f.Cpu, want)
		}
		// Stripped, only the imports the dynamic loader binds are left:
		// undefined symbols, in no section (an unstripped build has
		// thousands of defined ones).
		if f.Symtab != nil {
			for _, s := range f.Symtab.Syms {
				if s.Sect != 0 {
					t.Errorf("%s: defines symbol %s: not stripped (-s)", name, s.Name)
					break
				}
			}
		}
	}
}
