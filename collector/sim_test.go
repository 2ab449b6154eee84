package collector

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/source"
)

// simProbe scrapes the arrays of a running simulation the way the exporter
// does: the configuration a deployment would have (written by the
// simulator), read through source.Clients: sshrun over real SSH (host keys
// checked) and the CIM client over CIM-XML, both on 127.0.0.1.
type simProbe struct {
	t       *testing.T
	sim     *fakearray.Sim
	cfg     *config.Config
	clients *source.Clients
}

func startSimulation(t *testing.T, faults ...string) *simProbe {
	t.Helper()
	return startSimulationCIM(t, true, faults...)
}

func startSimulationCIM(t *testing.T, withCIM bool, faults ...string) *simProbe {
	t.Helper()
	clock := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	sim, err := fakearray.Start(context.Background(), fakearray.DefaultScenario(), fakearray.Options{
		// Transitions wait until the test finishes them: every
		// intermediate state is observed without races.
		TransitionDelay: time.Hour,
		Clock:           func() time.Time { return clock },
		Faults:          faults,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	path, err := sim.WriteConfig(t.TempDir(), fakearray.ConfigOptions{CIM: withCIM})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	clients := source.NewClients(nil)
	t.Cleanup(func() { _ = clients.Close() })
	return &simProbe{t: t, sim: sim, cfg: cfg, clients: clients}
}

func (sp *simProbe) probe(array string) string {
	t := sp.t
	t.Helper()
	address, m, err := sp.cfg.Resolve(array, "")
	if err != nil {
		t.Fatal(err)
	}
	a := sp.clients.Array(array, address, m, false)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	text, _ := scrape(t, ctx, Options{Target: array, Array: a})
	return text
}

func (sp *simProbe) cli(array, command string) {
	sp.t.Helper()
	if out, status := sp.sim.Exec(array, command); status != 0 {
		sp.t.Fatalf("%s: %s: exit %d: %s", array, command, status, out)
	}
}

// The simulated pair through the disaster-recovery sequence of Table 110,
// probed over real SSH and CIM-XML at each step.
func TestGoldenSimulatedSequence(t *testing.T) {
	sp := startSimulation(t)
	const g, gs = "rcg-db", "rcg-db.r188150"

	// Healthy: both arrays at T109-synced, everything conforms.
	for _, a := range []string{"sim-a", "sim-b"} {
		text := sp.probe(a)
		mustHave(t, text, `threepar_rcopy_up`, 1)
		mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="rcg-db`+map[string]string{"sim-a": `",natural_group="rcg-db",target="sim-b`, "sim-b": `.r188150",natural_group="rcg-db",target="sim-a`}[a]+`",volume="db.0"}`, 1)
		golden(t, "sim-healthy-"+a, text)
	}

	// The primary goes down, failover on the secondary: T110-3 on sim-b;
	// sim-a cannot be reached.
	if err := sp.sim.ArrayDown("sim-a"); err != nil {
		t.Fatal(err)
	}
	sp.sim.FinishTransitions() // the link and target timeouts: sim-b's target fails
	sp.cli("sim-b", "setrcopygroup failover -f "+gs)
	sp.sim.FinishTransitions()
	down := sp.probe("sim-a")
	mustHave(t, down, `threepar_rcopy_up`, 0)
	mustHave(t, down, `threepar_rcopy_scrape_error{stage="connect"}`, 1)
	golden(t, "sim-failedover-sim-a", down)
	text := sp.probe("sim-b")
	mustHave(t, text, `threepar_rcopy_up`, 1)
	mustHave(t, text, `threepar_rcopy_target_ready{target="sim-a"}`, 0)
	mustHave(t, text, `threepar_rcopy_group_role{group="`+gs+`",natural_group="rcg-db",role="Primary-Rev",target="sim-a"}`, 1)
	onA := `",natural_group="rcg-db",target="sim-a",volume="db.0"}`
	onB := `",natural_group="rcg-db",target="sim-b",volume="db.0"}`
	mustHave(t, text, `threepar_rcopy_volume_expected_cim_info{copy_state="Failedover",group="`+gs+`",natural_group="rcg-db",progress_status="Completed",role_reversed="true",rows="T110-3,T110-8",sync_state="Broken",target="sim-a",volume="db.0"}`, 1)
	mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="`+gs+onA, 1)
	mustHave(t, text, `threepar_rcopy_volume_cim_info{copy_state="Failedover",group="`+gs+`",natural_group="rcg-db",progress_status="Completed",role_reversed="true",sync_state="Broken",target="sim-a",volume="db.0"}`, 1)
	golden(t, "sim-failedover-sim-b", text)

	// The primary is back and recover runs: T110-5 on sim-b, T110-6 on sim-a.
	if err := sp.sim.ArrayUp("sim-a"); err != nil {
		t.Fatal(err)
	}
	sp.cli("sim-b", "setrcopygroup recover -f "+gs)
	a, b := sp.probe("sim-a"), sp.probe("sim-b")
	mustHave(t, a, `threepar_rcopy_volume_expected_cim_info{copy_state="Unsynchronized",group="`+g+`",natural_group="rcg-db",progress_status="Restoring",role_reversed="true",rows="T110-6",sync_state="Restore In Progress",target="sim-b",volume="db.0"}`, 1)
	mustHave(t, a, `threepar_rcopy_volume_cim_conformant{group="`+g+onB, 1)
	mustHave(t, b, `threepar_rcopy_volume_expected_cim_info{copy_state="Unsynchronized",group="`+gs+`",natural_group="rcg-db",progress_status="Restoring",role_reversed="true",rows="T110-5",sync_state="Restore In Progress",target="sim-a",volume="db.0"}`, 1)
	golden(t, "sim-recovering-sim-a", a)
	golden(t, "sim-recovering-sim-b", b)
}

// A CIM server that reports a CopyState no row allows (fault on sim-a) and
// one that forgets a volume (fault on sim-b).
func TestGoldenSimulatedCIMMismatch(t *testing.T) {
	sp := startSimulation(t, "sim-a:cim-copy-state-mismatch", "sim-b:cim-missing-volume")
	a := sp.probe("sim-a")
	mustHave(t, a, `threepar_rcopy_up`, 1)
	onB := `",natural_group="rcg-db",target="sim-b",volume="db.0"}`
	mustHave(t, a, `threepar_rcopy_volume_cim_info{copy_state="Fractured",group="rcg-db",natural_group="rcg-db",progress_status="Completed",role_reversed="false",sync_state="Synchronized",target="sim-b",volume="db.0"}`, 1)
	mustHave(t, a, `threepar_rcopy_volume_cim_conformant{group="rcg-db`+onB, 0)
	golden(t, "sim-cim-mismatch-sim-a", a)
	b := sp.probe("sim-b")
	onA := `",natural_group="rcg-db",target="sim-a",volume="db.`
	mustHave(t, b, `threepar_rcopy_volume_cim_conformant{group="rcg-db.r188150`+onA+`0"}`, 0)
	mustNotContain(t, b, `threepar_rcopy_volume_cim_info{copy_state="Synchronized",group="rcg-db.r188150`+onA+`0"}`)
	mustHave(t, b, `threepar_rcopy_volume_cim_conformant{group="rcg-db.r188150`+onA+`1"}`, 1)
	golden(t, "sim-cim-missing-sim-b", b)
}

// CIM failing while SSH works: the showrcopy series stay, up is 0, stage cim.
func TestSimulatedCIMDown(t *testing.T) {
	sp := startSimulation(t, "sim-a:cim-down")
	text := sp.probe("sim-a")
	mustHave(t, text, `threepar_rcopy_up`, 0)
	mustHave(t, text, `threepar_rcopy_scrape_error{stage="cim"}`, 1)
	mustHave(t, text, `threepar_rcopy_group_role{group="rcg-db",natural_group="rcg-db",role="Primary",target="sim-b"}`, 1)
	mustNotContain(t, text, "volume_cim_")
	mustNotContain(t, text, "volumes_cim_")
}

// The series budget (docs/metrics.md): on the healthy simulated pair a volume costs at
// most 3 series without CIM and 5 with CIM, one more where a last-sync
// time is printed.
func TestSeriesBudgetPerVolume(t *testing.T) {
	for _, withCIM := range []bool{false, true} {
		sp := startSimulationCIM(t, withCIM)
		for _, array := range []string{"sim-a", "sim-b"} {
			text := sp.probe(array)
			perVolume := map[string]int{}
			lastSync := map[string]bool{}
			for _, line := range strings.Split(text, "\n") {
				if !strings.HasPrefix(line, Namespace+"_volume_") {
					continue
				}
				i := strings.Index(line, `volume="`)
				if i < 0 {
					t.Fatalf("volume series without a volume label: %s", line)
				}
				// group, target and volume name the volume's leg
				key := labelValue(line, "group") + "/" + labelValue(line, "target") + "/" + labelValue(line, "volume")
				perVolume[key]++
				if strings.HasPrefix(line, Namespace+"_volume_last_sync_timestamp_seconds") {
					lastSync[key] = true
				}
			}
			if len(perVolume) == 0 {
				t.Fatalf("%s: no volume series", array)
			}
			budget := 3
			if withCIM {
				budget = 5
			}
			for v, n := range perVolume {
				limit := budget
				if lastSync[v] {
					limit++
				}
				if n > limit {
					t.Errorf("%s (CIM %t): volume %s has %d series, budget %d", array, withCIM, v, n, limit)
				}
			}
			t.Logf("%s, CIM %t: %d volumes, %d series in all", array, withCIM, len(perVolume), strings.Count(text, "\n")-2*strings.Count(text, "# TYPE"))
		}
	}
}

// labelValue returns the value of label name in one exposition line.
func labelValue(line, name string) string {
	i := strings.Index(line, name+`="`)
	if i < 0 {
		return ""
	}
	rest := line[i+len(name)+2:]
	return rest[:strings.IndexByte(rest, '"')]
}
