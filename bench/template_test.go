package bench

import (
	"reflect"
	"strings"
	"testing"
)

func TestTemplate(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
		err      string
	}{
		{"gunicorn", "gunicorn --bind {bind} --workers {workers} --threads {threads} app:app",
			[]string{
				"gunicorn",
				"--bind",
				"127.0.0.1:8000",
				"--workers",
				"3",
				"--threads",
				"2",
				"app:app",
			}, ""},
		{"port and host", "uvicorn --host {host} --port {port} app:app",
			[]string{"uvicorn", "--host", "127.0.0.1", "--port", "8000", "app:app"}, ""},
		{"quotes", `sh -c 'exec gunicorn -b {bind} -w {workers} "app:create()"'`,
			[]string{"sh", "-c", `exec gunicorn -b 127.0.0.1:8000 -w 3 "app:create()"`}, ""},
		{"double quotes and escapes", `srv --name "a \"b\" c" x\ y {port}`,
			[]string{"srv", "--name", `a "b" c`, "x y", "8000"}, ""},
		{
			"literal braces",
			`srv --json '{"a": 1}' {port}`,
			[]string{"srv", "--json", `{"a": 1}`, "8000"},
			"",
		},
		{
			"no port (Config.Validate checks the port)",
			"gunicorn --workers {workers} app:app",
			[]string{"gunicorn", "--workers", "3", "app:app"},
			"",
		},
		{"empty", "  ", nil, "command is empty"},
		{"unclosed", `gunicorn --bind {bind} 'app`, nil, "unclosed ' quote"},
		{
			"unknown placeholder",
			"gunicorn --bind {bind} --workers {worker}",
			nil,
			"unknown placeholder {worker}",
		},
		{"lone backslash", `gunicorn {bind} \`, nil, "lone backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := ParseTemplate(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseTemplate(%q) error = %v, want containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTemplate(%q): %v", tt.in, err)
			}
			got := tmpl.expand(vars{host: "127.0.0.1", port: 8000, shape: Shape{3, 2}, side: "head"})
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Expand = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"gunicorn --bind {bind} app:app", `sh -c 'x {port}'`, `a "b\"c" {port}`, `{port} \`, "{bind}{bind}{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := ParseTemplate(s)
		if err != nil {
			return
		}
		argv := tmpl.expand(vars{host: "127.0.0.1", port: 1234, shape: Shape{2, 3}, side: "base"})
		if len(argv) == 0 {
			t.Fatalf("ParseTemplate(%q) accepted a template with no words", s)
		}
		for _, a := range argv {
			for _, p := range strings.Fields(Placeholders) {
				if strings.Contains(a, p) {
					t.Fatalf("expand(%q) left %s in %q", s, p, a)
				}
			}
		}
	})
}
