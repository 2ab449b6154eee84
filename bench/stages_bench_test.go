package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/bench/internal/harness"
	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/probecache"
)

// benchGroups is the array size of the stage benchmarks: 300 groups of 8
// volumes (2400 volumes, a big array) by default. RCOPY_BENCH_GROUPS
// changes it (e.g. 1250 for 10000 volumes); CI runs the default once.
func benchGroups(b *testing.B) int {
	if s := os.Getenv("RCOPY_BENCH_GROUPS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("RCOPY_BENCH_GROUPS=%q: want a positive number", s)
		}
		return n
	}
	return 300
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
// (garbage collection included) as cpu-ms/op next to ns/op.
func cpuPerOp(b *testing.B, f func()) {
	b.ReportAllocs()
	start := processCPU()
	n := 0
	for b.Loop() {
		f()
		n++
	}
	b.ReportMetric(float64(processCPU()-start)/1e6/float64(n), "cpu-ms/op")
}

type staticRunner []byte

func (r staticRunner) Run(context.Context, string) ([]byte, error) { return r, nil }

func gather(b *testing.B, out []byte) []*dto.MetricFamily {
	reg := prometheus.NewRegistry()
	c := collector.New(context.Background(), collector.Options{Runner: staticRunner(out)})
	reg.MustRegister(c)
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
// stages, to show where the time goes: parse, collect (parse + table
// matching + series + gathering, through a registry and with
// Collector.Gather, which /probe still uses for protocol buffers), the
// exposition encodings and gzip; then what /probe does for text answers:
// write-text (parse, match, write the text directly: a changed output),
// compress-answer (gzip it for the cache) and, for an unchanged output,
// key (digest the output) and gzip-cached (frame the cached answer).
func BenchmarkProbeStages(b *testing.B) {
	groups := benchGroups(b)
	out, err := harness.Showrcopy(groups, 8)
	if err != nil {
		b.Fatal(err)
	}
	mfs := gather(b, out)
	series := 0
	for _, mf := range mfs {
		series += len(mf.Metric)
	}
	var text bytes.Buffer
	encode(b, mfs, expfmt.NewFormat(expfmt.TypeTextPlain), &text)
	b.Logf("%d volumes: showrcopy %d bytes, %d series, %d bytes of text exposition", groups*8, len(out), series, text.Len())

	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		cpuPerOp(b, func() {
			if _, err := parser.Parse(out); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("collect-registry", func(b *testing.B) {
		cpuPerOp(b, func() { gather(b, out) })
		b.ReportMetric(float64(series), "series")
	})
	b.Run("collect-gather", func(b *testing.B) {
		cpuPerOp(b, func() {
			c := collector.New(context.Background(), collector.Options{Runner: staticRunner(out)})
			if _, err := c.Gather(); err != nil || !c.Up() {
				b.Fatalf("gather: %v (up %v)", err, c.Up())
			}
		})
	})
	b.Run("write-text", func(b *testing.B) {
		var buf bytes.Buffer
		cpuPerOp(b, func() {
			buf.Reset()
			c := collector.New(context.Background(), collector.Options{Runner: staticRunner(out)})
			if !c.Fetch().WriteText(&buf) {
				b.Fatal("probe failed")
			}
		})
	})
	b.Run("compress-answer", func(b *testing.B) {
		b.SetBytes(int64(text.Len()))
		var a *probecache.Answer
		cpuPerOp(b, func() { a = probecache.Compress(text.Bytes()) })
		b.ReportMetric(float64(a.Size()), "gz-bytes")
	})
	b.Run("key", func(b *testing.B) {
		b.SetBytes(int64(len(out)))
		cpuPerOp(b, func() {
			c := collector.New(context.Background(), collector.Options{Runner: staticRunner(out)})
			if _, ok := c.Fetch().Key(); !ok {
				b.Fatal("no key")
			}
		})
	})
	b.Run("gzip-cached", func(b *testing.B) {
		a := probecache.Compress(text.Bytes())
		tail := collector.AppendDuration(nil, time.Millisecond)
		cpuPerOp(b, func() { _ = a.Gzip(tail) })
	})
	var w bytes.Buffer
	b.Run("encode-text", func(b *testing.B) {
		cpuPerOp(b, func() { encode(b, mfs, expfmt.NewFormat(expfmt.TypeTextPlain), &w) })
	})
	b.Run("encode-openmetrics", func(b *testing.B) {
		cpuPerOp(b, func() { encode(b, mfs, expfmt.NewFormat(expfmt.TypeOpenMetrics), &w) })
	})
	for _, level := range []int{gzip.DefaultCompression, gzip.BestSpeed} {
		name := "gzip-text-default"
		if level == gzip.BestSpeed {
			name = "gzip-text-bestspeed"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(text.Len()))
			zw, err := gzip.NewWriterLevel(&w, level)
			if err != nil {
				b.Fatal(err)
			}
			cpuPerOp(b, func() {
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
}
