package drill

import (
	"fmt"
	"strings"
)

// Side is an array's natural (configured) role in the pair: the tables
// describe the two arrays as "primary" and "secondary" whatever roles they
// print at the moment.
type Side int

// The two arrays of a pair.
const (
	Primary Side = iota
	Secondary
)

func (s Side) String() string {
	if s == Primary {
		return "primary"
	}
	return "secondary"
}

// Action is what a step does to the pair before it is observed.
type Action int

// Actions. Failover, Recover and Restore are CLI commands issued on the
// natural secondary; Isolate and Reconnect are physical (power, links).
const (
	Wait      Action = iota // nothing: wait for the running transition to end
	Isolate                 // the primary array goes down (or is cut off from the secondary)
	Reconnect               // the primary array is brought back up
	Failover                // setrcopygroup failover on the secondary
	Recover                 // setrcopygroup recover on the secondary
	Restore                 // setrcopygroup restore on the secondary
)

var actionNames = [...]string{"wait", "isolate", "reconnect", "failover", "recover", "restore"}

func (a Action) String() string { return actionNames[a] }

// Command is the CLI command line of a group action (Failover, Recover,
// Restore) for the given groups as the secondary names them; "" for the
// other actions. -f skips the confirmation prompt an exec session cannot
// answer.
func (a Action) Command(secondaryGroups []string) string {
	switch a {
	case Failover, Recover, Restore:
		return "setrcopygroup " + a.String() + " -f " + strings.Join(secondaryGroups, " ")
	}
	return ""
}

// Step is one step of the disaster-recovery walk (Table 110, read top to
// bottom): an action, then an observation of both arrays checked against
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
	// PrimaryAway: the primary is down (or cut off); only the secondary is
	// read and there is no pair check.
	PrimaryAway bool
	// Rows are the table rows each array must be at, by natural side.
	PrimaryRows, SecondaryRows []string
	// FailureRows are where the transition ends when it fails (recover and
	// restore): a live walk stops waiting when it sees them.
	PrimaryFailureRows, SecondaryFailureRows []string
	// Branch steps walk a failure path. They need a fault injected (Fault,
	// on both arrays before the action; ClearFault after the observation),
	// which only the simulator can do: a lab drill leaves them out.
	Branch     bool
	Fault      string
	ClearFault string
	// Back is how to bring the pair back to its natural direction from
	// the state this step leaves it in (printed when a drill stops here);
	// FailureBack from its failure rows (or when the wait timed out).
	Back, FailureBack []Action
}

// Rows returns the step's expected rows of one side.
func (s Step) Rows(side Side) []string {
	if side == Primary {
		return s.PrimaryRows
	}
	return s.SecondaryRows
}

// FailureRows returns the rows of one side that mean the transition failed.
func (s Step) FailureRows(side Side) []string {
	if side == Primary {
		return s.PrimaryFailureRows
	}
	return s.SecondaryFailureRows
}

// AllRows are the step's rows, primary's first, without repeats.
func (s Step) AllRows() []string {
	var out []string
	seen := map[string]bool{}
	for _, id := range append(append([]string{}, s.PrimaryRows...), s.SecondaryRows...) {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Observes reports whether the step reads the array of one side.
func (s Step) Observes(side Side) bool { return side == Secondary || !s.PrimaryAway }

// Fault names the walk uses on the simulator (fakearray's names).
const (
	FaultRecoverFails = "recover-fails"
	FaultRestoreFails = "restore-fails"
)

// Sequence is the whole walk, failure branches included, in order: healthy
// start, primary down, failover, primary back, recover (first the branch
// where it fails, then where it succeeds), restore (likewise), back to
// normal. Row ids are those of the reference (expected.Default()).
func Sequence() []Step {
	backFromFailedOver := []Action{Reconnect, Recover, Restore}
	return []Step{
		{Name: "healthy", Title: "healthy start: groups started and synced, natural direction",
			PrimaryRows: []string{"T109-synced"}, SecondaryRows: []string{"T109-synced"}},
		{Name: "primary-down", Title: "the primary array goes down", Action: Isolate, PrimaryAway: true,
			SecondaryRows: []string{"T110-1"}, Back: []Action{Reconnect}},
		{Name: "failover-issued", Title: "setrcopygroup failover issued on the secondary", Action: Failover,
			Transient: true, PrimaryAway: true, SecondaryRows: []string{"T110-2"}, Back: backFromFailedOver},
		{Name: "failover-done", Title: "wait until the failover is done", PrimaryAway: true,
			SecondaryRows: []string{"T110-3", "T110-3b"}, Back: backFromFailedOver},
		{Name: "primary-back", Title: "the primary array is brought back up", Action: Reconnect,
			PrimaryRows: []string{"T110-4"}, SecondaryRows: []string{"T110-3", "T110-3b"},
			Back: []Action{Recover, Restore}},
		{Name: "recover-fails-issued", Title: "setrcopygroup recover issued (it will fail)", Action: Recover,
			Transient: true, Branch: true, Fault: FaultRecoverFails,
			PrimaryRows: []string{"T110-6"}, SecondaryRows: []string{"T110-5"}, Back: []Action{Recover, Restore}},
		{Name: "recover-fails", Title: "wait until the recover has failed", Branch: true, ClearFault: FaultRecoverFails,
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

// MainPath is the sequence without the failure branches: what a lab drill
// walks (a real array cannot be told to fail).
func MainPath() []Step {
	var out []Step
	for _, s := range Sequence() {
		if !s.Branch {
			out = append(out, s)
		}
	}
	return out
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
	}
	return s.Title
}

// expectText is "sim-a T110-4, sim-b T110-3|T110-3b" for a step.
func (s Step) expectText(primary, secondary string) string {
	var parts []string
	if len(s.PrimaryRows) > 0 && s.Observes(Primary) {
		parts = append(parts, fmt.Sprintf("%s %s", primary, strings.Join(s.PrimaryRows, "|")))
	}
	if len(s.SecondaryRows) > 0 {
		parts = append(parts, fmt.Sprintf("%s %s", secondary, strings.Join(s.SecondaryRows, "|")))
	}
	return strings.Join(parts, ", ")
}
