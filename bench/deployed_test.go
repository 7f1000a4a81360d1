package bench

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/deploy"
	"github.com/workerbench/workerbench/bench/results"
)

// deployedConfig is a Config as Detect leaves it for d, with every server
// found.
func deployedConfig(d deploy.Deployment) Config {
	c := DefaultConfig()
	c.Server, c.App, c.ServerArgs, c.Deployed, c.find = d.Profile, d.App, d.Args, &d, everywhere
	return c
}

func procfile3x2() deploy.Deployment {
	return deploy.Deployment{Profile: "gunicorn", App: "app:app", Args: []string{"--preload"},
		Workers: 3, Threads: 2, Sources: []deploy.Source{{File: "Procfile", Line: 1, What: "web process"}}}
}

// TestAroundDeployed: the default matrix of a deployment is its cell and
// its neighbours on the axes the server has, small and in order.
func TestAroundDeployed(t *testing.T) {
	for _, tt := range []struct {
		profile          string
		workers, threads int
		want             string
	}{
		{"gunicorn", 3, 2, "2x2,3x1,3x2,3x4,4x2,6x2"},
		{"gunicorn", 1, 1, "1x1,1x2,2x1"},
		{"puma", 2, 5, "1x5,2x2,2x5,2x10,3x5,4x5"},
		{"uvicorn", 4, 1, "3x1,4x1,5x1,8x1"},            // no threads axis
		{"waitress", 1, 8, "1x4,1x8,1x16"},              // no workers axis
		{"gunicorn", 200, 1, "199x1,200x1,200x2,201x1"}, // 400 workers is beyond MaxDimension
	} {
		d := procfile3x2()
		d.Profile, d.Workers, d.Threads = tt.profile, tt.workers, tt.threads
		c := deployedConfig(d)
		if got := FormatMatrix(c.AroundDeployed()); got != tt.want {
			t.Errorf("%s %s: matrix %s, want %s", tt.profile, d.Cell(), got, tt.want)
		}
	}
}

// TestWithDeployed: a matrix the user gave gains the deployed cell at its
// end, once.
func TestWithDeployed(t *testing.T) {
	c := deployedConfig(procfile3x2())
	if got := FormatMatrix(c.WithDeployed([]Shape{{1, 1}, {3, 3}})); got != "1x1,3x3,3x2" {
		t.Errorf("added: %s", got)
	}
	if got := FormatMatrix(c.WithDeployed([]Shape{{3, 2}, {1, 1}})); got != "3x2,1x1" {
		t.Errorf("already there: %s", got)
	}
	var none Config
	if got := FormatMatrix(none.WithDeployed([]Shape{{1, 1}})); got != "1x1" {
		t.Errorf("nothing deployed: %s", got)
	}
}

// TestValidateDeployed: a deployment builds its profile's command with its
// flags, and its cell must be in the matrix.
func TestValidateDeployed(t *testing.T) {
	c := deployedConfig(procfile3x2())
	c.Matrix = c.AroundDeployed()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := "gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} --preload app:app"
	if got := c.Template().String(); got != want {
		t.Errorf("command %q, want %q", got, want)
	}
	c.Matrix = []Shape{{1, 1}}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(),
		"matrix 1x1 lacks the deployed cell 3x2 (deployed: gunicorn 3x2 from Procfile line 1)") {
		t.Errorf("Validate = %v, want the deployed cell missing", err)
	}
}

// TestDetectNotFound: a project whose files say nothing leaves the command
// empty, and the error names the directory and what was looked for; a
// command or server given is never second-guessed.
func TestDetectNotFound(t *testing.T) {
	dir := t.TempDir()
	c := DefaultConfig()
	c.Matrix = []Shape{{1, 1}}
	if err := c.Detect(dir, nil, 2); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	for _, want := range []string{"command is empty, and nothing in " + dir + " says how the project is served",
		"looked for Procfile, gunicorn.conf.py", "give the server command, e.g. --cmd"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate = %v, want %q", err, want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte("web: bin/start\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	given := validConfig()
	if err := given.Detect(dir, nil, 2); err != nil || given.Deployed != nil || given.Server != "" {
		t.Errorf("with --cmd: Detect = %v, deployed %v, server %q; want nothing read", err, given.Deployed, given.Server)
	}
}

// TestRecommendForDeployment: the deployment machine's size is the target
// where no flag gives one, and the deployed workers are evaluated for the
// target's CPUs.
func TestRecommendForDeployment(t *testing.T) {
	d := procfile3x2()
	d.MachineCPUs, d.MachineMemoryMiB = 4, 1024
	c := deployedConfig(d)
	got := c.recommendFor(2)
	if got.CPUs != 4 || got.MemoryBudget != 1024<<20 || !got.FromDeployment || got.Deployed.String() != "3x2" {
		t.Errorf("target %+v, want the deployment's 4 CPUs and 1 GiB, deployed 3x2", got)
	}
	c.Target.CPUs, c.Target.MemoryBudget = 8, 512<<20
	if got := c.recommendFor(2); got.CPUs != 8 || got.MemoryBudget != 512<<20 || got.FromDeployment {
		t.Errorf("flags given: target %+v, want theirs", got)
	}
	c = deployedConfig(procfile3x2())
	if got := c.recommendFor(2); got.CPUs != 2 || got.FromDeployment {
		t.Errorf("no machine stated: target %+v, want this machine's 2 CPUs", got)
	}
}

// TestRecordDeployment: results record the deployment as found, and it
// passes their validation.
func TestRecordDeployment(t *testing.T) {
	d := procfile3x2()
	d.WorkersExpr, d.MachineCPUs = "$WEB_CONCURRENCY default 3", 1
	r := recordDeployment(&d)
	if r.Cell != "3x2" || r.Profile != "gunicorn" || r.From() != "Procfile line 1" ||
		r.Machine == nil || r.Machine.CPUs != 1 || r.WorkersExpr != d.WorkersExpr {
		t.Errorf("recorded %+v", r)
	}
	run := &results.Run{Schema: results.Schema, Deployed: r}
	if _, err := results.Decode(strings.NewReader(mustJSON(t, run))); err != nil {
		t.Errorf("recorded deployment does not decode: %v", err)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestBaseDeployment: a comparison runs head's deployment on both sides;
// when the base's files deploy otherwise it is recorded and a warning says
// both sides ran head's.
func TestBaseDeployment(t *testing.T) {
	head := procfile3x2()
	cfg := deployedConfig(head)
	for _, tt := range []struct {
		name, procfile string
		want           string // "" for no warning
		recorded       string // base_deployed's cell
	}{
		{"same", "web: gunicorn --workers 3 --threads 2 --preload app:app\n", "", ""},
		{"other cell", "web: gunicorn --workers 2 --threads 2 --preload app:app\n",
			"base deploys gunicorn 2x2 app:app --preload (Procfile line 1); both sides ran head's " +
				"gunicorn 3x2 app:app --preload (Procfile line 1), so the verdict is the code's under it", "2x2"},
		{"unreadable", "web: bin/start\n", "base's files state a deployment workerbench cannot read " +
			"(Procfile line 1: web: bin/start runs a script", ""},
		{"none", "", "base's files state no deployment; both sides ran head's", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.procfile != "" {
				if err := os.WriteFile(filepath.Join(dir, "Procfile"), []byte(tt.procfile), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			a := &AB{Runner: Runner{Config: &cfg}, ABOptions: ABOptions{BaseDir: dir}}
			res := &results.Run{}
			got := strings.Join(a.baseDeployment(res, nil, 2), "\n")
			if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
				t.Errorf("warnings %q, want %q", got, tt.want)
			}
			if rec := res.BaseDeployed; tt.recorded == "" && rec != nil || tt.recorded != "" &&
				(rec == nil || rec.Cell != tt.recorded) {
				t.Errorf("base_deployed %+v, want %q", rec, tt.recorded)
			}
		})
	}
}
