package publish

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"a", "py3.12", "api_v2-node", strings.Repeat("k", MaxKeyLen)} {
		if !ValidKey(k) {
			t.Errorf("ValidKey(%q) = false", k)
		}
		if MarkerFor(k) != "<!-- workerbench:concurrency:"+k+" -->" {
			t.Errorf("MarkerFor(%q) = %q: a valid key is written as it is", k, MarkerFor(k))
		}
	}
	for _, k := range []string{"", "a b", "-->", "a/b", "é", "x\n", strings.Repeat("k", MaxKeyLen+1)} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true", k)
		}
	}
}

// Two keys keep two comments, each edited in place on the next run, and
// a key-less comment of an earlier version is adopted by the first keyed
// Commenter and rewritten under its marker, while the other posts its own.
func TestUpsertKeysAdoptTheKeylessComment(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	ctx := context.Background()
	f.AddComment(7, "mallory", Marker+"\nforged") // not ours: passed over
	old := f.AddComment(7, githubtest.Bot, Marker+"\nresults of v1.2")
	api := newTestCommenter(f, &sleeps{}, WithKey("api"))
	web := newTestCommenter(f, &sleeps{}, WithKey("web"))

	got, err := api.Upsert(ctx, 7, "api run 1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != old || got.Created || !got.Adopted || len(got.Ignored) != 1 {
		t.Errorf("api's first Upsert = %+v, want the old comment %d adopted, mallory's ignored",
			got, old)
	}
	got, err = web.Upsert(ctx, 7, "web run 1")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created || got.Adopted {
		t.Errorf("web's first Upsert = %+v, want a new comment", got)
	}
	for name, c := range map[string]*Commenter{"api": api, "web": web} {
		got, err := c.Upsert(ctx, 7, name+" run 2")
		if err != nil {
			t.Fatal(err)
		}
		if got.Created || got.Adopted {
			t.Errorf("second Upsert = %+v, want an edit of its own comment", got)
		}
	}
	var bodies []string
	for _, c := range f.Comments(7) {
		bodies = append(bodies, c.Body)
	}
	want := []string{
		Marker + "\nforged",
		"<!-- workerbench:concurrency:api -->\napi run 2",
		"<!-- workerbench:concurrency:web -->\nweb run 2",
	}
	if !slices.Equal(bodies, want) {
		t.Errorf("comments = %q, want %q", bodies, want)
	}
	if f.Created() != 1 || f.Edited() != 3 {
		t.Errorf("%d created, %d edited; want 1, 3", f.Created(), f.Edited())
	}
}

// A keyed comment is preferred to an older key-less one, and Update (for
// comment: on-regression) adopts the key-less one as Upsert does.
func TestKeyedCommentBeforeKeyless(t *testing.T) {
	t.Parallel()
	f := githubtest.New(t, "o/r")
	ctx := context.Background()
	keyless := f.AddComment(7, githubtest.Bot, Marker+"\nold")
	keyed := f.AddComment(7, githubtest.Bot, MarkerFor("api")+"\napi")
	got, err := newTestCommenter(f, &sleeps{}, WithKey("api")).Upsert(ctx, 7, "new")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != keyed || got.Adopted {
		t.Errorf("Upsert = %+v, want its own comment %d", got, keyed)
	}
	got, found, err := newTestCommenter(f, &sleeps{}, WithKey("web")).Update(ctx, 7, "web")
	if err != nil || !found || got.ID != keyless || !got.Adopted {
		t.Errorf("Update = %+v, %v, %v; want the key-less comment %d adopted", got, found, err,
			keyless)
	}
	if b := f.Comments(7)[0].Body; b != MarkerFor("web")+"\nweb" {
		t.Errorf("adopted comment = %q", b)
	}
	// Without a key the marker is the key-less one, and nothing is adopted.
	got, err = newTestCommenter(f, &sleeps{}).Upsert(ctx, 7, "plain")
	if err != nil || !got.Created || got.Adopted {
		t.Errorf("key-less Upsert = %+v, %v; want a new comment", got, err)
	}
}

func TestPayloadKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	want := Payload{PR: 42, HeadSHA: sha1, Body: "results", Key: "py3.12"}
	if err := WritePayload(dir, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPayload(dir)
	if err != nil || got != want {
		t.Errorf("ReadPayload = %+v, %v; want %+v", got, err, want)
	}
	data, _ := os.ReadFile(filepath.Join(dir, PayloadFile))
	if !strings.Contains(string(data), `"comment_key": "py3.12"`) {
		t.Errorf("payload.json lacks the key:\n%s", data)
	}

	// No key: the field is left out, as versions before keys wrote it.
	want.Key = ""
	if err := WritePayload(dir, want); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(filepath.Join(dir, PayloadFile))
	if strings.Contains(string(data), "comment_key") {
		t.Errorf("payload.json without a key names one:\n%s", data)
	}
	if got, err := ReadPayload(dir); err != nil || got != want {
		t.Errorf("ReadPayload = %+v, %v; want %+v", got, err, want)
	}

	if err := WritePayload(dir, Payload{PR: 1, HeadSHA: sha1, Body: "x", Key: "a b"}); err == nil {
		t.Error("WritePayload accepted the key \"a b\"")
	}
}

func TestReadPayloadRejectsHostileKeys(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		key  any
		want string
	}{
		{"", `field "comment_key": empty`},
		{"x -->\n<img src=x>", `field "comment_key": want 1 to 64 of A-Z a-z 0-9 . _ -, got "x -->\n<img`},
		{"::set-output name=a::b", `field "comment_key": want 1 to 64`},
		{strings.Repeat("k", 65), `field "comment_key": want 1 to 64`},
		{strings.Repeat("\u202e", 500), `… (1500 bytes)`},
		{7, `field "comment_key": want string, got number`},
	} {
		dir := t.TempDir()
		text := payloadJSONText(t, map[string]any{"comment_key": tt.key})
		if err := os.WriteFile(filepath.Join(dir, PayloadFile), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadPayload(dir)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("key %q: ReadPayload error = %v, want it to contain %q", tt.key, err, tt.want)
		}
		if err != nil && len(err.Error()) > 400 {
			t.Errorf("key %q: error is %d bytes long; untrusted text must be clipped", tt.key,
				len(err.Error()))
		}
	}
}
