package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// e2eDeployedWorkflow benchmarks a project with neither command nor server:
// the action reads how the project is served from its own files. %SETUP%
// is the project's setup command.
const e2eDeployedWorkflow = `name: concurrency
on: pull_request
permissions: { contents: read, pull-requests: write }
jobs:
  concurrency:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { fetch-depth: 0 }
      - uses: workerbench/workerbench@e2e
        with:
          setup: %SETUP%
          working-directory: app
          matrix: 1x1
          path: /
          duration: 200ms
          trials: 2
          args: --warmup 100ms --sequential 5 --max-pairs 2 --confirm-pairs 0 --health /health
`

// TestE2EActDeployed runs the action with no command or server input
// under act on pull requests of each deployment fixture: a Django project
// whose Procfile deploys 3x2 (the base's Procfile deployed 2x2), Flask apps
// deployed by a Dockerfile's CMD (2x4) and by gunicorn.conf.py's
// cpu_count() expression, a Sinatra app on puma from config/puma.rb, a Node
// cluster from package.json and render.yaml, and FastAPI on uvicorn from
// fly.toml's Dockerfile. Each run says what it
// found and where, measures the head's deployed cell on both sides beside
// the 1x1 the matrix gives, records the deployment in the artifact's
// results.json, and the comment's heading leads with the deployed cell's
// verdict; the Procfile's warns that the base deployed otherwise.
func TestE2EActDeployed(t *testing.T) {
	e := newE2E(t)
	needDebian(t, "python3-django", pythonHas("django"))
	needDebian(t, "python3-flask", pythonHas("flask"))
	confWorkers := 2*runtime.NumCPU() + 1 // gunicorn.conf.py: multiprocessing.cpu_count() * 2 + 1
	runs := 0                             // the sticky comment is edited by every run after the first
	for _, tc := range []struct {
		fixture, setup string
		base           func(app string)   // what the base commit has otherwise
		need           func(t *testing.T) // skips without the fixture's server and libraries
		summary, cell  string
		warning        string // in the comment: the base deploys otherwise
	}{
		{
			fixture: "django-procfile", setup: debianPython + " manage.py migrate --noinput",
			base: func(app string) {
				p := filepath.Join(app, "Procfile")
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				writeFile(t, p, strings.Replace(string(data), "--workers 3", "--workers 2", 1))
			},
			summary: "deployed: gunicorn 3x2 from Procfile line 2", cell: "3x2",
			warning: "base deploys gunicorn 2x2 ",
		},
		{
			fixture: "flask-dockerfile", setup: debianPython + " -m flask --app flaskr init-db",
			summary: "deployed: gunicorn 2x4 from Dockerfile line 10", cell: "2x4",
		},
		{
			fixture: "flask-gunicorn-conf", setup: debianPython + " -m flask --app flaskr init-db",
			summary: fmt.Sprintf("deployed: gunicorn %dx2 from gunicorn.conf.py", confWorkers),
			cell:    fmt.Sprintf("%dx2", confWorkers),
		},
		{
			fixture: "sinatra-puma", setup: "ruby db/init.rb",
			need: func(t *testing.T) {
				needDebian(t, "puma", onPath("puma"))
				needDebian(t, "ruby-sinatra", rubyHas("sinatra/base"))
				needDebian(t, "ruby-sqlite3", rubyHas("sqlite3"))
			},
			summary: "deployed: puma 2x3 from Procfile line 1", cell: "2x3",
		},
		{
			fixture: "node-render", setup: "node scripts/init-db.js",
			need:    func(t *testing.T) { needDebian(t, "nodejs", onPath("node")) },
			summary: "deployed: paas 2x1 from package.json line 9 via render.yaml line 7", cell: "2x1",
		},
		{
			fixture: "fastapi-fly", setup: debianPython + " -m shop.init_db",
			need: func(t *testing.T) {
				needDebian(t, "python3-fastapi", pythonHas("fastapi"))
				needDebian(t, "python3-uvicorn", pythonHas("uvicorn"))
			},
			summary: "deployed: uvicorn 2x1 from Dockerfile line 10", cell: "2x1",
		},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			if tc.need != nil {
				tc.need(t)
			}
			e.deployedPullRequest(t, tc.fixture, tc.base)
			e.workflow = filepath.Join(e.root, "workflows", tc.fixture+".yml")
			writeFile(t, e.workflow, strings.Replace(e2eDeployedWorkflow, "%SETUP%", tc.setup, 1))
			out, dir := e.actRun(t, tc.fixture, true, nil)
			runs++
			e.checkComment(t, runs, runs-1, out)
			if !strings.Contains(out, tc.summary) {
				t.Errorf("the log does not say %q:\n%s", tc.summary, out)
			}
			body := e.api.Comments(7)[0].Body
			heading := strings.SplitN(body, "\n", 3)[1]
			t.Logf("the comment's heading: %s", heading)
			// After the title the action gives, the repository's name.
			lead := regexp.MustCompile(`^### \S+ (` + regexp.QuoteMeta(e2eRepo) + ` — d|D)eployed ` + tc.cell + ` `)
			if !lead.MatchString(heading) {
				t.Errorf("the heading does not lead with the deployed %s's verdict: %q", tc.cell, heading)
			}
			if !strings.Contains(body, "| "+tc.cell+" (**deployed**) |") {
				t.Errorf("the comment's table does not mark %s as deployed:\n%s", tc.cell, body)
			}
			if tc.warning != "" && !strings.Contains(body, tc.warning) {
				t.Errorf("the comment does not warn %q:\n%s", tc.warning, body)
			}
			res := readArtifact(t, dir, "workerbench")
			names := cellNames(res)
			if d := res.Deployed; d == nil || d.Cell != tc.cell || !slices.Contains(names, tc.cell) ||
				!slices.Contains(names, "1x1") {
				t.Errorf("the artifact records deployed %+v and cells %v, want %s among 1x1 and it",
					res.Deployed, names, tc.cell)
			}
			for _, c := range res.Cells {
				if c.Failed() || c.Base == nil || c.Base.Failed() {
					t.Errorf("%s not compared: %s", c.Name(), c.Error)
				}
			}
			if (res.BaseDeployed != nil) != (tc.warning != "") {
				t.Errorf("base_deployed %+v, want one only when the base deploys otherwise", res.BaseDeployed)
			}
		})
	}
}

// deployedPullRequest puts testdata/projects/deploy/fixture in app/ on top
// of the repository's main as the base commit (as base changes it), then
// the fixture as it is as the head commit, and points the pull_request
// event at the two.
func (e *e2e) deployedPullRequest(t *testing.T, fixture string, base func(app string)) {
	t.Helper()
	dir := e.repo.dir
	app := filepath.Join(dir, "app")
	put := func() {
		if err := os.RemoveAll(app); err != nil {
			t.Fatal(err)
		}
		copyTree(t, filepath.Join("..", "..", "testdata", "projects", "deploy", fixture), app,
			map[string]bool{"__pycache__": true, "instance": true, "db.sqlite3": true})
	}
	put()
	if base != nil {
		base(app)
	}
	gitIn(t, dir, "add", "-A", ".")
	gitIn(t, dir, "commit", "-q", "--allow-empty", "-m", fixture+" base")
	e.repo.base = gitIn(t, dir, "rev-parse", "HEAD")
	put()
	writeFile(t, filepath.Join(app, "CHANGES"), "head\n")
	gitIn(t, dir, "add", "-A", ".")
	gitIn(t, dir, "commit", "-q", "-m", fixture+" head")
	e.repo.head = gitIn(t, dir, "rev-parse", "HEAD")
	e.eventFile = writeE2EEvent(t, e.root, e.repo)
}
