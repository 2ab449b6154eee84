// Package expected owns the CIM vocabulary of remote copy (the DMTF value
// maps of CopyState, SyncState and ProgressStatus), the vendor's state tables
// (Table 109 normal operation, Table 110 disaster recovery, the Synchronous
// Long Distance standby row) as embedded data, the matcher that says which
// rows apply to an observed (role, sync status, target status), and the pair
// rules between the two arrays of a pair. It imports nothing of the project.
package expected
