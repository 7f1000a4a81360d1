package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The action runs a release archive only when its SHA-256 is the one
// committed in .github/release-digests.txt of the action's checkout
// (install.sh), and the release workflow publishes only archives that
// .github/scripts/release.sh rebuilds to exactly those digests. These tests
// check that the release build is reproducible, that `release.sh check`
// refuses other digests, that a real archive installs through install.sh,
// and that the committed files are in the form the scripts read.

const (
	releaseScript    = "../../.github/scripts/release.sh"
	releaseGoVersion = "../../.github/release-go-version"
	committedDigests = "../../" + digestsPath
	reproPlatform    = "linux_amd64"
)

// runRelease runs release.sh with args for linux/amd64 only, with the go on
// PATH, and with env on top.
func runRelease(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{releaseScript}, args...)...)
	cmd.Env = append(os.Environ(),
		"WORKERBENCH_RELEASE_GO=local",
		"WORKERBENCH_RELEASE_PLATFORMS="+reproPlatform)
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

// needReleaseTools skips unless release.sh can run here: a git checkout
// and GNU tar.
func needReleaseTools(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the release archive (-short)")
	}
	if err := exec.Command("git", "-C", "../..", "rev-parse", "--git-dir").Run(); err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	gnu := false
	for _, tar := range []string{"tar", "gtar"} {
		out, _ := exec.Command(tar, "--version").Output()
		gnu = gnu || bytes.Contains(out, []byte("GNU tar"))
	}
	if !gnu {
		t.Skip("no GNU tar")
	}
}

// TestReleaseBuildIsReproducible builds the linux/amd64 release archive
// and wheel twice, the second time with `release.sh check` against the first build's
// digests, as the release workflow checks the committed ones; then checks
// that other digests fail the check; then installs the archive through
// install.sh from a fake release on loopback.
func TestReleaseBuildIsReproducible(t *testing.T) {
	needReleaseTools(t)
	version := versionFile(t)
	archive := "workerbench_" + version + "_" + reproPlatform + ".tar.gz"
	wheel := releaseWheel(t, version, reproPlatform)
	tmp := t.TempDir()
	first, second := filepath.Join(tmp, "first"), filepath.Join(tmp, "second")

	start := time.Now()
	if out, errOut, err := runRelease(t, nil, first); err != nil {
		t.Fatalf("release.sh %s: %v\n%s%s", first, err, out, errOut)
	}
	firstTook := time.Since(start)
	digests := filepath.Join(first, "checksums.txt")
	sums := readChecksums(t, digests)
	if len(sums) != 2 || sums[archive] == "" || sums[wheel] == "" {
		t.Fatalf("checksums.txt lists %v, want %s and %s alone", sums, archive, wheel)
	}

	start = time.Now()
	out, errOut, err := runRelease(t, []string{"WORKERBENCH_RELEASE_DIGESTS=" + digests}, "check", second)
	if err != nil || !strings.Contains(out, "every archive and wheel matches "+digests) {
		t.Fatalf("release.sh check against the first build: %v\n%s%s", err, out, errOut)
	}
	t.Logf("%s and %s built twice (%v, %v): sha256 %s and %s both times",
		archive, wheel, firstTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond),
		sums[archive], sums[wheel])
	var a []byte
	for _, name := range []string{archive, wheel} {
		first, err := os.ReadFile(filepath.Join(first, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(second, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, b) {
			t.Fatalf("the two builds of %s differ", name)
		}
		if name == archive {
			a = first
		}
	}

	// Digests other than the build's fail the check, showing both.
	other := strings.Repeat("0", 64)
	wrong := filepath.Join(tmp, "wrong.txt")
	writeFile(t, wrong, other+"  "+wheel+"\n"+other+"  "+archive+"\n")
	out, errOut, err = runRelease(t, []string{"WORKERBENCH_RELEASE_DIGESTS=" + wrong}, "check", filepath.Join(tmp, "third"))
	if err == nil {
		t.Fatalf("release.sh check passed against digests that are not the build's\n%s", out)
	}
	for _, want := range []string{
		"-" + other + "  " + archive,
		"+" + sums[archive] + "  " + archive,
		"-" + other + "  " + wheel,
		"+" + sums[wheel] + "  " + wheel,
		"the archives built now differ from the digests committed in " + wrong,
	} {
		if !strings.Contains(errOut, want) {
			t.Errorf("release.sh check: stderr lacks %q:\n%s", want, errOut)
		}
	}

	// The real archive, its digest committed in the action's checkout,
	// installs and says its version and source commit.
	if runtime.GOOS+"_"+runtime.GOARCH != reproPlatform {
		t.Skipf("the %s binary does not run on %s/%s", reproPlatform, runtime.GOOS, runtime.GOARCH)
	}
	rel := newFakeReleases(t)
	rel.publish("o/wb", "v"+version, map[string][]byte{archive: a})
	committed, err := os.ReadFile(digests)
	if err != nil {
		t.Fatal(err)
	}
	r := runInstall(t, rel, "", version, string(committed), nil)
	if r.code != 0 || r.outputs["path"] != "release" {
		t.Fatalf("install.sh: exit %d, outputs %v\n%s%s", r.code, r.outputs, r.stdout, r.stderr)
	}
	said, err := exec.Command(r.outputs["bin"], "version").Output()
	if err != nil {
		t.Fatalf("installed binary: %v", err)
	}
	head, err := exec.Command("git", "-C", "../..", "log", "-1", "--format=%H", "--", ".", ":(exclude)"+digestsPath).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(said), "\n")
	if lines[0] != "workerbench "+version || len(lines) < 2 || lines[1] != "commit "+strings.TrimSpace(string(head)) {
		t.Errorf("installed binary says %q, want workerbench %s and the source commit %s", said, version, head)
	}
	t.Logf("install.sh: %s", strings.TrimSpace(r.stdout))
}

// TestReleaseDigestsFiles checks the committed digests, when there are any,
// and the pinned Go version: the forms release.sh, install.sh and the
// release workflow read.
func TestReleaseDigestsFiles(t *testing.T) {
	data, err := os.ReadFile(releaseGoVersion)
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(data)); !regexp.MustCompile(`^1\.[0-9]+\.[0-9]+$`).MatchString(v) {
		t.Errorf(".github/release-go-version holds %q, want a Go release such as 1.26.8 (setup-go's go-version-file and GOTOOLCHAIN=go<it>)", v)
	}

	data, err = os.ReadFile(committedDigests)
	if os.IsNotExist(err) {
		t.Skip("no " + digestsPath + " committed: no release pinned at this commit")
	}
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^[0-9a-f]{64}  workerbench_([0-9A-Za-z.+-]+)_([a-z0-9]+_[a-z0-9]+)\.tar\.gz$`)
	wheelLine := regexp.MustCompile(`^[0-9a-f]{64}  workerbench-[0-9A-Za-z.]+-py3-none-[0-9A-Za-z_.]+\.whl$`)
	versions := map[string]bool{}
	var platforms, names, wheels []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if wheelLine.MatchString(l) {
			wheels = append(wheels, l[66:])
			names = append(names, l[66:])
			continue
		}
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("%s: line %q is neither `SHA256  workerbench_VERSION_OS_ARCH.tar.gz` "+
				"nor `SHA256  workerbench-VERSION-py3-none-PLATFORM.whl` (sha256sum's output)", digestsPath, l)
		}
		versions[m[1]] = true
		platforms = append(platforms, m[2])
		names = append(names, l[66:])
	}
	if len(versions) != 1 {
		t.Errorf("%s: digests for versions %v, want one release's", digestsPath, versions)
	}
	if !slices.IsSorted(names) {
		t.Errorf("%s: not in the order release.sh writes (sorted by name): %v", digestsPath, names)
	}
	slices.Sort(platforms)
	if !slices.Equal(platforms, releasePlatforms) {
		t.Errorf("%s: platforms %v, want %v", digestsPath, platforms, releasePlatforms)
	}
	// A wheel per platform, of the same version: the release workflow
	// uploads these to PyPI.
	if len(versions) == 1 {
		var want []string
		for v := range versions {
			for _, p := range releasePlatforms {
				want = append(want, releaseWheel(t, v, p))
			}
		}
		slices.Sort(want)
		slices.Sort(wheels)
		if !slices.Equal(wheels, want) {
			t.Errorf("%s: wheels %v, want %v", digestsPath, wheels, want)
		}
	}
}

// TestReleaseSnapshotMatchesDigests: when this commit's digests are for its
// VERSION, the release build of this commit (.ci/run's dist/) must be
// exactly what they pin, or a commit pin at this commit would run a binary
// built from other source. After a release, VERSION moves to a -dev version,
// which has no digests (README, "Releases").
func TestReleaseSnapshotMatchesDigests(t *testing.T) {
	dist := releaseDist(t)
	version := versionFile(t)
	committed, err := os.ReadFile(committedDigests)
	if os.IsNotExist(err) {
		t.Skip("no " + digestsPath + " committed")
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(committed, []byte("  workerbench_"+version+"_")) {
		t.Skipf("%s pins no archive of VERSION %s", digestsPath, version)
	}
	built, err := os.ReadFile(filepath.Join(dist, "checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(built, committed) {
		t.Errorf("%s pins VERSION %s, but this commit builds other archives "+
			"(set VERSION to a -dev version after a release, or run .github/scripts/release.sh digests for a new one):\n"+
			"committed:\n%s\nbuilt (%s):\n%s", digestsPath, version, committed, dist, built)
	}
}
