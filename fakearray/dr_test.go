package fakearray

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// observed is one array's view of one group, read as a user would: the
// parsed showrcopy over SSH and the CIM instances over CIM-XML.
type observed struct {
	group        parser.Group
	targetStatus string
	cim          []cim.RemoteCopyVolume
}

func observe(t *testing.T, s *Sim, array, group string) observed {
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
		if g.Name == group {
			o.group, found = g, true
		}
	}
	if !found {
		t.Fatalf("%s: no group %s in\n%s", array, group, out)
	}
	for _, tg := range parsed.Targets {
		if tg.Name == o.group.Target {
			o.targetStatus = tg.Status
		}
	}
	vols, err := cachedCIMClient(t, s, array).RemoteCopyVolumes(context.Background())
	if err != nil {
		t.Fatalf("%s: CIM: %v", array, err)
	}
	for _, v := range o.group.Volumes {
		for _, cv := range vols {
			if cv.Volume == v.LocalVV {
				o.cim = append(o.cim, cv)
			}
		}
	}
	if len(o.cim) != len(o.group.Volumes) {
		t.Fatalf("%s: %d CIM instances for the %d volumes of %s", array, len(o.cim), len(o.group.Volumes), group)
	}
	return o
}

// expectRow asserts that array shows role/syncStatus for group, that the
// tables match that observation to rowID, that the simulator says it is at
// rowID, and that its CIM server reports rowID's triple for every volume.
func expectRow(t *testing.T, s *Sim, array, group, role, syncStatus, rowID string) {
	t.Helper()
	o := observe(t, s, array, group)
	if o.group.Role != role {
		t.Errorf("%s %s: role %s, want %s", array, group, o.group.Role, role)
	}
	for _, v := range o.group.Volumes {
		if v.SyncStatus != syncStatus {
			t.Errorf("%s %s %s: sync status %s, want %s", array, group, v.LocalVV, v.SyncStatus, syncStatus)
		}
	}
	table := expected.Default()
	row, ok := table.Row(rowID)
	if !ok {
		t.Fatalf("no table row %s", rowID)
	}
	obs := expected.Observation{Role: o.group.Role, SyncStatus: syncStatus, TargetStatus: o.targetStatus, GroupStatus: o.group.Status}
	var ids []string
	for _, r := range table.Match(obs, false) {
		ids = append(ids, r.ID)
	}
	if !slices.Contains(ids, rowID) {
		t.Errorf("%s %s: observation %+v matches rows %v, not %s", array, group, obs, ids, rowID)
	}
	gs, err := s.Group(array, group)
	if err != nil {
		t.Fatal(err)
	}
	if gs.Row != rowID {
		t.Errorf("%s %s: simulator row %s, want %s", array, group, gs.Row, rowID)
	}
	for _, cv := range o.cim {
		got := expected.Triple{CopyState: expected.CopyState(cv.CopyState), SyncState: expected.SyncState(cv.SyncState),
			ProgressStatus: expected.ProgressStatus(cv.ProgressStatus), RoleReversed: cv.RoleReversed}
		if got != row.Triple {
			t.Errorf("%s %s %s: CIM %v, want %s's %v", array, group, cv.Volume, got, rowID, row.Triple)
		}
		// The source (SystemElement) is the volume of the array holding
		// the primary role.
		wantLocalSource := strings.HasPrefix(role, "Primary")
		if cv.LocalIsSystemElement != wantLocalSource {
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

func mustCLI(t *testing.T, s *Sim, array, cmd string) {
	t.Helper()
	out, status := cli(t, s, array, cmd)
	if status != 0 {
		t.Fatalf("%s: %s: status %d: %s", array, cmd, status, out)
	}
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
// arrays the roles, sync statuses, table rows and CIM triples.
func TestDisasterRecoverySequence(t *testing.T) {
	s := startSim(t, nil, Options{})
	const g, gs = "rcg-db", "rcg-db.r188150"

	expectRow(t, s, "sim-a", g, "Primary", "Synced", "T109-synced")
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "T109-synced")

	// What the CLI refuses on a healthy pair.
	refusedCLI(t, s, "sim-a", "setrcopygroup failover -f "+g, "Primary on this system")
	refusedCLI(t, s, "sim-b", "setrcopygroup failover -f "+gs, "is ready")
	refusedCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs, "not been failed over")
	refusedCLI(t, s, "sim-b", "setrcopygroup restore -f "+gs, "not recovered")
	refusedCLI(t, s, "sim-b", "setrcopygroup reverse -f "+gs, "not supported by the simulator")

	// The primary array goes down.
	simctl(t, s, "sim-b", "array down sim-a")
	if r := sshExec(t, s, "sim-a", DefaultUser, DefaultPassword, "showrcopy"); !isConnRefused(r.err) {
		t.Fatalf("ssh to a down array: %v, want connection refused", r.err)
	}
	expectRow(t, s, "sim-b", gs, "Secondary", "Stopped", "T110-1")
	if o := observe(t, s, "sim-b", gs); o.targetStatus != "failed" {
		t.Errorf("target status %q on the secondary while the primary is down, want failed", o.targetStatus)
	}

	// Failover on the secondary: needs -f in an exec request.
	refusedCLI(t, s, "sim-b", "setrcopygroup failover "+gs, "use -f")
	mustCLI(t, s, "sim-b", "setrcopygroup failover -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "T110-2")
	refusedCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs, "still in progress")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "T110-3")
	refusedCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs, "not ready")

	// The primary array comes back.
	simctl(t, s, "sim-b", "array up sim-a")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Stopped", "T110-4")
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "T110-3")
	refusedCLI(t, s, "sim-a", "setrcopygroup recover -f "+g, "Primary-Rev (sim-b)")

	// Recover fails first (fault), then succeeds.
	simctl(t, s, "sim-a", "fault inject sim-b recover-fails")
	mustCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Syncing", "T110-5")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Syncing", "T110-6")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Stopped", "T110-8")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Stopped", "T110-10")
	simctl(t, s, "sim-a", "fault clear sim-b recover-fails")
	mustCLI(t, s, "sim-b", "setrcopygroup recover -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Syncing", "T110-5")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "T110-7")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Synced", "T110-9")

	// Restore fails first (fault), then succeeds.
	simctl(t, s, "sim-a", "fault inject sim-a restore-fails")
	mustCLI(t, s, "sim-b", "setrcopygroup restore -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "T110-11")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Synced", "T110-12")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "T110-15")
	expectRow(t, s, "sim-a", g, "Secondary-Rev", "Synced", "T110-16")
	simctl(t, s, "sim-a", "fault clear sim-a")
	mustCLI(t, s, "sim-b", "setrcopygroup restore -f "+gs)
	expectRow(t, s, "sim-b", gs, "Primary-Rev", "Synced", "T110-11")
	s.FinishTransitions()
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "T110-13")
	expectRow(t, s, "sim-a", g, "Primary", "Synced", "T110-14")

	// Back to normal operation: stop and start from the primary.
	refusedCLI(t, s, "sim-b", "stoprcopygroup "+gs, "not Primary on this system")
	mustCLI(t, s, "sim-a", "stoprcopygroup -f "+g)
	expectRow(t, s, "sim-a", g, "Primary", "Stopped", "T109-stopped")
	expectRow(t, s, "sim-b", gs, "Secondary", "Stopped", "T109-stopped")
	mustCLI(t, s, "sim-a", "startrcopygroup "+g)
	expectRow(t, s, "sim-a", g, "Primary", "Syncing", "T109-syncing")
	expectRow(t, s, "sim-b", gs, "Secondary", "Syncing", "T109-syncing")
	s.FinishTransitions()
	expectRow(t, s, "sim-a", g, "Primary", "Synced", "T109-synced")
	expectRow(t, s, "sim-b", gs, "Secondary", "Synced", "T109-synced")

	// The other groups never moved.
	for _, other := range []string{"rcg-app", "rcg-files"} {
		expectRow(t, s, "sim-a", other, "Primary", "Synced", "T109-synced")
	}
}

// TestTransitionsFinishOnTheirOwn uses a real (tiny) delay and WaitIdle.
func TestTransitionsFinishOnTheirOwn(t *testing.T) {
	s := startSim(t, nil, Options{TransitionDelay: 5e6})
	if out, st := s.Exec("sim-a", "stoprcopygroup rcg-app"); st != 0 {
		t.Fatal(out)
	}
	if out, st := s.Exec("sim-a", "startrcopygroup rcg-app"); st != 0 {
		t.Fatal(out)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	g, err := s.Group("sim-b", "rcg-app")
	if err != nil {
		t.Fatal(err)
	}
	if g.Row != "T109-synced" || g.Group != "rcg-app.r188150" {
		t.Fatalf("after WaitIdle: %+v", g)
	}
}

// TestLinkDown: both arrays up, links down: the secondary is at T110-1,
// the primary outside the tables; auto_recover groups resync on link up.
func TestLinkDownAndAutoRecover(t *testing.T) {
	s := startSim(t, nil, Options{})
	if err := s.LinkDown("sim-a", "sim-b"); err != nil {
		t.Fatal(err)
	}
	expectRow(t, s, "sim-b", "rcg-db.r188150", "Secondary", "Stopped", "T110-1")
	a, _ := s.Group("sim-a", "rcg-db")
	if a.Row != "" || a.CIMRow != "T110-1" || a.TargetStatus != "failed" || a.Role != "Primary" {
		t.Fatalf("primary while the links are down: %+v", a)
	}
	out, _ := cli(t, s, "sim-a", "showrcopy links")
	if strings.Count(out, " Down ") != 2 {
		t.Errorf("links to sim-b should be Down:\n%s", out)
	}
	if err := s.LinkUp("sim-a", "sim-b"); err != nil {
		t.Fatal(err)
	}
	expectRow(t, s, "sim-a", "rcg-db", "Primary", "Syncing", "T109-syncing")
	s.FinishTransitions()
	expectRow(t, s, "sim-a", "rcg-db", "Primary", "Synced", "T109-synced")
}
