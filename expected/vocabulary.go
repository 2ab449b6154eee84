package expected

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// CopyState is CIM_Synchronized.CopyState (DMTF CIM Schema 2.49.0).
type CopyState uint16

// SyncState is CIM_StorageSynchronized.SyncState (DMTF CIM Schema 2.49.0).
type SyncState uint16

// ProgressStatus is CIM_Synchronized.ProgressStatus (DMTF CIM Schema 2.49.0).
type ProgressStatus uint16

// The values the HP 3PAR tables use, by their DMTF names.
const (
	CopyInitialized    CopyState = 2
	CopyUnsynchronized CopyState = 3
	CopySynchronized   CopyState = 4
	CopyBroken         CopyState = 5
	CopyInactive       CopyState = 8
	CopySuspended      CopyState = 9
	CopyFailedover     CopyState = 10
	CopySkewed         CopyState = 13
	CopyMixed          CopyState = 14

	SyncUnknown           SyncState = 0
	SyncInitialized       SyncState = 2
	SyncResyncInProgress  SyncState = 5
	SyncSynchronized      SyncState = 6
	SyncRestoreInProgress SyncState = 10
	SyncBroken            SyncState = 12
	SyncFrozen            SyncState = 14

	ProgressUnknown          ProgressStatus = 0
	ProgressCompleted        ProgressStatus = 2
	ProgressDormant          ProgressStatus = 3
	ProgressSynchronizing    ProgressStatus = 6
	ProgressResyncing        ProgressStatus = 7
	ProgressRestoring        ProgressStatus = 8
	ProgressFailingOver      ProgressStatus = 11
	ProgressFailingBack      ProgressStatus = 12
	ProgressRequiresActivate ProgressStatus = 19
)

// vendorSpecificFrom is where the DMTF value maps hand over to vendors.
const vendorSpecificFrom = 0x8000

// valueMap is one DMTF ValueMap/Values pair.
type valueMap struct {
	property string
	names    map[uint16]string // DMTF spelling
	byKey    map[string]uint16 // foldName(name) -> value, for every accepted spelling
}

// newValueMap builds a value map from the DMTF names; aliases are further
// accepted spellings (never printed).
func newValueMap(property string, names map[uint16]string, aliases map[string]uint16) valueMap {
	m := valueMap{property: property, names: names, byKey: map[string]uint16{}}
	for v, n := range names {
		m.byKey[foldName(n)] = v
	}
	for n, v := range aliases {
		m.byKey[foldName(n)] = v
	}
	return m
}

// foldName makes the manuals' and the MOF's spellings meet: case, spaces,
// hyphens and underscores do not matter ("FailedOver" = "Failedover",
// "RestoreInProgress" = "Restore In Progress").
func foldName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsSpace(r) || r == '-' || r == '_' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func (m valueMap) name(v uint16) string {
	if n, ok := m.names[v]; ok {
		return n
	}
	if v >= vendorSpecificFrom {
		return fmt.Sprintf("Vendor Specific (%d)", v)
	}
	return fmt.Sprintf("DMTF Reserved (%d)", v)
}

// parse accepts a DMTF name in any accepted spelling, a number (decimal or
// 0x hex), or the "Vendor Specific (N)" / "DMTF Reserved (N)" forms that
// name() prints. Unlisted numbers are kept, never an error.
func (m valueMap) parse(s string) (uint16, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("empty %s", m.property)
	}
	if n, err := strconv.ParseUint(t, 0, 16); err == nil {
		return uint16(n), nil
	}
	if v, ok := m.byKey[foldName(t)]; ok {
		return v, nil
	}
	for _, prefix := range []string{"Vendor Specific", "DMTF Reserved"} {
		rest, ok := strings.CutPrefix(t, prefix)
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if inner, ok := strings.CutPrefix(rest, "("); ok {
			if inner, ok = strings.CutSuffix(inner, ")"); ok {
				if n, err := strconv.ParseUint(strings.TrimSpace(inner), 0, 16); err == nil {
					return uint16(n), nil
				}
			}
		}
	}
	return 0, fmt.Errorf("unknown %s %q (want a DMTF name or a number)", m.property, s)
}

var copyStates = newValueMap("CopyState", map[uint16]string{
	2: "Initialized", 3: "Unsynchronized", 4: "Synchronized", 5: "Broken", 6: "Fractured", 7: "Split",
	8: "Inactive", 9: "Suspended", 10: "Failedover", 11: "Prepared", 12: "Aborted", 13: "Skewed",
	14: "Mixed", 15: "Not Applicable", 16: "Partitioned", 17: "Invalid", 18: "Restored",
}, nil)

var syncStates = newValueMap("SyncState", map[uint16]string{
	0: "Unknown", 2: "Initialized", 3: "PrepareInProgress", 4: "Prepared", 5: "ResyncInProgress",
	6: "Synchronized", 7: "Fracture In Progress", 8: "QuiesceInProgress", 9: "Quiesced",
	10: "Restore In Progress", 11: "Idle", 12: "Broken", 13: "Fractured", 14: "Frozen",
	15: "Copy In Progress",
}, map[string]uint16{
	// The MOF's own Values list spells value 10 with three s (CIM_StorageSynchronized,
	// also in vendors' MOFs); the manuals write RestoreInProgress.
	"Restore In Progresss": 10,
})

var progressStatuses = newValueMap("ProgressStatus", map[uint16]string{
	0: "Unknown", 2: "Completed", 3: "Dormant", 4: "Initializing", 5: "Preparing", 6: "Synchronizing",
	7: "Resyncing", 8: "Restoring", 9: "Fracturing", 10: "Splitting", 11: "Failing over",
	12: "Failing back", 13: "Aborting", 14: "Mixed", 15: "Not Applicable", 16: "Suspending",
	17: "Requires fracture", 18: "Requires resync", 19: "Requires activate", 20: "Pending",
	21: "Detaching", 22: "Requires detach", 23: "Terminating", 24: "Requires split",
	25: "Requires resume",
}, nil)

// String returns the DMTF name, "Vendor Specific (N)" for 0x8000 and up,
// or "DMTF Reserved (N)" for other unlisted values.
func (c CopyState) String() string { return copyStates.name(uint16(c)) }

// String returns the DMTF name, "Vendor Specific (N)" or "DMTF Reserved (N)".
func (s SyncState) String() string { return syncStates.name(uint16(s)) }

// String returns the DMTF name, "Vendor Specific (N)" or "DMTF Reserved (N)".
func (p ProgressStatus) String() string { return progressStatuses.name(uint16(p)) }

// Known reports whether the value is in the DMTF value map.
func (c CopyState) Known() bool { _, ok := copyStates.names[uint16(c)]; return ok }

// Known reports whether the value is in the DMTF value map.
func (s SyncState) Known() bool { _, ok := syncStates.names[uint16(s)]; return ok }

// Known reports whether the value is in the DMTF value map.
func (p ProgressStatus) Known() bool { _, ok := progressStatuses.names[uint16(p)]; return ok }

// ParseCopyState reads a CopyState from a DMTF name (either spelling, case
// and spaces do not matter) or a number.
func ParseCopyState(s string) (CopyState, error) {
	v, err := copyStates.parse(s)
	return CopyState(v), err
}

// ParseSyncState reads a SyncState from a DMTF name or a number.
func ParseSyncState(s string) (SyncState, error) {
	v, err := syncStates.parse(s)
	return SyncState(v), err
}

// ParseProgressStatus reads a ProgressStatus from a DMTF name or a number.
func ParseProgressStatus(s string) (ProgressStatus, error) {
	v, err := progressStatuses.parse(s)
	return ProgressStatus(v), err
}

// MarshalText prints the DMTF name.
func (c CopyState) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText accepts what ParseCopyState accepts.
func (c *CopyState) UnmarshalText(b []byte) error {
	v, err := ParseCopyState(string(b))
	if err == nil {
		*c = v
	}
	return err
}

// MarshalText prints the DMTF name.
func (s SyncState) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText accepts what ParseSyncState accepts.
func (s *SyncState) UnmarshalText(b []byte) error {
	v, err := ParseSyncState(string(b))
	if err == nil {
		*s = v
	}
	return err
}

// MarshalText prints the DMTF name.
func (p ProgressStatus) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText accepts what ParseProgressStatus accepts.
func (p *ProgressStatus) UnmarshalText(b []byte) error {
	v, err := ParseProgressStatus(string(b))
	if err == nil {
		*p = v
	}
	return err
}

// Triple is what the CIM server reports for one volume pair
// (TPD_RemoteStorageSynchronized): the three DMTF states plus the vendor's
// RoleReversed boolean.
type Triple struct {
	CopyState      CopyState      `json:"copy_state"`
	SyncState      SyncState      `json:"sync_state"`
	ProgressStatus ProgressStatus `json:"progress_status"`
	RoleReversed   bool           `json:"role_reversed"`
}

// String prints the triple as "CopyState/SyncState/ProgressStatus
// RoleReversed=bool", e.g. "Synchronized/Synchronized/Completed RoleReversed=false".
func (t Triple) String() string {
	return fmt.Sprintf("%s/%s/%s RoleReversed=%t", t.CopyState, t.SyncState, t.ProgressStatus, t.RoleReversed)
}
