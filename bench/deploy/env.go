package deploy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// environ is the environment a deployment sees: each variable's value and
// where it was set.
type environ map[string]envVar

type envVar struct {
	value string
	src   Source
}

// with returns e with vars set from src on top.
func (e environ) with(vars map[string]string, src Source) environ {
	out := make(environ, len(e)+len(vars))
	for k, v := range e {
		out[k] = v
	}
	for k, v := range vars {
		s := src
		if s.What == "" {
			s.What = k
		}
		out[k] = envVar{value: v, src: s}
	}
	return out
}

// read is an environment read in an expression: key must be a string;
// def is the default when the variable is unset (nil for none); optional
// says an unset variable without a default is nothing rather than an error.
func (e environ) read(key, def node, optional bool, used *[]string) (node, error) {
	k, err := key.eval(0)
	if err != nil || k.kind != 's' {
		return nil, errors.New("an environment variable named by something other than a string")
	}
	*used = append(*used, k.s)
	if v, ok := e[k.s]; ok {
		return literal(value{kind: 's', s: v.value}), nil
	}
	if def != nil {
		return def, nil
	}
	if optional {
		return literal(value{}), nil
	}
	return failed{fmt.Errorf("%s is not set", k.s)}, nil
}

// sources are where the variables in names were set, for those set.
func (e environ) sources(names []string) []Source {
	var out []Source
	for _, n := range names {
		if v, ok := e[n]; ok && !containsSource(out, v.src) {
			out = append(out, v.src)
		}
	}
	return out
}

func containsSource(list []Source, s Source) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shellWords splits a command line as a shell does, with $NAME, ${NAME}
// and ${NAME:-default} left in the words for expandNumber. A line with
// shell logic (;, &&, |, redirections, $(…), backquotes) is an error.
func shellWords(s string) ([]string, error) {
	var words []string
	var b strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, b.String())
				b.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("has a quote that is not closed")
			}
			b.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				} else if s[j] == '`' || s[j] == '$' && j+1 < len(s) && s[j+1] == '(' {
					return nil, errors.New("substitutes a command's output")
				}
			}
			if j >= len(s) {
				return nil, errors.New("has a quote that is not closed")
			}
			b.WriteString(strings.NewReplacer(`\"`, `"`, `\\`, `\`, `\$`, `$`).Replace(s[i+1 : j]))
			i = j
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
			inWord = true
		case strings.IndexByte(";&|<>`(){}\n", c) >= 0 && !(c == '{' && i > 0 && s[i-1] == '$'):
			return nil, fmt.Errorf("has shell logic (%c)", c)
		case c == '$' && i+1 < len(s) && s[i+1] == '(':
			return nil, errors.New("substitutes a command's output")
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return nil, errors.New("has a ${ that is not closed")
			}
			b.WriteString(s[i : i+j+1])
			i += j
			inWord = true
		default:
			b.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, b.String())
	}
	return words, nil
}

// expandNumber reads a whole number as a server would get it from a word
// of its command: a literal, or with shell true $NAME, ${NAME} or
// ${NAME:-default} from e.
func expandNumber(word string, e environ, shell bool, used *[]string) (node, string, error) {
	if n, err := strconv.Atoi(word); err == nil {
		return literal(num(float64(n))), "", nil
	}
	name, def, ok := shellVariable(word)
	if !ok {
		return nil, "", fmt.Errorf("%q is not a whole number", word)
	}
	if !shell {
		return nil, "", fmt.Errorf("%q is not expanded in a command without a shell", word)
	}
	*used = append(*used, name)
	text := "$" + name
	if def != "" {
		text += " default " + def
	}
	if v, set := e[name]; set {
		word = v.value
	} else if def != "" {
		word = def
	} else {
		return nil, "", fmt.Errorf("%s is not set", name)
	}
	n, err := strconv.Atoi(strings.TrimSpace(word))
	if err != nil {
		return nil, "", fmt.Errorf("%s is %q, not a whole number", name, word)
	}
	return literal(num(float64(n))), text, nil
}

// shellVariable splits "$NAME", "${NAME}" and "${NAME:-default}".
func shellVariable(word string) (name, def string, ok bool) {
	if inner, cut := strings.CutPrefix(word, "${"); cut && strings.HasSuffix(inner, "}") {
		inner = strings.TrimSuffix(inner, "}")
		name, def, _ = strings.Cut(inner, ":-")
		if d, cut := strings.CutPrefix(def, "="); cut {
			def = d
		}
		return name, def, validName(name)
	}
	if name, cut := strings.CutPrefix(word, "$"); cut {
		return name, "", validName(name)
	}
	return "", "", false
}

func validName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isIdentStart(s[i]) && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}
