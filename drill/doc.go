// Package drill walks the vendor's disaster-recovery sequence (Table 110 of
// the HP 3PAR CIM API reference, read top to bottom) on a pair of arrays and
// checks every step: healthy start, primary down, failover, primary back,
// recover (and the branch where it fails), restore (likewise), back to
// normal. One definition of the steps and of the table rows each must show
// (Sequence) serves both `checker simulate` (the built-in simulated pair,
// failure branches and simulated steps included) and `checker drill` (a lab
// pair, MainPath). The simulated walk starts in normal operation (Table 109:
// a group never started, its initial sync, volumes NotSynced and Stale,
// stop and start) so that between it and the Synchronous Long Distance walk
// (SLDSequence: three arrays, each listing judged against its own leg's
// rows) every row of the tables is shown.
//
// The rows follow the link, as the reference's link-aware rules do: while
// the old primary is away the failed-over secondary shows FailedOver
// (T110-3); once it is back, before recover, Broken (T110-3b) beside the
// old primary's T110-4; a recover that fails with the links down gives
// T110-8 and T110-10.
//
// At every step the arrays the step reads are checked with package
// conformance (each volume's role and sync status, the CIM triple against
// the tables, the pair rule between the two arrays), and each volume's
// verdict is narrowed to the rows the step must show: a state that the
// tables allow somewhere but not at this step is a mismatch.
//
// The walk reaches the pair through a Driver: CLI commands and showrcopy
// over SSH, CIM through the CIM client, and whatever a person does
// physically (power, links). On a real lab pair, "the primary array goes
// down" cannot be done by software: the 3PAR CLI accepts `setrcopygroup
// failover` only while the primary is unreachable, and Table 110's
// failover rows (FailedOver, target failed) describe a secondary that has
// lost its primary (`stoprcopygroup` would give Table 109's Stopped row,
// not T110-1). So the drill has the primary isolated -- by the operator,
// who is asked on stderr, or by a command given to the checker -- and waits
// until the secondary reports its target failed. While the primary is away
// it is not read: the tables describe it as down, and a primary that is
// only cut off still prints Primary, which is expected, not a finding.
//
// Transient states (failover running, recover running, restore running)
// last as long as the array needs. The simulator holds them until told
// (TransitionHolder), so simulate always checks them; a live drill looks
// right after the command and reports the step "not observed" when the
// array was faster than the look.
package drill
