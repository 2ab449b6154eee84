package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// TestExampleHonoursTargetModules: Prometheus, configured with the rcopy
// job of examples/prometheus.yml as shipped (its relabeling, no module
// parameter), probes two arrays whose entries in the exporter's
// configuration name different modules: sim-a a module that reads CIM
// (through the target's own cim_url, as the module's URL points nowhere),
// sim-b an SSH-only module. Only sim-a's series carry what its CIM server
// reports; a module= parameter in the example would give both arrays the
// same module, and a cim_url that was not honoured would fail sim-a's CIM
// read.
func TestExampleHonoursTargetModules(t *testing.T) {
	prometheusBin := testtool.Require(t, "prometheus")
	dir := t.TempDir()
	sim, err := fakearray.Start(t.Context(), fakearray.DefaultScenario(), fakearray.Options{TransitionDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	arrays := map[string]fakearray.ArrayInfo{}
	for _, a := range sim.Arrays() {
		arrays[a.Name] = a
	}
	a, b := arrays[primaryArray], arrays[secondaryArray]
	if a.Password != b.Password || a.User != b.User {
		t.Fatalf("the built-in arrays no longer share a login: %+v %+v", a, b)
	}
	ssh := fmt.Sprintf("{user: %q, password_file: password, known_hosts_file: known_hosts, timeout: 10s}", a.User)
	config := fmt.Sprintf(`modules:
  default:
    ssh: %s
  with-cim:
    ssh: %s
    # Port 1 on purpose: every target of this module names its own cim_url.
    cim: {url: 'http://127.0.0.1:1', user: %q, password_file: password, timeout: 10s}
targets:
  %s: {address: %q, module: with-cim, cim_url: %q}
  %s: {address: %q, module: default}
`, ssh, ssh, a.User, a.Name, a.SSHAddress, a.CIMURL, b.Name, b.SSHAddress)
	for name, data := range map[string][]byte{"rcopy.yml": []byte(config), "password": []byte(a.Password + "\n"), "known_hosts": sim.KnownHosts()} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	exporter := startProcess(t, "exporter", buildExporter(t, t.TempDir()),
		"--config.file="+filepath.Join(dir, "rcopy.yml"), "--web.listen-address=127.0.0.1:0")
	exporterAddr := exporter.waitLog(t, regexp.MustCompile(`msg="Listening on" address=(127\.0\.0\.1:\d+)`))
	writeRulesCopy(t, filepath.Join(dir, "rcopy.rules.yml"))
	writePrometheusConfig(t, filepath.Join(dir, "prometheus.yml"), exporterAddr)
	prom := startPrometheus(t, prometheusBin, dir)
	prom.settle(t, time.Now())

	groups, err := sim.Groups(primaryArray)
	if err != nil {
		t.Fatal(err)
	}
	volumes := 0
	for _, g := range groups {
		volumes += len(g.Volumes)
	}
	for _, c := range []struct {
		query string
		want  map[string]float64
	}{
		{`threepar_rcopy_up`, map[string]float64{"instance=sim-a": 1, "instance=sim-b": 1}},
		{`threepar_rcopy_scrape_error{stage="cim"}`, map[string]float64{"instance=sim-a": 0, "instance=sim-b": 0}},
		{`count by (instance) (threepar_rcopy_volume_cim_info)`, map[string]float64{"instance=sim-a": float64(volumes)}},
		{`count by (instance) (threepar_rcopy_volume_cim_conformant == 1)`, map[string]float64{"instance=sim-a": float64(volumes)}},
		{`count by (instance) (threepar_rcopy_volume_expected_cim_info)`, map[string]float64{"instance=sim-a": float64(volumes), "instance=sim-b": float64(volumes)}},
	} {
		if got := prom.query(t, c.query, "instance"); !equalSamples(got, c.want) {
			t.Errorf("%s = %v, want %v", c.query, got, c.want)
		}
	}
	if t.Failed() {
		t.Logf("exporter configuration:\n%s", config)
	}
}
