package bench

import (
	"fmt"
	"os"
	"path/filepath"
)

// logs is where a run writes its server logs: the output directory's
// logs/, or a temporary directory whose logs of failed cells outlive the
// run (they are the only record of why) while the rest is removed.
type logs struct {
	dir       string
	temporary bool
	keep      map[string]bool // temporary logs of failed cells
}

func (r *Runner) openLogs() (*logs, error) {
	if r.LogDir != "" {
		if err := os.MkdirAll(r.LogDir, 0o755); err != nil {
			return nil, fmt.Errorf("create log dir: %w", err)
		}
		return &logs{dir: r.LogDir}, nil
	}
	d, err := os.MkdirTemp("", "workerbench-logs-")
	if err != nil {
		return nil, fmt.Errorf("create log dir: %w", err)
	}
	return &logs{dir: d, temporary: true, keep: map[string]bool{}}, nil
}

func (l *logs) path(name string) string { return filepath.Join(l.dir, name) }

// pathOf turns a ref back into a path a user can open.
func (l *logs) pathOf(ref string) string {
	if ref == "" || filepath.IsAbs(ref) {
		return ref
	}
	return filepath.Join(filepath.Dir(l.dir), ref)
}

// ref is how results refer to the server log at path: relative to the
// output directory (the log dir's parent), the full path of a temporary
// log that is kept because its cell failed, or "" for one that goes.
func (l *logs) ref(path string, failed bool) string {
	if !l.temporary {
		return filepath.Join(filepath.Base(l.dir), filepath.Base(path))
	}
	if failed {
		l.keep[path] = true
		return path
	}
	return ""
}

// close removes a temporary directory's logs but those of failed cells,
// and says where those are.
func (l *logs) close(progress func(string, ...any)) {
	if !l.temporary {
		return
	}
	if len(l.keep) == 0 {
		os.RemoveAll(l.dir)
		return
	}
	entries, _ := os.ReadDir(l.dir)
	for _, e := range entries {
		if p := filepath.Join(l.dir, e.Name()); !l.keep[p] {
			os.RemoveAll(p)
		}
	}
	progress("logs of what failed kept in %s (no --out was given)", l.dir)
}
