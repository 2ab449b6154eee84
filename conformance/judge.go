package conformance

import (
	"fmt"
	"slices"
	"strings"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// Verdict is the outcome for one volume (leg) or one pair check.
type Verdict string

// Verdicts, as in the check JSON contract.
const (
	Match            Verdict = "match"
	Mismatch         Verdict = "mismatch"
	NotInTable       Verdict = "not_in_table"
	NoObservation    Verdict = "no_observation"
	PairInconsistent Verdict = "pair_inconsistent"
)

// Fails reports whether the verdict makes a report non-conformant; strict
// counts not_in_table as a failure too.
func (v Verdict) Fails(strict bool) bool {
	return v == Mismatch || v == PairInconsistent || (strict && v == NotInTable)
}

// PairVolume is the Volume of a pair-check finding: the check covers the
// whole group.
const PairVolume = "*"

// Input is what was read from one array.
type Input struct {
	Name   string
	Output *parser.Output // nil: the array could not be read; it contributes nothing
	// CIM holds the instances read from the array's CIM server. nil means
	// CIM was not read (verdicts no_observation / not_in_table); a non-nil
	// empty slice means CIM was read and reports nothing.
	CIM []Observed
}

// Options say which table to use and how.
type Options struct {
	Table  *expected.Table // nil = expected.Default()
	Strict bool            // leave uncertain rows out; not_in_table fails
	// Rows, when not nil, narrows what is expected to these row ids (the
	// rows a step of a walk must show on this array): an observation that
	// none of them covers is a mismatch.
	Rows []string
}

func (o Options) table() *expected.Table {
	if o.Table == nil {
		return expected.Default()
	}
	return o.Table
}

// Finding is the verdict on one volume as listed for one target (a leg),
// or on one group pair (Volume "*").
type Finding struct {
	Step         string // optional: the step of a multi-step run (see Report.AddStep)
	Array        string // the array; "A+B" for a pair check
	Group        string // the group; "gA+gB" for a pair check
	Target       string // the group's target (leg); "" for a pair check
	Volume       string // the local volume; "*" for a pair check
	Role         string // the group's role; "rA+rB" for a pair check
	SyncStatus   string
	TargetStatus string // status of the group's target; "unknown" without a target section
	// Observed is the CIM instance judged (nil: none). With several
	// instances for one leg, the first that does not conform.
	Observed *ObservedTriple
	Expected []expected.Row // the rows that apply
	Verdict  Verdict
	Matched  string // the id of the row the observation matched ("" otherwise)
	Reason   string // why, for a person
	// Printed is the volume's row as showrcopy printed it (nil for a pair
	// check), for renderings that show more of it.
	Printed *parser.Volume
}

// Rows are the ids of the rows that apply.
func (f Finding) Rows() []string {
	ids := make([]string, len(f.Expected))
	for i, r := range f.Expected {
		ids[i] = r.ID
	}
	return ids
}

// Listing is a group as showrcopy lists it for one target, with the
// findings on its volumes. A group replicated to two targets (Synchronous
// Long Distance) is two listings; each CIM instance of a volume is judged
// against the listing of the target it is for.
type Listing struct {
	Group        *parser.Group
	TargetStatus string // ready, failed, any word printed, or "unknown"
	// Findings hold one finding per volume, in the order printed; a volume
	// name printed twice in one listing counts once (the first row).
	Findings []Finding
}

// listings returns the listings of an output: a (group, target) printed
// twice counts once (the first), so that no volume is judged twice.
func listings(out *parser.Output) []Listing {
	var ls []Listing
	seen := map[[2]string]bool{}
	for i := range out.Groups {
		g := &out.Groups[i]
		k := [2]string{g.Name, g.Target}
		if seen[k] {
			continue
		}
		seen[k] = true
		ts := TargetStatus(out, g.Target)
		if ts == "" {
			ts = expected.TargetUnknown
		}
		ls = append(ls, Listing{Group: g, TargetStatus: ts})
	}
	return ls
}

// TargetStatus returns the status of the named target in the output's
// Target Information, or "" when the output has no such section or the
// target is not listed (unknown).
func TargetStatus(out *parser.Output, target string) string {
	if !out.HasSection("targets") {
		return ""
	}
	for _, t := range out.Targets {
		if t.Name == target {
			return t.Status
		}
	}
	return ""
}

// Judge is the one judgement: it checks every volume of every listing of
// one array against the state tables and, when CIM was read, against what
// the CIM server reports. The exporter's series, `checker check`,
// `checker simulate` and the drill are all renderings of its findings.
func Judge(in Input, opt Options) []Listing {
	if in.Output == nil {
		return nil
	}
	table := opt.table()
	ls := listings(in.Output)
	legs := attribute(in, ls)
	for li := range ls {
		l := &ls[li]
		g := l.Group
		seen := map[string]bool{}
		l.Findings = make([]Finding, 0, len(g.Volumes))
		for vi := range g.Volumes {
			v := &g.Volumes[vi]
			if seen[v.LocalVV] {
				continue
			}
			seen[v.LocalVV] = true
			f := Finding{
				Array: in.Name, Group: g.Name, Target: g.Target, Volume: v.LocalVV, Role: g.Role,
				SyncStatus: v.SyncStatus, TargetStatus: l.TargetStatus, Printed: v,
				Expected: table.Match(expected.Observation{Role: g.Role, SyncStatus: v.SyncStatus,
					TargetStatus: l.TargetStatus, GroupStatus: g.Status}, opt.Strict),
			}
			leg := legs.of(li, v.LocalVV)
			judge(&f, in.CIM != nil, leg, opt, table)
			l.Findings = append(l.Findings, f)
		}
	}
	return ls
}

// leg is what CIM reported for one volume of one listing.
type leg struct {
	instances []*Observed
	// elsewhere lists the peers of this volume's instances that could be
	// put on no listing (the group has several targets and the instance
	// names none of them).
	elsewhere []string
}

type legIndex map[legKey]*leg

type legKey struct {
	listing int
	volume  string
}

func (ix legIndex) of(listing int, volume string) *leg {
	if l := ix[legKey{listing, volume}]; l != nil {
		return l
	}
	return &leg{}
}

// attribute puts every CIM instance on the listing it is for: the one whose
// target the instance names (its Target, or its Peer matching the target's
// name or the WWN an FC target prints in its Options), or, when the volume
// is listed for one target only, that one. An instance whose Peer names
// none of the listings' targets belongs to the one listing whose target is
// not known to be another system, when every other listing's target prints
// a WWN (an FC target) that is not the peer: a Synchronous Long Distance
// leg to an IP target, which prints no WWN, beside an FC leg (sample S6).
// That is a deduction, not a guess. An instance left with several possible
// listings is put on none: which leg it describes cannot be told, and
// guessing could hide a fault.
func attribute(in Input, ls []Listing) legIndex {
	ix := legIndex{}
	if in.CIM == nil {
		return ix
	}
	holders := map[string][]int{} // volume -> listings that hold it
	for li, l := range ls {
		for _, v := range l.Group.Volumes {
			if hs := holders[v.LocalVV]; len(hs) == 0 || hs[len(hs)-1] != li {
				holders[v.LocalVV] = append(hs, li)
			}
		}
	}
	get := func(li int, vol string) *leg {
		k := legKey{li, vol}
		if ix[k] == nil {
			ix[k] = &leg{}
		}
		return ix[k]
	}
	for i := range in.CIM {
		o := &in.CIM[i]
		var cands []int
		for _, li := range holders[o.Volume] {
			if o.Group == "" || ls[li].Group.Name == o.Group {
				cands = append(cands, li)
			}
		}
		if len(cands) == 0 {
			continue // a volume showrcopy does not list: nothing to judge it against
		}
		var named []int
		for _, li := range cands {
			if o.names(in.Output, ls[li].Group.Target) {
				named = append(named, li)
			}
		}
		switch {
		case len(named) > 0:
			for _, li := range named {
				get(li, o.Volume).instances = append(get(li, o.Volume).instances, o)
			}
		case len(cands) == 1 && o.Target == "":
			get(cands[0], o.Volume).instances = append(get(cands[0], o.Volume).instances, o)
		case o.Target == "" && o.Peer != "" && len(unidentified(in.Output, ls, cands)) == 1:
			li := unidentified(in.Output, ls, cands)[0]
			get(li, o.Volume).instances = append(get(li, o.Volume).instances, o)
		default:
			peer := o.Target
			if peer == "" {
				peer = o.Peer
			}
			if peer == "" {
				peer = "(no peer named)"
			}
			for _, li := range cands {
				l := get(li, o.Volume)
				l.elsewhere = append(l.elsewhere, peer)
			}
		}
	}
	return ix
}

// unidentified returns the listings among cands whose target does not
// print a WWN: which system it is cannot be told from the output.
func unidentified(out *parser.Output, ls []Listing, cands []int) []int {
	var u []int
	for _, li := range cands {
		if targetWWN(out, ls[li].Group.Target) == "" {
			u = append(u, li)
		}
	}
	return u
}

// targetWWN is the WWN a target prints in its Options (FC targets), "" for
// none ("-" or empty: IP targets).
func targetWWN(out *parser.Output, target string) string {
	for _, t := range out.Targets {
		if t.Name == target && t.Options != "" && t.Options != "-" {
			return t.Options
		}
	}
	return ""
}

// names reports whether the instance says it is for the named target.
func (o *Observed) names(out *parser.Output, target string) bool {
	if o.Target != "" {
		return strings.EqualFold(o.Target, target)
	}
	if o.Peer == "" {
		return false
	}
	if strings.EqualFold(o.Peer, target) {
		return true
	}
	for _, t := range out.Targets {
		if t.Name == target && t.Options != "" && strings.EqualFold(t.Options, o.Peer) {
			return true
		}
	}
	return false
}

// judge sets the verdict, matched row and reason of a volume finding.
func judge(f *Finding, cimRead bool, l *leg, opt Options, table *expected.Table) {
	combo := f.Role + "/" + f.SyncStatus + " with target " + f.TargetStatus
	if opt.Rows != nil && !narrow(f, opt, table, combo) {
		return
	}
	if len(l.instances) > 0 {
		f.Observed = &l.instances[0].ObservedTriple
	}
	// A replicated volume that CIM does not report is a fault whatever its
	// state; one whose state no row covers has nothing to conform to.
	switch {
	case cimRead && len(l.instances) == 0 && len(l.elsewhere) == 0:
		f.Verdict, f.Reason = Mismatch, "CIM does not report this replicated volume"
		if f.Target != "" {
			f.Reason += " for target " + f.Target
		}
		return
	case len(f.Expected) == 0:
		f.Verdict, f.Reason = NotInTable, combo+" is in no table row"+strictNote(opt.Strict)
		if f.Observed != nil {
			f.Reason += "; observed " + f.Observed.String()
		}
		return
	case !cimRead:
		f.Verdict, f.Reason = NoObservation, "CIM not read; expected "+rowIDs(f.Expected)
		return
	case len(l.instances) == 0:
		f.Verdict = NoObservation
		f.Reason = fmt.Sprintf("CIM reports this volume for peer %s, which is none of the group's targets here; which leg it describes cannot be told",
			strings.Join(l.elsewhere, ", "))
		return
	}
	var matched expected.Row
	for _, o := range l.instances {
		row, ok := o.conforms(f.Expected)
		if !ok {
			f.Observed = &o.ObservedTriple
			f.Verdict, f.Matched = Mismatch, ""
			f.Reason = "observed " + o.String() + " is none of " + rowIDs(f.Expected)
			if len(l.instances) > 1 {
				f.Reason += fmt.Sprintf(" (one of %d CIM instances for this leg)", len(l.instances))
			}
			return
		}
		if matched.ID == "" {
			matched = row
		}
	}
	f.Verdict, f.Matched = Match, matched.ID
	f.Reason = "matches " + matched.ID
	if matched.Uncertain {
		f.Reason += " (uncertain row: " + matched.Note + ")"
	}
}

// narrow keeps, of the rows that apply, those opt.Rows names. When none is
// left the finding is a mismatch (the array is not where the step expects
// it) and narrow reports false.
func narrow(f *Finding, opt Options, table *expected.Table, combo string) bool {
	var keep []expected.Row
	for _, r := range f.Expected {
		if slices.Contains(opt.Rows, r.ID) {
			keep = append(keep, r)
		}
	}
	if len(keep) > 0 {
		f.Expected = keep
		return true
	}
	var want []expected.Row
	for _, id := range opt.Rows {
		if r, ok := table.Row(id); ok && !(opt.Strict && r.Uncertain) {
			want = append(want, r)
		}
	}
	where := "in no table row"
	if len(f.Expected) > 0 {
		where = "row " + rowIDs(f.Expected)
	}
	f.Verdict = Mismatch
	f.Reason = fmt.Sprintf("showrcopy shows %s, which is %s; expected here: %s", combo, where, stateOfRows(want))
	f.Expected = want
	return false
}

// stateOfRows is "T110-2 (Primary-Rev/Stopped) or T110-3 (...)".
func stateOfRows(rows []expected.Row) string {
	if len(rows) == 0 {
		return "a row missing from the table"
	}
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = r.ID + " (" + strings.Join(r.Match.Role, ",") + "/" + strings.Join(r.Match.SyncStatus, ",") + ")"
	}
	return strings.Join(parts, " or ")
}

func strictNote(strict bool) string {
	if strict {
		return " (strict: uncertain rows left out)"
	}
	return ""
}

func rowIDs(rows []expected.Row) string {
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return strings.Join(ids, ", ")
}
