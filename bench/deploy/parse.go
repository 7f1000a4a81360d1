package deploy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// token is a word of an expression.
type token struct {
	kind byte // 'i' identifier, 'n' number, 's' string, 'o' operator, 'f' a string workerbench cannot read
	text string
	pos  int
}

// lex splits src into tokens, stopping at a comment.
func lex(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\\':
			i++
		case c == '#':
			return out, nil
		case isIdentStart(c):
			j := i
			for j < len(src) && (isIdentStart(src[j]) || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			if j < len(src) && (src[j] == '!' || src[j] == '?') && (j+1 == len(src) || src[j+1] != '=') {
				j++
			}
			// A Python string prefix: f"…", r'…', b"…".
			if j < len(src) && (src[j] == '"' || src[j] == '\'') && j-i <= 2 &&
				strings.Trim(strings.ToLower(src[i:j]), "frbu") == "" {
				s, end, err := lexString(src, j)
				if err != nil {
					return nil, err
				}
				kind := byte('s')
				if strings.ContainsAny(strings.ToLower(src[i:j]), "fb") {
					kind = 'f'
				}
				out = append(out, token{kind: kind, text: s, pos: i})
				i = end
				continue
			}
			out = append(out, token{kind: 'i', text: src[i:j], pos: i})
			i = j
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '_' || src[j] == '.') {
				j++
			}
			out = append(out, token{kind: 'n', text: strings.ReplaceAll(src[i:j], "_", ""), pos: i})
			i = j
		case c == '"' || c == '\'':
			s, end, err := lexString(src, i)
			if err != nil {
				return nil, err
			}
			kind := byte('s')
			if c == '"' && strings.Contains(src[i:end], "#{") {
				kind = 'f' // Ruby interpolation
			}
			out = append(out, token{kind: kind, text: s, pos: i})
			i = end
		default:
			op := string(c)
			if i+1 < len(src) {
				switch two := src[i : i+2]; two {
				case "//", "==", "!=", "<=", ">=", "||", "&&", "**", "::":
					op = two
				}
			}
			if !strings.Contains("()[]{},.+-*/%<>=:!|", op[:1]) {
				return nil, fmt.Errorf("unexpected %q", op)
			}
			out = append(out, token{kind: 'o', text: op, pos: i})
			i += len(op)
		}
	}
	return out, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// lexString reads the quoted string at src[i], returning its text with
// simple escapes undone and the index after it.
func lexString(src string, i int) (string, int, error) {
	q := src[i]
	var b strings.Builder
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if j+1 < len(src) {
				j++
				b.WriteByte(src[j])
			}
		case q:
			return b.String(), j + 1, nil
		case '\n':
			return "", 0, errors.New("a string runs past the end of its line")
		default:
			b.WriteByte(src[j])
		}
	}
	return "", 0, errors.New("a string is not closed")
}

// parser reads an expression from tokens. Names of earlier assignments are
// replaced by their expressions; environment reads are resolved against env
// and recorded in used.
type parser struct {
	toks  []token
	i     int
	src   string
	ruby  bool
	env   environ
	vars  map[string]variable
	used  []string
	depth int
}

// parseExpr parses src whole, in Ruby's or Python's syntax.
func parseExpr(src string, ruby bool, env environ, vars map[string]variable) (node, []string, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, nil, err
	}
	if len(toks) == 0 {
		return nil, nil, errors.New("nothing to evaluate")
	}
	p := &parser{toks: toks, src: src, ruby: ruby, env: env, vars: vars}
	n, err := p.expr()
	if err != nil {
		return nil, nil, err
	}
	if p.i < len(p.toks) {
		return nil, nil, fmt.Errorf("unexpected %q", p.toks[p.i].text)
	}
	return n, p.used, nil
}

func (p *parser) peek() token {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return token{}
}

func (p *parser) accept(kind byte, text string) bool {
	t := p.peek()
	if t.kind == kind && t.text == text {
		p.i++
		return true
	}
	return false
}

func (p *parser) expect(text string) error {
	if !p.accept('o', text) {
		if p.i >= len(p.toks) {
			return fmt.Errorf("missing %q at the end", text)
		}
		return fmt.Errorf("expected %q, found %q", text, p.peek().text)
	}
	return nil
}

// expr is the lowest precedence: Python's "x if cond else y".
func (p *parser) expr() (node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 50 {
		return nil, errors.New("the expression nests too deeply")
	}
	x, err := p.binary(0)
	if err != nil || p.ruby || !p.accept('i', "if") {
		return x, err
	}
	cond, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	if !p.accept('i', "else") {
		return nil, errors.New(`"if" without "else"`)
	}
	y, err := p.expr()
	if err != nil {
		return nil, err
	}
	return choice{cond: cond, yes: x, no: y}, nil
}

// levels are the binary operators by precedence, lowest first.
var levels = [][]string{
	{"or", "||"},
	{"and", "&&"},
	{"==", "!=", "<", "<=", ">", ">="},
	{"+", "-"},
	{"*", "/", "//", "%"},
}

func (p *parser) binary(level int) (node, error) {
	if level == len(levels) {
		return p.unary()
	}
	l, err := p.binary(level + 1)
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if (t.kind != 'o' && t.kind != 'i') || !contains(levels[level], t.text) {
			return l, nil
		}
		p.i++
		r, err := p.binary(level + 1)
		if err != nil {
			return nil, err
		}
		l = binary{op: t.text, l: l, r: r, ruby: p.ruby}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (p *parser) unary() (node, error) {
	if p.accept('o', "-") {
		x, err := p.unary()
		return negate{x}, err
	}
	if p.accept('o', "+") {
		return p.unary()
	}
	if p.accept('i', "not") || p.accept('o', "!") {
		x, err := p.unary()
		return choice{cond: x, yes: literal(truth(false)), no: literal(truth(true))}, err
	}
	return p.postfix()
}

// postfix reads a primary and what follows it: calls, subscripts, methods.
func (p *parser) postfix() (node, error) {
	t := p.peek()
	if t.kind == 'i' && !isKeyword(t.text) {
		return p.name()
	}
	x, err := p.primary()
	if err != nil {
		return nil, err
	}
	return p.methods(x)
}

// methods reads Ruby's .to_i and .to_s after x.
func (p *parser) methods(x node) (node, error) {
	for p.accept('o', ".") {
		t := p.peek()
		p.i++
		switch t.text {
		case "to_i", "to_s":
			p.emptyParens()
			x = call{fn: t.text, args: []node{x}}
		default:
			return nil, fmt.Errorf(".%s is not something workerbench evaluates", t.text)
		}
	}
	return x, nil
}

func (p *parser) emptyParens() {
	if p.peek().text == "(" && p.i+1 < len(p.toks) && p.toks[p.i+1].text == ")" {
		p.i += 2
	}
}

func isKeyword(s string) bool {
	switch s {
	case "True", "False", "None", "true", "false", "nil", "not", "and", "or", "if", "else":
		return true
	}
	return false
}

func (p *parser) primary() (node, error) {
	t := p.peek()
	p.i++
	switch t.kind {
	case 'n':
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", t.text)
		}
		return literal(num(f)), nil
	case 's':
		return literal(value{kind: 's', s: t.text}), nil
	case 'f':
		return failed{errors.New("a string with substitutions")}, nil
	case 'i':
		switch t.text {
		case "True", "true":
			return literal(truth(true)), nil
		case "False", "false":
			return literal(truth(false)), nil
		case "None", "nil":
			return literal(value{}), nil
		}
	case 'o':
		if t.text == "(" {
			x, err := p.expr()
			if err != nil {
				return nil, err
			}
			return x, p.expect(")")
		}
	case 0:
		return nil, errors.New("the expression ends too early")
	}
	return nil, fmt.Errorf("unexpected %q", t.text)
}

// name reads a dotted name and what it means: a variable, the CPU count, an
// environment read or a conversion.
func (p *parser) name() (node, error) {
	name := p.peek().text
	p.i++
	for p.peek().text == "." && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == 'i' &&
		p.toks[p.i+1].text != "to_i" && p.toks[p.i+1].text != "to_s" {
		name += "." + p.toks[p.i+1].text
		p.i += 2
	}
	var x node
	switch name {
	case "multiprocessing.cpu_count", "os.cpu_count", "cpu_count", "os.process_cpu_count":
		if err := p.noArgs(name); err != nil {
			return nil, err
		}
		x = cpuCount{}
	case "Etc.nprocessors", "Concurrent.processor_count", "Concurrent.available_processor_count":
		p.emptyParens()
		x = cpuCount{}
	case "len":
		// len(os.sched_getaffinity(0)) is the CPUs this process may use.
		if err := p.expect("("); err != nil {
			return nil, err
		}
		if !p.acceptDotted("os", "sched_getaffinity") {
			return nil, errors.New("len() of something other than os.sched_getaffinity(0)")
		}
		if _, err := p.args(); err != nil { // sched_getaffinity(0)
			return nil, err
		}
		x = cpuCount{}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	case "os.environ.get", "os.getenv", "ENV.fetch":
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		if len(args) == 0 || len(args) > 2 {
			return nil, fmt.Errorf("%s() with %d arguments", name, len(args))
		}
		var def node
		if len(args) == 2 {
			def = args[1]
		}
		if name == "ENV.fetch" && p.accept('o', "{") {
			if def, err = p.expr(); err != nil {
				return nil, err
			}
			if err := p.expect("}"); err != nil {
				return nil, err
			}
		}
		x, err = p.env.read(args[0], def, name != "ENV.fetch" || def != nil, &p.used)
		if err != nil {
			return nil, err
		}
	case "os.environ", "ENV":
		if err := p.expect("["); err != nil {
			return nil, err
		}
		key, err := p.expr()
		if err != nil {
			return nil, err
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		// ENV["X"] is nil when unset; os.environ["X"] raises.
		x, err = p.env.read(key, nil, name == "ENV", &p.used)
		if err != nil {
			return nil, err
		}
	case "int", "Integer", "str", "max", "min", "float":
		args, err := p.args()
		if err != nil {
			return nil, err
		}
		if len(args) == 0 || (name != "max" && name != "min" && len(args) > 1) {
			return nil, fmt.Errorf("%s() with %d arguments", name, len(args))
		}
		fn := name
		if fn == "float" {
			fn = "max" // float(x) of one number is x
		}
		x = call{fn: fn, args: args}
	default:
		v, ok := p.vars[name]
		if !ok {
			return nil, fmt.Errorf("%s is not something workerbench evaluates", name)
		}
		x = v.x
		p.used = append(p.used, v.used...)
	}
	return p.methods(x)
}

func (p *parser) acceptDotted(parts ...string) bool {
	save := p.i
	for k, part := range parts {
		if k > 0 && !p.accept('o', ".") || !p.accept('i', part) {
			p.i = save
			return false
		}
	}
	return true
}

func (p *parser) noArgs(name string) error {
	if err := p.expect("("); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return p.expect(")")
}

// args reads a parenthesised argument list.
func (p *parser) args() ([]node, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var out []node
	for !p.accept('o', ")") {
		if len(out) > 0 {
			if err := p.expect(","); err != nil {
				return nil, err
			}
		}
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}
