package report

import (
	"fmt"
	"strings"

	"github.com/workerbench/workerbench/bench/results"
)

// What a comparison says of its dependencies: when the files that pin them
// differ between base and head, whether the verdict includes the change.

// depFiles names the changed dependency files of d, at most three, each
// clipped and made safe by esc: "requirements.txt, poetry.lock and 2 more".
func depFiles(d *results.Dependencies, esc func(string) string) string {
	const shown = 3
	var names []string
	for i, f := range d.Changed {
		if i == shown {
			names = append(names, fmt.Sprintf("%d more", len(d.Changed)-shown))
			break
		}
		names = append(names, esc(Clip(f, 60)))
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// unmeasuredDeps is the heading's note when dependencies changed but both
// sides ran in one environment: "requirements.txt changed but both sides
// ran in one environment"; "" otherwise.
func unmeasuredDeps(r *results.Run, esc func(string) string) string {
	if r.Dependencies.Measured() {
		return ""
	}
	return "dependencies changed (" + depFiles(r.Dependencies, esc) +
		") but both sides ran in one environment"
}

// depsWarning is the warning that says so at length, with what to do. It
// is bounded (three names of at most 60 runes) and is never clipped.
func depsWarning(r *results.Run, esc func(string) string) string {
	if r.Dependencies.Measured() {
		return ""
	}
	return "Dependency files changed (" + depFiles(r.Dependencies, esc) + ") but both sides " +
		"ran in one environment: the verdict does not include the change. Give setup (the " +
		"action's input, or --setup) a command that installs each side's own, e.g. python3 -m " +
		"venv .venv && .venv/bin/pip install -r requirements.txt, and start the server from it."
}

// setupNote says that each side set itself up, how long that took, and
// when dependencies changed that the verdict includes the change; "" for
// a run without setup.
func setupNote(r *results.Run, esc func(string) string) string {
	if r.Setup == nil {
		return ""
	}
	s := "Each side ran its setup before its first cell (" + SetupTimes(r.Setup) +
		", not part of the measurement)"
	if d := r.Dependencies; d != nil && len(d.Changed) > 0 && d.Setup {
		s += "; dependency files differ between base and head (" + depFiles(d, esc) +
			") and each side installed its own, so the verdict includes the dependency change"
	}
	return s + "."
}
