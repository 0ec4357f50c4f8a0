package main

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"strings"
)

// version, when the build sets it (go build -ldflags "-X main.version=…"),
// is printed instead of the module version the Go toolchain records.
var version string

// versionText is what `pixmatch version` prints: the module version (a
// release tag, or the pseudo-version Go derives from the commit, with
// "+dirty" for uncommitted changes), the VCS revision and time when the
// build recorded them, and the Go version.
func versionText() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "pixmatch " + cmp.Or(version, "(unknown)")
	}
	return describe(info, version)
}

// describe writes the version line of a build.
func describe(info *debug.BuildInfo, override string) string {
	v := cmp.Or(override, info.Main.Version, "(devel)")
	var vcs []string
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		vcs = append(vcs, "revision "+rev)
	}
	if at := settings["vcs.time"]; at != "" {
		vcs = append(vcs, at)
	}
	if settings["vcs.modified"] == "true" {
		vcs = append(vcs, "modified")
	}
	line := "pixmatch " + v
	if len(vcs) > 0 {
		line += fmt.Sprintf(" (%s)", strings.Join(vcs, ", "))
	}
	return line + " " + info.GoVersion
}
