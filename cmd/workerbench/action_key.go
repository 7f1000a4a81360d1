package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"

	"github.com/workerbench/workerbench/bench/history"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// defaultArtifactName is action.yml's default for artifact-name.
const defaultArtifactName = "workerbench"

// commentKey is the key that tells this job's sticky comment from other
// workerbench jobs' on the same pull request (publish.WithKey).
type commentKey struct {
	key  string // "" only outside Actions: the key-less marker
	from string // where it came from, for the log
}

// commentKeyOf resolves the comment key of a benchmark or merge job: the
// comment-key input, else history-series when not the default, else
// artifact-name when not the default, else the job's id (GITHUB_JOB).
// Each names what sets one benchmark apart: its series, its artifact
// (unique per job of a run), its job. A plain single job is keyed by its
// job id, and its comment of a version before keys, under the key-less
// marker, is adopted on its first run (publish.Commenter), so upgrading
// leaves no orphan. A derived value that is not a valid key is made one
// (keyFrom); the input must be one.
func commentKeyOf(in actionInputs, getenv func(string) string) (commentKey, error) {
	if in.CommentKey != "" {
		if !publish.ValidKey(in.CommentKey) {
			return commentKey{}, fmt.Errorf("input comment-key %q: want 1 to %d of A-Z a-z 0-9 "+
				". _ -, e.g. api or py3.12", in.CommentKey, publish.MaxKeyLen)
		}
		return commentKey{in.CommentKey, "input comment-key"}, nil
	}
	switch {
	case in.HistorySeries != "" && in.HistorySeries != history.DefaultSeries:
		return commentKey{keyFrom(in.HistorySeries), "input history-series"}, nil
	case in.ArtifactName != "" && in.ArtifactName != defaultArtifactName:
		return commentKey{keyFrom(in.ArtifactName), "input artifact-name"}, nil
	case getenv("GITHUB_JOB") != "":
		return commentKey{keyFrom(getenv("GITHUB_JOB")), "the job id"}, nil
	}
	return commentKey{}, nil
}

// publishKeyOf is the comment key of mode publish: the comment-key input
// when given, which wins over the artifact's; else the key the benchmark
// job wrote into payload.json (untrusted, but validated by ReadPayload);
// else none, the key-less marker: the payload is of a version before
// keys, whose comments carry that marker.
func publishKeyOf(in actionInputs, getenv func(string) string, p publish.Payload) (commentKey, error) {
	switch {
	case in.CommentKey != "":
		k, err := commentKeyOf(in, getenv)
		if err == nil && p.Key != "" && p.Key != k.key {
			k.from += fmt.Sprintf(", not payload.json's %s", p.Key)
		}
		return k, err
	case p.Key != "":
		if !publish.ValidKey(p.Key) { // ReadPayload checked it; so does this
			return commentKey{}, fmt.Errorf("payload.json: comment key %s is not valid",
				strconv.QuoteToASCII(p.Key))
		}
		return commentKey{p.Key, "payload.json (the benchmark job's)"}, nil
	}
	return commentKey{}, nil
}

// keyFrom makes s a valid key: s itself when it is one, else s with every
// byte outside A-Z a-z 0-9 . _ - as "-", cut to leave room for "-" and 8
// hex digits of s's SHA-256, so that names that differ keep different
// keys.
func keyFrom(s string) string {
	if publish.ValidKey(s) {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if !publish.ValidKey(string(c)) {
			b[i] = '-'
		}
	}
	sum := sha256.Sum256([]byte(s))
	return string(b[:min(len(b), publish.MaxKeyLen-9)]) + "-" + hex.EncodeToString(sum[:4])
}

// retentionInput checks retention-days, which the upload step passes to
// actions/upload-artifact: empty or 0 for the repository's default, else
// a number of days, which GitHub caps at the repository's limit. Checked
// here, before measuring, since the upload comes after.
func retentionInput(v string) error {
	if v == "" {
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 100000 {
		return fmt.Errorf("input retention-days %q: want a number of days, e.g. 7 "+
			"(empty or 0: the repository's default)", v)
	}
	return nil
}
