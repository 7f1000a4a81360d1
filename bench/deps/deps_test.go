package deps

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestIsFile(t *testing.T) {
	for _, tt := range []struct {
		path string
		want bool
	}{
		{"requirements.txt", true},
		{"requirements-dev.txt", true},
		{"requirements/base.txt", true},
		{"app/requirements/prod.txt", true},
		{"constraints.txt", true},
		{"poetry.lock", true},
		{"sub/pyproject.toml", true},
		{"Gemfile.lock", true},
		{"web/package-lock.json", true},
		{"pnpm-lock.yaml", true},
		{"go.sum", true},
		{"notes.txt", false},
		{"app.py", false},
		{"docs/requirements.md", false},
		{"package.json5", false},
	} {
		if got := IsFile(tt.path); got != tt.want {
			t.Errorf("IsFile(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestChanged(t *testing.T) {
	base, head := t.TempDir(), t.TempDir()
	same := map[string]string{
		"app.py":                 "print(1)",
		"Gemfile":                "gem 'puma'",
		"web/package.json":       `{"name": "x"}`,
		"node_modules/x/go.mod":  "module a",
		".venv/requirements.txt": "a==1",
	}
	write(t, base, same)
	write(t, head, same)
	write(t, base, map[string]string{
		"requirements.txt":       "flask==2.2\nslowdep==1.0\n",
		"poetry.lock":            "old",
		"app.py":                 "print(2)", // not a dependency file
		"node_modules/y/go.sum":  "a",        // installed, not pinned
		".venv/requirements.txt": "a==2",
	})
	write(t, head, map[string]string{
		"requirements.txt":     "flask==2.2\nslowdep==2.0\n",
		"requirements/dev.txt": "pytest",
	})
	got, err := Changed(base, head)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"poetry.lock", "requirements.txt", "requirements/dev.txt"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Changed = %q, want %q", got, want)
	}
	if got, _ := Changed(base, base); len(got) != 0 {
		t.Errorf("Changed(dir, itself) = %q, want none", got)
	}
}

func TestFindMissingDir(t *testing.T) {
	if _, err := Find(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("Find of a missing directory: no error")
	}
}
