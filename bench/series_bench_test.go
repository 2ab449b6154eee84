package bench

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/source"
)

// BenchmarkSimulatedPairSeries probes both arrays of the simulator's
// built-in pair (sim-a, sim-b) as the exporter does (the configuration the
// simulator writes for a deployment, source.Clients over real SSH and
// CIM-XML on 127.0.0.1, the collector in a fresh registry) and reports what
// the answers cost in series: volume-series/volume is the mean number of
// volume_* series of a volume leg (group, target, volume) and
// max-volume-series the costliest leg's; series/volume is every series of
// both answers (array- and group-level ones too) over the volume legs.
func BenchmarkSimulatedPairSeries(b *testing.B) {
	for _, withCIM := range []bool{false, true} {
		name := "ssh-only"
		if withCIM {
			name = "with-cim"
		}
		b.Run(name, func(b *testing.B) {
			arrays := simulatedPair(b, withCIM)
			var count seriesCount
			for b.Loop() {
				count = seriesCount{perLeg: map[string]int{}}
				for _, a := range arrays {
					ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
					c := collector.New(ctx, collector.Options{Target: a.Name, Array: a})
					reg := prometheus.NewRegistry()
					reg.MustRegister(c)
					mfs, err := reg.Gather()
					cancel()
					if err != nil || !c.Up() {
						b.Fatalf("%s: gather: %v (up %v)", a.Name, err, c.Up())
					}
					count.add(a.Name, mfs)
				}
			}
			legs := len(count.perLeg)
			if legs == 0 {
				b.Fatal("no volume series")
			}
			b.ReportMetric(float64(count.volume)/float64(legs), "volume-series/volume")
			b.ReportMetric(float64(slices.Max(slices.Collect(maps.Values(count.perLeg)))), "max-volume-series")
			b.ReportMetric(float64(count.all)/float64(legs), "series/volume")
			b.ReportMetric(float64(count.all), "series")
			b.Logf("CIM %t: %d volume legs, %d series in all, %d of them volume_*; legs by volume series: %s",
				withCIM, legs, count.all, count.volume, count.histogram())
		})
	}
}

// simulatedPair starts the built-in pair and returns its arrays as the
// exporter reaches them.
func simulatedPair(b *testing.B, withCIM bool) []source.Array {
	sim, err := fakearray.Start(context.Background(), fakearray.DefaultScenario(), fakearray.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sim.Close() })
	path, err := sim.WriteConfig(b.TempDir(), fakearray.ConfigOptions{CIM: withCIM})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	clients := source.NewClients(nil)
	b.Cleanup(func() { _ = clients.Close() })
	var arrays []source.Array
	for _, name := range []string{"sim-a", "sim-b"} {
		address, m, err := cfg.Resolve(name, "")
		if err != nil {
			b.Fatal(err)
		}
		arrays = append(arrays, clients.Array(name, address, m, false))
	}
	return arrays
}

// seriesCount counts series, and the volume_* series of each volume leg.
type seriesCount struct {
	all, volume int
	perLeg      map[string]int // "array/group/target/volume" -> volume_* series
}

func (s *seriesCount) add(array string, mfs []*dto.MetricFamily) {
	for _, mf := range mfs {
		isVolume := strings.HasPrefix(mf.GetName(), collector.Namespace+"_volume_")
		for _, m := range mf.Metric {
			s.all++
			if !isVolume {
				continue
			}
			s.volume++
			labels := map[string]string{}
			for _, lp := range m.Label {
				labels[lp.GetName()] = lp.GetValue()
			}
			s.perLeg[array+"/"+labels["group"]+"/"+labels["target"]+"/"+labels["volume"]]++
		}
	}
}

// histogram says how many legs have how many volume series, e.g. "3: 20, 4: 6".
func (s *seriesCount) histogram() string {
	legs := map[int]int{}
	for _, n := range s.perLeg {
		legs[n]++
	}
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(legs)) {
		parts = append(parts, fmt.Sprintf("%d series: %d legs", n, legs[n]))
	}
	return strings.Join(parts, ", ")
}
