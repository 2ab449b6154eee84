package conformance

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// vol is a volume pair as one array prints it.
func vol(local string, lid int, remote string, rid int, sync string) parser.Volume {
	return parser.Volume{LocalVV: local, LocalID: lid, RemoteVV: remote, RemoteID: rid, SyncStatus: sync}
}

func group(name, target, status, role string, vols ...parser.Volume) parser.Group {
	return parser.Group{Name: name, Target: target, Status: status, Role: role, Mode: "Periodic", Options: []string{}, Volumes: vols}
}

// output builds a showrcopy model; targets are "name=status" (nil: no
// target section, so target status unknown).
func output(targets []string, groups ...parser.Group) *parser.Output {
	o := &parser.Output{System: parser.System{Status: "Started", Detail: "Normal"}, Targets: []parser.Target{}, Links: []parser.Link{}, Groups: groups, Sections: []string{"system"}}
	if targets != nil {
		o.Sections = append(o.Sections, "targets")
		for i, t := range targets {
			name, status, _ := strings.Cut(t, "=")
			o.Targets = append(o.Targets, parser.Target{Name: name, ID: i + 1, Type: "IP", Status: status, Policy: "mirror_config"})
		}
	}
	o.Sections = append(o.Sections, "groups")
	return o
}

func triple(cs expected.CopyState, ss expected.SyncState, ps expected.ProgressStatus, rr bool) expected.Triple {
	return expected.Triple{CopyState: cs, SyncState: ss, ProgressStatus: ps, RoleReversed: rr}
}

var synced = triple(expected.CopySynchronized, expected.SyncSynchronized, expected.ProgressCompleted, false)

func verdicts(r Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Array+"/"+f.Group+"/"+f.Volume+"="+string(f.Verdict))
	}
	return out
}

func TestEvaluateWithoutCIM(t *testing.T) {
	a := Input{Name: "a", Output: output([]string{"B=ready"},
		group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced"), vol("v2", 2, "v2", 12, "Failsafe")),
	)}
	r := Evaluate([]Input{a}, Options{})
	if got, want := verdicts(r), []string{"a/g1/v1=no_observation", "a/g1/v2=not_in_table"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if !r.Conformant {
		t.Error("no_observation and not_in_table must not fail the run")
	}
	f := r.Findings[0]
	if f.Role != "Primary" || f.SyncStatus != "Synced" || f.TargetStatus != "ready" || f.Observed != nil {
		t.Errorf("finding fields: %+v", f)
	}
	if got := rowIDs(f.Expected); got != "T109-synced, T110-14" {
		t.Errorf("expected rows %s", got)
	}
}

func TestEvaluateWithCIM(t *testing.T) {
	out := output([]string{"B=ready"},
		group("g1", "B", "Started", "Primary",
			vol("v1", 1, "v1", 11, "Synced"),
			vol("v2", 2, "v2", 12, "Synced"),
			vol("v3", 3, "v3", 13, "Synced"),
			vol("v4", 4, "v4", 14, "Failsafe")),
	)
	obs := []Observed{
		{Volume: "v1", ObservedTriple: ObservedTriple{Triple: synced}},
		{Group: "g1", Volume: "v2", ObservedTriple: ObservedTriple{Triple: triple(expected.CopyBroken, expected.SyncSynchronized, expected.ProgressCompleted, false)}},
		{Volume: "v4", ObservedTriple: ObservedTriple{Triple: synced}},
		// v3: not reported by CIM
	}
	r := Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{})
	want := []string{"a/g1/v1=match", "a/g1/v2=mismatch", "a/g1/v3=mismatch", "a/g1/v4=not_in_table"}
	if got := verdicts(r); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if r.Conformant {
		t.Error("a mismatch must make the report non-conformant")
	}
	if r.Findings[0].Matched != "T109-synced" {
		t.Errorf("matched row %q", r.Findings[0].Matched)
	}
	if r.Findings[2].Observed != nil || !strings.Contains(r.Findings[2].Reason, "does not report") {
		t.Errorf("missing volume: %+v", r.Findings[2])
	}
	if r.Findings[3].Observed == nil {
		t.Error("not_in_table with CIM keeps the observation")
	}
	// CIM read but empty: every volume is a mismatch, in the tables or not
	// (CIM must report every replicated volume).
	r = Evaluate([]Input{{Name: "a", Output: out, CIM: []Observed{}}}, Options{})
	if c := r.Counts(); c[Mismatch] != 4 || len(r.Findings) != 4 {
		t.Errorf("empty CIM: %v", c)
	}
}

func TestTargetStatusSplitsTables(t *testing.T) {
	g := group("g1.r96", "A", "Stopped", "Secondary", vol("v1", 11, "v1", 1, "Stopped"))
	cases := []struct {
		targets []string
		status  string
		rows    string
	}{
		{[]string{"A=ready"}, "ready", "T109-stopped"},
		{[]string{"A=failed"}, "failed", "T110-1"},
		{nil, "unknown", "T109-stopped, T110-1"},
		{[]string{"Other=ready"}, "unknown", "T109-stopped, T110-1"},
	}
	for _, c := range cases {
		r := Evaluate([]Input{{Name: "b", Output: output(c.targets, g)}}, Options{})
		f := r.Findings[0]
		if f.TargetStatus != c.status || rowIDs(f.Expected) != c.rows {
			t.Errorf("targets %v: target status %q rows %s; want %q %s", c.targets, f.TargetStatus, rowIDs(f.Expected), c.status, c.rows)
		}
	}
}

// uncertainTable marks T109-synced uncertain, as a user table may mark a
// row (the built-in tables have no uncertain row left).
func uncertainTable(t *testing.T) *expected.Table {
	t.Helper()
	row, _ := expected.Default().Row("T109-synced")
	user := fmt.Sprintf(`rows:
  - id: T109-synced
    table: "109"
    array: either
    match: {role: [Primary, Secondary], sync_status: Synced, target_status: [ready, unknown]}
    copy_state: %d
    sync_state: %d
    progress_status: %d
    role_reversed: false
    uncertain: true
    note: marked uncertain by a test
`, row.CopyState, row.SyncState, row.ProgressStatus)
	tbl, err := expected.ParseUserTable("user.yml", []byte(user))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

func TestStrictDropsUncertainAndFailsNotInTable(t *testing.T) {
	out := output([]string{"B=ready"}, group("g", "B", "Started", "Primary",
		vol("v1", 1, "v1", 11, "Synced"), vol("v2", 2, "v2", 12, "Synced")))
	// v2 is Synced in showrcopy but the only row left under strict is
	// T110-14, which v1's instance matches too: strict keeps v1 a match
	// through T110-14 and drops T109-synced from what is expected.
	obs := []Observed{{Volume: "v1", ObservedTriple: ObservedTriple{Triple: synced}}, {Volume: "v2", ObservedTriple: ObservedTriple{Triple: synced}}}
	tbl := uncertainTable(t)
	r := Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{Table: tbl})
	if f := r.Findings[0]; f.Verdict != Match || f.Matched != "T109-synced" || !strings.Contains(f.Reason, "uncertain") {
		t.Errorf("default: %+v", f)
	}
	r = Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{Table: tbl, Strict: true})
	if f := r.Findings[0]; f.Verdict != Match || f.Matched != "T110-14" || slices.ContainsFunc(f.Expected, func(x expected.Row) bool { return x.Uncertain }) {
		t.Errorf("strict: %+v", f)
	}

	// not_in_table passes by default and fails under strict.
	odd := output([]string{"B=ready"}, group("g", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Failsafe")))
	if r := Evaluate([]Input{{Name: "a", Output: odd}}, Options{}); !r.Conformant {
		t.Error("not_in_table must not fail a default run")
	}
	if r := Evaluate([]Input{{Name: "a", Output: odd}}, Options{Strict: true}); r.Conformant || r.Findings[0].Verdict != NotInTable {
		t.Errorf("strict: not_in_table must fail the run: %+v", r)
	}
}

func TestNullFieldsNeverConform(t *testing.T) {
	out := output([]string{"B=ready"}, group("g", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced")))
	for _, null := range []Nulls{{CopyState: true}, {SyncState: true}, {ProgressStatus: true}, {RoleReversed: true}} {
		obs := []Observed{{Volume: "v1", ObservedTriple: ObservedTriple{Triple: synced, Null: null}}}
		r := Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{})
		f := r.Findings[0]
		if f.Verdict != Mismatch || !strings.Contains(f.Reason, "NULL") || f.Observed == nil || f.Observed.Null != null {
			t.Errorf("null %+v: %+v", null, f)
		}
	}
}

// sldSecondary is sample S6: a Synchronous Long Distance secondary whose
// group is listed once per target; each volume has one CIM instance per leg.
func sldSecondary() *parser.Output {
	return output([]string{"SystemA=failed", "SystemC=ready"},
		group("multi.1.r96", "SystemA", "Stopped", "Secondary", vol("testvv.0", 200, "testvv.0", 100, "Stopped")),
		group("multi.1.r96", "SystemC", "Backup", "Secondary", vol("testvv.0", 200, "testvv.0", 300, "Synced")),
	)
}

func TestEachLegJudgedByItsOwnInstance(t *testing.T) {
	out := sldSecondary()
	sld := ObservedTriple{Triple: triple(expected.CopyInitialized, expected.SyncInitialized, expected.ProgressDormant, false)}
	broken := ObservedTriple{Triple: triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressCompleted, false)}
	legs := func(r Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.Target+"="+string(f.Verdict)+":"+f.Matched)
		}
		return out
	}
	cases := []struct {
		name string
		obs  []Observed
		want []string
	}{
		{"by target, each fits its leg",
			[]Observed{{Volume: "testvv.0", Target: "SystemA", ObservedTriple: broken}, {Volume: "testvv.0", Target: "SystemC", ObservedTriple: sld}},
			[]string{"SystemA=match:T110-1", "SystemC=match:SLD-backup"}},
		{"by peer name, listed the other way round",
			[]Observed{{Volume: "testvv.0", Peer: "systemc", ObservedTriple: sld}, {Volume: "testvv.0", Peer: "SYSTEMA", ObservedTriple: broken}},
			[]string{"SystemA=match:T110-1", "SystemC=match:SLD-backup"}},
		// The fault the old "any instance that fits" rule hid: the
		// instances are swapped, so each leg reports the other's triple.
		{"swapped legs are two mismatches",
			[]Observed{{Volume: "testvv.0", Target: "SystemA", ObservedTriple: sld}, {Volume: "testvv.0", Target: "SystemC", ObservedTriple: broken}},
			[]string{"SystemA=mismatch:", "SystemC=mismatch:"}},
		{"one leg conforms, the other does not",
			[]Observed{{Volume: "testvv.0", Target: "SystemA", ObservedTriple: broken}, {Volume: "testvv.0", Target: "SystemC", ObservedTriple: broken}},
			[]string{"SystemA=match:T110-1", "SystemC=mismatch:"}},
		{"one leg unreported",
			[]Observed{{Volume: "testvv.0", Target: "SystemC", ObservedTriple: sld}},
			[]string{"SystemA=mismatch:", "SystemC=match:SLD-backup"}},
		{"a peer that names no target cannot be put on a leg",
			[]Observed{{Volume: "testvv.0", Peer: "2FF70002AC0000FF", ObservedTriple: sld}},
			[]string{"SystemA=no_observation:", "SystemC=no_observation:"}},
	}
	for _, c := range cases {
		r := Evaluate([]Input{{Name: "b", Output: out, CIM: c.obs}}, Options{})
		if got := legs(r); !slices.Equal(got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestPeerWWNOfAnFCTarget(t *testing.T) {
	out := sldSecondary()
	out.Targets[0].Type, out.Targets[0].Options = "FC", "2FF70002AC000060"
	broken := ObservedTriple{Triple: triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressCompleted, false)}
	r := Evaluate([]Input{{Name: "b", Output: out, CIM: []Observed{{Volume: "testvv.0", Peer: "2ff70002ac000060", ObservedTriple: broken}}}}, Options{})
	if f := r.Findings[0]; f.Target != "SystemA" || f.Verdict != Match {
		t.Errorf("the FC target's WWN names its leg: %+v", f)
	}
}

// TestPeerByElimination: sample S6 as printed, SystemA an FC target with
// its WWN, SystemC an IP target without one. An instance whose peer is not
// SystemA's WWN can only be the leg to SystemC; one naming SystemA's WWN is
// SystemA's. With both targets IP (no WWN printed) nothing can be told.
func TestPeerByElimination(t *testing.T) {
	sld := ObservedTriple{Triple: triple(expected.CopyInitialized, expected.SyncInitialized, expected.ProgressDormant, false)}
	broken := ObservedTriple{Triple: triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressCompleted, false)}
	obs := []Observed{{Volume: "testvv.0", Peer: "2FF70002AC00002F", ObservedTriple: sld}, {Volume: "testvv.0", Peer: "2FF70002AC000060", ObservedTriple: broken}}
	legs := func(out *parser.Output, obs []Observed) []string {
		var got []string
		for _, f := range Evaluate([]Input{{Name: "b", Output: out, CIM: obs}}, Options{}).Findings {
			got = append(got, f.Target+"="+string(f.Verdict)+":"+f.Matched)
		}
		return got
	}
	fc := sldSecondary()
	fc.Targets[0].Type, fc.Targets[0].Options = "FC", "2FF70002AC000060"
	fc.Targets[1].Options = "-"
	if got, want := legs(fc, obs), []string{"SystemA=match:T110-1", "SystemC=match:SLD-backup"}; !slices.Equal(got, want) {
		t.Errorf("FC and IP target: %v, want %v", got, want)
	}
	// The IP leg's instance carries the FC leg's triple: a mismatch there,
	// not hidden by the FC leg's own instance.
	swapped := []Observed{{Volume: "testvv.0", Peer: "2FF70002AC00002F", ObservedTriple: broken}, {Volume: "testvv.0", Peer: "2FF70002AC000060", ObservedTriple: broken}}
	if got, want := legs(fc, swapped), []string{"SystemA=match:T110-1", "SystemC=mismatch:"}; !slices.Equal(got, want) {
		t.Errorf("wrong triple on the IP leg: %v, want %v", got, want)
	}
	// Explicit targets (a saved observation) are never deduced.
	named := []Observed{{Volume: "testvv.0", Target: "SystemX", ObservedTriple: sld}, {Volume: "testvv.0", Peer: "2FF70002AC000060", ObservedTriple: broken}}
	if got, want := legs(fc, named), []string{"SystemA=match:T110-1", "SystemC=no_observation:"}; !slices.Equal(got, want) {
		t.Errorf("an explicit target that names no listing: %v, want %v", got, want)
	}
	if got, want := legs(sldSecondary(), obs), []string{"SystemA=no_observation:", "SystemC=no_observation:"}; !slices.Equal(got, want) {
		t.Errorf("two IP targets: %v, want %v", got, want)
	}
}

func TestOnlyTheStepsRows(t *testing.T) {
	out := output([]string{"B=ready"}, group("g", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced")))
	obs := []Observed{{Volume: "v1", ObservedTriple: ObservedTriple{Triple: synced}}}
	r := Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{Rows: []string{"T110-14"}})
	if f := r.Findings[0]; f.Verdict != Match || f.Matched != "T110-14" || !slices.Equal(f.Rows(), []string{"T110-14"}) {
		t.Errorf("narrowed to T110-14: %+v", f)
	}
	r = Evaluate([]Input{{Name: "a", Output: out, CIM: obs}}, Options{Rows: []string{"T110-9"}})
	if f := r.Findings[0]; f.Verdict != Mismatch || !strings.Contains(f.Reason, "expected here: T110-9 (Secondary-Rev/Synced)") || !slices.Equal(f.Rows(), []string{"T110-9"}) {
		t.Errorf("a state the step does not expect: %+v", f)
	}
}

func TestReportAddStep(t *testing.T) {
	var all Report
	ok := Report{Conformant: true, Findings: []Finding{{Array: "a", Verdict: Match}}}
	bad := Report{Findings: []Finding{{Array: "a", Verdict: PairInconsistent}}}
	all.AddStep("normal", ok)
	if !all.Conformant || all.Findings[0].Step != "normal" {
		t.Errorf("after one good step: %+v", all)
	}
	all.AddStep("failover", bad)
	if all.Conformant || len(all.Findings) != 2 || all.Findings[1].Step != "failover" {
		t.Errorf("after a bad step: %+v", all)
	}
	if ok.Findings[0].Step != "" {
		t.Error("AddStep modified its argument")
	}
}

// FuzzJudge feeds arbitrary showrcopy output and CIM observations to the
// judgement: it must not panic, and its findings must hold together.
func FuzzJudge(f *testing.F) {
	f.Add([]byte("Remote Copy System Information\nStatus: Started, Normal\n\nGroup Information\n\n"+
		"Name Target Status Role Mode Options\ng1 B Started Primary Sync\n  LocalVV ID RemoteVV ID SyncStatus LastSyncTime\n  v1 1 v1 11 Synced NA\n"),
		[]byte("instances:\n  - {volume: v1, target: B, copy_state: Synchronized, sync_state: 6, progress_status: Completed, role_reversed: false}\n"))
	f.Fuzz(func(t *testing.T, showrcopy, cimYAML []byte) {
		out, err := parser.Parse(showrcopy)
		if err != nil {
			return
		}
		obs, err := ParseObserved("f.yaml", cimYAML, out)
		if err != nil {
			obs = nil // judge without CIM
		}
		for _, l := range Judge(Input{Name: "a", Output: out, CIM: obs}, Options{}) {
			seen := map[string]bool{}
			for _, f := range l.Findings {
				if seen[f.Volume] {
					t.Fatalf("volume %q judged twice in listing %s/%s", f.Volume, l.Group.Name, l.Group.Target)
				}
				seen[f.Volume] = true
				switch f.Verdict {
				case Match:
					if f.Observed == nil || !slices.Contains(f.Rows(), f.Matched) {
						t.Fatalf("match without an observation or its row: %+v", f)
					}
				case NotInTable:
					if len(f.Expected) != 0 {
						t.Fatalf("not_in_table with rows: %+v", f)
					}
				case NoObservation:
					if obs == nil && f.Observed != nil {
						t.Fatalf("no_observation with an observation: %+v", f)
					}
				case Mismatch:
					if obs == nil {
						t.Fatalf("mismatch without CIM: %+v", f)
					}
				default:
					t.Fatalf("verdict %q", f.Verdict)
				}
			}
		}
	})
}
