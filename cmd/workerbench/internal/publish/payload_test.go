package publish

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
)

const (
	sha1 = "0123456789abcdef0123456789abcdef01234567"
	sha2 = "fedcba9876543210fedcba9876543210fedcba98"
)

func TestPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := Payload{PR: 42, HeadSHA: sha1, Body: "## workerbench\n\n| 3x3 | 44.9 rps |\n"}
	if err := WritePayload(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPayload(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("ReadPayload = %+v, want %+v", got, want)
	}
	data, err := os.ReadFile(filepath.Join(dir, PayloadFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"schema": "workerbench/payload/v1"`) {
		t.Errorf("payload.json lacks the schema:\n%s", data)
	}
}

func TestWritePayloadValidates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := WritePayload(dir, Payload{PR: 0, HeadSHA: sha1, Body: "x"})
	if err == nil || !strings.Contains(err.Error(), `field "pr"`) {
		t.Errorf("WritePayload(PR 0) = %v, want a pr error", err)
	}
	if _, err := os.Stat(filepath.Join(dir, PayloadFile)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an invalid payload was written (stat: %v)", err)
	}
}

// payloadJSONText builds a payload file from fields, overriding the valid
// defaults; a nil value removes the field.
func payloadJSONText(t *testing.T, fields map[string]any) string {
	t.Helper()
	m := map[string]any{"schema": PayloadSchema, "pr": 42, "head_sha": sha1, "body": "results"}
	for k, v := range fields {
		if v == nil {
			delete(m, k)
			continue
		}
		m[k] = v
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestReadPayloadRejectsHostileFiles(t *testing.T) {
	t.Parallel()
	with := func(field string, v any) string {
		return payloadJSONText(t, map[string]any{field: v})
	}
	tests := []struct {
		name    string
		content string
		want    string // substring of the error
	}{
		{"PR as string", with("pr", "42"), `field "pr": want int, got string`},
		{"PR as float", with("pr", 4.5), `field "pr": want int, got number 4.5`},
		{"PR overflowing int", `{"schema":"workerbench/payload/v1","pr":99999999999999999999999,` +
			`"head_sha":"` + sha1 + `","body":"x"}`, `field "pr": want int`},
		{"PR zero", with("pr", 0), `field "pr": 0 is outside 1..1000000000`},
		{"PR negative", with("pr", -3), `field "pr": -3 is outside`},
		{"PR too large", with("pr", 1_000_000_001), `field "pr": 1000000001 is outside`},
		{"PR missing", with("pr", nil), `field "pr": missing`},
		{"PR null", `{"schema":"workerbench/payload/v1","pr":null,` +
			`"head_sha":"` + sha1 + `","body":"x"}`, `field "pr": missing`},
		{"body as number", with("body", 7), `field "body": want string, got number`},
		{"body empty", with("body", ""), `field "body": empty`},
		{"body too long", with("body", strings.Repeat("é", MaxCommentChars+1)),
			`field "body": 65537 characters`},
		{"SHA short", with("head_sha", "abc123"),
			`field "head_sha": want 40 lowercase hex digits, got "abc123"`},
		{"SHA upper case", with("head_sha", strings.ToUpper(sha1)), `field "head_sha": want 40`},
		{"SHA with workflow command", with("head_sha", "x\n::set-output name=a::b"),
			`got "x\n::set-output`},
		{"schema wrong", with("schema", "other/v9"),
			`field "schema": want "workerbench/payload/v1", got "other/v9"`},
		{"schema missing", with("schema", nil), `field "schema": missing`},
		{"extra field", with("token", "x"), `unknown field "token"`},
		{"top-level array", `[1,2]`, `want a JSON object, got array`},
		{"top-level null", `null`, `field "schema": missing`},
		{"trailing data", payloadJSONText(t, nil) + `{"pr":1}`,
			`unexpected data after the JSON object`},
		{"syntax error", `{"pr":`, `incomplete JSON`},
		{"not JSON", `pr=1`, `invalid JSON at byte 1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, PayloadFile)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadPayload(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadPayload error = %v, want it to contain %q", err, tt.want)
			}
			if err != nil && len(err.Error()) > 400 {
				t.Errorf("error is %d bytes long; untrusted text must be clipped", len(err.Error()))
			}
		})
	}
}

func TestReadPayloadRejectsHugeAndSpecialFiles(t *testing.T) {
	t.Parallel()
	t.Run("huge file", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, PayloadFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(1 << 30); err != nil { // sparse: 1 GiB on paper
			t.Fatal(err)
		}
		f.Close()
		_, err = ReadPayload(dir)
		const want = "1073741824 bytes, more than the 1048576 allowed"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadPayload error = %v, want a size error", err)
		}
	})
	t.Run("custom limit", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		p := Payload{PR: 1, HeadSHA: sha1, Body: strings.Repeat("x", 500)}
		if err := WritePayload(dir, p); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPayload(dir, WithMaxBytes(100))
		if err == nil || !strings.Contains(err.Error(), "more than the 100 allowed") {
			t.Errorf("ReadPayload error = %v, want a size error", err)
		}
	})
	t.Run("symlink", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		target := filepath.Join(t.TempDir(), "secret.json")
		secret := filepath.Dir(target)
		if err := WritePayload(secret, Payload{PR: 1, HeadSHA: sha1, Body: "x"}); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, PayloadFile)
		if err := os.Symlink(filepath.Join(secret, PayloadFile), link); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPayload(dir)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ReadPayload error = %v, want a refusal to follow the symlink", err)
		}
	})
	t.Run("FIFO", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		if err := syscall.Mkfifo(filepath.Join(dir, PayloadFile), 0o644); err != nil {
			t.Skip("mkfifo:", err)
		}
		_, err := ReadPayload(dir) // must not block
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("ReadPayload error = %v, want not a regular file", err)
		}
	})
	t.Run("missing", func(t *testing.T) {
		t.Parallel()
		_, err := ReadPayload(t.TempDir())
		if !errors.Is(err, os.ErrNotExist) {
			t.Errorf("ReadPayload error = %v, want ErrNotExist", err)
		}
	})
}

func FuzzDecodePayload(f *testing.F) {
	f.Add([]byte(`{"schema":"workerbench/payload/v1","pr":42,"head_sha":"` + sha1 +
		`","body":"x"}`))
	f.Add([]byte(`{"pr":"1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := decodePayload(data)
		if err != nil {
			return
		}
		if verr := p.validate(); verr != nil {
			t.Fatalf("accepted an invalid payload %+v: %v", p, verr)
		}
	})
}

const sameRepoEvent = `{
  "action": "completed",
  "repository": {"id": 100, "full_name": "o/r"},
  "workflow_run": {
    "event": "pull_request",
    "head_sha": "` + sha1 + `",
    "head_repository": {"full_name": "o/r"},
    "pull_requests": [
      {"number": 42, "base": {"repo": {"id": 100}}},
      {"number": 9, "base": {"repo": {"id": 555}}}
    ]
  }
}`

const forkEvent = `{
  "action": "completed",
  "repository": {"id": 100, "full_name": "o/r"},
  "workflow_run": {
    "event": "pull_request",
    "head_sha": "` + sha1 + `",
    "head_repository": {"full_name": "forker/r"},
    "pull_requests": []
  }
}`

func TestParseRunEvent(t *testing.T) {
	t.Parallel()
	ev, err := ParseRunEvent([]byte(sameRepoEvent))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Repo != "o/r" || ev.HeadSHA != sha1 || ev.HeadRepo != "o/r" ||
		len(ev.PullRequests) != 1 || ev.PullRequests[0] != 42 {
		t.Errorf("ParseRunEvent = %+v, want PR 42 only (9 is based on another repository)", ev)
	}
	for name, bad := range map[string]string{
		"push event":   `{"repository":{"full_name":"o/r"},"pull_request":{}}`,
		"bad head_sha": `{"repository":{"full_name":"o/r"},"workflow_run":{"head_sha":"main"}}`,
		"no repo":      `{"workflow_run":{"head_sha":"` + sha1 + `"}}`,
	} {
		if _, err := ParseRunEvent([]byte(bad)); err == nil {
			t.Errorf("%s: ParseRunEvent succeeded", name)
		}
	}
	path := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(path, []byte(forkEvent), 0o644); err != nil {
		t.Fatal(err)
	}
	fork, err := ReadRunEvent(path)
	if err != nil {
		t.Fatal(err)
	}
	if fork.HeadRepo != "forker/r" || len(fork.PullRequests) != 0 {
		t.Errorf("ReadRunEvent = %+v, want a fork event without pull requests", fork)
	}
}

func TestVerifyPayload(t *testing.T) {
	t.Parallel()
	same, err := ParseRunEvent([]byte(sameRepoEvent))
	if err != nil {
		t.Fatal(err)
	}
	fork, err := ParseRunEvent([]byte(forkEvent))
	if err != nil {
		t.Fatal(err)
	}
	pull := func(sha, repo string) githubtest.Pull {
		return githubtest.Pull{HeadSHA: sha, HeadRepo: repo}
	}
	pay := func(pr int, sha string) Payload { return Payload{PR: pr, HeadSHA: sha, Body: "x"} }
	tests := []struct {
		name    string
		ev      RunEvent
		p       Payload
		pulls   map[int]githubtest.Pull
		noAPI   bool
		want    string // error substring; "" for success
		wantGet int
	}{
		{name: "same repo match", ev: same, p: pay(42, sha1), noAPI: true},
		{name: "same repo, PR not listed", ev: same, p: pay(9, sha1), noAPI: true,
			want: "pr #9 is not among workflow_run.pull_requests [42]"},
		{name: "SHA mismatch", ev: same, p: pay(42, sha2), noAPI: true,
			want: "head_sha " + sha2 + " does not match workflow_run.head_sha " + sha1},
		{name: "fork confirmed by API", ev: fork, p: pay(42, sha1),
			pulls: map[int]githubtest.Pull{42: pull(sha1, "forker/r")}, wantGet: 1},
		{name: "fork PR head moved on", ev: fork, p: pay(42, sha1),
			pulls: map[int]githubtest.Pull{42: pull(sha2, "forker/r")}, wantGet: 1,
			want: "pull request #42 head is " + sha2},
		{name: "fork payload names another PR", ev: fork, p: pay(43, sha1),
			pulls: map[int]githubtest.Pull{43: pull(sha1, "someone/else")}, wantGet: 1,
			want: `comes from "someone/else", not workflow_run.head_repository "forker/r"`},
		{name: "fork PR does not exist", ev: fork, p: pay(44, sha1), wantGet: 1,
			want: "get pull request #44"},
		{name: "fork without client", ev: fork, p: pay(42, sha1), noAPI: true,
			want: "workflow_run.pull_requests is empty (fork pull request)"},
		{name: "invalid payload", ev: same, p: pay(-1, sha1), noAPI: true,
			want: `field "pr"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := githubtest.New(t, "o/r")
			for n, pr := range tt.pulls {
				f.AddPull(n, pr)
			}
			var prs PullRequestGetter
			if !tt.noAPI {
				prs = f.Client().PullRequests
			}
			err := VerifyPayload(context.Background(), tt.ev, tt.p, prs)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("VerifyPayload = %v, want success", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("VerifyPayload = %v, want an error containing %q", err, tt.want)
			}
			if got := len(f.Requests()); got != tt.wantGet {
				t.Errorf("API requests = %d, want %d", got, tt.wantGet)
			}
		})
	}
}
