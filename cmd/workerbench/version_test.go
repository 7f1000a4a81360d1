package main

import (
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name                   string
		stamped, stampedCommit string
		info                   *debug.BuildInfo
		wantVersion, wantCmt   string
	}{
		{"release build", "1.2.3", "abc123", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "1.2.3", "abc123"},
		{"stamp wins over build info", "1.2.3", "abc123", &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: vcs("fff", "false")}, "1.2.3", "abc123"},
		{"go install @version", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}}, "1.4.0", "unknown"},
		{"checkout build", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123abcd", "false")}, "devel", "0123abcd"},
		{"dirty checkout", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("0123abcd", "true")}, "devel", "0123abcd-dirty"},
		{"action's source build", "1.0.0-dev+source", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "1.0.0-dev+source", "unknown"},
		{"no build info", "", "", nil, "devel", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolveVersion(tt.stamped, tt.stampedCommit, tt.info)
			if got.Version != tt.wantVersion || got.Commit != tt.wantCmt || !strings.HasPrefix(got.Go, "go") {
				t.Errorf("got %+v, want version %q commit %q", got, tt.wantVersion, tt.wantCmt)
			}
		})
	}
}

func TestVersionCommand(t *testing.T) {
	want := regexp.MustCompile(`^workerbench \S+\ncommit \S+\nbuilt with go\S* \w+/\w+\n$`)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, stderr := runCLI(t, args...)
		if code != exitOK || stderr != "" || !want.MatchString(stdout) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, stdout, stderr)
		}
		if first, _, _ := strings.Cut(stdout, "\n"); first != "workerbench "+buildVersion().Version {
			t.Errorf("%v: first line %q", args, first)
		}
	}
	if code, _, stderr := runCLI(t, "version", "extra"); code != exitUsage || !strings.Contains(stderr, "version takes no arguments") {
		t.Errorf("version extra: exit %d, stderr %q", code, stderr)
	}
}

// TestVersionFileIsAVersion keeps VERSION in the form .github/scripts/install.sh
// and the release workflow accept: X.Y.Z, optionally -suffix.
func TestVersionFileIsAVersion(t *testing.T) {
	data, err := os.ReadFile("../../VERSION")
	if err != nil {
		t.Fatal(err)
	}
	v := string(data)
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?\n$`).MatchString(v) {
		t.Errorf("VERSION is %q, want X.Y.Z or X.Y.Z-suffix and a newline", v)
	}
}
