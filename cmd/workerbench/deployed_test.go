package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
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
	cells   int                       // measured: the default matrix around it, or 1x1 and it
	machine bool                      // its files state the machine, the recommendation's target
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

// deployFixture copies the project testdata/projects/deploy/name.
func deployFixture(name string) func(t *testing.T) string {
	return func(t *testing.T) string { return copyProject(t, "deploy/"+name, t.TempDir()) }
}

// deployedProjects are a Procfile project measured over the default matrix
// around its deployment (the acceptance case), and the deployment
// fixtures, each over 1x1 and its deployed cell.
func deployedProjects() []deployedProject {
	health := []string{"--path", "/", "--health", "/health"}
	flask := func(t *testing.T) {
		needGunicorn(t)
		needDebian(t, "python3-flask", pythonHas("flask"))
	}
	confWorkers := 2*runtime.NumCPU() + 1 // gunicorn.conf.py: multiprocessing.cpu_count() * 2 + 1
	return []deployedProject{
		{
			name: "Procfile", need: needGunicorn, dir: procfileProject,
			args:    []string{"--path", "/?ms=20", "--health", "/health"},
			summary: "deployed: gunicorn 3x2 from Procfile line 1", cell: "3x2",
			source: results.Source{File: "Procfile", Line: 1}, cells: 6,
		},
		{
			name: "django-procfile", dir: deployFixture("django-procfile"),
			need: func(t *testing.T) {
				needGunicorn(t)
				needDebian(t, "python3-django", pythonHas("django"))
			},
			args:    append([]string{"--setup", debianPython + " manage.py migrate --noinput"}, health...),
			summary: "deployed: gunicorn 3x2 from Procfile line 2", cell: "3x2",
			source: results.Source{File: "Procfile", Line: 2}, cells: 2,
		},
		{
			name: "flask-gunicorn-conf", need: flask, dir: deployFixture("flask-gunicorn-conf"),
			args:    append([]string{"--setup", debianPython + " -m flask --app flaskr init-db"}, health...),
			summary: fmt.Sprintf("deployed: gunicorn %dx2 from gunicorn.conf.py, workers = multiprocessing.cpu_count() * 2 + 1", confWorkers),
			cell:    fmt.Sprintf("%dx2", confWorkers),
			source:  results.Source{File: "gunicorn.conf.py"}, cells: 2,
		},
		{
			name: "flask-dockerfile", need: flask, dir: deployFixture("flask-dockerfile"),
			args:    append([]string{"--setup", debianPython + " -m flask --app flaskr init-db"}, health...),
			summary: "deployed: gunicorn 2x4 from Dockerfile line 10", cell: "2x4",
			source: results.Source{File: "Dockerfile", Line: 10}, cells: 2,
		},
		{
			name: "sinatra-puma", dir: deployFixture("sinatra-puma"),
			need: func(t *testing.T) {
				needDebian(t, "puma", onPath("puma"))
				needDebian(t, "ruby-sinatra", rubyHas("sinatra/base"))
				needDebian(t, "ruby-sqlite3", rubyHas("sqlite3"))
			},
			args:    append([]string{"--setup", "ruby db/init.rb"}, health...),
			summary: "deployed: puma 2x3 from Procfile line 1", cell: "2x3",
			source: results.Source{File: "Procfile", Line: 1}, cells: 2, machine: true,
		},
		{
			name: "node-render", dir: deployFixture("node-render"),
			need:    func(t *testing.T) { needDebian(t, "nodejs", onPath("node")) },
			args:    append([]string{"--setup", "node scripts/init-db.js", "--sweep=false"}, health...),
			summary: "deployed: paas 2x1 from package.json line 9 via render.yaml line 7", cell: "2x1",
			source: results.Source{File: "package.json", Line: 9}, cells: 2, machine: true,
		},
		{
			name: "fastapi-fly", dir: deployFixture("fastapi-fly"),
			need: func(t *testing.T) {
				needDebian(t, "python3-fastapi", pythonHas("fastapi"))
				needDebian(t, "python3-uvicorn", pythonHas("uvicorn"))
			},
			args:    append([]string{"--setup", debianPython + " -m shop.init_db", "--sweep=false"}, health...),
			summary: "deployed: uvicorn 2x1 from Dockerfile line 10", cell: "2x1",
			source: results.Source{File: "Dockerfile", Line: 10}, cells: 2, machine: true,
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
			// Only what the runs find and write is checked, not their
			// figures: the projects run side by side.
			t.Parallel()
			p.need(t)
			out := t.TempDir()
			args := append([]string{"run", "--dir", p.dir(t), "--out", out}, p.args...)
			if p.cells == 2 {
				args = append(args, "--matrix", "1x1")
			}
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
				v.VsDeployed.Measured.Deployed != p.cell || v.VsDeployed.TargetFromDeployment != p.machine {
				t.Errorf("results.json sets no measured advice against %s, or the target is not the "+
					"deployment's machine (%v): %+v", p.cell, p.machine, v)
			}
			if p.machine && !strings.Contains(stdout.String(), "The target is the deployment's own machine") {
				t.Errorf("the recommendation does not say its target is the deployment's machine:\n%s", stdout.String())
			}
			summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
			if err != nil || !strings.Contains(string(summary), "Deployed: ") ||
				!strings.Contains(string(summary), "(**deployed**)") {
				t.Errorf("summary.md does not say what is deployed (%v):\n%s", err, summary)
			}
		})
	}
}
