// Package buildinfo fills in the version that prometheus/common/version
// reports (--version, build_info, the landing page) for binaries built
// without release ldflags: `go install ...@v1.2.3` records the module
// version and every `go build` of a git checkout its commit time, and both
// are better than an empty version.
package buildinfo
