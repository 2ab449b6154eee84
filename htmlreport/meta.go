package htmlreport

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

// Meta is what a report says beyond the findings: when the run was, which
// arrays it read and with which tables. The checker gathers it; nothing in
// it changes a verdict.
type Meta struct {
	// Started and Finished bound the run (zero: not shown).
	Started, Finished time.Time
	// Checker is the checker's version.
	Checker string
	Arrays  []Array
	Table   Table
	// Faults are the simulator faults injected (ARRAY:FAULT), so that a
	// demonstration of a failure is never taken for a real one.
	Faults []string
}

// Array is one array the run read.
type Array struct {
	Name string
	// Side is the array's natural role in a walk ("natural primary",
	// "natural secondary"); "" in a check.
	Side string
	// Address is HOST:PORT of its CLI over SSH; File the saved showrcopy
	// output it was read from instead.
	Address, File string
	// CIM says where the observed CIM triples came from: a CIM server's
	// URL, a saved file, or "" (not read).
	CIM string
	// SystemID is the array's system id as another array's group names
	// give it ("" unknown); SystemIDSource says where it was read.
	SystemID, SystemIDSource string
	Version                  Version
}

// Version is what `showversion` printed.
type Version struct {
	Release string // "3.3.1 (MU5)"
	Patches string // as printed: "None", "P01,P02"
	// Missing says why Release is empty: not read (saved output), the
	// command failed, or its output had no release line.
	Missing string
}

// Table describes the state tables of the run.
type Table struct {
	Rows int
	// PerTable counts the rows of each table ("109", "110", "SLD", or
	// what a user row says), in the order first met.
	PerTable []TableRows
	Strict   bool
	// UserFile is the --table file whose rows override or extend the
	// built-in ones ("" none); UserSHA256 its digest as read.
	UserFile, UserSHA256 string
}

// TableRows is the number of rows of one table.
type TableRows struct {
	Table string
	Rows  int
}

// ShowversionCommand is what the checker runs for Version (a read-only
// show command, allowed on a monitoring user).
const ShowversionCommand = "showversion"

// ParseShowversion reads the release and patches from `showversion`
// output:
//
//	Release version 3.3.1 (MU5)
//	Patches:  None
//
// Anything else is ignored; output without a release line gives a Version
// whose Missing says so.
func ParseShowversion(out []byte) Version {
	var v Version
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := cutFold(line, "Release version"); ok && v.Release == "" {
			v.Release = rest
		} else if rest, ok := cutFold(line, "Patches:"); ok && v.Patches == "" {
			v.Patches = rest
		}
	}
	if v.Release == "" {
		v.Missing = "showversion printed no release version"
	}
	return v
}

// cutFold is strings.CutPrefix ignoring case, with the rest trimmed.
func cutFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return strings.Join(strings.Fields(s[len(prefix):]), " "), true
}

// SystemIDs reads the system ids of two arrays of a pair from the names of
// their paired groups: the secondary names each group after the primary's
// (`<name>.r<primary system id>`), so a pair (nameOnA, nameOnB) with nameOnB
// = nameOnA + ".r188150" says that A's id is 188150, and the other way
// round. Neither `showrcopy` nor `showversion` prints an array's own id:
// an array that is primary of no paired group gets "". Group pairs that
// disagree give every id they name, comma-separated.
func SystemIDs(pairs [][2]string) (a, b string) {
	var idsA, idsB []string
	add := func(ids *[]string, id string) {
		if !slices.Contains(*ids, id) {
			*ids = append(*ids, id)
		}
	}
	for _, p := range pairs {
		if id, ok := suffixID(p[0], p[1]); ok {
			add(&idsA, id)
		}
		if id, ok := suffixID(p[1], p[0]); ok {
			add(&idsB, id)
		}
	}
	return strings.Join(idsA, ", "), strings.Join(idsB, ", ")
}

// suffixID returns id when secondary is primary + ".r" + id.
func suffixID(primary, secondary string) (string, bool) {
	rest, ok := strings.CutPrefix(secondary, primary+".r")
	if !ok || parser.NaturalGroup(secondary) != primary {
		return "", false
	}
	return rest, true
}
