package alerts

import (
	_ "embed"
	"slices"
)

// Rules is the content of rcopy.rules.yml, for tests and tools that start a
// Prometheus server with the shipped rules.
//
//go:embed rcopy.rules.yml
var Rules []byte

// ExporterMetrics lists every series name the exporter exposes: a probe's
// series (docs/metrics.md) and build_info on /metrics. It is the
// one place the rules, dashboard and examples are checked against;
// TestExporterMetricsMatchCollector keeps it equal to
// collector.MetricNames().
var ExporterMetrics = []string{
	"threepar_rcopy_up",
	"threepar_rcopy_scrape_duration_seconds",
	"threepar_rcopy_scrape_error",
	"threepar_rcopy_parse_skipped_rows",
	"threepar_rcopy_system_started",
	"threepar_rcopy_target_ready",
	"threepar_rcopy_link_up",
	"threepar_rcopy_group_info",
	"threepar_rcopy_group_status",
	"threepar_rcopy_group_role",
	"threepar_rcopy_group_period_seconds",
	"threepar_rcopy_group_last_sync_timestamp_seconds",
	"threepar_rcopy_group_volumes",
	"threepar_rcopy_group_volumes_not_in_table",
	"threepar_rcopy_group_volumes_cim_nonconformant",
	"threepar_rcopy_volume_sync_status",
	"threepar_rcopy_volume_last_sync_timestamp_seconds",
	"threepar_rcopy_volume_sync_ratio",
	"threepar_rcopy_volume_expected_cim_info",
	"threepar_rcopy_volume_state_in_table",
	"threepar_rcopy_volume_cim_info",
	"threepar_rcopy_volume_cim_conformant",
	"threepar_rcopy_exporter_build_info",
}

// PrometheusSeries are the series Prometheus makes itself: per-scrape
// synthetic series (up is 0 when the exporter could not be scraped at all,
// e.g. down or slower than scrape_timeout) and the alert state series.
var PrometheusSeries = []string{
	"up",
	"scrape_duration_seconds",
	"scrape_samples_scraped",
	"ALERTS",
	"ALERTS_FOR_STATE",
}

// KnownMetric reports whether name is an exporter series, a Prometheus
// series, or one of the recording rules given.
func KnownMetric(name string, recorded []string) bool {
	return slices.Contains(ExporterMetrics, name) ||
		slices.Contains(PrometheusSeries, name) ||
		slices.Contains(recorded, name)
}
