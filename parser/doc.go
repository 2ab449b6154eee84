// Package parser turns the text that an HP 3PAR / Primera / Alletra array
// prints for `showrcopy` (all its subcommand forms, -d, CSV mode, collapsed
// padding) into a typed model. It is a pure function of its input: no I/O,
// no globals, no imports from the rest of the project. It never panics; on
// malformed input it returns an *Error naming the line and what was expected,
// and never a partial model.
package parser
