// Package expected owns the CIM vocabulary of remote copy (the DMTF value
// maps of CopyState, SyncState and ProgressStatus), the vendor's state tables
// (Table 109 normal operation, Table 110 disaster recovery, the Synchronous
// Long Distance standby row) as embedded data, the matcher that says which
// rows apply to an observed (role, sync status, target status), and the pair
// rules between the two arrays of a pair. It imports nothing of the project.
//
// The tables live in tables.yaml (go:embed), transcribed from the reference
// with the reference's row ids; Default returns them parsed once, LoadTable
// lays a user's rows of the same schema over them. Table.Match is the rule
// "Which rows apply to an observation": it answers from an index built when
// the table is loaded, so the exporter can call it for every volume of every
// scrape. Each row carries its link condition (target status failed, ready
// or any); an unknown target status matches all of them. Rows marked
// uncertain (none in the built-in tables; a user table may mark some) are
// left out when strict is set.
// Conforms tests an observed Triple against rows; PairRoles judges the roles
// of the two arrays of a pair.
//
// State values outside the DMTF lists are kept: 0x8000 and up print as
// "Vendor Specific (N)", others as "DMTF Reserved (N)", and both forms parse
// back.
package expected
