package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// Stamped by the linker in release builds (.github/scripts/release.sh) and by the
// action's build fallback:
//
//	-ldflags "-X main.version=1.2.3 -X main.commit=<sha>"
//
// Only the linker writes them; everything else reads buildVersion().
var (
	version string
	commit  string
)

// versionInfo says which workerbench this is.
type versionInfo struct {
	Version string // 1.2.3; a module version without its v; or devel
	Commit  string // full commit SHA, or unknown
	Go      string // the toolchain that built it, e.g. go1.23.4
}

// buildVersion is the version of the running binary.
func buildVersion() versionInfo {
	info, _ := debug.ReadBuildInfo()
	return resolveVersion(version, commit, info)
}

// resolveVersion prefers what the linker stamped, then what the Go
// toolchain recorded (a module version from `go install …@v1.2.3`, the VCS
// revision of a build in a git checkout), then says devel and unknown.
func resolveVersion(stampedVersion, stampedCommit string, info *debug.BuildInfo) versionInfo {
	v := versionInfo{Version: stampedVersion, Commit: stampedCommit, Go: runtime.Version()}
	if info != nil {
		if info.GoVersion != "" {
			v.Go = info.GoVersion
		}
		if mv := info.Main.Version; v.Version == "" && mv != "" && mv != "(devel)" {
			v.Version = strings.TrimPrefix(mv, "v")
		}
		if v.Commit == "" {
			var rev, modified string
			for _, s := range info.Settings {
				switch s.Key {
				case "vcs.revision":
					rev = s.Value
				case "vcs.modified":
					modified = s.Value
				}
			}
			if rev != "" && modified == "true" {
				rev += "-dirty"
			}
			v.Commit = rev
		}
	}
	if v.Version == "" {
		v.Version = "devel"
	}
	if v.Commit == "" {
		v.Commit = "unknown"
	}
	return v
}

// versionCmd prints the version; its first line, "workerbench VERSION",
// is what the action checks a downloaded binary against.
func versionCmd(args []string, stdout, stderr io.Writer) error {
	cl := newCmdLine("version")
	pos, err := cl.parse(args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		cl.problemf("version takes no arguments; got %q", pos[0])
	}
	if err := cl.err(); err != nil {
		return err
	}
	v := buildVersion()
	_, err = fmt.Fprintf(
		stdout,
		"workerbench %s\ncommit %s\nbuilt with %s %s/%s\n",
		v.Version,
		v.Commit,
		v.Go,
		runtime.GOOS,
		runtime.GOARCH,
	)
	return err
}
