// Package collector is the prometheus.Collector for one probe of one array
// and module: it reads the array through package source (showrcopy over
// SSH and, when configured, the CIM server), has package conformance judge
// what was read, and renders the findings as the threepar_rcopy_ series of
// exporter's contract (docs/metrics.md). It decides nothing about conformance itself.
//
// /probe creates one Collector per request, registers it in a fresh
// registry and serves it with promhttp, as blackbox_exporter does.
// Descriptors are built once for the process; a probe's series are
// samples (sample.go) that share label pairs. docs/metrics.md lists every series and the decisions behind them.
package collector
