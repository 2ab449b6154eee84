package fakearray_test

// The simulator is evidence only while it is independent of the code it
// is used to check: its CIM answers are written down in fakearray
// (cimtable.go) from the manual, and these tests hold them against package
// expected's tables. A wrong triple in either shows up here, named with
// the state and both triples.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/parser"
)

func triple(a fakearray.CIMAnswer) expected.Triple {
	return expected.Triple{CopyState: expected.CopyState(a.CopyState), SyncState: expected.SyncState(a.SyncState),
		ProgressStatus: expected.ProgressStatus(a.ProgressStatus), RoleReversed: a.RoleReversed}
}

func rowsText(rows []expected.Row) string {
	if len(rows) == 0 {
		return "no row"
	}
	var parts []string
	for _, r := range rows {
		parts = append(parts, r.ID+" "+r.Triple.String())
	}
	return strings.Join(parts, "; ")
}

// disagreement says why the simulator's answer for an observation is not
// what the tables allow ("" when it is): a manual answer must be one of
// the matching rows' triples, and a state no row matches must be answered
// by one of the simulator's own (declared) choices.
func disagreement(o expected.Observation, got fakearray.CIMAnswer, choice bool) string {
	rows := expected.Default().Match(o, false)
	state := fmt.Sprintf("%s/%s, target %s, group %s", o.Role, o.SyncStatus, o.TargetStatus, o.GroupStatus)
	switch {
	case len(rows) == 0 && !choice:
		return fmt.Sprintf("state %s: simulator CIM %v presented as the manual's, but the tables have no row", state, triple(got))
	case len(rows) > 0 && choice:
		return fmt.Sprintf("state %s: simulator CIM %v is its own choice, but the tables have %s", state, triple(got), rowsText(rows))
	case len(rows) > 0:
		if _, ok := expected.Conforms(rows, triple(got)); !ok {
			return fmt.Sprintf("state %s: simulator CIM %v, expected %s", state, triple(got), rowsText(rows))
		}
	}
	return ""
}

// TestCIMAnswersAgreeWithTables holds every line of the simulator's CIM
// answers against the tables, for every link state the line covers.
func TestCIMAnswersAgreeWithTables(t *testing.T) {
	for _, e := range fakearray.CIMAnswers() {
		links := map[string]string{fakearray.LinkUp: "ready", fakearray.LinkDown: "failed"}
		for link, target := range links {
			if e.Link != fakearray.LinkAny && e.Link != link {
				continue
			}
			syncs := []string{e.SyncStatus}
			group := "Started"
			if e.Backup {
				group, syncs = "Backup", []string{"New", "Syncing", "Synced", "NotSynced", "Stale", "Stopped"}
			}
			for _, sync := range syncs {
				o := expected.Observation{Role: e.Role, SyncStatus: sync, TargetStatus: target, GroupStatus: group}
				if msg := disagreement(o, e.CIMAnswer, e.Choice); msg != "" {
					t.Errorf("%s (simulator's line: %s)", msg, e.Source)
				}
			}
		}
		// The line names the rows it stands for; they must be rows of the
		// tables with its values.
		for _, id := range e.Rows {
			r, ok := expected.Default().Row(id)
			if !ok {
				t.Errorf("simulator line %q names row %s, which the tables lack", e.Source, id)
				continue
			}
			if r.Triple != triple(e.CIMAnswer) {
				t.Errorf("row %s: simulator's line %v, the tables' %v (%s)", id, triple(e.CIMAnswer), r.Triple, e.Source)
			}
		}
		if e.Choice && len(e.Rows) > 0 || !e.Choice && len(e.Rows) == 0 {
			t.Errorf("line %q: a manual line names its rows, a choice none", e.Source)
		}
	}
}

// Every row of the tables is a line of the simulator's answers: it can
// answer every state the manual describes.
func TestEveryRowHasASimulatorLine(t *testing.T) {
	named := map[string]bool{}
	for _, e := range fakearray.CIMAnswers() {
		for _, id := range e.Rows {
			named[id] = true
		}
	}
	for _, r := range expected.Default().Rows() {
		if !named[r.ID] {
			t.Errorf("row %s has no line in the simulator's CIM answers", r.ID)
		}
	}
}

// walker drives a simulation and checks, after every step, every volume
// of every listing on every array that is up: showrcopy as a user reads
// it, the CIM instance whose peer is the listing's target over CIM-XML,
// and the tables' rows for what showrcopy shows.
type walker struct {
	t       *testing.T
	sim     *fakearray.Sim
	clients map[string]*cim.Client
	// seen counts the simulator's lines the walk reached.
	seen map[int]int
	rows map[string]bool
	// reported keeps one message per listing and step (a group's volumes
	// usually disagree alike).
	reported map[string]bool
}

func (w *walker) errorf(key, format string, args ...any) {
	w.t.Helper()
	if !w.reported[key] {
		w.reported[key] = true
		w.t.Errorf(format, args...)
	}
}

func newWalker(t *testing.T, sc *fakearray.Scenario) *walker {
	t.Helper()
	s, err := fakearray.Start(context.Background(), sc, fakearray.Options{TransitionDelay: time.Hour, TimeScale: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &walker{t: t, sim: s, clients: map[string]*cim.Client{}, seen: map[int]int{}, rows: map[string]bool{}, reported: map[string]bool{}}
}

func (w *walker) do(array, cmd string) {
	w.t.Helper()
	if out, status := w.sim.Exec(array, cmd); status != 0 {
		w.t.Fatalf("%s: %s: %d %s", array, cmd, status, out)
	}
}

func (w *walker) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// check observes every array that is up after step.
func (w *walker) check(step string) {
	w.t.Helper()
	answers := w.sim.CIMAnswers()
	for _, info := range w.sim.Arrays() {
		out, status := w.sim.Exec(info.Name, "showrcopy")
		if status == 255 {
			continue // powered off
		}
		p, err := parser.Parse([]byte(out))
		if err != nil {
			w.t.Fatalf("%s: %s: showrcopy: %v\n%s", step, info.Name, err, out)
		}
		c := w.clients[info.Name]
		if c == nil {
			if c, err = cim.NewClient(cim.ClientOptions{URL: info.CIMURL, User: info.User, Password: info.Password}); err != nil {
				w.t.Fatal(err)
			}
			w.clients[info.Name] = c
		}
		instances, err := c.RemoteCopyVolumes(context.Background())
		if err != nil {
			w.t.Fatalf("%s: %s: CIM: %v", step, info.Name, err)
		}
		for _, g := range p.Groups {
			target := ""
			for _, tg := range p.Targets {
				if tg.Name == g.Target {
					target = tg.Status
				}
			}
			peer, _ := w.sim.Array(g.Target)
			for _, v := range g.Volumes {
				i := slices.IndexFunc(instances, func(x cim.RemoteCopyVolume) bool { return x.Volume == v.LocalVV && x.PeerSystem == peer.WWN })
				if i < 0 {
					w.t.Errorf("%s: %s %s %s: no CIM instance naming peer %s", step, info.Name, g.Name, v.LocalVV, g.Target)
					continue
				}
				got := fakearray.CIMAnswer{CopyState: instances[i].CopyState, SyncState: instances[i].SyncState,
					ProgressStatus: instances[i].ProgressStatus, RoleReversed: instances[i].RoleReversed}
				o := expected.Observation{Role: g.Role, SyncStatus: v.SyncStatus, TargetStatus: target, GroupStatus: g.Status}
				line := -1
				for j, e := range answers {
					if e.CIMAnswer == got && e.Role == g.Role && (e.SyncStatus == "" || e.SyncStatus == v.SyncStatus) &&
						e.Backup == (g.Status == "Backup") && (e.Link == fakearray.LinkAny || (e.Link == fakearray.LinkUp) == (target == "ready")) {
						line = j
						break
					}
				}
				if line < 0 {
					w.t.Errorf("%s: %s %s %s to %s: state %s/%s target %s group %s: CIM %v is no line of the simulator's answers",
						step, info.Name, g.Name, v.LocalVV, g.Target, g.Role, v.SyncStatus, target, g.Status, triple(got))
					continue
				}
				w.seen[line]++
				if msg := disagreement(o, got, answers[line].Choice); msg != "" {
					w.errorf(step+info.Name+g.Name+g.Target+msg, "%s: %s %s %s to %s: %s", step, info.Name, g.Name, v.LocalVV, g.Target, msg)
				}
				if r, ok := expected.Conforms(expected.Default().Match(o, false), triple(got)); ok {
					w.rows[r.ID] = true
					for _, x := range expected.Default().Match(o, false) {
						if x.Triple == r.Triple {
							w.rows[x.ID] = true
						}
					}
				}
			}
		}
	}
}

// pairWalk drives the built-in pair (with a never-started group and a
// group without auto_recover added) through every state it can reach.
func pairWalk(t *testing.T) *walker {
	sc := fakearray.DefaultScenario()
	sc.Groups = append(sc.Groups,
		fakearray.GroupConfig{Name: "rcg-new", Primary: "sim-a", Secondary: "sim-b", Mode: "sync", New: true,
			Volumes: []fakearray.VolumeConfig{{Name: "new.0"}, {Name: "new.1"}}},
		fakearray.GroupConfig{Name: "rcg-fresh", Primary: "sim-a", Secondary: "sim-b", Mode: "periodic", New: true,
			Volumes: []fakearray.VolumeConfig{{Name: "fresh.0"}}},
		fakearray.GroupConfig{Name: "rcg-manual", Primary: "sim-a", Secondary: "sim-b", Mode: "periodic",
			Volumes: []fakearray.VolumeConfig{{Name: "manual.0"}}})
	w := newWalker(t, sc)
	const a, b = "sim-a", "sim-b"
	w.check("healthy")

	// Volume faults: NotSynced and Stale, groups of mixed statuses.
	w.must(w.sim.SetVolumeStatus("rcg-db", "db.0", "", "NotSynced"))
	w.must(w.sim.SetVolumeStatus("rcg-app", "app.0", "", "Stale"))
	w.check("volume faults")
	w.do(a, "syncrcopy rcg-db")
	w.do(a, "syncrcopy rcg-app")
	w.check("syncrcopy running")
	w.sim.FinishTransitions()

	// A group started for the first time copies its volumes one by one.
	w.do(a, "startrcopygroup rcg-new")
	w.check("initial sync")
	w.sim.FinishTransitions()
	w.check("initial sync done")

	// stoprcopygroup and startrcopygroup.
	w.do(a, "stoprcopygroup rcg-files")
	w.check("stopped")
	w.do(a, "startrcopygroup rcg-files")
	w.sim.FinishTransitions()

	// The links go: first one (target ready), then both (target failed);
	// both arrays up, so the natural primary shows its view too.
	w.must(w.sim.CutLinks(a, b, 1, true))
	w.sim.FinishTransitions()
	w.check("one link down")
	w.must(w.sim.LinkDown(a, b))
	w.check("links down, before the timeouts")
	w.sim.FinishTransitions()
	w.check("links down")
	w.must(w.sim.LinkUp(a, b))
	w.check("links back (auto_recover resyncs)")
	w.sim.FinishTransitions()
	w.do(a, "startrcopygroup rcg-manual")
	w.sim.FinishTransitions()

	// The disaster-recovery sequence.
	w.must(w.sim.ArrayDown(a))
	w.sim.FinishTransitions()
	w.check("primary down")
	w.do(b, "setrcopygroup failover -f rcg-db.r188150")
	w.check("failover issued")
	w.sim.FinishTransitions()
	w.check("failover done")
	w.must(w.sim.ArrayUp(a))
	w.check("primary back")
	for _, arr := range []string{a, b} {
		w.must(w.sim.InjectFault(arr, fakearray.FaultRecoverFails))
	}
	w.do(b, "setrcopygroup recover -f rcg-db.r188150")
	w.check("recover issued (will fail)")
	w.sim.FinishTransitions()
	w.check("recover failed")
	for _, arr := range []string{a, b} {
		w.must(w.sim.ClearFault(arr, fakearray.FaultRecoverFails))
	}
	w.check("links back after the failed recover")
	w.do(b, "setrcopygroup recover -f rcg-db.r188150")
	w.check("recover issued")
	w.sim.FinishTransitions()
	w.check("recover done")
	w.must(w.sim.InjectFault(a, fakearray.FaultRestoreFails))
	w.do(b, "setrcopygroup restore -f rcg-db.r188150")
	w.check("restore issued (will fail)")
	w.sim.FinishTransitions()
	w.check("restore failed")
	w.must(w.sim.ClearFault(a, ""))
	w.do(b, "setrcopygroup restore -f rcg-db.r188150")
	w.sim.FinishTransitions()
	w.check("restore done")

	// A planned failover (stop on the primary first) and reverse.
	w.do(a, "stoprcopygroup rcg-files")
	w.do(b, "setrcopygroup failover -f rcg-files.r188150")
	w.check("planned failover")
	w.sim.FinishTransitions()
	w.do(a, "setrcopygroup reverse -natural -f rcg-app")
	w.check("reverse -natural")
	return w
}

// sldWalk drives the built-in Synchronous Long Distance trio.
func sldWalk(t *testing.T) *walker {
	w := newWalker(t, fakearray.SLDScenario())
	const a, b = "sld-a", "sld-b"
	const g = "rcg-sld.r188160"
	w.check("healthy")
	w.must(w.sim.ArrayDown(a))
	w.sim.FinishTransitions()
	w.check("primary down (sample S6)")
	w.do(b, "setrcopygroup failover -f -t sld-a "+g)
	w.check("failover issued")
	w.sim.FinishTransitions()
	w.check("failover done")
	w.must(w.sim.ArrayUp(a))
	w.check("primary back")
	w.do(b, "setrcopygroup recover -f -t sld-a "+g)
	w.check("recover issued")
	w.sim.FinishTransitions()
	w.check("recover done")
	w.do(b, "setrcopygroup restore -f -t sld-a "+g)
	w.check("restore issued")
	w.sim.FinishTransitions()
	w.check("restore done")
	return w
}

// TestSimulatorAgreesWithTablesInEveryState walks both built-in scenarios
// through every state the simulator reaches, checks each against the
// tables, and checks that the walks reach every line of the simulator's
// answers and every row of the tables.
func TestSimulatorAgreesWithTablesInEveryState(t *testing.T) {
	pair := pairWalk(t)
	sld := sldWalk(t)
	answers := fakearray.CIMAnswers()
	for i, e := range answers {
		if pair.seen[i]+sld.seen[i] == 0 {
			t.Errorf("no walk reached the simulator's line %s/%s link %s op %q backup %t (%s)", e.Role, e.SyncStatus, e.Link, e.Op, e.Backup, e.Source)
		}
	}
	for _, r := range expected.Default().Rows() {
		if !pair.rows[r.ID] && !sld.rows[r.ID] {
			t.Errorf("no walk showed row %s", r.ID)
		}
	}
}
