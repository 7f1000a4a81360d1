package bench

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Template is a server command line with placeholders, split into argv
// once. We never hand it to a shell: a user who wants one writes sh -c.
type Template struct {
	raw  string
	argv []string
	// one is argv for a cell of one worker, for a server that starts
	// differently then (puma's single mode, -w 0); nil when it does not.
	one []string
}

// Placeholders lists the placeholders a template may use. {side} is the
// side of a comparison a server or setup runs for, "base" or "head"
// ("head" in a run), so that each side can have its own database.
const Placeholders = "{host} {port} {bind} {workers} {threads} {side}"

// cellPlaceholders are those whose value is a cell's: they have none in a
// setup command, which runs once per side before any cell.
var cellPlaceholders = []string{"{host}", "{port}", "{bind}", "{workers}", "{threads}"}

// vars are the values of the placeholders for one server: a cell's
// address and shape, and the side it runs for.
type vars struct {
	host  string
	port  int
	shape Shape
	side  string
}

// giveCommand says how to give the server command.
const giveCommand = "give the server command, e.g. --cmd \"gunicorn --bind {bind} --workers {workers} --threads {threads} app:app\", or a server workerbench knows, e.g. --server gunicorn --app app:app"

// ParseTemplate splits a command template into words with shell-like
// quoting ('single', "double", backslash escapes) and checks its
// placeholders. Config.Validate checks that the port reaches the server,
// through the template or the environment.
func ParseTemplate(s string) (Template, error) {
	if strings.TrimSpace(s) == "" {
		return Template{}, errors.New("command is empty: " + giveCommand)
	}
	argv, err := splitWords(s)
	if err != nil {
		return Template{}, fmt.Errorf("command %q: %w", s, err)
	}
	if err := checkPlaceholders(s); err != nil {
		return Template{}, fmt.Errorf("command %q: %w", s, err)
	}
	return Template{raw: s, argv: argv}, nil
}

// givesPort reports whether s has a placeholder that carries the port.
func givesPort(s string) bool {
	return strings.Contains(s, "{port}") || strings.Contains(s, "{bind}")
}

// Uses reports whether the template has placeholder p, like "{threads}".
func (t Template) Uses(p string) bool { return strings.Contains(t.raw, p) }

// String returns the template as written.
func (t Template) String() string { return t.raw }

// WithOneWorker returns t whose cells of one worker run the command one
// instead: a server profile's single mode (see profile.Command.OneWorker).
func (t Template) WithOneWorker(one string) (Template, error) {
	o, err := ParseTemplate(one)
	if err != nil {
		return Template{}, err
	}
	t.one = o.argv
	return t, nil
}

// expand fills the placeholders for one server and returns argv: the
// one-worker variant's for a cell of one worker, when t has one.
func (t Template) expand(v vars) []string {
	if v.shape.Workers == 1 && t.one != nil {
		return v.expand(t.one)
	}
	return v.expand(t.argv)
}

// expand fills the placeholders in each of words.
func (v vars) expand(words []string) []string {
	r := strings.NewReplacer(
		"{host}", v.host,
		"{port}", strconv.Itoa(v.port),
		"{bind}", net.JoinHostPort(v.host, strconv.Itoa(v.port)),
		"{workers}", strconv.Itoa(v.shape.Workers),
		"{threads}", strconv.Itoa(v.shape.Threads),
		"{side}", v.side,
	)
	out := make([]string, len(words))
	for i, a := range words {
		out[i] = r.Replace(a)
	}
	return out
}

func checkPlaceholders(s string) error {
	for rest := s; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return nil
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return nil // a lone brace is literal text
		}
		p := rest[i : i+j+1]
		known := strings.Contains(" "+Placeholders+" ", " "+p+" ")
		if !known && isWord(p[1:len(p)-1]) {
			return fmt.Errorf("unknown placeholder %s: use %s", p, Placeholders)
		}
		rest = rest[i+j+1:]
	}
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// splitWords splits s into words the way a POSIX shell would for plain
// words and quotes, without expansions of any kind.
func splitWords(s string) ([]string, error) {
	var (
		words  []string
		cur    strings.Builder
		inWord bool
		quote  rune
	)
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && strings.ContainsRune("\"\\$`", rs[i+1]):
				i++
				cur.WriteRune(rs[i])
			default:
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == '\\':
			if i+1 == len(rs) {
				return nil, fmt.Errorf("ends with a lone backslash")
			}
			i++
			cur.WriteRune(rs[i])
			inWord = true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unclosed %c quote", quote)
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("no words")
	}
	return words, nil
}
