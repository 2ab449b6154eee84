package parser

import (
	"fmt"
	"testing"
)

// BenchmarkParse measures a big array's output (300 groups, 2400 volumes)
// and one twenty times larger, plain and with -d. See docs/benchmarks.md.
// It also reports cpu-MB/s: bytes per second of CPU time used.
func BenchmarkParse(b *testing.B) {
	for _, c := range []struct {
		groups int
		detail bool
	}{{300, false}, {300, true}, {6000, false}, {6000, true}} {
		data := generate(c.groups, 8, c.detail)
		name := fmt.Sprintf("groups=%d/volumes=%d", c.groups, c.groups*8)
		if c.detail {
			name += "/d"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			cpu0 := processCPU()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
			// MB/s is wall-clock time and suffers when other processes
			// share the machine; cpu-MB/s divides by the CPU time this
			// process used (parser and garbage collector), which they
			// disturb much less.
			if cpu := processCPU() - cpu0; cpu > 0 {
				b.ReportMetric(float64(len(data))*float64(b.N)/cpu.Seconds()/1e6, "cpu-MB/s")
			}
		})
	}
}

// TestGenerated checks that the benchmark's input parses completely, so a
// fast benchmark cannot come from input the parser rejects or skips.
func TestGenerated(t *testing.T) {
	for _, detail := range []bool{false, true} {
		out, err := Parse(generate(300, 8, detail))
		if err != nil {
			t.Fatal(err)
		}
		vols := 0
		for _, g := range out.Groups {
			vols += len(g.Volumes)
		}
		if len(out.Groups) != 300 || vols != 2400 || len(out.Links) != 4 || len(out.Targets) != 1 {
			t.Fatalf("detail=%v: got %d groups, %d volumes, %d links, %d targets", detail, len(out.Groups), vols, len(out.Links), len(out.Targets))
		}
		g := out.Groups[1]
		if g.Mode != "Periodic" || g.PeriodSeconds == nil || *g.PeriodSeconds != 300 || g.Volumes[7].LastSyncTime == nil {
			t.Fatalf("detail=%v: group 1 read wrongly: %+v", detail, g)
		}
		if detail && (g.ID == nil || *g.ID != 2 || g.Volumes[0].Extra["LocalSet"] != "app0001_set") {
			t.Fatalf("-d columns read wrongly: %+v", g)
		}
	}
}
