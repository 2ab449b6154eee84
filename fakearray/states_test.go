package fakearray

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

// listingOf is the simulator's GroupState of group (by name on the array)
// to target ("" = the first listing).
func listingOf(t *testing.T, s *Sim, array, group, target string) GroupState {
	t.Helper()
	all, err := s.Groups(array)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range all {
		if (g.Group == group || g.NaturalGroup == group) && (target == "" || g.Target == target) {
			return g
		}
	}
	t.Fatalf("%s: no group %s to %q", array, group, target)
	return GroupState{}
}

// parsed runs a command and parses its output.
func parsed(t *testing.T, s *Sim, array, cmd string) *parser.Output {
	t.Helper()
	out := mustExec(t, s, array, cmd)
	p, err := parser.Parse([]byte(out))
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", array, cmd, err, out)
	}
	return p
}

func linkStatuses(t *testing.T, s *Sim, array, target string) []string {
	t.Helper()
	var out []string
	for _, l := range parsed(t, s, array, "showrcopy links").Links {
		if l.Target == target {
			out = append(out, l.Status)
		}
	}
	return out
}

func targetOf(t *testing.T, s *Sim, array, target string) string {
	t.Helper()
	for _, tg := range parsed(t, s, array, "showrcopy targets").Targets {
		if tg.Name == target {
			return tg.Status
		}
	}
	t.Fatalf("%s: no target %s", array, target)
	return ""
}

// One link of two down: data takes the other, the target stays ready and
// the groups started; the cut link is marked Down after the heartbeat
// timeout. Both down: the links Down after the heartbeat timeout, the
// target failed after the target timeout, the groups stopped.
func TestLinkTimeouts(t *testing.T) {
	s := startSim(t, nil, Options{TimeScale: 1000}) // timeouts held until the test runs them
	if err := s.CutLinks("sim-a", "sim-b", 1, true); err != nil {
		t.Fatal(err)
	}
	if got := linkStatuses(t, s, "sim-a", "sim-b"); !slices.Equal(got, []string{"Up", "Up"}) {
		t.Fatalf("before the heartbeat timeout: links %v", got)
	}
	if !s.NextTransition() {
		t.Fatal("no heartbeat timeout pending")
	}
	if got := linkStatuses(t, s, "sim-a", "sim-b"); !slices.Equal(got, []string{"Down", "Up"}) {
		t.Fatalf("one link cut: links %v", got)
	}
	if s.NextTransition() {
		t.Fatal("one link of two cut: no target timeout may be pending")
	}
	for _, a := range []string{"sim-a", "sim-b"} {
		if ts := targetOf(t, s, a, map[string]string{"sim-a": "sim-b", "sim-b": "sim-a"}[a]); ts != "ready" {
			t.Fatalf("%s: target %s with one link left", a, ts)
		}
	}
	if g := listingOf(t, s, "sim-b", "rcg-db", ""); g.Status != "Started" || g.SyncStatus != "Synced" || g.Row != "T109-synced" {
		t.Fatalf("one link left: %+v", g)
	}

	// The second link: its heartbeat timeout first, then the target's.
	if err := s.CutLinks("sim-a", "sim-b", 2, true); err != nil {
		t.Fatal(err)
	}
	s.NextTransition()
	if got := linkStatuses(t, s, "sim-b", "sim-a"); !slices.Equal(got, []string{"Down", "Down"}) {
		t.Fatalf("after the heartbeat timeout: links %v", got)
	}
	if g := listingOf(t, s, "sim-b", "rcg-db", ""); g.TargetStatus != "ready" || g.Status != "Started" {
		t.Fatalf("links Down, target not yet failed: %+v", g)
	}
	s.NextTransition()
	for _, name := range []string{"rcg-db", "rcg-app", "rcg-files"} {
		b := listingOf(t, s, "sim-b", name, "")
		a := listingOf(t, s, "sim-a", name, "")
		if b.TargetStatus != "failed" || b.Status != "Stopped" || b.SyncStatus != "Stopped" || b.Row != "T110-1" {
			t.Errorf("sim-b %s after the target timeout: %+v", name, b)
		}
		// The natural primary's view is in no table: the simulator's own
		// CIM answer, and Row says so.
		if a.TargetStatus != "failed" || a.Role != "Primary" || a.SyncStatus != "Stopped" || a.Row != "" || !a.CIMChoice {
			t.Errorf("sim-a %s after the target timeout: %+v", name, a)
		}
	}
	if got := linkStatuses(t, s, "sim-b", "receive"); !slices.Equal(got, []string{"Up", "Up"}) {
		t.Errorf("receive links %v, want Up (they stay up while the array runs)", got)
	}
}

// The timeouts follow the target's kind: a target carrying only periodic
// groups waits longer (25 s / 200 s against 10 s / 15 s), scaled.
func TestLinkTimeoutsScale(t *testing.T) {
	sc := DefaultScenario()
	sc.Groups = sc.Groups[1:2] // rcg-app only: periodic
	s := startSim(t, sc, Options{TimeScale: 1e-3})
	start := time.Now()
	if err := s.LinkDown("sim-a", "sim-b"); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitIdle(context.Background()); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 200*time.Millisecond {
		t.Fatalf("periodic target failed after %v, before 200 s x 0.001", el)
	}
	if g := listingOf(t, s, "sim-b", "rcg-app", ""); g.TargetStatus != "failed" || g.Row != "T110-1" {
		t.Fatalf("%+v", g)
	}
}

// auto_recover restarts a group stopped by link loss when the links
// return; without it the group stays Stopped; a group stopped by
// stoprcopygroup never restarts on its own.
func TestAutoRecover(t *testing.T) {
	sc := DefaultScenario()
	sc.Groups[2].Options = []string{"path_management"} // rcg-files: no auto_recover
	s := startSim(t, sc, Options{TimeScale: 1000})
	mustExec(t, s, "sim-a", "stoprcopygroup rcg-app")
	s.LinkDown("sim-a", "sim-b")
	s.FinishTransitions()
	s.LinkUp("sim-a", "sim-b")
	if g := listingOf(t, s, "sim-a", "rcg-db", ""); g.Status != "Started" || g.SyncStatus != "Syncing" {
		t.Errorf("auto_recover: %+v, want restarted and syncing", g)
	}
	for _, name := range []string{"rcg-files", "rcg-app"} {
		if g := listingOf(t, s, "sim-a", name, ""); g.Status != "Stopped" || g.Row != "T109-stopped" {
			t.Errorf("%s: %+v, want Stopped (no auto_recover, or stopped by hand)", name, g)
		}
	}
	s.FinishTransitions()
	if g := listingOf(t, s, "sim-b", "rcg-db", ""); g.Row != "T109-synced" {
		t.Errorf("after the resync: %+v", g)
	}
	// A group stopped by the loss of its primary array restarts too when
	// the array is back (it looks the same as losing the links).
	s.ArrayDown("sim-a")
	s.FinishTransitions()
	s.ArrayUp("sim-a")
	if g := listingOf(t, s, "sim-a", "rcg-db", ""); g.Status != "Started" || g.SyncStatus != "Syncing" {
		t.Errorf("auto_recover after the primary's power loss: %+v", g)
	}
}

// failover answers with its task, or waits for it with -waittask; a
// planned failover needs the group stopped on the primary, and the
// primary then shows Secondary-Rev at once.
func TestFailoverTasksAndPlannedFailover(t *testing.T) {
	s := startSim(t, nil, Options{TimeScale: 1000})
	refusedCLI(t, s, "sim-b", "setrcopygroup failover -f rcg-db.r188150", "Remote copy group is not stopped")
	mustCLI(t, s, "sim-a", "stoprcopygroup rcg-db")
	out := mustCLI(t, s, "sim-b", "setrcopygroup failover -f rcg-db.r188150")
	if !strings.HasPrefix(out, "failover started with tasks: ") || strings.Count(out, "\n") != 1 {
		t.Errorf("failover answered %q", out)
	}
	a, b := listingOf(t, s, "sim-a", "rcg-db", ""), listingOf(t, s, "sim-b", "rcg-db", "")
	if a.Role != "Secondary-Rev" || a.Row != "T110-4" || b.Role != "Primary-Rev" || b.TargetStatus != "ready" || b.Phase != "failing-over" {
		t.Errorf("planned failover: %+v / %+v", a, b)
	}
	s.FinishTransitions()
	if b := listingOf(t, s, "sim-b", "rcg-db", ""); b.Row != "T110-3b" {
		t.Errorf("planned failover done, target ready: %+v, want T110-3b", b)
	}

	// -waittask: the command returns when the failover is done.
	mustCLI(t, s, "sim-a", "stoprcopygroup rcg-app")
	done := make(chan string, 1)
	go func() {
		out, _ := s.Exec("sim-b", "setrcopygroup failover -f -waittask rcg-app.r188150")
		done <- out
	}()
	waitFor(t, func() bool { return listingOf(t, s, "sim-b", "rcg-app", "").Phase == "failing-over" })
	select {
	case out := <-done:
		t.Fatalf("-waittask returned before the failover was done: %q", out)
	default:
	}
	s.FinishTransitions()
	if out := <-done; out != "" {
		t.Errorf("-waittask printed %q", out)
	}
	refusedCLI(t, s, "sim-b", "setrcopygroup failover -f -natural rcg-files.r188150", "Invalid option -natural")
	refusedCLI(t, s, "sim-b", "setrcopygroup failover -f -t sim-c rcg-files.r188150", "has no target sim-c")
}

// waitFor polls cond (a goroutine's effect) until it holds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached")
		}
		time.Sleep(time.Millisecond)
	}
}

// setrcopygroup reverse and switchover, with their interlocks.
func TestReverseAndSwitchover(t *testing.T) {
	s := startSim(t, nil, Options{TimeScale: 1000})
	roles := func(name string) string {
		return listingOf(t, s, "sim-a", name, "").Role + "/" + listingOf(t, s, "sim-b", name, "").Role
	}
	// -natural: roles change, data keeps flowing, no stop needed.
	mustCLI(t, s, "sim-a", "setrcopygroup reverse -natural -f rcg-db")
	if got := roles("rcg-db"); got != "Primary-Rev/Secondary-Rev" {
		t.Fatalf("reverse -natural: %s", got)
	}
	if g := listingOf(t, s, "sim-a", "rcg-db", ""); g.Status != "Started" || g.Row != "T110-7" {
		t.Fatalf("reverse -natural keeps the group started: %+v", g)
	}
	mustCLI(t, s, "sim-b", "setrcopygroup reverse -natural -f rcg-db.r188150")
	if got := roles("rcg-db"); got != "Primary/Secondary" {
		t.Fatalf("reverse -natural twice: %s", got)
	}
	// -current: the group must be stopped (or -stopgroups stops it).
	refusedCLI(t, s, "sim-a", "setrcopygroup reverse -current -f rcg-app", "Remote copy group is not stopped")
	mustCLI(t, s, "sim-a", "setrcopygroup reverse -current -stopgroups -f rcg-app")
	if got := roles("rcg-app"); got != "Secondary-Rev/Primary-Rev" {
		t.Fatalf("reverse -current: %s", got)
	}
	if g := listingOf(t, s, "sim-b", "rcg-app", ""); g.Status != "Stopped" || g.Row != "T110-3b" {
		t.Fatalf("reverse -current leaves the group stopped: %+v", g)
	}
	// The new source starts it.
	refusedCLI(t, s, "sim-a", "startrcopygroup rcg-app", "Group is not in correct role")
	mustCLI(t, s, "sim-b", "startrcopygroup rcg-app.r188150")
	s.FinishTransitions()
	if g := listingOf(t, s, "sim-b", "rcg-app", ""); g.SyncStatus != "Synced" || g.Row != "T110-7" {
		t.Fatalf("started the other way: %+v", g)
	}
	// Neither flag: both directions (Primary <-> Secondary); -local: this array only.
	mustCLI(t, s, "sim-a", "stoprcopygroup rcg-files")
	mustCLI(t, s, "sim-a", "setrcopygroup reverse -f rcg-files")
	if got := roles("rcg-files"); got != "Secondary/Primary" {
		t.Fatalf("reverse: %s", got)
	}
	mustCLI(t, s, "sim-a", "setrcopygroup reverse -local -natural -f rcg-files")
	if got := roles("rcg-files"); got != "Secondary-Rev/Primary" {
		t.Fatalf("reverse -local: %s", got)
	}
	refusedCLI(t, s, "sim-a", "setrcopygroup reverse -natural -current -f rcg-files", "not both")

	// switchover (Peer Persistence): on the array that sends, a started
	// synced sync group; both swap, the group goes on.
	refusedCLI(t, s, "sim-b", "setrcopygroup switchover -f rcg-db.r188150", "Group is not in correct role")
	refusedCLI(t, s, "sim-b", "setrcopygroup switchover -f rcg-app.r188150", "periodic")
	mustCLI(t, s, "sim-a", "setrcopygroup switchover -f rcg-db")
	if got := roles("rcg-db"); got != "Secondary-Rev/Primary-Rev" {
		t.Fatalf("switchover: %s", got)
	}
	if g := listingOf(t, s, "sim-b", "rcg-db", ""); g.Status != "Started" || g.SyncStatus != "Synced" {
		t.Fatalf("switchover keeps the group started: %+v", g)
	}
	mustCLI(t, s, "sim-b", "setrcopygroup switchover -f rcg-db.r188150")
	if got := roles("rcg-db"); got != "Primary/Secondary" {
		t.Fatalf("switchover back: %s", got)
	}
	s.LinkDown("sim-a", "sim-b")
	s.FinishTransitions()
	refusedCLI(t, s, "sim-a", "setrcopygroup switchover -f rcg-db", "not ready")
	refusedCLI(t, s, "sim-a", "setrcopygroup reverse -natural -f rcg-db", "with -local")
}

// With returning_primary: continentalclusters the old primary keeps
// Primary when it is back (both arrays claim the primary role) until
// recover makes it Secondary-Rev.
func TestReturningPrimaryContinentalclusters(t *testing.T) {
	sc := DefaultScenario()
	sc.ReturningPrimary = ReturningPrimaryContinentalclusters
	s := startSim(t, sc, Options{TimeScale: 1000})
	s.ArrayDown("sim-a")
	s.FinishTransitions()
	mustCLI(t, s, "sim-b", "setrcopygroup failover -f rcg-db.r188150")
	s.FinishTransitions()
	s.ArrayUp("sim-a")
	a, b := listingOf(t, s, "sim-a", "rcg-db", ""), listingOf(t, s, "sim-b", "rcg-db", "")
	if a.Role != "Primary" || a.Status != "Stopped" || a.TargetStatus != "ready" || a.Row != "T109-stopped" || b.Role != "Primary-Rev" || b.Row != "T110-3b" {
		t.Fatalf("returning primary, continentalclusters: %+v / %+v", a, b)
	}
	// The other groups, not failed over, resync (auto_recover).
	if g := listingOf(t, s, "sim-a", "rcg-app", ""); g.Role != "Primary" || g.Status != "Started" {
		t.Errorf("rcg-app: %+v", g)
	}
	mustCLI(t, s, "sim-b", "setrcopygroup recover -f rcg-db.r188150")
	if a := listingOf(t, s, "sim-a", "rcg-db", ""); a.Role != "Secondary-Rev" || a.Row != "T110-6" {
		t.Fatalf("after recover: %+v", a)
	}
}

// A group never started prints New; startrcopygroup copies its volumes
// one after another (New while waiting, Syncing, Synced); the sending
// side prints the copy's progress when sync_percent is on.
func TestNewGroupInitialSync(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 10, 9, 12, 0, 0, 0, time.UTC)}
	sc := DefaultScenario()
	on := true
	sc.SyncPercent = &on
	sc.Groups = append(sc.Groups, GroupConfig{Name: "rcg-new", Primary: "sim-a", Secondary: "sim-b", Mode: "sync", New: true,
		Volumes: []VolumeConfig{{Name: "n.0"}, {Name: "n.1"}, {Name: "n.2"}}})
	s := startSim(t, sc, Options{Clock: clock.Now, TransitionDelay: time.Minute, TimeScale: 1000})
	if g := listingOf(t, s, "sim-a", "rcg-new", ""); g.Status != "New" || g.SyncStatus != "New" || g.Row != "T109-new" {
		t.Fatalf("never started: %+v", g)
	}
	if out := mustExec(t, s, "sim-b", "showrcopy groups rcg-new.r188150"); !strings.Contains(out, " New ") || strings.Contains(out, "Last-Sync") {
		t.Fatalf("never started:\n%s", out)
	}
	refusedCLI(t, s, "sim-b", "setrcopygroup failover -f rcg-new.r188150", "never been started")
	mustExec(t, s, "sim-a", "startrcopygroup rcg-new")
	clock.Add(15 * time.Second)
	a := listingOf(t, s, "sim-a", "rcg-new", "")
	if a.Status != "Started" || !slices.Equal(a.VolumeStatuses, []string{"Syncing", "New", "New"}) || a.SyncStatus != "" {
		t.Fatalf("initial sync: %+v", a)
	}
	// The sending side prints the percentage, the receiving side plain Syncing.
	if out := mustExec(t, s, "sim-a", "showrcopy groups rcg-new"); !strings.Contains(out, " Syncing (25%) ") {
		t.Errorf("sending side:\n%s", out)
	}
	if out := mustExec(t, s, "sim-b", "showrcopy groups rcg-new.r188150"); strings.Contains(out, "%") || !strings.Contains(out, " Syncing ") {
		t.Errorf("receiving side:\n%s", out)
	}
	s.NextTransition()
	if a := listingOf(t, s, "sim-b", "rcg-new", ""); !slices.Equal(a.VolumeStatuses, []string{"Synced", "Syncing", "New"}) {
		t.Fatalf("second volume: %+v", a)
	}
	s.FinishTransitions()
	if a := listingOf(t, s, "sim-b", "rcg-new", ""); a.SyncStatus != "Synced" || a.Row != "T109-synced" {
		t.Fatalf("initial sync done: %+v", a)
	}
}

// Periodic resyncs print Syncing while they run (resync_duration);
// Last-Sync keeps the last completed one. syncrcopy resyncs at once.
func TestPeriodicResync(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 10, 9, 12, 0, 0, 0, time.UTC)}
	sc := DefaultScenario()
	sc.Groups[1].ResyncDuration = Duration(time.Minute) // rcg-app, period 5m
	s := startSim(t, sc, Options{Clock: clock.Now, TimeScale: 1000})
	clock.Add(5*time.Minute + 15*time.Second)
	ls, vols := lastSync(t, s, "sim-a", "rcg-app")
	g := listingOf(t, s, "sim-a", "rcg-app", "")
	if g.SyncStatus != "Syncing" || g.Row != "T109-syncing" || ls != "2026-10-09 12:00:00 UTC" || vols[0] != ls {
		t.Fatalf("during the resync: %+v, Last-Sync %q %v", g, ls, vols)
	}
	clock.Add(time.Minute)
	if g := listingOf(t, s, "sim-b", "rcg-app", ""); g.SyncStatus != "Synced" {
		t.Fatalf("after the resync: %+v", g)
	}
	if ls, _ := lastSync(t, s, "sim-a", "rcg-app"); ls != "2026-10-09 12:05:00 UTC" {
		t.Fatalf("after the resync: Last-Sync %q", ls)
	}
	// syncrcopy: a manual resync now (a synchronous group in sync has
	// nothing to resync).
	refusedCLI(t, s, "sim-a", "syncrcopy rcg-db", "synchronous")
	refusedCLI(t, s, "sim-b", "syncrcopy rcg-app.r188150", "Group is not in correct role")
	mustExec(t, s, "sim-a", "syncrcopy rcg-app")
	if g := listingOf(t, s, "sim-a", "rcg-app", ""); g.SyncStatus != "Syncing" {
		t.Fatalf("syncrcopy: %+v", g)
	}
	s.FinishTransitions()
	if ls, _ := lastSync(t, s, "sim-a", "rcg-app"); ls != "2026-10-09 12:06:15 UTC" {
		t.Fatalf("after syncrcopy: Last-Sync %q", ls)
	}
}

// NotSynced and Stale, from the scenario or simctl: groups whose volumes
// differ; syncrcopy fixes NotSynced, the next good resync Stale.
func TestVolumeFaults(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 10, 9, 12, 0, 0, 0, time.UTC)}
	sc := DefaultScenario()
	sc.Groups[0].Volumes[1].Status = "NotSynced" // rcg-db db.1
	s := startSim(t, sc, Options{Clock: clock.Now, TimeScale: 1000})
	if g := listingOf(t, s, "sim-b", "rcg-db", ""); !slices.Equal(g.VolumeStatuses, []string{"Synced", "NotSynced", "Synced"}) || g.SyncStatus != "" {
		t.Fatalf("scenario NotSynced: %+v", g)
	}
	simctl(t, s, "sim-a", "volume stale rcg-app app.1")
	if g := listingOf(t, s, "sim-a", "rcg-app", ""); !slices.Equal(g.VolumeStatuses, []string{"Synced", "Stale"}) {
		t.Fatalf("simctl stale: %+v", g)
	}
	// Stale keeps the last good time; the next periodic resync clears it.
	_, vols := lastSync(t, s, "sim-b", "rcg-app.r188150")
	if vols[1] != "2026-10-09 12:00:00 UTC" {
		t.Errorf("stale volume's last sync %q", vols[1])
	}
	clock.Add(5 * time.Minute)
	if g := listingOf(t, s, "sim-a", "rcg-app", ""); g.SyncStatus != "Synced" {
		t.Fatalf("after the next resync: %+v", g)
	}
	// NotSynced stays while the group replicates, until syncrcopy (a
	// stop and start copies every volume again: the simulator's choice).
	clock.Add(time.Hour)
	if g := listingOf(t, s, "sim-a", "rcg-db", ""); g.SyncStatus != "" {
		t.Fatalf("NotSynced went away by itself: %+v", g)
	}
	mustExec(t, s, "sim-a", "syncrcopy rcg-db")
	s.FinishTransitions()
	if g := listingOf(t, s, "sim-a", "rcg-db", ""); g.SyncStatus != "Synced" {
		t.Fatalf("syncrcopy fixes NotSynced: %+v", g)
	}
	simctl(t, s, "sim-a", "volume notsynced rcg-files files.3")
	simctl(t, s, "sim-a", "volume synced rcg-files files.3")
	if g := listingOf(t, s, "sim-a", "rcg-files", ""); g.SyncStatus != "Synced" {
		t.Fatalf("simctl volume synced: %+v", g)
	}
	for cmd, want := range map[string]string{
		"volume stale rcg-db db.0":           "no leg",         // Stale is for periodic legs
		"volume notsynced nope x":            "no group",       // unknown group
		"volume notsynced rcg-db nope":       "has no volume",  // unknown volume
		"volume bad rcg-db db.0":             "want notsynced", // unknown status
		"volume notsynced rcg-db db.0 sim-c": "no leg",         // no such target
	} {
		user, pw := s.Admin()
		if r := sshExec(t, s, "sim-a", user, pw, "simctl "+cmd); r.status == 0 || !strings.Contains(r.out, want) {
			t.Errorf("simctl %s: %d %q, want %q", cmd, r.status, r.out, want)
		}
	}
	mustExec(t, s, "sim-a", "stoprcopygroup rcg-app")
	if err := s.SetVolumeStatus("rcg-app", "app.0", "", "Stale"); err == nil || !strings.Contains(err.Error(), "started group") {
		t.Errorf("stopped group: %v", err)
	}
}

// The Synchronous Long Distance trio: sld-a sends sync to sld-b and
// periodic to sld-c; sld-b and sld-c hold the standby leg (Backup, both
// Secondary). When sld-a is lost, sld-b shows sample S6.
func TestSLD(t *testing.T) {
	s := startSim(t, SLDScenario(), Options{TimeScale: 1000})
	const g = "rcg-sld.r188160"
	want := map[string][][3]string{ // array: target, status, role per listing, in print order
		"sld-a": {{"sld-b", "Started", "Primary"}, {"sld-c", "Started", "Primary"}},
		"sld-b": {{"sld-a", "Started", "Secondary"}, {"sld-c", "Backup", "Secondary"}},
		"sld-c": {{"sld-a", "Started", "Secondary"}, {"sld-b", "Backup", "Secondary"}},
	}
	for array, ls := range want {
		p := parsed(t, s, array, "showrcopy")
		if len(p.Groups) != len(ls) {
			t.Fatalf("%s: %d listings", array, len(p.Groups))
		}
		for i, l := range ls {
			pg := p.Groups[i]
			if pg.Target != l[0] || pg.Status != l[1] || pg.Role != l[2] {
				t.Errorf("%s listing %d: %s %s %s, want %v", array, i, pg.Target, pg.Status, pg.Role, l)
			}
		}
	}
	if g := listingOf(t, s, "sld-c", "rcg-sld", "sld-b"); g.Row != "SLD-backup" {
		t.Errorf("standby leg: %+v", g)
	}
	// Per-leg CIM instances, each naming its peer: two per volume on every array.
	b := arrayInfo(t, s, "sld-b")
	vs, err := cimClient(t, s, "sld-b").RemoteCopyVolumes(context.Background())
	if err != nil || len(vs) != 4 {
		t.Fatalf("sld-b: %d instances, %v", len(vs), err)
	}
	peers := map[string]int{}
	for _, v := range vs {
		peers[v.PeerSystem]++
		if v.PeerSystem == arrayInfo(t, s, "sld-c").WWN && (!v.LocalIsSystemElement || v.CopyState != copyInitialized) {
			t.Errorf("standby instance: %+v (the sync secondary's volume is the SystemElement)", v)
		}
	}
	if peers[arrayInfo(t, s, "sld-a").WWN] != 2 || peers[arrayInfo(t, s, "sld-c").WWN] != 2 || peers[b.WWN] != 0 {
		t.Errorf("peer systems %v", peers)
	}

	// The primary is lost: sample S6 on sld-b.
	s.ArrayDown("sld-a")
	s.FinishTransitions()
	p := parsed(t, s, "sld-b", "showrcopy")
	tg := map[string]parser.Target{}
	for _, x := range p.Targets {
		tg[x.Name] = x
	}
	if tg["sld-a"].Status != "failed" || tg["sld-a"].Type != "FC" || tg["sld-c"].Status != "ready" || tg["sld-c"].Type != "IP" {
		t.Errorf("S6 targets: %+v", p.Targets)
	}
	if got := linkStatuses(t, s, "sld-b", "sld-a"); !slices.Equal(got, []string{"Down", "Down"}) {
		t.Errorf("S6 links to sld-a: %v", got)
	}
	if got := linkStatuses(t, s, "sld-b", "sld-c"); !slices.Equal(got, []string{"Up", "Up"}) {
		t.Errorf("S6 links to sld-c: %v", got)
	}
	sync, standby := p.Groups[0], p.Groups[1]
	if sync.Name != g || sync.Target != "sld-a" || sync.Status != "Stopped" || sync.Role != "Secondary" || sync.Mode != "Sync" ||
		sync.Volumes[0].SyncStatus != "Stopped" || sync.Volumes[0].LastSyncTime == nil {
		t.Errorf("S6 sync leg: %+v", sync)
	}
	if standby.Name != g || standby.Target != "sld-c" || standby.Status != "Backup" || standby.Role != "Secondary" || standby.Mode != "Periodic" ||
		standby.Volumes[0].SyncStatus != "Synced" || standby.LastSync != nil || !slices.Contains(standby.Options, "Period 5m") {
		t.Errorf("S6 standby leg: %+v", standby)
	}
	if sync.Volumes[0].RemoteID == standby.Volumes[0].RemoteID || sync.Volumes[0].LocalID != standby.Volumes[0].LocalID {
		t.Errorf("S6: the same local volume, each leg's remote id: %+v / %+v", sync.Volumes[0], standby.Volumes[0])
	}
	if g := listingOf(t, s, "sld-c", "rcg-sld", "sld-a"); g.Row != "T110-1" {
		t.Errorf("sld-c's leg to the lost primary: %+v", g)
	}

	// A DR operation on a group with two targets needs -t.
	refusedCLI(t, s, "sld-b", "setrcopygroup failover -f "+g, "Group has multiple targets")
	mustCLI(t, s, "sld-b", "setrcopygroup failover -f -t sld-a "+g)
	s.FinishTransitions()
	if g := listingOf(t, s, "sld-b", g, "sld-a"); g.Role != "Primary-Rev" || g.Row != "T110-3" {
		t.Errorf("failover: %+v", g)
	}
	if g := listingOf(t, s, "sld-b", g, "sld-c"); g.Status != "Backup" || g.Role != "Secondary" {
		t.Errorf("failover leaves the standby leg alone (simulator's choice): %+v", g)
	}
	s.ArrayUp("sld-a")
	mustCLI(t, s, "sld-b", "setrcopygroup recover -f -t sld-a "+g)
	s.FinishTransitions()
	// After recover sld-b sends sync to sld-a and periodic to sld-c; the
	// leg between sld-a and sld-c stands by.
	for _, c := range []struct{ array, target, status, role string }{
		{"sld-b", "sld-a", "Started", "Primary-Rev"}, {"sld-b", "sld-c", "Started", "Primary-Rev"},
		{"sld-a", "sld-b", "Started", "Secondary-Rev"}, {"sld-a", "sld-c", "Backup", "Secondary"},
		{"sld-c", "sld-b", "Started", "Secondary-Rev"}, {"sld-c", "sld-a", "Backup", "Secondary"},
	} {
		if g := listingOf(t, s, c.array, "rcg-sld", c.target); g.Status != c.status || g.Role != c.role || g.SyncStatus != "Synced" {
			t.Errorf("after recover, %s to %s: %+v, want %s %s", c.array, c.target, g, c.status, c.role)
		}
	}
	mustCLI(t, s, "sld-b", "setrcopygroup restore -f -t sld-a "+g)
	s.FinishTransitions()
	for array, ls := range want {
		for _, l := range ls {
			if g := listingOf(t, s, array, "rcg-sld", l[0]); g.Status != l[1] || g.Role != l[2] || g.SyncStatus != "Synced" {
				t.Errorf("after restore, %s to %s: %+v, want %v", array, l[0], g, l)
			}
		}
	}
}
