// Command wheel packs a release binary of workerbench into a Python wheel,
// so that `pip install workerbench` and `pipx run workerbench` give Python
// developers the binary without Go, as ruff's wheels do.
// .github/scripts/release.sh runs it for every platform it builds:
//
//	wheel -version 1.2.3 -platform linux_amd64 -binary DIR/workerbench \
//	      -license LICENSE -mtime UNIX_SECONDS -out DIST
//
// and it prints the path of the wheel it wrote:
// DIST/workerbench-PEP440VERSION-py3-none-TAG.whl. The wheel holds the
// package workerbench/ (__init__.py, __main__.py and bin/workerbench, mode
// 0755) and its .dist-info (METADATA, WHEEL, entry_points.txt, LICENSE and
// RECORD); the console script `workerbench` and `python -m workerbench`
// exec the binary.
//
// The wheel is reproducible like the release's tar archives: every entry
// has the time -mtime (the source commit's), fixed modes and no extra
// fields; the package's entries come sorted, then the .dist-info's, RECORD
// last (the order the wheel spec recommends); and the compression is Go's
// compress/flate, whose output is fixed for a Go version, which release.sh
// pins (a Python zipfile's deflate depends on the zlib it is linked with).
package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// project is the distribution's name on PyPI, its import package, and the
// console script's name.
const project = "workerbench"

func main() {
	version := flag.String("version", "", "workerbench's `VERSION`, as in the file VERSION (1.2.3, 1.3.0-rc.1, 1.2.4-dev)")
	platform := flag.String("platform", "", "the binary's `GOOS_GOARCH`: linux_amd64, linux_arm64, darwin_amd64 or darwin_arm64")
	bin := flag.String("binary", "", "the release binary `FILE` for that platform")
	license := flag.String("license", "LICENSE", "the license `FILE`")
	mtime := flag.Int64("mtime", -1, "every entry's modification time, in Unix `SECONDS` (the source commit's)")
	out := flag.String("out", "", "the `DIR` to write the wheel into")
	flag.Parse()
	if flag.NArg() > 0 || *version == "" || *platform == "" || *bin == "" || *out == "" || *mtime < 0 {
		fmt.Fprintln(os.Stderr, "wheel: -version, -platform, -binary, -mtime and -out are required, and nothing else")
		flag.Usage()
		os.Exit(2)
	}
	path, err := write(*version, *platform, *bin, *license, *mtime, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wheel: %v\n", err)
		os.Exit(1)
	}
	fmt.Println(path)
}

// write builds the wheel and writes it into dir, returning its path.
func write(version, platform, binPath, licensePath string, mtime int64, dir string) (string, error) {
	pyVersion, err := pep440(version)
	if err != nil {
		return "", err
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return "", err
	}
	tags, err := platformTags(platform, bin)
	if err != nil {
		return "", fmt.Errorf("%s: %w", binPath, err)
	}
	license, err := os.ReadFile(licensePath)
	if err != nil {
		return "", err
	}
	data, err := build(version, pyVersion, tags, bin, license, time.Unix(mtime, 0).UTC())
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, wheelName(pyVersion, tags))
	return path, os.WriteFile(path, data, 0o644)
}

// wheelName is the wheel's file name: NAME-VERSION-py3-none-TAG.TAG.whl,
// the platform tags joined with dots (a compressed tag set).
func wheelName(pyVersion string, tags []string) string {
	return project + "-" + pyVersion + "-py3-none-" + strings.Join(tags, ".") + ".whl"
}

// versionRE is the versions release.sh releases: X.Y.Z with an optional
// prerelease or development suffix (CONTRIBUTING.md, "Releases").
var versionRE = regexp.MustCompile(`^([0-9]+\.[0-9]+\.[0-9]+)(?:-(dev|alpha|a|beta|b|rc)(?:\.?([0-9]+))?)?$`)

// pep440 is version in PEP 440's normal form, which pip and PyPI require:
// 1.2.3 stays, 1.2.4-dev is 1.2.4.dev0, 1.3.0-rc.1 is 1.3.0rc1,
// 1.3.0-beta.2 is 1.3.0b2, 1.3.0-alpha is 1.3.0a0.
func pep440(version string) (string, error) {
	m := versionRE.FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("version %q has no PEP 440 form for the wheel: want X.Y.Z, optionally with -dev, -rc.N, -beta.N or -alpha.N", version)
	}
	release, pre, n := m[1], m[2], m[3]
	if n == "" {
		n = "0"
	}
	n = strings.TrimLeft(n, "0")
	if n == "" {
		n = "0"
	}
	switch pre {
	case "":
		return release, nil
	case "dev":
		return release + ".dev" + n, nil
	case "alpha", "a":
		return release + "a" + n, nil
	case "beta", "b":
		return release + "b" + n, nil
	default: // rc
		return release + "rc" + n, nil
	}
}

// platformTags are the wheel's platform tags for a GOOS_GOARCH binary.
// Release binaries are static (CGO_ENABLED=0), so the Linux ones run on any
// glibc: manylinux2014 (glibc 2.17) is the oldest tag pip still installs
// by default. A macOS wheel says the oldest macOS the binary itself asks
// for (its LC_BUILD_VERSION, set by the Go linker: macOS 12 since Go 1.25),
// so pip never installs one that will not start.
func platformTags(platform string, bin []byte) ([]string, error) {
	goos, goarch, _ := strings.Cut(platform, "_")
	arch, ok := map[string]map[string]string{
		"linux":  {"amd64": "x86_64", "arm64": "aarch64"},
		"darwin": {"amd64": "x86_64", "arm64": "arm64"},
	}[goos][goarch]
	if !ok {
		return nil, fmt.Errorf("no wheel platform tag for %q: want linux or darwin, amd64 or arm64", platform)
	}
	switch goos {
	case "linux":
		f, err := elf.NewFile(bytes.NewReader(bin))
		if err != nil {
			return nil, fmt.Errorf("not an ELF binary for %s: %w", platform, err)
		}
		if want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[goarch]; f.Machine != want {
			return nil, fmt.Errorf("an ELF binary for %v, not %s", f.Machine, platform)
		}
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				return nil, errors.New("dynamically linked (it names an ELF interpreter): a manylinux tag promises only glibc 2.17; build it with CGO_ENABLED=0")
			}
		}
		return []string{"manylinux_2_17_" + arch, "manylinux2014_" + arch}, nil
	default:
		f, err := macho.NewFile(bytes.NewReader(bin))
		if err != nil {
			return nil, fmt.Errorf("not a Mach-O binary for %s: %w", platform, err)
		}
		if want := map[string]macho.Cpu{"amd64": macho.CpuAmd64, "arm64": macho.CpuArm64}[goarch]; f.Cpu != want {
			return nil, fmt.Errorf("a Mach-O binary for %v, not %s", f.Cpu, platform)
		}
		major, minor, err := macOSMin(f)
		if err != nil {
			return nil, err
		}
		return []string{fmt.Sprintf("macosx_%d_%d_%s", major, minor, arch)}, nil
	}
}

// macOSMin is the oldest macOS version f runs on: LC_BUILD_VERSION's minos,
// or LC_VERSION_MIN_MACOSX's version in older binaries.
func macOSMin(f *macho.File) (major, minor uint32, err error) {
	const lcVersionMinMacOSX, lcBuildVersion = 0x24, 0x32
	for _, l := range f.Loads {
		raw := l.Raw()
		if len(raw) < 12 {
			continue
		}
		v := uint32(0)
		switch f.ByteOrder.Uint32(raw) {
		case lcBuildVersion: // cmd, cmdsize, platform, minos, …
			if len(raw) >= 16 && f.ByteOrder.Uint32(raw[8:]) == 1 { // PLATFORM_MACOS
				v = f.ByteOrder.Uint32(raw[12:])
			}
		case lcVersionMinMacOSX: // cmd, cmdsize, version, sdk
			v = f.ByteOrder.Uint32(raw[8:])
		}
		if v != 0 { // xxxx.yy.zz in nibbles: X.Y.Z
			return v >> 16, (v >> 8) & 0xff, nil
		}
	}
	return 0, 0, errors.New("the Mach-O binary says no minimum macOS version (no LC_BUILD_VERSION): cannot tag its wheel")
}

// entry is one file of the wheel.
type entry struct {
	name string
	mode os.FileMode
	data []byte
}

// build is the wheel's bytes.
func build(version, pyVersion string, tags []string, bin, license []byte, mtime time.Time) ([]byte, error) {
	distInfo := project + "-" + pyVersion + ".dist-info/"
	pkg := []entry{
		{project + "/__init__.py", 0o644, []byte(fmt.Sprintf(initPy, version, pyVersion))},
		{project + "/__main__.py", 0o644, []byte(mainPy)},
		{project + "/bin/" + project, 0o755, bin},
	}
	slices.SortFunc(pkg, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	var wheel strings.Builder
	wheel.WriteString("Wheel-Version: 1.0\nGenerator: workerbench release.sh (internal/wheel)\nRoot-Is-Purelib: false\n")
	for _, t := range tags {
		wheel.WriteString("Tag: py3-none-" + t + "\n")
	}
	meta := []entry{
		{distInfo + "LICENSE", 0o644, license},
		{distInfo + "METADATA", 0o644, []byte(fmt.Sprintf(metadata, pyVersion, version, version))},
		{distInfo + "WHEEL", 0o644, []byte(wheel.String())},
		{distInfo + "entry_points.txt", 0o644, []byte(entryPoints)},
	}
	files := append(pkg, meta...)

	// RECORD: every other file's SHA-256 (urlsafe base64, unpadded) and
	// size, and itself without either.
	var record strings.Builder
	for _, e := range files {
		sum := sha256.Sum256(e.data)
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", e.name, base64.RawURLEncoding.EncodeToString(sum[:]), len(e.data))
	}
	record.WriteString(distInfo + "RECORD,,\n")
	files = append(files, entry{distInfo + "RECORD", 0o644, []byte(record.String())})

	var buf bytes.Buffer
	if err := writeZip(&buf, files, mtime); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeZip writes files as a zip archive in their order: deflated at the
// best compression, every entry's time mtime (MS-DOS time only, no
// extended timestamp), made by Unix with the entry's mode, and no data
// descriptors (each entry is compressed first and written raw).
func writeZip(w io.Writer, files []entry, mtime time.Time) error {
	date, clock := msDosTime(mtime)
	z := zip.NewWriter(w)
	for _, e := range files {
		var comp bytes.Buffer
		fw, err := flate.NewWriter(&comp, flate.BestCompression)
		if err != nil {
			return err
		}
		if _, err := fw.Write(e.data); err != nil {
			return err
		}
		if err := fw.Close(); err != nil {
			return err
		}
		raw, err := z.CreateRaw(&zip.FileHeader{
			Name:               e.name,
			CreatorVersion:     3<<8 | 20, // Unix, zip 2.0: the external attributes are a Unix mode
			ReaderVersion:      20,        // deflate
			Method:             zip.Deflate,
			ModifiedDate:       date,
			ModifiedTime:       clock,
			CRC32:              crc32.ChecksumIEEE(e.data),
			CompressedSize64:   uint64(comp.Len()),
			UncompressedSize64: uint64(len(e.data)),
			// S_IFREG and the permissions: pip makes a regular file with an
			// x bit executable.
			ExternalAttrs: (0o100000 | uint32(e.mode.Perm())) << 16,
		})
		if err != nil {
			return err
		}
		if _, err := raw.Write(comp.Bytes()); err != nil {
			return err
		}
	}
	return z.Close()
}

// msDosTime is t as an MS-DOS date and time (two-second resolution, no
// time zone: t's own, UTC here), clamped to 1980, the first it can say.
func msDosTime(t time.Time) (date, clock uint16) {
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	clock = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, clock
}
