package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
	"go.yaml.in/yaml/v3"
)

func TestCommentKeyOf(t *testing.T) {
	long := strings.Repeat("x", 70)
	tests := []struct {
		name          string
		in            actionInputs
		job           string
		wantKey, from string
	}{
		{"input", actionInputs{CommentKey: "api", HistorySeries: "web", ArtifactName: "a"}, "j",
			"api", "input comment-key"},
		{"series", actionInputs{HistorySeries: "web", ArtifactName: "a"}, "j", "web",
			"input history-series"},
		{"default series, artifact", actionInputs{HistorySeries: "default", ArtifactName: "wb-py"},
			"j", "wb-py", "input artifact-name"},
		{"default artifact, job", actionInputs{HistorySeries: "default", ArtifactName: "workerbench"},
			"concurrency", "concurrency", "the job id"},
		{"nothing set, job", actionInputs{}, "bench_2", "bench_2", "the job id"},
		{"outside Actions", actionInputs{}, "", "", ""},
		// Names that are no key become one, and stay apart.
		{"artifact with spaces", actionInputs{ArtifactName: "bench py 3.12"}, "j",
			"bench-py-3.12-" + shortSum("bench py 3.12"), "input artifact-name"},
		{"artifact with a dash", actionInputs{ArtifactName: "bench-py-3.12"}, "j",
			"bench-py-3.12", "input artifact-name"},
		{"long job id", actionInputs{}, long, strings.Repeat("x", 55) + "-" + shortSum(long),
			"the job id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "GITHUB_JOB" {
					return tt.job
				}
				return ""
			}
			k, err := commentKeyOf(tt.in, getenv)
			if err != nil || k.key != tt.wantKey || k.from != tt.from {
				t.Errorf("commentKeyOf = %+v, %v; want %q from %q", k, err, tt.wantKey, tt.from)
			}
			if k.key != "" && !publish.ValidKey(k.key) {
				t.Errorf("key %q is not valid", k.key)
			}
		})
	}
}

func shortSum(s string) string { return keyFrom(s)[len(keyFrom(s))-8:] }

// artifactKeyDir is artifactDir (publishcmd_test.go) with a comment key in
// payload.json, as a benchmark job of this version writes it.
func artifactKeyDir(t *testing.T, head, key string) string {
	t.Helper()
	dir := artifactDir(t, 7, head)
	p, err := publish.ReadPayload(dir)
	if err != nil {
		t.Fatal(err)
	}
	p.Key = key
	if err := publish.WritePayload(dir, p); err != nil {
		t.Fatal(err)
	}
	return dir
}

// publishEnv is mode publish of PR 7 of a fork, on artifact dir, with
// more inputs, run as the job comment.
func publishEnv(t *testing.T, api *githubtest.Server, head, dir string,
	inputs map[string]string,
) *actionEnv {
	t.Helper()
	in := map[string]string{"mode": "publish", "github-token": githubtest.Token, "results-dir": dir}
	for k, v := range inputs {
		in[k] = v
	}
	e := newActionEnv(t, api, t.TempDir(), "workflow_run", workflowRunEvent(head), in)
	e.vars["GITHUB_JOB"] = "comment"
	return e
}

// bodies are the comments on PR 7.
func bodies(api *githubtest.Server) []string {
	var out []string
	for _, c := range api.Comments(7) {
		out = append(out, c.Body)
	}
	return out
}

// Mode publish comments under the key the benchmark job wrote into
// payload.json: two artifacts with two keys leave two comments, the same
// key again edits its own; the publish job's own comment-key wins over
// the artifact's; comment-url names the comment created or updated.
func TestPublishModeCommentKeys(t *testing.T) {
	head := strings.Repeat("b", 40)
	api := githubtest.New(t, "o/r")
	api.AddPull(7, githubtest.Pull{HeadSHA: head, HeadRepo: "fork/r"})
	run := func(key string, inputs map[string]string) (map[string]string, string) {
		t.Helper()
		e := publishEnv(t, api, head, artifactKeyDir(t, head, key), inputs)
		code, stdout, stderr := e.run(t)
		e.assertNoToken(t, stdout, stderr)
		if code != exitOK {
			t.Fatalf("key %s: exit %d\n%s", key, code, stderr)
		}
		return e.outputs(t), stderr
	}

	out, stderr := run("api", nil)
	if !strings.Contains(stderr, "comment-key api (from payload.json") {
		t.Errorf("the log does not say which key:\n%s", stderr)
	}
	run("web", nil)
	out2, _ := run("api", nil)
	b := bodies(api)
	if len(b) != 2 || api.Created() != 2 || api.Edited() != 1 ||
		!strings.HasPrefix(b[0], publish.MarkerFor("api")+"\n### ") ||
		!strings.HasPrefix(b[1], publish.MarkerFor("web")+"\n### ") {
		t.Fatalf("%d created, %d edited; comments start %q; want api's and web's, api's edited",
			api.Created(), api.Edited(), firstLines(b))
	}
	ids := api.Comments(7)
	url := func(i int) string {
		return "https://github.com/o/r/pull/7#issuecomment-" + itoa(ids[i].ID)
	}
	if out["comment-url"] != url(0) || out2["comment-url"] != url(0) {
		t.Errorf("comment-url %q, then %q; want %q", out["comment-url"], out2["comment-url"], url(0))
	}

	// The publish job's own input wins over the artifact's key.
	_, stderr = run("web", map[string]string{"comment-key": "api"})
	if api.Created() != 2 || api.Edited() != 2 {
		t.Errorf("comment-key api over payload's web: %d created, %d edited; want api's edited",
			api.Created(), api.Edited())
	}
	if !strings.Contains(stderr, "comment-key api (from input comment-key, not payload.json's web)") {
		t.Errorf("the log does not say the input won:\n%s", stderr)
	}
	t.Logf("comment as the fake API holds it:\n%s", bodies(api)[0])
}

// A key-less comment of a version before keys, by the bot, is taken over
// by the default key (the benchmark job's id, from payload.json);
// someone else's key-less comment is not. A payload of that version,
// without a key, keeps the key-less marker, and so the same comment.
func TestPublishModeAdoptsTheKeylessComment(t *testing.T) {
	head := strings.Repeat("b", 40)
	api := githubtest.New(t, "o/r")
	api.AddPull(7, githubtest.Pull{HeadSHA: head, HeadRepo: "fork/r"})
	api.AddComment(7, "mallory", publish.Marker+"\nforged")
	old := api.AddComment(7, githubtest.Bot, publish.Marker+"\nresults of an earlier version")

	e := publishEnv(t, api, head, artifactDir(t, 7, head), nil)
	if code, _, stderr := e.run(t); code != exitOK {
		t.Fatalf("payload without a key: exit %d\n%s", code, stderr)
	}
	c := api.Comments(7)
	if len(c) != 2 || api.Created() != 0 || c[1].ID != old ||
		!strings.HasPrefix(c[1].Body, publish.Marker+"\n### ") {
		t.Fatalf("payload without a key: %d created; comments start %q; want the bot's old one "+
			"edited, key-less", api.Created(), firstLines(bodies(api)))
	}

	e = publishEnv(t, api, head, artifactKeyDir(t, head, "concurrency"), nil)
	code, _, stderr := e.run(t)
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	c = api.Comments(7)
	if len(c) != 2 || api.Created() != 0 || c[1].ID != old ||
		!strings.HasPrefix(c[1].Body, publish.MarkerFor("concurrency")+"\n### ") ||
		c[0].Body != publish.Marker+"\nforged" {
		t.Fatalf("%d created; comments start %q; want the bot's old one rewritten under the key "+
			"concurrency", api.Created(), firstLines(bodies(api)))
	}
	if !strings.Contains(stderr, "took over (from a version before comment keys) the workerbench "+
		"comment by github-actions[bot] on #7") {
		t.Errorf("the log does not say the old comment was taken over:\n%s", stderr)
	}
	if got := e.outputs(t)["comment-url"]; !strings.HasSuffix(got, "#issuecomment-"+itoa(old)) {
		t.Errorf("comment-url %q, want the old comment's", got)
	}
}

// The key in payload.json is hostile text: anything but a valid key is
// refused, naming the field, and nothing is commented.
func TestPublishRejectsHostileCommentKeys(t *testing.T) {
	head := strings.Repeat("b", 40)
	for _, key := range []string{"x -->\n::set-output name=comment-url::https://evil.example",
		"", strings.Repeat("k", 65), "../../other"} {
		api := githubtest.New(t, "o/r")
		dir := artifactDir(t, 7, head)
		path := filepath.Join(dir, publish.PayloadFile)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Replace(string(data), `"body"`, `"comment_key": `+jsonString(key)+`,
  "body"`, 1)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		e := publishEnv(t, api, head, dir, nil)
		code, stdout, stderr := e.run(t)
		if code == exitOK || !strings.Contains(stderr, `field "comment_key"`) {
			t.Errorf("key %q: exit %d; stderr does not name the field:\n%s", key, code, stderr)
		}
		if len(api.Comments(7)) != 0 || strings.Contains(stdout, "::set-output") {
			t.Errorf("key %q: commented, or forged a workflow command", key)
		}
		if data, _ := os.ReadFile(e.output); strings.Contains(string(data), "comment-url") {
			t.Errorf("key %q: comment-url set:\n%s", key, data)
		}
	}
}

// Mode merge keys its comment like a benchmark job, and writes the key
// into its payload.json for a publish job.
func TestActionMergeCommentKeys(t *testing.T) {
	sha, base := strings.Repeat("a", 40), strings.Repeat("b", 40)
	api := githubtest.New(t, "o/r")
	one := map[string]results.Verdict{"1x1": results.Unchanged, "3x1": results.Unchanged}
	two := map[string]results.Verdict{"1x3": results.Unchanged, "3x3": results.Unchanged}
	run := func(inputs map[string]string) *actionEnv {
		t.Helper()
		in := map[string]string{"mode": "merge", "history": "none", "github-token": githubtest.Token}
		for k, v := range inputs {
			in[k] = v
		}
		e := newActionEnv(t, api, t.TempDir(), "pull_request", prEventJSON(base, sha), in)
		e.vars["GITHUB_JOB"] = "comment"
		for i, cells := range []map[string]results.Verdict{one, two} {
			dst := filepath.Join(e.resultsDir, "workerbench-"+itoa(int64(i+1)))
			if err := os.MkdirAll(e.resultsDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(shardDir(t, i+1, sha, cells), dst); err != nil {
				t.Fatal(err)
			}
		}
		if code, _, stderr := e.run(t); code != exitOK {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		return e
	}
	e := run(nil)
	if p, err := publish.ReadPayload(e.resultsDir); err != nil || p.Key != "comment" {
		t.Errorf("payload %+v, %v; want the key comment (the job id)", p, err)
	}
	run(map[string]string{"comment-key": "web"})
	e = run(map[string]string{"comment-key": "web"})
	b := bodies(api)
	if len(b) != 2 || api.Created() != 2 || api.Edited() != 1 ||
		!strings.HasPrefix(b[0], publish.MarkerFor("comment")+"\n") ||
		!strings.HasPrefix(b[1], publish.MarkerFor("web")+"\n") {
		t.Fatalf("%d created, %d edited; comments start %q", api.Created(), api.Edited(),
			firstLines(b))
	}
	want := "https://github.com/o/r/pull/7#issuecomment-" + itoa(api.Comments(7)[1].ID)
	if got := e.outputs(t)["comment-url"]; got != want {
		t.Errorf("comment-url %q, want %q", got, want)
	}
}

// Two benchmark jobs with different keys keep two comments; the same key
// edits its own, and a key-less comment of an earlier version is taken
// over by the first key. The key is in payload.json, and comment-url
// names each run's comment.
func TestActionCommentKeys(t *testing.T) {
	needGunicorn(t)
	repo := newTestRepo(t)
	api := githubtest.New(t, "o/r")
	ev := prEventJSON(repo.base, repo.head)
	run := func(job, key string) *actionEnv {
		t.Helper()
		in := plainInputs()
		in["history"] = "none"
		in["comment-key"] = key
		e := newActionEnv(t, api, repo.dir, "pull_request", ev, in)
		e.vars["GITHUB_JOB"] = job
		code, stdout, stderr := e.run(t)
		e.assertNoToken(t, stdout, stderr)
		if code != exitOK {
			t.Fatalf("job %s: exit %d\n%s", job, code, stderr)
		}
		return e
	}
	api.AddComment(7, githubtest.Bot, publish.Marker+"\nresults of an earlier version")
	py := run("bench", "python")
	node := run("bench", "node")
	py2 := run("bench", "python")
	b := bodies(api)
	if len(b) != 2 || api.Created() != 1 || api.Edited() != 2 ||
		!strings.HasPrefix(b[0], publish.MarkerFor("python")+"\n") ||
		!strings.HasPrefix(b[1], publish.MarkerFor("node")+"\n") {
		t.Fatalf("%d created, %d edited; comments start %q; want python's (the old one taken "+
			"over, then edited) and node's", api.Created(), api.Edited(), firstLines(b))
	}
	ids := api.Comments(7)
	for i, e := range []*actionEnv{py, node, py2} {
		want := "https://github.com/o/r/pull/7#issuecomment-" + itoa(ids[[]int{0, 1, 0}[i]].ID)
		if got := e.outputs(t)["comment-url"]; got != want {
			t.Errorf("run %d: comment-url %q, want %q", i+1, got, want)
		}
	}
	if p, err := publish.ReadPayload(node.resultsDir); err != nil || p.Key != "node" {
		t.Errorf("payload %+v, %v; want the key node", p, err)
	}
	t.Logf("python's comment as the fake API holds it:\n%s", b[0])
}

func TestActionBadCommentKeyAndRetention(t *testing.T) {
	api := githubtest.New(t, "o/r")
	sha := strings.Repeat("a", 40)
	for _, tt := range []struct {
		event  string
		inputs map[string]string
		want   string
	}{
		{"pull_request", map[string]string{"command": "x {bind}", "comment-key": "my api"},
			`input comment-key "my api": want 1 to 64 of A-Z a-z 0-9 . _ -`},
		{"pull_request", map[string]string{"command": "x {bind}", "comment-key": "a-->b"},
			`input comment-key "a-->b"`},
		{"pull_request", map[string]string{"mode": "merge", "comment-key": strings.Repeat("k", 65)},
			`input comment-key "kkkk`},
		{"workflow_run", map[string]string{"mode": "publish", "results-dir": "x",
			"comment-key": "é"}, `input comment-key "é"`},
		{"push", map[string]string{"command": "x {bind}", "retention-days": "a week"},
			`input retention-days "a week": want a number of days`},
		{"push", map[string]string{"mode": "merge", "retention-days": "-1"},
			`input retention-days "-1"`},
	} {
		tt.inputs["github-token"] = githubtest.Token
		var event any = prEventJSON(sha, sha)
		if tt.event == "workflow_run" {
			event = workflowRunEvent(sha)
		}
		e := newActionEnv(t, api, t.TempDir(), tt.event, event, tt.inputs)
		code, stdout, stderr := e.run(t)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, want %d; stderr lacks %q:\n%s", tt.inputs, code, exitUsage,
				tt.want, stderr)
		}
		e.assertNoToken(t, stdout, stderr)
	}
	if n := len(api.Requests()); n != 0 {
		t.Errorf("%d requests to the API, want none before the inputs are checked", n)
	}
}

// action.yml passes retention-days to the upload and its artifact-url and
// the run step's comment-url out.
func TestActionYMLArtifactOutputs(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Outputs map[string]struct{ Value string } `yaml:"outputs"`
		Runs    struct {
			Steps []struct {
				ID   string            `yaml:"id"`
				Uses string            `yaml:"uses"`
				With map[string]string `yaml:"with"`
			} `yaml:"steps"`
		} `yaml:"runs"`
	}
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"comment-url":  "${{ steps.run.outputs.comment-url }}",
		"artifact-url": "${{ steps.upload.outputs.artifact-url }}",
	} {
		if got := a.Outputs[name].Value; got != want {
			t.Errorf("output %s = %q, want %q", name, got, want)
		}
	}
	uploads := 0
	for _, s := range a.Runs.Steps {
		if strings.HasPrefix(s.Uses, "actions/upload-artifact@") {
			uploads++
			if s.ID != "upload" || s.Uses != "actions/upload-artifact@v4" ||
				s.With["retention-days"] != "${{ inputs.retention-days }}" {
				t.Errorf("upload step: id %q, uses %q, retention-days %q", s.ID, s.Uses,
					s.With["retention-days"])
			}
		}
	}
	if uploads != 1 {
		t.Errorf("%d upload steps, want 1", uploads)
	}
}

func firstLines(bodies []string) []string {
	var out []string
	for _, b := range bodies {
		first, _, _ := strings.Cut(b, "\n")
		out = append(out, first)
	}
	return out
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func jsonString(s string) string {
	data, _ := json.Marshal(s)
	return string(data)
}
