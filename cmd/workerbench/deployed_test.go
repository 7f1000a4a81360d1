package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
	flaskapp "github.com/workerbench/workerbench/examples/flask"
)

// Without --cmd or --server, workerbench measures what the project's own
// files say it deploys: these run it end to end in real projects, with
// the recipes' short windows.

// deployedProject is a project directory and what workerbench must find
// in it.
type deployedProject struct {
	name    string
	need    func(t *testing.T)
	dir     func(t *testing.T) string // a copy the test may write to
	args    []string                  // setup, path, health
	summary string                    // the line that says what was found
	cell    string                    // the deployed cell
	source  results.Source            // where its command was found
	cells   int                       // the default matrix around it
}

// procfileProject is the seed's Flask app in a directory whose Procfile
// says how it is served.
func procfileProject(t *testing.T) string {
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"Procfile": []byte("web: gunicorn --workers 3 --threads 2 app:app\n"),
		"app.py":   flaskapp.App,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func deployedProjects() []deployedProject {
	return []deployedProject{
		{
			name: "Procfile", need: needGunicorn, dir: procfileProject,
			args:    []string{"--path", "/?ms=20", "--health", "/health"},
			summary: "deployed: gunicorn 3x2 from Procfile line 1", cell: "3x2",
			source: results.Source{File: "Procfile", Line: 1, What: "web process"}, cells: 6,
		},
		{
			name: "config/puma.rb", need: func(t *testing.T) {
				needDebian(t, "puma", onPath("puma"))
				needDebian(t, "ruby-sinatra", rubyHas("sinatra/base"))
				needDebian(t, "ruby-sqlite3", rubyHas("sqlite3"))
			},
			dir:     func(t *testing.T) string { return copyProject(t, "sinatra", t.TempDir()) },
			args:    []string{"--setup", "ruby db/init.rb", "--path", "/", "--health", "/health"},
			summary: "deployed: puma 1x5 from config/puma.rb", cell: "1x5",
			source: results.Source{File: "config/puma.rb"}, cells: 4,
		},
		{
			name: "package.json", need: func(t *testing.T) {
				needDebian(t, "nodejs", onPath("node"))
				needDebian(t, "npm", onPath("npm"))
			},
			dir: func(t *testing.T) string { return copyProject(t, "node", t.TempDir()) },
			args: []string{"--setup", "npm ci --no-audit --no-fund && npm run init-db",
				"--path", "/", "--health", "/health", "--sweep=false"},
			summary: "deployed: paas 1x1 from package.json line 9", cell: "1x1",
			source: results.Source{File: "package.json", Line: 9}, cells: 2,
		},
	}
}

// TestRunDeployed: in each project, run with no command finds the
// deployment, says where, measures its cell among the default matrix
// around it, marks it, records it in results.json, and sets the
// recommendation against it.
func TestRunDeployed(t *testing.T) {
	needRecipe(t)
	for _, p := range deployedProjects() {
		t.Run(p.name, func(t *testing.T) {
			p.need(t)
			out := t.TempDir()
			args := append([]string{"run", "--dir", p.dir(t), "--out", out}, p.args...)
			args = append(args, recipeWindows...)
			begin := time.Now()
			var stdout, stderr lockedBuffer
			code := exitCode(run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr), &stderr)
			t.Logf("workerbench %s\nexit %d after %v\n%s", strings.Join(args, " "), code,
				time.Since(begin).Round(time.Millisecond), stdout.String())
			if code != 0 {
				t.Fatalf("exit %d, want 0\nstderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), p.summary) {
				t.Errorf("stderr does not say %q:\n%s", p.summary, stderr.String())
			}
			res, err := results.Read(filepath.Join(out, "results.json"))
			if err != nil {
				t.Fatal(err)
			}
			d := res.Deployed
			if d == nil || d.Cell != p.cell || len(d.Sources) == 0 || d.Sources[0].File != p.source.File ||
				d.Sources[0].Line != p.source.Line {
				t.Fatalf("results.json records deployed %+v, want %s from %s", d, p.cell, p.source.Where())
			}
			var names []string
			for _, c := range res.Cells {
				names = append(names, c.Name())
				if c.Failed() || c.ThroughputRPS <= 0 {
					t.Errorf("%s: not measured: %s", c.Name(), c.Error)
				}
			}
			if !slices.Contains(names, p.cell) || len(names) != p.cells {
				t.Errorf("measured %v, want %d cells around %s", names, p.cells, p.cell)
			}
			// The table marks the deployed row; the recommendation names
			// the deployed cell and the ratios against it.
			row := regexp.MustCompile(`(?m)^\s*` + strings.Replace(p.cell, "x", `\s+`, 1) + `\s.*← deployed$`)
			if !row.MatchString(stdout.String()) {
				t.Errorf("the table does not mark %s as deployed:\n%s", p.cell, stdout.String())
			}
			rec := regexp.MustCompile(`(?m)^recommended for \d+ cores?: \d+x\d+ .*(; vs the deployed ` +
				p.cell + `: [0-9.]+ × the throughput( in [0-9.]+ × the Σ PSS)?|; what you deploy)$`)
			if !rec.MatchString(stdout.String()) {
				t.Errorf("the recommendation is not set against the deployed %s:\n%s", p.cell, stdout.String())
			}
			if v := res.Recommendation; v == nil || v.VsDeployed == nil || v.VsDeployed.Measured == nil ||
				v.VsDeployed.Measured.Deployed != p.cell {
				t.Errorf("results.json sets no measured advice against %s: %+v", p.cell, v)
			}
			summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
			if err != nil || !strings.Contains(string(summary), "Deployed: ") ||
				!strings.Contains(string(summary), "(**deployed**)") {
				t.Errorf("summary.md does not say what is deployed (%v):\n%s", err, summary)
			}
		})
	}
}
