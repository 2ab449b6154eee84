package fakearray

import (
	"fmt"
	"strconv"
	"strings"
)

// DMTF values (CIM Schema 2.49.0) the simulator reports: CopyState and
// ProgressStatus of CIM_Synchronized, SyncState of CIM_StorageSynchronized.
// The simulator keeps its own small list so that it depends on nothing it
// is used to check.
const (
	copyInitialized    = 2
	copyUnsynchronized = 3
	copySynchronized   = 4
	copyBroken         = 5
	copyFractured      = 6 // no table row allows it (cim-copy-state-mismatch)
	copyInactive       = 8
	copyFailedover     = 10
	copySkewed         = 13

	syncStateInitialized       = 2
	syncStateResyncInProgress  = 5
	syncStateSynchronized      = 6
	syncStateRestoreInProgress = 10
	syncStateBroken            = 12
	syncStateFrozen            = 14

	progressCompleted        = 2
	progressDormant          = 3
	progressSynchronizing    = 6
	progressRestoring        = 8
	progressFailingOver      = 11
	progressFailingBack      = 12
	progressRequiresActivate = 19
)

// stateNames are the DMTF names of those values, for scenario files and
// messages.
var stateNames = map[string]map[string]uint16{
	"copy_state": {"initialized": copyInitialized, "unsynchronized": copyUnsynchronized, "synchronized": copySynchronized,
		"broken": copyBroken, "fractured": copyFractured, "inactive": copyInactive, "failedover": copyFailedover, "skewed": copySkewed},
	"sync_state": {"initialized": syncStateInitialized, "resyncinprogress": syncStateResyncInProgress, "synchronized": syncStateSynchronized,
		"restoreinprogress": syncStateRestoreInProgress, "broken": syncStateBroken, "frozen": syncStateFrozen},
	"progress_status": {"completed": progressCompleted, "dormant": progressDormant, "synchronizing": progressSynchronizing,
		"restoring": progressRestoring, "failingover": progressFailingOver, "failingback": progressFailingBack,
		"requiresactivate": progressRequiresActivate},
}

// parseState reads a value of property (copy_state, sync_state,
// progress_status) from a number or one of the DMTF names above (case,
// spaces and hyphens do not matter).
func parseState(property, s string) (uint16, error) {
	if n, err := strconv.ParseUint(strings.TrimSpace(s), 0, 16); err == nil {
		return uint16(n), nil
	}
	key := strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(s))
	if v, ok := stateNames[property][key]; ok {
		return v, nil
	}
	return 0, fmt.Errorf("%s %q: want a number or a DMTF name the simulator knows", property, s)
}

// CIMAnswer is what the simulator's CIM server reports for one volume pair
// (TPD_RemoteStorageSynchronized): the DMTF numbers and the vendor's
// RoleReversed.
type CIMAnswer struct {
	CopyState, SyncState, ProgressStatus uint16
	RoleReversed                         bool
}

func (a CIMAnswer) String() string {
	return fmt.Sprintf("%d/%d/%d RoleReversed=%t", a.CopyState, a.SyncState, a.ProgressStatus, a.RoleReversed)
}

// Link states of a CIMEntry: the status of the group's target on the array.
const (
	LinkUp   = "up"   // target ready
	LinkDown = "down" // target failed
	LinkAny  = "any"
)

// CIMEntry is one line of the simulator's CIM answers: for a volume that
// one array shows with Role and SyncStatus, its group's target in Link
// state, Op running and (Backup) the group in Status Backup, the CIM
// server reports the answer. Rows and Source say where in the manual it
// comes from; Choice entries are the simulator's own, for states no table
// covers.
type CIMEntry struct {
	Role       string
	SyncStatus string // "" = any (Backup entries)
	Link       string // LinkUp, LinkDown or LinkAny
	Op         string // "failover" or "restore" while one runs; "" = none or any other
	Backup     bool
	CIMAnswer
	Rows   []string // the manual's rows (the project's ids: T109-synced, T110-3, ...)
	Source string
	Choice bool
}

// What the manual says the values are, from Table 109 (normal operation),
// the Synchronous Long Distance text and Table 110 (disaster recovery) of
// the HP 3PAR CIM API Programming Reference, OS 3.1.2 MU2 edition (June
// 2013; Tables 106/107 in the InForm OS 3.1.1 edition, 113/114 in the March
// 2014 edition). Read each line against the manual's row named at its end.
//
// The link column is the manual's prose (3.1.2, p.131): "if the primary
// array goes down, Target Status on the secondary shows failed"; CopyState
// shows FailedOver "only if the role has been reversed and the link to the
// original primary is down"; "if on a secondary 3PAR array the role is
// reversed but the link is back up and volumes synced, CopyState will show
// Synchronized and RoleReversed true". Table 109 is normal operation: the
// target is ready.
var manualAnswers = []CIMEntry{
	// Table 109 (p.130), keyed by the volume's SyncStatus; both natural roles.
	// Table 110's rows after a restore is done (T110-13, T110-14) give the
	// Synced values in the natural roles too; they are listed with Synced
	// (a synced group whose target failed has stopped: Synced is always
	// seen with the target ready).
	m(rolePrimary, syncNew, LinkUp, "", copyInitialized, syncStateResyncInProgress, progressRequiresActivate, false, "T109-new", "Table 109: New"),
	m(roleSecondary, syncNew, LinkUp, "", copyInitialized, syncStateResyncInProgress, progressRequiresActivate, false, "T109-new", "Table 109: New"),
	m(rolePrimary, syncSyncing, LinkUp, "", copyUnsynchronized, syncStateResyncInProgress, progressSynchronizing, false, "T109-syncing", "Table 109: Syncing"),
	m(roleSecondary, syncSyncing, LinkUp, "", copyUnsynchronized, syncStateResyncInProgress, progressSynchronizing, false, "T109-syncing", "Table 109: Syncing"),
	m(rolePrimary, syncSynced, LinkUp, "", copySynchronized, syncStateSynchronized, progressCompleted, false, "T109-synced T110-14", "Table 109: Synced (Table 110: Primary/Synced after restore is done)"),
	m(roleSecondary, syncSynced, LinkUp, "", copySynchronized, syncStateSynchronized, progressCompleted, false, "T109-synced T110-13", "Table 109: Synced (Table 110: Secondary/Synced after restore is done)"),
	m(rolePrimary, syncNotSynced, LinkUp, "", copyBroken, syncStateBroken, progressCompleted, false, "T109-notsynced", "Table 109: NotSynced"),
	m(roleSecondary, syncNotSynced, LinkUp, "", copyBroken, syncStateBroken, progressCompleted, false, "T109-notsynced", "Table 109: NotSynced"),
	m(rolePrimary, syncStale, LinkUp, "", copySkewed, syncStateBroken, progressCompleted, false, "T109-stale", "Table 109: Stale"),
	m(roleSecondary, syncStale, LinkUp, "", copySkewed, syncStateBroken, progressCompleted, false, "T109-stale", "Table 109: Stale"),
	m(rolePrimary, syncStopped, LinkUp, "", copyInactive, syncStateFrozen, progressDormant, false, "T109-stopped", "Table 109: Stopped (after stoprcopygroup)"),
	m(roleSecondary, syncStopped, LinkUp, "", copyInactive, syncStateFrozen, progressDormant, false, "T109-stopped", "Table 109: Stopped (after stoprcopygroup)"),

	// Synchronous Long Distance (with Table 109): the standby pair between the
	// two secondaries, group Status Backup, both Role Secondary.
	{Role: roleSecondary, Link: LinkAny, Backup: true, CIMAnswer: CIMAnswer{copyInitialized, syncStateInitialized, progressDormant, false},
		Rows: []string{"SLD-backup"}, Source: "Synchronous Long Distance standby pair: Initialized/Initialized/Dormant"},

	// Table 110 (p.131-132), row by row.
	m(roleSecondary, syncStopped, LinkDown, "", copyBroken, syncStateBroken, progressCompleted, false, "T110-1",
		"Table 110: State of Secondary 3PAR array after Primary 3PAR array goes down: Secondary/Stopped Broken Broken Completed"),
	m(rolePrimaryRev, syncStopped, LinkDown, "failover", copyFailedover, syncStateBroken, progressFailingOver, true, "T110-2",
		"Table 110: After setrcopygroup failover is issued on Secondary: Primary-Rev/Stopped FailedOver Broken FailedOver (no such ProgressStatus: Failing over)"),
	m(rolePrimaryRev, syncStopped, LinkDown, "", copyFailedover, syncStateBroken, progressCompleted, true, "T110-3 T110-8",
		"Table 110: after setrcopygroup failover is done / if setrcopygroup recover fails: Primary-Rev/Stopped FailedOver Broken Completed"),
	m(rolePrimaryRev, syncStopped, LinkUp, "", copyBroken, syncStateBroken, progressCompleted, true, "T110-3b",
		"Table 110: after setrcopygroup failover is done, the cell's second set (link back up): Primary-Rev/Stopped Broken Broken Completed"),
	m(roleSecondaryRev, syncStopped, LinkUp, "", copyBroken, syncStateBroken, progressCompleted, true, "T110-4",
		"Table 110: State of Primary 3PAR array after it is brought back up: Secondary-Rev/Stopped Broken Broken Completed"),
	m(rolePrimaryRev, syncSyncing, LinkAny, "", copyUnsynchronized, syncStateRestoreInProgress, progressRestoring, true, "T110-5",
		"Table 110: Secondary after setrcopygroup recover is issued on it: Primary-Rev/Syncing Unsynchronized RestoreInProgress Restoring"),
	m(roleSecondaryRev, syncSyncing, LinkAny, "", copyUnsynchronized, syncStateRestoreInProgress, progressRestoring, true, "T110-6",
		"Table 110: Primary after setrcopygroup recover is issued on the secondary: Secondary-Rev/Syncing Unsynchronized RestoreInProgress Restoring"),
	m(rolePrimaryRev, syncSynced, LinkAny, "", copySynchronized, syncStateSynchronized, progressCompleted, true, "T110-7 T110-15",
		"Table 110: Secondary after setrcopygroup recover is done / if restore fails: Primary-Rev/Synced Synchronized Synchronized Completed"),
	m(roleSecondaryRev, syncSynced, LinkAny, "", copySynchronized, syncStateSynchronized, progressCompleted, true, "T110-9 T110-16",
		"Table 110: Primary after setrcopygroup recover is done / if restore fails: Secondary-Rev/Synced Synchronized Synchronized Completed"),
	m(roleSecondaryRev, syncStopped, LinkDown, "", copyFailedover, syncStateBroken, progressCompleted, true, "T110-10",
		"Table 110: State of Primary 3PAR array if setrcopygroup recover fails: Secondary-Rev/Stopped FailedOver Broken Completed"),
	m(rolePrimaryRev, syncSynced, LinkAny, "restore", copySynchronized, syncStateSynchronized, progressFailingBack, true, "T110-11",
		"Table 110: Secondary after setrcopygroup restore is issued on it: Primary-Rev/Synced Synchronized Synchronized Failing Back"),
	m(roleSecondaryRev, syncSynced, LinkAny, "restore", copySynchronized, syncStateSynchronized, progressFailingBack, true, "T110-12",
		"Table 110: Primary after setrcopygroup restore is issued on the secondary: Secondary-Rev/Synced Synchronized Synchronized Failing Back"),
}

// defaultChoices are the simulator's own answers for states it can reach
// that no table covers. They are not the manual's; a scenario's
// cim_outside_tables replaces them.
var defaultChoices = []CIMEntry{
	// The natural primary cut off from its secondary (its target failed,
	// its groups stopped), or the old primary that has not yet heard of a
	// failover: Table 109 needs the target ready, Table 110 has no
	// Primary/Stopped row. The simulator reports the broken copy that the
	// secondary reports for the same pair (T110-1's values).
	{Role: rolePrimary, SyncStatus: syncStopped, Link: LinkDown, CIMAnswer: CIMAnswer{copyBroken, syncStateBroken, progressCompleted, false},
		Source: "simulator's choice: the copy is broken, as the secondary's T110-1 says of the same pair", Choice: true},
	// A group never started whose target fails: the copy has not begun, so
	// the simulator keeps Table 109's New values.
	{Role: rolePrimary, SyncStatus: syncNew, Link: LinkDown, CIMAnswer: CIMAnswer{copyInitialized, syncStateResyncInProgress, progressRequiresActivate, false},
		Source: "simulator's choice: a copy never started, Table 109's New values whatever the link", Choice: true},
	{Role: roleSecondary, SyncStatus: syncNew, Link: LinkDown, CIMAnswer: CIMAnswer{copyInitialized, syncStateResyncInProgress, progressRequiresActivate, false},
		Source: "simulator's choice: a copy never started, Table 109's New values whatever the link", Choice: true},
}

// m writes one manual line: role, sync status, link, op, the three DMTF
// values, RoleReversed, the row ids (space separated) and the source.
func m(role, sync, link, op string, cs, ss, ps uint16, rev bool, rows, source string) CIMEntry {
	return CIMEntry{Role: role, SyncStatus: sync, Link: link, Op: op, CIMAnswer: CIMAnswer{cs, ss, ps, rev},
		Rows: strings.Fields(rows), Source: source}
}

// cimCase is what an answer depends on.
type cimCase struct {
	role, sync string
	linkUp     bool
	op         string
	backup     bool
}

func (c cimCase) String() string {
	link := "target ready"
	if !c.linkUp {
		link = "target failed"
	}
	s := fmt.Sprintf("%s/%s, %s", c.role, c.sync, link)
	if c.backup {
		s += ", group Backup"
	}
	if c.op != "" {
		s += ", " + c.op + " running"
	}
	return s
}

func (e CIMEntry) covers(c cimCase) bool {
	if e.Backup != c.backup || e.Role != c.role || (e.SyncStatus != "" && e.SyncStatus != c.sync) {
		return false
	}
	switch e.Link {
	case LinkUp:
		return c.linkUp
	case LinkDown:
		return !c.linkUp
	}
	return true
}

// cimTable is the simulator's answers: the manual's, then its own choices.
type cimTable struct {
	choices []CIMEntry
}

// answer looks c up: a manual line naming the running operation first,
// then one without an operation, then the simulator's choices. ok is false
// for a state the simulator has no answer for.
func (t *cimTable) answer(c cimCase) (CIMEntry, bool) {
	if c.op != "" {
		for _, e := range manualAnswers {
			if e.Op == c.op && e.covers(c) {
				return e, true
			}
		}
	}
	for _, e := range manualAnswers {
		if e.Op == "" && e.covers(c) {
			return e, true
		}
	}
	for _, e := range t.choices {
		if e.covers(c) {
			return e, true
		}
	}
	return CIMEntry{}, false
}

// CIMAnswers returns the simulator's CIM answers: the manual's lines, then
// the simulator's own choices for states outside the tables (the built-in
// ones; Sim.CIMAnswers gives a running scenario's).
func CIMAnswers() []CIMEntry {
	return append(append([]CIMEntry(nil), manualAnswers...), defaultChoices...)
}
