package fakearray

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/parser"
)

// observed is one array's view of one group listing, read as a user would:
// the parsed showrcopy over SSH and the CIM instances over CIM-XML (those
// whose peer is the listing's target).
type observed struct {
	group        parser.Group
	targetStatus string
	cim          []cim.RemoteCopyVolume
}

// observe reads the listing of group on array (to target, when a group
// has two targets; "" = the first listing).
func observe(t *testing.T, s *Sim, array, group, target string) observed {
	t.Helper()
	out, status := cli(t, s, array, "showrcopy")
	if status != 0 {
		t.Fatalf("%s: showrcopy: status %d: %s", array, status, out)
	}
	parsed, err := parser.Parse([]byte(out))
	if err != nil {
		t.Fatalf("%s: showrcopy does not parse: %v\n%s", array, err, out)
	}
	var o observed
	found := false
	for _, g := range parsed.Groups {
		if g.Name == group && (target == "" || g.Target == target) && !found {
			o.group, found = g, true
		}
	}
	if !found {
		t.Fatalf("%s: no group %s (target %q) in\n%s", array, group, target, out)
	}
	for _, tg := range parsed.Targets {
		if tg.Name == o.group.Target {
			o.targetStatus = tg.Status
		}
	}
	peer := arrayInfo(t, s, o.group.Target)
	vols, err := cachedCIMClient(t, s, array).RemoteCopyVolumes(context.Background())
	if err != nil {
		t.Fatalf("%s: CIM: %v", array, err)
	}
	for _, v := range o.group.Volumes {
		for _, cv := range vols {
			if cv.Volume == v.LocalVV && cv.PeerSystem == peer.WWN {
				o.cim = append(o.cim, cv)
			}
		}
	}
	if len(o.cim) != len(o.group.Volumes) {
		t.Fatalf("%s: %d CIM instances for the %d volumes of %s to %s", array, len(o.cim), len(o.group.Volumes), group, o.group.Target)
	}
	return o
}

// manualEntry is the simulator's manual line that names row id.
func manualEntry(t *testing.T, id string) CIMEntry {
	t.Helper()
	for _, e := range manualAnswers {
		if slices.Contains(e.Rows, id) {
			return e
		}
	}
	t.Fatalf("no manual line names row %s", id)
	return CIMEntry{}
}

// expectRow asserts that array shows role/syncStatus for group with the
// given target status, that the simulator says it is at rowID, and that
// its CIM server reports the simulator's answer for that row for every
// volume. (Whether those answers are the manual's is compare_test.go's
// business, against package expected.)
func expectRow(t *testing.T, s *Sim, array, group, role, syncStatus, targetStatus, rowID string) {
	t.Helper()
	expectListing(t, s, array, group, "", role, syncStatus, targetStatus, rowID)
}

func expectListing(t *testing.T, s *Sim, array, group, target, role, syncStatus, targetStatus, rowID string) {
	t.Helper()
	o := observe(t, s, array, group, target)
	if o.group.Role != role || o.targetStatus != targetStatus {
		t.Errorf("%s %s: role %s, target %s; want %s, %s", array, group, o.group.Role, o.targetStatus, role, targetStatus)
	}
	for _, v := range o.group.Volumes {
		if v.SyncStatus != syncStatus {
			t.Errorf("%s %s %s: sync status %s, want %s", array, group, v.LocalVV, v.SyncStatus, syncStatus)
		}
	}
	gs, err := s.Groups(array)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(gs, func(g GroupState) bool { return g.Group == group && (target == "" || g.Target == target) })
	if gs[i].Row != rowID {
		t.Errorf("%s %s: simulator row %q, want %q", array, group, gs[i].Row, rowID)
	}
	want := manualEntry(t, rowID).CIMAnswer
	for _, cv := range o.cim {
		got := CIMAnswer{cv.CopyState, cv.SyncState, cv.ProgressStatus, cv.RoleReversed}
		if got != want {
			t.Errorf("%s %s %s: CIM %v, want %s's %v", array, group, cv.Volume, got, rowID, want)
		}
		// The source (SystemElement) is the volume of the array that sends.
		if wantLocalSource := isSource(o.group.Role); cv.LocalIsSystemElement != wantLocalSource && o.group.Status != statusBackup {
			t.Errorf("%s %s %s: local is SystemElement = %v, want %v", array, group, cv.Volume, cv.LocalIsSystemElement, wantLocalSource)
		}
	}
}

var cimCache = map[*Sim]map[string]*cim.Client{}

func cachedCIMClient(t *testing.T, s *Sim, array string) *cim.Client {
	m := cimCache[s]
	if m == nil {
		m = map[string]*cim.Client{}
		cimCache[s] = m
		t.Cleanup(func() { delete(cimCache, s) })
	}
	if m[array] == nil {
		m[array] = cimClient(t, s, array)
	}
	return m[array]
}

func mustCLI(t *testing.T, s *Sim, array, cmd string) string {
	t.Helper()
	out, status := cli(t, s, array, cmd)
	if status != 0 {
		t.Fatalf("%s: %s: status %d: %s", array, cmd, status, out)
	}
	return out
}

func refusedCLI(t *testing.T, s *Sim, array, cmd, wantText string) {
	t.Helper()
	out, status := cli(t, s, array, cmd)
	if status == 0 || !strings.Contains(out, wantText) {
		t.Fatalf("%s: %s: status %d, output %q; want a refusal containing %q", array, cmd, status, out, wantText)
	}
}

// TestDisasterRecoverySequence drives Table 110 step by step through SSH
// exec (operator commands) and simctl (the disasters), and checks on both
// arrays the roles, sync statuses, target status, rows and CIM triples.
func TestDisasterRecoverySequence(t *testing.T) {
	s := startSim(t, nil, Options{})
	const g, gs = "rcg-db", "rcg-db.r188150"

	expectRow(t, s, "sim-a", g, "Primary", "Synced", "ready", "T109-synced")
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "ready", "T109-synced")

	// What the CLI refuses on a healthy pair.
	refusedCLI(t, s, "sim-a", "setrcopygroup failover -f "+g, "Group is not in correct role for this operation")
	refusedCLI(t, s, "sim-b", "setrcopygroup failover -f "+gs, "Remote copy group is not stopped")
	refusedCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs, "Group is not in correct role")
	refusedCLI(t, s, "sim-a", "setrcopygroup recover -f "+g, "not been failed over")
	refusedCLI(t, s, "sim-a", "setrcopygroup restore -f "+g, "Group is not in correct role")
	refusedCLI(t, s, "sim-b", "setrcopygroup reverse -current -f "+gs, "Remote copy group is not stopped")

	// The primary array goes down: sim-b's target fails after the
	// timeouts (finished at once here), its groups stop.
	simctl(t, s, "sim-b", "array down sim-a")
	if r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy"); !isConnRefused(r.err) {
		t.Fatalf("ssh to a down array: %v, want connection refused", r.err)
	}
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "ready", "T109-synced") // not noticed yet
	simctl(t, s, "sim-b", "finish")
	expectRow(t, s, "sim-b", gs, "Secondary", "Stopped", "failed", "T110-1")

	// Failover on the secondary: needs -f in an exec request; answers
	// with its task.
	refusedCLI(t, s, "sim-b", "setrcopygroup failover "+gs, "use -f")
	if out := mustCLI(t, s, "sim-b", "setrcopygroup failover -f "+gs); !strings.HasPrefix(out, "failover started with tasks: ") {
		t.Errorf("failover answered %q", out)
	}
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "failed", "T110-2")
	refusedCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs, "still in progress")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "failed", "T110-3")
	refusedCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs, "not ready")
	refusedCLI(t, s, "sim-b", "setrcopygroup restore -f "+gs, "not recovered")

	// The primary array comes back: it learns of the failover (T110-4)
	// and the secondary, failed over with the old primary reachable, is
	// at the cell's second set (T110-3b).
	simctl(t, s, "sim-b", "array up sim-a")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Stopped", "ready", "T110-4")
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "ready", "T110-3b")
	refusedCLI(t, s, "sim-a", "setrcopygroup recover -f "+g, "Primary-Rev (sim-b)")

	// Recover fails first (fault: the links between the pair are lost),
	// then succeeds.
	simctl(t, s, "sim-a", "fault inject sim-b recover-fails")
	mustCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Syncing", "ready", "T110-5")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Syncing", "ready", "T110-6")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "failed", "T110-8")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Stopped", "failed", "T110-10")
	simctl(t, s, "sim-a", "fault clear sim-b recover-fails")
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "ready", "T110-3b")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Stopped", "ready", "T110-4")
	mustCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Syncing", "ready", "T110-5")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "ready", "T110-7")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Synced", "ready", "T110-9")

	// Restore fails first (fault), then succeeds.
	simctl(t, s, "sim-a", "fault inject sim-a restore-fails")
	mustCLI(t, s, "sim-b", "setrcopygroup restore -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "ready", "T110-11")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Synced", "ready", "T110-12")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "ready", "T110-15")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Synced", "ready", "T110-16")
	simctl(t, s, "sim-a", "fault clear sim-a")
	mustCLI(t, s, "sim-b", "setrcopygroup restore -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "ready", "T110-11")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "ready", "T110-13")
	expectRow(t, s, "sim-a", g, "Primary", "Synced", "ready", "T110-14")

	// Back to normal operation: stop and start from the primary.
	refusedCLI(t, s, "sim-b", "stoprcopygroup "+gs, "Group is not in correct role")
	mustCLI(t, s, "sim-a", "stoprcopygroup -f "+g)
	expectRow(t, s, "sim-a", g, "Primary", "Stopped", "ready", "T109-stopped")
	expectRow(t, s, "sim-b", gs, "Secondary", "Stopped", "ready", "T109-stopped")
	mustCLI(t, s, "sim-a", "startrcopygroup "+g)
	expectRow(t, s, "sim-a", g, "Primary", "Syncing", "ready", "T109-syncing")
	expectRow(t, s, "sim-b", gs, "Secondary", "Syncing", "ready", "T109-syncing")
	s.FinishTransitions()
	expectRow(t, s, "sim-a", g, "Primary", "Synced", "ready", "T109-synced")
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "ready", "T109-synced")

	// The other groups (auto_recover) resynced when sim-a came back.
	for _, other := range []string{"rcg-app", "rcg-files"} {
		expectRow(t, s, "sim-a", other, "Primary", "Synced", "ready", "T109-synced")
	}
}

// TestTransitionsFinishOnTheirOwn uses a real (tiny) delay and time scale
// and WaitIdle: transitions and link timeouts end by themselves.
func TestTransitionsFinishOnTheirOwn(t *testing.T) {
	s := startSim(t, nil, Options{TransitionDelay: 5e6, TimeScale: 1e-4})
	if out, st := s.Exec("sim-a", "stoprcopygroup rcg-app"); st != 0 {
		t.Fatal(out)
	}
	if out, st := s.Exec("sim-a", "startrcopygroup rcg-app"); st != 0 {
		t.Fatal(out)
	}
	if err := s.LinkDown("sim-a", "sim-b"); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	g, err := s.Group("sim-b", "rcg-app")
	if err != nil {
		t.Fatal(err)
	}
	if g.Row != "T110-1" || g.Group != "rcg-app.r188150" || g.TargetStatus != "failed" {
		t.Fatalf("after WaitIdle: %+v", g)
	}
}
