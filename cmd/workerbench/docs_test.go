package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// The documentation: the README opens with the action and a picture and
// stays short; the rest is in CONTRIBUTING.md and docs/. These tests read
// the files as GitHub shows them and fetch nothing: an external link is
// not checked, a relative one must lead to a file of the repository.

const repoRoot = "../.."

// docFiles are the Markdown files whose links are checked, relative to
// the repository's root.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md"}
	docs, err := filepath.Glob(filepath.Join(repoRoot, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) == 0 {
		t.Fatal("no docs/*.md")
	}
	for _, d := range docs {
		rel, _ := filepath.Rel(repoRoot, d)
		files = append(files, filepath.ToSlash(rel))
	}
	return files
}

func readDoc(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestDocsReadmeOpensWithTheAction: the README is at most 400 lines, shows
// the action's uses: line on its first screen and a picture soon after,
// and keeps the two commands people copy: the demo, and the test command
// that .ci/run runs.
func TestDocsReadmeOpensWithTheAction(t *testing.T) {
	readme := readDoc(t, "README.md")
	lines := strings.Split(strings.TrimSuffix(readme, "\n"), "\n")
	if len(lines) > 400 {
		t.Errorf("README.md has %d lines, want at most 400: move reference material to docs/", len(lines))
	}
	first := func(n int, re *regexp.Regexp) int {
		for i, l := range lines {
			if i >= n {
				break
			}
			if re.MatchString(l) {
				return i + 1
			}
		}
		return 0
	}
	if first(60, regexp.MustCompile(`^\s*(-\s+)?uses:\s*workerbench/workerbench@`)) == 0 {
		t.Error("README.md has no `uses: workerbench/workerbench@…` line in its first 60 lines")
	}
	if first(120, regexp.MustCompile(`!\[[^\]]*\]\([^)]+\)|<img\s`)) == 0 {
		t.Error("README.md has no image in its first 120 lines")
	}

	ci := readDoc(t, ".ci/run")
	_, after, ok := strings.Cut(ci, "# The README's test command:\n")
	if !ok {
		t.Fatal(`.ci/run has no "# The README's test command:" line`)
	}
	testCmd, _, _ := strings.Cut(after, "\n")
	if !strings.HasPrefix(testCmd, "go test") {
		t.Fatalf(".ci/run's README test command is %q, want a go test command", testCmd)
	}
	for _, cmd := range []string{testCmd, "go run ./cmd/workerbench demo"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(cmd) + `$`).MatchString(readme) {
			t.Errorf("README.md does not show the command %q on a line of its own", cmd)
		}
	}
}

// TestDocsLinks: every relative link and image in README.md,
// CONTRIBUTING.md and docs/*.md leads to a file or directory of the
// repository, and every #anchor to a heading of the Markdown file it names
// (GitHub's slugs).
func TestDocsLinks(t *testing.T) {
	anchors := map[string]map[string]bool{} // Markdown file → its anchors
	anchorsOf := func(name string) map[string]bool {
		if a, ok := anchors[name]; ok {
			return a
		}
		a := map[string]bool{}
		if data, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(name))); err == nil {
			a = headingAnchors(string(data))
		}
		anchors[name] = a
		return a
	}
	checked := 0
	for _, file := range docFiles(t) {
		for _, l := range docLinks(readDoc(t, file)) {
			checked++
			if err := checkLink(file, l.target, anchorsOf); err != nil {
				t.Errorf("%s:%d: %s: %v", file, l.line, l.target, err)
			}
		}
	}
	if checked < 50 {
		t.Errorf("checked only %d links: is the parser missing them?", checked)
	}
}

// checkLink checks one link target of the Markdown file from (a path
// relative to the repository's root).
func checkLink(from, target string, anchorsOf func(string) map[string]bool) error {
	if regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`).MatchString(target) {
		return nil // https:, mailto:: not fetched
	}
	path, frag, _ := strings.Cut(target, "#")
	var name string // the target, relative to the repository's root
	switch {
	case path == "":
		name = from
	case strings.HasPrefix(path, "/"):
		name = strings.TrimPrefix(path, "/")
	default:
		name = filepath.ToSlash(filepath.Join(filepath.Dir(from), path))
	}
	name = filepath.ToSlash(filepath.Clean(name))
	if name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("leads out of the repository")
	}
	info, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(name)))
	if err != nil {
		return fmt.Errorf("no such file or directory %s", name)
	}
	if frag == "" {
		return nil
	}
	if info.IsDir() || !strings.HasSuffix(name, ".md") {
		if regexp.MustCompile(`^L\d+(-L\d+)?$`).MatchString(frag) {
			return nil // a line of a source file
		}
		return fmt.Errorf("anchor #%s into %s, which is not a Markdown file", frag, name)
	}
	if !anchorsOf(name)[frag] {
		return fmt.Errorf("%s has no heading with the anchor #%s", name, frag)
	}
	return nil
}

type docLink struct {
	line   int
	target string
}

var (
	linkRE  = regexp.MustCompile(`!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)
	imgRE   = regexp.MustCompile(`<img\s[^>]*\bsrc="([^"]+)"`)
	hrefRE  = regexp.MustCompile(`<a\s[^>]*\bhref="([^"]+)"`)
	fenceRE = regexp.MustCompile("^\\s*(```|~~~)")
)

// docLinks returns the links and images of a Markdown text, outside code
// blocks and code spans.
func docLinks(md string) []docLink {
	var links []docLink
	forProse(md, func(n int, line string) {
		for _, re := range []*regexp.Regexp{linkRE, imgRE, hrefRE} {
			for _, m := range re.FindAllStringSubmatch(line, -1) {
				links = append(links, docLink{n, m[1]})
			}
		}
	})
	return links
}

// forProse calls f with each line (and its number) that is not in a fenced
// code block, its code spans removed.
func forProse(md string, f func(n int, line string)) {
	proseLines(md, func(n int, line string) { f(n, withoutCodeSpans(line)) })
}

// proseLines calls f with each line (and its number) that is not in a
// fenced code block.
func proseLines(md string, f func(n int, line string)) {
	fence := ""
	for i, line := range strings.Split(md, "\n") {
		if m := fenceRE.FindStringSubmatch(line); m != nil {
			switch {
			case fence == "":
				fence = m[1]
				continue
			case fence == m[1]:
				fence = ""
				continue
			}
		}
		if fence != "" {
			continue
		}
		f(i+1, line)
	}
}

// withoutCodeSpans drops the code spans of a line: a run of backticks up
// to the next run of the same length.
func withoutCodeSpans(line string) string {
	var b strings.Builder
	for i := 0; i < len(line); {
		if line[i] != '`' {
			b.WriteByte(line[i])
			i++
			continue
		}
		n := 0
		for i+n < len(line) && line[i+n] == '`' {
			n++
		}
		ticks := line[i : i+n]
		end := -1
		for j := i + n; j < len(line); {
			k := strings.Index(line[j:], ticks)
			if k < 0 {
				break
			}
			k += j
			m := 0
			for k+m < len(line) && line[k+m] == '`' {
				m++
			}
			if m == n {
				end = k + n
				break
			}
			j = k + m
		}
		if end < 0 { // no closing run: literal backticks
			b.WriteString(ticks)
			i += n
			continue
		}
		i = end
	}
	return b.String()
}

var (
	headingRE    = regexp.MustCompile(`^ {0,3}(#{1,6})\s+(.*?)(\s+#+)?\s*$`)
	htmlAnchorRE = regexp.MustCompile(`<a\s[^>]*\b(?:name|id)="([^"]+)"`)
	inlineLinkRE = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
)

// headingAnchors returns the anchors GitHub gives the headings of a
// Markdown text, and those of its <a name=…> and <a id=…> tags.
func headingAnchors(md string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	proseLines(md, func(_ int, line string) {
		for _, m := range htmlAnchorRE.FindAllStringSubmatch(line, -1) {
			anchors[m[1]] = true
		}
		m := headingRE.FindStringSubmatch(line)
		if m == nil {
			return
		}
		slug := githubSlug(m[2])
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	})
	return anchors
}

// githubSlug is the anchor GitHub gives a heading: its text as shown
// (links by their text, code without backticks), lower case, every
// character but letters, digits, marks, '_', '-' and spaces dropped, and
// spaces made hyphens.
func githubSlug(heading string) string {
	text := inlineLinkRE.ReplaceAllString(heading, "$1")
	text = regexp.MustCompile(`<[^>]*>`).ReplaceAllString(text, "")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-', r == '_', unicode.IsLetter(r), unicode.IsDigit(r), unicode.IsMark(r), unicode.IsNumber(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestDocsSlugs pins githubSlug to anchors GitHub gave the README's
// headings.
func TestDocsSlugs(t *testing.T) {
	for heading, want := range map[string]string{
		"Each side in its own environment (`--setup` and `{side}`)": "each-side-in-its-own-environment---setup-and-side",
		"Did this change make it worse? (`ab` and `compare`)":       "did-this-change-make-it-worse-ab-and-compare",
		"Servers without slots: the connection sweep":               "servers-without-slots-the-connection-sweep",
		"Versions, pinning and start-up":                            "versions-pinning-and-start-up",
		"Calibration on a 2-vCPU runner":                            "calibration-on-a-2-vcpu-runner",
		"Which comment is workerbench's":                            "which-comment-is-workerbenchs",
		"pull_request_target is refused":                            "pull_request_target-is-refused",
		"What the numbers mean: Σ PSS × [slots](x.md)":              "what-the-numbers-mean-σ-pss--slots",
	} {
		if got := githubSlug(heading); got != want {
			t.Errorf("githubSlug(%q) = %q, want %q", heading, got, want)
		}
	}
	a := headingAnchors("# A\n```\n# Not a heading\n```\n## A\n### A\n")
	for _, want := range []string{"a", "a-1", "a-2"} {
		if !a[want] {
			t.Errorf("anchors %v lack %q", a, want)
		}
	}
	if a["not-a-heading"] {
		t.Error("a line in a code block was taken for a heading")
	}
}
