// Package fakearray simulates a pair (or more) of 3PAR arrays with Remote
// Copy: a shared pair state machine that follows the vendor's state tables,
// an SSH server speaking the array CLI, a CIM-XML server, and faults to
// inject. Tests, demos and the --simulate modes run on it.
//
// Each group pair has one phase (synced, failed-over, recovering, ...);
// both arrays derive from it what showrcopy prints there and the table row
// they are at, and the CIM server reports that row's triple from package
// expected (it never makes one up). Transitions take Options.TransitionDelay;
// FinishTransitions completes them at once for step-by-step drivers.
//
// Start serves each array on its own SSH and CIM listeners; ArrayDown
// closes them (connection refused) and ArrayUp binds the same ports again.
// Sim.WriteConfig writes the exporter/checker configuration for the running
// arrays (rcopy.yml, password files, known_hosts), as a user would have it.
// The user "simadmin" runs simctl on any array's SSH port. See the README
// section "Simulator (fakearray)" for commands, faults and decisions where
// the real CLI's behaviour is not known exactly.
package fakearray
