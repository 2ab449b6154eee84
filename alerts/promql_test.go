package alerts

import (
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/collector"
)

func TestMetricNames(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{`threepar_rcopy_up == 0`, []string{"threepar_rcopy_up"}},
		{`sum by (instance) (rate(foo_total{job="x", a=~"b|c"}[5m]))`, []string{"foo_total"}},
		{`a * on (job, instance) group_left (stage) b`, []string{"a", "b"}},
		{`a == 1 unless on(job) group_right c`, []string{"a", "c"}},
		{`a > on (x) group_left b`, []string{"a", "b"}},
		{`count_values("v", x)`, []string{"x"}},
		{`time() - x offset 5m`, []string{"x"}},
		{`histogram_quantile(0.9, sum by (le) (rate(h_bucket[$__rate_interval])))`, []string{"h_bucket"}},
		{`x{instance=~"$instance", group=~"${natural_group:regex}(\\.r[0-9]+)?"}`, []string{"x"}},
		{`x{instance=~"$instance"} * $factor + ${offset}`, []string{"x"}},
		{`1e3 + Inf + NaN - .5 + 0x1f`, nil},
		{`SUM BY (a) (x) AND y`, []string{"x", "y"}},
		{"# comment naming not_a_metric\nx", []string{"x"}},
		{`label_replace(x, "dst", "$1", "src", "(.*)")`, []string{"x"}},
		{`max_over_time(x[1h:5m]) @ end()`, []string{"x"}},
		{`ns:rec:count > 1`, []string{"ns:rec:count"}},
		{`x + x`, []string{"x"}},
		{`sum without (le) (x) / ignoring(a) y`, []string{"x", "y"}},
		{`topk(3, x) or bottomk by (a) (2, y)`, []string{"x", "y"}},
		{`{job="a", note="__name__"}`, nil},
		{`a{s='quote \' in'} + b{s=` + "`raw`" + `}`, []string{"a", "b"}},
	}
	for _, tc := range tests {
		got, err := MetricNames(tc.expr)
		if err != nil {
			t.Errorf("MetricNames(%q): %v", tc.expr, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("MetricNames(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestMetricNamesErrors(t *testing.T) {
	for _, expr := range []string{
		`x{a="b"`,
		`x{a="b}`,
		`rate(x[5m)`,
		`sum by (a (x)`,
		`{__name__="x"}`,
		`{__name__=~"threepar_.*"}`,
		`"unterminated`,
	} {
		if got, err := MetricNames(expr); err == nil {
			t.Errorf("MetricNames(%q) = %q, want an error", expr, got)
		}
	}
}

func TestKnownMetric(t *testing.T) {
	recorded := []string{"natural_group:x:count"}
	for name, want := range map[string]bool{
		"threepar_rcopy_group_role":  true,
		"threepar_rcopy_grop_role":   false,
		"up":                         true,
		"natural_group:x:count":      true,
		"natural_group:y:count":      false,
		"threepar_rcopy_link_status": false,
	} {
		if got := KnownMetric(name, recorded); got != want {
			t.Errorf("KnownMetric(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzMetricNames(f *testing.F) {
	for _, s := range []string{`a{b="c"}[5m]`, `sum by (x) (y)`, `${v:regex}`, `"\`, `{{{`, `a offset 1h`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		names, err := MetricNames(expr)
		if err != nil {
			return
		}
		for _, n := range names {
			if n == "" || !isIdentStart(n[0]) || !strings.Contains(expr, n) {
				t.Fatalf("MetricNames(%q) returned %q", expr, n)
			}
		}
	})
}

// TestExporterMetricsMatchCollector: the names the rules and dashboard may
// use are exactly the names the collector emits (plus the exporter's
// build_info on /metrics), so a renamed series breaks this test rather than
// an alert in production.
func TestExporterMetricsMatchCollector(t *testing.T) {
	const buildInfo = "threepar_rcopy_exporter_build_info" // cmd/exporter, version collector
	got := append(collector.MetricNames(), buildInfo)
	for _, n := range got {
		if !slices.Contains(ExporterMetrics, n) {
			t.Errorf("the exporter emits %s, missing from ExporterMetrics", n)
		}
	}
	for _, n := range ExporterMetrics {
		if !slices.Contains(got, n) {
			t.Errorf("ExporterMetrics lists %s, which the collector does not emit", n)
		}
	}
}
