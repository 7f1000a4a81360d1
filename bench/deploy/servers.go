package deploy

import "strings"

// gunicorn reads a gunicorn command as gunicorn does: its defaults
// (workers from WEB_CONCURRENCY, else 1), then the config file
// (gunicorn.conf.py, or -c), then GUNICORN_CMD_ARGS, then the command line,
// each over the one before.
func (b *build) gunicorn(args []string) (Deployment, error) {
	opts, pos, err := gunicornFlags.parse(args)
	if err != nil {
		return Deployment{}, b.unreadable("%s", err)
	}
	conf := settings{
		"workers": {x: literal(num(1)), text: "$WEB_CONCURRENCY default 1", src: b.cmd.src},
		"threads": {x: literal(num(1)), src: b.cmd.src},
	}
	if v, ok := b.env["WEB_CONCURRENCY"]; ok {
		conf["workers"] = setting{x: literal(value{kind: 's', s: v.value}), text: "$WEB_CONCURRENCY", src: v.src, used: []string{"WEB_CONCURRENCY"}}
	}
	file := "gunicorn.conf.py"
	for _, o := range opts {
		if o.name == "--config" {
			file = o.value
		}
	}
	var envOpts []opt
	if v, ok := b.env["GUNICORN_CMD_ARGS"]; ok {
		words, err := shellWords(v.value)
		if err == nil {
			envOpts, _, err = gunicornFlags.parse(words)
		}
		if err != nil {
			return Deployment{}, &UnreadableError{Source: v.src, Text: clip("GUNICORN_CMD_ARGS=" + v.value), Reason: err.Error()}
		}
		for _, o := range envOpts {
			if o.name == "--config" && file == "gunicorn.conf.py" {
				file = o.value
			}
		}
		b.d.Sources = append(b.d.Sources, v.src)
	}
	if name, ok := local(file); !ok || strings.HasPrefix(file, "python:") {
		return Deployment{}, b.unreadable("reads the config %s, which workerbench cannot read", file)
	} else if src, found, err := b.p.read(name); err != nil {
		return Deployment{}, err
	} else if found {
		conf.merge(readGunicornConf(name, src, b.env))
	} else if file != "gunicorn.conf.py" {
		return Deployment{}, b.unreadable("names the config %s, which is not in the project", file)
	}
	for _, layer := range []struct {
		opts []opt
		src  Source
	}{{envOpts, b.env["GUNICORN_CMD_ARGS"].src}, {opts, b.cmd.src}} {
		for _, o := range layer.opts {
			s := setting{x: literal(value{kind: 's', s: o.value}), src: layer.src}
			switch o.name {
			case "--workers", "--threads":
				if s, err = b.number(o.value, o.name); err != nil {
					return Deployment{}, err
				}
				s.src = layer.src
				conf[strings.TrimPrefix(o.name, "--")] = s
			case "--worker-class":
				conf["worker_class"] = s
			case "--bind":
				conf["bind"] = s
			case "--preload":
				conf["preload_app"] = setting{x: literal(truth(true)), src: layer.src}
			}
		}
	}
	b.workers, b.threads = conf["workers"], conf["threads"]
	b.d.Args = append(gunicornFlags.kept(envOpts), gunicornFlags.kept(opts)...)
	if v, err := evalString(conf["preload_app"]); err == nil && v.truthy() && !contains(b.d.Args, "--preload") {
		b.d.Args = append(b.d.Args, "--preload")
	}
	b.d.Bind = stated(conf["bind"])
	switch {
	case len(pos) > 0:
		b.d.App = pos[0]
	case conf["wsgi_app"].x != nil:
		v, err := evalString(conf["wsgi_app"])
		if err != nil || v.kind != 's' {
			return Deployment{}, b.unreadable("names its app in %s, which workerbench cannot evaluate", conf["wsgi_app"].src)
		}
		b.d.App = v.s
	default:
		return Deployment{}, b.unreadable("names no app (module:callable)")
	}
	class := ""
	if c := conf["worker_class"]; c.x != nil {
		v, err := evalString(c)
		if err != nil || v.kind != 's' {
			return Deployment{}, &UnreadableError{Source: c.src, Text: clip("worker_class = " + c.text), Reason: "cannot be evaluated"}
		}
		class = v.s
	}
	lower := strings.ToLower(class)
	switch {
	case lower == "" || lower == "sync" || lower == "gthread" || strings.HasSuffix(lower, "#sync") || strings.HasSuffix(lower, "#gthread"):
		b.d.Profile = "gunicorn"
		if lower == "gthread" {
			b.d.Args = append(b.d.Args, "--worker-class", "gthread")
		}
	case strings.Contains(lower, "gevent"):
		b.d.Profile, b.threads = "gunicorn-gevent", setting{}
	case strings.Contains(lower, "uvicornworker"):
		// An event loop per worker process, as uvicorn --workers runs it.
		b.d.Profile, b.threads = "uvicorn", setting{}
		b.d.Args = nil
	default:
		return Deployment{}, b.unreadable("runs gunicorn's %s workers, which workerbench has no profile for", class)
	}
	return b.finish()
}

// evalString evaluates a setting that holds a value, not a count.
func evalString(s setting) (value, error) {
	if s.x == nil {
		return value{}, nil
	}
	return s.x.eval(0)
}

// stated is a bind as the file states it: its value when it evaluates to
// a string, else as written.
func stated(s setting) string {
	if v, err := evalString(s); err == nil && v.kind == 's' {
		return v.s
	}
	return strings.Trim(s.text, `"'`)
}

// uvicorn reads a uvicorn command: --workers, else WEB_CONCURRENCY, else 1.
func (b *build) uvicorn(args []string) (Deployment, error) {
	b.d.Profile = "uvicorn"
	b.workers = setting{x: literal(num(1)), text: "$WEB_CONCURRENCY default 1", src: b.cmd.src}
	if v, ok := b.env["WEB_CONCURRENCY"]; ok {
		b.workers = setting{x: literal(value{kind: 's', s: v.value}), text: "$WEB_CONCURRENCY", src: v.src, used: []string{"WEB_CONCURRENCY"}}
	}
	host, port := "", ""
	err := b.flagsAndApp(uvicornFlags, args, "module:attribute", func(o opt) (err error) {
		switch o.name {
		case "--workers":
			b.workers, err = b.number(o.value, o.name)
		case "--host":
			host = o.value
		case "--port":
			port = o.value
		}
		return err
	})
	if host != "" || port != "" {
		b.d.Bind = host + ":" + port
	}
	if err != nil {
		return Deployment{}, err
	}
	return b.finish()
}

// hypercorn reads a hypercorn command: -w, else 1.
func (b *build) hypercorn(args []string) (Deployment, error) {
	b.d.Profile = "hypercorn"
	b.workers = setting{x: literal(num(1)), src: b.cmd.src}
	err := b.flagsAndApp(hypercornFlags, args, "module:attribute", func(o opt) (err error) {
		switch o.name {
		case "--workers":
			b.workers, err = b.number(o.value, o.name)
		case "--bind":
			b.d.Bind = o.value
		case "--config":
			err = b.unreadable("reads the config %s, which workerbench cannot read", o.value)
		}
		return err
	})
	if err != nil {
		return Deployment{}, err
	}
	return b.finish()
}

// waitress reads a waitress-serve command: one process, --threads, else 4.
func (b *build) waitress(args []string) (Deployment, error) {
	b.d.Profile = "waitress"
	b.threads = setting{x: literal(num(4)), src: b.cmd.src}
	err := b.flagsAndApp(waitressFlags, args, "module:callable", func(o opt) (err error) {
		switch o.name {
		case "--threads":
			b.threads, err = b.number(o.value, o.name)
		case "--listen":
			b.d.Bind = o.value
		case "--port":
			b.d.Bind = ":" + o.value
		}
		return err
	})
	if err != nil {
		return Deployment{}, err
	}
	return b.finish()
}

// flagsAndApp reads a command line by spec: each flag through each, the
// kept ones into Args, the first positional word as the app.
func (b *build) flagsAndApp(spec flagSpec, args []string, app string, each func(opt) error) error {
	opts, pos, err := spec.parse(args)
	if err != nil {
		return b.unreadable("%s", err)
	}
	for _, o := range opts {
		if err := each(o); err != nil {
			return err
		}
	}
	b.d.Args = spec.kept(opts)
	if len(pos) == 0 {
		return b.unreadable("names no app (%s)", app)
	}
	b.d.App = pos[0]
	return nil
}

// uwsgi reads a uWSGI command, its options in order: an --ini file's
// options where it stands, a later option over an earlier one.
func (b *build) uwsgi(args []string) (Deployment, error) {
	opts, pos := uwsgiOpts(args)
	conf := settings{}
	readIni := func(file string) error {
		name, ok := local(file)
		if !ok {
			return b.unreadable("reads %s, which is outside the project", file)
		}
		src, found, err := b.p.read(name)
		if err != nil {
			return err
		}
		if !found {
			return b.unreadable("reads %s, which is not in the project", file)
		}
		conf.merge(readUwsgiIni(name, src, b.env))
		return nil
	}
	for _, p := range pos {
		if strings.HasSuffix(p, ".ini") {
			if err := readIni(p); err != nil {
				return Deployment{}, err
			}
		}
	}
	for _, o := range opts {
		if o.name == "ini" {
			if err := readIni(o.value); err != nil {
				return Deployment{}, err
			}
			continue
		}
		s := setting{x: literal(value{kind: 's', s: o.value}), text: o.value, src: b.cmd.src}
		if o.name == "processes" || o.name == "threads" {
			var err error
			if s, err = b.number(o.value, "--"+o.name); err != nil {
				return Deployment{}, err
			}
		}
		conf[o.name] = s
	}
	b.d.Profile = "uwsgi"
	b.workers, b.threads = conf["processes"], conf["threads"]
	for _, k := range []string{"http", "http-socket", "socket"} {
		if s, ok := conf[k]; ok {
			b.d.Bind = s.text
			break
		}
	}
	callable := "application"
	if s, ok := conf["callable"]; ok {
		callable = s.text
	}
	switch {
	case conf["module"].text != "":
		b.d.App = conf["module"].text
		if !strings.Contains(b.d.App, ":") {
			b.d.App += ":" + callable
		}
	case conf["wsgi-file"].text != "":
		file, ok := local(conf["wsgi-file"].text)
		if !ok || !strings.HasSuffix(file, ".py") {
			return Deployment{}, b.unreadable("loads %s, which workerbench cannot turn into a module", conf["wsgi-file"].text)
		}
		b.d.App = strings.ReplaceAll(strings.TrimSuffix(file, ".py"), "/", ".") + ":" + callable
	default:
		return Deployment{}, b.unreadable("names no app (module or wsgi-file)")
	}
	if _, ok := conf["lazy-apps"]; ok {
		b.d.Args = append(b.d.Args, "--lazy-apps")
	}
	return b.finish()
}

// puma reads a puma command as puma does: the command line over its
// config file (-C, else config/puma/ENV.rb or config/puma.rb) over its
// defaults (workers from WEB_CONCURRENCY, else 0, single mode; threads
// from PUMA_MAX_THREADS or MAX_THREADS, else 5).
func (b *build) puma(args []string) (Deployment, error) {
	opts, pos, err := pumaFlags.parse(args)
	if err != nil {
		return Deployment{}, b.unreadable("%s", err)
	}
	b.d.Profile, b.floor = "puma", 1
	conf := settings{
		"workers": {x: literal(num(0)), text: "$WEB_CONCURRENCY default 0", src: b.cmd.src},
		"threads": {x: literal(num(5)), src: b.cmd.src},
	}
	for _, name := range []string{"MAX_THREADS", "PUMA_MAX_THREADS"} {
		if v, ok := b.env[name]; ok {
			conf["threads"] = setting{x: literal(value{kind: 's', s: v.value}), text: "$" + name, src: v.src, used: []string{name}}
		}
	}
	if v, ok := b.env["WEB_CONCURRENCY"]; ok {
		conf["workers"] = setting{x: literal(value{kind: 's', s: v.value}), text: "$WEB_CONCURRENCY", src: v.src, used: []string{"WEB_CONCURRENCY"}}
	}
	file := ""
	for _, o := range opts {
		if o.name == "--config" {
			if file, _ = local(o.value); file == "" {
				return Deployment{}, b.unreadable("reads the config %s, which is outside the project", o.value)
			}
		}
	}
	if file == "" {
		env := "development"
		for _, k := range []string{"RACK_ENV", "RAILS_ENV"} {
			if v, ok := b.env[k]; ok && v.value != "" {
				env = v.value
				break
			}
		}
		for _, f := range []string{"config/puma/" + env + ".rb", "config/puma.rb"} {
			if _, ok := local(f); ok && b.p.exists(f) {
				file = f
				break
			}
		}
	}
	if file != "" {
		src, found, err := b.p.read(file)
		if err != nil {
			return Deployment{}, err
		}
		if !found {
			return Deployment{}, b.unreadable("names the config %s, which is not in the project", file)
		}
		readPumaConf(file, src, b.env, conf)
	}
	for _, o := range opts {
		switch o.name {
		case "--workers":
			if conf["workers"], err = b.number(o.value, o.name); err != nil {
				return Deployment{}, err
			}
		case "--threads":
			_, max, found := strings.Cut(o.value, ":")
			if !found {
				max = o.value
			}
			if conf["threads"], err = b.number(max, o.name); err != nil {
				return Deployment{}, err
			}
		case "--bind":
			conf["bind"] = setting{text: o.value, src: b.cmd.src}
		case "--port":
			conf["bind"] = setting{text: ":" + o.value, src: b.cmd.src}
		}
	}
	b.workers, b.threads = conf["workers"], conf["threads"]
	b.d.Bind = conf["bind"].text
	b.d.Args = pumaFlags.kept(opts)
	if _, ok := conf["preload_app"]; ok && !contains(b.d.Args, "--preload") {
		b.d.Args = append(b.d.Args, "--preload")
	}
	b.d.App = "config.ru"
	if len(pos) > 0 {
		b.d.App = pos[0]
	} else if r := conf["rackup"].text; r != "" && !strings.Contains(r, "#{") && !strings.Contains(r, "(") {
		b.d.App = r
	}
	if !b.p.exists(b.d.App) {
		return Deployment{}, b.unreadable("serves %s, which is not in the project", b.d.App)
	}
	return b.finish()
}
