package conformance

import (
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/parser"
)

func pairOf(roleA, roleB string) (Input, Input) {
	a := Input{Name: "A", Output: output([]string{"B=ready"},
		group("g1", "B", "Started", roleA, vol("v1", 1, "v1", 11, "Synced"), vol("v2", 2, "v2", 12, "Synced")))}
	b := Input{Name: "B", Output: output([]string{"A=ready"},
		group("g1.r100", "A", "Started", roleB, vol("v1", 11, "v1", 1, "Synced"), vol("v2", 12, "v2", 2, "Synced")))}
	return a, b
}

func pairFindings(r Report) []Finding {
	var out []Finding
	for _, f := range r.Findings {
		if f.Volume == PairVolume {
			out = append(out, f)
		}
	}
	return out
}

func TestPairRoles(t *testing.T) {
	cases := []struct {
		a, b   string
		want   Verdict
		reason string
	}{
		{"Primary", "Secondary", Match, "complementary"},
		{"Primary-Rev", "Secondary-Rev", Match, "complementary"},
		{"Primary", "Primary", PairInconsistent, "split brain"},
		{"Primary-Rev", "Primary", PairInconsistent, "split brain"},
		{"Secondary", "Secondary", PairInconsistent, "no primary"},
		{"Primary", "Secondary-Rev", PairInconsistent, "inconsistent"},
		{"Primary", "Failsafe", NotInTable, "not both among"},
	}
	for _, c := range cases {
		a, b := pairOf(c.a, c.b)
		r := Evaluate([]Input{a, b}, Options{})
		ps := pairFindings(r)
		if len(ps) != 1 {
			t.Fatalf("%s+%s: %d pair findings %v", c.a, c.b, len(ps), verdicts(r))
		}
		f := ps[0]
		if f.Verdict != c.want || !strings.Contains(f.Reason, c.reason) || f.Array != "A+B" || f.Group != "g1+g1.r100" || f.Role != c.a+"+"+c.b {
			t.Errorf("%s+%s: %+v; want %s (%s)", c.a, c.b, f, c.want, c.reason)
		}
		if r.Conformant == c.want.Fails(false) {
			t.Errorf("%s+%s: conformant %t", c.a, c.b, r.Conformant)
		}
	}
}

func TestPairGroupsByVolumesThenNames(t *testing.T) {
	a := output(nil,
		group("alpha", "B", "Started", "Primary", vol("x", 1, "x", 11, "Synced")),
		group("beta", "B", "Started", "Primary", vol("y", 2, "y", 12, "Synced")),
		group("gamma", "B", "Started", "Primary"),                                 // no volumes: paired by name
		group("delta", "C", "Started", "Primary", vol("z", 3, "z", 33, "Synced")), // replicates to a third array
		group("eps", "B", "Started", "Primary", vol("w", 4, "w", 14, "Synced")),   // counterpart missing on B
		group("sld", "C", "Backup", "Secondary", vol("x", 1, "x", 31, "Synced")),  // standby: never paired here
	)
	b := output(nil,
		// names differ from the .r<id> rule: the volume pairs decide.
		group("renamed.r7", "A", "Started", "Secondary", vol("x", 11, "x", 1, "Synced")),
		group("beta.r7", "A", "Started", "Secondary", vol("y", 12, "y", 2, "Synced")),
		group("gamma.r7", "A", "Started", "Secondary"),
		// same volume names, other ids: not a pair by volumes
		group("zeta.r7", "A", "Started", "Secondary", vol("v", 15, "v", 99, "Synced")),
	)
	got := PairGroups(a, b)
	want := []GroupPair{{0, 0}, {1, 1}, {2, 2}, {3, -1}, {4, -1}, {-1, 3}}
	if !slices.Equal(got, want) {
		t.Fatalf("PairGroups = %v, want %v", got, want)
	}
	fs := PairFindings(Input{Name: "A", Output: a}, Input{Name: "B", Output: b})
	var summary []string
	for _, f := range fs {
		summary = append(summary, f.Group+"="+string(f.Verdict))
	}
	// delta's target C leads elsewhere: not reported. eps and zeta target the peer: unpaired.
	wantS := []string{"alpha+renamed.r7=match", "beta+beta.r7=match", "gamma+gamma.r7=match", "eps=pair_inconsistent", "zeta.r7=pair_inconsistent"}
	if !slices.Equal(summary, wantS) {
		t.Errorf("findings %v, want %v", summary, wantS)
	}
	if !strings.Contains(fs[3].Reason, "no counterpart on B") {
		t.Errorf("reason %q", fs[3].Reason)
	}
}

func TestPairNothingShared(t *testing.T) {
	a := output(nil, group("g1", "X", "Started", "Primary", vol("v", 1, "v", 2, "Synced")))
	b := output(nil, group("h1", "Y", "Started", "Secondary", vol("w", 5, "w", 6, "Synced")))
	fs := PairFindings(Input{Name: "A", Output: a}, Input{Name: "B", Output: b})
	if len(fs) != 1 || fs[0].Verdict != PairInconsistent || fs[0].Group != "*" {
		t.Errorf("got %+v", fs)
	}
	// An output without a groups section (showrcopy links) has nothing to pair.
	links := &parser.Output{Sections: []string{"system", "links"}}
	if fs := PairFindings(Input{Name: "A", Output: a}, Input{Name: "B", Output: links}); len(fs) != 0 {
		t.Errorf("no groups section: %+v", fs)
	}
}
