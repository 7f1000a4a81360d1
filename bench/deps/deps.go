// Package deps finds the files that pin a project's dependencies and tells
// which of them differ between two checkouts of it: a pull request that
// upgrades a server, framework or driver changes one of these, and its
// effect is measured only when each side installs its own.
package deps

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// names are the files that pin dependencies, by base name; patterns has
// those matched by a glob. This is the one list: the report and
// docs/cli.md name it.
var (
	names = []string{
		"pyproject.toml", "poetry.lock", "uv.lock", "Pipfile", "Pipfile.lock", "setup.py", "setup.cfg",
		"Gemfile", "Gemfile.lock",
		"package.json", "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml",
		"go.mod", "go.sum",
	}
	patterns = []string{"requirements*.txt", "constraints*.txt"}
)

// Files describes the files IsFile matches, for a person.
func Files() string {
	return strings.Join(append(slices.Clone(patterns), names...), ", ")
}

// IsFile reports whether the file at rel (a slash-separated path inside a
// project) pins dependencies: a name of the list, a requirements*.txt, or
// a .txt in a directory named requirements (requirements/base.txt).
func IsFile(rel string) bool {
	base := path.Base(rel)
	if slices.Contains(names, base) {
		return true
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, base); ok {
			return true
		}
	}
	return path.Ext(base) == ".txt" && path.Base(path.Dir(rel)) == "requirements"
}

// Limits of a walk, so that a huge tree cannot make a comparison slow: a
// project's dependency files sit near its top.
const (
	maxDepth   = 6
	maxEntries = 50000
	maxSize    = 16 << 20 // bytes of a file compared
)

// skipped are directories that hold installed dependencies or tool state,
// never a project's own pins (hidden directories are skipped too).
var skipped = []string{"node_modules", "vendor", "venv", "env", "__pycache__", "site-packages", "dist", "build"}

// ErrTooMany is returned (wrapped) when a tree has more entries than a walk
// looks at; what was found until then is returned with it.
var ErrTooMany = errors.New("too many files to look through")

// Find lists the dependency files under dir, as slash-separated paths
// relative to it, sorted.
func Find(dir string) ([]string, error) {
	var out []string
	seen := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir {
				return err
			}
			return nil // an unreadable corner holds nothing we can compare
		}
		if seen++; seen > maxEntries {
			return ErrTooMany
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if p != dir && (strings.HasPrefix(d.Name(), ".") || slices.Contains(skipped, d.Name()) ||
				strings.Count(rel, "/") >= maxDepth) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && IsFile(rel) {
			out = append(out, rel)
		}
		return nil
	})
	slices.Sort(out)
	return out, err
}

// Changed lists the dependency files that differ between the directories
// base and head: added, removed, or with other contents. Errors reading a
// file count it as changed.
func Changed(base, head string) ([]string, error) {
	bf, berr := Find(base)
	hf, herr := Find(head)
	var changed []string
	for _, f := range slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(bf), hf...)))) {
		if !slices.Contains(bf, f) || !slices.Contains(hf, f) ||
			!sameFile(filepath.Join(base, f), filepath.Join(head, f)) {
			changed = append(changed, f)
		}
	}
	return changed, errors.Join(berr, herr)
}

// sameFile compares the contents of two files (their first maxSize
// bytes: a lock file is far smaller).
func sameFile(a, b string) bool {
	da, errA := readHead(a)
	db, errB := readHead(b)
	return errA == nil && errB == nil && bytes.Equal(da, db)
}

func readHead(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, maxSize))
}
