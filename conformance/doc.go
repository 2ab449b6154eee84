// Package conformance evaluates what arrays say about their remote copy
// against the vendor's state tables (package expected) and reports the
// result as JSON (the contract in DESIGN.md), as aligned text for a person,
// or as JUnit XML for CI servers.
//
// Input per array: its parsed showrcopy output and, optionally, the CIM
// triples observed for its volumes. For every volume the evaluation gives
// one Finding with a verdict:
//
//   - match: the observed triple is one of the rows that apply
//   - mismatch: it is none of them, or CIM was read but does not report the
//     volume at all (a replicated volume without its
//     TPD_RemoteStorageSynchronized instance is itself a fault)
//   - not_in_table: no row covers the role/sync-status combination; said, not
//     guessed, and not a failure
//   - no_observation: rows apply but no CIM was read for this array
//
// Given two arrays, groups are paired by their volume pairs (local and remote
// names and ids), falling back to the natural group name (the secondary's
// `.r<id>` suffix stripped), and each pair gets a finding with volume "*"
// under the pair rule: complementary roles are a match; split brain, no
// primary, reversed with non-reversed, or a group without its counterpart
// are pair_inconsistent; a role word outside the four known ones is
// not_in_table. A report is conformant unless some finding is mismatch or
// pair_inconsistent.
//
// Findings carry an optional Step so that a run through several states (the
// disaster-recovery drill) can put the reports of its steps into one.
package conformance
