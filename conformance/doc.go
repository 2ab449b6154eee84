// Package conformance is the one place that decides whether what an array
// says about its remote copy conforms to the vendor's state tables
// (package expected). Judge takes what was read from one array (its parsed
// showrcopy output and, optionally, the CIM instances its CIM server
// reports) and returns, per group listing (a group as listed for one
// target), one Finding per volume with a verdict:
//
//   - match: the observed triple is one of the rows that apply
//   - mismatch: it is none of them, a field is NULL, or CIM was read but
//     does not report the volume for this leg at all (a replicated volume
//     without its TPD_RemoteStorageSynchronized instance is itself a fault)
//   - not_in_table: no row covers the role/sync-status/target-status
//     combination; said, not guessed (a failure only with Strict)
//   - no_observation: rows apply but there is nothing to compare with: CIM
//     was not read, or its instance cannot be put on a leg
//
// A group with two targets (Synchronous Long Distance) is two listings;
// each CIM instance of a volume is judged against the listing whose target
// it names (its peer system: the target's name, or the WWN an FC target
// prints), or that the others exclude (the one listing whose target prints
// no WWN, beside FC targets with other WWNs), never "conformant if any
// instance fits".
//
// PairFindings applies the pair rule to two arrays: groups are paired by
// their volume pairs (local and remote names and ids), falling back to the
// natural group name (the secondary's `.r<id>` suffix stripped), and each
// pair gets a finding with volume "*": complementary roles are a match;
// split brain, no primary, reversed with non-reversed, or a group without
// its counterpart are pair_inconsistent; a role word outside the four known
// ones is not_in_table. Evaluate runs both over a set of arrays and gives a
// Report, rendered as JSON (the checker's contract, docs/checker.md), aligned text, or
// JUnit XML.
//
// The exporter's series, `checker check`, `checker simulate` and the drill
// are renderings of these findings; none decides conformance itself.
package conformance
