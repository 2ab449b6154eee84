package collector

import (
	"fmt"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// A sample's pairs come out sorted by name whatever the family's label
// order, shared pairs stay shared, invalid UTF-8 becomes U+FFFD, and each
// sample keeps its own values.
func TestSamplePairs(t *testing.T) {
	f := newFamily("x", "help", []string{"target", "group", "volume", "status"})
	type want struct {
		m       *sample
		labels  string
		value   float64
		sharing *dto.LabelPair
	}
	var made []want
	for i := range 50 {
		shared := extend(f, nil, fmt.Sprintf("t%d", i%7), fmt.Sprintf("g%d", i))
		m := newSample(f, float64(i), shared, fmt.Sprintf("v%d", i), "Synced\xff")
		made = append(made, want{m, fmt.Sprintf("group=g%d status=Synced\uFFFD target=t%d volume=v%d", i, i%7, i), float64(i), shared[1]})
	}
	for _, w := range made {
		var m dto.Metric
		if err := w.m.Write(&m); err != nil {
			t.Fatal(err)
		}
		got := ""
		for i, p := range m.GetLabel() {
			if i > 0 {
				got += " "
			}
			got += p.GetName() + "=" + p.GetValue()
		}
		if got != w.labels || m.GetGauge().GetValue() != w.value {
			t.Errorf("sample %v: %q = %v, want %q = %v", w.value, got, m.GetGauge().GetValue(), w.labels, w.value)
		}
		if m.GetLabel()[0] != w.sharing {
			t.Errorf("sample %v: the group pair is a copy, not the shared one", w.value)
		}
	}
}
