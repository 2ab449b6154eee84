// Command exporter is the Prometheus multi-target exporter for HP 3PAR /
// Primera / Alletra Remote Copy: GET /probe?target=T&module=M runs showrcopy
// on array T over SSH (and reads its CIM server when the module says so) and
// answers with threepar_rcopy_* metrics (package collector, one fresh
// registry per probe). It also serves its own metrics on /metrics, the
// configuration with secrets hidden on /config, /-/healthy, POST /-/reload
// (and SIGHUP), and a landing page; exporter-toolkit provides TLS and basic
// auth through --web.config.file. --simulate runs the built-in simulated
// pair in-process and serves it with a generated configuration.
package main
