package conformance

import (
	"strings"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// Verdict is the outcome for one volume or one pair check.
type Verdict string

// Verdicts, as in the check JSON contract.
const (
	Match            Verdict = "match"
	Mismatch         Verdict = "mismatch"
	NotInTable       Verdict = "not_in_table"
	NoObservation    Verdict = "no_observation"
	PairInconsistent Verdict = "pair_inconsistent"
)

// Fails reports whether the verdict makes a report non-conformant.
func (v Verdict) Fails() bool { return v == Mismatch || v == PairInconsistent }

// PairVolume is the Volume of a pair-check finding: the check covers the
// whole group.
const PairVolume = "*"

// Observed is one CIM instance (TPD_RemoteStorageSynchronized) as read from
// an array: the local volume it is about, optionally its group, and the
// triple it reports.
type Observed struct {
	Group  string // optional: the group name on this array
	Volume string // the local volume name
	expected.Triple
}

// Array is one array's input to Evaluate.
type Array struct {
	Name   string
	Output *parser.Output
	// Observed are the CIM instances read from this array. nil means CIM
	// was not read (verdicts no_observation / not_in_table); a non-nil
	// empty slice means CIM was read and reports nothing.
	Observed []Observed
}

// Options say which table to use and how.
type Options struct {
	Table  *expected.Table // nil = expected.Default()
	Strict bool            // leave uncertain rows out
}

// Finding is the verdict on one volume, or on one group pair (Volume "*").
type Finding struct {
	Step         string // optional: the step of a multi-step run (see Report.AddStep)
	Array        string // the array; "A+B" for a pair check
	Group        string // the group; "gA+gB" for a pair check
	Volume       string // the local volume; "*" for a pair check
	Role         string // the group's role; "rA+rB" for a pair check
	SyncStatus   string
	TargetStatus string // status of the group's target; "unknown" without a target section
	Observed     *expected.Triple
	Expected     []expected.Row
	Verdict      Verdict
	// Row is the id of the row the observation matched ("" otherwise).
	Row string
	// Reason says, for a person, why the verdict is what it is.
	Reason string
}

// Report is the outcome of one evaluation.
type Report struct {
	Conformant bool
	Findings   []Finding
}

// Add appends findings and sets Conformant from all findings.
func (r *Report) Add(fs ...Finding) {
	r.Findings = append(r.Findings, fs...)
	r.Conformant = true
	for _, f := range r.Findings {
		if f.Verdict.Fails() {
			r.Conformant = false
			break
		}
	}
}

// AddStep appends the findings of other under a named step (e.g. "failover"
// of a drill).
func (r *Report) AddStep(step string, other Report) {
	fs := make([]Finding, len(other.Findings))
	for i, f := range other.Findings {
		f.Step = step
		fs[i] = f
	}
	r.Add(fs...)
}

// Counts returns how many findings have each verdict.
func (r Report) Counts() map[Verdict]int {
	c := map[Verdict]int{}
	for _, f := range r.Findings {
		c[f.Verdict]++
	}
	return c
}

// Evaluate checks every volume of every array against the table and, given
// exactly two arrays, checks the pair. An array without output (nil Output)
// contributes nothing.
func Evaluate(arrays []Array, opt Options) Report {
	table := opt.Table
	if table == nil {
		table = expected.Default()
	}
	rep := Report{Conformant: true, Findings: []Finding{}}
	for _, a := range arrays {
		rep.Add(evaluateArray(a, table, opt.Strict)...)
	}
	if len(arrays) == 2 && arrays[0].Output != nil && arrays[1].Output != nil {
		rep.Add(PairFindings(arrays[0], arrays[1])...)
	}
	return rep
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

// observations indexes one array's CIM instances by volume name; each
// instance serves one finding.
type observations struct {
	byVolume map[string][]int
	all      []Observed
	used     []bool
}

func newObservations(obs []Observed) *observations {
	o := &observations{byVolume: map[string][]int{}, all: obs, used: make([]bool, len(obs))}
	for i, x := range obs {
		o.byVolume[x.Volume] = append(o.byVolume[x.Volume], i)
	}
	return o
}

// take returns an unused instance for a volume of a group (an instance
// naming a group must name this one). With conforming set, only an instance
// that conforms to rows will do: a volume of a group replicated to two
// targets has two instances, and each should go where it fits.
func (o *observations) take(group, volume string, rows []expected.Row, conforming bool) (expected.Triple, bool) {
	for _, i := range o.byVolume[volume] {
		x := o.all[i]
		if o.used[i] || (x.Group != "" && x.Group != group) {
			continue
		}
		if conforming {
			if _, ok := expected.Conforms(rows, x.Triple); !ok {
				continue
			}
		}
		o.used[i] = true
		return x.Triple, true
	}
	return expected.Triple{}, false
}

func evaluateArray(a Array, table *expected.Table, strict bool) []Finding {
	if a.Output == nil {
		return nil
	}
	var out []Finding
	for _, g := range a.Output.Groups {
		target := TargetStatus(a.Output, g.Target)
		for _, v := range g.Volumes {
			rows := table.Match(expected.Observation{Role: g.Role, SyncStatus: v.SyncStatus, TargetStatus: target, GroupStatus: g.Status}, strict)
			f := Finding{
				Array: a.Name, Group: g.Name, Volume: v.LocalVV, Role: g.Role, SyncStatus: v.SyncStatus,
				TargetStatus: target, Expected: rows,
			}
			if f.TargetStatus == "" {
				f.TargetStatus = expected.TargetUnknown
			}
			out = append(out, f)
		}
	}
	if a.Observed == nil {
		for i := range out {
			judge(&out[i], nil, false, strict)
		}
		return out
	}
	// Two passes: conforming instances first, then whatever is left.
	obs := newObservations(a.Observed)
	found := make([]*expected.Triple, len(out))
	for _, conforming := range []bool{true, false} {
		for i, f := range out {
			if found[i] != nil {
				continue
			}
			if t, ok := obs.take(f.Group, f.Volume, f.Expected, conforming); ok {
				found[i] = &t
			}
		}
	}
	for i := range out {
		judge(&out[i], found[i], true, strict)
	}
	return out
}

// judge sets the verdict, matched row and reason of a volume finding.
// cimRead says whether CIM was read for the array; observed is the instance
// for this volume (nil: none).
func judge(f *Finding, observed *expected.Triple, cimRead, strict bool) {
	combo := func() string { return f.Role + "/" + f.SyncStatus + " with target " + f.TargetStatus }
	if !cimRead {
		if len(f.Expected) == 0 {
			f.Verdict, f.Reason = NotInTable, combo()+" is in no table row"+strictNote(strict)
		} else {
			f.Verdict, f.Reason = NoObservation, "CIM not read; expected "+rowIDs(f.Expected)
		}
		return
	}
	if observed == nil {
		f.Verdict, f.Reason = Mismatch, "CIM does not report this replicated volume"
		return
	}
	t := *observed
	f.Observed = observed
	if len(f.Expected) == 0 {
		f.Verdict, f.Reason = NotInTable, combo()+" is in no table row"+strictNote(strict)+"; observed "+t.String()
		return
	}
	row, ok := expected.Conforms(f.Expected, t)
	if !ok {
		f.Verdict, f.Reason = Mismatch, "observed "+t.String()+" is none of "+rowIDs(f.Expected)
		return
	}
	f.Verdict, f.Row = Match, row.ID
	f.Reason = "matches " + row.ID
	if row.Uncertain {
		f.Reason += " (uncertain row: " + row.Note + ")"
	}
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
