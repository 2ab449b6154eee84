package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/bench/internal/harness"
	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/source"
)

// benchSize is the array size of the stage benchmarks: 300 groups of 8
// volumes (2400 volumes, a big array) by default. RCOPY_BENCH_GROUPS and
// RCOPY_BENCH_VOLUMES (per group) change it; CI runs the default once.
func benchSize(b *testing.B) (groups, volumes int) {
	return benchEnv(b, "RCOPY_BENCH_GROUPS", 300), benchEnv(b, "RCOPY_BENCH_VOLUMES", 8)
}

func benchEnv(b *testing.B, name string, def int) int {
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		b.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// processCPU is the CPU time this process has used (user + system). On a
// shared machine it is a steadier measure of cost than wall-clock time.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerOp runs f b.N times and reports the process CPU time per run
// (garbage collection included) as cpu-ms/op, and per volume as
// cpu-µs/volume.
func cpuPerOp(b *testing.B, volumes int, f func()) {
	b.ReportAllocs()
	start := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	cpu := float64(processCPU()-start) / float64(n)
	b.ReportMetric(cpu/1e6, "cpu-ms/op")
	b.ReportMetric(cpu/1e3/float64(volumes), "cpu-µs/volume")
}

// staticCLI answers every command with the same output: the array's
// showrcopy without the SSH round trip.
type staticCLI []byte

func (r staticCLI) Run(context.Context, string) ([]byte, error) { return r, nil }

// registry is what /probe builds for one request: a fresh registry holding
// the target's collector.
func registry(out []byte) (*prometheus.Registry, *collector.Collector) {
	c := collector.New(context.Background(), collector.Options{Target: "bench", Array: source.Array{Name: "bench", CLI: staticCLI(out)}})
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	return reg, c
}

func gather(b *testing.B, out []byte) []*dto.MetricFamily {
	reg, c := registry(out)
	mfs, err := reg.Gather()
	if err != nil || !c.Up() {
		b.Fatalf("gather: %v (up %v)", err, c.Up())
	}
	return mfs
}

func encode(b *testing.B, mfs []*dto.MetricFamily, format expfmt.Format, w *bytes.Buffer) {
	w.Reset()
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			b.Fatal(err)
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProbeStages splits one probe of a big array (no CIM) into its
// stages, to show where the CPU goes: parse, judge (conformance.Judge),
// collect (all of the collector's work, through a fresh registry's Gather:
// parse, judge, series, the registry's checks), the two exposition
// encodings Prometheus negotiates, gzip (at promhttp's level, and at
// BestSpeed for comparison), the library floor (registry, encoding and
// gzip of series that cost nothing to build), and serve:
// everything /probe does but the SSH read and resolving the target (a
// fresh registry served by promhttp.HandlerFor to Prometheus' Accept and
// Accept-Encoding).
func BenchmarkProbeStages(b *testing.B) {
	groups, perGroup := benchSize(b)
	volumes := groups * perGroup
	out, err := harness.Showrcopy(groups, perGroup)
	if err != nil {
		b.Fatal(err)
	}
	mfs := gather(b, out)
	series := 0
	for _, mf := range mfs {
		series += len(mf.Metric)
	}
	var text bytes.Buffer
	encode(b, mfs, expfmt.NewFormat(expfmt.TypeOpenMetrics), &text)
	b.Logf("%d volumes: showrcopy %d bytes, %d series (%.2f per volume), %d bytes of OpenMetrics",
		volumes, len(out), series, float64(series)/float64(volumes), text.Len())

	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		cpuPerOp(b, volumes, func() {
			if _, err := parser.Parse(out); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("judge", func(b *testing.B) {
		parsed, err := parser.Parse(out)
		if err != nil {
			b.Fatal(err)
		}
		in := source.Reading{Raw: out, Output: parsed}.Input("bench")
		cpuPerOp(b, volumes, func() {
			if ls := conformance.Judge(in, conformance.Options{}); len(ls) != groups {
				b.Fatalf("%d listings, want %d", len(ls), groups)
			}
		})
	})
	b.Run("collect", func(b *testing.B) {
		cpuPerOp(b, volumes, func() { gather(b, out) })
		b.ReportMetric(float64(series), "series")
	})
	var w bytes.Buffer
	b.Run("encode-text", func(b *testing.B) {
		cpuPerOp(b, volumes, func() { encode(b, mfs, expfmt.NewFormat(expfmt.TypeTextPlain), &w) })
	})
	b.Run("encode-openmetrics", func(b *testing.B) {
		cpuPerOp(b, volumes, func() { encode(b, mfs, expfmt.NewFormat(expfmt.TypeOpenMetrics), &w) })
	})
	// promhttp compresses at gzip's default level; BestSpeed shows what
	// that choice costs.
	for _, level := range []int{gzip.DefaultCompression, gzip.BestSpeed} {
		name := "gzip-default"
		if level == gzip.BestSpeed {
			name = "gzip-bestspeed"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(text.Len()))
			zw, err := gzip.NewWriterLevel(&w, level)
			if err != nil {
				b.Fatal(err)
			}
			cpuPerOp(b, volumes, func() {
				w.Reset()
				zw.Reset(&w)
				if _, err := zw.Write(text.Bytes()); err != nil {
					b.Fatal(err)
				}
				if err := zw.Close(); err != nil {
					b.Fatal(err)
				}
			})
			b.ReportMetric(float64(w.Len()), "gz-bytes")
		})
	}
	// The floor: what the registry, the OpenMetrics encoder and gzip at
	// BestSpeed (as the exporter compresses) cost for this answer's series
	// when building them costs nothing (they are replayed as gathered).
	b.Run("library-floor", func(b *testing.B) {
		replay := newReplay(mfs)
		zw, err := gzip.NewWriterLevel(&w, gzip.BestSpeed)
		if err != nil {
			b.Fatal(err)
		}
		cpuPerOp(b, volumes, func() {
			reg := prometheus.NewRegistry()
			reg.MustRegister(replay)
			req := httptest.NewRequest(http.MethodGet, "/probe?target=bench", nil)
			req.Header.Set("Accept", harness.PrometheusAccept)
			rec := httptest.NewRecorder()
			promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, DisableCompression: true}).ServeHTTP(rec, req)
			w.Reset()
			zw.Reset(&w)
			if _, err := zw.Write(rec.Body.Bytes()); err != nil {
				b.Fatal(err)
			}
			if err := zw.Close(); err != nil || rec.Code != http.StatusOK {
				b.Fatalf("HTTP %d, gzip: %v", rec.Code, err)
			}
		})
	})
	b.Run("serve", func(b *testing.B) {
		cpuPerOp(b, volumes, func() {
			reg, c := registry(out)
			req := httptest.NewRequest(http.MethodGet, "/probe?target=bench", nil)
			req.Header.Set("Accept", harness.PrometheusAccept)
			req.Header.Set("Accept-Encoding", "gzip")
			rec := httptest.NewRecorder()
			promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}).ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !c.Up() || rec.Header().Get("Content-Encoding") != "gzip" {
				b.Fatalf("HTTP %d, up %v, Content-Encoding %q", rec.Code, c.Up(), rec.Header().Get("Content-Encoding"))
			}
		})
	})
}

// replay is a collector that sends series already gathered: through a
// registry it costs what the library does, whatever a collector costs.
type replay struct {
	descs   []*prometheus.Desc
	metrics []replayed
}

type replayed struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (r replayed) Desc() *prometheus.Desc { return r.desc }

func (r replayed) Write(out *dto.Metric) error {
	out.Label, out.Gauge = r.m.Label, r.m.Gauge
	return nil
}

func newReplay(mfs []*dto.MetricFamily) *replay {
	r := &replay{}
	for _, mf := range mfs {
		var names []string
		if len(mf.Metric) > 0 {
			for _, l := range mf.Metric[0].Label {
				names = append(names, l.GetName())
			}
		}
		d := prometheus.NewDesc(mf.GetName(), mf.GetHelp(), names, nil)
		r.descs = append(r.descs, d)
		for _, m := range mf.Metric {
			r.metrics = append(r.metrics, replayed{d, m})
		}
	}
	return r
}

func (r *replay) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range r.descs {
		ch <- d
	}
}

func (r *replay) Collect(ch chan<- prometheus.Metric) {
	for _, m := range r.metrics {
		ch <- m
	}
}
