package conformance

import (
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
	a := Array{Name: "a", Output: output([]string{"B=ready"},
		group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced"), vol("v2", 2, "v2", 12, "Failsafe")),
	)}
	r := Evaluate([]Array{a}, Options{})
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
		{Volume: "v1", Triple: synced},
		{Group: "g1", Volume: "v2", Triple: triple(expected.CopyBroken, expected.SyncSynchronized, expected.ProgressCompleted, false)},
		{Volume: "v4", Triple: synced},
		// v3: not reported by CIM
	}
	r := Evaluate([]Array{{Name: "a", Output: out, Observed: obs}}, Options{})
	want := []string{"a/g1/v1=match", "a/g1/v2=mismatch", "a/g1/v3=mismatch", "a/g1/v4=not_in_table"}
	if got := verdicts(r); !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if r.Conformant {
		t.Error("a mismatch must make the report non-conformant")
	}
	if r.Findings[0].Row != "T109-synced" {
		t.Errorf("matched row %q", r.Findings[0].Row)
	}
	if r.Findings[2].Observed != nil || !strings.Contains(r.Findings[2].Reason, "does not report") {
		t.Errorf("missing volume: %+v", r.Findings[2])
	}
	if r.Findings[3].Observed == nil {
		t.Error("not_in_table with CIM keeps the observation")
	}
	// CIM read but empty: every volume is a mismatch, in the tables or not
	// (CIM must report every replicated volume).
	r = Evaluate([]Array{{Name: "a", Output: out, Observed: []Observed{}}}, Options{})
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
		{[]string{"A=ready"}, "ready", "T109-stopped, T110-1"},
		{[]string{"A=failed"}, "failed", "T110-1"},
		{nil, "unknown", "T109-stopped, T110-1"},
		{[]string{"Other=ready"}, "unknown", "T109-stopped, T110-1"},
	}
	for _, c := range cases {
		r := Evaluate([]Array{{Name: "b", Output: output(c.targets, g)}}, Options{})
		f := r.Findings[0]
		if f.TargetStatus != c.status || rowIDs(f.Expected) != c.rows {
			t.Errorf("targets %v: target status %q rows %s; want %q %s", c.targets, f.TargetStatus, rowIDs(f.Expected), c.status, c.rows)
		}
	}
}

func TestStrictDropsUncertain(t *testing.T) {
	out := output([]string{"A=failed"}, group("g.r1", "A", "Stopped", "Primary-Rev", vol("v1", 11, "v1", 1, "Stopped")))
	obs := []Observed{{Volume: "v1", Triple: triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressCompleted, true)}}
	r := Evaluate([]Array{{Name: "b", Output: out, Observed: obs}}, Options{})
	if f := r.Findings[0]; f.Verdict != Match || f.Row != "T110-3b" || !strings.Contains(f.Reason, "uncertain") {
		t.Errorf("default: %+v", f)
	}
	r = Evaluate([]Array{{Name: "b", Output: out, Observed: obs}}, Options{Strict: true})
	if f := r.Findings[0]; f.Verdict != Mismatch || slices.ContainsFunc(f.Expected, func(x expected.Row) bool { return x.Uncertain }) {
		t.Errorf("strict: %+v", f)
	}
}

func TestBackupGroupAndTwoInstancesOfOneVolume(t *testing.T) {
	// S6: a Synchronous Long Distance secondary; testvv.0 is in the group
	// twice (two targets), so CIM reports two instances for it.
	out := output([]string{"SystemA=failed", "SystemC=ready"},
		group("multi.1.r96", "SystemA", "Stopped", "Secondary", vol("testvv.0", 200, "testvv.0", 100, "Stopped")),
		group("multi.1.r96", "SystemC", "Backup", "Secondary", vol("testvv.0", 200, "testvv.0", 300, "Synced")),
	)
	sld := triple(expected.CopyInitialized, expected.SyncInitialized, expected.ProgressDormant, false)
	broken := triple(expected.CopyBroken, expected.SyncBroken, expected.ProgressCompleted, false)
	obs := []Observed{{Volume: "testvv.0", Triple: sld}, {Volume: "testvv.0", Triple: broken}}
	r := Evaluate([]Array{{Name: "b", Output: out, Observed: obs}}, Options{})
	if got := verdicts(r); !slices.Equal(got, []string{"b/multi.1.r96/testvv.0=match", "b/multi.1.r96/testvv.0=match"}) {
		t.Fatalf("got %v", got)
	}
	if r.Findings[0].Row != "T110-1" || r.Findings[1].Row != "SLD-backup" {
		t.Errorf("rows %s %s", r.Findings[0].Row, r.Findings[1].Row)
	}
	// Listed the other way round, each instance still goes where it fits.
	r = Evaluate([]Array{{Name: "b", Output: out, Observed: []Observed{obs[1], obs[0]}}}, Options{})
	if r.Findings[0].Row != "T110-1" || r.Findings[1].Row != "SLD-backup" {
		t.Errorf("reversed instances: %v", verdicts(r))
	}
	// One instance for two rows: it goes to the row it fits; the other row
	// has none, which is a mismatch.
	r = Evaluate([]Array{{Name: "b", Output: out, Observed: obs[:1]}}, Options{})
	if got := verdicts(r); !slices.Equal(got, []string{"b/multi.1.r96/testvv.0=mismatch", "b/multi.1.r96/testvv.0=match"}) {
		t.Errorf("got %v", got)
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
