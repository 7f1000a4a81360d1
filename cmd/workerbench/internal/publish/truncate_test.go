package publish

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateMarkdown(t *testing.T) {
	t.Parallel()
	note := TruncationNote + "\n"
	pad := strings.Repeat("filler line\n", 20) // makes each input exceed its limit
	N := len(note)
	tests := []struct {
		name  string
		in    string
		limit int
		size  sizeFunc
		want  string
	}{
		{
			name: "fits", in: "a\nb\n", limit: 4, size: runeSize,
			want: "a\nb\n",
		},
		{
			name: "cut at the last line boundary that fits", in: "line 1\nline 2\nline 3\n" + pad, limit: 14 + 1 + N, size: byteSize,
			want: "line 1\nline 2\n\n" + note,
		},
		{
			name: "a line that does not fit whole is dropped", in: "line 1\nline 2\nline 3\n" + pad, limit: 20 + 1 + N, size: byteSize,
			want: "line 1\nline 2\n\n" + note,
		},
		{
			name: "closes a backtick fence", in: "x\n```go\ncode 1\ncode 2\n```\ny\n" + pad, limit: 15 + 4 + 1 + N, size: byteSize,
			want: "x\n```go\ncode 1\n```\n\n" + note,
		},
		{
			name: "closes a tilde fence with its own run", in: "~~~~\n```\nin code\n~~~~\n" + pad, limit: 9 + 5 + 1 + N, size: byteSize,
			want: "~~~~\n```\n~~~~\n\n" + note,
		},
		{
			name: "closes nested details", in: "<details>\n<DETAILS open>\n| a |\n| b |\n</details>\n</details>\n" + pad, limit: 31 + 1 + 24 + N, size: byteSize,
			want: "<details>\n<DETAILS open>\n| a |\n\n</details>\n\n</details>\n\n" + note,
		},
		{
			name: "details inside a fence are text", in: "```\n<details>\n```\n" + pad, limit: 18 + 1 + N, size: byteSize,
			want: "```\n<details>\n```\n\n" + note,
		},
		{
			name: "counts runes, not bytes", in: "ééé\nééé\nééé\n" + pad, limit: 8 + 1 + utf8.RuneCountInString(note), size: runeSize,
			want: "ééé\nééé\n\n" + note,
		},
		{
			name: "counts bytes", in: "ééé\nééé\nééé\n" + pad, limit: 14 + 1 + N, size: byteSize,
			want: "ééé\nééé\n\n" + note,
		},
		{
			name: "CRLF lines", in: "```\r\na\r\nb\r\n```\r\n" + pad, limit: 8 + 4 + 1 + N, size: byteSize,
			want: "```\r\na\r\n```\n\n" + note,
		},
		{
			name: "one huge line is cut at a rune boundary", in: strings.Repeat("é", 100), limit: 10 + 2 + N, size: byteSize,
			want: "ééééé\n\n" + note,
		},
		{
			name: "huge line opening details", in: "<details>" + strings.Repeat("x", 100), limit: 9 + 5 + 2 + 12 + N, size: byteSize,
			want: "<details>xxxxx\n\n</details>\n\n" + note,
		},
		{
			name: "limit below the note", in: "abcdef\n", limit: 3, size: byteSize,
			want: "abc",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := truncateMarkdown(tt.in, tt.limit, tt.size)
			if got != tt.want {
				t.Errorf("truncateMarkdown(%q, %d) =\n%q\nwant\n%q", tt.in, tt.limit, got, tt.want)
			}
			if n := tt.size(got); n > tt.limit {
				t.Errorf("size %d exceeds limit %d", n, tt.limit)
			}
		})
	}
}

func FuzzTruncateMarkdown(f *testing.F) {
	f.Add("## T\n<details>\n\n```\nx\n", 90, false)
	f.Add("ééé\n~~~\nabc\n", 70, true)
	f.Add(strings.Repeat("| 1x1 | 48 |\n", 40), 200, false)
	f.Fuzz(func(t *testing.T, s string, limit int, bytes bool) {
		if limit < 0 || limit > 1<<16 {
			return
		}
		size := runeSize
		if bytes {
			size = byteSize
		}
		got := truncateMarkdown(s, limit, size)
		if n := size(got); n > limit {
			t.Fatalf("size %d > limit %d", n, limit)
		}
		if size(s) <= limit {
			if got != s {
				t.Fatalf("changed text that fits")
			}
			return
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("produced invalid UTF-8 %q", got)
		}
		if strings.HasSuffix(got, TruncationNote+"\n") {
			// Everything before the closers is a prefix of the input.
			kept := got[:strings.LastIndex(got, TruncationNote)]
			kept = strings.TrimRight(kept, "\n")
			for strings.HasSuffix(kept, "</details>") || strings.HasSuffix(kept, "`") || strings.HasSuffix(kept, "~") {
				i := strings.LastIndex(kept, "\n")
				if i < 0 {
					kept = ""
					break
				}
				kept = strings.TrimRight(kept[:i], "\n")
			}
			if !strings.HasPrefix(s, kept) {
				t.Fatalf("kept text %q is not a prefix of the input", kept)
			}
		} else if !strings.HasPrefix(s, got) {
			t.Fatalf("bare cut %q is not a prefix", got)
		}
	})
}
