package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
)

// prometheusAccept is what Prometheus 3 sends by default when it scrapes.
const prometheusAccept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5," +
	"application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3," +
	"text/plain;version=0.0.4;q=0.2,*/*;q=0.1"

// simulatedShowrcopy is what the simulator prints for the first array of
// a generated pair (fakearray's generate: stanza) replicating groups x
// volumes volumes, half of the groups periodic.
func simulatedShowrcopy(tb testing.TB, groups, volumes int) []byte {
	tb.Helper()
	sc := &fakearray.Scenario{Generate: &fakearray.GenerateConfig{Arrays: 2, GroupsPerPair: groups, VolumesPerGroup: volumes}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer sim.Close()
	out, status := sim.Exec("sim-0000", "showrcopy")
	if status != 0 {
		tb.Fatalf("showrcopy exit %d: %s", status, out)
	}
	return []byte(out)
}

// BenchmarkProbe is one /probe of a 2400-volume array (300 groups) through
// the exporter's handler, SSH replaced by the simulator's output: parse,
// table matching, collection, gathering and the exposition, as Prometheus
// asks for it (OpenMetrics, gzip) and as plain text.
func BenchmarkProbe(b *testing.B) {
	out := simulatedShowrcopy(b, 300, 8)
	dir := b.TempDir()
	cfg := writeBenchConfig(b, dir)
	e := newExporter(slog.New(slog.DiscardHandler), cfg, "", false, 500*time.Millisecond,
		&fakeSources{runners: map[string]*fakeRunner{"10.0.0.1:22": {out: out}}})
	if err := e.reload(); err != nil {
		b.Fatal(err)
	}
	h, err := e.routes()
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, accept, encoding string }{
		{"prometheus-gzip", prometheusAccept, "gzip"},
		{"text", "", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(out)))
			b.ReportAllocs()
			var size int
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/probe?target=array-a", nil)
				if c.accept != "" {
					req.Header.Set("Accept", c.accept)
				}
				if c.encoding != "" {
					req.Header.Set("Accept-Encoding", c.encoding)
				}
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
				}
				size = rec.Body.Len()
				if c.encoding == "" && !strings.Contains(rec.Body.String(), "\nthreepar_rcopy_up 1\n") {
					b.Fatal("probe failed")
				}
			}
			b.ReportMetric(float64(size), "resp-bytes")
		})
	}
}

// writeBenchConfig writes a configuration with one target, array-a.
func writeBenchConfig(b *testing.B, dir string) string {
	b.Helper()
	files := map[string]string{
		"pw":          "bench-password\n",
		"known_hosts": "",
		"rcopy.yml": "modules:\n  default:\n    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 60s}\n" +
			"targets:\n  array-a: {address: \"10.0.0.1\", module: default}\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			b.Fatal(err)
		}
	}
	return filepath.Join(dir, "rcopy.yml")
}

// BenchmarkProbeSSH is one /probe of a simulated 100-volume array over a
// real (loopback) SSH connection kept open across probes, through the
// production sources: what each of 500 arrays costs in bench/scale. The
// simulator runs in the same process, so its CPU is in the numbers too.
func BenchmarkProbeSSH(b *testing.B) {
	sc := &fakearray.Scenario{Generate: &fakearray.GenerateConfig{Arrays: 2, GroupsPerPair: 25, VolumesPerGroup: 4}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	cfg, err := sim.WriteConfig(b.TempDir(), fakearray.ConfigOptions{Arrays: []string{"sim-0000"}, SharedModule: true,
		SSHTimeout: 20 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	src := newClientSources(slog.New(slog.DiscardHandler))
	defer src.Close()
	e := newExporter(slog.New(slog.DiscardHandler), cfg, "", false, 500*time.Millisecond, src)
	if err := e.reload(); err != nil {
		b.Fatal(err)
	}
	h, err := e.routes()
	if err != nil {
		b.Fatal(err)
	}
	probe := func() {
		req := httptest.NewRequest(http.MethodGet, "/probe?target=sim-0000", nil)
		req.Header.Set("Accept", prometheusAccept)
		req.Header.Set("Accept-Encoding", "gzip")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d: %s", rec.Code, rec.Body)
		}
	}
	probe() // dials
	b.ReportAllocs()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	n := 0
	for b.Loop() {
		probe()
		n++
	}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := (ru1.Utime.Nano() + ru1.Stime.Nano()) - (ru0.Utime.Nano() + ru0.Stime.Nano())
	b.ReportMetric(float64(cpu)/1e6/float64(n), "cpu-ms/op") // exporter and simulator
}
