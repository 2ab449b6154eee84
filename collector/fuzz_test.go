package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/source"
)

// FuzzCollect feeds arbitrary showrcopy output through a probe: whatever the
// array prints, gathering must neither panic nor fail (a duplicate series or
// an invalid label value would make the whole /probe answer an error).
func FuzzCollect(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(seeds) == 0 {
		f.Fatalf("no seeds (%v)", err)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := New(context.Background(), Options{Array: source.Array{CLI: &fakeRunner{out: data}, CIM: &fakeCIM{}}})
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(c)
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("gather: %v\ninput:\n%q", err, data)
		}
	})
}
