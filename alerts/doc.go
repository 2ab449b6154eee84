// Package alerts holds what connects the exporter to a Prometheus server:
// the alerting and recording rules (rcopy.rules.yml, unit-tested with
// promtool in rcopy.rules.test.yml, run as written and again without the
// volume series, as a module with volume_metrics: false exports them), the
// vocabulary of series those rules, the Grafana dashboard (../dashboards)
// and the example Prometheus configuration (../examples) may use, and a
// small PromQL scanner that finds the metric names an expression selects.
// The tests here check all of those artifacts (and the Dockerfile) with the
// real promtool.
package alerts
