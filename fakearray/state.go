package fakearray

import (
	"strconv"
	"strings"
	"time"
)

// phase is where a group's pair stands in the vendor's sequence. It is
// shared by both arrays of the pair; each array's view of it (role, status,
// sync status, table row) is derived in view.
type phase int

const (
	phSynced        phase = iota // Started, volumes Synced (Table 109)
	phSyncing                    // Started, volumes Syncing, after start or auto recovery
	phStopped                    // Stopped by stoprcopygroup (or link back without auto_recover)
	phInterrupted                // stopped because the pair lost connectivity
	phFailingOver                // setrcopygroup failover running on the secondary (T110-2)
	phFailedOver                 // failover done (T110-3; returning primary T110-4)
	phRecovering                 // setrcopygroup recover running (T110-5 / T110-6)
	phRecovered                  // recover done (T110-7 / T110-9)
	phRecoverFailed              // recover failed (T110-8 / T110-10)
	phRestoring                  // setrcopygroup restore running (T110-11 / T110-12)
	phRestored                   // restore done, natural roles again (T110-13 / T110-14)
	phRestoreFailed              // restore failed (T110-15 / T110-16)
)

var phaseNames = [...]string{"synced", "syncing", "stopped", "interrupted", "failing-over", "failed-over",
	"recovering", "recovered", "recover-failed", "restoring", "restored", "restore-failed"}

func (p phase) String() string { return phaseNames[p] }

// natural reports whether the pair holds its configured roles in p.
func (p phase) natural() bool {
	switch p {
	case phSynced, phSyncing, phStopped, phInterrupted, phRestored:
		return true
	}
	return false
}

// volumesSynced reports whether the volumes print Synced in p.
func (p phase) volumesSynced() bool {
	switch p {
	case phSynced, phRecovered, phRestoring, phRestored, phRestoreFailed:
		return true
	}
	return false
}

// started reports whether the group prints Status Started in p.
func (p phase) started() bool {
	return p.volumesSynced() || p == phSyncing || p == phRecovering
}

// group is one remote copy group pair.
type group struct {
	cfg                GroupConfig
	primary, secondary *simArray
	link               *pairLink
	// ids are the groups' numbers on the primary and the secondary (-d ID column).
	primaryID, secondaryID int

	phase phase
	// primaryReversed: the natural primary has learnt of the failover (it
	// was reachable since) and shows Secondary-Rev.
	primaryReversed bool
	// lastSync is the last completed sync while the volumes are not
	// synced; syncedSince anchors periodic syncs while they are.
	lastSync, syncedSince time.Time
	// gen invalidates scheduled transitions when the phase changes otherwise.
	gen uint64
}

func (g *group) secondaryName() string {
	return g.cfg.Name + ".r" + strconv.Itoa(g.primary.cfg.SystemID)
}

func (g *group) hasOption(o string) bool {
	for _, x := range g.cfg.Options {
		if x == o {
			return true
		}
	}
	return false
}

func (g *group) periodic() bool { return g.cfg.Mode == "periodic" }

// reachable reports whether the two arrays of g can talk: both up and the
// links between them up.
func (g *group) reachable() bool {
	return !g.primary.down && !g.secondary.down && !g.link.down
}

// lastSyncAt is the time of the last completed sync at now; zero prints NA.
// Periodic groups sync every period while their volumes are synced;
// synchronous groups print NA while synced (there is no "last" sync).
func (g *group) lastSyncAt(now time.Time) time.Time {
	if !g.phase.volumesSynced() {
		return g.lastSync
	}
	if !g.periodic() {
		return time.Time{}
	}
	p := time.Duration(g.cfg.Period)
	n := now.Sub(g.syncedSince) / p
	if n < 0 {
		n = 0
	}
	return g.syncedSince.Add(n * p)
}

// setPhase moves g to p at now, keeping the sync times right, and cancels
// any scheduled transition.
func (g *group) setPhase(p phase, now time.Time) {
	was := g.phase.volumesSynced()
	if was && !p.volumesSynced() {
		if g.periodic() {
			g.lastSync = g.lastSyncAt(now)
		} else {
			g.lastSync = now // synchronous: in sync up to this moment
		}
	}
	if !was && p.volumesSynced() {
		g.syncedSince = now
	}
	g.phase = p
	if p == phRestored || p.natural() {
		g.primaryReversed = false
	}
	g.gen++
}

// sideView is one array's view of a group: what showrcopy prints there and
// the table row the array is at.
type sideView struct {
	name       string // the group's name on this array
	natural    string // the natural (primary's) group name
	target     string // the peer array
	targetUp   bool
	status     string // Started, Stopped
	role       string // as printed (after faults)
	syncStatus string // of every volume
	lastSync   time.Time
	// row is the table row the array is at; "" when the tables have no row
	// for what it shows (e.g. the natural primary while its target failed).
	row string
	// cimRow is the row whose triple the CIM server reports; it equals row
	// except where row is "" (see view).
	cimRow       string
	roleReversed bool
	periodic     bool
}

// view derives what array a (g.primary or g.secondary) shows for g at now.
func (g *group) view(a *simArray, now time.Time) sideView {
	onPrimary := a == g.primary
	peer := g.secondary
	v := sideView{name: g.cfg.Name, natural: g.cfg.Name, periodic: g.periodic()}
	if !onPrimary {
		peer = g.primary
		v.name = g.secondaryName()
	}
	v.target = peer.cfg.Name
	v.targetUp = g.reachable()
	v.lastSync = g.lastSyncAt(now)
	v.status = "Stopped"
	if g.phase.started() {
		v.status = "Started"
	}
	natRole := "Secondary"
	if onPrimary {
		natRole = "Primary"
	}
	pick := func(primaryRow, secondaryRow string) string {
		if onPrimary {
			return primaryRow
		}
		return secondaryRow
	}
	switch g.phase {
	case phSynced:
		v.role, v.syncStatus, v.row = natRole, "Synced", "T109-synced"
	case phSyncing:
		v.role, v.syncStatus, v.row = natRole, "Syncing", "T109-syncing"
	case phStopped, phInterrupted:
		v.role, v.syncStatus = natRole, "Stopped"
		switch {
		case g.reachable():
			v.row = "T109-stopped"
		case !onPrimary:
			v.row = "T110-1"
		default:
			// The natural primary cut off from its secondary: the tables have
			// no row for it (Table 109 needs a ready target, Table 110 has no
			// Primary/Stopped row). Its CIM server reports T110-1's triple,
			// Broken/Broken/Completed, the state of a copy whose link broke.
			v.cimRow = "T110-1"
		}
	case phFailingOver, phFailedOver, phRecoverFailed:
		v.syncStatus = "Stopped"
		if !onPrimary {
			v.role = "Primary-Rev"
			v.row = map[phase]string{phFailingOver: "T110-2", phFailedOver: "T110-3", phRecoverFailed: "T110-8"}[g.phase]
		} else if g.primaryReversed {
			v.role = "Secondary-Rev"
			v.row = "T110-4"
			if g.phase == phRecoverFailed {
				v.row = "T110-10"
			}
		} else {
			// Failed over while this primary was up but cut off: it does not
			// know yet and still shows Primary (see the phStopped case).
			v.role = "Primary"
			v.cimRow = "T110-1"
		}
	case phRecovering:
		v.role, v.syncStatus, v.row = pick("Secondary-Rev", "Primary-Rev"), "Syncing", pick("T110-6", "T110-5")
	case phRecovered:
		v.role, v.syncStatus, v.row = pick("Secondary-Rev", "Primary-Rev"), "Synced", pick("T110-9", "T110-7")
	case phRestoring:
		v.role, v.syncStatus, v.row = pick("Secondary-Rev", "Primary-Rev"), "Synced", pick("T110-12", "T110-11")
	case phRestored:
		v.role, v.syncStatus, v.row = natRole, "Synced", pick("T110-14", "T110-13")
	case phRestoreFailed:
		v.role, v.syncStatus, v.row = pick("Secondary-Rev", "Primary-Rev"), "Synced", pick("T110-16", "T110-15")
	}
	if v.cimRow == "" {
		v.cimRow = v.row
	}
	v.roleReversed = strings.HasSuffix(v.role, "-Rev")
	// State faults change what the array prints, not the pair state (nor
	// what its CIM server reports), so that checks see the contradiction.
	if onPrimary && v.role == "Secondary-Rev" && a.faults.has(FaultSplitBrain) {
		v.role = "Primary"
	}
	if !onPrimary && v.role == "Primary-Rev" && a.faults.has(FaultNoRoleReversal) {
		v.role = "Secondary"
	}
	return v
}
