package publish

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/report"
)

// actionsEnv returns an Actions whose GITHUB_OUTPUT and GITHUB_STEP_SUMMARY
// are fresh temp files, the paths of those files, and its stdout.
func actionsEnv(t *testing.T, extra map[string]string) (*Actions, string, string, *bytes.Buffer) {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	for k, v := range extra {
		env[k] = v
	}
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if env[k] != "" {
			if err := os.WriteFile(env[k], nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	var stdout bytes.Buffer
	getenv := func(k string) string { return env[k] }
	return NewActions(getenv, &stdout), env["GITHUB_OUTPUT"], env["GITHUB_STEP_SUMMARY"], &stdout
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestSetOutput(t *testing.T) {
	t.Parallel()
	a, output, _, stdout := actionsEnv(t, nil)
	if err := a.SetOutput("verdict", "regressed"); err != nil {
		t.Fatal(err)
	}
	if err := a.SetOutput("table", "| cell | rps |\n|---|---|\n| 3x3 | 44.9 |"); err != nil {
		t.Fatal(err)
	}
	want := "verdict<<_GitHubActionsFileCommandDelimeter_\n" +
		"regressed\n" +
		"_GitHubActionsFileCommandDelimeter_\n" +
		"table<<_GitHubActionsFileCommandDelimeter_\n" +
		"| cell | rps |\n|---|---|\n| 3x3 | 44.9 |\n" +
		"_GitHubActionsFileCommandDelimeter_\n"
	if got := readFile(t, output); got != want {
		t.Errorf("GITHUB_OUTPUT =\n%q\nwant\n%q", got, want)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing (no deprecated ::set-output)", stdout)
	}
}

func TestSetOutputRefusesInjection(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, key, value, want string }{
		{"delimiter in value", "body", "x\n_GitHubActionsFileCommandDelimeter_\nverdict=improved", "value contains the output delimiter"},
		{"heredoc in name", "a<<EOF", "x", "invalid name"},
		{"newline in name", "a\nverdict", "x", "invalid name"},
		{"empty name", "", "x", "invalid name"},
		{"leading digit", "1x", "x", "invalid name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, output, _, _ := actionsEnv(t, nil)
			err := a.SetOutput(tt.key, tt.value)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("SetOutput error = %v, want %q", err, tt.want)
			}
			if got := readFile(t, output); got != "" {
				t.Errorf("GITHUB_OUTPUT = %q, want it untouched", got)
			}
		})
	}
}

func TestWithoutEnvFiles(t *testing.T) {
	t.Parallel()
	a, _, _, _ := actionsEnv(t, map[string]string{"GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": ""})
	if err := a.SetOutput("verdict", "x"); !errors.Is(err, ErrNoEnvFile) {
		t.Errorf("SetOutput error = %v, want ErrNoEnvFile", err)
	}
	if err := a.AppendSummary("x"); !errors.Is(err, ErrNoEnvFile) {
		t.Errorf("AppendSummary error = %v, want ErrNoEnvFile", err)
	}
}

func TestEnvFileWriteFailureIsAnError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // a directory cannot be opened for appending
	a := NewActions(func(k string) string {
		if k == "GITHUB_OUTPUT" {
			return dir
		}
		return ""
	}, &bytes.Buffer{})
	if err := a.SetOutput("verdict", "x"); err == nil || !strings.Contains(err.Error(), `set output "verdict": unable to write`) {
		t.Errorf("SetOutput error = %v, want a write error instead of a panic", err)
	}
}

func TestAppendSummary(t *testing.T) {
	t.Parallel()
	a, _, summary, _ := actionsEnv(t, nil)
	if err := a.AppendSummary("## workerbench\n\n| cell | rps |\n|---|---|\n| 3x3 | 44.9 |\n"); err != nil {
		t.Fatal(err)
	}
	if err := a.AppendSummary("Verdict: **unchanged**"); err != nil {
		t.Fatal(err)
	}
	want := "## workerbench\n\n| cell | rps |\n|---|---|\n| 3x3 | 44.9 |\n\nVerdict: **unchanged**\n"
	if got := readFile(t, summary); got != want {
		t.Errorf("GITHUB_STEP_SUMMARY =\n%q\nwant\n%q", got, want)
	}
}

func TestAppendSummaryCapsAtOneMiB(t *testing.T) {
	t.Parallel()
	a, _, summary, _ := actionsEnv(t, nil)
	earlier := strings.Repeat("e", 600_000) + "\n"
	if err := os.WriteFile(summary, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("<details><summary>trials</summary>\n\n```\n")
	for b.Len() < 700_000 {
		b.WriteString("trial: 44.8 req/s µ\n")
	}
	b.WriteString("```\n</details>\n")

	if err := a.AppendSummary(b.String()); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, summary)
	if len(got) > MaxSummaryBytes {
		t.Fatalf("summary is %d bytes, more than %d", len(got), MaxSummaryBytes)
	}
	if len(got) < MaxSummaryBytes-100 {
		t.Errorf("summary is %d bytes; truncation wasted room", len(got))
	}
	if !strings.HasPrefix(got, earlier+"<details><summary>trials</summary>\n") {
		t.Errorf("earlier content or the start of the new one is lost")
	}
	wantTail := "trial: 44.8 req/s µ\n```\n\n</details>\n\n" + TruncationNote + "\n\n"
	if !strings.HasSuffix(got, wantTail) {
		t.Errorf("summary ends %q, want %q", got[len(got)-100:], wantTail)
	}

	room := MaxSummaryBytes - len(got) - 1
	if room >= len(TruncationNote)+2 {
		t.Fatalf("%d bytes left, enough for another note", room)
	}
	if err := a.AppendSummary(strings.Repeat("more\n", 100)); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("AppendSummary on a full file = %v, want an error", err)
	}
	if after := readFile(t, summary); after != got {
		t.Errorf("a full summary was appended to")
	}
}

func TestAnnotations(t *testing.T) {
	t.Parallel()
	a, _, _, stdout := actionsEnv(t, nil)
	if err := a.Warning("Regression: 3x3", "throughput 44.9 → 40.1 req/s (-10.7%)\r\nsee the summary"); err != nil {
		t.Fatal(err)
	}
	if err := a.Notice("workerbench, read-only token", "fork PR: results are in the job summary"); err != nil {
		t.Fatal(err)
	}
	if err := a.Warning("", "100% busy\n::error::forged"); err != nil {
		t.Fatal(err)
	}
	want := "::warning title=Regression%3A 3x3::throughput 44.9 → 40.1 req/s (-10.7%25)%0D%0Asee the summary\n" +
		"::notice title=workerbench%2C read-only token::fork PR: results are in the job summary\n" +
		"::warning::100%25 busy%0A::error::forged\n"
	if got := stdout.String(); got != want {
		t.Errorf("stdout =\n%q\nwant\n%q", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestAnnotationWriteFailureIsAnError(t *testing.T) {
	t.Parallel()
	a := NewActions(func(string) string { return "" }, failingWriter{})
	if err := a.Warning("t", "m"); err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("Warning error = %v, want the write error", err)
	}
}

func TestInput(t *testing.T) {
	t.Parallel()
	a, _, _, _ := actionsEnv(t, map[string]string{"INPUT_MATRIX": "  1x1,3x3 \n"})
	if got := a.Input("matrix"); got != "1x1,3x3" {
		t.Errorf("Input(matrix) = %q", got)
	}
}

// TestAnnotationsUnderAGuard: given a log writer that neutralises
// workflow commands (report.CommandGuard), Actions, their one writer,
// writes its escaped annotations under it.
func TestAnnotationsUnderAGuard(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	g := report.NewCommandGuard(&stdout)
	a := NewActions(func(string) string { return "" }, g)
	if err := a.Warning("workerbench", "3x3 regressed\n::error::forged"); err != nil {
		t.Fatal(err)
	}
	g.Write([]byte("::error::from an artifact\n"))
	want := "::warning title=workerbench::3x3 regressed%0A::error::forged\n\u2236:error::from an artifact\n"
	if got := stdout.String(); got != want {
		t.Errorf("stdout =\n%q\nwant\n%q", got, want)
	}
}
