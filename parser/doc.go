// Package parser turns the text that an HP 3PAR / Primera / Alletra array
// prints for `showrcopy` (all its subcommand forms, -d, CSV mode, collapsed
// padding, sections with or without their titles) into a typed model. It
// is a pure function of its input: no I/O, no globals, no imports from the
// rest of the project. It never panics.
//
// What is an error and what is a warning: the groups and their volumes are
// what the state tables judge, so a group or volume row that cannot be read
// is an *Error naming the line and what was expected, and no model is
// returned. The Target and Link sections are read row by row: a row that
// cannot be read (a redacted node "<>", a cut-off row) is left out and
// listed in Output.Warnings, and the rest of the output is still read; so
// is a section whose title this package does not know (such as the quorum
// witness section of -qw). A line that looks like the array's CLI error
// message is always an error: output interrupted by one has lost the rest.
//
// How rows are read: each table's header gives the column names and where
// they start. An aligned row is matched to those positions (values start
// under their header, numbers end just before the next column), which also
// handles values with spaces (Options, LastSyncTime, "Syncing (20%)") and
// empty values. A row whose padding was collapsed to single spaces, or
// replaced by tabs, does not line up; its fields are then assigned by what
// they look like (IDs are numbers, nodes n:s:p, addresses IPs or WWNs,
// times dates, percentages "(NN%)", known state and policy words), taking
// the split with the fewest misfits. CSV rows are split at commas outside
// quotes. Unknown words in state columns are kept as printed; unknown
// columns land in Extra.
//
// A section printed without its title is recognised by its column header
// ("Name ID Type", "Target Node", "Name Target" / "Name ID Target"). A
// group row may be followed by its volume header and rows, by its volume
// header alone, or by nothing of its own (the next header, a title, the
// end of the output): the last two are a group without volumes.
//
// Every string in the model is a substring of one copy of the input.
// docs/showrcopy.md describes the forms read, with the choices made where
// the format's reference is silent.
package parser
