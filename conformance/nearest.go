package conformance

import "github.com/threepar/rcopy-exporter/expected"

// NearestRow is the expected row a rendering sets the observation against:
// the row it matched, else the one differing from it in the fewest fields,
// else the first (the text report's EXPECTED column shows the same row).
// ok is false when no row applies.
func (f Finding) NearestRow() (row expected.Row, ok bool) {
	if len(f.Expected) == 0 {
		return expected.Row{}, false
	}
	return nearest(f.Expected, f.Observed, f.Matched), true
}
