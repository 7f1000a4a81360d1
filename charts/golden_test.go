package charts

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden SVGs under testdata")

// goldenDir holds one SVG per chart of every fixture, FIXTURE-CHART.svg.
var goldenDir = filepath.Join("testdata", "golden")

// goldenFixtures are the fixtures with charts; failed.json has none.
var goldenFixtures = []string{
	"seed", "compare", "one", "partial", "nomemory", "grid64", "grid64-compare", "endpoints", "eventloop",
	"deployed",
}

// TestGoldenSVG renders every chart of every fixture as SVG and compares it
// byte for byte with its golden file, so a change to any chart shows up as a
// diff to look at. Only SVG: the PNG is a rasterisation of the same drawing,
// and slow under -race.
func TestGoldenSVG(t *testing.T) {
	var names []string // golden files the fixtures make
	for _, fixture := range goldenFixtures {
		cs, err := Charts(load(t, fixture))
		if err != nil {
			t.Fatalf("%s: %v", fixture, err)
		}
		for _, c := range cs {
			name := fixture + "-" + c.Name + ".svg"
			names = append(names, name)
			t.Run(strings.TrimSuffix(name, ".svg"), func(t *testing.T) {
				t.Parallel()
				got, err := Render(c.Plot, "svg")
				if err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join(goldenDir, name), got)
			})
		}
	}
	t.Run("no stale files", func(t *testing.T) {
		stale := goldenStale(t, names)
		if len(stale) == 0 {
			return
		}
		if !*update {
			t.Errorf("golden files no fixture makes: %q (go test ./charts -update removes them)",
				stale)
			return
		}
		for _, name := range stale {
			if err := os.Remove(filepath.Join(goldenDir, name)); err != nil {
				t.Error(err)
			}
		}
	})
}

// checkGolden compares got with the file at path, or rewrites the file
// with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./charts -update writes it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	line, gotLine, wantLine := firstDiff(got, want)
	t.Errorf("%s differs at line %d (go test ./charts -update rewrites it; "+
		"-out DIR writes the charts to look at first):\n got: %s\nwant: %s",
		path, line, gotLine, wantLine)
}

// firstDiff returns the number and text of the first line where a and b
// differ, each clipped for the message.
func firstDiff(a, b []byte) (line int, aLine, bLine string) {
	as, bs := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range max(len(as), len(bs)) {
		var x, y string
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		if x != y || i >= len(as) || i >= len(bs) {
			return i + 1, clip(x), clip(y)
		}
	}
	return 0, "", ""
}

func clip(s string) string {
	if r := []rune(s); len(r) > 200 {
		return string(r[:200]) + "…"
	}
	return s
}

// goldenStale lists the SVGs in the golden directory that are not in names.
func goldenStale(t *testing.T, names []string) []string {
	t.Helper()
	entries, err := os.ReadDir(goldenDir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var stale []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".svg") && !slices.Contains(names, e.Name()) {
			stale = append(stale, e.Name())
		}
	}
	return stale
}
