// Package bench holds the project's performance measurements: Go benchmarks
// of the probe's stages (this package's tests) and the programs that measure
// the running exporter against the simulator (bench/probe, bench/scale,
// bench/growth). docs/benchmarks.md has the method and the numbers.
package bench
