package profile

import (
	"errors"
	"strings"
	"testing"
)

// finder fakes the machine: programs on PATH, and the modules each Python
// can import.
func finder(programs []string, modules map[string][]string) Finder {
	return Finder{
		Look: func(p string) (string, error) {
			for _, q := range programs {
				if q == p {
					return "/usr/bin/" + p, nil
				}
			}
			return "", errors.New("not found")
		},
		Imports: func(python, module string) bool {
			for _, m := range modules[python] {
				if m == module {
					return true
				}
			}
			return false
		},
	}
}

func TestResolve(t *testing.T) {
	debian := finder(
		[]string{
			"gunicorn",
			"python3",
			"/usr/bin/python3",
			"uwsgi",
			"uwsgi_python3",
			"puma",
			"waitress-serve",
			"hypercorn",
		},
		map[string][]string{"/usr/bin/python3": {"uvicorn", "gunicorn", "waitress"}},
	)
	tests := []struct {
		server, app string
		args        []string
		f           Finder
		want, one   string
		env         []string
		err         string
	}{
		{server: "gunicorn", f: debian,
			want: "gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} app:app"},
		{server: "gunicorn", app: "mysite.wsgi:application", f: debian,
			want: "gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} mysite.wsgi:application"},
		// Debian's uvicorn has no program; the python3 on PATH lacks it.
		{server: "uvicorn", f: debian,
			want: "/usr/bin/python3 -m uvicorn --host {host} --port {port} --workers {workers} app:app"},
		{server: "uwsgi", f: debian,
			want: "uwsgi_python3 --http-socket {bind} --master --die-on-term --enable-threads --need-app --processes {workers} --threads {threads} --module app:app"},
		{server: "puma", f: debian,
			want: "puma -b tcp://{bind} -w {workers} -t {threads}:{threads} config.ru",
			one:  "puma -b tcp://{bind} -w 0 -t {threads}:{threads} config.ru"},
		{
			server: "waitress",
			f:      debian,
			want:   "waitress-serve --listen {bind} --threads {threads} app:app",
		},
		{server: "paas", app: "node server.js", f: debian, want: "node server.js",
			env: []string{"PORT={port}", "HOST={host}", "WEB_CONCURRENCY={workers}"}},
		{server: "paas", f: debian, err: "server paas needs --app: the command to run"},
		// A deployment's flags go before the app, or before the flag that
		// takes it, and after a command.
		{server: "gunicorn", args: []string{"--preload", "--worker-class", "gthread"}, f: debian,
			want: "gunicorn --bind {bind} --workers {workers} --threads {threads} --worker-connections {threads} --preload --worker-class gthread app:app"},
		{server: "uwsgi", args: []string{"--lazy-apps"}, f: debian,
			want: "uwsgi_python3 --http-socket {bind} --master --die-on-term --enable-threads --need-app --processes {workers} --threads {threads} --lazy-apps --module app:app"},
		{server: "puma", args: []string{"--preload", "-e production"}, f: debian,
			want: "puma -b tcp://{bind} -w {workers} -t {threads}:{threads} --preload '-e production' config.ru",
			one:  "puma -b tcp://{bind} -w 0 -t {threads}:{threads} --preload '-e production' config.ru"},
		{server: "paas", app: "node server.js", args: []string{"--max-old-space-size=512"}, f: debian,
			want: "node server.js --max-old-space-size=512",
			env:  []string{"PORT={port}", "HOST={host}", "WEB_CONCURRENCY={workers}"}},
		{
			server: "hypercorn",
			f:      finder(nil, nil),
			err:    "server hypercorn: hypercorn is not installed here (apt-get install python3-hypercorn, or pip install hypercorn)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.server+" "+tt.app+" "+strings.Join(tt.args, " "), func(t *testing.T) {
			p, err := Lookup(tt.server)
			if err != nil {
				t.Fatal(err)
			}
			c, err := p.Resolve(tt.app, tt.f, tt.args...)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Resolve error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Template != tt.want || c.OneWorker != tt.one ||
				strings.Join(c.Environment, " ") != strings.Join(tt.env, " ") {
				t.Errorf(
					"Resolve = %+v, want %q, one worker %q, env %q",
					c,
					tt.want,
					tt.one,
					tt.env,
				)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	_, err := Lookup("gunicron")
	if err == nil ||
		!strings.Contains(
			err.Error(),
			`server "gunicron" is not one workerbench knows: use one of gunicorn, gunicorn-gevent, uvicorn`,
		) ||
		!strings.Contains(err.Error(), "or --cmd for any other command") {
		t.Errorf("Lookup error = %v", err)
	}
}

func TestProfilesAreConsistent(t *testing.T) {
	for _, name := range Names() {
		p, _ := Lookup(name)
		c, err := p.Resolve(
			"x",
			Finder{
				Look:    func(s string) (string, error) { return s, nil },
				Imports: func(string, string) bool { return true },
			},
		)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		all := c.Template + " " + strings.Join(c.Environment, " ")
		if !strings.Contains(all, "{port}") && !strings.Contains(all, "{bind}") {
			t.Errorf(
				"%s: the port reaches the server neither through %q nor %q",
				name,
				c.Template,
				c.Environment,
			)
		}
		if p.Axes.Workers != strings.Contains(all, "{workers}") ||
			p.Axes.Threads != strings.Contains(all, "{threads}") {
			t.Errorf(
				"%s: axes %+v, but the command is %q %q",
				name,
				p.Axes,
				c.Template,
				c.Environment,
			)
		}
		if p.Matrix == "" || p.Summary == "" || p.App == "" {
			t.Errorf("%s: missing matrix, summary or app description", name)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		cmd     string
		model   Model
		runtime Runtime
	}{
		{"gunicorn --bind {bind} app:app", Slots, CPython},
		{"gunicorn -k gevent --bind {bind} app:app", EventLoop, CPython},
		{"gunicorn -k uvicorn.workers.UvicornWorker --bind {bind} app:app", EventLoop, CPython},
		{"/usr/bin/python3 -m uvicorn --port {port} app:app", EventLoop, CPython},
		{"/home/me/.venv/bin/uvicorn --port {port} app:app", EventLoop, CPython},
		{"puma -b tcp://{bind} config.ru", Slots, Ruby},
		{"bundle exec rails server -p {port}", Slots, Ruby},
		{"node server.js", EventLoop, Node},
		{"./myserver --port {port}", Slots, Unknown},
		{"/tmp/workerbench demo-server --bind {bind} --event-loop", EventLoop, Unknown},
		{"/tmp/workerbench demo-server --bind {bind} --threads {threads}", Slots, Unknown},
	}
	for _, tt := range tests {
		m, r := Classify(strings.Fields(tt.cmd))
		if m != tt.model || r != tt.runtime {
			t.Errorf("Classify(%q) = %q, %q; want %q, %q", tt.cmd, m, r, tt.model, tt.runtime)
		}
	}
}

func TestGreedyAccept(t *testing.T) {
	for _, tt := range []struct {
		cmd     string
		threads int
		want    bool
	}{
		{"gunicorn --bind {bind} --workers {workers} --threads {threads} app:app", 3, true},
		{"gunicorn --bind {bind} --threads {threads} --worker-connections {threads} app:app", 3, false},
		{"gunicorn --threads 3 --worker-connections=3 app:app", 3, false},
		{"gunicorn --threads 3 --worker-connections 8 app:app", 3, true},
		{".venv/bin/python -m gunicorn --threads {threads} app:app", 4, true},
		{"gunicorn --bind {bind} app:app", 1, false}, // sync workers: one at a time
		{"uwsgi --http {bind} --processes {workers} --threads {threads}", 3, false},
		{"puma -w {workers} -t {threads}:{threads}", 3, false},
	} {
		if got := GreedyAccept(strings.Fields(tt.cmd), tt.threads); got != tt.want {
			t.Errorf("GreedyAccept(%q, %d) = %v, want %v", tt.cmd, tt.threads, got, tt.want)
		}
	}
}

// TestMissingAxis: the error says which cells the server takes, from its
// default matrix, and for paas how threads can be given.
func TestMissingAxis(t *testing.T) {
	for _, tt := range []struct {
		server, axis string
		value        int
		cell, want   string
	}{
		{"waitress", "workers", 2, "2x4",
			"server waitress has no workers to set (waitress: one process, a pool of threads (WSGI)), but the matrix asks for workers 2 (cell 2x4): give cells 1xT, like its default matrix 1x1,1x4,1x8"},
		{"uvicorn", "threads", 2, "2x2",
			"server uvicorn has no threads to set (uvicorn: an asyncio event loop per worker (ASGI: Starlette, FastAPI)), but the matrix asks for threads 2 (cell 2x2): give cells Wx1, like its default matrix 1x1,2x1,4x1"},
		{"paas", "threads", 2, "1x2",
			"give cells Wx1, like its default matrix 1x1,2x1,4x1, or give the server its threads through its environment, e.g. --env RAILS_MAX_THREADS={threads}"},
	} {
		p, err := Lookup(tt.server)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.MissingAxis(tt.axis, tt.value, tt.cell).Error(); !strings.HasSuffix(got, tt.want) {
			t.Errorf("%s %s: %q, want it to end %q", tt.server, tt.axis, got, tt.want)
		}
	}
}
