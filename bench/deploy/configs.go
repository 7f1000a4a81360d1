package deploy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// errInBlock is why a setting inside a block (if, def, do … end) is not
// read: which branch runs is the program's business.
var errInBlock = errors.New("is inside a block, which workerbench does not follow")

// setting is one value of a server's configuration: its expression, the
// expression as written ("" for a literal), where it was set and the
// environment variables it read.
type setting struct {
	x    node
	text string
	src  Source
	used []string
}

// settings are a configuration's values by name (gunicorn's names:
// workers, threads, worker_class, bind, wsgi_app, preload_app).
type settings map[string]setting

// merge sets every value of over on s.
func (s settings) merge(over settings) {
	for k, v := range over {
		s[k] = v
	}
}

// line is a logical line of a Python or Ruby file: its text, its first
// line's number and its indentation.
type line struct {
	text   string
	no     int
	indent int
}

// logicalLines joins the lines of src that continue (open brackets, a
// trailing backslash), drops comments and Python's triple-quoted strings,
// and measures each line's indentation (Python's blocks).
func logicalLines(src string) []line {
	var out []line
	var cur strings.Builder
	depth, start := 0, 0
	triple := ""
	for no, raw := range strings.Split(src, "\n") {
		text := raw
		if triple != "" {
			i := strings.Index(text, triple)
			if i < 0 {
				continue
			}
			text, triple = text[i+3:], ""
		}
		if cur.Len() == 0 {
			start = no + 1
		}
		var b strings.Builder
		quote := byte(0)
		for i := 0; i < len(text); i++ {
			c := text[i]
			if quote != 0 {
				b.WriteByte(c)
				if c == '\\' && i+1 < len(text) {
					i++
					b.WriteByte(text[i])
				} else if c == quote {
					quote = 0
				}
				continue
			}
			if c == '#' {
				break
			}
			if (c == '"' || c == '\'') && strings.HasPrefix(text[i:], strings.Repeat(string(c), 3)) {
				end := strings.Index(text[i+3:], text[i:i+3])
				if end < 0 {
					triple = text[i : i+3]
					break
				}
				b.WriteString(`""`)
				i += end + 5
				continue
			}
			switch c {
			case '"', '\'':
				quote = c
			case '(', '[', '{':
				depth++
			case ')', ']', '}':
				depth--
			}
			b.WriteByte(c)
		}
		part := b.String()
		cont := strings.HasSuffix(strings.TrimRight(part, " \t\r"), "\\")
		if cont {
			part = strings.TrimSuffix(strings.TrimRight(part, " \t\r"), "\\")
		}
		cur.WriteString(part)
		if depth > 0 || cont {
			cur.WriteByte(' ')
			continue
		}
		depth = 0
		text = cur.String()
		cur.Reset()
		if strings.TrimSpace(text) == "" {
			continue
		}
		indent := len(text) - len(strings.TrimLeft(text, " \t"))
		out = append(out, line{text: strings.TrimSpace(text), no: start, indent: indent})
	}
	if cur.Len() > 0 {
		out = append(out, line{text: strings.TrimSpace(cur.String()), no: start})
	}
	return out
}

var assignment = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[A-Za-z_.\[\]]+\s*)?=([^=].*|)$`)

// gunicornSettings are the gunicorn.conf.py settings workerbench reads.
var gunicornSettings = set("workers", "threads", "worker_class", "bind", "wsgi_app", "preload_app")

// readGunicornConf reads a gunicorn.conf.py for its settings: top-level
// assignments, evaluated with env. An assignment in a function is the
// function's own; one in another block (if, for, try, with) is a setting
// workerbench cannot read.
func readGunicornConf(file, src string, env environ) settings {
	out := settings{}
	vars := map[string]variable{}
	type block struct {
		indent int
		def    bool
	}
	var blocks []block
	for _, l := range logicalLines(src) {
		for len(blocks) > 0 && blocks[len(blocks)-1].indent >= l.indent {
			blocks = blocks[:len(blocks)-1]
		}
		inDef, inBlock := false, len(blocks) > 0
		for _, b := range blocks {
			inDef = inDef || b.def
		}
		if first, _, _ := strings.Cut(l.text, " "); strings.HasSuffix(l.text, ":") && compound[first] {
			blocks = append(blocks, block{indent: l.indent, def: first == "def" || first == "async" || first == "class"})
			continue
		}
		m := assignment.FindStringSubmatch(l.text)
		if m == nil || inDef {
			continue
		}
		name, rhs := m[1], strings.TrimSpace(m[2])
		v := variable{text: written(rhs, vars)}
		if inBlock {
			v.x = failed{errInBlock}
		} else {
			var err error
			if v.x, v.used, err = parseExpr(rhs, false, env, vars); err != nil {
				v.x = failed{err}
			}
		}
		vars[name] = v
		if gunicornSettings[name] {
			out[name] = setting{x: v.x, text: v.text, src: Source{File: file, Line: l.no, What: name}, used: v.used}
		}
	}
	return out
}

// compound are the Python statements that open a block.
var compound = set("if", "elif", "else", "for", "while", "try", "except", "finally", "with", "def", "async", "class", "match", "case")

// pumaStatement is a call in config/puma.rb: workers 2, threads 1, 5,
// bind "…", port 3000, rackup "…", preload_app!.
var pumaStatement = regexp.MustCompile(`^(workers|threads|bind|port|rackup|preload_app!|environment)(?:\s*\(\s*(.*)\)|\s+(.*)|)$`)

// readPumaConf reads config/puma.rb for workers, threads, bind, rackup and
// preload_app! into out (puma's defaults): calls and assignments at the
// top level, with an if or unless after them; a call inside a block is one
// workerbench cannot read.
func readPumaConf(file, src string, env environ, out settings) {
	vars := map[string]variable{}
	depth := 0
	for _, l := range logicalLines(src) {
		first, _, _ := strings.Cut(l.text, " ")
		if first == "end" || strings.HasPrefix(l.text, "end.") || first == "}" {
			depth--
			continue
		}
		opens := opensBlock(l.text)
		stmt, cond := splitModifier(l.text)
		where := Source{File: file, Line: l.no}
		if m := assignment.FindStringSubmatch(stmt); m != nil && !opens {
			where.What = m[1]
			x := rubyValue(m[2], cond, env, vars, depth, where, vars[m[1]].x)
			vars[m[1]] = variable{x: x.x, text: x.text, used: x.used}
		} else if m := pumaStatement.FindStringSubmatch(stmt); m != nil {
			name, args := m[1], m[2]+m[3]
			where.What = strings.TrimSuffix(name, "!")
			switch name {
			case "workers", "port", "environment":
				out[name] = rubyValue(args, cond, env, vars, depth, where, out[name].x)
			case "threads":
				// threads min, max: the slots are max.
				_, max, ok := splitTopComma(args)
				if !ok {
					max = args
				}
				out[name] = rubyValue(max, cond, env, vars, depth, where, out[name].x)
			case "bind", "rackup":
				out[name] = setting{text: strings.Trim(strings.TrimSpace(args), `"'`), src: where}
			case "preload_app!":
				out["preload_app"] = setting{x: literal(truth(true)), src: where}
			}
		}
		if opens {
			depth++
		}
	}
}

// rubyValue is the setting a Ruby statement makes: its expression, under
// cond (an if or unless, "" for none) keeping prev otherwise; a statement
// in a block is one workerbench cannot read.
func rubyValue(src, cond string, env environ, vars map[string]variable, depth int, where Source, prev node) setting {
	src = strings.TrimSpace(src)
	text := written(src, vars)
	if cond != "" {
		text += " " + cond
	}
	if depth > 0 {
		return setting{x: failed{errInBlock}, text: text, src: where}
	}
	x, used, err := parseExpr(src, true, env, vars)
	if err != nil {
		return setting{x: failed{err}, text: text, src: where}
	}
	if cond != "" {
		unless := strings.HasPrefix(cond, "unless ")
		c, u, err := parseExpr(strings.TrimPrefix(strings.TrimPrefix(cond, "unless "), "if "), true, env, vars)
		if err != nil {
			return setting{x: failed{fmt.Errorf("%s: %w", clip(cond), err)}, text: text, src: where}
		}
		if prev == nil {
			prev = failed{fmt.Errorf("sets %s only %s", where.What, cond)}
		}
		if unless {
			x = choice{cond: c, yes: prev, no: x}
		} else {
			x = choice{cond: c, yes: x, no: prev}
		}
		used = append(used, u...)
	}
	return setting{x: x, text: text, src: where, used: used}
}

// opensBlock reports whether a Ruby line opens a block that "end" closes.
func opensBlock(text string) bool {
	first, _, _ := strings.Cut(text, " ")
	switch first {
	case "if", "unless", "case", "while", "until", "begin", "def", "class", "module", "for":
		return !strings.HasSuffix(text, " end")
	}
	return strings.HasSuffix(text, " do") || doBlock.MatchString(text)
}

var doBlock = regexp.MustCompile(` do\s*\|[^|]*\|$`)

// splitModifier splits "stmt if cond" at a top-level if or unless.
func splitModifier(text string) (stmt, cond string) {
	i, ok := topLevel(text, func(k int, t token) bool {
		return t.kind == 'i' && (t.text == "if" || t.text == "unless") && k > 0
	})
	if !ok {
		return text, ""
	}
	return strings.TrimSpace(text[:i]), strings.TrimSpace(text[i:])
}

// splitTopComma splits "a, b" at its first top-level comma.
func splitTopComma(s string) (string, string, bool) {
	i, ok := topLevel(s, func(_ int, t token) bool { return t.kind == 'o' && t.text == "," })
	if !ok {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// topLevel is the position in text of the first token outside brackets
// that match accepts (given its index).
func topLevel(text string, match func(int, token) bool) (int, bool) {
	toks, err := lex(text)
	if err != nil {
		return 0, false
	}
	depth := 0
	for i, t := range toks {
		switch {
		case t.kind == 'o' && strings.Contains("([{", t.text):
			depth++
		case t.kind == 'o' && strings.Contains(")]}", t.text):
			depth--
		case depth == 0 && match(i, t):
			return t.pos, true
		}
	}
	return 0, false
}

// readUwsgiIni reads the [uwsgi] section of an ini file: processes,
// threads, module, wsgi-file, callable, http, http-socket, socket; a value
// may be %k (the CPU count) or $(NAME) from env.
func readUwsgiIni(file, src string, env environ) settings {
	out := settings{}
	section := ""
	for i, raw := range strings.Split(src, "\n") {
		text := strings.TrimSpace(raw)
		if text == "" || text[0] == '#' || text[0] == ';' {
			continue
		}
		if strings.HasPrefix(text, "[") {
			section = strings.Trim(text, "[] ")
			continue
		}
		key, val, ok := strings.Cut(text, "=")
		if !ok || section != "uwsgi" {
			continue
		}
		key, val = uwsgiName(strings.TrimSpace(key)), strings.TrimSpace(val)
		out[key] = uwsgiValue(val, env, Source{File: file, Line: i + 1, What: key})
	}
	return out
}

// uwsgiValue is a uWSGI option's value: %k is the CPU count, $(NAME) is
// read from env.
func uwsgiValue(val string, env environ, where Source) setting {
	s := setting{text: val, src: where}
	switch {
	case val == "%k":
		s.x = cpuCount{}
	case strings.HasPrefix(val, "$(") && strings.HasSuffix(val, ")"):
		name := val[2 : len(val)-1]
		s.used = []string{name}
		if v, ok := env[name]; ok {
			s.x = literal(value{kind: 's', s: v.value})
		} else {
			s.x = failed{fmt.Errorf("%s is not set", name)}
		}
	case strings.ContainsAny(val, "%$@"):
		s.x = failed{errors.New("uses a uWSGI substitution workerbench does not evaluate")}
	default:
		s.x = literal(value{kind: 's', s: val})
	}
	return s
}

// variable is an assignment of a config file: its expression, as
// written (a variable's own when it is one), and the environment variables
// it reads.
type variable struct {
	x    node
	text string
	used []string
}

// written is an expression as written, a variable's own when it is one.
func written(rhs string, vars map[string]variable) string {
	if v, ok := vars[strings.TrimSpace(rhs)]; ok {
		return v.text
	}
	return strings.TrimSpace(rhs)
}

// clip shortens s for a message.
func clip(s string) string {
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 80 {
		return string(r[:77]) + "…"
	}
	return s
}
