package collector

import (
	"testing"
	"time"
)

func TestParseLastSync(t *testing.T) {
	load := func(name string) *time.Location {
		loc, err := time.LoadLocation(name)
		if err != nil {
			t.Fatal(err)
		}
		return loc
	}
	berlin, kolkata := load("Europe/Berlin"), load("Asia/Kolkata")
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		text string
		loc  *time.Location
		want time.Time // zero: not converted
	}{
		{"2026-10-09 23:39:24 UTC", nil, utc("2026-10-09 23:39:24")},
		{"2026-10-09 23:39:24 GMT", nil, utc("2026-10-09 23:39:24")},
		{"2026-10-09 23:39:24 Z", berlin, utc("2026-10-09 23:39:24")},
		{"2026-10-09 23:39:24 +0530", nil, utc("2026-10-09 18:09:24")},
		{"2026-10-09 23:39:24 IST", nil, time.Time{}}, // ambiguous without a zone
		{"2026-10-09 23:39:24 IST", kolkata, utc("2026-10-09 18:09:24")},
		{"2026-01-15 12:00:00 CET", berlin, utc("2026-01-15 11:00:00")},
		{"2026-07-15 12:00:00 CEST", berlin, utc("2026-07-15 10:00:00")},
		// The repeated hour when summer time ends: the abbreviation decides.
		{"2026-10-25 02:30:00 CEST", berlin, utc("2026-10-25 00:30:00")},
		{"2026-10-25 02:30:00 CET", berlin, utc("2026-10-25 01:30:00")},
		// An abbreviation the configured zone does not know: its wall time.
		{"2026-07-15 12:00:00 PDT", berlin, utc("2026-07-15 10:00:00")},
		{"NA", berlin, time.Time{}},
		{"", nil, time.Time{}},
		{"yesterday UTC", nil, time.Time{}},
		{"2026-13-45 99:00:00 UTC", nil, time.Time{}},
	}
	for _, tc := range cases {
		got, ok := ParseLastSync(tc.text, tc.loc)
		if ok != !tc.want.IsZero() || ok && !got.Equal(tc.want) {
			t.Errorf("ParseLastSync(%q, %v) = %v, %v; want %v", tc.text, tc.loc, got.UTC(), ok, tc.want)
		}
	}
}
