package main

import (
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/collector"
)

// docs/metrics.md must name every series the exporter can emit, and no
// other: the probe series (collector.MetricNames) and the exporter's own.
func TestMetricsDocMatchesCode(t *testing.T) {
	doc, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`("+collector.Namespace+"_[a-z_]+)`").FindAllStringSubmatch(string(doc), -1) {
		documented[m[1]] = true
	}

	code := map[string]bool{}
	for _, n := range collector.MetricNames() {
		code[n] = true
	}
	src := newClientSources(slog.New(slog.DiscardHandler))
	defer src.Close()
	e := newExporter(slog.New(slog.DiscardHandler), "unused.yml", "", false, 0, src)
	mfs, err := e.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if strings.HasPrefix(mf.GetName(), exporterNamespace+"_") {
			code[mf.GetName()] = true
		}
	}
	if len(code) < 20 {
		t.Fatalf("only %d names found in code", len(code))
	}
	var missing, extra []string
	for n := range code {
		if !documented[n] {
			missing = append(missing, n)
		}
	}
	for n := range documented {
		if !code[n] {
			extra = append(extra, n)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	if len(missing) > 0 {
		t.Errorf("series not documented in docs/metrics.md: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("docs/metrics.md names series the code does not emit: %v", extra)
	}
}
