// Package e2e holds end-to-end tests that run the project the way users
// deploy it, with nothing in between replaced: a real Prometheus server
// (Debian package prometheus) loads the shipped alert rules
// (alerts/rcopy.rules.yml) and the multi-target relabeling of
// examples/prometheus.yml, scrapes the built exporter binary, and the
// exporter reads a simulated array pair (package fakearray) over SSH and
// CIM-XML. The test drives the simulator (array down, failover, faults,
// links down, its clock) and reads the alerts back through Prometheus' HTTP
// API, once with the exporter's volume series and once with every module set
// to volume_metrics: false, where the alerts must fire the same.
//
// A second test proves that the example's job honours each target's own
// module: one array's module reads CIM (through its target's cim_url), the
// other's does not, and only the first shows what its CIM server reports.
//
// The rules' for: durations are minutes long; the copy that the test loads
// has them set to 0s so that a scenario takes seconds. The real durations
// are covered by the promtool unit tests in package alerts
// (alerts/rcopy.rules.test.yml).
//
// The package has no code outside its tests.
package e2e
