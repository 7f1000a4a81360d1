package results

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// hostileCells is a results file of n empty cells: three bytes of JSON for
// each of Cell's several hundred bytes of Go.
func hostileCells(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"schema":"workerbench/results/v1","cells":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("{}")
	}
	b.WriteString("]}")
	return b.Bytes()
}

// peakChildEnv names the file the re-executed test binary decodes.
const peakChildEnv = "WORKERBENCH_TEST_DECODE_PEAK"

// TestDecodeHostilePeakMemory decodes a 4 MiB file of empty cells in a
// fresh process (this test binary, re-executed) and reads that process's
// peak RSS (VmHWM), which must stay under the 256 MiB MaxSize promises and
// under 20 × the file's size plus the runtime's own. Before decoding was
// bounded this file took 2.68 GB. The figure is logged (go test -v).
func TestDecodeHostilePeakMemory(t *testing.T) {
	if path := os.Getenv(peakChildEnv); path != "" {
		_, err := Read(path)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		os.Stdout.WriteString("decode-error: " + strconv.Quote(errText(err)) + "\n")
		os.Stdout.WriteString("heap-sys: " + strconv.FormatUint(ms.HeapSys, 10) + "\n")
		os.Stdout.WriteString("total-alloc: " + strconv.FormatUint(ms.TotalAlloc, 10) + "\n")
		os.Stdout.WriteString("vmhwm-kib: " + strconv.Itoa(vmHWM(t)) + "\n")
		return
	}
	if testing.Short() || runtime.GOOS != "linux" {
		t.Skip("re-executes the test binary and reads /proc (linux, not -short)")
	}
	data := hostileCells((4<<20 - 50) / 3)
	path := filepath.Join(t.TempDir(), "results.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDecodeHostilePeakMemory$", "-test.v")
	cmd.Env = append(os.Environ(), peakChildEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			got[k] = v
		}
	}
	kib, _ := strconv.Atoi(got["vmhwm-kib"])
	t.Logf("%d-byte file of empty cells: peak RSS %.1f MiB, heap %.1f MiB, allocated %.1f MiB; %s",
		len(data), float64(kib)/1024, mib(got["heap-sys"]), mib(got["total-alloc"]), clipped(got["decode-error"]))
	if got["decode-error"] == `""` {
		t.Errorf("a file of %d empty cells was accepted", len(data)/3)
	}
	if limit := min(256<<10, 20*len(data)>>10+32<<10); kib == 0 || kib > limit {
		t.Errorf("peak RSS %d KiB, want at most %d KiB (20 × the file and the runtime's 32 MiB, under 256 MiB)",
			kib, limit)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func mib(bytes string) float64 {
	n, _ := strconv.ParseFloat(bytes, 64)
	return n / (1 << 20)
}

// vmHWM is this process's peak resident set in KiB.
func vmHWM(t *testing.T) int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	return 0
}

func clipped(s string) string { return s[:min(len(s), 300)] }
