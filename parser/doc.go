// Package parser turns the text that an HP 3PAR / Primera / Alletra array
// prints for `showrcopy` (all its subcommand forms, -d, CSV mode, collapsed
// padding) into a typed model. It is a pure function of its input: no I/O,
// no globals, no imports from the rest of the project. It never panics; on
// malformed input it returns an *Error naming the line and what was expected,
// and never a partial model.
//
// How rows are read: each table's header gives the column names and where
// they start. An aligned row is matched to those positions (values start
// under their header, numbers end just before the next column), which also
// handles values with spaces (Options, LastSyncTime) and empty values. A row
// whose padding was collapsed to single spaces does not line up; its fields
// are then assigned by what they look like (IDs are numbers, nodes n:s:p,
// addresses IPs or WWNs, times dates, known state and policy words), taking
// the split with the fewest misfits. CSV rows are split at commas outside
// quotes. Unknown words in state columns are kept as printed.
//
// Every string in the model is a substring of one copy of the input.
//
// Assumptions where the samples are silent: every group row is followed by
// its volume header (a group without one is reported as truncated); a
// section whose title this package does not know ("... Information") is
// skipped; "-" or nothing in a group's Options means no options.
package parser
