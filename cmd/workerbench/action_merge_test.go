package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// TestActionMerge runs mode merge in-process on shard results laid out as
// actions/download-artifact lays out a pattern download (one directory per
// artifact): both shards give one comment over all four cells with the
// verdict across them; a lost shard gives a comment that names the cells
// it had and an inconclusive verdict; shards of two commits are refused,
// naming both, and nothing is commented.
func TestActionMerge(t *testing.T) {
	sha := strings.Repeat("a", 40)
	base := strings.Repeat("b", 40)
	one := map[string]results.Verdict{"1x1": results.Unchanged, "3x1": results.Unchanged}
	two := map[string]results.Verdict{"1x3": results.Unchanged, "3x3": results.Regressed}
	type shard struct {
		i      int
		commit string
		cells  map[string]results.Verdict
	}
	tests := []struct {
		name     string
		shards   []shard
		wantCode int
		verdict  string
		want     []string // in the comment
		stderr   string
	}{
		{"two shards", []shard{{1, sha, one}, {2, sha, two}}, exitRegression, "regressed",
			[]string{"| 1x1 |", "| 1x3 |", "| 3x1 |", "| 3x3 |", "regressed"}, ""},
		{"a shard lost", []shard{{1, sha, one}}, exitOK, "inconclusive",
			[]string{"| 1x1 |", "| 3x1 |", "shard 2/2 is missing", "no shard measured 1x3, 3x3"},
			""},
		{"two commits", []shard{{1, sha, one}, {2, base, two}}, exitUsage, "", nil,
			"workerbench-1 and workerbench-2 differ in commit (" + sha + ", " + base + ")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := githubtest.New(t, "o/r")
			e := newActionEnv(t, api, t.TempDir(), "pull_request", prEventJSON(base, sha),
				map[string]string{"mode": "merge", "history": "none",
					"fail-on-regression": "true", "github-token": githubtest.Token})
			for _, s := range tt.shards {
				src := shardDir(t, s.i, s.commit, s.cells)
				dst := filepath.Join(e.resultsDir, "workerbench-"+string(rune('0'+s.i)))
				if err := os.MkdirAll(e.resultsDir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Rename(src, dst); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := e.run(t)
			e.assertNoToken(t, stdout, stderr)
			if code != tt.wantCode || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d, want %d; stderr lacks %q:\n%s", code, tt.wantCode, tt.stderr,
					stderr)
			}
			comments := api.Comments(7)
			if tt.verdict == "" {
				if len(comments) != 0 {
					t.Errorf("refused merge commented: %q", comments[0].Body)
				}
				return
			}
			if len(comments) != 1 || api.Created() != 1 {
				t.Fatalf("%d comments, %d created: want exactly one", len(comments), api.Created())
			}
			body := comments[0].Body
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("comment lacks %q:\n%s", w, body)
				}
			}
			if got := e.outputs(t)["verdict"]; got != tt.verdict {
				t.Errorf("verdict output %q, want %q", got, tt.verdict)
			}
			merged, err := results.Read(filepath.Join(e.resultsDir, "results.json"))
			if err != nil || merged.Shard != nil || merged.Commit != sha {
				t.Fatalf("merged results.json: %v, %+v", err, merged)
			}
			if _, err := publish.ReadPayload(e.resultsDir); err != nil {
				t.Errorf("payload for the two-stage publish: %v", err)
			}
			t.Logf("comment:\n%s", body)
			if len(merged.Missing) > 0 &&
				!strings.Contains(stdout, "::warning title=workerbench%3A cells missing::no shard measured 1x3, 3x3") {
				t.Errorf("no warning annotation for the missing cells:\n%s", stdout)
			}
		})
	}
}
