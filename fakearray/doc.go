// Package fakearray simulates a pair (or more) of 3PAR arrays with Remote
// Copy: a shared pair state machine that follows the vendor's state tables,
// an SSH server speaking the array CLI, a CIM-XML server, and faults to
// inject. Tests, demos and the --simulate modes run on it.
package fakearray
