package collector

import (
	"strings"
	"time"
)

// lastSyncLayout is how arrays print LastSyncTime, without the zone:
// "2026-10-09 23:39:24 IST".
const lastSyncLayout = "2006-01-02 15:04:05"

// ParseLastSync converts a LastSyncTime text as the array prints it. Zone
// abbreviations are ambiguous (IST is India, Israel or Ireland), so the text
// converts only when its zone is UTC, GMT or Z, a numeric offset (+0530), or
// when loc (the module's time_zone) is given: then an abbreviation loc knows
// (CET/CEST for Europe/Berlin) picks its offset, and any other abbreviation
// is read as loc's wall time. NA and anything else unreadable give false.
func ParseLastSync(text string, loc *time.Location) (time.Time, bool) {
	text = strings.TrimSpace(text)
	sp := strings.LastIndexByte(text, ' ')
	if sp < 0 {
		return time.Time{}, false
	}
	wall, zone := strings.TrimSpace(text[:sp]), text[sp+1:]
	switch strings.ToUpper(zone) {
	case "UTC", "GMT", "Z":
		t, err := time.ParseInLocation(lastSyncLayout, wall, time.UTC)
		return t, err == nil
	}
	if zone[0] == '+' || zone[0] == '-' {
		t, err := time.Parse(lastSyncLayout+" -0700", wall+" "+zone)
		return t, err == nil
	}
	if loc == nil {
		return time.Time{}, false
	}
	// With the abbreviation in the layout, Go uses loc's offset for an
	// abbreviation loc knows (telling CET from CEST in the repeated hour)
	// and a made-up zero offset for one it does not.
	if t, err := time.ParseInLocation(lastSyncLayout+" MST", wall+" "+zone, loc); err == nil {
		if name, _ := t.Zone(); name == zone && t.Location() == loc {
			return t, true
		}
	}
	t, err := time.ParseInLocation(lastSyncLayout, wall, loc)
	return t, err == nil
}
