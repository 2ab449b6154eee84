package collector

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
)

// FuzzCollect feeds arbitrary showrcopy output through a probe: whatever the
// array prints, gathering must neither panic nor fail (a duplicate series or
// an invalid label value would make the whole /probe answer an error), and
// the text writer /probe uses must write what expfmt writes.
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
		c := New(context.Background(), Options{Runner: &fakeRunner{out: data}})
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(c)
		if _, err := reg.Gather(); err != nil {
			t.Fatalf("gather: %v\ninput:\n%q", err, data)
		}
		opts := Options{Runner: &fakeRunner{out: data}}
		want, _ := expfmtText(t, opts, expfmt.NewFormat(expfmt.TypeTextPlain))
		var got bytes.Buffer
		New(context.Background(), opts).Fetch().WriteText(&got)
		if got.String() != want {
			t.Fatalf("WriteText differs from expfmt\ninput:\n%q\n--- WriteText\n%s\n--- expfmt\n%s", data, got.String(), want)
		}
	})
}
