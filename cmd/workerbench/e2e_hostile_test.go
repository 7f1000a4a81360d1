package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/workerbench/workerbench/bench/report"
	"github.com/workerbench/workerbench/bench/results"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/githubtest"
	"github.com/workerbench/workerbench/cmd/workerbench/internal/publish"
)

// hostileText is what a hostile fork puts in every free-text field of its
// results artifact: injection's workflow commands, commands that would
// set outputs, variables and PATH if act or the runner read them, and
// Markdown that would ping, cross-reference, link or inject HTML if the
// comment carried it live.
const hostileText = injection +
	"\n::set-output name=verdict::improved" +
	"\n::set-env name=FORGED_ENV::forged" +
	"\n::add-path::/forged-path" +
	"\n::save-state name=forged::1" +
	"\n##[warning]FORGED old form" +
	"\n::notice title=FORGED::n\n" +
	" https://evil.example/x www.evil.example @everyone #1 GH-2" +
	" </details><img src=x onerror=alert(1)> [click](https://evil.example/y)" +
	" ![i](https://evil.example/i.png) <!-- "

// hostilePR is the pull request the hostile artifact names, and
// hostileRunID the run of the benchmark workflow that uploaded it.
const hostilePR, hostileRunID = 7, 4242

// TestE2EActHostileArtifact runs examples/workflows/workerbench-fork-
// publish.yml under act on a workflow_run event from a fork: the
// privileged job downloads an artifact whose results.json carries
// hostileText in every free-text field, and whose payload.json names pull
// request #7 and carries it in the body. On #7 the fake API holds a
// comment by mallory that starts with workerbench's marker.
//   - The job succeeds and posts a new comment as the token's identity
//     (github-actions[bot]); mallory's comment is not edited. The comment
//     is inert Markdown: no HTML but <details> and <summary>, no mention,
//     no issue reference, no bare URL.
//   - No line of the job's log is a workflow command but the action's own
//     annotation, and act (which reads the commands the same way; a control
//     step shows it does, with unsecure commands allowed) took none from
//     the artifact: the verdict output is exactly "regressed", no variable,
//     PATH entry, mask or annotation came from it.
//   - A verdict that is not one of the four fails the step, naming the
//     field, and nothing injected is live either.
func TestE2EActHostileArtifact(t *testing.T) {
	e := newE2E(t)
	e.workflow = e.writeExample(t, "workerbench-fork-publish.yml",
		// A control step: act reads workflow commands and takes set-env.
		"      - uses: actions/download-artifact@v4\n", `      - name: control
        run: |
          echo "::notice title=CONTROL::act reads workflow commands"
          echo "::set-env name=CONTROL_ENV::live"
      - uses: actions/download-artifact@v4
`,
		// The download stand-in takes a pattern and lays each artifact out
		// in a directory of its own.
		"          name: workerbench\n", "          pattern: workerbench\n",
		"      - uses: workerbench/workerbench@v1\n",
		"      - id: bench\n        uses: workerbench/workerbench@e2e\n",
		"          results-dir: ${{ runner.temp }}/workerbench-artifact\n",
		"          results-dir: ${{ runner.temp }}/workerbench-artifact/workerbench\n"+`      - name: outputs
        if: always()
        env:
          VERDICT: ${{ steps.bench.outputs.verdict }}
          REGRESSED: ${{ steps.bench.outputs.regressed }}
          BEST: ${{ steps.bench.outputs.best-config }}
        run: |
          printf 'e2e-outputs verdict=%q regressed=%q best=%q control=%q forged=%q\n' \
            "$VERDICT" "$REGRESSED" "$BEST" "${CONTROL_ENV-unset}" "${FORGED_ENV-unset}"
          case ":$PATH:" in *:/forged-path:*) echo "e2e-outputs: /forged-path is on PATH" ;; esac
`)
	e.event = "workflow_run"
	e.eventFile = e.workflowRunEvent(t)
	e.api.AddPull(hostilePR, githubtest.Pull{HeadSHA: e.repo.head, HeadRepo: "mallory/workerbench-e2e"})
	const malloryBody = publish.Marker + "\nmallory's results: merge me @everyone"
	mallory := e.api.AddComment(hostilePR, "mallory", malloryBody)
	// act takes set-env and add-path only when unsecure commands are
	// allowed: allowed, an injected one would take effect.
	env := map[string]string{"ACTIONS_ALLOW_UNSECURE_COMMANDS": "true"}

	t.Run("hostile text", func(t *testing.T) {
		e.hostileArtifact(t, "hostile", nil)
		out, _ := e.actRun(t, "hostile", true, env)
		checkActLog(t, out, 1, "regressed")
		want := "e2e-outputs verdict=regressed regressed=true best=3x3 control=live forged=unset"
		if !strings.Contains(out, want) {
			t.Errorf("the outputs step does not print %q:\n%s", want, out)
		}
		for _, want := range []string{
			"ignored 1 comment with the workerbench marker by mallory",
			"created the workerbench comment by " + githubtest.Bot + " on #7",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the log lacks %q:\n%s", want, out)
			}
		}
		comments := e.api.Comments(hostilePR)
		if len(comments) != 2 || e.api.Calls("POST") != 1 || e.api.Calls("PATCH") != 0 {
			t.Fatalf("%d comments, %d POST and %d PATCH requests; want mallory's and one "+
				"posted, none edited\n%s", len(comments), e.api.Calls("POST"),
				e.api.Calls("PATCH"), out)
		}
		if c := comments[0]; c.ID != mallory || c.Login != "mallory" || c.Body != malloryBody {
			t.Errorf("mallory's comment changed: %+v", c)
		}
		c := comments[1]
		if c.Login != githubtest.Bot || !strings.HasPrefix(c.Body, publish.Marker+"\n### ") {
			t.Errorf("the new comment is by %s and starts %q; want %s and the marker, "+
				"then the heading", c.Login, firstLineOf(c.Body), githubtest.Bot)
		}
		if strings.Contains(c.Body, "mallory's results") {
			t.Error("the comment carries the payload's body")
		}
		// The one link: to the first stage's run, on the server of
		// GITHUB_SERVER_URL.
		run := e.releases.srv.URL + "/" + e2eRepo + "/actions/runs/" + strconv.Itoa(hostileRunID)
		checkInertMarkdown(t, strings.TrimPrefix(c.Body, publish.Marker+"\n"), run)
		if !strings.Contains(c.Body, "]("+run+")") {
			t.Errorf("the comment does not link the first stage's run %s", run)
		}
		t.Logf("the comment posted from the hostile artifact:\n%s", c.Body)
	})

	t.Run("forged verdict", func(t *testing.T) {
		// The run's verdict, the last in the file (the cells' come first),
		// is the one the verdict output carries.
		e.hostileArtifact(t, "bad-verdict", func(data []byte) []byte {
			i := bytes.LastIndex(data, []byte(`"verdict": "regressed"`))
			if i < 0 {
				t.Fatal(`results.json has no "verdict": "regressed" to forge`)
			}
			return slices.Concat(data[:i], []byte(`"verdict": "regressed\n::warning title=FORGED::x"`),
				data[i+len(`"verdict": "regressed"`):])
		})
		posts := e.api.Calls("POST")
		out, _ := e.actRun(t, "bad-verdict", false, env)
		checkActLog(t, out, 0, "")
		refusal := `results.json: verdict "regressed\n::warning title=FORGED::x": ` +
			`want regressed, improved, unchanged or inconclusive`
		if !strings.Contains(out, refusal) {
			t.Errorf("the log lacks %q:\n%s", refusal, out)
		}
		want := "e2e-outputs verdict='' regressed='' best='' control=live forged=unset"
		if !strings.Contains(out, want) {
			t.Errorf("the outputs step does not print %q:\n%s", want, out)
		}
		if e.api.Calls("POST") != posts || e.api.Calls("PATCH") != 0 ||
			len(e.api.Comments(hostilePR)) != 2 {
			t.Errorf("a refused artifact commented: %d POST and %d PATCH requests",
				e.api.Calls("POST")-posts, e.api.Calls("PATCH"))
		}
	})
}

// workflowRunEvent writes the event of the publish workflow: the
// benchmark workflow of a fork's pull request completed, at the test
// repository's head commit. GitHub leaves pull_requests empty for forks.
func (e *e2e) workflowRunEvent(t *testing.T) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{
		"action":     "completed",
		"repository": map[string]any{"id": 1, "full_name": e2eRepo, "default_branch": "main"},
		"workflow_run": map[string]any{
			"id": hostileRunID, "event": "pull_request", "conclusion": "success",
			"name": "concurrency benchmark", "head_sha": e.repo.head,
			"head_repository": map[string]any{"full_name": "mallory/workerbench-e2e"},
			"pull_requests":   []any{},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.root, "workflow-run.json")
	writeFile(t, path, string(data))
	return path
}

// hostileArtifact writes the artifact "workerbench" of the act run name,
// as its download stand-in finds it: hostileRun with hostileText in every
// free-text field, passed through edit when it is not nil; a payload
// naming hostilePR at the head commit, with hostileText as its body; and a
// chart with a script in it, which the publish job has no use for.
func (e *e2e) hostileArtifact(t *testing.T, name string, edit func([]byte) []byte) {
	t.Helper()
	dir := filepath.Join(e.root, "runs", name, "artifacts", "workerbench")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	res := hostileRun()
	fillFreeText(t, res, hostileText)
	path := filepath.Join(dir, "results.json")
	if err := results.Write(path, res); err != nil {
		t.Fatal(err)
	}
	if _, err := results.Read(path); err != nil {
		t.Fatalf("the hostile results.json does not decode: %v", err)
	}
	if edit != nil {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, string(edit(data)))
	}
	p := publish.Payload{PR: hostilePR, HeadSHA: e.repo.head, Body: hostileText}
	if err := publish.WritePayload(dir, p); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "charts", "throughput.svg"),
		`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)
}

// fillFreeText sets every free-text string and list of strings of res,
// through the pointers that are set, to text (a list to [text]): each
// field that results.Decode still accepts so; the enumerated ones (a
// verdict, a mode, a side) it refuses, and they keep their value. A cell
// without an error keeps none, so that it stays measured.
func fillFreeText(t *testing.T, res *results.Run, text string) {
	t.Helper()
	type field struct {
		path string
		v    reflect.Value
	}
	var fields []field
	var walk func(path string, v reflect.Value)
	walk = func(path string, v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(path, v.Elem())
			}
		case reflect.Slice:
			if v.Type() == reflect.TypeFor[[]string]() {
				fields = append(fields, field{path, v})
				return
			}
			for i := range v.Len() {
				walk(fmt.Sprintf("%s[%d]", path, i), v.Index(i))
			}
		case reflect.String:
			fields = append(fields, field{path, v})
		case reflect.Struct:
			for i := range v.NumField() {
				f := v.Type().Field(i)
				if !f.IsExported() || f.Name == "Error" && v.Field(i).String() == "" {
					continue
				}
				name := "." + f.Name
				if f.Anonymous {
					name = ""
				}
				walk(path+name, v.Field(i))
			}
		}
	}
	walk("", reflect.ValueOf(res).Elem())
	decodes := func() bool {
		data, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		_, err = results.Decode(bytes.NewReader(data))
		return err == nil
	}
	if !decodes() {
		t.Fatal("hostileRun does not decode")
	}
	var kept []string
	for _, f := range fields {
		old := reflect.ValueOf(f.v.Interface())
		if f.v.Kind() == reflect.String {
			f.v.SetString(text)
		} else {
			f.v.Set(reflect.ValueOf([]string{text}))
		}
		if !decodes() {
			f.v.Set(old)
			kept = append(kept, f.path)
		}
	}
	t.Logf("hostile text in %d fields of results.json; Decode refuses it in %d: %s",
		len(fields)-len(kept), len(kept), strings.Join(kept, ", "))
}

// actPrefix is how act starts the lines it logs for a job: "[workflow/job] ".
var actPrefix = regexp.MustCompile(`^\[[^\]]*\] `)

// How act logs, after its prefix, what it read from a step: a workflow
// command it took (blanks, an emoji, blanks, then the command's line, or
// "::set-env:: NAME=VALUE"); an output it set, from $GITHUB_OUTPUT or a
// set-output command alike; the job summary. A multi-line value goes on
// in lines of its own, without the prefix.
var (
	actCommand = regexp.MustCompile(`^\s+\S+\s+((::|##\[).*)$`)
	actOutput  = regexp.MustCompile(`^\s+\S+\s+::set-output:: ([A-Za-z0-9_-]+)=(.*)$`)
	actSummary = regexp.MustCompile(`^\s+\S+\s+Summary - `)
)

// actOutputs are the outputs the action's steps set.
var actOutputs = []string{"path", "bin", "verdict", "regressed", "results", "summary",
	"best-config", "recommended-config", "dir", "comment-url", "artifact-url"}

// checkActLog reports actLogProblems as errors of t.
func checkActLog(t *testing.T, out string, regressions int, verdict string) {
	t.Helper()
	for _, p := range actLogProblems(out, regressions, verdict) {
		t.Error(p)
	}
}

// actLogProblems checks act's log of the publish job:
//   - no line of the steps' output is a workflow command but the action's
//     own annotation (checkNoCommands' rule, after act's prefix and "| ");
//   - the commands act took are the control step's two and, regressions
//     times, the action's own annotation (whose message quotes the cell);
//   - the outputs act set are the action's, verdict with the value given;
//   - "FORGED" and "forged" are in nothing else act says, and no mask took
//     effect.
//
// act also echoes the summary output and the job summary, the comment's
// Markdown, which the runner never prints: they hold the server's log in
// code blocks line for line, and are left out.
func actLogProblems(out string, regressions int, verdict string) []string {
	var problems []string
	var control, own, verdicts int
	echo := false // in the lines of a multi-line value act echoes
	for _, line := range strings.Split(out, "\n") {
		rest := actPrefix.ReplaceAllString(line, "")
		if rest == line && echo {
			continue
		}
		echo = false
		if text, ok := strings.CutPrefix(rest, "  | "); ok {
			if strings.HasPrefix(strings.TrimLeftFunc(text, unicode.IsSpace), "::") ||
				strings.Contains(text, "##[") {
				problems = append(problems, fmt.Sprintf("a step printed a workflow command: %q", line))
			}
			continue
		}
		if m := actOutput.FindStringSubmatch(rest); m != nil {
			name, value := m[1], m[2]
			switch {
			case name == "summary":
				echo = true
				continue
			case name == "verdict":
				verdicts++
				if value != verdict {
					problems = append(problems,
						fmt.Sprintf("act set the output verdict to %q, want %q", value, verdict))
				}
			case !slices.Contains(actOutputs, name):
				problems = append(problems, fmt.Sprintf("act set an output the action has not: %q", line))
			}
		} else if actSummary.MatchString(rest) {
			echo = true
			continue
		} else if m := actCommand.FindStringSubmatch(rest); m != nil {
			switch cmd := m[1]; {
			case strings.HasPrefix(cmd, "::notice title=CONTROL::"), cmd == "::set-env:: CONTROL_ENV=live":
				control++
			case strings.HasPrefix(cmd, ownAnnotation):
				own++
				continue
			default:
				problems = append(problems, fmt.Sprintf("act took a workflow command: %q", line))
			}
		}
		if strings.Contains(strings.ToLower(rest), "forged") {
			problems = append(problems, fmt.Sprintf("act took something from the artifact: %q", line))
		}
		if strings.Contains(rest, "***") {
			problems = append(problems, fmt.Sprintf("a mask took effect: %q", line))
		}
	}
	if control != 2 {
		problems = append(problems, fmt.Sprintf("act took %d of the control step's 2 commands: "+
			"it does not read workflow commands as the test assumes", control))
	}
	if own != regressions {
		problems = append(problems, fmt.Sprintf("act took the action's regression annotation "+
			"%d times, want %d", own, regressions))
	}
	if verdicts == 0 {
		problems = append(problems, "act set no verdict output")
	}
	return problems
}

// Inert Markdown, as bench/report's checkMarkdown sees it.
var (
	mdAllowedTag = regexp.MustCompile(`^</?(details|summary)>`)
	mdMention    = regexp.MustCompile(`@[\p{L}\p{N}_]`)
	mdIssueRef   = regexp.MustCompile(`#[0-9]|(?i)\bgh-[0-9]`)
	// mdBareURL is what GitHub's autolinker links outside a Markdown link.
	mdBareURL = regexp.MustCompile(`(?i)[a-z0-9]://|www\.`)
	// mdLink is the middle of a link or an image: "](" with its "]" not
	// escaped.
	mdLink = regexp.MustCompile(`(^|[^\\])\]\(`)
)

// checkInertMarkdown reports markdownProblems as errors of t.
func checkInertMarkdown(t *testing.T, md, ours string) {
	t.Helper()
	for _, p := range markdownProblems(md, ours) {
		t.Error(p)
	}
}

// markdownProblems lists what GitHub would make live of md outside code
// blocks (which it renders as they are): HTML but <details> and <summary>,
// a mention, an issue reference, a bare URL, a link but the report's own
// to the URL ours; and a code block left open.
func markdownProblems(md, ours string) []string {
	var problems []string
	fence := ""
	for n, line := range strings.Split(md, "\n") {
		if fence != "" {
			if strings.Trim(line, "`") == "" && len(line) >= len(fence) {
				fence = ""
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			fence = line[:len(line)-len(strings.TrimLeft(line, "`"))]
			continue
		}
		bad := func(what string) {
			problems = append(problems, fmt.Sprintf("comment line %d: %s: %q", n+1, what, line))
		}
		for rest := line; ; {
			i := strings.Index(rest, "<")
			if i < 0 {
				break
			}
			m := mdAllowedTag.FindString(rest[i:])
			if m == "" {
				bad("raw HTML")
				break
			}
			rest = rest[i+len(m):]
		}
		text := strings.ReplaceAll(line, "&#8203;", "\u200b")
		if mdMention.MatchString(text) {
			bad("a mention GitHub would ping")
		}
		if mdIssueRef.MatchString(text) {
			bad("an issue reference GitHub would link")
		}
		other := strings.ReplaceAll(text, "]("+ours+")", "")
		if mdBareURL.MatchString(other) {
			bad("a bare URL GitHub would link")
		}
		if mdLink.MatchString(other) {
			bad("a link the report did not write")
		}
	}
	if fence != "" {
		problems = append(problems, "comment: code fence "+fence+" never closed")
	}
	return problems
}

// TestE2EHostileCheckers checks the checks of TestE2EActHostileArtifact
// without act: hostileText as it is is live Markdown of every kind, and
// escaped it is inert; a log in act's format where act took an injected
// command, set a forged output or masked a word fails, and one where it
// took only the control step's and the action's own does not.
func TestE2EHostileCheckers(t *testing.T) {
	const ours = "http://127.0.0.1:1/o/r/actions/runs/1"
	raw := markdownProblems(hostileText+"\n```\n", ours)
	for _, want := range []string{"raw HTML", "mention", "issue reference", "bare URL",
		"link the report did not write", "never closed"} {
		if !slices.ContainsFunc(raw, func(p string) bool { return strings.Contains(p, want) }) {
			t.Errorf("raw hostile Markdown: no %q among %q", want, raw)
		}
	}
	ok := "### x\n\n- " + report.Escape(hostileText) + "\n\n<details><summary>y</summary>\n\n" +
		report.CodeBlock("text", hostileText) + "\n</details>\n\n" +
		"📦 [Charts, results.json and server logs](" + ours + ")\n"
	if p := markdownProblems(ok, ours); len(p) > 0 {
		t.Errorf("escaped hostile Markdown: %q", p)
	}

	const j = "[concurrency comment/comment] "
	good := j + "  ❓  ::notice title=CONTROL::act reads workflow commands\n" +
		j + "  ⚙  ::set-env:: CONTROL_ENV=live\n" +
		j + "  | warning: x ∶:warning title=FORGED::y ##［error]w\n" +
		j + "  🚧  " + ownAnnotation + "3x3 x%0A::warning title=FORGED::y\n" +
		j + "  ⚙  ::set-output:: verdict=regressed\n" +
		j + "  ⚙  ::set-output:: summary=### ❌ regressed\n" +
		"```text\n::warning title=FORGED::y\n```\n" +
		j + "  ✅  Success - Main outputs\n"
	if p := actLogProblems(good, 1, "regressed"); len(p) > 0 {
		t.Errorf("a clean act log: %q", p)
	}
	for _, bad := range []string{
		j + "  🚧  ::warning title=FORGED::y\n",
		j + "  ⚙  ::set-env:: FORGED_ENV=forged\n",
		j + "  ⚙  ::set-output:: verdict=improved\n",
		j + "  💾  ::save-state name=forged::1\n",
		j + "  ⚙  ***\n",
		j + "  | ::error::z\n",
		j + "  | note ##[error]w\n",
		j + "  ⚙  ::stop-commands::t\n",
	} {
		if p := actLogProblems(good+bad, 1, "regressed"); len(p) == 0 {
			t.Errorf("no problem found with %q", bad)
		}
	}
}

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return strings.TrimRightFunc(l, unicode.IsSpace)
}
