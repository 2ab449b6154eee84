// Package collector is the prometheus.Collector for one probed array and
// module: it runs showrcopy through a Runner, parses it, derives the expected
// CIM triple for every volume, optionally compares with what the CIM server
// reports, and emits the threepar_rcopy_ series.
//
// A Collector serves one probe, in one of two ways. As a prometheus.Collector
// (or through Gather): create it with New for the probe's context, register
// it in a fresh registry and gather; descriptors are shared by all probes,
// every series is a const metric, and none is ever emitted twice. Or in
// steps, which is how /probe answers in the text format: Fetch does the I/O,
// Probe.Key digests what it read (so that an unchanged output can be
// answered from a cache), and Probe.WriteText writes the text exposition
// straight from the same emitter, without building client_model structs:
// for a 2400-volume array that is the difference between about 25 and 70 ms
// of CPU. Tests and FuzzCollect hold WriteText to expfmt's output byte for
// byte. docs/metrics.md lists every series and the decisions behind them
// (failures, uncertain rows, groups listed once per target, time zones).
package collector
