package fakearray

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDefaultScenario(t *testing.T) {
	sc := DefaultScenario()
	if len(sc.Arrays) != 2 || sc.Arrays[0].Name != "sim-a" || sc.Arrays[1].Name != "sim-b" {
		t.Fatalf("arrays: %+v", sc.Arrays)
	}
	modes := map[string]bool{}
	if len(sc.Groups) < 3 {
		t.Fatalf("%d groups, want >= 3", len(sc.Groups))
	}
	for _, g := range sc.Groups {
		modes[g.Mode] = true
		if n := len(g.Volumes); n < 2 || n > 8 {
			t.Errorf("group %s: %d volumes, want 2-8", g.Name, n)
		}
		if g.Primary != "sim-a" || g.Secondary != "sim-b" {
			t.Errorf("group %s: %s -> %s", g.Name, g.Primary, g.Secondary)
		}
	}
	if !modes["sync"] || !modes["periodic"] {
		t.Errorf("modes %v, want sync and periodic", modes)
	}
}

func TestExampleScenarioLoads(t *testing.T) {
	sc, err := LoadScenario("../examples/fakearray/sim.yml")
	if err != nil {
		t.Fatal(err)
	}
	// The simulator's CIM server speaks plain HTTP: never on 5989, the
	// port a WBEM client (and the docs) take for HTTPS.
	for _, a := range sc.Arrays {
		if _, port, _ := net.SplitHostPort(a.CIMListen); port == "5989" {
			t.Errorf("examples/fakearray/sim.yml: %s serves plain-HTTP CIM on %s, the HTTPS port", a.Name, a.CIMListen)
		}
	}
	// Every listen address on a fixed port: start on free ports instead.
	s := startSim(t, sc, Options{SSHListen: []string{"127.0.0.1:0", "127.0.0.1:0"}, CIMListen: []string{"127.0.0.1:0", "127.0.0.1:0"}})
	g, err := s.Group("sim-b", "rcg-archive")
	if err != nil || g.Row != "T109-stopped" || g.Volumes[0] != "archive.dr.0" {
		t.Fatalf("%+v %v", g, err)
	}
	out, _ := cli(t, s, "sim-a", "showrcopy groups rcg-db")
	if !strings.Contains(out, " 300 db.2 ") || !strings.Contains(out, " 1300 ") {
		t.Fatalf("explicit volume ids not printed:\n%s", out)
	}
	r := sshExec(t, s, "sim-a", "monitor", "monitor", "showrcopy targets")
	if r.err != nil || r.status != 0 {
		t.Fatalf("second user: %v %d", r.err, r.status)
	}
}

// trio is three arrays, for scenario error cases.
const trio = "arrays:\n  - {name: a, system_id: 1, users: [{name: u, password: p}]}\n  - {name: b, system_id: 2, users: [{name: u, password: p}]}\n  - {name: c, system_id: 3, users: [{name: u, password: p}]}\n"

// The scenario's cim_outside_tables replace the simulator's built-in
// choice for a state outside the tables.
func TestScenarioCIMChoice(t *testing.T) {
	sc, err := ParseScenario([]byte(trio+`groups:
  - {name: g, primary: a, secondary: b, mode: sync, volumes: [{name: v}]}
cim_outside_tables:
  - {role: Primary, sync_status: Stopped, target_status: failed, copy_state: Inactive, sync_state: Frozen, progress_status: Dormant}
`), "sim.yml")
	if err != nil {
		t.Fatal(err)
	}
	s := startSim(t, sc, Options{TimeScale: 1000})
	s.LinkDown("a", "b")
	s.FinishTransitions()
	g := listingOf(t, s, "a", "g", "")
	if !g.CIMChoice || g.Row != "" || g.CIM != (CIMAnswer{copyInactive, syncStateFrozen, progressDormant, false}) {
		t.Fatalf("%+v", g)
	}
	var found bool
	for _, e := range s.CIMAnswers() {
		found = found || e.Choice && strings.Contains(e.Source, "cim_outside_tables[0]")
	}
	if !found {
		t.Error("Sim.CIMAnswers does not list the scenario's choice")
	}
	// Without it: the built-in choice.
	d := startSim(t, nil, Options{TimeScale: 1000})
	d.LinkDown("sim-a", "sim-b")
	d.FinishTransitions()
	if g := listingOf(t, d, "sim-a", "rcg-db", ""); !g.CIMChoice || g.CIM != (CIMAnswer{copyBroken, syncStateBroken, progressCompleted, false}) {
		t.Fatalf("built-in choice: %+v", g)
	}
}

// The built-in scenarios by name.
func TestBuiltinScenarios(t *testing.T) {
	for _, name := range BuiltinScenarios {
		sc, err := BuiltinScenario(name)
		if err != nil || len(sc.Arrays) < 2 {
			t.Errorf("%s: %v", name, err)
		}
	}
	if sc, _ := BuiltinScenario("sld"); len(sc.Arrays) != 3 || sc.Groups[0].LongDistance == nil || len(sc.Targets) != 3 {
		t.Errorf("sld: %+v", sc)
	}
	if _, err := BuiltinScenario("triangle"); err == nil || !strings.Contains(err.Error(), "pair, sld") {
		t.Errorf("unknown: %v", err)
	}
}

func TestScenarioErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ yaml, want string }{
		{"arrays:\n  - name: a\n    sistem_id: 1\n", "sim.yml:3: unknown key \"sistem_id\""},
		{"transition_delay: soon\n", "sim.yml:1: "},
		{"arrays:\n  - name: a\n    system_id: 1\n    users: [{name: u, password: p}]\n  - name: a\n    system_id: 2\n    users: [{name: u, password: p}]\n",
			`sim.yml:5: array "a" defined twice`},
		{"arrays:\n  - {name: a, system_id: 1, users: [{name: u, password: p}]}\n  - {name: b, system_id: 2, users: [{name: u, password: p}]}\n" +
			"groups:\n  - {name: g, primary: a, secondary: b, mode: async, volumes: [{name: v}]}\n", "sim.yml:5: group g: mode \"async\": want sync or periodic"},
		{"arrays:\n  - {name: a, system_id: 1, users: [{name: u, password: p}]}\n  - {name: b, system_id: 2, users: [{name: u, password: p}]}\n" +
			"groups:\n  - {name: g, primary: a, secondary: c, mode: sync, volumes: [{name: v}]}\n", `sim.yml:5: group g: unknown secondary array "c"`},
		{"arrays:\n  - {name: a, system_id: 1, users: [{name: simadmin, password: p}]}\n", "reserved for control"},
		{"arrays:\n  - {name: a, system_id: 1, users: [{name: u, password: p}], faults: [bogus]}\n", `sim.yml:2: array a: unknown fault "bogus"`},
		{"", "no arrays"},
		{"time_scale: -1\n" + trio, "time_scale must be positive"},
		{"returning_primary: stays\n" + trio, `returning_primary "stays": want tables or continentalclusters`},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: periodic, long_distance: {secondary: c}, volumes: [{name: v}]}\n",
			"sim.yml:6: group g: long_distance needs mode sync"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, long_distance: {secondary: b}, volumes: [{name: v}]}\n",
			"sim.yml:6: group g: long_distance: secondary b must be a third array"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, long_distance: {secondary: d}, volumes: [{name: v}]}\n",
			`sim.yml:6: group g: long_distance: unknown secondary array "d"`},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, resync_duration: 1m, volumes: [{name: v}]}\n",
			"sim.yml:6: group g: resync_duration is for periodic groups"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: periodic, period: 1m, resync_duration: 1m, volumes: [{name: v}]}\n",
			"resync_duration must be shorter than the period"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, new: true, stopped: true, volumes: [{name: v}]}\n",
			"new and stopped exclude each other"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, volumes: [{name: v, status: Stale}]}\n",
			"status Stale is for periodic groups"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, volumes: [{name: v, status: Broken}]}\n",
			`status "Broken": want NotSynced or Stale`},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, new: true, volumes: [{name: v, status: NotSynced}]}\n",
			"status NotSynced is for a started group"},
		{trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, volumes: [{name: v, long_distance_id: 5}]}\n",
			"long_distance_id without long_distance"},
		{trio + "cim_outside_tables:\n  - {role: Secondary, sync_status: Stopped, target_status: failed, copy_state: 5, sync_state: 12, progress_status: 2}\n",
			"sim.yml:6: Secondary/Stopped, target failed: the manual answers this state (T110-1)"},
		{trio + "cim_outside_tables:\n  - {role: Primary, sync_status: Stopped, target_status: any, copy_state: 8, sync_state: 14, progress_status: 2}\n",
			"the manual answers this state (T109-stopped)"},
		{trio + "cim_outside_tables:\n  - {role: Primary, sync_status: Stopped, target_status: failed, copy_state: Brokn, sync_state: 12, progress_status: 2}\n",
			`copy_state "Brokn": want a number or a DMTF name`},
		{trio + "cim_outside_tables:\n  - {role: Boss, sync_status: Stopped, target_status: failed, copy_state: 5, sync_state: 12, progress_status: 2}\n",
			`role "Boss"`},
		{trio + "cim_outside_tables:\n  - {role: Primary, sync_status: Stopped, target_status: down, copy_state: 5, sync_state: 12, progress_status: 2}\n",
			`target_status "down": want ready, failed or any`},
		{trio + "cim_outside_tables:\n  - {role: Primary, sync_status: Stopped, target_status: failed, copy_state: 5, progress_status: 2}\n",
			"sync_state missing"},
	}
	for _, c := range cases {
		_, err := ParseScenario([]byte(c.yaml), "sim.yml")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want %q", c.yaml, err, c.want)
		}
	}
}

func TestGenerate(t *testing.T) {
	sc, err := ParseScenario([]byte("generate: {arrays: 4, groups_per_pair: 3, volumes_per_group: 2}\n"), "gen.yml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Arrays) != 4 || len(sc.Groups) != 6 || len(sc.Targets) != 2 {
		t.Fatalf("%d arrays, %d groups, %d targets", len(sc.Arrays), len(sc.Groups), len(sc.Targets))
	}
	s := startSim(t, sc, Options{})
	gs, err := s.Groups("sim-0003")
	if err != nil || len(gs) != 3 || gs[0].Group != "rcg-0.r200002" || gs[0].Row != "T109-synced" {
		t.Fatalf("%+v %v", gs, err)
	}
}

// TestHostKeyFile: generated once, written, and the same after a restart.
func TestHostKeyFile(t *testing.T) {
	dir := t.TempDir()
	sc := DefaultScenario()
	sc.HostKeyDir = dir
	s1 := startSim(t, sc, Options{})
	k1 := arrayInfo(t, s1, "sim-a").HostKey.Marshal()
	s1.Close()
	st, err := os.Stat(filepath.Join(dir, "sim-a.key"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", st, err)
	}
	s2 := startSim(t, sc, Options{})
	if !bytes.Equal(k1, arrayInfo(t, s2, "sim-a").HostKey.Marshal()) {
		t.Fatal("host key changed across restarts")
	}
	if bytes.Equal(k1, arrayInfo(t, s2, "sim-b").HostKey.Marshal()) {
		t.Fatal("two arrays share a host key")
	}
}

// FuzzParseScenario: any input gives a scenario or an error naming the
// file, never a panic.
func FuzzParseScenario(f *testing.F) {
	maxGeneratedVolumePairs = 2000
	seed, _ := os.ReadFile("../examples/fakearray/sim.yml")
	f.Add(seed)
	f.Add([]byte("generate: {arrays: 3, groups_per_pair: 2, volumes_per_group: 2}\n"))
	f.Add([]byte("arrays:\n  - {name: a, system_id: 1, users: [{name: u, password: p}]}\n"))
	f.Add([]byte("transition_delay: -1s\ntime_zone: Nowhere/City\n"))
	f.Add([]byte(trio + "groups:\n  - {name: g, primary: a, secondary: b, mode: sync, long_distance: {secondary: c}, volumes: [{name: v, long_distance_id: 3, status: Stale}]}\n" +
		"cim_outside_tables:\n  - {role: Primary, sync_status: Stopped, target_status: failed, copy_state: 8, sync_state: 14, progress_status: 3}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := ParseScenario(data, "fuzz.yml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(sc.Arrays) == 0 {
			t.Fatal("a valid scenario without arrays")
		}
		if err := sc.normalize(); err != nil {
			t.Fatalf("normalize is not idempotent: %v", err)
		}
	})
}

func TestScenarioDuplicateVolumeIDs(t *testing.T) {
	y := "arrays:\n  - {name: a, system_id: 1, users: [{name: u, password: p}]}\n  - {name: b, system_id: 2, users: [{name: u, password: p}]}\n" +
		"groups:\n  - {name: g, primary: a, secondary: b, mode: sync, volumes: [{name: v, id: 7}, {name: w, id: 7}]}\n"
	if _, err := ParseScenario([]byte(y), "s.yml"); err == nil || !strings.Contains(err.Error(), "s.yml:5: group g: volume id 7 used twice on a") {
		t.Fatalf("%v", err)
	}
}
