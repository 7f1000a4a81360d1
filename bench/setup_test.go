package bench

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/workerbench/workerbench/bench/results"
)

// sideDirs makes a base and a head directory whose requirements.txt pin
// different versions and whose file slowdown says how much slower that
// side's server is.
func sideDirs(t *testing.T, baseSlowdown, headSlowdown string) (base, head string) {
	t.Helper()
	root := t.TempDir()
	base, head = filepath.Join(root, "base"), filepath.Join(root, "head")
	for dir, v := range map[string][2]string{base: {"dep==1.0", baseSlowdown}, head: {"dep==2.0", headSlowdown}} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, content := range map[string]string{"requirements.txt": v[0] + "\n", "slowdown": v[1]} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return base, head
}

// installServer is a setup command that installs, in the side's own
// directory, the ground-truth server as bin/server, slowed down by what
// the side's file slowdown pins: what a dependency upgrade does to a
// server installed from a lock file.
func installServer(t *testing.T) string {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return `mkdir -p bin && printf '#!/bin/sh\nWORKERBENCH_SLOWDOWN=%s exec %s "$@"\n' "$(cat slowdown)" ` +
		exe + ` > bin/server && chmod +x bin/server && echo "$MARK" > mark-{side}`
}

// TestSetupPerSide: each side installs its own server with setup, which
// the command starts by a path relative to the side's directory; the
// slower dependency of head is measured, and results say that the
// dependencies changed and that the verdict includes the change.
func TestSetupPerSide(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	base, head := sideDirs(t, "0", "0.3")
	_, env := slotServerCommand(t, 0)
	cfg := DefaultABConfig()
	cfg.Command = "bin/server -bind {bind} -workers {workers} -threads {threads} -sleep 5ms"
	cfg.Env = append(env, "MARK=db_{side}")
	cfg.Setup = installServer(t)
	cfg.Matrix = []Shape{{1, 2}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup = 100*time.Millisecond, 50*time.Millisecond
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := DefaultABOptions()
	o.BaseDir, o.HeadDir, o.Seed = base, head, 1
	var progress bytes.Buffer
	a := newAB(t, Runner{Config: &cfg, Progress: &progress, LogDir: filepath.Join(t.TempDir(), "logs")}, o)
	res, err := a.Run(context.Background())
	assertNoProcesses(t, base)
	assertNoProcesses(t, head)
	t.Log(progress.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Verdict != results.Regressed {
		t.Errorf("verdict %s, want regressed: head's setup installed a 30%% slower server", res.Verdict)
	}
	want := &results.Dependencies{Changed: []string{"requirements.txt"}, Setup: true}
	if !reflect.DeepEqual(res.Dependencies, want) {
		t.Errorf("dependencies %+v, want %+v", res.Dependencies, want)
	}
	if s := res.Setup; s == nil || s.Command != cfg.Setup || s.WallTime.BaseS <= 0 || s.WallTime.HeadS <= 0 {
		t.Errorf("setup %+v: want the command and both sides' time", s)
	}
	for dir, side := range map[string]string{base: "base", head: "head"} {
		got, err := os.ReadFile(filepath.Join(dir, "mark-"+side))
		if err != nil || string(got) != "db_"+side+"\n" {
			t.Errorf("%s: setup saw MARK=%q (%v), want db_%s: {side} in --env and setup", side, got, err, side)
		}
	}
	if !strings.Contains(progress.String(), "dependencies changed (requirements.txt): each side installs its own") {
		t.Errorf("progress does not say the dependencies changed:\n%s", progress.String())
	}
}

// TestSetupFails: a setup that fails on one side stops the comparison
// before any server starts, names the side and keeps what its output said.
func TestSetupFails(t *testing.T) {
	base, head := sideDirs(t, "0", "0")
	cmd, env := slotServerCommand(t, 5*time.Millisecond)
	cfg := DefaultABConfig()
	cfg.Command, cfg.Env = cmd, env
	cfg.Setup = `echo "Collecting nope==9"; if [ {side} = head ]; then ` +
		`echo "ERROR: No matching distribution found for nope==9" >&2; exit 1; fi`
	cfg.Matrix = []Shape{{1, 1}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	o := DefaultABOptions()
	o.BaseDir, o.HeadDir = base, head
	logDir := filepath.Join(t.TempDir(), "logs")
	var saved int
	a := newAB(t, Runner{Config: &cfg, Progress: testWriter{t}, LogDir: logDir,
		Save: func(*results.Run) error { saved++; return nil }}, o)
	start := time.Now()
	res, err := a.Run(context.Background())
	t.Logf("failed after %s: %v", time.Since(start), err)
	var se *SetupError
	if !errors.As(err, &se) || se.Side != "head" {
		t.Fatalf("error %v, want a *SetupError on head", err)
	}
	if res != nil || saved != 0 {
		t.Errorf("results %v saved %d times: nothing was measured", res, saved)
	}
	if !strings.Contains(err.Error(), "setup failed on head") ||
		!strings.Contains(err.Error(), "ERROR: No matching distribution found for nope==9") {
		t.Errorf("error %q: want the side and the output's error line", err)
	}
	if se.Log != filepath.Join("logs", "setup-head.log") {
		t.Errorf("log %q, want logs/setup-head.log", se.Log)
	}
	logs, _ := filepath.Glob(filepath.Join(logDir, "server-*"))
	if len(logs) > 0 {
		t.Errorf("a server was started after setup failed: %v", logs)
	}
}

// TestSetupLeavesNothing: what a setup leaves running is stopped once it
// has finished, and a run (one side, head) sets up in its directory.
func TestSetupLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real servers")
	}
	dir := t.TempDir()
	cmd, env := slotServerCommand(t, 5*time.Millisecond)
	cfg := DefaultConfig()
	cfg.Command, cfg.Env, cfg.Dir = cmd, env, dir
	cfg.Setup = "sleep 60 & touch ready-{side}"
	cfg.Matrix = []Shape{{1, 1}}
	cfg.Health = "/health"
	cfg.Duration, cfg.Warmup, cfg.Sequential = 100*time.Millisecond, 50*time.Millisecond, 5
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	r := Runner{Config: &cfg, Progress: &progress}
	res, err := r.Run(context.Background())
	assertNoProcesses(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "ready-head")); err != nil {
		t.Errorf("setup of a run: %v ({side} is head)", err)
	}
	if res.Setup == nil || res.Setup.WallTime.HeadS <= 0 || res.Setup.WallTime.BaseS != 0 {
		t.Errorf("setup %+v: want head's time only", res.Setup)
	}
	if res.Dependencies != nil {
		t.Errorf("a run compares no dependencies, got %+v", res.Dependencies)
	}
	if !strings.Contains(progress.String(), "left 1 process(es) running, now stopped") {
		t.Errorf("progress does not say setup left a process:\n%s", progress.String())
	}
}

func TestCheckSetup(t *testing.T) {
	for _, tt := range []struct {
		setup, err string
	}{
		{"python3 -m venv .venv && .venv/bin/pip install -r requirements.txt", ""},
		{"createdb app_{side} && echo ${HOME} {a,b}", ""},
		{"echo {port}", "uses {port}, which has no value there"},
		{"WEB_CONCURRENCY={workers} npm ci", "uses {workers}"},
	} {
		cfg := validConfig()
		cfg.Setup = tt.setup
		err := cfg.Validate()
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("setup %q: error %v, want %q", tt.setup, err, tt.err)
		}
	}
}

func TestSharedDatabases(t *testing.T) {
	for _, tt := range []struct {
		name          string
		env, base, hd []string
		want          string // in the one warning; "" for none
	}{
		{"absolute sqlite file", []string{"DATABASE_PATH=/srv/app.db"}, nil, nil,
			"both use DATABASE_PATH=/srv/app.db"},
		{"one per side", []string{"DATABASE_PATH=/srv/app_{side}.db"}, nil, nil, ""},
		{"relative file is each worktree's", []string{"SQLITE_FILE=instance/app.db"}, nil, nil, ""},
		{"sqlite URL, absolute", []string{"DATABASE_URL=sqlite:////tmp/app.db"}, nil, nil,
			"e.g. --env DATABASE_URL=sqlite:////tmp/app_{side}.db"},
		{"sqlite URL, relative", []string{"DATABASE_URL=sqlite:///app.db"}, nil, nil, ""},
		{"postgres, password hidden", []string{"DATABASE_URL=postgresql://app:s3cret@127.0.0.1:5432/shop"},
			nil, nil, "postgresql://app:xxxxx@127.0.0.1:5432/shop_{side}"},
		{"postgres per side flags", nil, []string{"DATABASE_URL=postgresql:///a"},
			[]string{"DATABASE_URL=postgresql:///b"}, ""},
		{"not a database", []string{"CACHE_DIR=/tmp/cache"}, nil, nil, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			cfg.Env = tt.env
			a := &AB{Runner: Runner{Config: &cfg}, ABOptions: ABOptions{BaseEnv: tt.base, HeadEnv: tt.hd}}
			ws := a.sharedDatabases()
			switch {
			case tt.want == "" && len(ws) > 0:
				t.Errorf("warned %q", ws)
			case tt.want != "" && (len(ws) != 1 || !strings.Contains(ws[0], tt.want)):
				t.Errorf("warnings %q, want one containing %q", ws, tt.want)
			}
			if len(ws) > 0 && strings.Contains(ws[0], "s3cret") {
				t.Errorf("the warning shows the password: %q", ws[0])
			}
		})
	}
}
