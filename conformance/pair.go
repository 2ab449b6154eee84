package conformance

import (
	"fmt"
	"strings"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// volumeKey identifies one volume pair as one array prints it.
type volumeKey struct {
	localVV  string
	localID  int
	remoteVV string
	remoteID int
}

// GroupPair is a group row of array A and its counterpart on array B
// (indexes into Output.Groups); -1 on the side that has none.
type GroupPair struct{ A, B int }

// PairGroups pairs the group rows of two arrays: first by volume pairs (a
// volume of A whose remote name and id are a volume of B whose remote name
// and id are A's), then by natural group name (the secondary's `.r<id>`
// suffix stripped). Groups in Backup status (the Synchronous Long Distance
// standby between two secondaries) are left out: their peer is a third
// array. Unpaired groups come last, with -1 on the missing side.
func PairGroups(a, b *parser.Output) []GroupPair {
	owner := map[volumeKey]int{}
	for j, g := range b.Groups {
		if isBackup(g) {
			continue
		}
		for _, v := range g.Volumes {
			owner[volumeKey{v.LocalVV, v.LocalID, v.RemoteVV, v.RemoteID}] = j
		}
	}
	pairedB := make([]bool, len(b.Groups))
	pairOf := make([]int, len(a.Groups))
	for i, g := range a.Groups {
		pairOf[i] = -1
		if isBackup(g) {
			continue
		}
		for _, v := range g.Volumes {
			if j, ok := owner[volumeKey{v.RemoteVV, v.RemoteID, v.LocalVV, v.LocalID}]; ok && !pairedB[j] {
				pairOf[i], pairedB[j] = j, true
				break
			}
		}
	}
	for i, g := range a.Groups { // fallback: natural names
		if pairOf[i] >= 0 || isBackup(g) {
			continue
		}
		for j, h := range b.Groups {
			if !pairedB[j] && !isBackup(h) && parser.NaturalGroup(g.Name) == parser.NaturalGroup(h.Name) {
				pairOf[i], pairedB[j] = j, true
				break
			}
		}
	}
	var out, unpaired []GroupPair
	for i, j := range pairOf {
		switch {
		case j >= 0:
			out = append(out, GroupPair{i, j})
		case !isBackup(a.Groups[i]):
			unpaired = append(unpaired, GroupPair{i, -1})
		}
	}
	for j, h := range b.Groups {
		if !pairedB[j] && !isBackup(h) {
			unpaired = append(unpaired, GroupPair{-1, j})
		}
	}
	return append(out, unpaired...)
}

func isBackup(g parser.Group) bool { return strings.EqualFold(g.Status, "Backup") }

func hasGroups(o *parser.Output) bool { return o.HasSection("groups") || len(o.Groups) > 0 }

// PairFindings checks the roles of two arrays of one pair, one finding per
// group pair (Volume "*"). A group left without a counterpart is
// pair_inconsistent when its target is one through which the arrays do
// pair (the peer should hold it); a group whose target leads elsewhere is
// not this pair's business. Two arrays with groups that share none at all
// get one pair_inconsistent finding with Group "*".
func PairFindings(a, b Input) []Finding {
	if a.Output == nil || b.Output == nil || !hasGroups(a.Output) || !hasGroups(b.Output) {
		return nil
	}
	pairs := PairGroups(a.Output, b.Output)
	both := a.Name + "+" + b.Name
	viaA, viaB := map[string]bool{}, map[string]bool{}
	var out []Finding
	for _, p := range pairs {
		if p.A < 0 || p.B < 0 {
			continue
		}
		ga, gb := a.Output.Groups[p.A], b.Output.Groups[p.B]
		viaA[ga.Target], viaB[gb.Target] = true, true
		f := Finding{
			Array: both, Group: ga.Name + "+" + gb.Name, Volume: PairVolume, Role: ga.Role + "+" + gb.Role,
			Expected: []expected.Row{},
		}
		verdict, reason := expected.PairRoles(ga.Role, gb.Role)
		switch verdict {
		case expected.PairOK:
			f.Verdict = Match
		case expected.PairUnknown:
			f.Verdict = NotInTable
		default:
			f.Verdict = PairInconsistent
		}
		f.Reason = reason
		out = append(out, f)
	}
	if len(out) == 0 {
		if len(pairs) > 0 {
			out = append(out, Finding{
				Array: both, Group: "*", Volume: PairVolume, Expected: []expected.Row{}, Verdict: PairInconsistent,
				Reason: fmt.Sprintf("no group of %s pairs with a group of %s (by volume pairs or natural name)", a.Name, b.Name),
			})
		}
		return out
	}
	for _, p := range pairs {
		switch {
		case p.B < 0 && viaA[a.Output.Groups[p.A].Target]:
			g := a.Output.Groups[p.A]
			out = append(out, unpairedFinding(both, g, a.Name, b.Name))
		case p.A < 0 && viaB[b.Output.Groups[p.B].Target]:
			g := b.Output.Groups[p.B]
			out = append(out, unpairedFinding(both, g, b.Name, a.Name))
		}
	}
	return out
}

func unpairedFinding(both string, g parser.Group, on, peer string) Finding {
	return Finding{
		Array: both, Group: g.Name, Volume: PairVolume, Role: g.Role, Expected: []expected.Row{},
		Verdict: PairInconsistent,
		Reason:  fmt.Sprintf("group %s on %s (target %s) has no counterpart on %s", g.Name, on, g.Target, peer),
	}
}
