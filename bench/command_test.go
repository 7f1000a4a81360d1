package bench

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/workerbench/workerbench/bench/profile"
)

// everywhere is a machine where every program and module is installed.
var everywhere = profile.Finder{
	Look:    func(p string) (string, error) { return "/usr/bin/" + p, nil },
	Imports: func(string, string) bool { return true },
}

// TestValidateServer: --server builds the command, its environment, model
// and runtime; the matrix must fit the axes the command has.
func TestValidateServer(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config // Matrix in the test's own syntax below
		matrix  string
		command string // want
		env     []string
		model   profile.Model
		runtime profile.Runtime
		err     string
	}{
		{
			name:    "gunicorn",
			cfg:     Config{Server: "gunicorn", App: "mysite.wsgi:application"},
			matrix:  "1x1,3x3",
			command: "gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} mysite.wsgi:application",
			model:   profile.Slots, runtime: profile.CPython,
		},
		{
			name:    "paas takes the model of its command",
			cfg:     Config{Server: "paas", App: "node server.js"},
			matrix:  "1x1,2x1",
			command: "node server.js",
			env:     []string{"PORT={port}", "HOST={host}", "WEB_CONCURRENCY={workers}"},
			model:   profile.EventLoop, runtime: profile.Node,
		},
		{
			name: "paas with threads through the environment",
			cfg: Config{
				Server: "paas", App: "bundle exec puma",
				Env: []string{"RAILS_MAX_THREADS={threads}"},
			},
			matrix:  "1x1,2x3",
			command: "bundle exec puma",
			env: []string{
				"PORT={port}", "HOST={host}", "WEB_CONCURRENCY={workers}",
				"RAILS_MAX_THREADS={threads}",
			},
			model: profile.Slots, runtime: profile.Ruby,
		},
		{
			name:    "a command is classified",
			cfg:     Config{Command: "/venv/bin/uvicorn --port {port} --workers {workers} app:app"},
			matrix:  "1x1,2x1",
			command: "/venv/bin/uvicorn --port {port} --workers {workers} app:app",
			model:   profile.EventLoop, runtime: profile.CPython,
		},
		{
			name:   "both",
			cfg:    Config{Server: "gunicorn", Command: "gunicorn -b {bind} app:app"},
			matrix: "1x1",
			err:    `--server gunicorn and --cmd "gunicorn -b {bind} app:app" are both given`,
		},
		{
			name:   "app without server",
			cfg:    Config{Command: "gunicorn -b {bind} app:app", App: "app:app"},
			matrix: "1x1",
			err:    `app "app:app" is given without a server`,
		},
		{
			name:   "unknown server",
			cfg:    Config{Server: "unicorn"},
			matrix: "1x1",
			err:    `server "unicorn" is not one workerbench knows`,
		},
		{
			name:   "waitress has no workers",
			cfg:    Config{Server: "waitress"},
			matrix: "1x4,2x4",
			err:    "server waitress has no workers to set (waitress: one process, a pool of threads (WSGI)), but the matrix asks for workers 2 (cell 2x4): give cells 1xT, like its default matrix 1x1,1x4,1x8",
		},
		{
			name:   "uvicorn has no threads, even in one cell",
			cfg:    Config{Server: "uvicorn"},
			matrix: "2x2",
			err:    "server uvicorn has no threads to set",
		},
		{
			name:   "paas has no threads: the environment can give them",
			cfg:    Config{Server: "paas", App: "node server.js"},
			matrix: "1x1,1x2",
			err:    "give cells Wx1, like its default matrix 1x1,2x1,4x1, or give the server its threads through its environment",
		},
		{
			name:   "a command without {threads}",
			cfg:    Config{Command: "uvicorn --port {port} --workers {workers} app:app"},
			matrix: "1x1,1x3,3x1",
			err:    "matrix varies threads (1, 3) but the command has no {threads}: cells 1x1 and 1x3 would run the same server; put {threads} in the command (e.g. --threads {threads}) or in an --env value, or give every cell the same threads",
		},
		{
			name:    "a command without {threads}, one value",
			cfg:     Config{Command: "uvicorn --port {port} --workers {workers} app:app"},
			matrix:  "1x4,2x4",
			command: "uvicorn --port {port} --workers {workers} app:app",
			model:   profile.EventLoop, runtime: profile.CPython,
		},
		{
			name:   "a command without either",
			cfg:    Config{Command: "srv --port {port}"},
			matrix: "1x1,2x2",
			err:    "matrix varies workers (1, 2) but the command has no {workers}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			c.Command, c.Server, c.App = tt.cfg.Command, tt.cfg.Server, tt.cfg.App
			c.Env = tt.cfg.Env
			m, err := ParseMatrix(tt.matrix, 2)
			if err != nil {
				t.Fatal(err)
			}
			c.Matrix = m
			c.find = everywhere
			err = c.Validate()
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Validate error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := c.Template().String()
			if got != tt.command || !slices.Equal(c.environ(), tt.env) ||
				c.Model() != tt.model || c.Runtime() != tt.runtime {
				t.Errorf("command %q env %q model %q runtime %q,\nwant %q %q %q %q",
					got, c.environ(), c.Model(), c.Runtime(),
					tt.command, tt.env, tt.model, tt.runtime)
			}
			// Validate may run again (the CLI and NewAB both see the config).
			if err := c.Validate(); err != nil || c.Template().String() != got {
				t.Errorf("Validate again: %v, command %q", err, c.Template().String())
			}
		})
	}
}

// TestPumaOneWorker: a cell of one worker runs puma in single mode.
func TestPumaOneWorker(t *testing.T) {
	c := DefaultConfig()
	c.Server, c.Matrix, c.find = "puma", []Shape{{1, 3}, {3, 3}}, everywhere
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		shape Shape
		want  string
	}{
		{Shape{1, 3}, "puma -b tcp://127.0.0.1:8000 -w 0 -t 3:3 config.ru"},
		{Shape{3, 3}, "puma -b tcp://127.0.0.1:8000 -w 3 -t 3:3 config.ru"},
	} {
		got := strings.Join(c.Template().expand(vars{host: "127.0.0.1", port: 8000, shape: tt.shape}), " ")
		if got != tt.want {
			t.Errorf("%s: %q, want %q", tt.shape, got, tt.want)
		}
	}
}

// TestServerNotInstalled: a server whose program is nowhere is refused
// before anything starts, with how to install it.
func TestServerNotInstalled(t *testing.T) {
	c := DefaultConfig()
	c.Server, c.Matrix = "puma", []Shape{{1, 1}}
	c.find = profile.Finder{
		Look:    func(string) (string, error) { return "", errors.New("not found") },
		Imports: func(string, string) bool { return false },
	}
	err := c.Validate()
	want := "server puma: puma is not installed here (apt-get install puma, or gem install puma)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Validate error = %v, want %q", err, want)
	}
}

// TestLocalFinder looks over the server's PATH, not ours.
func TestLocalFinder(t *testing.T) {
	f := localFinder([]string{"PATH=/nonexistent"})
	if p, err := f.Look("sh"); err == nil {
		t.Errorf("Look(sh) over PATH=/nonexistent = %q", p)
	}
	if _, err := f.Look("/no/such/python3"); err == nil {
		t.Error("Look found a path that does not exist")
	}
	f = localFinder([]string{"PATH=/usr/bin:/bin"})
	if _, err := f.Look("sh"); err != nil {
		t.Errorf("Look(sh): %v", err)
	}
	if f.Imports("/no/such/python3", "os") {
		t.Error("Imports with no Python said yes")
	}
}
