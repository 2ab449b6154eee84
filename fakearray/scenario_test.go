package fakearray

import (
	"bytes"
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
