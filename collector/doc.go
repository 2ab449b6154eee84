// Package collector is the prometheus.Collector for one probed array and
// module: it runs showrcopy through a Runner, parses it, derives the expected
// CIM triple for every volume, optionally compares with what the CIM server
// reports, and emits the threepar_rcopy_ series.
package collector
