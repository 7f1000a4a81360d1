package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// writeTree writes files (slash-separated names) under a new directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		full := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// want is what a case expects of a Deployment; zero fields are not
// checked except Workers and Threads.
type want struct {
	profile, app, bind, expr string
	workers, threads         int
	args                     []string
	sources                  []string
	cpus, mib                int
}

func check(t *testing.T, d Deployment, w want) {
	t.Helper()
	if d.Profile != w.profile || d.Workers != w.workers || d.Threads != w.threads {
		t.Errorf("got %s %s, want %s %dx%d", d.Profile, d.Cell(), w.profile, w.workers, w.threads)
	}
	if w.app != "" && d.App != w.app {
		t.Errorf("App = %q, want %q", d.App, w.app)
	}
	if w.bind != "" && d.Bind != w.bind {
		t.Errorf("Bind = %q, want %q", d.Bind, w.bind)
	}
	if d.WorkersExpr != w.expr {
		t.Errorf("WorkersExpr = %q, want %q", d.WorkersExpr, w.expr)
	}
	if w.args != nil && !reflect.DeepEqual(d.Args, w.args) {
		t.Errorf("Args = %q, want %q", d.Args, w.args)
	}
	if w.sources != nil {
		var got []string
		for _, s := range d.Sources {
			got = append(got, s.String())
		}
		if !reflect.DeepEqual(got, w.sources) {
			t.Errorf("Sources = %q, want %q", got, w.sources)
		}
	}
	if d.MachineCPUs != w.cpus || d.MachineMemoryMiB != w.mib {
		t.Errorf("machine = %d CPUs %d MiB, want %d, %d", d.MachineCPUs, d.MachineMemoryMiB, w.cpus, w.mib)
	}
}

func TestDetectFileKinds(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  want
	}{
		{
			name:  "Procfile gunicorn long flags",
			files: map[string]string{"Procfile": "release: python manage.py migrate\nweb: gunicorn --workers 3 --threads 2 app:app\n"},
			want:  want{profile: "gunicorn", app: "app:app", workers: 3, threads: 2, sources: []string{"Procfile line 2"}},
		},
		{
			name:  "Procfile gunicorn short and = flags, kept flags, bind",
			files: map[string]string{"Procfile": "web: gunicorn -w 4 --threads=8 -k gthread --preload --bind 0.0.0.0:$PORT --max-requests 1000 mysite.wsgi\n"},
			want: want{profile: "gunicorn", app: "mysite.wsgi", bind: "0.0.0.0:$PORT", workers: 4, threads: 8,
				args: []string{"--preload", "--max-requests", "1000", "--worker-class", "gthread"}},
		},
		{
			name:  "Procfile gunicorn -w3 attached",
			files: map[string]string{"Procfile": "web: exec gunicorn -w3 app:app"},
			want:  want{profile: "gunicorn", app: "app:app", workers: 3, threads: 1},
		},
		{
			name:  "gunicorn default workers from WEB_CONCURRENCY in app.json",
			files: map[string]string{"Procfile": "web: gunicorn app:app", "app.json": `{"env": {"WEB_CONCURRENCY": {"value": "6"}}, "formation": {"web": {"quantity": 1, "size": "standard-2x"}}}`},
			want: want{profile: "gunicorn", workers: 6, threads: 1, expr: "$WEB_CONCURRENCY", mib: 1024,
				sources: []string{"Procfile line 1", "app.json line 1", "app.json line 1"}},
		},
		{
			name:  "gunicorn ${WEB_CONCURRENCY:-3} in the Procfile, unset",
			files: map[string]string{"Procfile": "web: gunicorn --workers ${WEB_CONCURRENCY:-3} app:app"},
			want:  want{profile: "gunicorn", workers: 3, threads: 1, expr: "$WEB_CONCURRENCY default 3"},
		},
		{
			name:  "gunicorn $WEB_CONCURRENCY from the process environment",
			files: map[string]string{"Procfile": "web: gunicorn --workers $WEB_CONCURRENCY app:app"},
			env:   map[string]string{"WEB_CONCURRENCY": "5"},
			want: want{profile: "gunicorn", workers: 5, threads: 1, expr: "$WEB_CONCURRENCY",
				sources: []string{"Procfile line 1", "WEB_CONCURRENCY in the environment"}},
		},
		{
			name: "gunicorn.conf.py under the command line",
			files: map[string]string{
				"Procfile":         "web: gunicorn --threads 4 app:app",
				"gunicorn.conf.py": "import multiprocessing\n\nworkers = multiprocessing.cpu_count() * 2 + 1\nthreads = 2\nbind = \"0.0.0.0:8000\"\n",
			},
			want: want{profile: "gunicorn", workers: 5, threads: 4, bind: "0.0.0.0:8000", expr: "multiprocessing.cpu_count() * 2 + 1",
				sources: []string{"Procfile line 1", "gunicorn.conf.py line 3"}},
		},
		{
			name:  "GUNICORN_CMD_ARGS over gunicorn.conf.py, under the command line",
			files: map[string]string{"Procfile": "web: gunicorn --threads 3 app:app", "gunicorn.conf.py": "workers = 2\nthreads = 2\n"},
			env:   map[string]string{"GUNICORN_CMD_ARGS": "--workers=7 --threads 9"},
			want: want{profile: "gunicorn", workers: 7, threads: 3,
				sources: []string{"Procfile line 1", "GUNICORN_CMD_ARGS in the environment"}},
		},
		{
			name:  "gunicorn.conf.py alone, wsgi_app and worker_class",
			files: map[string]string{"gunicorn.conf.py": "wsgi_app = \"shop.wsgi:application\"\nworkers = 2\nthreads = 4\nworker_class = \"gthread\"\npreload_app = True\n"},
			want: want{profile: "gunicorn", app: "shop.wsgi:application", workers: 2, threads: 4,
				args: []string{"--preload", "--worker-class", "gthread"}, sources: []string{"gunicorn.conf.py", "gunicorn.conf.py line 2", "gunicorn.conf.py line 3"}},
		},
		{
			name:  "gunicorn -c another config",
			files: map[string]string{"Procfile": "web: gunicorn -c deploy/gunicorn.py app:app", "deploy/gunicorn.py": "workers = 4\n"},
			want:  want{profile: "gunicorn", workers: 4, threads: 1, sources: []string{"Procfile line 1", "deploy/gunicorn.py line 1"}},
		},
		{
			name:  "gunicorn gevent workers",
			files: map[string]string{"Procfile": "web: gunicorn -k gevent -w 4 --threads 3 app:app"},
			want:  want{profile: "gunicorn-gevent", workers: 4, threads: 1},
		},
		{
			name:  "gunicorn UvicornWorker is uvicorn",
			files: map[string]string{"Procfile": "web: gunicorn -w 2 -k uvicorn.workers.UvicornWorker --preload main:app"},
			want:  want{profile: "uvicorn", app: "main:app", workers: 2, threads: 1},
		},
		{
			name:  "python -m gunicorn through poetry",
			files: map[string]string{"Procfile": "web: poetry run python -m gunicorn -w 2 app:app"},
			want:  want{profile: "gunicorn", workers: 2, threads: 1},
		},
		{
			name:  "uvicorn reads WEB_CONCURRENCY",
			files: map[string]string{"Procfile": "web: uvicorn shop.main:app --host 0.0.0.0 --port $PORT --factory", "app.json": `{"env": {"WEB_CONCURRENCY": "3"}}`},
			want:  want{profile: "uvicorn", app: "shop.main:app", bind: "0.0.0.0:$PORT", workers: 3, threads: 1, expr: "$WEB_CONCURRENCY", args: []string{"--factory"}},
		},
		{
			name:  "hypercorn",
			files: map[string]string{"Procfile": "web: hypercorn -b 0.0.0.0:$PORT -w 2 app:app"},
			want:  want{profile: "hypercorn", workers: 2, threads: 1, bind: "0.0.0.0:$PORT"},
		},
		{
			name:  "waitress-serve default threads",
			files: map[string]string{"Procfile": "web: waitress-serve --port=$PORT app:app"},
			want:  want{profile: "waitress", workers: 1, threads: 4, bind: ":$PORT"},
		},
		{
			name:  "waitress-serve threads",
			files: map[string]string{"Procfile": "web: waitress-serve --listen=*:$PORT --threads=8 --call app:create_app"},
			want:  want{profile: "waitress", app: "app:create_app", workers: 1, threads: 8, args: []string{"--call"}},
		},
		{
			name:  "uwsgi.ini alone",
			files: map[string]string{"uwsgi.ini": "[uwsgi]\nmodule = app:app\nprocesses = %k\nthreads = 2\nhttp = :$(PORT)\nmaster = true\n"},
			want:  want{profile: "uwsgi", app: "app:app", workers: 2, threads: 2, bind: ":$(PORT)", expr: "%k"},
		},
		{
			name:  "uwsgi command over its ini",
			files: map[string]string{"Procfile": "web: uwsgi --ini deploy.ini --processes 6", "deploy.ini": "[uwsgi]\nwsgi-file = blog/wsgi.py\nprocesses = $(WEB_CONCURRENCY)\nthreads = 3\n"},
			want:  want{profile: "uwsgi", app: "blog.wsgi:application", workers: 6, threads: 3},
		},
		{
			name:  "uwsgi flags",
			files: map[string]string{"Procfile": "web: uwsgi --http :$PORT --module app:app --callable x -p 2 --threads 4 --master"},
			want:  want{profile: "uwsgi", app: "app:app", workers: 2, threads: 4, bind: ":$PORT"},
		},
		{
			name: "config/puma.rb with WEB_CONCURRENCY and RAILS_MAX_THREADS",
			files: map[string]string{
				"config.ru": "run App\n",
				"config/puma.rb": "workers Integer(ENV.fetch(\"WEB_CONCURRENCY\") { 2 })\n" +
					"threads_count = ENV.fetch(\"RAILS_MAX_THREADS\", 5).to_i\nthreads threads_count, threads_count\npreload_app!\n",
			},
			want: want{profile: "puma", app: "config.ru", workers: 2, threads: 5, args: []string{"--preload"},
				expr: `Integer(ENV.fetch("WEB_CONCURRENCY") { 2 })`, sources: []string{"config/puma.rb", "config/puma.rb line 1", "config/puma.rb line 3"}},
		},
		{
			name: "Rails 7.0's default config/puma.rb",
			files: map[string]string{"config.ru": "run App\n", "Procfile": "web: bundle exec puma -C config/puma.rb", "config/puma.rb": `
max_threads_count = ENV.fetch("RAILS_MAX_THREADS") { 5 }
min_threads_count = ENV.fetch("RAILS_MIN_THREADS") { max_threads_count }
threads min_threads_count, max_threads_count
worker_timeout 3600 if ENV.fetch("RAILS_ENV", "development") == "development"
port ENV.fetch("PORT") { 3000 }
environment ENV.fetch("RAILS_ENV") { "development" }
pidfile ENV.fetch("PIDFILE") { "tmp/pids/server.pid" }
# workers ENV.fetch("WEB_CONCURRENCY") { 2 }
# preload_app!
plugin :tmp_restart
`},
			env:  map[string]string{"RAILS_MAX_THREADS": "4"},
			want: want{profile: "puma", workers: 1, threads: 4, expr: "$WEB_CONCURRENCY default 0", sources: []string{"Procfile line 1", "config/puma.rb line 4", "RAILS_MAX_THREADS in the environment"}},
		},
		{
			name: "Rails 7.1's default config/puma.rb",
			files: map[string]string{"config.ru": "run App\n", "config/puma.rb": `threads_count = ENV.fetch("RAILS_MAX_THREADS", 3)
threads threads_count, threads_count
port ENV.fetch("PORT", 3000)
plugin :tmp_restart
pidfile ENV["PIDFILE"] if ENV["PIDFILE"]
`},
			want: want{profile: "puma", workers: 1, threads: 3, expr: "$WEB_CONCURRENCY default 0"},
		},
		{
			name: "a gunicorn.conf.py with a dict over lines",
			files: map[string]string{"Procfile": "web: gunicorn app:app", "gunicorn.conf.py": `import os
workers = int(os.environ.get('GUNICORN_PROCESSES', '2'))
threads = int(os.environ.get('GUNICORN_THREADS', '4'))
# timeout = int(os.environ.get('GUNICORN_TIMEOUT', '120'))
bind = os.environ.get('GUNICORN_BIND', '0.0.0.0:8080')
secure_scheme_headers = {
    'X-Forwarded-Proto': 'https',
}
def on_starting(server):
    workers = 99
`},
			want: want{profile: "gunicorn", workers: 2, threads: 4, bind: "0.0.0.0:8080", expr: "int(os.environ.get('GUNICORN_PROCESSES', '2'))"},
		},
		{
			name:  "bundle exec puma -C with a command-line thread count",
			files: map[string]string{"config.ru": "run App\n", "Procfile": "web: bundle exec puma -C config/puma.rb -t 2:8", "config/puma.rb": "workers Etc.nprocessors\nthreads 1, 3\n"},
			want:  want{profile: "puma", workers: 2, threads: 8, expr: "Etc.nprocessors"},
		},
		{
			name:  "puma defaults: single mode, 5 threads",
			files: map[string]string{"config.ru": "run App\n", "Procfile": "web: bundle exec puma -p $PORT"},
			want:  want{profile: "puma", workers: 1, threads: 5, bind: ":$PORT", expr: "$WEB_CONCURRENCY default 0"},
		},
		{
			name:  "package.json start, a Node cluster",
			files: map[string]string{"package.json": `{"scripts": {"start": "node src/server.js"}}`, "src/server.js": "const n = Number(process.env.WEB_CONCURRENCY || 2);\n"},
			env:   map[string]string{"WEB_CONCURRENCY": "4"},
			want: want{profile: "paas", app: "node src/server.js", workers: 4, threads: 1, expr: "$WEB_CONCURRENCY default 2",
				sources: []string{"package.json line 1", "src/server.js line 1", "WEB_CONCURRENCY in the environment"}},
		},
		{
			name:  "Node cluster on the CPU count",
			files: map[string]string{"Procfile": "web: npm start", "package.json": `{"scripts": {"start": "node server"}}`, "server.js": "const n = process.env.WEB_CONCURRENCY ?? os.availableParallelism();\n"},
			want:  want{profile: "paas", app: "node server", workers: 2, threads: 1, expr: "$WEB_CONCURRENCY default os.availableParallelism()"},
		},
		{
			name:  "node with a preloaded module",
			files: map[string]string{"Procfile": "web: node -r dotenv/config --max-old-space-size=512 app.js", "app.js": "const n = +process.env.WEB_CONCURRENCY || 3"},
			want:  want{profile: "paas", app: "node -r dotenv/config --max-old-space-size=512 app.js", workers: 3, threads: 1, expr: "$WEB_CONCURRENCY default 3"},
		},
		{
			name:  "Node without a cluster",
			files: map[string]string{"package.json": `{"scripts": {"start": "node index.js"}}`, "index.js": "require('http').createServer().listen(process.env.PORT)\n"},
			want:  want{profile: "paas", workers: 1, threads: 1},
		},
		{
			name:  "Dockerfile exec form",
			files: map[string]string{"Dockerfile": "FROM python:3.12\nWORKDIR /app\nENV WEB_CONCURRENCY=4 PYTHONUNBUFFERED=1\nCMD [\"gunicorn\", \"--bind\", \"0.0.0.0:8000\", \"--threads\", \"2\", \"app:app\"]\n"},
			want: want{profile: "gunicorn", workers: 4, threads: 2, bind: "0.0.0.0:8000", expr: "$WEB_CONCURRENCY",
				sources: []string{"Dockerfile line 4", "Dockerfile line 3"}},
		},
		{
			name:  "Dockerfile shell form, last stage, tini entrypoint",
			files: map[string]string{"Dockerfile": "FROM node AS build\nCMD [\"node\", \"x.js\"]\nFROM python:3.12\nENTRYPOINT [\"tini\", \"--\"]\nCMD gunicorn \\\n  -w 3 app:app\n"},
			want:  want{profile: "gunicorn", workers: 3, threads: 1, sources: []string{"Dockerfile line 4"}},
		},
		{
			name:  "Dockerfile sh -c with a plain command",
			files: map[string]string{"Dockerfile": "FROM python\nCMD [\"sh\", \"-c\", \"gunicorn -b 0.0.0.0:${PORT:-8000} -w ${WORKERS:-2} app:app\"]\n"},
			want:  want{profile: "gunicorn", workers: 2, threads: 1, bind: "0.0.0.0:${PORT:-8000}", expr: "$WORKERS default 2"},
		},
		{
			name:  "render.yaml startCommand, envVars and plan",
			files: map[string]string{"render.yaml": "services:\n  - type: web\n    name: shop\n    runtime: python\n    plan: standard\n    startCommand: gunicorn app:app --threads 4\n    envVars:\n      - key: WEB_CONCURRENCY\n        value: 3\n"},
			want: want{profile: "gunicorn", workers: 3, threads: 4, expr: "$WEB_CONCURRENCY", cpus: 1, mib: 2048,
				sources: []string{"render.yaml line 6", "render.yaml line 8", "render.yaml line 5"}},
		},
		{
			name: "fly.toml processes, env and vm over the Dockerfile",
			files: map[string]string{
				"Dockerfile": "FROM python\nENV THREADS=2\nCMD [\"gunicorn\", \"app:app\"]\n",
				"fly.toml":   "app = \"shop\"\n\n[env]\n  WEB_CONCURRENCY = \"3\"\n\n[processes]\n  app = \"gunicorn --threads 2 app:app\"\n\n[[vm]]\n  cpus = 2\n  memory = \"1gb\"\n",
			},
			want: want{profile: "gunicorn", workers: 3, threads: 2, expr: "$WEB_CONCURRENCY", cpus: 2, mib: 1024,
				sources: []string{"fly.toml line 7", "fly.toml line 4", "fly.toml line 9"}},
		},
		{
			name:  "fly.toml vm size preset, command from the Dockerfile",
			files: map[string]string{"Dockerfile": "FROM python\nCMD [\"gunicorn\", \"-w\", \"2\", \"app:app\"]\n", "fly.toml": "[[vm]]\nsize = \"performance-2x\"\n"},
			want:  want{profile: "gunicorn", workers: 2, threads: 1, cpus: 2, mib: 4096},
		},
		{
			name:  "Procfile over the Dockerfile",
			files: map[string]string{"Procfile": "web: gunicorn -w 2 app:app", "Dockerfile": "FROM python\nCMD [\"gunicorn\", \"-w\", \"9\", \"app:app\"]\n"},
			want:  want{profile: "gunicorn", workers: 2, threads: 1},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Detect(writeTree(t, tc.files), tc.env, 2)
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			check(t, d, tc.want)
		})
	}
}

const takeOver = "; pass --cmd '…{port}…' or --server NAME"

func TestDetectUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		env   map[string]string
		want  string // the error, less takeOver
	}{
		{"bin/start", map[string]string{"Procfile": "web: bin/start\n", "bin/start": "#!/bin/sh\nexec gunicorn app:app\n"},
			nil, "Procfile line 1: web: bin/start runs a script workerbench cannot read"},
		{"run.sh", map[string]string{"Procfile": "web: ./run.sh --prod"},
			nil, "Procfile line 1: web: ./run.sh --prod runs a script workerbench cannot read"},
		{"sh -c with logic", map[string]string{"Procfile": "web: sh -c 'python manage.py migrate && gunicorn app:app'"},
			nil, `Procfile line 1: web: sh -c 'python manage.py migrate && gunicorn app:app' has shell logic (&), which workerbench does not follow`},
		{"cd && gunicorn", map[string]string{"Procfile": "web: cd src && gunicorn app:app"},
			nil, `Procfile line 1: web: cd src && gunicorn app:app has shell logic (&), which workerbench does not follow`},
		{"exec of a script", map[string]string{"Dockerfile": "FROM python\nCMD exec /app/entrypoint.sh\n"},
			nil, "Dockerfile line 2: CMD exec /app/entrypoint.sh runs a script workerbench cannot read"},
		{"an entrypoint script", map[string]string{"Dockerfile": "FROM python\nENTRYPOINT [\"./docker-entrypoint.sh\"]\nCMD [\"gunicorn\", \"app:app\"]\n"},
			nil, `Dockerfile line 2: ENTRYPOINT ["./docker-entrypoint.sh"] + CMD ["gunicorn", "app:app"] runs a script workerbench cannot read`},
		{"python script", map[string]string{"Procfile": "web: python app.py"},
			nil, "Procfile line 1: web: python app.py runs a script workerbench cannot read"},
		{"unknown server", map[string]string{"Procfile": "web: java -jar app.jar"},
			nil, "Procfile line 1: web: java -jar app.jar runs java, a server workerbench has no profile for"},
		{"command substitution", map[string]string{"Procfile": "web: gunicorn -w $(nproc) app:app"},
			nil, "Procfile line 1: web: gunicorn -w $(nproc) app:app substitutes a command's output, which workerbench does not follow"},
		{"eventlet", map[string]string{"Procfile": "web: gunicorn -k eventlet app:app"},
			nil, "Procfile line 1: web: gunicorn -k eventlet app:app runs gunicorn's eventlet workers, which workerbench has no profile for"},
		{"no app", map[string]string{"Procfile": "web: gunicorn -w 2"},
			nil, "Procfile line 1: web: gunicorn -w 2 names no app (module:callable)"},
		{"workers not set", map[string]string{"Procfile": "web: gunicorn -w $WORKERS app:app"},
			nil, "Procfile line 1: web: gunicorn -w $WORKERS app:app sets --workers to WORKERS is not set"},
		{"exec form does not expand", map[string]string{"Dockerfile": "FROM python\nCMD [\"gunicorn\", \"-w\", \"$WORKERS\", \"app:app\"]\n"},
			nil, `Dockerfile line 2: CMD ["gunicorn", "-w", "$WORKERS", "app:app"] sets --workers to "$WORKERS" is not expanded in a command without a shell`},
		{"workers in a block", map[string]string{"Procfile": "web: gunicorn app:app", "gunicorn.conf.py": "import os\nif os.environ.get('PROD'):\n    workers = 8\n"},
			nil, "gunicorn.conf.py line 3: workers = 8 cannot be evaluated: is inside a block, which workerbench does not follow"},
		{"a function workerbench does not evaluate", map[string]string{"gunicorn.conf.py": "wsgi_app = 'app:app'\nworkers = compute_workers()\n"},
			nil, "gunicorn.conf.py line 2: workers = compute_workers() cannot be evaluated: compute_workers is not something workerbench evaluates"},
		{"os.environ[] unset", map[string]string{"gunicorn.conf.py": "wsgi_app = 'app:app'\nworkers = int(os.environ['WORKERS'])\n"},
			nil, "gunicorn.conf.py line 2: workers = int(os.environ['WORKERS']) cannot be evaluated: WORKERS is not set"},
		{"zero workers", map[string]string{"gunicorn.conf.py": "wsgi_app = 'app:app'\nworkers = os.cpu_count() - 2\n"},
			nil, "gunicorn.conf.py line 2: workers = os.cpu_count() - 2 gives 0 workers"},
		{"puma workers in a block", map[string]string{"config.ru": "run A", "config/puma.rb": "if ENV['PROD']\n  workers 4\nend\n"},
			nil, "config/puma.rb line 2: workers 4 cannot be evaluated: is inside a block, which workerbench does not follow"},
		{"puma ENV.fetch unset", map[string]string{"config.ru": "run A", "config/puma.rb": "workers ENV.fetch('WEB_CONCURRENCY')\n"},
			nil, "config/puma.rb line 1: workers ENV.fetch('WEB_CONCURRENCY') cannot be evaluated: WEB_CONCURRENCY is not set"},
		{"uwsgi substitution", map[string]string{"uwsgi.ini": "[uwsgi]\nmodule = app:app\nprocesses = %(cores)\n"},
			nil, "uwsgi.ini line 3: processes = %(cores) cannot be evaluated: uses a uWSGI substitution workerbench does not evaluate"},
		{"node cluster without WEB_CONCURRENCY", map[string]string{"package.json": `{"scripts": {"start": "node server.js"}}`, "server.js": "const cluster = require('cluster');\nfor (const _ of os.cpus()) cluster.fork();\n"},
			nil, "package.json line 1: \"start\": \"node server.js\" runs server.js, which forks workers by a count workerbench cannot read"},
		{"GUNICORN_CMD_ARGS with a bad flag", map[string]string{"Procfile": "web: gunicorn app:app"}, map[string]string{"GUNICORN_CMD_ARGS": "-Z"},
			"GUNICORN_CMD_ARGS in the environment: GUNICORN_CMD_ARGS=-Z flag -Z is not one workerbench knows"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Detect(writeTree(t, tc.files), tc.env, 2)
			var u *UnreadableError
			if !errors.As(err, &u) {
				t.Fatalf("Detect: %v, want an *UnreadableError", err)
			}
			if got := strings.TrimSuffix(err.Error(), takeOver); got != tc.want {
				t.Errorf("error\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDetectNotFound(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"empty":                      {},
		"a Procfile without web":     {"Procfile": "worker: celery -A app worker\n"},
		"config.ru alone":            {"config.ru": "run App\n"},
		"package.json without start": {"package.json": `{"scripts": {"test": "jest"}}`},
		"app.json alone":             {"app.json": `{"env": {"WEB_CONCURRENCY": "2"}}`},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Detect(writeTree(t, files), nil, 2); !errors.Is(err, ErrNotFound) {
				t.Errorf("Detect: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestExpressions(t *testing.T) {
	env := environ{"WEB_CONCURRENCY": {value: "3"}, "EMPTY": {value: ""}}
	for _, tc := range []struct {
		src  string
		ruby bool
		want int // for 4 CPUs
		err  string
	}{
		{src: "multiprocessing.cpu_count() * 2 + 1", want: 9},
		{src: "os.cpu_count()", want: 4},
		{src: "cpu_count() // 2", want: 2},
		{src: "(os.cpu_count() or 1) * 2", want: 8},
		{src: "len(os.sched_getaffinity(0))", want: 4},
		{src: "max(2, os.cpu_count() - 3)", want: 2},
		{src: "min(8, cpu_count() * 4)", want: 8},
		{src: "int(os.environ.get(\"WEB_CONCURRENCY\", 2))", want: 3},
		{src: "int(os.environ.get('UNSET', 2))", want: 2},
		{src: "int(os.getenv('UNSET', '5'))", want: 5},
		{src: "int(os.getenv('UNSET') or 6)", want: 6},
		{src: "int(os.environ['WEB_CONCURRENCY']) + 1", want: 4},
		{src: "os.cpu_count() / 3", want: 1},
		{src: "4 if os.environ.get('UNSET') else 2", want: 2},
		{src: "-1 + 3", want: 2},
		{src: "Integer(ENV.fetch(\"WEB_CONCURRENCY\") { 2 })", ruby: true, want: 3},
		{src: "Integer(ENV.fetch(\"UNSET\") { 2 })", ruby: true, want: 2},
		{src: "ENV.fetch(\"RAILS_MAX_THREADS\", 5)", ruby: true, want: 5},
		{src: "ENV.fetch('UNSET', 5).to_i", ruby: true, want: 5},
		{src: "Integer(ENV['UNSET'] || 2)", ruby: true, want: 2},
		{src: "ENV['WEB_CONCURRENCY'].to_i * 2", ruby: true, want: 6},
		{src: "Etc.nprocessors / 3", ruby: true, want: 1},
		{src: "Concurrent.processor_count", ruby: true, want: 4},
		{src: "ENV['UNSET'].to_i", ruby: true, want: 0},
		{src: "int(os.environ.get('EMPTY', 2))", err: `int(): "" is not a whole number`},
		{src: "ENV.fetch('UNSET')", ruby: true, err: "UNSET is not set"},
		{src: "os.system('rm -rf /')", err: "os.system is not something workerbench evaluates"},
		{src: "__import__('os')", err: "__import__ is not something workerbench evaluates"},
		{src: "cpu_count() * 'x'", err: "* of values that are not both numbers"},
		{src: "1 / 0", err: "division by zero"},
		{src: "f\"{cpu_count()}\"", err: "a string with substitutions"},
		{src: "(((1", err: `missing ")" at the end`},
		{src: "1 +", err: "the expression ends too early"},
		{src: "`nproc`", err: "unexpected \"`\""},
	} {
		t.Run(tc.src, func(t *testing.T) {
			n, _, err := parseExpr(tc.src, tc.ruby, env, map[string]variable{})
			var got int
			if err == nil {
				var v value
				if v, err = n.eval(4); err == nil {
					got, err = v.integer()
				}
			}
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("= %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

func TestWorkersFor(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"Procfile":         "web: gunicorn app:app",
		"gunicorn.conf.py": "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\n",
	})
	d, err := Detect(dir, nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	if d.Workers != 5 || d.WorkersFor(8) != 17 || d.WorkersFor(1) != 3 {
		t.Errorf("Workers %d, for 8 CPUs %d, for 1 %d; want 5, 17, 3", d.Workers, d.WorkersFor(8), d.WorkersFor(1))
	}
	want := "deployed: gunicorn 5x1 from Procfile line 1, workers = multiprocessing.cpu_count() * 2 + 1 (gunicorn.conf.py line 2)"
	if d.Summary() != want {
		t.Errorf("Summary\n got %s\nwant %s", d.Summary(), want)
	}
	puma, err := Detect(writeTree(t, map[string]string{"config.ru": "run A", "config/puma.rb": "workers Etc.nprocessors - 2\n"}), nil, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Puma's 0 workers is single mode: one process.
	if puma.Workers != 1 || puma.WorkersFor(4) != 2 {
		t.Errorf("puma workers %d, for 4 CPUs %d; want 1, 2", puma.Workers, puma.WorkersFor(4))
	}
}

func TestSummaryAndError(t *testing.T) {
	d := Deployment{Profile: "gunicorn", Workers: 3, Threads: 2, Sources: []Source{{File: "Procfile", Line: 1}}}
	if got, want := d.Summary(), "deployed: gunicorn 3x2 from Procfile line 1"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	if d.WorkersFor(8) != 3 {
		t.Errorf("WorkersFor(8) of a literal = %d, want 3", d.WorkersFor(8))
	}
	e := &UnreadableError{Source: Source{File: "Procfile", Line: 1}, Text: "web: bin/start", Reason: "runs a script workerbench cannot read"}
	if got, want := e.Error(), "Procfile line 1: web: bin/start runs a script workerbench cannot read"+takeOver; got != want {
		t.Errorf("Error = %q, want %q", got, want)
	}
}
