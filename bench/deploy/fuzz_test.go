package deploy

import "testing"

// fuzzFiles are the files Detect reads; the fuzzer writes its content to
// one of them, with a Procfile naming each server so the config files are
// read too.
var fuzzFiles = []string{
	"Procfile", "gunicorn.conf.py", "uwsgi.ini", "config/puma.rb", "package.json", "server.js",
	"Dockerfile", "app.json", "render.yaml", "fly.toml",
}

var fuzzProcfiles = []string{
	"web: gunicorn app:app", "web: uwsgi --ini uwsgi.ini", "web: puma", "web: npm start", "",
}

// FuzzDetect checks that Detect on any file contents returns (a deployment
// or an error) without panicking, and that what it returns is usable.
func FuzzDetect(f *testing.F) {
	f.Add(uint8(0), uint8(4), "web: gunicorn -w 3 --threads 2 app:app\n")
	f.Add(uint8(1), uint8(0), "import multiprocessing\nworkers = multiprocessing.cpu_count() * 2 + 1\nthreads = int(os.environ.get('T', 2))\n")
	f.Add(uint8(2), uint8(1), "[uwsgi]\nmodule = app:app\nprocesses = %k\n")
	f.Add(uint8(3), uint8(2), "workers Integer(ENV.fetch(\"WEB_CONCURRENCY\") { 2 })\nthreads 1, 5\nif x\n workers 3\nend\n")
	f.Add(uint8(4), uint8(3), `{"scripts": {"start": "node server.js"}}`)
	f.Add(uint8(5), uint8(3), "const n = Number(process.env.WEB_CONCURRENCY || 2)")
	f.Add(uint8(6), uint8(4), "FROM x\nENV A=1 B=\"2 3\"\nENTRYPOINT [\"tini\", \"--\"]\nCMD gunicorn \\\n -w ${A:-2} app:app\n")
	f.Add(uint8(7), uint8(0), `{"env": {"WEB_CONCURRENCY": {"value": "3"}}, "formation": {"web": {"size": "standard-1x"}}}`)
	f.Add(uint8(8), uint8(4), "services:\n- type: web\n  plan: pro\n  startCommand: uvicorn a:b\n")
	f.Add(uint8(9), uint8(4), "[env]\nX = 1\n[processes]\napp = \"gunicorn a:b\"\n[[vm]]\nmemory = \"2gb\"\n")
	f.Fuzz(func(t *testing.T, file, proc uint8, content string) {
		files := map[string]string{"config.ru": "run A\n", "server.js": "", "package.json": `{"scripts": {"start": "node server.js"}}`}
		if p := fuzzProcfiles[int(proc)%len(fuzzProcfiles)]; p != "" {
			files["Procfile"] = p
		}
		files[fuzzFiles[int(file)%len(fuzzFiles)]] = content
		dir := writeTree(t, files)
		d, err := Detect(dir, map[string]string{"WEB_CONCURRENCY": content}, 2)
		if err != nil {
			return
		}
		if d.Profile == "" || d.Workers < 1 || d.Threads < 1 || len(d.Sources) == 0 {
			t.Fatalf("Detect returned %+v without an error", d)
		}
		_ = d.Summary()
		if n := d.WorkersFor(64); n < 1 {
			t.Fatalf("WorkersFor(64) = %d", n)
		}
	})
}

// FuzzExpr checks that any expression parses and evaluates to a value or
// an error without panicking.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{"multiprocessing.cpu_count() * 2 + 1", "Integer(ENV.fetch('X') { 2 })",
		"int(os.environ.get('X', 2)) // 3", "4 if x else 2", "((((1))))", "ENV['X'] || 3"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, src string, ruby bool) {
		n, _, err := parseExpr(src, ruby, environ{"X": {value: "3"}}, map[string]variable{"x": {x: literal(num(1))}})
		if err == nil {
			_, _ = n.eval(2)
		}
	})
}
