package parser

import (
	"strconv"
	"strings"
)

// field is what a column means to the model. Columns the model does not
// know (the -d extras and anything newer) are fExtra, or fLooseExtra in the
// target and link tables, and land in Extra.
type field uint8

const (
	fExtra field = iota
	// fLooseExtra is an unknown column of a target or link table (such as
	// VLAN). Unlike a -d column it may well be empty: when padding is lost
	// and a row is one value short, a lone "-" goes to Options, which the
	// CLI always prints, and the unknown column stays empty.
	fLooseExtra
	fName
	fID
	fType
	fTargetStatus
	fTargetOptions
	fPolicy
	fTarget
	fNode
	fAddress
	fLinkStatus
	fLinkOptions
	fGroupStatus
	fRole
	fMode
	fGroupOptions
	fLocalVV
	fLocalID
	fRemoteVV
	fRemoteID
	fSyncStatus
	fLastSyncTime
)

// tableKind says which of the four tables a header belongs to.
type tableKind uint8

const (
	kindTargets tableKind = iota
	kindLinks
	kindGroups
	kindVolumes
)

// what names a row of the table in error messages.
func (k tableKind) what() string {
	switch k {
	case kindTargets:
		return "target"
	case kindLinks:
		return "link"
	case kindGroups:
		return "group"
	}
	return "volume"
}

// section is the name Output.Sections uses for the section of the kind's
// table (volume tables belong to the groups section).
func (k tableKind) section() string {
	switch k {
	case kindTargets:
		return "targets"
	case kindLinks:
		return "links"
	}
	return "groups"
}

// expectedHeader is the header an error message quotes.
func (k tableKind) expectedHeader() string {
	switch k {
	case kindTargets:
		return "Name ID Type Status Options Policy"
	case kindLinks:
		return "Target Node Address Status Options"
	case kindGroups:
		return "Name Target Status Role Mode Options"
	}
	return "LocalVV ID RemoteVV ID SyncStatus LastSyncTime"
}

// required lists the fields a header of the kind must have.
func (k tableKind) required() []field {
	switch k {
	case kindTargets:
		return []field{fName, fID, fType, fTargetStatus}
	case kindLinks:
		return []field{fTarget, fNode, fAddress, fLinkStatus}
	case kindGroups:
		return []field{fName, fTarget, fStatus(k), fRole, fMode}
	}
	return []field{fLocalVV, fLocalID, fRemoteVV, fRemoteID, fSyncStatus}
}

func fStatus(k tableKind) field {
	switch k {
	case kindTargets:
		return fTargetStatus
	case kindLinks:
		return fLinkStatus
	}
	return fGroupStatus
}

// fieldOf maps a header name to its field. seenID counts the ID columns
// already seen in this header, since volume tables have two.
func fieldOf(k tableKind, name string, seenID int) field {
	switch k {
	case kindTargets:
		switch name {
		case "Name":
			return fName
		case "ID":
			if seenID == 0 {
				return fID
			}
		case "Type":
			return fType
		case "Status":
			return fTargetStatus
		case "Options":
			return fTargetOptions
		case "Policy":
			return fPolicy
		}
	case kindLinks:
		switch name {
		case "Target":
			return fTarget
		case "Node":
			return fNode
		case "Address":
			return fAddress
		case "Status":
			return fLinkStatus
		case "Options":
			return fLinkOptions
		}
	case kindGroups:
		switch name {
		case "Name":
			return fName
		case "ID":
			if seenID == 0 {
				return fID
			}
		case "Target":
			return fTarget
		case "Status":
			return fGroupStatus
		case "Role":
			return fRole
		case "Mode":
			return fMode
		case "Options":
			return fGroupOptions
		}
	case kindVolumes:
		switch name {
		case "LocalVV":
			return fLocalVV
		case "ID":
			switch seenID {
			case 0:
				return fLocalID
			case 1:
				return fRemoteID
			}
		case "RemoteVV":
			return fRemoteVV
		case "SyncStatus":
			return fSyncStatus
		case "LastSyncTime":
			return fLastSyncTime
		}
	}
	if k == kindTargets || k == kindLinks {
		return fLooseExtra
	}
	return fExtra
}

// column is one header column. start is the byte offset of the header
// name in its line; aligned rows are matched against it.
type column struct {
	name  string
	start int
	field field
	// lo, hi are limits(field), kept here for the per-row hot path.
	lo, hi int8
}

func newColumn(name string, start int, f field) column {
	lo, hi := limits(f)
	return column{name: name, start: start, field: f, lo: int8(lo), hi: int8(hi)}
}

// span is a field of a row: the bytes [a, b) of its line.
type span struct{ a, b int }

// inf is the cost of an impossible assignment.
const inf = 1 << 28

// limits of a field: how many whitespace-separated tokens its value has.
// max < 0 means any number. Options may hold spaces ("5120KB/s tput" on a
// link); a SyncStatus may carry a percentage ("Syncing (20%)").
func limits(f field) (min, max int) {
	switch f {
	case fPolicy, fExtra, fLooseExtra:
		return 0, 1
	case fTargetOptions, fLinkOptions, fGroupOptions:
		return 0, -1
	case fLastSyncTime:
		return 1, 3
	case fSyncStatus:
		return 1, 2
	}
	return 1, 1
}

// tokenCost scores a single-token value for a field: 0 for a value of the
// expected shape or a known word, small costs for unknown words (kept as
// printed, but a better placement wins), inf where the value cannot be.
func tokenCost(f field, v string) int {
	switch f {
	case fID, fLocalID, fRemoteID:
		if _, ok := atoi(v); ok {
			return 0
		}
		return inf
	case fNode:
		if isNode(v) {
			return 0
		}
		return inf
	case fName, fTarget, fLocalVV, fRemoteVV:
		if isNode(v) || isDate(v) || isClock(v) {
			return 2
		}
		return 0
	case fType:
		switch v {
		case "IP", "FC":
			return 0
		}
		return wordCost(v)
	case fTargetStatus:
		switch v {
		case "ready", "failed":
			return 0
		}
		return wordCost(v)
	case fTargetOptions:
		if v == "-" || isWWN(v) {
			return 0
		}
		return 2
	case fPolicy:
		if isPolicyWord(v) {
			return 0
		}
		if isWordOf(v, "_-") {
			return 1
		}
		return 3
	case fAddress:
		if v == "receive" || isIPv4(v) || isWWN(v) || isIPv6(v) {
			return 0
		}
		return 2
	case fLinkStatus:
		switch v {
		case "Up", "Down":
			return 0
		}
		return wordCost(v)
	case fLinkOptions:
		if v == "-" {
			return 0
		}
		return 1
	case fGroupStatus:
		switch v {
		case "Started", "Stopped", "Backup":
			return 0
		}
		return wordCost(v)
	case fRole:
		switch v {
		case "Primary", "Secondary", "Primary-Rev", "Secondary-Rev":
			return 0
		}
		return wordCost(v)
	case fMode:
		switch v {
		case "Sync", "Periodic", "Async":
			return 0
		}
		return wordCost(v)
	case fSyncStatus:
		switch v {
		case "New", "Syncing", "Synced", "NotSynced", "Stale", "Stopped":
			return 0
		}
		return wordCost(v)
	case fLooseExtra:
		return 1
	}
	return 0 // fExtra, fGroupOptions
}

// wordCost is the cost of an unknown word in a word column: allowed, but
// a word with letters is far likelier than a number or node there.
func wordCost(v string) int {
	if hasLetter(v) {
		return 1
	}
	return 3
}

// emptyCost is the cost of leaving a column empty.
func emptyCost(f field) int {
	switch f {
	case fTargetOptions, fLinkOptions, fGroupOptions, fLooseExtra:
		return 0
	}
	return 1
}

// runCost scores toks (a run of consecutive tokens of line) as the value of
// field f, including whether f may hold that many tokens.
func runCost(f field, line string, toks []span) int {
	n := len(toks)
	min, max := limits(f)
	if n < min || (max >= 0 && n > max) {
		return inf
	}
	if n == 0 {
		return emptyCost(f)
	}
	switch f {
	case fLastSyncTime:
		return timeCost(line, toks)
	case fGroupOptions:
		return 0
	case fSyncStatus:
		word, _, ok := splitSyncStatus(joinRun(line, toks))
		if !ok {
			return inf
		}
		return tokenCost(f, word)
	case fTargetOptions, fLinkOptions:
		if n > 1 {
			return optionsCost(line, toks)
		}
	}
	return tokenCost(f, line[toks[0].a:toks[0].b])
}

// optionsCost scores a run of two or more tokens as a target's or link's
// Options (such as "5120KB/s tput"). Each token costs one, so that a
// shorter Options wins where a column after it can take a value; "-" (no
// options) and a policy word cannot be part of a longer value at all.
func optionsCost(line string, toks []span) int {
	for _, s := range toks {
		if v := line[s.a:s.b]; v == "-" || isPolicyWord(v) {
			return inf
		}
	}
	return len(toks)
}

// fits reports whether run can be the value of column c at all: the same
// verdict as runCost < inf, without scoring, for rows read by position.
func (c *column) fits(line string, run []span) bool {
	n := len(run)
	if n < int(c.lo) || (c.hi >= 0 && n > int(c.hi)) {
		return false
	}
	if n == 0 {
		return true
	}
	switch c.field {
	case fID, fLocalID, fRemoteID:
		_, ok := atoi(line[run[0].a:run[0].b])
		return ok
	case fNode:
		return isNode(line[run[0].a:run[0].b])
	case fLastSyncTime:
		return timeCost(line, run) < inf
	case fSyncStatus:
		_, _, ok := splitSyncStatus(joinRun(line, run))
		return ok
	}
	return true
}

// timeCost accepts a LastSyncTime: NA, or a date, a clock time and an
// optional zone. Anything else (a cut-off time, a word) is impossible.
func timeCost(line string, toks []span) int {
	t0 := line[toks[0].a:toks[0].b]
	switch len(toks) {
	case 1:
		if t0 == "NA" || t0 == "-" {
			return 0
		}
		return inf
	case 2, 3:
		if !isDate(t0) || !isClock(line[toks[1].a:toks[1].b]) {
			return inf
		}
		if len(toks) == 3 && !isZone(line[toks[2].a:toks[2].b]) {
			return inf
		}
		return 0
	}
	return inf
}

// hasPercent reports whether a SyncStatus value ends in a percentage
// ("%)"): cheap enough for every volume row.
func hasPercent(v string) bool {
	n := len(v)
	return n >= 2 && v[n-1] == ')' && v[n-2] == '%'
}

// splitSyncStatus splits a SyncStatus value into its word and the
// percentage the sending array prints while a volume syncs: "Syncing (20%)"
// (also without the blank, "Syncing(20%)") gives "Syncing", 20. A value that
// does not end in "%)" is a word. ok is false for a value that is neither:
// a percentage that is not a number from 0 to 100 ("(abc%)", "(120%)"), no
// word before it, two words, or a word with a parenthesis ("(00(0%)").
func splitSyncStatus(v string) (word string, pct float64, ok bool) {
	if !hasPercent(v) {
		return v, 0, strings.IndexByte(v, ' ') < 0 && strings.IndexByte(v, '\t') < 0
	}
	i := strings.LastIndexByte(v, '(')
	if i < 0 {
		return "", 0, false
	}
	word = trimRight(v[:i])
	if word == "" || strings.ContainsAny(word, " \t()") {
		return "", 0, false
	}
	pct, ok = parsePercent(v[i:])
	return word, pct, ok
}

// parsePercent reads "(NN%)" or "(NN.N%)" with a value from 0 to 100.
func parsePercent(s string) (float64, bool) {
	num, found := strings.CutPrefix(s, "(")
	if !found {
		return 0, false
	}
	if num, found = strings.CutSuffix(num, "%)"); !found {
		return 0, false
	}
	whole, frac, hasDot := strings.Cut(num, ".")
	if !isDigits(whole) || len(whole) > 3 || (hasDot && (!isDigits(frac) || len(frac) > 6)) {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v > 100 {
		return 0, false
	}
	return v, true
}
