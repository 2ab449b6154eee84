package collector

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/sshrun"
)

// simProbe scrapes the arrays of a running simulation the way the exporter
// does: sshrun over real SSH (host keys checked), the CIM client over
// CIM-XML, both on 127.0.0.1.
type simProbe struct {
	t          *testing.T
	sim        *fakearray.Sim
	pool       *sshrun.Pool
	knownHosts string
}

func startSimulation(t *testing.T, faults ...string) *simProbe {
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
	kh := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(kh, sim.KnownHosts(), 0o600); err != nil {
		t.Fatal(err)
	}
	pool := sshrun.NewPool(sshrun.PoolOptions{})
	t.Cleanup(func() { _ = pool.Close() })
	return &simProbe{t: t, sim: sim, pool: pool, knownHosts: kh}
}

func (sp *simProbe) probe(array string) string {
	t := sp.t
	t.Helper()
	info, ok := sp.sim.Array(array)
	if !ok {
		t.Fatalf("no simulated array %s", array)
	}
	runner := sp.pool.Runner(info.SSHAddress, "default", sshrun.Options{
		User: info.User, Password: config.NewSecret(info.Password),
		KnownHostsFile: sp.knownHosts, Timeout: 10 * time.Second,
	})
	client, err := cim.NewClient(cim.ClientOptions{URL: info.CIMURL, User: info.User, Password: info.Password})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	text, _ := scrape(t, ctx, Options{Target: array, Runner: runner, CIM: client})
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
		mustNotContain(t, text, `volume_cim_conformant{group="rcg-db`+map[string]string{"sim-a": "", "sim-b": ".r188150"}[a]+`",volume="db.0"} 0`)
		golden(t, "sim-healthy-"+a, text)
	}

	// The primary goes down, failover on the secondary: T110-3 (and the
	// uncertain T110-3b) on sim-b; sim-a cannot be reached.
	if err := sp.sim.ArrayDown("sim-a"); err != nil {
		t.Fatal(err)
	}
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
	mustHave(t, text, `threepar_rcopy_volume_expected_cim_info{copy_state="Failedover",group="`+gs+`",progress_status="Completed",role_reversed="true",row="T110-3",sync_state="Broken",volume="db.0"}`, 1)
	mustHave(t, text, `threepar_rcopy_volume_cim_conformant{group="`+gs+`",volume="db.0"}`, 1)
	mustHave(t, text, `threepar_rcopy_volume_cim_copy_state{group="`+gs+`",volume="db.0"}`, 10)
	golden(t, "sim-failedover-sim-b", text)

	// The primary is back and recover runs: T110-5 on sim-b, T110-6 on sim-a.
	if err := sp.sim.ArrayUp("sim-a"); err != nil {
		t.Fatal(err)
	}
	sp.cli("sim-b", "setrcopygroup recover -f "+gs)
	a, b := sp.probe("sim-a"), sp.probe("sim-b")
	mustHave(t, a, `threepar_rcopy_volume_expected_cim_info{copy_state="Unsynchronized",group="`+g+`",progress_status="Restoring",role_reversed="true",row="T110-6",sync_state="Restore In Progress",volume="db.0"}`, 1)
	mustHave(t, a, `threepar_rcopy_volume_cim_conformant{group="`+g+`",volume="db.0"}`, 1)
	mustHave(t, b, `threepar_rcopy_volume_expected_cim_info{copy_state="Unsynchronized",group="`+gs+`",progress_status="Restoring",role_reversed="true",row="T110-5",sync_state="Restore In Progress",volume="db.0"}`, 1)
	golden(t, "sim-recovering-sim-a", a)
	golden(t, "sim-recovering-sim-b", b)
}

// A CIM server that reports a CopyState no row allows (fault on sim-a) and
// one that forgets a volume (fault on sim-b).
func TestGoldenSimulatedCIMMismatch(t *testing.T) {
	sp := startSimulation(t, "sim-a:cim-copy-state-mismatch", "sim-b:cim-missing-volume")
	a := sp.probe("sim-a")
	mustHave(t, a, `threepar_rcopy_up`, 1)
	mustHave(t, a, `threepar_rcopy_volume_cim_copy_state{group="rcg-db",volume="db.0"}`, 6) // Fractured
	mustHave(t, a, `threepar_rcopy_volume_cim_conformant{group="rcg-db",volume="db.0"}`, 0)
	golden(t, "sim-cim-mismatch-sim-a", a)
	b := sp.probe("sim-b")
	mustHave(t, b, `threepar_rcopy_volume_cim_conformant{group="rcg-db.r188150",volume="db.0"}`, 0)
	mustNotContain(t, b, `threepar_rcopy_volume_cim_copy_state{group="rcg-db.r188150",volume="db.0"}`)
	mustHave(t, b, `threepar_rcopy_volume_cim_conformant{group="rcg-db.r188150",volume="db.1"}`, 1)
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
}
