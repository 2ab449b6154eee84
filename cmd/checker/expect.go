package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/alecthomas/kingpin/v2"
	"github.com/threepar/rcopy-exporter/expected"
)

func init() {
	register(subcommand{
		name: "expect",
		help: "Print as JSON the state-table rows (the CIM triples) that apply to a role and sync status. Exit 0 when some row applies, 1 when none does (prints []), 2 on bad input.",
		setup: func(c *kingpin.CmdClause) func(env) int {
			role := c.Flag("role", "the group's Role as showrcopy prints it (Primary, Secondary, Primary-Rev, Secondary-Rev)").Required().String()
			sync := c.Flag("sync-status", "the volume's SyncStatus as showrcopy prints it (New, Syncing, Synced, NotSynced, Stale, Stopped)").Required().String()
			target := c.Flag("target-status", "status of the group's target as the array prints it (ready, failed, ...), or unknown (no target section: matches rows of every link condition)").Default(expected.TargetUnknown).String()
			group := c.Flag("group-status", "the group's Status (Started, Stopped, Backup); Backup selects the Synchronous Long Distance row").Default("").String()
			strict := c.Flag("strict", "leave rows marked uncertain out (the built-in tables have none; a --table may mark some)").Bool()
			tableFile := c.Flag("table", "YAML file of rows that override or extend the built-in tables").PlaceHolder("FILE").String()
			return func(e env) int {
				table, code := loadTable(e, *tableFile)
				if table == nil {
					return code
				}
				if note := unknownWords(table, *role, *sync); note != "" {
					fmt.Fprintln(e.stderr, "checker: expect: "+note)
				}
				rows := table.Match(expected.Observation{Role: *role, SyncStatus: *sync, TargetStatus: *target, GroupStatus: *group}, *strict)
				if rows == nil {
					rows = []expected.Row{}
				}
				b, err := json.MarshalIndent(rows, "", "  ")
				if err != nil {
					fmt.Fprintf(e.stderr, "checker: %v\n", err)
					return exitCouldNotRun
				}
				fmt.Fprintf(e.stdout, "%s\n", b)
				if len(rows) == 0 {
					return exitNonConform // the combination is in no table
				}
				return exitConforms
			}
		},
	})
}

// unknownWords says, in one line, which of role and sync status no row of
// the table names, and which words the table knows; "" when both are known.
// (Such an observation matches no row: the note tells a typo from a state
// outside the tables.)
func unknownWords(t *expected.Table, role, sync string) string {
	var parts []string
	if !containsFold(t.KnownRoles(), role) {
		parts = append(parts, fmt.Sprintf("role %q is not one the tables name (known: %s)", role, strings.Join(t.KnownRoles(), ", ")))
	}
	if !containsFold(t.KnownSyncStatuses(), sync) {
		parts = append(parts, fmt.Sprintf("sync status %q is not one the tables name (known: %s)", sync, strings.Join(t.KnownSyncStatuses(), ", ")))
	}
	return strings.Join(parts, "; ")
}

func containsFold(words []string, s string) bool {
	for _, w := range words {
		if strings.EqualFold(w, strings.TrimSpace(s)) {
			return true
		}
	}
	return false
}

// loadTable returns the built-in table, or the built-in table with the
// user's rows when path is set. On error it prints one line (FILE:LINE:
// msg) and returns nil and the exit status.
func loadTable(e env, path string) (*expected.Table, int) {
	t, code := loadTables(e, path, false)
	return t.table, code
}

// oneLine keeps an error message to one line of stderr.
func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}
