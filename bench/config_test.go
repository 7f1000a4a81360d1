package bench

import (
	"strings"
	"testing"
	"time"
)

func validConfig() Config {
	c := DefaultConfig()
	c.Command = "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app"
	c.Matrix = []Shape{{1, 1}}
	return c
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		err    string
	}{
		{"valid", func(*Config) {}, ""},
		{"missing command", func(c *Config) { c.Command = "" }, "command is empty"},
		{
			"no port",
			func(c *Config) { c.Command = "gunicorn app:app" },
			"neither {bind} nor {port}",
		},
		{
			"no port says the environment can give it",
			func(c *Config) { c.Command = "node server.js" },
			"or the environment must (e.g. --env PORT={port})",
		},
		{"port in the environment", func(c *Config) {
			c.Command = "node server.js"
			c.Env = []string{"PORT={port}", "WEB_CONCURRENCY={workers}"}
		}, ""},
		{
			"unknown placeholder in the environment",
			func(c *Config) { c.Env = []string{"PORT={prot}"} },
			`env "PORT={prot}": unknown placeholder {prot}`,
		},
		{
			"missing dir",
			func(c *Config) { c.Dir = "/does/not/exist" },
			`dir "/does/not/exist" does not exist`,
		},
		{"zero duration", func(c *Config) { c.Duration = 0 }, "duration 0s: must be positive"},
		{
			"negative duration",
			func(c *Config) { c.Duration = -time.Second },
			"duration -1s: must be positive",
		},
		{"requests instead of duration", func(c *Config) { c.Duration = 0; c.Requests = 100 }, ""},
		{"no matrix", func(c *Config) { c.Matrix = nil }, "matrix is empty"},
		{"zero trials", func(c *Config) { c.Trials = 0 }, "trials 0"},
		{
			"relative path",
			func(c *Config) { c.Endpoints = []Endpoint{{Path: "api"}} },
			`endpoints[0].path "api"`,
		},
		{
			"bad method",
			func(c *Config) { c.Endpoints = []Endpoint{{Method: "GE T", Path: "/"}} },
			"endpoints[0].method",
		},
		{
			"bad status",
			func(c *Config) { c.Endpoints = []Endpoint{{Path: "/", Status: 42}} },
			"endpoints[0].status 42",
		},
		{
			"bad header",
			func(c *Config) { c.Endpoints = []Endpoint{{Path: "/", Headers: map[string]string{"X": "a\r\nb"}}} },
			"endpoints[0].headers",
		},
		{"remote host", func(c *Config) { c.Host = "10.0.0.1" }, "not a loopback address"},
		{"remote allowed", func(c *Config) { c.Host = "10.0.0.1"; c.AllowRemote = true }, ""},
		{"IPv4-mapped loopback", func(c *Config) { c.Host = "::ffff:127.0.0.1" }, ""},
		{"bracketed IPv6 loopback", func(c *Config) { c.Host = "[::1]" }, ""},
		{"127 without four parts", func(c *Config) { c.Host = "127.1" }, "not a loopback address"},
		{"bad burst", func(c *Config) { c.Bursts = []int{0} }, "burst 0"},
		{"bad env", func(c *Config) { c.Env = []string{"NOEQUALS"} }, `env "NOEQUALS"`},
		{"several at once", func(c *Config) { c.Trials = 0; c.Duration = 0 }, "trials 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.mutate(&c)
			err := c.Validate()
			if tt.err == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("Validate error = %v, want containing %q", err, tt.err)
			}
		})
	}
}

func TestExpandEnv(t *testing.T) {
	c := validConfig()
	c.Env = []string{
		"PORT={port}",
		"BIND={bind}",
		"WEB_CONCURRENCY={workers}",
		"THREADS={threads}",
		"DATABASE_URL=postgresql://127.0.0.1/app_{side}",
		"PLAIN=x",
	}
	got := vars{host: c.Host, port: 8123, shape: Shape{3, 2}, side: "base"}.expand(c.Env)
	want := []string{
		"PORT=8123",
		"BIND=127.0.0.1:8123",
		"WEB_CONCURRENCY=3",
		"THREADS=2",
		"DATABASE_URL=postgresql://127.0.0.1/app_base",
		"PLAIN=x",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("expand = %q, want %q", got, want)
	}
}

func TestValidateDefaults(t *testing.T) {
	c := validConfig()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Endpoints) != 1 || c.Endpoints[0].Method != "GET" || c.Endpoints[0].Path != "/" ||
		c.Health != "/" {
		t.Errorf("defaults: endpoints %+v health %q", c.Endpoints, c.Health)
	}
	if got := c.ConnectionsFor(Shape{3, 3}); got != 27 {
		t.Errorf("ConnectionsFor(3x3) = %d, want 27", got)
	}
	if got := c.ConnectionsFor(Shape{1, 1}); got != 8 {
		t.Errorf("ConnectionsFor(1x1) = %d, want 8", got)
	}
}

// TestConnectionsForCapped: the default connection count stops where
// --connections does, whatever the matrix (3 × 65,536 slots at 256x256).
func TestConnectionsForCapped(t *testing.T) {
	for _, tc := range []struct {
		name       string
		shortQueue bool
		shape      Shape
		want       int
	}{
		{"3 × slots", false, Shape{3, 3}, 27},
		{"at least 8", false, Shape{1, 1}, 8},
		{"just under the cap", false, Shape{3333, 1}, 9999},
		{"256x256 capped", false, Shape{256, 256}, 10000},
		{"short queue capped", true, Shape{256, 256}, 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := validConfig()
			c.ShortQueue = tc.shortQueue
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.ConnectionsFor(tc.shape); got != tc.want {
				t.Errorf("ConnectionsFor(%v) = %d, want %d", tc.shape, got, tc.want)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	yml := `
command: gunicorn --bind {bind} --workers {workers} --threads {threads} app:app
matrix: [1x1, 3x3]
duration: 2s
trials: 3
keep_alive: false
bursts: [5, 20]
env: {FOO: bar}
setup: python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
endpoints:
  - name: sleep
    path: /?ms=200
  - method: post
    path: /api
    headers: {Content-Type: application/json}
    body: '{"a": 1}'
    status: 201
`
	c := DefaultConfig()
	if err := c.LoadConfig(strings.NewReader(yml), 2); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(c.Matrix) != 2 || c.Duration != 2*time.Second || c.Trials != 3 || c.KeepAlive ||
		len(c.Bursts) != 2 {
		t.Errorf("loaded %+v", c)
	}
	if len(c.Endpoints) != 2 || c.Endpoints[1].Method != "POST" || c.Endpoints[1].Status != 201 ||
		c.Endpoints[0].Label() != "sleep" ||
		c.Endpoints[1].Label() != "POST /api" {
		t.Errorf("endpoints %+v", c.Endpoints)
	}
	if c.Health != "/?ms=200" || len(c.Env) != 1 || c.Env[0] != "FOO=bar" {
		t.Errorf("health %q env %v", c.Health, c.Env)
	}
	if c.Setup != "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt" {
		t.Errorf("setup %q", c.Setup)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	tests := []struct{ name, yml, err string }{
		{"unknown key", "comand: x", `unknown key "comand": valid keys are command,`},
		{"bad duration", "duration: fast", `duration "fast": want a duration`},
		{"bad matrix", "matrix: 3x", `matrix cell "3x"`},
		{"wrong type", "trials: many", "cannot unmarshal"},
		{"not yaml", "[", "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			err := c.LoadConfig(strings.NewReader(tt.yml), 2)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("LoadConfig error = %v, want containing %q", err, tt.err)
			}
		})
	}
}

func FuzzLoadConfig(f *testing.F) {
	f.Add("command: gunicorn --bind {bind} app:app\nmatrix: 1x1,3x3\n")
	f.Add("endpoints:\n  - path: /\n    headers: {A: b}\n")
	f.Add("duration: 5s\nbursts: [1, 2]\n")
	f.Fuzz(func(t *testing.T, yml string) {
		c := DefaultConfig()
		if err := c.LoadConfig(strings.NewReader(yml), 2); err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			return
		}
		if c.Duration <= 0 && c.Requests <= 0 || len(c.Matrix) == 0 || len(c.Endpoints) == 0 {
			t.Fatalf("validated config is unusable: %+v", c)
		}
	})
}
