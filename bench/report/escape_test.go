package report

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"plain", "server exited with status 3", "server exited with status 3"},
		{"html", "<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"},
		{"closing details", "</details>", "&lt;/details&gt;"},
		{"entity", "&lt;b&gt;", "&amp;lt;b&amp;gt;"},
		{"mention", "@everyone", "@&#8203;everyone"},
		{"team mention", "cc @acme/core", "cc @&#8203;acme/core"},
		{"email", "ops@example.com", "ops@&#8203;example.com"},
		{"issue", "fixes #123", "fixes \\#&#8203;123"},
		{"cross-repo issue", "acme/shop#7", "acme/shop\\#&#8203;7"},
		{"GH issue", "see GH-12 and gh-3", "see GH-&#8203;12 and gh-&#8203;3"},
		{"hash not issue", "C# and #main", "C\\# and \\#main"},
		{"pipes", "a | b", "a \\| b"},
		{"escaped pipe stays escaped", `a \| b`, `a \\\| b`},
		{"newlines", "line one\nline two\r\nthree", "line one line two three"},
		{"tab", "a\tb", "a b"},
		{"code fence", "```sh\nrm -rf /\n```", "\\`\\`\\`sh rm -rf / \\`\\`\\`"},
		{"link", "[click](https://evil.example)", "\\[click\\](https&#8203;://evil.example)"},
		{"bare URLs", "see http://a.example, FTP://b and Www.c.example/x", "see http&#8203;://a.example, FTP&#8203;://b and Www&#8203;.c.example/x"},
		{"any scheme", "a:// www", "a&#8203;:// www"},
		{"image", "![x](y)", "!\\[x\\](y)"},
		{"emphasis", "*bold* _it_ ~~gone~~", "\\*bold\\* \\_it\\_ \\~\\~gone\\~\\~"},
		{"math", "$\\color{red}{x}$", "\\$\\\\color{red}{x}\\$"},
		{"heading marker", "# title", "\\# title"},
		{"list marker", "- item", "\\- item"},
		{"plus marker", "+ item", "\\+ item"},
		{"ordered list marker", "1. item", "1\\. item"},
		{"version not list", "v1.2", "v1.2"},
		{"decimal", "3.14", "3.14"},
		{"ordered list marker alone", "12)", "12\\)"},
		{"setext marker", "===", "\\==="},
		{"escape sequence", "\x1b[31mred\x1b[0m", "\uFFFD\\[31mred\uFFFD\\[0m"},
		{"nul", "a\x00b", "a\uFFFDb"},
		{"bidi override", "txt\u202Eexe", "txt\uFFFDexe"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
		{"unicode kept", "Σ PSS µs → ✓", "Σ PSS µs → ✓"},
		{"the hostile log line", hostile, "&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt; " +
			"@&#8203;everyone \\#&#8203;1 \\`\\`\\` \\| pipes \\|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Escape(tt.in)
			if got != tt.want {
				t.Errorf("Escape(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			checkEscaped(t, tt.in, got)
		})
	}
}

func TestEscapeHTML(t *testing.T) {
	tests := []struct{ in, want string }{
		{"3x3 GET /a?b=1&c=2", "3x3 GET /a?b=1&amp;c=2"},
		{hostile, "&lt;/details&gt;&lt;img src=x onerror=alert(1)&gt; " +
			"@&#8203;everyone #&#8203;1 ``` | pipes |"},
		{"it's \"x\"\nnext", "it&#39;s &quot;x&quot; next"},
	}
	for _, tt := range tests {
		if got := escapeHTML(tt.in); got != tt.want {
			t.Errorf("escapeHTML(%q)\n got %q\nwant %q", tt.in, got, tt.want)
		}
	}
}

func TestCodeBlock(t *testing.T) {
	tests := []struct {
		name, info, body, want string
	}{
		{"empty", "text", "", "```text\n```\n"},
		{"plain", "text", "hello\nworld", "```text\nhello\nworld\n```\n"},
		{"trailing newline kept once", "", "x\n", "```\nx\n```\n"},
		{"fence inside", "text", "a\n```\nb", "````text\na\n```\nb\n````\n"},
		{"longer fence inside", "text", "`````", "``````text\n`````\n``````\n"},
		{"crlf", "text", "a\r\nb\rc", "```text\na\nb\nc\n```\n"},
		{"html stays literal", "text", "</details><b>@everyone #1</b>",
			"```text\n</details><b>@everyone #1</b>\n```\n"},
		{"control characters", "text", "\x1b[31mred\tx\x00",
			"```text\n\uFFFD[31mred\tx\uFFFD\n```\n"},
		{"info string cleaned", "sh` onload=x", "ls", "```shonloadx\nls\n```\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CodeBlock(tt.info, tt.body)
			if got != tt.want {
				t.Errorf("CodeBlock(%q, %q)\n got %q\nwant %q", tt.info, tt.body, got, tt.want)
			}
			checkCodeBlock(t, got)
		})
	}
}

func TestClip(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "ab…"},
		{"ΣΣΣΣ", 2, "Σ…"},
		{"abc", 0, "abc"},
	}
	for _, tt := range tests {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

var entity = regexp.MustCompile(`^&(amp|lt|gt|#8203);`)

// checkEscaped checks the promises of Escape on one output.
func checkEscaped(t *testing.T, in, out string) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Errorf("Escape(%q) is not valid UTF-8", in)
	}
	if strings.ContainsAny(out, "<>\n\r\t") {
		t.Errorf("Escape(%q) = %q has a raw <, > or line break", in, out)
	}
	backslashes := 0
	for i := 0; i < len(out); {
		r, size := utf8.DecodeRuneInString(out[i:])
		escaped := backslashes%2 == 1
		if r == '&' {
			e := entity.FindString(out[i:])
			if e == "" {
				t.Errorf("Escape(%q) = %q: & at %d starts no entity of ours", in, out, i)
			}
			size = max(size, len(e))
		}
		if strings.ContainsRune("|`*_[]~$#", r) && !escaped {
			t.Errorf("Escape(%q) = %q: unescaped %q at %d", in, out, r, i)
		}
		if r == '@' && !strings.HasPrefix(out[i+1:], zwsp) {
			t.Errorf("Escape(%q) = %q: @ at %d could mention someone", in, out, i)
		}
		if r == '#' && i+1 < len(out) && out[i+1] >= '0' && out[i+1] <= '9' {
			t.Errorf("Escape(%q) = %q: # at %d could link an issue", in, out, i)
		}
		if isUnsafe(r) {
			t.Errorf("Escape(%q) = %q: control or bidi character %U", in, out, r)
		}
		if r == '\\' {
			backslashes++
		} else {
			backslashes = 0
		}
		i += size
	}
	if backslashes%2 == 1 {
		t.Errorf("Escape(%q) = %q ends in a lone backslash", in, out)
	}
	if strings.HasPrefix(out, "-") || strings.HasPrefix(out, "+") || strings.HasPrefix(out, "=") {
		t.Errorf("Escape(%q) = %q starts with a block marker", in, out)
	}
}

// checkCodeBlock checks that the only lines that could close the fence are
// the last one.
func checkCodeBlock(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !strings.HasSuffix(out, "\n") || len(lines) < 2 {
		t.Fatalf("not a fenced block: %q", out)
	}
	open := lines[0][:len(lines[0])-len(strings.TrimLeft(lines[0], "`"))]
	if len(open) < 3 || lines[len(lines)-1] != open {
		t.Fatalf("fence %q does not open and close the block: %q", open, out)
	}
	for _, l := range lines[1 : len(lines)-1] {
		if strings.Contains(l, open) {
			t.Errorf("a body line holds the fence %q: %q", open, l)
		}
		for _, r := range l {
			if r != '\t' && isUnsafe(r) {
				t.Errorf("control or bidi character %U in the block", r)
			}
		}
	}
	if !utf8.ValidString(out) {
		t.Errorf("invalid UTF-8 in %q", out)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{
		"", hostile, "@a", "#1", "gh-1", "1. x", "a\\|b", "\x1b[0m", "\xff\xfe",
		"&#64;x", "@\u200bx", "- x", "```",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkEscaped(t, s, Escape(s))
		h := escapeHTML(s)
		hText := strings.NewReplacer(zwsp, "\u200b", "&#39;", "'").Replace(h)
		if strings.ContainsAny(h, "<>\"'\n") ||
			mention.MatchString(hText) || issueRef.MatchString(hText) {
			t.Errorf("escapeHTML(%q) = %q is not safe text in HTML", s, h)
		}
		checkCodeBlock(t, CodeBlock("text", s))
		if p := plain(s); strings.ContainsFunc(p, isUnsafe) {
			t.Errorf("plain(%q) = %q keeps a control character", s, p)
		}
	})
}

// TestCommandGuard: no line written through a CommandGuard is a workflow
// command, however it is split across writes, and the rest passes as is.
func TestCommandGuard(t *testing.T) {
	for _, tt := range []struct {
		name   string
		writes []string
		want   string
	}{
		{"plain text", []string{"overall: regressed\n"}, "overall: regressed\n"},
		{"colons inside a line", []string{"a::b ::c\n"}, "a::b ::c\n"},
		{"warning", []string{"::warning title=FORGED::x\n"}, "\u2236:warning title=FORGED::x\n"},
		{"after a newline", []string{"overall: regressed\n::error::x\n"}, "overall: regressed\n\u2236:error::x\n"},
		{"after blanks", []string{" \t::add-mask::workerbench\n"}, " \t\u2236:add-mask::workerbench\n"},
		{"after Unicode blanks", []string{"\u00a0\u3000\ufeff::stop-commands::t\n"}, "\u00a0\u3000\ufeff\u2236:stop-commands::t\n"},
		{"after a carriage return", []string{"x\r::error::x"}, "x\r\u2236:error::x"},
		{"split across writes", []string{"x\n  ", ":", ":set-output name=a::b\n"}, "x\n  \u2236:set-output name=a::b\n"},
		{"next line after a write", []string{"a\n", "::error::x\n"}, "a\n\u2236:error::x\n"},
		{"old form", []string{"note ##[error]x\n"}, "note ##\uff3berror]x\n"},
		{"old form split", []string{"#", "#", "[add-mask]x\n"}, "##\uff3badd-mask]x\n"},
		{"a single hash", []string{"#[x] #1\n"}, "#[x] #1\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			g := NewCommandGuard(&b)
			for _, w := range tt.writes {
				if n, err := g.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if b.String() != tt.want {
				t.Errorf("wrote %q, want %q", b.String(), tt.want)
			}
			checkNoCommand(t, b.String())
		})
	}
	if g := NewCommandGuard(&strings.Builder{}); NewCommandGuard(g) != g {
		t.Error("NewCommandGuard wrapped a guard again")
	}
}

// checkNoCommand fails when a line of out would be read by the runner as a
// workflow command.
func checkNoCommand(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if strings.HasPrefix(strings.TrimLeftFunc(l, isLeadBlank), "::") || strings.Contains(l, "##[") {
			t.Errorf("line %q is a workflow command", l)
		}
	}
}

func FuzzCommandGuard(f *testing.F) {
	for _, s := range []string{"::warning::x", "a\n ::error::x", "##[group]", "\u2028::x", "\xe3\x80"} {
		f.Add(s, 3)
	}
	f.Fuzz(func(t *testing.T, s string, cut int) {
		var b strings.Builder
		g := NewCommandGuard(&b)
		cut = min(max(cut, 0), len(s))
		g.Write([]byte(s[:cut]))
		g.Write([]byte(s[cut:]))
		checkNoCommand(t, b.String())
	})
}
