package deploy

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
	"go.yaml.in/yaml/v3"
)

// maxFile is the most of a file Detect reads; a project's serving files
// are small, and a larger one is refused rather than read.
const maxFile = 1 << 20

// project is the directory Detect reads, the CPU count its expressions are
// evaluated for, and what its platform files say.
type project struct {
	dir  string
	cpus int
	env  environ // the platform files' environment, then the process's
	// dockerEnv is the Dockerfile's ENV, under env when the command runs
	// in the image.
	dockerEnv      environ
	machineCPUs    int
	machineMiB     int
	machineSrc     Source
	platformCmds   []command // fly.toml's, then render.yaml's
	dockerfileCmd  *command
	dockerfileRead bool
}

// command is a command line a file states: its words, whether a shell
// reads it (so $NAME expands), where it is and the line as written.
type command struct {
	argv  []string
	shell bool
	src   Source
	text  string
}

// read returns the file name (slash-separated, relative to the project)
// and whether it exists. A file that is not a regular file, or is larger
// than maxFile, is an error.
func (p *project) read(name string) (string, bool, error) {
	full := filepath.Join(p.dir, filepath.FromSlash(name))
	info, err := os.Lstat(full)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", name, err)
	}
	if !info.Mode().IsRegular() {
		return "", false, fmt.Errorf("read %s: not a regular file", name)
	}
	f, err := os.Open(full)
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", name, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxFile {
		return "", false, fmt.Errorf("read %s: larger than %d bytes", name, maxFile)
	}
	return string(b), true, nil
}

// procfile returns the web process of a Procfile, if it has one.
func (p *project) procfile() (*command, error) {
	src, ok, err := p.read("Procfile")
	if !ok || err != nil {
		return nil, err
	}
	for i, l := range strings.Split(src, "\n") {
		name, cmd, found := strings.Cut(l, ":")
		if found && strings.TrimSpace(name) == "web" {
			return p.shellCommand(strings.TrimSpace(cmd), Source{File: "Procfile", Line: i + 1, What: "web process"}, strings.TrimSpace(l))
		}
	}
	return nil, nil
}

// shellCommand is a command a shell runs; a line with shell logic is
// unreadable.
func (p *project) shellCommand(text string, src Source, asWritten string) (*command, error) {
	words, err := shellWords(text)
	if err != nil {
		return nil, &UnreadableError{Source: src, Text: clip(asWritten), Reason: err.Error() + ", which workerbench does not follow"}
	}
	if len(words) == 0 {
		return nil, &UnreadableError{Source: src, Text: clip(asWritten), Reason: "has no command"}
	}
	return &command{argv: words, shell: true, src: src, text: clip(asWritten)}, nil
}

// packageScript returns package.json's script called name ("start").
func (p *project) packageScript(name string) (*command, error) {
	src, ok, err := p.read("package.json")
	if !ok || err != nil {
		return nil, err
	}
	var pkg struct {
		Scripts map[string]string `json:"scripts"`
	}
	if err := json.Unmarshal([]byte(src), &pkg); err != nil {
		return nil, fmt.Errorf("read package.json: %w", err)
	}
	script, ok := pkg.Scripts[name]
	if !ok {
		return nil, nil
	}
	where := Source{File: "package.json", Line: lineOf(src, `"`+name+`"`), What: "scripts." + name}
	return p.shellCommand(script, where, `"`+name+`": "`+script+`"`)
}

// lineOf is the 1-based line of the first occurrence of s in src, 0 when
// there is none.
func lineOf(src, s string) int {
	i := strings.Index(src, s)
	if i < 0 {
		return 0
	}
	return strings.Count(src[:i], "\n") + 1
}

// dockerfile reads the Dockerfile's final stage: its CMD and ENTRYPOINT
// (exec or shell form) and its ENV.
func (p *project) dockerfile() (*command, error) {
	if p.dockerfileRead {
		return p.dockerfileCmd, nil
	}
	p.dockerfileRead = true
	src, ok, err := p.read("Dockerfile")
	if !ok || err != nil {
		return nil, err
	}
	var cmd, entry *command
	env := map[string]Source{}
	vals := map[string]string{}
	no := 0
	sc := bufio.NewScanner(strings.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), maxFile+1)
	for sc.Scan() {
		no++
		start, text := no, sc.Text()
		for strings.HasSuffix(strings.TrimRight(text, " \t\r"), "\\") && sc.Scan() {
			no++
			text = strings.TrimSuffix(strings.TrimRight(text, " \t\r"), "\\") + " " + sc.Text()
		}
		text = strings.TrimSpace(text)
		if text == "" || text[0] == '#' {
			continue
		}
		instr, rest, _ := strings.Cut(text, " ")
		rest = strings.TrimSpace(rest)
		where := Source{File: "Dockerfile", Line: start}
		switch strings.ToUpper(instr) {
		case "FROM":
			cmd, entry, env, vals = nil, nil, map[string]Source{}, map[string]string{}
		case "ENV":
			for k, v := range dockerEnv(rest) {
				vals[k], env[k] = v, Source{File: "Dockerfile", Line: start, What: k}
			}
		case "CMD", "ENTRYPOINT":
			where.What = strings.ToUpper(instr)
			c, err := p.dockerCommand(rest, where, text)
			if err != nil {
				return nil, err
			}
			if where.What == "CMD" {
				cmd = c
			} else {
				entry, cmd = c, nil // ENTRYPOINT resets an earlier CMD
			}
		}
	}
	p.dockerEnv = environ{}
	for k, v := range vals {
		p.dockerEnv[k] = envVar{value: v, src: env[k]}
	}
	switch {
	case entry != nil && entry.shell:
		p.dockerfileCmd = entry // a shell-form ENTRYPOINT ignores CMD
	case entry != nil && cmd != nil:
		p.dockerfileCmd = &command{argv: append(entry.argv, cmd.argv...), shell: cmd.shell, src: entry.src, text: entry.text + " + " + cmd.text}
	case entry != nil:
		p.dockerfileCmd = entry
	default:
		p.dockerfileCmd = cmd
	}
	return p.dockerfileCmd, nil
}

// dockerCommand reads a CMD or ENTRYPOINT: a JSON array is the exec form,
// anything else the shell form.
func (p *project) dockerCommand(rest string, where Source, text string) (*command, error) {
	var argv []string
	if strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &argv) == nil {
		if len(argv) == 0 {
			return nil, &UnreadableError{Source: where, Text: clip(text), Reason: "has no command"}
		}
		return &command{argv: argv, src: where, text: clip(text)}, nil
	}
	return p.shellCommand(rest, where, text)
}

// dockerEnv reads an ENV instruction's KEY=value pairs, or its older
// "KEY value" form.
func dockerEnv(rest string) map[string]string {
	out := map[string]string{}
	words, err := shellWords(rest)
	if err != nil || len(words) == 0 {
		return out
	}
	if !strings.Contains(words[0], "=") {
		k, v, _ := strings.Cut(rest, " ")
		out[k] = strings.TrimSpace(v)
		return out
	}
	for _, w := range words {
		if k, v, ok := strings.Cut(w, "="); ok {
			out[k] = v
		}
	}
	return out
}

// platforms reads app.json, render.yaml and fly.toml, in that order, for
// the environment, the machine size and a start command.
func (p *project) platforms(process map[string]string) error {
	env := environ{}
	for _, read := range []func(environ) (environ, error){p.appJSON, p.renderYAML, p.flyTOML} {
		var err error
		if env, err = read(env); err != nil {
			return err
		}
	}
	p.env = env
	for k, v := range process {
		p.env[k] = envVar{value: v, src: Source{What: k + " in the environment"}}
	}
	return nil
}

// machine records a machine size the first file to state one says.
func (p *project) machine(cpus float64, mib int, src Source) {
	if p.machineCPUs != 0 || p.machineMiB != 0 || cpus <= 0 && mib <= 0 {
		return
	}
	if cpus > 0 {
		p.machineCPUs = int(math.Ceil(cpus))
	}
	p.machineMiB, p.machineSrc = mib, src
}

// herokuMiB are the memory sizes of Heroku's dyno sizes; Heroku states no
// dedicated CPU count for most of them.
var herokuMiB = map[string]int{
	"eco": 512, "basic": 512, "free": 512, "hobby": 512, "standard-1x": 512, "standard-2x": 1024,
	"performance-m": 2560, "performance-l": 14336,
}

func (p *project) appJSON(env environ) (environ, error) {
	src, ok, err := p.read("app.json")
	if !ok || err != nil {
		return env, err
	}
	var app struct {
		Env       map[string]json.RawMessage `json:"env"`
		Formation map[string]struct {
			Size string `json:"size"`
		} `json:"formation"`
	}
	if err := json.Unmarshal([]byte(src), &app); err != nil {
		return env, fmt.Errorf("read app.json: %w", err)
	}
	vars := map[string]string{}
	for k, raw := range app.Env {
		var s string
		var v struct {
			Value string `json:"value"`
		}
		if json.Unmarshal(raw, &s) == nil {
			vars[k] = s
		} else if json.Unmarshal(raw, &v) == nil && v.Value != "" {
			vars[k] = v.Value
		}
	}
	for k, v := range vars {
		env = env.with(map[string]string{k: v}, Source{File: "app.json", Line: lineOf(src, `"`+k+`"`), What: k})
	}
	if web, ok := app.Formation["web"]; ok {
		size := strings.ToLower(web.Size)
		p.machine(0, herokuMiB[size], Source{File: "app.json", Line: lineOf(src, `"size"`), What: "dyno size " + web.Size})
	}
	return env, nil
}

// renderPlans are Render's instance types: CPUs and memory.
var renderPlans = map[string]struct {
	cpus float64
	mib  int
}{
	"free": {0.1, 512}, "starter": {0.5, 512}, "standard": {1, 2048}, "pro": {2, 4096},
	"pro plus": {4, 8192}, "pro max": {4, 16384}, "pro ultra": {8, 32768},
}

func (p *project) renderYAML(env environ) (environ, error) {
	src, ok, err := p.read("render.yaml")
	if !ok || err != nil {
		return env, err
	}
	var doc struct {
		Services []struct {
			Type         string `yaml:"type"`
			Plan         string `yaml:"plan"`
			StartCommand string `yaml:"startCommand"`
			EnvVars      []struct {
				Key   string `yaml:"key"`
				Value any    `yaml:"value"`
			} `yaml:"envVars"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		return env, fmt.Errorf("read render.yaml: %w", err)
	}
	for _, s := range doc.Services {
		if s.Type != "web" {
			continue
		}
		for _, v := range s.EnvVars {
			if v.Value == nil || v.Key == "" {
				continue
			}
			env = env.with(map[string]string{v.Key: fmt.Sprint(v.Value)},
				Source{File: "render.yaml", Line: lineOf(src, "key: "+v.Key), What: v.Key})
		}
		if plan, ok := renderPlans[strings.ToLower(s.Plan)]; ok {
			p.machine(plan.cpus, plan.mib, Source{File: "render.yaml", Line: lineOf(src, "plan:"), What: "plan " + s.Plan})
		}
		if s.StartCommand != "" {
			where := Source{File: "render.yaml", Line: lineOf(src, "startCommand:"), What: "startCommand"}
			c, err := p.shellCommand(s.StartCommand, where, "startCommand: "+s.StartCommand)
			if err != nil {
				return env, err
			}
			p.platformCmds = append(p.platformCmds, *c)
		}
		break // the first web service
	}
	return env, nil
}

// flyPresets are Fly Machines' preset sizes: CPUs and memory.
var flyPresets = map[string]struct{ cpus, mib int }{
	"shared-cpu-1x": {1, 256}, "shared-cpu-2x": {2, 512}, "shared-cpu-4x": {4, 1024},
	"shared-cpu-8x": {8, 2048}, "performance-1x": {1, 2048}, "performance-2x": {2, 4096},
	"performance-4x": {4, 8192}, "performance-8x": {8, 16384}, "performance-16x": {16, 32768},
}

func (p *project) flyTOML(env environ) (environ, error) {
	src, ok, err := p.read("fly.toml")
	if !ok || err != nil {
		return env, err
	}
	var doc struct {
		Env          map[string]any `toml:"env"`
		Processes    map[string]string
		Experimental struct {
			Cmd any `toml:"cmd"`
		} `toml:"experimental"`
		VM []struct {
			Size     string `toml:"size"`
			CPUs     int    `toml:"cpus"`
			Memory   any    `toml:"memory"`
			MemoryMB int    `toml:"memory_mb"`
		} `toml:"vm"`
	}
	if _, err := toml.Decode(src, &doc); err != nil {
		return env, fmt.Errorf("read fly.toml: %w", err)
	}
	for k, v := range doc.Env {
		env = env.with(map[string]string{k: fmt.Sprint(v)}, Source{File: "fly.toml", Line: flyLine(src, "[env]", k), What: k})
	}
	if len(doc.VM) > 0 {
		vm := doc.VM[0]
		preset := flyPresets[vm.Size]
		cpus, mib := preset.cpus, preset.mib
		if vm.CPUs > 0 {
			cpus = vm.CPUs
		}
		if m := flyMemory(vm.Memory); m > 0 {
			mib = m
		}
		if vm.MemoryMB > 0 {
			mib = vm.MemoryMB
		}
		p.machine(float64(cpus), mib, Source{File: "fly.toml", Line: lineOf(src, "[[vm]]"), What: "[[vm]]"})
	}
	// The web process: [processes] web or app (Fly's default name), else
	// the only one; else [experimental] cmd.
	name := ""
	for _, n := range []string{"web", "app"} {
		if _, ok := doc.Processes[n]; ok {
			name = n
			break
		}
	}
	if name == "" && len(doc.Processes) == 1 {
		for n := range doc.Processes {
			name = n
		}
	}
	switch {
	case name != "":
		text := doc.Processes[name]
		where := Source{File: "fly.toml", Line: flyLine(src, "[processes]", name), What: "[processes] " + name}
		c, err := p.shellCommand(text, where, name+" = "+strconv.Quote(text))
		if err != nil {
			return env, err
		}
		p.platformCmds = append(p.platformCmds, *c)
	case doc.Experimental.Cmd != nil:
		where := Source{File: "fly.toml", Line: lineOf(src, "cmd"), What: "[experimental] cmd"}
		switch cmd := doc.Experimental.Cmd.(type) {
		case string:
			c, err := p.shellCommand(cmd, where, "cmd = "+strconv.Quote(cmd))
			if err != nil {
				return env, err
			}
			p.platformCmds = append(p.platformCmds, *c)
		case []any:
			argv := make([]string, len(cmd))
			for i, a := range cmd {
				argv[i] = fmt.Sprint(a)
			}
			if len(argv) > 0 {
				p.platformCmds = append(p.platformCmds, command{argv: argv, src: where, text: clip("cmd = " + strings.Join(argv, " "))})
			}
		}
	}
	return env, nil
}

// flyLine is the line of a key in a table ("[env]").
func flyLine(src, table, key string) int {
	start := strings.Index(src, table)
	if start < 0 {
		return 0
	}
	re := regexp.MustCompile(`(?m)^\s*["']?` + regexp.QuoteMeta(key) + `["']?\s*=`)
	loc := re.FindStringIndex(src[start:])
	if loc == nil {
		return 0
	}
	return strings.Count(src[:start+loc[0]], "\n") + 1
}

// flyMemory reads fly.toml's memory: a number of MiB, or "512mb", "2gb".
func flyMemory(v any) int {
	switch m := v.(type) {
	case int64:
		return int(m)
	case string:
		s := strings.ToLower(strings.TrimSpace(m))
		mult := 1
		switch {
		case strings.HasSuffix(s, "gb"):
			s, mult = strings.TrimSuffix(s, "gb"), 1024
		case strings.HasSuffix(s, "mb"):
			s = strings.TrimSuffix(s, "mb")
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f <= 0 || f > 1<<20 {
			return 0
		}
		return int(f * float64(mult))
	}
	return 0
}

// exists reports whether name is a regular file in the project.
func (p *project) exists(name string) bool {
	info, err := os.Lstat(filepath.Join(p.dir, filepath.FromSlash(name)))
	return err == nil && info.Mode().IsRegular()
}

// local turns a path a command names (a config file) into one relative to
// the project, refusing one outside it.
func local(name string) (string, bool) {
	clean := path.Clean(strings.TrimPrefix(name, "./"))
	if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false
	}
	return clean, true
}
