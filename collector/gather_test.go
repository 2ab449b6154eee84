package collector

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
)

// exposition renders families as text, without scrape_duration_seconds
// (it differs between two probes).
func exposition(t *testing.T, mfs []*dto.MetricFamily) string {
	t.Helper()
	var b bytes.Buffer
	for _, mf := range mfs {
		if mf.GetName() == Namespace+"_scrape_duration_seconds" {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// collectCases are probes over every fixture with and without CIM values,
// failed probes, names that are not UTF-8 and a volume listed twice.
func collectCases(t *testing.T) map[string]func() Options {
	t.Helper()
	fixtures, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures (%v)", err)
	}
	synced, _ := expected.Default().Row("T109-synced")
	cases := map[string]func() Options{
		"connect-error": func() Options { return Options{Runner: &fakeRunner{err: errors.New("dial tcp: refused")}} },
		"cim-error": func() Options {
			return Options{Runner: &fakeRunner{out: mustRead(t, filepath.Join("testdata", "healthy-primary.txt"))}, CIM: &fakeCIM{err: errors.New("connection refused")}}
		},
		"parse-error": func() Options { return Options{Runner: &fakeRunner{out: []byte("garbage\n")}} },
		"escapes": func() Options {
			return Options{Runner: &fakeRunner{out: []byte("Remote Copy System Information\nStatus: Started, Normal\n\n" +
				"Target Information\n\nName    ID Type Status Options Policy\npe\"er\\x   2 IP   ready  -       mirror_config\n" +
				"q\"t      3 IP   ready  -       mirror_config\nb\\s      4 IP   ready  -       mirror_config\n\n")}}
		},
		"not-utf8": func() Options {
			return Options{Runner: &fakeRunner{out: []byte("Remote Copy System Information\nStatus: Started, Normal\n\n" +
				"Target Information\n\nName    ID Type Status Options Policy\npeer\xff   2 IP   ready  -       mirror_config\n\n")}}
		},
	}
	for _, f := range fixtures {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		cases[name] = func() Options { return Options{Runner: &fakeRunner{out: data}} }
		cases[name+"+cim"] = func() Options {
			return Options{Runner: &fakeRunner{out: data}, CIM: &fakeCIM{vols: append(
				oneVolumeCIM(data, synced.Triple), observed("not-a-volume", synced.Triple))}}
		}
		// The first volume row repeated: emit keeps the first.
		if i := bytes.Index(data, []byte("\n  ")); i >= 0 {
			if j := bytes.IndexByte(data[i+1:], '\n'); j >= 0 {
				if k := bytes.IndexByte(data[i+1+j+1:], '\n'); k >= 0 {
					row := data[i+1+j+1 : i+1+j+1+k+1]
					dup := append(append(append([]byte{}, data[:i+1+j+1+k+1]...), row...), data[i+1+j+1+k+1:]...)
					cases[name+"+dup-row"] = func() Options { return Options{Runner: &fakeRunner{out: dup}} }
				}
			}
		}
	}
	return cases
}

// TestGatherMatchesRegistry checks that Collector.Gather returns exactly
// what a registry holding the collector gathers.
func TestGatherMatchesRegistry(t *testing.T) {
	cases := collectCases(t)
	for name, opts := range cases {
		t.Run(name, func(t *testing.T) {
			direct, err := New(context.Background(), opts()).Gather()
			if err != nil {
				t.Fatalf("Gather: %v", err)
			}
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(New(context.Background(), opts()))
			viaRegistry, err := reg.Gather()
			if err != nil {
				t.Fatalf("registry: %v", err)
			}
			got, want := exposition(t, direct), exposition(t, viaRegistry)
			if got != want {
				t.Errorf("Gather differs from the registry:\n--- Gather\n%s\n--- registry\n%s", got, want)
			}
			if !strings.Contains(got, Namespace+"_up ") {
				t.Errorf("no up series:\n%s", got)
			}
		})
	}
}

// oneVolumeCIM is a CIM answer for the first volume name found in a
// fixture's volume rows (two-space indented), enough to emit CIM series.
func oneVolumeCIM(data []byte, tr expected.Triple) []cim.RemoteCopyVolume {
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if strings.HasPrefix(l, "  ") && len(f) > 2 && f[0] != "LocalVV" {
			return []cim.RemoteCopyVolume{observed(f[0], tr)}
		}
	}
	return nil
}

// TestGatherReportsDuplicates checks the safety net: a series sent twice
// is served once and reported; so is a series that cannot be written.
func TestGatherReportsDuplicates(t *testing.T) {
	s := newSeriesMaker()
	ch := make(chan prometheus.Metric, 4)
	ch <- s.gauge(descs.targetReady, 1, []string{"peer"})
	ch <- s.gauge(descs.targetReady, 0, []string{"peer"})
	ch <- s.gauge(descs.targetReady, 1, []string{"other"})
	ch <- s.gauge(descs.linkUp, 1, []string{"too few values"})
	close(ch)
	mfs, err := gatherFrom(ch)
	if err == nil || !strings.Contains(err.Error(), "duplicate series") || !strings.Contains(err.Error(), "inconsistent label cardinality") {
		t.Errorf("want a duplicate and a cardinality error, got %v", err)
	}
	if len(mfs) != 1 || len(mfs[0].Metric) != 2 {
		t.Fatalf("want one family of two series, got %v", mfs)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
