package fakearray

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// roundTripScenario covers what the printer must handle: an FC and an IP
// target, a group without options, long names, periodic and sync groups.
func roundTripScenario() *Scenario {
	users := []UserConfig{{Name: DefaultUser, Password: DefaultPassword}}
	return &Scenario{
		Arrays: []ArrayConfig{
			{Name: "AlletraMP_E18U31", SystemID: 188150, Users: users},
			{Name: "b", SystemID: 96, Users: users},
			{Name: "c", SystemID: 97, Users: users},
		},
		Targets: []TargetConfig{{Arrays: []string{"AlletraMP_E18U31", "b"}, Type: "FC"}},
		Groups: []GroupConfig{
			{Name: "zz_rc_test_rcg", Primary: "AlletraMP_E18U31", Secondary: "b", Mode: "periodic", Period: Duration(90 * time.Second),
				Options: []string{"auto_recover", "over_per_alert"}, Volumes: []VolumeConfig{{Name: "zz_rc_test_v01", ID: 12389}, {Name: "v2"}}},
			{Name: "Intern_Automation", Primary: "AlletraMP_E18U31", Secondary: "b", Mode: "sync",
				Volumes: []VolumeConfig{{Name: "Automation1"}}},
			{Name: "toc", Primary: "AlletraMP_E18U31", Secondary: "c", Mode: "sync", Stopped: true,
				Options: []string{"auto_recover"}, Volumes: []VolumeConfig{{Name: "c.1", RemoteName: "pvc-ca03a916-a6fb-434c-bc00-6b8"}}},
		},
	}
}

var roundTripCommands = []string{
	"showrcopy", "showrcopy -d", "showrcopy groups", "showrcopy -d groups zz* toc* Intern*", "showrcopy links",
	"showrcopy targets", "showrcopy -csvtable", "showrcopy -csvtable -d groups",
}

// TestPrintRoundTrip: parser.Parse(print(x)) == x, for every form, in
// several pair states, on every array.
func TestPrintRoundTrip(t *testing.T) {
	fixed := time.Date(2026, 10, 9, 23, 39, 24, 0, time.UTC)
	s := startSim(t, roundTripScenario(), Options{Clock: func() time.Time { return fixed }})
	check := func(state string) {
		for _, array := range []string{"AlletraMP_E18U31", "b", "c"} {
			for _, cmd := range roundTripCommands {
				w, f := parseShowArgs(t, cmd)
				s.mu.RLock()
				want, err := s.outputLocked(s.byName[array], w)
				s.mu.RUnlock()
				if err != nil {
					t.Fatal(err)
				}
				printed := printOutput(want, f)
				got, err := parser.Parse(printed)
				if err != nil {
					t.Fatalf("%s, %s, %s: %v\n%s", state, array, cmd, err, printed)
				}
				if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
					t.Fatalf("%s, %s, %s: round trip differs\nprinted:\n%s\nparsed: %s\nmodel:  %s", state, array, cmd, printed, g, w)
				}
				if out, _ := s.Exec(array, cmd); out != string(printed) {
					t.Fatalf("%s: Exec prints something else", cmd)
				}
			}
		}
	}
	check("healthy")
	s.CutLinks("AlletraMP_E18U31", "b", 1, true)
	s.NextTransition()
	check("one link down")
	s.LinkDown("AlletraMP_E18U31", "b")
	s.FinishTransitions()
	check("links down")
	s.ArrayDown("AlletraMP_E18U31")
	mustExec(t, s, "b", "setrcopygroup failover -f zz_rc_test_rcg.r188150")
	s.FinishTransitions()
	s.ArrayUp("AlletraMP_E18U31")
	s.LinkUp("AlletraMP_E18U31", "b")
	check("failed over")
}

// TestPrintRoundTripSLD: the same for the Synchronous Long Distance trio
// (FC and IP targets, a group listed once per target, Backup legs), with
// volumes in several statuses.
func TestPrintRoundTripSLD(t *testing.T) {
	fixed := time.Date(2026, 10, 9, 23, 39, 24, 0, time.UTC)
	sc := SLDScenario()
	sc.Groups = append(sc.Groups, GroupConfig{Name: "rcg-new", Primary: "sld-a", Secondary: "sld-b", Mode: "periodic", New: true,
		Volumes: []VolumeConfig{{Name: "n.0"}, {Name: "n.1"}}})
	s := startSim(t, sc, Options{Clock: func() time.Time { return fixed }, TimeScale: 1000})
	check := func(state string) {
		for _, array := range []string{"sld-a", "sld-b", "sld-c"} {
			for _, cmd := range roundTripCommands {
				w, f := parseShowArgs(t, cmd)
				s.mu.RLock()
				want, err := s.outputLocked(s.byName[array], w)
				s.mu.RUnlock()
				if err != nil {
					continue // the array is down
				}
				printed := printOutput(want, f)
				got, err := parser.Parse(printed)
				if err != nil {
					t.Fatalf("%s, %s, %s: %v\n%s", state, array, cmd, err, printed)
				}
				if g, w := jsonOf(t, got), jsonOf(t, want); g != w {
					t.Fatalf("%s, %s, %s: round trip differs\nprinted:\n%s\nparsed: %s\nmodel:  %s", state, array, cmd, printed, g, w)
				}
			}
		}
	}
	check("healthy")
	mustExec(t, s, "sld-a", "startrcopygroup rcg-new")
	s.NextTransition()
	check("initial sync")
	s.FinishTransitions()
	s.SetVolumeStatus("rcg-sld", "sld.1", "sld-c", "Stale")
	check("stale")
	s.ArrayDown("sld-a")
	s.FinishTransitions()
	check("primary lost")
}

func mustExec(t *testing.T, s *Sim, array, cmd string) string {
	t.Helper()
	out, status := s.Exec(array, cmd)
	if status != 0 {
		t.Fatalf("%s: %s: %d %s", array, cmd, status, out)
	}
	return out
}

func parseShowArgs(t *testing.T, cmd string) (showWhat, printFormat) {
	w := showWhat{}
	f := printFormat{}
	args := strings.Fields(cmd)[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-d":
			w.detail = true
		case "-csvtable":
			f.csv = true
		}
		args = args[1:]
	}
	if len(args) == 0 {
		w.targets, w.links, w.groups = true, true, true
		return w, f
	}
	switch args[0] {
	case "groups":
		w.groups, w.groupNames = true, args[1:]
	case "links":
		w.links = true
	case "targets":
		w.targets = true
	default:
		t.Fatalf("bad command %q", cmd)
	}
	return w, f
}

func jsonOf(t *testing.T, o *parser.Output) string {
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + " sections=" + strings.Join(o.Sections, ",")
}

// TestPrintGolden pins the exact text (padding, headers, CSV quoting) so a
// person can review it; run with -update after a deliberate change.
func TestPrintGolden(t *testing.T) {
	fixed := time.Date(2026, 10, 9, 23, 39, 24, 0, time.UTC)
	s := startSim(t, roundTripScenario(), Options{Clock: func() time.Time { return fixed }})
	sld := startSim(t, SLDScenario(), Options{Clock: func() time.Time { return fixed }, TimeScale: 1000})
	sld.ArrayDown("sld-a")
	sld.FinishTransitions()
	for _, c := range []struct {
		sim              *Sim
		array, cmd, file string
	}{
		{s, "AlletraMP_E18U31", "showrcopy", "primary.txt"},
		{s, "b", "showrcopy -d groups", "secondary-d.txt"},
		{s, "AlletraMP_E18U31", "showrcopy -csvtable groups", "primary-csv.txt"},
		// The synchronous secondary after the primary's loss (sample S6).
		{sld, "sld-b", "showrcopy", "sld-b-primary-lost.txt"},
	} {
		got := mustExec(t, c.sim, c.array, c.cmd)
		path := filepath.Join("testdata", c.file)
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s %s differs from %s:\n%s", c.array, c.cmd, path, got)
		}
	}
}

func TestShowrcopyErrors(t *testing.T) {
	s := startSim(t, nil, Options{})
	for cmd, want := range map[string]string{
		"showrcopy -x":             "Invalid option -x",
		"showrcopy volumes":        "Invalid argument volumes",
		"showrcopy groups nope":    "no Remote Copy group matches nope",
		"showrcopy links extra":    "Too many arguments",
		"setclienv csvtable 2":     "setclienv csvtable 0|1",
		"startrcopygroup":          "Usage: startrcopygroup",
		"setrcopygroup failover":   "Missing group name",
		"setrcopygroup bogus -f g": "Invalid subcommand bogus",
		"stoprcopygroup nope":      "does not exist",
	} {
		out, status := s.Exec("sim-a", cmd)
		if status == 0 || !strings.Contains(out, want) {
			t.Errorf("%s: status %d %q, want an error with %q", cmd, status, out, want)
		}
	}
	if out, status := s.Exec("nope", "showrcopy"); status == 0 {
		t.Errorf("unknown array: %q", out)
	}
}
