package fakearray

import (
	"strconv"
	"time"
)

// Words the CLI prints (reference: showrcopy-format.md, "Values seen").
const (
	rolePrimary      = "Primary"
	roleSecondary    = "Secondary"
	rolePrimaryRev   = "Primary-Rev"
	roleSecondaryRev = "Secondary-Rev"

	statusStarted = "Started"
	statusStopped = "Stopped"
	statusBackup  = "Backup"
	// statusNew is the simulator's word for a group that was never started
	// (no capture shows one; the REST API calls that state NEW).
	statusNew = "New"

	// Volume SyncStatus: the documented set (RCUG 2.3.1 §2.13).
	syncNew       = "New"
	syncSyncing   = "Syncing"
	syncSynced    = "Synced"
	syncNotSynced = "NotSynced"
	syncStale     = "Stale"
	syncStopped   = "Stopped"
)

// Roles are two facts in one word: the current direction (Primary: this
// array sends) and whether it differs from the natural (configured) one
// ("-Rev"). The operations change one fact or both.

// isSource reports whether an array holding role sends the data.
func isSource(role string) bool { return role == rolePrimary || role == rolePrimaryRev }

// reversed reports whether role differs from the array's natural role.
func reversed(role string) bool { return role == rolePrimaryRev || role == roleSecondaryRev }

// flipCurrent reverses the current direction and keeps the natural one:
// Primary -> Secondary-Rev, Secondary -> Primary-Rev, and back (failover,
// switchover, restore, reverse -current).
func flipCurrent(role string) string {
	switch role {
	case rolePrimary:
		return roleSecondaryRev
	case roleSecondary:
		return rolePrimaryRev
	case rolePrimaryRev:
		return roleSecondary
	case roleSecondaryRev:
		return rolePrimary
	}
	return role
}

// flipNatural reverses the natural direction and keeps the current one:
// Primary <-> Primary-Rev, Secondary <-> Secondary-Rev (reverse -natural).
func flipNatural(role string) string {
	switch role {
	case rolePrimary:
		return rolePrimaryRev
	case rolePrimaryRev:
		return rolePrimary
	case roleSecondary:
		return roleSecondaryRev
	case roleSecondaryRev:
		return roleSecondary
	}
	return role
}

// complement is the role the peer holds when the pair agrees: Primary with
// Secondary, Primary-Rev with Secondary-Rev.
func complement(role string) string {
	switch role {
	case rolePrimary:
		return roleSecondary
	case roleSecondary:
		return rolePrimary
	case rolePrimaryRev:
		return roleSecondaryRev
	case roleSecondaryRev:
		return rolePrimaryRev
	}
	return role
}

// group is one remote copy group: its members (the arrays holding it) and
// its legs (the targets between them).
type group struct {
	cfg     GroupConfig
	members []*member // [0] natural primary, [1] (sync) secondary, [2] long-distance secondary
	legs    []*leg
}

func (g *group) hasOption(o string) bool {
	for _, x := range g.cfg.Options {
		if x == o {
			return true
		}
	}
	return false
}

// member is a group as one array holds it.
type member struct {
	g     *group
	array *simArray
	name  string // the group's name on this array (<name>.r<primary id> off the primary)
	id    int    // -d ID column
	vols  []memberVolume
}

type memberVolume struct {
	name string
	id   int
}

// leg is one target of a group: replication between two members over the
// links between their arrays. Both ends print the leg as one group listing.
type leg struct {
	g    *group
	ends [2]*end // ends[0]: the natural source (sync secondary for a standby leg)
	link *pairLink
	// periodic legs resync every period; a periodic resync takes resync
	// (0: at once), any other sync the transition delay.
	periodic bool
	period   time.Duration
	resync   time.Duration
	vols     []*volume

	// op is a setrcopygroup operation running on the leg ("failover",
	// "recover", "restore"), opEnd the end it was issued on.
	op    string
	opEnd *end
	// next is the leg's pending transition (end of a sync, of an operation).
	next *event
	// cycleStart anchors periodic resyncs: they start at cycleStart + k*period.
	cycleStart time.Time
	// failedOver: a failover was issued and no restore or reverse has
	// brought the roles home since; recovered: recover completed since.
	failedOver, recovered bool
	// outcome of the last recover or restore ("recover-failed",
	// "restore-failed", "restored"), for GroupState.Row labels only.
	outcome string
	// learn is the end that has not heard of a failover issued while it
	// was cut off; it learns when the link returns (tables' behaviour).
	learn *end
}

// end is one member's side of a leg.
type end struct {
	leg    *leg
	m      *member
	role   string // Primary, Secondary, Primary-Rev, Secondary-Rev
	status string // Started, Stopped, Backup, New
	// stoppedByLink: the group stopped because its target failed; only
	// such groups restart on their own (auto_recover).
	stoppedByLink bool
}

func (e *end) peer() *end {
	if e.leg.ends[0] == e {
		return e.leg.ends[1]
	}
	return e.leg.ends[0]
}

// source is the end that sends, by its role ("" ends: none).
func (l *leg) source() *end {
	for _, e := range l.ends {
		if isSource(e.role) {
			return e
		}
	}
	return nil
}

func (l *leg) endOn(a *simArray) *end {
	for _, e := range l.ends {
		if e.m.array == a {
			return e
		}
	}
	return nil
}

// volume is the replication state of one volume on one leg; both ends
// print it (the sending end with a percentage while it syncs).
type volume struct {
	status string
	// since is when status began: a sync's start (for its percentage), the
	// moment a volume became Synced or was marked Stale.
	since time.Time
	dur   time.Duration // how long the running sync takes
	// lastSync is the last completed sync; zero prints NA.
	lastSync time.Time
}

func (g *group) secondaryName(primary *simArray) string {
	return g.cfg.Name + ".r" + strconv.Itoa(primary.cfg.SystemID)
}
