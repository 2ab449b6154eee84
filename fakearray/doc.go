// Package fakearray simulates HP 3PAR arrays with Remote Copy: the array
// CLI over SSH, a CIM-XML server, link timeouts, the disaster-recovery
// operations, and faults to inject. Tests, demos and the --simulate modes
// run on it.
//
// It imports neither expected nor conformance: the simulator is evidence
// only while it is independent of the code it is used to check. Its CIM
// answers are a table of its own (cimtable.go), keyed by what an array
// shows (role, volume sync status, target ready or failed, an operation
// running, a Backup group), each line written from the manual's tables and
// prose and naming the rows it stands for; states no table covers get the
// simulator's own, declared choices, which a scenario may replace
// (cim_outside_tables). compare_test.go, an external test, holds them
// against package expected.
//
// A group is a set of members (the arrays holding it) and legs (its
// targets: one for a pair, three for Synchronous Long Distance, the
// standby leg between the secondaries included); each leg has two ends,
// each with its own role and status, and volumes whose statuses both ends
// print. Links come two per target: with one down the target stays ready;
// with both down (or the peer array down) the links are marked Down after
// the heartbeat timeout and the target failed after the target timeout
// (scaled by the scenario's time_scale), which stops the groups on it.
// Transitions (syncs, failover, recover, restore) take the transition
// delay; FinishTransitions runs everything pending at once, in due order,
// NextTransition one step.
//
// Start serves each array on its own SSH and CIM listeners; ArrayDown
// closes them (connection refused) and ArrayUp binds the same ports again.
// Sim.WriteConfig writes the exporter/checker configuration for the running
// arrays (rcopy.yml, password files, known_hosts), as a user would have it.
// The user "simadmin" runs simctl on any array's SSH port. docs/simulator.md
// describes scenarios, commands, faults and which answers are the
// simulator's own choice.
package fakearray
