package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// e2eTwoServicesWorkflow is a pull request benchmarked by two jobs, one
// per service of the repository, each with its own comment-key (here both
// serve the example app, measured once: no baseline, one 1x1 trial).
const e2eTwoServicesWorkflow = `name: two services
on: pull_request
permissions: { contents: read, pull-requests: write }
jobs:
  python:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: workerbench/workerbench@e2e
        id: bench
        with:
          command: /usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} app:app
          working-directory: app
          matrix: 1x1
          baseline: none
          ` + e2eTiny + `
          comment-key: python
          artifact-name: workerbench-python
          retention-days: 3
      - env:
          COMMENT_URL: ${{ steps.bench.outputs.comment-url }}
          ARTIFACT_URL: ${{ steps.bench.outputs.artifact-url }}
        run: echo "outputs of python comment-url=$COMMENT_URL artifact-url=$ARTIFACT_URL"
  node:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: workerbench/workerbench@e2e
        id: bench
        with:
          command: /usr/bin/gunicorn --bind {bind} --workers {workers} --threads {threads} app:app
          working-directory: app
          matrix: 1x1
          baseline: none
          ` + e2eTiny + `
          comment-key: node
          artifact-name: workerbench-node
      - env:
          COMMENT_URL: ${{ steps.bench.outputs.comment-url }}
          ARTIFACT_URL: ${{ steps.bench.outputs.artifact-url }}
        run: echo "outputs of node comment-url=$COMMENT_URL artifact-url=$ARTIFACT_URL"
`

// uploadWithURLAction is the upload-artifact stand-in of e2e_test.go with
// what actions/upload-artifact@v4 adds: the retention-days input (logged)
// and the artifact-url output.
const uploadWithURLAction = `name: upload-artifact stand-in
description: copies path into the run's artifact directory and names its URL
inputs:
  name: { description: artifact name, default: artifact }
  path: { description: what to upload, default: '' }
  if-no-files-found: { description: ignored, default: '' }
  retention-days: { description: logged, default: '' }
outputs:
  artifact-url:
    description: where the artifact is
    value: ${{ steps.up.outputs.artifact-url }}
runs:
  using: composite
  steps:
    - id: up
      shell: bash
      env:
        NAME: ${{ inputs.name }}
        SRC: ${{ inputs.path }}
        RETENTION: ${{ inputs.retention-days }}
      run: |
        if [ -n "$WORKERBENCH_E2E_ARTIFACTS" ] && [ -d "$SRC" ]; then
          mkdir -p "$WORKERBENCH_E2E_ARTIFACTS/$NAME"
          cp -a "$SRC/." "$WORKERBENCH_E2E_ARTIFACTS/$NAME/"
          echo "uploaded artifact $NAME (retention-days '$RETENTION')"
          echo "artifact-url=https://github.example/artifacts/$NAME" >> "$GITHUB_OUTPUT"
        fi
`

// TestE2EActCommentKeys runs a pull request benchmarked by two jobs with
// different comment-keys under act, twice: the first run leaves two
// comments, one per key, and the second edits each in place. Each job's
// comment-url output names its own comment, and artifact-url its
// artifact, uploaded with the retention-days given.
func TestE2EActCommentKeys(t *testing.T) {
	e := newE2E(t)
	e.workflow = filepath.Join(e.root, "workflows", "two-services.yml")
	writeFile(t, e.workflow, e2eTwoServicesWorkflow)
	stub := filepath.Join(e.root, "stubs", "actions_upload-artifact_v4", "action.yml")
	if _, err := os.Stat(stub); err != nil {
		t.Fatalf("the upload-artifact stand-in moved: %v", err)
	}
	writeFile(t, stub, uploadWithURLAction)

	for run, edits := range []int{0, 2} {
		out, _ := e.actRun(t, []string{"first", "second"}[run], true, nil)
		comments := e.api.Comments(7)
		if len(comments) != 2 || e.api.Created() != 2 || e.api.Edited() != edits {
			t.Fatalf("run %d: %d comments, %d created, %d edited; want 2, 2, %d\n%s", run+1,
				len(comments), e.api.Created(), e.api.Edited(), edits, out)
		}
		byKey := map[string]string{}
		for _, c := range comments {
			marker, rest, _ := strings.Cut(c.Body, "\n")
			for _, key := range []string{"python", "node"} {
				if marker == publish.MarkerFor(key) {
					byKey[key] = "https://github.com/" + e2eRepo + "/pull/7#issuecomment-" +
						itoa(c.ID)
				}
			}
			if !strings.HasPrefix(rest, "### ") || !strings.Contains(rest, "| 1x1 |") {
				t.Errorf("run %d: comment %q is not a report of 1x1:\n%s", run+1, marker, c.Body)
			}
		}
		for _, key := range []string{"python", "node"} {
			if byKey[key] == "" {
				t.Fatalf("run %d: no comment with %s's marker: %q", run+1, key,
					firstLines(bodies(e.api)))
			}
			want := "outputs of " + key + " comment-url=" + byKey[key] +
				" artifact-url=https://github.example/artifacts/workerbench-" + key
			if !strings.Contains(out, want) {
				t.Errorf("run %d: the log lacks %q:\n%s", run+1, want, out)
			}
			if !strings.Contains(out, "comment-key "+key+" (from input comment-key)") {
				t.Errorf("run %d: the log does not name the key %s", run+1, key)
			}
		}
		for _, want := range []string{"uploaded artifact workerbench-python (retention-days '3')",
			"uploaded artifact workerbench-node (retention-days '')"} {
			if !strings.Contains(out, want) {
				t.Errorf("run %d: the log lacks %q", run+1, want)
			}
		}
	}
	t.Logf("the comments as the fake API holds them:\n%s\n\n%s", e.api.Comments(7)[0].Body,
		e.api.Comments(7)[1].Body)
}
