package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// roundTrip passes r through results.json, as the CLI reads it.
func roundTrip(t *testing.T, r *results.Run) *results.Run {
	t.Helper()
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	out, err := results.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("fixture is not valid results.json: %v", err)
	}
	return out
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it); got:\n%s",
			path, got)
	}
}

var fixtures = []struct {
	name    string
	results func() *results.Run
	opts    MarkdownOptions
}{
	{"seed_run", seedRun, MarkdownOptions{}},
	{"compare_regressed", compareRegressed, MarkdownOptions{
		Base: "main", Head: "feature/async-db",
		ArtifactURL: "https://github.com/acme/shop/actions/runs/123456789/artifacts/987654",
	}},
	{"compare_unchanged", compareUnchanged, MarkdownOptions{
		Title: "Flask shop", Base: "main", Head: "fix/typo",
	}},
	{"compare_inconclusive", compareInconclusive, MarkdownOptions{}},
	{"failed_hostile", failedHostile, MarkdownOptions{
		Title:       "@everyone #1 <b>x</b>",
		ArtifactURL: "javascript:alert(1)",
	}},
	{"interrupted", interrupted, MarkdownOptions{}},
	{"event_loop_run", eventLoopRun, MarkdownOptions{Title: "Starlette on uvicorn"}},
	{"compare_event_loop", compareEventLoop, MarkdownOptions{}},
	{"compare_deps_unmeasured", compareDepsUnmeasured, MarkdownOptions{Base: "main", Head: "deps/bump"}},
	{"compare_deps_measured", compareDepsMeasured, MarkdownOptions{Base: "main", Head: "deps/bump"}},
	{"compare_deployed", compareDeployed, MarkdownOptions{Base: "main", Head: "feature/async-db"}},
}

func TestGolden(t *testing.T) {
	for _, f := range fixtures {
		t.Run(f.name, func(t *testing.T) {
			r := roundTrip(t, f.results())
			var tb bytes.Buffer
			if err := Table(&tb, r); err != nil {
				t.Fatal(err)
			}
			golden(t, f.name+".txt", tb.Bytes())

			var md bytes.Buffer
			if err := Markdown(&md, r, f.opts); err != nil {
				t.Fatal(err)
			}
			checkMarkdown(t, md.String())
			golden(t, f.name+".md", md.Bytes())
		})
	}
}

// TestFirstLine pins the outcome a reviewer reads at a glance.
func TestFirstLine(t *testing.T) {
	shardLost := seedRun()
	shardLost.Missing = []string{"9x9"}
	tests := []struct {
		name string
		r    *results.Run
		want string
	}{
		{"run", seedRun(),
			"### workerbench: 4 cells, best 3x3 = 44.7 req/s, " +
				"9.0 concurrent requests (100% of 9 slots)"},
		{"regressed", compareRegressed(),
			"### ❌ Concurrency regressed: 3x3 −12% throughput (p=0.002)"},
		{"unchanged", compareUnchanged(),
			"### ✅ No concurrency regression (4 cells, geomean −0.4% [−1.9%, +1.1%])"},
		{"inconclusive", compareInconclusive(),
			"### ⚠️ Inconclusive: too noisy to rule out a concurrency regression (4 cells, " +
				"geomean −1.6% [−7.0%, +4.1%])"},
		{"interrupted", interrupted(),
			"### ⚠️ workerbench (interrupted): 2 cells, best 1x3 = 14.9 req/s, " +
				"3.0 concurrent requests (100% of 3 slots)"},
		{"failed", failedHostile(),
			"### ⚠️ workerbench: 2 cells, best 1x3 = 14.9 req/s, " +
				"3.0 concurrent requests (100% of 3 slots); " +
				"1 cell failed (3x3 GET /api?x=&lt;/details&gt;&lt;img src=x one…)"},
		{"empty", &results.Run{Schema: results.Schema},
			"### ⚠️ workerbench: no cells measured"},
		{"shard lost", shardLost,
			"### ⚠️ workerbench: 4 cells, best 3x3 = 44.7 req/s, 9.0 concurrent requests " +
				"(100% of 9 slots); 9x9 not measured (a shard is missing)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := Markdown(&b, tt.r, MarkdownOptions{}); err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(b.String(), "\n")
			if first != tt.want {
				t.Errorf("first line\n got %s\nwant %s", first, tt.want)
			}
		})
	}
}

func TestFirstLineComparisonCases(t *testing.T) {
	improved := compareUnchanged()
	improved.Verdict = results.Improved
	c := &improved.Cells[2]
	c.Verdict, c.Ratio, c.PValue = results.Improved, 1.15, 0.0004

	headFailed := compareUnchanged()
	headFailed.Cells[0].Error = "server exited with status 1"

	regressedAndFailed := compareRegressed()
	regressedAndFailed.Cells[1].Base.Error = "timeout waiting for the server"

	interruptedCmp := compareUnchanged()
	interruptedCmp.Interrupted = true

	regressedNoCell := compareUnchanged()
	regressedNoCell.Verdict = results.Regressed // overall only, e.g. by the geomean

	possible := compareRegressed()
	possible.Verdict = results.Inconclusive // 3x3 does not survive Holm's correction
	possible.Cells[3].PValue = 0.03

	failedInconclusive := compareUnchanged() // as bench.Compare marks a failed side
	failedInconclusive.Verdict = results.Inconclusive
	failedInconclusive.Cells[0].Error = "server exited with status 1"
	failedInconclusive.Cells[0].Verdict = results.Inconclusive
	failedInconclusive.Cells[0].Method = "not compared: a side failed"

	noVerdict := compareUnchanged()
	noVerdict.Verdict = "" // derived from the cells

	// A merge that lacks a shard, as results.Merge leaves it.
	shardLost := compareUnchanged()
	shardLost.Cells = shardLost.Cells[:2]
	shardLost.Missing = []string{"3x1", "3x3"}
	shardLost.Verdict = results.Inconclusive
	shardLostRegressed := compareRegressed()
	shardLostRegressed.Missing = []string{"1x9", "9x1", "9x9"}

	// One shard's own results, before the merge.
	oneShard := compareUnchanged()
	oneShard.Shard = &results.Shard{Index: 1, Count: 2,
		Cells: []string{"1x1", "1x3", "3x1", "3x3", "9x1", "9x3", "9x9", "1x9"}}

	// A project that deploys a cell that stayed inconclusive, in a
	// comparison that did: the heading leads with it and says so once;
	// one that deploys an unchanged cell leads with it too.
	deployedNoisy := compareInconclusive()
	deployedNoisy.Deployed = procfile(1, 3)
	deployedSame := compareInconclusive()
	deployedSame.Deployed = procfile(3, 1)

	tests := []struct {
		name string
		r    *results.Run
		o    MarkdownOptions
		want string
	}{
		{"deployed inconclusive", deployedNoisy, MarkdownOptions{},
			"### ⚠️ Deployed 1x3 inconclusive; too noisy to rule out a concurrency regression " +
				"(4 cells, geomean −1.6% [−7.0%, +4.1%])"},
		{"deployed unchanged, inconclusive", deployedSame, MarkdownOptions{},
			"### ⚠️ Deployed 3x1 unchanged; inconclusive: too noisy to rule out a concurrency " +
				"regression (4 cells, geomean −1.6% [−7.0%, +4.1%])"},
		{"improved", improved, MarkdownOptions{},
			"### ✅ Concurrency improved: 3x1 +15% throughput (p<0.001)"},
		{"head failed", headFailed, MarkdownOptions{},
			"### ⚠️ 1x1 on head failed; no concurrency regression in the other cells " +
				"(3 cells, geomean −0.4% [−1.9%, +1.1%])"},
		{"regressed and failed", regressedAndFailed, MarkdownOptions{},
			"### ❌ Concurrency regressed: 3x3 −12% throughput (p=0.002); 1x3 on base failed"},
		{"interrupted", interruptedCmp, MarkdownOptions{},
			"### ⚠️ No concurrency regression (4 cells, geomean −0.4% [−1.9%, +1.1%]) " +
				"— interrupted, partial results"},
		{"overall regression only", regressedNoCell, MarkdownOptions{},
			"### ❌ Concurrency regressed (4 cells, geomean −0.4% [−1.9%, +1.1%])"},
		{"possible regression", possible, MarkdownOptions{},
			"### ⚠️ Possible concurrency regression: 3x3 −12% throughput (p=0.03), " +
				"not significant across 4 cells"},
		{"inconclusive by a failure", failedInconclusive, MarkdownOptions{},
			"### ⚠️ 1x1 on head failed; no concurrency regression in the cells measured " +
				"(3 cells, geomean −0.4% [−1.9%, +1.1%])"},
		{"shard lost", shardLost, MarkdownOptions{},
			"### ⚠️ Inconclusive: 3x1, 3x3 not measured (a shard is missing); no concurrency " +
				"regression in the cells measured (2 cells, geomean −0.4% [−1.9%, +1.1%])"},
		{"shard lost, regressed", shardLostRegressed, MarkdownOptions{},
			"### ❌ Concurrency regressed: 3x3 −12% throughput (p=0.002); 3 cells not measured " +
				"(a shard is missing)"},
		{"one shard", oneShard, MarkdownOptions{},
			"### ✅ Shard 1/2, 4 cells of 8: no concurrency regression (4 cells, geomean −0.4% " +
				"[−1.9%, +1.1%])"},
		{"derived verdict", noVerdict, MarkdownOptions{},
			"### ✅ No concurrency regression (4 cells, geomean −0.4% [−1.9%, +1.1%])"},
		{"title", compareRegressed(), MarkdownOptions{Title: "shop API"},
			"### ❌ shop API — concurrency regressed: 3x3 −12% throughput (p=0.002)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			if err := Markdown(&b, tt.r, tt.o); err != nil {
				t.Fatal(err)
			}
			first, _, _ := strings.Cut(b.String(), "\n")
			if first != tt.want {
				t.Errorf("first line\n got %s\nwant %s", first, tt.want)
			}
		})
	}
}

func TestMaxBytes(t *testing.T) {
	r := roundTrip(t, manyCells())
	var full strings.Builder
	if err := Markdown(&full, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	checkMarkdown(t, full.String())
	if full.Len() <= 65536 {
		t.Fatalf("fixture too small to test the cap: %d bytes", full.Len())
	}
	first := firstLine(full.String())
	prev := full.Len()
	for _, max := range []int{1 << 20, 65536, 32768, 16384, 8192, 4096, 2048} {
		t.Run(itoa(max), func(t *testing.T) {
			var b strings.Builder
			o := MarkdownOptions{MaxBytes: max, ArtifactURL: "https://example.com/a"}
			err := Markdown(&b, r, o)
			if err != nil {
				t.Fatal(err)
			}
			out := b.String()
			if len(out) > max {
				t.Errorf("%d bytes, over the cap of %d", len(out), max)
			}
			if firstLine(out) != first {
				t.Errorf("the first line changed under the cap: %q", firstLine(out))
			}
			if !strings.Contains(out, "https://example.com/a") {
				t.Error("the artifact link was dropped")
			}
			if len(out) > prev {
				t.Errorf("%d bytes under a cap of %d, more than under the larger cap before (%d)",
					len(out), max, prev)
			}
			prev = len(out)
			checkMarkdown(t, out)
			if max == 65536 && !strings.Contains(out, "<details>") {
				t.Error("65,536 bytes should leave room for condensed <details> sections")
			}
			if max <= 4096 && !strings.Contains(out, "not shown") {
				t.Error("a truncated table should say so")
			}
			if max <= 8192 && !strings.Contains(out, "❌ **regressed**") {
				t.Error("regressed cells should be kept when rows are dropped")
			}
		})
	}
	var b strings.Builder
	if err := Markdown(&b, r, MarkdownOptions{MaxBytes: 50}); err == nil {
		t.Errorf("50 bytes cannot hold the heading, yet no error; got %q", b.String())
	}
}

// TestMaxBytesGolden shows what a reviewer sees when a comparison does not
// fit: the outcome, the telling rows and a note.
func TestMaxBytesGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, roundTrip(t, manyCells()), MarkdownOptions{MaxBytes: 4096}); err != nil {
		t.Fatal(err)
	}
	checkMarkdown(t, b.String())
	golden(t, "compare_capped.md", b.Bytes())
}

func TestNil(t *testing.T) {
	if err := Table(&bytes.Buffer{}, nil); err == nil {
		t.Error("Table(nil) did not fail")
	}
	if err := Markdown(&bytes.Buffer{}, nil, MarkdownOptions{}); err == nil {
		t.Error("Markdown(nil) did not fail")
	}
	if got := Mermaid(nil); got != "" {
		t.Errorf("Mermaid(nil) = %q", got)
	}
}

func TestMermaid(t *testing.T) {
	got := Mermaid(seedRun())
	want := "```mermaid\nxychart-beta\n" +
		"  title \"Achieved concurrency (bars) vs slots (line)\"\n" +
		"  x-axis [\"1x1\", \"1x3\", \"3x1\", \"3x3\"]\n" +
		"  y-axis \"concurrent requests\" 0 --> 10\n" +
		"  bar [1, 3, 3, 9]\n" +
		"  line [1, 3, 3, 9]\n" +
		"```\n"
	if got != want {
		t.Errorf("Mermaid(seed run) =\n%s\nwant\n%s", got, want)
	}
	got = Mermaid(compareRegressed())
	for _, s := range []string{
		`y-axis "head / base" 0.8 --> 1.1`, "bar [1, 1, 0.99, 0.88]", "line [1, 1, 1, 1]",
	} {
		if !strings.Contains(got, s) {
			t.Errorf("comparison chart lacks %q:\n%s", s, got)
		}
	}
	checkMermaid(t, Mermaid(failedHostile()))
	r := failedHostile()
	r.Cells[0].Endpoint = hostile
	checkMermaid(t, Mermaid(r))
	if got := Mermaid(&results.Run{}); got != "" {
		t.Errorf("Mermaid(no cells) = %q, want empty", got)
	}
}

func TestTableTerminalSafe(t *testing.T) {
	var b bytes.Buffer
	if err := Table(&b, failedHostile()); err != nil {
		t.Fatal(err)
	}
	for _, r := range b.String() {
		if r != '\n' && isUnsafe(r) {
			t.Fatalf("control or bidi character %U in terminal output:\n%s", r, b.String())
		}
	}
}

// ---- well-formedness of Markdown ----

var (
	allowedTag = regexp.MustCompile(`^</?(details|summary)>`)
	mention    = regexp.MustCompile(`@[\p{L}\p{N}_]`)
	issueRef   = regexp.MustCompile(`#[0-9]`)
	// bareURL is what GitHub's autolinker links outside a Markdown link.
	bareURL = regexp.MustCompile(`(?i)[a-z0-9]://|www\.`)
	// ourLink is a link the report writes itself, from a checked URL.
	ourLink = regexp.MustCompile(`\]\(https?://[^()\s\\]*\)`)
)

// checkMarkdown checks what GitHub would make of md: code fences closed,
// <details> balanced and never inside a fence, no HTML but our own tags, no
// mention and no issue reference outside code, and every table row with
// as many cells as its header.
func checkMarkdown(t *testing.T, md string) {
	t.Helper()
	if !strings.HasPrefix(md, "### ") {
		t.Errorf("does not start with the outcome heading: %q", firstLine(md))
	}
	if !strings.HasSuffix(md, "\n") || strings.HasSuffix(md, "\n\n") {
		t.Error("should end with exactly one newline")
	}
	checkNoCommand(t, md) // the summary output may be echoed into a log
	fence := ""           // the open fence, "" outside code
	depth := 0
	tableCols := -1
	for n, line := range strings.Split(strings.TrimSuffix(md, "\n"), "\n") {
		if fence != "" {
			if strings.Trim(line, "`") == "" && len(line) >= len(fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			fence = line[:len(line)-len(strings.TrimLeft(line, "`"))]
			if strings.Contains(strings.TrimLeft(line, "`"), "`") {
				t.Errorf("line %d: backtick in the info string: %q", n+1, line)
			}
			tableCols = -1
			continue
		}
		for i := strings.Index(line, "<"); i >= 0; i = strings.Index(line, "<") {
			m := allowedTag.FindString(line[i:])
			if m == "" {
				t.Errorf("line %d: raw HTML: %q", n+1, line)
				break
			}
			switch m {
			case "<details>":
				depth++
			case "</details>":
				depth--
				if depth < 0 {
					t.Errorf("line %d: </details> without <details>", n+1)
				}
			}
			line = line[i+len(m):]
		}
		line = strings.NewReplacer("&#8203;", "\u200b", "&#39;", "'").Replace(line)
		if mention.MatchString(line) {
			t.Errorf("line %d: a mention GitHub would ping: %q", n+1, line)
		}
		if issueRef.MatchString(line) {
			t.Errorf("line %d: an issue reference GitHub would link: %q", n+1, line)
		}
		if bareURL.MatchString(ourLink.ReplaceAllString(line, "")) {
			t.Errorf("line %d: a bare URL GitHub would link: %q", n+1, line)
		}
		if strings.HasPrefix(line, "|") {
			cols := tableCells(line)
			if tableCols < 0 {
				tableCols = cols
			} else if cols != tableCols {
				t.Errorf("line %d: %d cells in a table of %d: %q", n+1, cols, tableCols, line)
			}
		} else {
			tableCols = -1
		}
	}
	if fence != "" {
		t.Errorf("code fence %s never closed", fence)
	}
	if depth != 0 {
		t.Errorf("<details> unbalanced by %d", depth)
	}
}

// tableCells counts the cells of a table row: pipes not escaped by a backslash.
func tableCells(line string) int {
	pipes, backslashes := 0, 0
	for _, r := range line {
		switch {
		case r == '\\':
			backslashes++
			continue
		case r == '|' && backslashes%2 == 0:
			pipes++
		}
		backslashes = 0
	}
	return pipes - 1
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// FuzzMarkdown puts arbitrary text in every untrusted field of a
// comparison and of a run and checks the Markdown stays well-formed and
// inert, within the size cap.
func FuzzMarkdown(f *testing.F) {
	f.Add(hostile, "GET /", "x", 0)
	f.Add("```\n</details>\n````", "@a #1", "|\\|", 2000)
	f.Add("\x00\r\n\u202e", "<!--", "-->", 700)
	f.Add("https://evil.example/x www.evil.example", "GET /?u=http://x", "WWW.x", 0)
	f.Add("x\n  ::warning title=FORGED::y\n##[error]z", "::error::e", "##[group]l", 0)
	f.Fuzz(func(t *testing.T, text, endpoint, label string, maxBytes int) {
		if maxBytes < 0 || maxBytes > 1<<16 {
			return
		}
		for _, r := range []*results.Run{compareRegressed(), failedHostile()} {
			r.Warnings = append(r.Warnings, text)
			r.Command, r.Dir, r.Version, r.Host.CPUModel = text, label, label, text
			for i := range r.Cells {
				c := &r.Cells[i]
				c.Endpoint = endpoint
				c.Diagnostics = append(c.Diagnostics, text)
				c.ErrorKinds = map[string]int64{label: 1}
				c.Errors = 1
				if i == 0 {
					c.Error, c.LogTail, c.Log = text, []string{text, label, endpoint}, label
				}
				if c.Base != nil {
					c.Base.Error, c.Base.LogTail = label, []string{text}
				}
			}
			var b strings.Builder
			o := MarkdownOptions{
				Title: label, Base: label, Head: text, ArtifactURL: label, MaxBytes: maxBytes,
			}
			err := Markdown(&b, r, o)
			if err != nil {
				if maxBytes == 0 {
					t.Fatal(err)
				}
				continue
			}
			if maxBytes > 0 && b.Len() > maxBytes {
				t.Errorf("%d bytes over the cap of %d", b.Len(), maxBytes)
			}
			checkMarkdown(t, b.String())
			checkMermaid(t, Mermaid(r))
			var tb strings.Builder
			if err := Table(&tb, r); err != nil {
				t.Fatal(err)
			}
			unsafe := func(r rune) bool { return r != '\n' && isUnsafe(r) }
			if strings.ContainsFunc(tb.String(), unsafe) {
				t.Errorf("control character in the terminal table")
			}
		}
	})
}

var (
	mermaidAxis = regexp.MustCompile(
		`^  x-axis \[("[A-Za-z0-9 ./:_…-]*")(, "[A-Za-z0-9 ./:_…-]*")*\]$`)
	mermaidOther = regexp.MustCompile(`^(` + "```mermaid|```" + `|xychart-beta` +
		`|  title "[A-Za-z0-9 ./()=]*"` +
		`|  y-axis "[a-z /]*" [0-9.]+ --> [0-9.]+` +
		`|  (bar|line) \[[0-9.]+(, [0-9.]+)*\])$`)
)

// checkMermaid checks a chart has only lines of the shapes Mermaid renders,
// with labels of the characters mermaidLabel keeps.
func checkMermaid(t *testing.T, m string) {
	t.Helper()
	if m == "" {
		return
	}
	for _, l := range strings.Split(strings.TrimSuffix(m, "\n"), "\n") {
		if !mermaidAxis.MatchString(l) && !mermaidOther.MatchString(l) {
			t.Errorf("unexpected chart line %q in\n%s", l, m)
		}
	}
}

// TestNoEfficiencyWithoutSlots: an event-loop server's efficiency is never
// shown, even from a file that recorded one (783% was the old figure).
func TestNoEfficiencyWithoutSlots(t *testing.T) {
	r := seedRun()
	r.Model = results.ModelEventLoop
	r.Cells[0].Efficiency = 7.83
	var tb, md bytes.Buffer
	if err := Table(&tb, r); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{tb.String(), md.String()} {
		for _, pct := range []string{"783%", "100%"} {
			if strings.Contains(out, pct) {
				t.Errorf("efficiency %s shown for an event-loop server:\n%s", pct, out)
			}
		}
		if strings.Contains(out, "line [") {
			t.Errorf("the chart draws the slots of an event-loop server:\n%s", out)
		}
	}
}

// TestNotesOnce: a note on the run is printed once, not per cell, and a
// note base and head share is printed once, marked for both.
func TestNotesOnce(t *testing.T) {
	r := compareRegressed()
	run := "the service time varied between boots (S0 3.10 ms → 5.00 ms across 1x1 and 3x1)"
	r.Diagnostics, r.BaseDiagnostics = []string{run}, []string{run}
	shared := "the load generator used more CPU per request than the server"
	r.Cells[0].Diagnostics = []string{shared, shared}
	r.Cells[0].Base.Diagnostics = []string{shared, "base only"}
	var tb, md bytes.Buffer
	if err := Table(&tb, r); err != nil {
		t.Fatal(err)
	}
	if err := Markdown(&md, r, MarkdownOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{tb.String(), md.String()} {
		for _, want := range []string{"all cells", "base and head", run, shared, "base only"} {
			if !strings.Contains(out, want) {
				t.Errorf("no %q in:\n%s", want, out)
			}
		}
		if n := strings.Count(out, run); n != 1 {
			t.Errorf("the run's note %d times, want once:\n%s", n, out)
		}
		if n := strings.Count(out, shared); n != 1 {
			t.Errorf("the note both sides share %d times, want once:\n%s", n, out)
		}
	}
	t.Log(tb.String())
}

// FuzzDecodedRenders: whatever results.json the decoder accepts (an
// artifact from a fork) renders to the terminal with no line a GitHub
// Actions runner reads as a workflow command once printed through a
// CommandGuard, and to Markdown with no live HTML, mention, issue
// reference or bare URL.
func FuzzDecodedRenders(f *testing.F) {
	for _, r := range []*results.Run{seedRun(), compareRegressed(), failedHostile(), eventLoopRun(),
		compareDeployed(), deployedHostile()} {
		data, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"schema":"` + results.Schema + `","command":"x\n::warning::y https://e.example",` +
		`"cells":[{"workers":1,"threads":1,"error":"@a #1 www.e.example\n::error::z"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := results.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out strings.Builder
		if err := Table(NewCommandGuard(&out), r); err == nil {
			checkNoCommand(t, out.String())
		}
		var md strings.Builder
		if err := Markdown(&md, r, MarkdownOptions{}); err == nil {
			checkMarkdown(t, md.String())
		}
	})
}
