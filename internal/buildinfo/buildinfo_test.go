package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/prometheus/common/version"
)

func TestFill(t *testing.T) {
	defer func(v, d string) { version.Version, version.BuildDate = v, d }(version.Version, version.BuildDate)
	for _, c := range []struct{ module, stamped, want string }{
		{"v1.4.0", "", "1.4.0"},      // go install ...@v1.4.0
		{"(devel)", "", "devel"},     // go build in a checkout
		{"", "", "devel"},            // no module version at all
		{"v1.4.0", "9.9.9", "9.9.9"}, // release ldflags win
	} {
		version.Version, version.BuildDate = c.stamped, ""
		fill(&debug.BuildInfo{Main: debug.Module{Version: c.module},
			Settings: []debug.BuildSetting{{Key: "vcs.time", Value: "2026-12-03T10:00:00Z"}}})
		if version.Version != c.want || version.BuildDate != "2026-12-03T10:00:00Z" {
			t.Errorf("module %q stamped %q: version %q date %q, want %q", c.module, c.stamped, version.Version, version.BuildDate, c.want)
		}
	}
}
