package expected

import (
	"encoding/json"
	"testing"
)

func TestParseStates(t *testing.T) {
	cs := []struct {
		in   string
		want CopyState
	}{
		{"Failedover", CopyFailedover}, {"FailedOver", CopyFailedover}, {"failed over", CopyFailedover},
		{"10", CopyFailedover}, {"0x0a", CopyFailedover}, {" Synchronized ", CopySynchronized},
		{"Not Applicable", 15}, {"NotApplicable", 15}, {"32769", 0x8001}, {"Vendor Specific (32769)", 0x8001},
		{"1", 1}, {"DMTF Reserved (1)", 1}, {"Restored", 18},
	}
	for _, c := range cs {
		got, err := ParseCopyState(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseCopyState(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	ss := []struct {
		in   string
		want SyncState
	}{
		{"RestoreInProgress", SyncRestoreInProgress}, {"Restore In Progress", SyncRestoreInProgress},
		{"restore in progress", SyncRestoreInProgress}, {"ResyncInProgress", SyncResyncInProgress},
		{"Restore In Progresss", SyncRestoreInProgress}, {"RestoreInProgresss", SyncRestoreInProgress}, // the MOF's own spelling
		{"Unknown", SyncUnknown}, {"0", SyncUnknown}, {"Fracture In Progress", 7}, {"Fractured", 13},
		{"Frozen", SyncFrozen}, {"Copy In Progress", 15},
	}
	for _, c := range ss {
		got, err := ParseSyncState(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseSyncState(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	ps := []struct {
		in   string
		want ProgressStatus
	}{
		{"Requires Activate", ProgressRequiresActivate}, {"Requires activate", ProgressRequiresActivate},
		{"RequiresActivate", ProgressRequiresActivate}, {"Failing Back", ProgressFailingBack},
		{"Failing over", ProgressFailingOver}, {"Completed", ProgressCompleted}, {"25", 25},
		{"Requires resume", 25}, {"65535", 65535},
	}
	for _, c := range ps {
		got, err := ParseProgressStatus(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseProgressStatus(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "  ", "FailedOverr", "-1", "65536", "Vendor Specific", "Vendor Specific (x)"} {
		if v, err := ParseCopyState(bad); err == nil {
			t.Errorf("ParseCopyState(%q) = %d, want an error", bad, v)
		}
	}
	if _, err := ParseSyncState("Restore In Progressss"); err == nil {
		t.Error("a fourth s is no spelling of Restore In Progress")
	}
	// "FailedOver" is the manual's CopyState, not a ProgressStatus (see T110-2).
	if _, err := ParseProgressStatus("FailedOver"); err == nil {
		t.Error(`ParseProgressStatus("FailedOver") must fail: no such DMTF ProgressStatus`)
	}
}

func TestStateNames(t *testing.T) {
	cases := []struct{ got, want string }{
		{CopyFailedover.String(), "Failedover"},
		{CopyState(15).String(), "Not Applicable"},
		{CopyState(0).String(), "DMTF Reserved (0)"},
		{CopyState(19).String(), "DMTF Reserved (19)"},
		{CopyState(0x8000).String(), "Vendor Specific (32768)"},
		{SyncRestoreInProgress.String(), "Restore In Progress"},
		{SyncState(1).String(), "DMTF Reserved (1)"},
		{ProgressFailingOver.String(), "Failing over"},
		{ProgressRequiresActivate.String(), "Requires activate"},
		{ProgressStatus(26).String(), "DMTF Reserved (26)"},
		{ProgressStatus(0xffff).String(), "Vendor Specific (65535)"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	// Every value prints a name that parses back to it.
	var values []int
	for v := range 300 {
		values = append(values, v, 0x7f00+v, 0xffff-v)
	}
	for _, v := range values {
		if got, err := ParseCopyState(CopyState(v).String()); err != nil || got != CopyState(v) {
			t.Fatalf("CopyState %d: %q -> %d, %v", v, CopyState(v).String(), got, err)
		}
		if got, err := ParseSyncState(SyncState(v).String()); err != nil || got != SyncState(v) {
			t.Fatalf("SyncState %d: %q -> %d, %v", v, SyncState(v).String(), got, err)
		}
		if got, err := ParseProgressStatus(ProgressStatus(v).String()); err != nil || got != ProgressStatus(v) {
			t.Fatalf("ProgressStatus %d: %q -> %d, %v", v, ProgressStatus(v).String(), got, err)
		}
	}
	if !CopyFailedover.Known() || CopyState(19).Known() || !SyncState(0).Known() || ProgressStatus(1).Known() {
		t.Error("Known() wrong")
	}
}

func TestTripleJSON(t *testing.T) {
	b, err := json.Marshal(Triple{CopyFailedover, SyncBroken, ProgressFailingOver, true})
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"copy_state":"Failedover","sync_state":"Broken","progress_status":"Failing over","role_reversed":true}`
	if string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	var back Triple
	if err := json.Unmarshal(b, &back); err != nil || back != (Triple{CopyFailedover, SyncBroken, ProgressFailingOver, true}) {
		t.Errorf("round trip: %v %v", back, err)
	}
}

func TestRowJSON(t *testing.T) {
	r, _ := Default().Row("T110-5")
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"table": "110", "row": "T110-5", "copy_state": "Unsynchronized", "sync_state": "Restore In Progress",
		"progress_status": "Restoring", "role_reversed": true, "uncertain": false,
		"copy_state_value": 3.0, "sync_state_value": 10.0, "progress_status_value": 8.0, "array": "secondary",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %v, want %v", k, m[k], v)
		}
	}
}
