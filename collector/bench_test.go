package collector

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/source"
)

// bigArray prints a showrcopy of groups x volumesPerGroup synced volumes
// (every fourth group periodic) and the CIM answer that conforms to it.
func bigArray(groups, volumesPerGroup int) ([]byte, []cim.RemoteCopyVolume) {
	var b strings.Builder
	b.WriteString("Remote Copy System Information\nStatus: Started, Normal\n\n")
	b.WriteString("Target Information\n\nName    ID Type Status Options Policy\npeer-b   2 IP   ready  -       mirror_config\n\n")
	b.WriteString("Link Information\n\nTarget  Node  Address  Status Options\npeer-b  0:3:1 10.0.0.2 Up     -\nreceive 0:3:1 receive  Up     -\n\n")
	b.WriteString("Group Information\n\n")
	synced, _ := expected.Default().Row("T109-synced")
	vols := make([]cim.RemoteCopyVolume, 0, groups*volumesPerGroup)
	for g := 0; g < groups; g++ {
		mode, opts, last := "Sync    ", "auto_recover", "NA"
		if g%4 == 0 {
			mode, opts, last = "Periodic", "Last-Sync 2026-11-30 04:00:00 UTC, Period 5m,auto_recover", "2026-11-30 04:00:00 UTC"
		}
		fmt.Fprintf(&b, "Name          Target Status  Role    Mode     Options\ngroup-%06d  peer-b Started Primary %s %s\n", g, mode, opts)
		b.WriteString("  LocalVV          ID    RemoteVV         ID    SyncStatus LastSyncTime\n")
		for v := 0; v < volumesPerGroup; v++ {
			name := fmt.Sprintf("vv-%06d-%02d", g, v)
			id := g*volumesPerGroup + v + 1000
			fmt.Fprintf(&b, "  %-16s %5d %-16s %5d Synced     %s\n", name, id, name, id, last)
			vols = append(vols, cim.RemoteCopyVolume{Volume: name,
				CopyState: uint16(synced.CopyState), SyncState: uint16(synced.SyncState),
				ProgressStatus: uint16(synced.ProgressStatus)})
		}
		b.WriteString("\n")
	}
	return []byte(b.String()), vols
}

// BenchmarkCollect is one probe of a big array (300 groups, 2400 volumes)
// with CIM, from runner output to the gathered metric families, as /probe
// gathers them from its fresh registry.
func BenchmarkCollect(b *testing.B) {
	out, vols := bigArray(300, 8)
	opts := Options{Array: source.Array{CLI: &fakeRunner{out: out}, CIM: &fakeCIM{vols: vols}}}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		reg := prometheus.NewRegistry()
		c := New(context.Background(), opts)
		reg.MustRegister(c)
		mfs, err := reg.Gather()
		if err != nil || !c.Up() || len(mfs) < 15 {
			b.Fatalf("gather: %v, up %v, %d families", err, c.Up(), len(mfs))
		}
	}
}

// BenchmarkProbeText is all of a /probe answer but the I/O: gather and
// encode in the text format, per volume without and with CIM, and the
// series a volume costs.
func BenchmarkProbeText(b *testing.B) {
	out, vols := bigArray(300, 8)
	for _, withCIM := range []bool{false, true} {
		name := "ssh-only"
		arr := source.Array{CLI: &fakeRunner{out: out}}
		if withCIM {
			name = "with-cim"
			arr.CIM = &fakeCIM{vols: vols}
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var buf bytes.Buffer
			series := 0
			for b.Loop() {
				buf.Reset()
				reg := prometheus.NewRegistry()
				reg.MustRegister(New(context.Background(), Options{Array: arr}))
				mfs, err := reg.Gather()
				if err != nil {
					b.Fatal(err)
				}
				enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
				series = 0
				for _, mf := range mfs {
					series += len(mf.Metric)
					if err := enc.Encode(mf); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/2400/1000, "µs/volume")
			b.ReportMetric(float64(series), "series")
			b.ReportMetric(float64(buf.Len()), "answer-bytes")
		})
	}
}
