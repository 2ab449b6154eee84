package buildinfo

import (
	"runtime/debug"
	"strings"

	"github.com/prometheus/common/version"
)

// Fill sets version.Version (and BuildDate) from the Go build information
// when the linker did not stamp them.
func Fill() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	fill(info)
}

func fill(info *debug.BuildInfo) {
	if version.Version == "" {
		v := strings.TrimPrefix(info.Main.Version, "v")
		if v == "" || v == "(devel)" {
			v = "devel"
		}
		version.Version = v
	}
	if version.BuildDate == "" {
		for _, s := range info.Settings {
			if s.Key == "vcs.time" {
				version.BuildDate = s.Value
			}
		}
	}
}
