package fakearray

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Fault names. Each fault is scoped to one array; inject it from the
// scenario (arrays[].faults), the control channel (simctl fault inject
// ARRAY FAULT), --inject [ARRAY:]FAULT (ParseInjection) or Sim.InjectFault.
const (
	// CIM faults.
	FaultCIMCopyStateMismatch = "cim-copy-state-mismatch" // CopyState Fractured (6), which no table row allows
	FaultCIMMissingVolume     = "cim-missing-volume"      // the first volume pair has no TPD_RemoteStorageSynchronized
	FaultCIMError             = "cim-error"               // every CIM request answers CIM_ERR_FAILED
	FaultCIMDown              = "cim-down"                // the CIM listener is closed (connection refused)

	// State faults: what the array reports differs from the pair state.
	FaultSplitBrain     = "split-brain"      // the returning natural primary keeps its Primary role
	FaultNoRoleReversal = "no-role-reversal" // failover leaves the role Secondary
	FaultRecoverFails   = "recover-fails"    // setrcopygroup recover ends in T110-8 / T110-10
	FaultRestoreFails   = "restore-fails"    // setrcopygroup restore ends in T110-15 / T110-16

	// SSH / CLI faults.
	FaultSlow                = "slow"                  // slow:DURATION delays every CLI command and CIM request
	FaultHang                = "hang"                  // CLI commands and CIM requests never answer
	FaultDisconnectMidOutput = "disconnect-mid-output" // half the output, then the connection drops (no exit status)
	FaultGarbageOutput       = "garbage-output"        // commands print garbage, exit 0
	FaultHugeOutput          = "huge-output"           // showrcopy prints tens of MB (valid format)
	FaultAuthFail            = "auth-fail"             // every login of a CLI user is refused
	FaultTooManySessions     = "too-many-sessions"     // sessions print "Too many local CLI connections." and exit 1
	FaultCLIErrorExit0       = "cli-error-exit-0"      // commands print an error text but exit 0
	FaultHostKeyChange       = "host-key-change"       // the SSH server presents a different host key
)

// Faults lists every fault name, for help texts and validation.
var Faults = []string{
	FaultCIMCopyStateMismatch, FaultCIMMissingVolume, FaultCIMError, FaultCIMDown,
	FaultSplitBrain, FaultNoRoleReversal, FaultRecoverFails, FaultRestoreFails,
	FaultSlow + ":DURATION", FaultHang, FaultDisconnectMidOutput, FaultGarbageOutput, FaultHugeOutput,
	FaultAuthFail, FaultTooManySessions, FaultCLIErrorExit0, FaultHostKeyChange,
}

// TooManySessionsText is what an array prints when it refuses a CLI session.
const TooManySessionsText = "Too many local CLI connections."

// Fault is one parsed fault: its name and, for slow, the delay.
type Fault struct {
	Name  string
	Delay time.Duration
}

func (f Fault) String() string {
	if f.Name == FaultSlow {
		return FaultSlow + ":" + f.Delay.String()
	}
	return f.Name
}

// ParseFault reads a fault name ("hang", "slow:2s").
func ParseFault(s string) (Fault, error) {
	name, arg, hasArg := strings.Cut(strings.TrimSpace(s), ":")
	if name == FaultSlow {
		if !hasArg {
			return Fault{}, fmt.Errorf("fault %q: want slow:DURATION, e.g. slow:5s", s)
		}
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			return Fault{}, fmt.Errorf("fault %q: want slow:DURATION with a positive duration, e.g. slow:5s", s)
		}
		return Fault{Name: FaultSlow, Delay: d}, nil
	}
	for _, known := range Faults {
		if name == known {
			if hasArg {
				return Fault{}, fmt.Errorf("fault %q: %s takes no argument", s, name)
			}
			return Fault{Name: name}, nil
		}
	}
	return Fault{}, fmt.Errorf("unknown fault %q (known: %s)", s, strings.Join(Faults, ", "))
}

// Injection is one fault on one array.
type Injection struct {
	Array string
	Fault Fault
}

// ParseInjection reads one value of --inject (cmd/fakearray, checker
// simulate, Options.Faults): FAULT is that fault on every array of arrays,
// ARRAY:FAULT on that array only. A word before the first colon that is
// neither an array nor a fault name is an unknown array ("slow:2s" is a
// fault, "sim-c:hang" names an array).
func ParseInjection(spec string, arrays []string) ([]Injection, error) {
	name, rest, scoped := strings.Cut(spec, ":")
	if scoped && slices.Contains(arrays, name) {
		f, err := ParseFault(rest)
		if err != nil {
			return nil, err
		}
		return []Injection{{Array: name, Fault: f}}, nil
	}
	if scoped && !isFaultName(name) {
		return nil, fmt.Errorf("unknown array %q (arrays: %s)", name, listed(arrays))
	}
	f, err := ParseFault(spec)
	if err != nil {
		return nil, err
	}
	out := make([]Injection, len(arrays))
	for i, a := range arrays {
		out[i] = Injection{Array: a, Fault: f}
	}
	return out, nil
}

func isFaultName(name string) bool {
	for _, known := range Faults {
		if n, _, _ := strings.Cut(known, ":"); n == name {
			return true
		}
	}
	return false
}

// listed joins names for a message, the first ten at most (a generated
// scenario has hundreds of arrays).
func listed(names []string) string {
	const shown = 10
	if len(names) > shown {
		return strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return strings.Join(names, ", ")
}

// faultSet is the faults active on one array, by name.
type faultSet map[string]Fault

func (fs faultSet) has(name string) bool { _, ok := fs[name]; return ok }

func (fs faultSet) names() []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.String())
	}
	sort.Strings(out)
	return out
}
