package drill

import (
	"context"

	"github.com/threepar/rcopy-exporter/conformance"
)

// Driver is what the walk needs from a pair of arrays. The checker drives
// the simulated pair and a lab pair through the same paths a person uses:
// CLI commands and showrcopy over SSH, CIM through the CIM client; only
// what a person does physically (power, links, and on the simulator
// faults) goes another way.
type Driver interface {
	// Observe reads one array as it is now: its showrcopy output and, when
	// CIM is configured, the CIM instances (CIM nil when not read).
	// An error means the array could not be read. Side Third is asked for
	// only when the walk has a third array (Options.ThirdName).
	Observe(ctx context.Context, side Side) (conformance.Input, error)
	// Command runs one CLI command (a change) on one array.
	Command(ctx context.Context, side Side, command string) error
	// Isolate takes the primary away from the secondary (array down or
	// links cut); Reconnect brings it back. A driver that cannot do it
	// itself asks the operator and returns; the walk then waits for the
	// arrays to show it.
	Isolate(ctx context.Context) error
	Reconnect(ctx context.Context) error
}

// FaultInjector is a Driver that can make the next transition fail (the
// simulator). Branch steps run only on such a driver.
type FaultInjector interface {
	InjectFault(ctx context.Context, fault string) error
	ClearFault(ctx context.Context, fault string) error
}

// TransitionHolder is a Driver whose transitions wait until told to end
// (the simulator with a long transition delay). Transient steps are then
// always observed, and the walk ends each transition itself instead of
// polling for it.
type TransitionHolder interface {
	FinishTransitions(ctx context.Context) error
}

// VolumeStatusSetter is a Driver that can put a volume into a status real
// arrays reach only by accident (the simulator): NotSynced, Stale. group
// and volume are named as the natural primary names them. Degrade steps
// run only on such a driver.
type VolumeStatusSetter interface {
	SetVolumeStatus(ctx context.Context, group, volume, status string) error
}
