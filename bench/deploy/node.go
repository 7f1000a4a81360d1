package deploy

import (
	"regexp"
	"strconv"
	"strings"
)

// webConcurrency finds how a Node script reads WEB_CONCURRENCY:
// process.env.WEB_CONCURRENCY, then || or ?? and a default.
var webConcurrency = regexp.MustCompile(`process\.env\.WEB_CONCURRENCY\s*(?:\)\s*)?(?:(?:\|\||\?\?)\s*([\w.'"]+(?:\(\))?(?:\.length)?))?`)

// node reads a node command: the paas profile, the command as the app,
// workers from WEB_CONCURRENCY when the script reads it.
func (b *build) node(argv []string) (Deployment, error) {
	b.d.Profile = "paas"
	b.d.App = strings.Join(argv, " ")
	b.workers = setting{x: literal(num(1)), src: b.cmd.src}
	script := ""
	for i := 1; i < len(argv); i++ {
		switch a := argv[i]; {
		case a == "-r" || a == "--require" || a == "--import" || a == "--loader" || a == "--experimental-loader":
			i++ // a module to preload, not the script
		case !strings.HasPrefix(a, "-"):
			script = a
		}
		if script != "" {
			break
		}
	}
	name, ok := local(script)
	if script == "" || !ok {
		return Deployment{}, b.unreadable("runs node without a script in the project")
	}
	if !strings.HasSuffix(name, ".js") && !strings.HasSuffix(name, ".mjs") && !strings.HasSuffix(name, ".cjs") && !b.p.exists(name) {
		name += ".js"
	}
	src, found, err := b.p.read(name)
	if err != nil {
		return Deployment{}, err
	}
	if !found {
		return Deployment{}, b.unreadable("runs %s, which is not in the project", script)
	}
	m := webConcurrency.FindStringSubmatchIndex(src)
	if m == nil {
		if strings.Contains(src, "cluster") {
			return Deployment{}, b.unreadable("runs %s, which forks workers by a count workerbench cannot read", script)
		}
		return b.finish() // one process
	}
	where := Source{File: name, Line: strings.Count(src[:m[0]], "\n") + 1, What: "workers"}
	def := ""
	if m[2] >= 0 {
		def = strings.TrimSpace(src[m[2]:m[3]])
	}
	text := "$WEB_CONCURRENCY"
	if def != "" {
		text += " default " + def
	}
	b.workers = setting{text: text, src: where, used: []string{"WEB_CONCURRENCY"}}
	switch v, set := b.env["WEB_CONCURRENCY"]; {
	case set:
		b.workers.x = literal(value{kind: 's', s: v.value})
	case def == "os.cpus().length" || def == "os.availableParallelism()":
		b.workers.x = cpuCount{}
	default:
		n, err := strconv.Atoi(strings.Trim(def, `'"`))
		if err != nil {
			return Deployment{}, &UnreadableError{Source: where, Text: clip(src[m[0]:m[1]]), Reason: "has a default workerbench cannot evaluate"}
		}
		b.workers.x = literal(num(float64(n)))
	}
	return b.finish()
}

// npm reads npm start, npm run NAME, yarn NAME: package.json's script.
func (b *build) npm(prog string, args []string, depth int) (Deployment, error) {
	name := ""
	switch {
	case len(args) == 1 && args[0] == "start":
		name = "start"
	case len(args) == 2 && args[0] == "run":
		name = args[1]
	case len(args) == 1 && prog != "npm":
		name = args[0]
	default:
		return Deployment{}, b.unreadable("runs %s in a way workerbench does not read", prog)
	}
	c, err := b.p.packageScript(name)
	if err != nil {
		return Deployment{}, err
	}
	if c == nil {
		return Deployment{}, b.unreadable("runs package.json's %s script, which it does not have", name)
	}
	via := b.cmd.src
	via.What = "via"
	b.d.Sources = append(b.d.Sources, via)
	b.cmd = *c
	return b.run(depth + 1)
}
