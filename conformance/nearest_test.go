package conformance

import (
	"testing"

	"github.com/threepar/rcopy-exporter/expected"
)

func TestNearestRow(t *testing.T) {
	rows := []expected.Row{
		{ID: "a", Triple: triple(expected.CopyFailedover, expected.SyncBroken, expected.ProgressCompleted, true)},
		{ID: "b", Triple: triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressCompleted, true)},
	}
	obs := &ObservedTriple{Triple: triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressFailingOver, true)}
	cases := []struct {
		name string
		f    Finding
		want string
		ok   bool
	}{
		{"no rows", Finding{}, "", false},
		{"matched wins", Finding{Expected: rows, Matched: "a", Observed: obs}, "a", true},
		{"fewest differing fields", Finding{Expected: rows, Observed: obs}, "b", true},
		{"nothing observed: the first", Finding{Expected: rows}, "a", true},
	}
	for _, c := range cases {
		got, ok := c.f.NearestRow()
		if got.ID != c.want || ok != c.ok {
			t.Errorf("%s: %q %t, want %q %t", c.name, got.ID, ok, c.want, c.ok)
		}
	}
}
