package publish

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// MaxSummaryBytes is the size GitHub allows a step's $GITHUB_STEP_SUMMARY
// file; a larger file is dropped whole.
const MaxSummaryBytes = 1 << 20

// outputDelimiter is the fixed heredoc delimiter go-githubactions v1.3.2
// writes around every output value ("name<<DELIM\nvalue\nDELIM"). The
// runner's own toolkit picks a random one; with a fixed one, a value
// containing it could end the value early and define other outputs.
const outputDelimiter = "_GitHubActionsFileCommandDelimeter_"

// ErrNoEnvFile reports that an Actions environment file variable
// (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) is unset: not running under Actions.
var ErrNoEnvFile = errors.New("not running under GitHub Actions")

// Actions writes to the GitHub Actions runner: step outputs, the job
// summary and annotations. It wraps go-githubactions with the environment
// and the log writer injected, and turns that library's panics on write
// failures into errors.
type Actions struct {
	gha    *githubactions.Action
	getenv func(string) string
}

// NewActions returns an Actions that reads the environment through getenv
// and writes workflow commands (annotations) to w, the step's stdout. It
// is the one writer of workflow commands, and escapes what it writes, so
// when w guards against them (report.CommandGuard) it writes under the
// guard.
func NewActions(getenv func(string) string, w io.Writer) *Actions {
	if g, ok := w.(interface{ Unguarded() io.Writer }); ok {
		w = g.Unguarded()
	}
	return &Actions{
		gha:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(w)),
		getenv: getenv,
	}
}

// Input returns the action input name (INPUT_NAME, upper-cased, spaces as
// underscores), trimmed. Composite actions must map inputs into env
// themselves.
func (a *Actions) Input(name string) string {
	return a.gha.GetInput(name)
}

// SetOutput appends output name=value to $GITHUB_OUTPUT in the heredoc form
// (name<<delimiter, value, delimiter), which carries multi-line values. It
// refuses a name outside [A-Za-z_][A-Za-z0-9_-]* and a value containing the
// delimiter, so untrusted text cannot forge other outputs.
func (a *Actions) SetOutput(name, value string) error {
	if !validOutputName(name) {
		return fmt.Errorf("set output %q: invalid name", name)
	}
	if strings.Contains(value, outputDelimiter) {
		return fmt.Errorf("set output %q: value contains the output delimiter", name)
	}
	if a.getenv("GITHUB_OUTPUT") == "" {
		return fmt.Errorf("set output %q: %w (GITHUB_OUTPUT is not set)", name, ErrNoEnvFile)
	}
	return recoverErr(fmt.Sprintf("set output %q", name), func() { a.gha.SetOutput(name, value) })
}

func validOutputName(name string) bool {
	if name == "" {
		return false
	}
	for i, c := range name {
		switch {
		case c == '_', 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && (c == '-' || '0' <= c && c <= '9'):
		default:
			return false
		}
	}
	return true
}

// AppendSummary appends markdown and a line break to $GITHUB_STEP_SUMMARY.
// The file must stay within MaxSummaryBytes, counting what earlier appends
// in this step wrote, so markdown that does not fit is cut at a line
// boundary with TruncationNote, open code fences and <details> closed. It
// fails if the file has no room even for the note.
func (a *Actions) AppendSummary(markdown string) error {
	path := a.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return fmt.Errorf("append job summary: %w (GITHUB_STEP_SUMMARY is not set)", ErrNoEnvFile)
	}
	var used int64
	switch fi, err := os.Stat(path); {
	case err == nil:
		used = fi.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("append job summary: %w", err)
	}
	room := MaxSummaryBytes - int(used) - len(githubactions.EOF)
	text := truncateMarkdown(markdown, room, byteSize)
	if room < 0 || text != markdown && !strings.HasSuffix(text, TruncationNote+"\n") {
		return fmt.Errorf(
			"append job summary: %s already holds %d of %d bytes",
			path,
			used,
			MaxSummaryBytes,
		)
	}
	return recoverErr("append job summary", func() { a.gha.AddStepSummary(text) })
}

// Warning writes a warning annotation (::warning title=…::message). Title
// may be empty. The library escapes %, CR and LF in both, and : and , in the
// title, so a message cannot start another workflow command.
func (a *Actions) Warning(title, message string) error {
	return recoverErr("write warning", func() { a.withTitle(title).Warningf("%s", message) })
}

// Notice writes a notice annotation (::notice title=…::message), escaped as
// Warning's.
func (a *Actions) Notice(title, message string) error {
	return recoverErr("write notice", func() { a.withTitle(title).Noticef("%s", message) })
}

func (a *Actions) withTitle(title string) *githubactions.Action {
	if title == "" {
		return a.gha
	}
	return a.gha.WithFieldsMap(map[string]string{"title": title})
}

// recoverErr runs f, turning a go-githubactions panic (its way of reporting
// a failed write) into an error naming op.
func recoverErr(op string, f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = fmt.Errorf("%s: %w", op, e)
				return
			}
			err = fmt.Errorf("%s: %v", op, r)
		}
	}()
	f()
	return nil
}
