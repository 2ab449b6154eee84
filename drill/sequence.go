package drill

import (
	"fmt"
	"slices"
	"strings"
)

// Side is an array's natural (configured) role in the walk: the tables
// describe the two arrays of a pair as "primary" and "secondary" whatever
// roles they print at the moment. A Synchronous Long Distance trio adds the
// third array, the periodic secondary (the synchronous one is Secondary).
type Side int

// The arrays of a walk.
const (
	Primary Side = iota
	Secondary
	Third // the periodic secondary of a Synchronous Long Distance trio
)

var sideNames = [...]string{"primary", "secondary", "third"}

func (s Side) String() string { return sideNames[s] }

// Action is what a step does to the pair before it is observed.
type Action int

// Actions. Failover, Recover and Restore are CLI commands issued on the
// natural secondary; Stop and Start CLI commands issued on the natural
// primary; Isolate and Reconnect are physical (power, links); Degrade
// puts volumes into the broken statuses (NotSynced, Stale) real arrays
// reach only by accident, which only the simulator can do.
const (
	Wait      Action = iota // nothing: wait for the running transition to end
	Isolate                 // the primary array goes down (or is cut off from the secondary)
	Reconnect               // the primary array is brought back up
	Failover                // setrcopygroup failover on the secondary
	Recover                 // setrcopygroup recover on the secondary
	Restore                 // setrcopygroup restore on the secondary
	Stop                    // stoprcopygroup on the primary, for each walked group that is Started
	Start                   // startrcopygroup on the primary, for each walked group that is not
	Degrade                 // one volume NotSynced, one of a periodic group Stale (simulator)
)

var actionNames = [...]string{"wait", "isolate", "reconnect", "failover", "recover", "restore", "stop", "start", "degrade"}

func (a Action) String() string { return actionNames[a] }

// Command is the CLI command line of a setrcopygroup action (Failover,
// Recover, Restore) for the given groups as the secondary names them; ""
// for the other actions. -f skips the confirmation prompt an exec session
// cannot answer.
func (a Action) Command(secondaryGroups []string) string { return a.CommandTo("", secondaryGroups) }

// CommandTo is Command for a group with several targets (Synchronous Long
// Distance), where the CLI needs `-t TARGET`: the target, as the secondary
// names it, whose leg the operation is for ("" for none).
func (a Action) CommandTo(target string, secondaryGroups []string) string {
	switch a {
	case Failover, Recover, Restore:
		t := ""
		if target != "" {
			t = "-t " + target + " "
		}
		return "setrcopygroup " + a.String() + " -f " + t + strings.Join(secondaryGroups, " ")
	}
	return ""
}

// groupCommand is the CLI command of Stop and Start for one group (they
// take one group each); "" for the other actions.
func (a Action) groupCommand(group string) string {
	switch a {
	case Stop:
		return "stoprcopygroup -f " + group
	case Start:
		return "startrcopygroup " + group
	}
	return ""
}

// Leg names one array's listing of the walked groups for one peer: in a
// Synchronous Long Distance trio every array lists each group once per
// target, and each listing has its own rows.
type Leg struct{ Of, Peer Side }

// LegRows are the rows one listing must show.
type LegRows struct {
	Leg
	Rows []string
}

// Step is one step of the disaster-recovery walk (Table 110, read top to
// bottom): an action, then an observation of the arrays checked against
// the table rows the step must show.
type Step struct {
	Name  string // short, stable: "failover-done"
	Title string // for a person
	Action
	// Transient steps are observed right after their action, while the
	// transition runs (T110-2, T110-5/-6, T110-11/-12). A live array may
	// finish before it is looked at; the step is then reported as not
	// observed rather than failed.
	Transient bool
	// PrimaryAway: the primary is down (or cut off); it is not read and
	// there is no pair check with it.
	PrimaryAway bool
	// Rows are the table rows each array of a pair must be at, by natural
	// side: a volume must be at one of its array's rows.
	PrimaryRows, SecondaryRows []string
	// Legs are the rows of a trio's walk, per listing (array and peer): a
	// volume must be at one of its listing's rows. A step has Legs or
	// PrimaryRows/SecondaryRows, not both.
	Legs []LegRows
	// FailureRows are where the transition ends when it fails (recover and
	// restore): a live walk stops waiting when it sees them.
	PrimaryFailureRows, SecondaryFailureRows []string
	// Branch steps walk a failure path. They need a fault injected (Fault,
	// on the arrays before the action; ClearFault after the observation),
	// which only the simulator can do: a lab drill leaves them out.
	Branch     bool
	Fault      string
	ClearFault string
	// Simulated steps show states a lab drill does not walk (a group never
	// started, volumes NotSynced and Stale): only the simulator has them.
	Simulated bool
	// Back is how to bring the pair back to its natural direction from
	// the state this step leaves it in (printed when a drill stops here);
	// FailureBack from its failure rows (or when the wait timed out).
	Back, FailureBack []Action
}

// Rows returns the step's expected rows of one side (for a trio's step,
// those of all its listings).
func (s Step) Rows(side Side) []string {
	if len(s.Legs) > 0 {
		var out []string
		for _, l := range s.Legs {
			if l.Of == side {
				for _, id := range l.Rows {
					if !slices.Contains(out, id) {
						out = append(out, id)
					}
				}
			}
		}
		return out
	}
	switch side {
	case Primary:
		return s.PrimaryRows
	case Secondary:
		return s.SecondaryRows
	}
	return nil
}

// LegRows returns the rows of one listing, and false when the step does not
// name rows per listing.
func (s Step) LegRows(of, peer Side) ([]string, bool) {
	for _, l := range s.Legs {
		if l.Of == of && l.Peer == peer {
			return l.Rows, true
		}
	}
	return nil, false
}

// FailureRows returns the rows of one side that mean the transition failed.
func (s Step) FailureRows(side Side) []string {
	switch side {
	case Primary:
		return s.PrimaryFailureRows
	case Secondary:
		return s.SecondaryFailureRows
	}
	return nil
}

// AllRows are the step's rows, primary's first, without repeats.
func (s Step) AllRows() []string {
	var out []string
	for _, side := range []Side{Primary, Secondary, Third} {
		for _, id := range s.Rows(side) {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// Observes reports whether the step reads the array of one side.
func (s Step) Observes(side Side) bool { return side != Primary || !s.PrimaryAway }

// Fault names the walk uses on the simulator (fakearray's names).
const (
	FaultRecoverFails = "recover-fails"
	FaultRestoreFails = "restore-fails"
)

// Volume statuses Degrade sets (showrcopy's words).
const (
	StatusNotSynced = "NotSynced"
	StatusStale     = "Stale"
)

// normalOperation is the part of the simulated walk before the disaster:
// Table 109 on both arrays. A group never started shows New; started, it
// copies its volumes one after another (Syncing, the others New); a
// volume's initial sync fails on a read error (NotSynced) and a periodic
// resync fails (Stale); the groups are stopped and started again, which
// resyncs every volume (Syncing, then Synced).
func normalOperation() []Step {
	both := func(s Step, rows ...string) Step {
		s.PrimaryRows, s.SecondaryRows = rows, rows
		s.Simulated = true
		return s
	}
	return []Step{
		both(Step{Name: "new-group", Title: "a group never started: its volumes New, the other groups synced"},
			"T109-synced", "T109-new"),
		both(Step{Name: "initial-sync", Title: "startrcopygroup on the new group: its volumes copied one after another",
			Action: Start, Transient: true}, "T109-synced", "T109-syncing", "T109-new"),
		both(Step{Name: "initial-sync-done", Title: "wait until the initial sync is done"}, "T109-synced"),
		both(Step{Name: "volume-faults", Title: "a volume's initial sync fails (NotSynced), a periodic resync fails (Stale)",
			Action: Degrade}, "T109-synced", "T109-notsynced", "T109-stale"),
		both(Step{Name: "stopped", Title: "stoprcopygroup on the primary (links up)", Action: Stop}, "T109-stopped"),
		both(Step{Name: "start-issued", Title: "startrcopygroup on the primary: every volume resyncs", Action: Start,
			Transient: true}, "T109-syncing"),
	}
}

// Sequence is the whole walk of a pair, the simulated steps and failure
// branches included, in order: normal operation (a new group's initial
// sync, volume faults, stop and start), healthy, primary down, failover,
// primary back, recover (first the branch where it fails, then where it
// succeeds), restore (likewise), back to normal. Row ids are those of the
// reference (expected.Default()).
func Sequence() []Step {
	return append(normalOperation(), drPath()...)
}

// drPath is the disaster-recovery sequence of a pair (Table 110). The
// rows follow the link: while the old primary is away the secondary's
// target is failed and the failed-over group shows FailedOver (T110-3);
// once the old primary is back (target ready) the secondary shows Broken
// (T110-3b) and the old primary T110-4. A recover that fails with the link
// down leaves FailedOver on both sides (T110-8, T110-10).
func drPath() []Step {
	backFromFailedOver := []Action{Reconnect, Recover, Restore}
	return []Step{
		{Name: "healthy", Title: "healthy start: groups started and synced, natural direction",
			PrimaryRows: []string{"T109-synced"}, SecondaryRows: []string{"T109-synced"}},
		{Name: "primary-down", Title: "the primary array goes down", Action: Isolate, PrimaryAway: true,
			SecondaryRows: []string{"T110-1"}, Back: []Action{Reconnect}},
		{Name: "failover-issued", Title: "setrcopygroup failover issued on the secondary", Action: Failover,
			Transient: true, PrimaryAway: true, SecondaryRows: []string{"T110-2"}, Back: backFromFailedOver},
		{Name: "failover-done", Title: "wait until the failover is done (the old primary still down)", PrimaryAway: true,
			SecondaryRows: []string{"T110-3"}, Back: backFromFailedOver},
		{Name: "primary-back", Title: "the primary array is brought back up (before recover)", Action: Reconnect,
			PrimaryRows: []string{"T110-4"}, SecondaryRows: []string{"T110-3b"},
			Back: []Action{Recover, Restore}},
		{Name: "recover-fails-issued", Title: "setrcopygroup recover issued (it will fail)", Action: Recover,
			Transient: true, Branch: true, Fault: FaultRecoverFails,
			PrimaryRows: []string{"T110-6"}, SecondaryRows: []string{"T110-5"}, Back: []Action{Recover, Restore}},
		{Name: "recover-fails", Title: "wait until the recover has failed (the links down)", Branch: true, ClearFault: FaultRecoverFails,
			PrimaryRows: []string{"T110-10"}, SecondaryRows: []string{"T110-8"}, Back: []Action{Recover, Restore}},
		{Name: "recover-issued", Title: "setrcopygroup recover issued on the secondary", Action: Recover,
			Transient: true, PrimaryRows: []string{"T110-6"}, SecondaryRows: []string{"T110-5"},
			Back: []Action{Recover, Restore}},
		{Name: "recover-done", Title: "wait until the recover is done", PrimaryRows: []string{"T110-9"}, SecondaryRows: []string{"T110-7"},
			PrimaryFailureRows: []string{"T110-10"}, SecondaryFailureRows: []string{"T110-8"},
			Back: []Action{Restore}, FailureBack: []Action{Recover, Restore}},
		{Name: "restore-fails-issued", Title: "setrcopygroup restore issued (it will fail)", Action: Restore,
			Transient: true, Branch: true, Fault: FaultRestoreFails,
			PrimaryRows: []string{"T110-12"}, SecondaryRows: []string{"T110-11"}, Back: []Action{Restore}},
		{Name: "restore-fails", Title: "wait until the restore has failed", Branch: true, ClearFault: FaultRestoreFails,
			PrimaryRows: []string{"T110-16"}, SecondaryRows: []string{"T110-15"}, Back: []Action{Restore}},
		{Name: "restore-issued", Title: "setrcopygroup restore issued on the secondary", Action: Restore,
			Transient: true, PrimaryRows: []string{"T110-12"}, SecondaryRows: []string{"T110-11"},
			Back: []Action{Restore}},
		{Name: "restore-done", Title: "wait until the restore is done (natural roles again)", PrimaryRows: []string{"T110-14"},
			SecondaryRows: []string{"T110-13"}, PrimaryFailureRows: []string{"T110-16"},
			SecondaryFailureRows: []string{"T110-15"}, Back: []Action{Restore}, FailureBack: []Action{Restore}},
		{Name: "normal", Title: "back to normal operation", PrimaryRows: []string{"T109-synced"},
			SecondaryRows: []string{"T109-synced"}},
	}
}

// MainPath is the sequence without the failure branches and the simulated
// steps: what a lab drill walks (a real array cannot be told to fail).
func MainPath() []Step {
	var out []Step
	for _, s := range Sequence() {
		if !s.Branch && !s.Simulated {
			out = append(out, s)
		}
	}
	return out
}

// SLDSequence is the disaster-recovery walk of a Synchronous Long Distance
// trio: the primary (A) replicates synchronously to the secondary (B) and
// periodically to the third array (C); B and C hold the standby leg
// (Status Backup, both Secondary: row SLD-backup). The DR operations run
// on B for its leg to A (`-t`). Per listing:
//
//	step             A (to B / to C)           B (to A / to C)        C (to A / to B)
//	healthy          T109-synced / same        T109-synced / backup   T109-synced / backup
//	primary-down     (down)                    T110-1 / backup        T110-1 / backup
//	failover-issued  (down)                    T110-2 / backup        T110-1 / backup
//	failover-done    (down)                    T110-3 / backup        T110-1 / backup
//	primary-back     T110-4 / T109-stopped     T110-3b / backup       T109-stopped / backup
//	recover-issued   T110-6 / backup           T110-5 / T110-5        backup / T110-6
//	recover-done     T110-9 / backup           T110-7 / T110-7        backup / T110-9
//	restore-issued   T110-12 / backup          T110-11 / T110-7       backup / T110-9
//	restore-done     T110-14 / T109-synced     T110-13 / backup       T109-synced / backup
//	normal           T109-synced / same        T109-synced / backup   T109-synced / backup
//
// The sources say what B shows when A is lost (sample S6) and how the legs
// run after recover and restore; what A's leg to C prints when A returns
// before recover (Primary/Stopped, target ready: T109-stopped), and that
// the leg from B to C starts only at recover, are the simulator's
// documented choices (docs/simulator.md), not the manual's.
func SLDSequence() []Step {
	const backup = "SLD-backup"
	legs := func(a2b, a2c, b2a, b2c, c2a, c2b string) []LegRows {
		var out []LegRows
		for _, l := range []LegRows{
			{Leg{Primary, Secondary}, []string{a2b}}, {Leg{Primary, Third}, []string{a2c}},
			{Leg{Secondary, Primary}, []string{b2a}}, {Leg{Secondary, Third}, []string{b2c}},
			{Leg{Third, Primary}, []string{c2a}}, {Leg{Third, Secondary}, []string{c2b}},
		} {
			if l.Rows[0] != "" {
				out = append(out, l)
			}
		}
		return out
	}
	backFromFailedOver := []Action{Reconnect, Recover, Restore}
	return []Step{
		{Name: "healthy", Title: "healthy start: A replicates to B (sync) and C (periodic); B-C stand by",
			Legs: legs("T109-synced", "T109-synced", "T109-synced", backup, "T109-synced", backup)},
		{Name: "primary-down", Title: "the primary array A goes down (B shows sample S6)", Action: Isolate, PrimaryAway: true,
			Legs: legs("", "", "T110-1", backup, "T110-1", backup), Back: []Action{Reconnect}},
		{Name: "failover-issued", Title: "setrcopygroup failover -t A issued on B", Action: Failover, Transient: true, PrimaryAway: true,
			Legs: legs("", "", "T110-2", backup, "T110-1", backup), Back: backFromFailedOver},
		{Name: "failover-done", Title: "wait until the failover is done (A still down)", PrimaryAway: true,
			Legs: legs("", "", "T110-3", backup, "T110-1", backup), Back: backFromFailedOver},
		{Name: "primary-back", Title: "A is brought back up (before recover)", Action: Reconnect,
			Legs: legs("T110-4", "T109-stopped", "T110-3b", backup, "T109-stopped", backup), Back: []Action{Recover, Restore}},
		{Name: "recover-issued", Title: "setrcopygroup recover -t A issued on B: B sends to A (sync) and C (periodic)", Action: Recover,
			Transient: true, Legs: legs("T110-6", backup, "T110-5", "T110-5", backup, "T110-6"), Back: []Action{Recover, Restore}},
		{Name: "recover-done", Title: "wait until the recover is done; A-C stand by",
			Legs: legs("T110-9", backup, "T110-7", "T110-7", backup, "T110-9"), Back: []Action{Restore}},
		{Name: "restore-issued", Title: "setrcopygroup restore -t A issued on B", Action: Restore, Transient: true,
			Legs: legs("T110-12", backup, "T110-11", "T110-7", backup, "T110-9"), Back: []Action{Restore}},
		{Name: "restore-done", Title: "wait until the restore is done: A sends again, B-C stand by",
			Legs: legs("T110-14", "T109-synced", "T110-13", backup, "T109-synced", backup), Back: []Action{Restore}},
		{Name: "normal", Title: "back to normal operation",
			Legs: legs("T109-synced", "T109-synced", "T109-synced", backup, "T109-synced", backup)},
	}
}

// Describe says what a step does, for plans and reports.
func (s Step) Describe(primary, secondary string, secondaryGroups []string) string {
	switch s.Action {
	case Isolate:
		return primary + " goes down (power off, or its remote copy links to " + secondary + " cut)"
	case Reconnect:
		return primary + " comes back (power and links restored)"
	case Failover, Recover, Restore:
		return "on " + secondary + ": " + s.Action.Command(secondaryGroups)
	case Stop:
		return "on " + primary + ": stoprcopygroup -f GROUP, for each group that is started"
	case Start:
		return "on " + primary + ": startrcopygroup GROUP, for each group that is not started"
	case Degrade:
		return "the simulator marks one volume NotSynced and one of a periodic group Stale"
	}
	return s.Title
}

// expectText is "sim-a T110-4, sim-b T110-3b" for a step (a trio's third
// array after the two).
func (s Step) expectText(names ...string) string {
	var parts []string
	for i, name := range names {
		side := Side(i)
		if rows := s.Rows(side); len(rows) > 0 && s.Observes(side) && name != "" {
			parts = append(parts, fmt.Sprintf("%s %s", name, strings.Join(rows, "|")))
		}
	}
	return strings.Join(parts, ", ")
}
