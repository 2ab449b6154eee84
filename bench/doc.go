// Package bench holds the project's performance measurements: Go benchmarks
// of a probe's stages and of the series the simulated pair costs (this
// package's tests), and the programs that measure the running exporter
// (bench/probe against a real OpenSSH sshd, bench/scale against many
// simulated arrays). docs/benchmarks.md has the method and the numbers.
package bench
