package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestPEP440(t *testing.T) {
	for version, want := range map[string]string{
		"1.2.3":        "1.2.3",
		"1.0.0-dev":    "1.0.0.dev0",
		"1.2.4-dev.3":  "1.2.4.dev3",
		"1.3.0-rc.1":   "1.3.0rc1",
		"1.3.0-rc1":    "1.3.0rc1",
		"1.3.0-rc":     "1.3.0rc0",
		"1.3.0-beta.2": "1.3.0b2",
		"1.3.0-b.02":   "1.3.0b2",
		"2.0.0-alpha":  "2.0.0a0",
		"10.20.30-a.7": "10.20.30a7",
	} {
		got, err := pep440(version)
		if err != nil || got != want {
			t.Errorf("pep440(%q) = %q, %v; want %q", version, got, err, want)
		}
	}
	for _, version := range []string{"", "v1.2.3", "1.2", "1.2.3+source", "1.2.3-snapshot", "1.2.3-rc.1.2", "1.2.3 "} {
		if got, err := pep440(version); err == nil {
			t.Errorf("pep440(%q) = %q, want an error", version, got)
		}
	}
}

func TestMSDOSTime(t *testing.T) {
	date, clock := msDosTime(time.Date(2026, 12, 6, 19, 44, 19, 0, time.UTC))
	if y, m, d := 1980+int(date>>9), int(date>>5&0xf), int(date&0x1f); y != 2026 || m != 12 || d != 6 {
		t.Errorf("date %d-%d-%d, want 2026-12-6", y, m, d)
	}
	if h, m, s := int(clock>>11), int(clock>>5&0x3f), 2*int(clock&0x1f); h != 19 || m != 44 || s != 18 {
		t.Errorf("time %d:%d:%d, want 19:44:18 (two-second resolution)", h, m, s)
	}
	if date, clock := msDosTime(time.Unix(0, 0).UTC()); date != 1<<5|1 || clock != 0 {
		t.Errorf("1970 gives date %#x time %#x, want 1980-01-01 00:00", date, clock)
	}
}

// TestBuild reads a wheel back as pip does: its entries in order, modes,
// times, and a RECORD naming every other file's digest and size. The
// release's real wheels are checked in cmd/workerbench (TestWheel*).
func TestBuild(t *testing.T) {
	bin := []byte("\x7fELF stand-in binary")
	mtime := time.Date(2026, 1, 2, 3, 4, 6, 0, time.UTC)
	tags := []string{"manylinux_2_17_x86_64", "manylinux2014_x86_64"}
	data, err := build("1.3.0-rc.1", "1.3.0rc1", tags, bin, []byte("MIT License\n"), mtime)
	if err != nil {
		t.Fatal(err)
	}
	again, err := build("1.3.0-rc.1", "1.3.0rc1", tags, bin, []byte("MIT License\n"), mtime)
	if err != nil || !bytes.Equal(data, again) {
		t.Fatalf("two builds differ (%v)", err)
	}
	if got, want := wheelName("1.3.0rc1", tags), "workerbench-1.3.0rc1-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"; got != want {
		t.Errorf("wheel name %q, want %q", got, want)
	}

	z, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	const di = "workerbench-1.3.0rc1.dist-info/"
	wantNames := []string{
		"workerbench/__init__.py", "workerbench/__main__.py", "workerbench/bin/workerbench",
		di + "LICENSE", di + "METADATA", di + "WHEEL", di + "entry_points.txt", di + "RECORD",
	}
	files := map[string]string{}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
		wantMode := "-rw-r--r--"
		if f.Name == "workerbench/bin/workerbench" {
			wantMode = "-rwxr-xr-x"
		}
		if m := f.Mode().String(); m != wantMode || f.ExternalAttrs>>16&0o170000 != 0o100000 {
			t.Errorf("%s: mode %s (external attributes %#o), want a regular file %s", f.Name, m, f.ExternalAttrs>>16, wantMode)
		}
		if !f.Modified.Equal(mtime) || f.Method != zip.Deflate || len(f.Extra) != 0 || f.Flags != 0 {
			t.Errorf("%s: time %v, method %d, extra %x, flags %#x; want %v, deflate, none, 0", f.Name, f.Modified, f.Method, f.Extra, f.Flags, mtime)
		}
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		files[f.Name] = string(b)
	}
	if strings.Join(names, " ") != strings.Join(wantNames, " ") {
		t.Errorf("entries %v, want %v", names, wantNames)
	}
	if files["workerbench/bin/workerbench"] != string(bin) {
		t.Error("the binary differs from the one given")
	}

	var record []string
	for _, name := range wantNames[:len(wantNames)-1] {
		sum := sha256.Sum256([]byte(files[name]))
		record = append(record, fmt.Sprintf("%s,sha256=%s,%d", name, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[name])))
	}
	record = append(record, di+"RECORD,,")
	if got, want := files[di+"RECORD"], strings.Join(record, "\n")+"\n"; got != want {
		t.Errorf("RECORD:\n%s\nwant:\n%s", got, want)
	}
	for name, want := range map[string][]string{
		di + "WHEEL": {"Wheel-Version: 1.0\n", "Root-Is-Purelib: false\n",
			"Tag: py3-none-manylinux_2_17_x86_64\n", "Tag: py3-none-manylinux2014_x86_64\n"},
		di + "METADATA": {"Metadata-Version: 2.1\nName: workerbench\nVersion: 1.3.0rc1\n", "\nLicense: MIT\n",
			"\nRequires-Python: >=3.8\n", "\nSummary: ", "workerbench 1.3.0-rc.1 binary"},
		di + "entry_points.txt":   {"[console_scripts]\nworkerbench = workerbench.__main__:main\n"},
		"workerbench/__init__.py": {`__version__ = "1.3.0rc1"  # workerbench 1.3.0-rc.1`},
		"workerbench/__main__.py": {"os.execv(exe, argv)", "def main():"},
	} {
		for _, w := range want {
			if !strings.Contains(files[name], w) {
				t.Errorf("%s lacks %q:\n%s", name, w, files[name])
			}
		}
	}
}

func TestPlatformTagsRefuse(t *testing.T) {
	for platform, bin := range map[string]string{
		"windows_amd64": "MZ",
		"linux_386":     "\x7fELF",
		"linux_amd64":   "#!/bin/sh\n",
		"darwin_arm64":  "\x7fELF",
	} {
		if tags, err := platformTags(platform, []byte(bin)); err == nil {
			t.Errorf("platformTags(%s, %q) = %v, want an error", platform, bin, tags)
		}
	}
}
