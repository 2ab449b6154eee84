// Package collector is the prometheus.Collector for one probed array and
// module: it runs showrcopy through a Runner, parses it, derives the expected
// CIM triple for every volume, optionally compares with what the CIM server
// reports, and emits the threepar_rcopy_ series.
//
// A Collector serves one probe: create it with New for the probe's context,
// register it in a fresh registry and gather. Descriptors are shared by all
// probes; every series is a const metric, and none is ever emitted twice.
// docs/metrics.md lists every series and the decisions behind them
// (failures, uncertain rows, groups listed once per target, time zones).
package collector
