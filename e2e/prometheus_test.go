package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/threepar/rcopy-exporter/alerts"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// waitLimit bounds every wait on Prometheus or a process.
const waitLimit = 60 * time.Second

// Names in the built-in scenario (fakearray.DefaultScenario).
const (
	primaryArray   = "sim-a" // natural primary
	secondaryArray = "sim-b" // natural secondary
	dbGroup        = "rcg-db"
	dbGroupOnB     = "rcg-db.r188150" // the secondary's name for rcg-db
	pairLabel      = "sim-pair"
)

// TestAlertsThroughPrometheus: a real Prometheus server scrapes the built
// exporter, which reads the simulated pair, and evaluates the shipped rules.
// It runs twice: once with the exporter's volume series, and once with
// every module set to volume_metrics: false, where the alerts must fire the
// same from the group-level series alone. See pairScenario for the steps.
func TestAlertsThroughPrometheus(t *testing.T) {
	prometheusBin := testtool.Require(t, "prometheus")
	exporterBin := buildExporter(t, t.TempDir())
	// One after the other: two Prometheus servers scraping every second
	// on a busy machine would time their scrapes out.
	for _, volumeMetrics := range []bool{true, false} {
		t.Run(fmt.Sprintf("volume_metrics=%v", volumeMetrics), func(t *testing.T) {
			pairScenario(t, prometheusBin, exporterBin, volumeMetrics)
		})
	}
}

// volumesNotExported is what the `volumes` annotation says without volume
// series (alerts/rcopy.rules.yml).
const volumesNotExported = "not exported: the module sets volume_metrics: false (checker check lists the volumes)"

// pairRun is one run of the scenario: the simulated pair, its clock, the
// Prometheus scraping it, and what the test knows about the groups.
type pairRun struct {
	sim           *fakearray.Sim
	prom          *prometheusServer
	clockShift    atomic.Int64 // added to the simulator's clock (ns)
	volumeMetrics bool
	volumes       map[string][]string // natural group -> volume names on sim-b
	total         int                 // volumes per array
}

// pairScenario drives the pair through states that fire the shipped alerts
// and reads them back through Prometheus' HTTP API:
//   - healthy pair: nothing fires; the dashboard's queries return data;
//   - split brain (sim-a down, failover on sim-b, sim-a back still Primary):
//     RcopySplitBrain for that group only, its description saying it is
//     expected after a failover until recover; recover and restore resolve
//     all;
//   - a volume NotSynced (rcg-db) and one Stale (rcg-app):
//     RcopyVolumeNotSynced (kind broken) for those listings on both arrays;
//   - a wrong CIM CopyState on sim-b: RcopyCIMNonConformant per group listing
//     of sim-b with its number of volumes;
//   - the replication links down: RcopyTargetDown on both arrays and nothing
//     else (the volumes outside the tables and the stopped groups of a failed
//     target are held back); links up: every group resyncs and
//     RcopyVolumeNotSynced (kind slow) fires per listing;
//   - a periodic group stopped (RcopyGroupStopped) and restarted with its
//     last sync 20 minutes in the past (RcopyPeriodicSyncLate).
//
// With volume_metrics false no volume series reach Prometheus and the
// `volumes` annotations say so; everything else is the same.
func pairScenario(t *testing.T, prometheusBin, exporterBin string, volumeMetrics bool) {
	dir := t.TempDir()
	r := &pairRun{volumeMetrics: volumeMetrics}
	// A transition (failover, recover, resync) stays pending until the
	// test finishes it, so every state below is reached exactly.
	sim, err := fakearray.Start(t.Context(), fakearray.DefaultScenario(), fakearray.Options{
		TransitionDelay: time.Hour,
		Clock:           func() time.Time { return time.Now().Add(time.Duration(r.clockShift.Load())) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	r.sim = sim
	groups, err := sim.Groups(secondaryArray)
	if err != nil {
		t.Fatal(err)
	}
	r.volumes = map[string][]string{}
	for _, g := range groups {
		r.volumes[g.NaturalGroup] = g.Volumes
		r.total += len(g.Volumes)
	}

	exporter := startProcess(t, "exporter", exporterBin,
		"--config.file="+writeExporterConfig(t, dir, sim, volumeMetrics), "--web.listen-address=127.0.0.1:0")
	exporterAddr := exporter.waitLog(t, regexp.MustCompile(`msg="Listening on" address=(127\.0\.0\.1:\d+)`))

	ruleNames := writeRulesCopy(t, filepath.Join(dir, "rcopy.rules.yml"))
	writePrometheusConfig(t, filepath.Join(dir, "prometheus.yml"), exporterAddr)
	r.prom = startPrometheus(t, prometheusBin, dir)

	// Every rule of the shipped file is loaded.
	if loaded := r.prom.ruleNames(t); !slices.Equal(loaded, ruleNames) {
		t.Fatalf("Prometheus loaded rules %v, the file has %v", loaded, ruleNames)
	}

	start := time.Now()
	r.prom.settle(t, start)
	logDuration(t, "first scrapes and evaluation", start)
	r.healthy(t)
	r.splitBrain(t)
	r.volumeFaults(t)
	r.cimMismatch(t)
	r.linkOutage(t)
	r.periodicSyncLate(t)

	// No rule failed to evaluate or to expand its templates along the way.
	r.prom.checkRulesHealthy(t)
	if strings.Contains(r.prom.proc.logs.String(), "Expanding alert template failed") {
		t.Error("Prometheus could not expand an alert template (see its log)")
	}
}

func (r *pairRun) healthy(t *testing.T) {
	prom := r.prom
	prom.waitNoAlerts(t, "no alert fires on the healthy pair")
	// Not vacuous: both arrays are scraped through the relabeling, the pair
	// rules see both arrays of every group, and the group-level series
	// count every volume.
	for _, c := range []struct {
		query  string
		labels []string
		want   map[string]float64
	}{
		{`threepar_rcopy_up`, []string{"instance", "pair"},
			map[string]float64{"instance=sim-a,pair=sim-pair": 1, "instance=sim-b,pair=sim-pair": 1}},
		{`sum by (instance) (threepar_rcopy_group_volumes{sync_status="Synced"})`, []string{"instance"},
			map[string]float64{"instance=sim-a": float64(r.total), "instance=sim-b": float64(r.total)}},
		{`sum by (instance) (threepar_rcopy_group_volumes_not_in_table + threepar_rcopy_group_volumes_cim_nonconformant)`, []string{"instance"},
			map[string]float64{"instance=sim-a": 0, "instance=sim-b": 0}},
		{`natural_group:threepar_rcopy_arrays:count`, []string{"natural_group", "pair"},
			map[string]float64{"natural_group=rcg-app,pair=sim-pair": 2, "natural_group=rcg-db,pair=sim-pair": 2, "natural_group=rcg-files,pair=sim-pair": 2}},
	} {
		if got := prom.query(t, c.query, c.labels...); !equalSamples(got, c.want) {
			t.Errorf("%s = %v, want %v", c.query, got, c.want)
		}
	}
	// The volume series are there, or not at all.
	volumeSeries := prom.query(t, `count by (instance) ({__name__=~"threepar_rcopy_volume_.+"})`, "instance")
	if r.volumeMetrics && len(volumeSeries) != 2 {
		t.Errorf("volume series per array: %v, want both arrays", volumeSeries)
	}
	if !r.volumeMetrics && len(volumeSeries) != 0 {
		t.Errorf("volume_metrics false, yet Prometheus holds volume series: %v", volumeSeries)
	}
	if r.volumeMetrics {
		want := map[string]float64{"instance=sim-a": float64(r.total), "instance=sim-b": float64(r.total)}
		if got := prom.query(t, `count by (instance) (threepar_rcopy_volume_cim_conformant == 1)`, "instance"); !equalSamples(got, want) {
			t.Errorf("conformant volumes %v, want %v", got, want)
		}
	}
	r.checkDashboard(t)
}

func (r *pairRun) splitBrain(t *testing.T) {
	sim, prom := r.sim, r.prom
	// The natural primary is lost, the secondary fails over, and the
	// primary comes back still claiming Primary (fault split-brain).
	must(t, sim.ArrayDown(primaryArray))
	sim.FinishTransitions() // sim-b's target fails (link timeouts)
	cli(t, sim, secondaryArray, "setrcopygroup failover -f "+dbGroupOnB)
	sim.FinishTransitions()
	must(t, sim.InjectFault(primaryArray, fakearray.FaultSplitBrain))
	must(t, sim.ArrayUp(primaryArray))
	firing := prom.waitAlerts(t, "RcopySplitBrain fires for rcg-db", func(as []alert) bool {
		return len(find(as, "RcopySplitBrain", "natural_group", dbGroup)) > 0
	})
	for _, a := range find(firing, "RcopySplitBrain") {
		if a.Labels["natural_group"] != dbGroup {
			t.Errorf("RcopySplitBrain for %s, whose roles are complementary: %v", a.Labels["natural_group"], a.Labels)
		}
	}
	split := find(firing, "RcopySplitBrain", "natural_group", dbGroup)[0]
	if split.Labels["severity"] != "critical" || split.Labels["pair"] != pairLabel {
		t.Errorf("RcopySplitBrain labels %v, want severity critical and pair %s", split.Labels, pairLabel)
	}
	// The description's query template ran in Prometheus and names both claims.
	for _, want := range []string{"sim-a Primary (group rcg-db,", "sim-b Primary-Rev (group rcg-db.r188150,",
		"After a failover this is expected until `setrcopygroup recover` is run"} {
		if !strings.Contains(split.Annotations["description"], want) {
			t.Errorf("RcopySplitBrain description lacks %q:\n%s", want, split.Annotations["description"])
		}
	}

	// The returning primary shows Secondary-Rev: no split brain any more.
	must(t, sim.ClearFault(primaryArray, fakearray.FaultSplitBrain))
	prom.waitAlerts(t, "RcopySplitBrain resolves once sim-a shows Secondary-Rev", func(as []alert) bool {
		return len(find(as, "RcopySplitBrain")) == 0
	})
	// Back to normal operation: recover and restore; the other groups
	// resynced when sim-a came back (auto_recover).
	cli(t, sim, secondaryArray, "setrcopygroup recover -f "+dbGroupOnB)
	sim.FinishTransitions()
	cli(t, sim, secondaryArray, "setrcopygroup restore -f "+dbGroupOnB)
	sim.FinishTransitions()
	if g, err := sim.Group(primaryArray, dbGroup); err != nil || g.Role != "Primary" || g.SyncStatus != "Synced" {
		t.Fatalf("after restore sim-a shows %+v (%v), want Primary/Synced", g, err)
	}
	prom.settle(t, time.Now())
	prom.waitNoAlerts(t, "every alert resolves after recover and restore")
}

func (r *pairRun) volumeFaults(t *testing.T) {
	sim, prom := r.sim, r.prom
	faults := map[string]string{dbGroup: "NotSynced", "rcg-app": "Stale"} // natural group -> status of its first volume
	for g, st := range faults {
		must(t, sim.SetVolumeStatus(g, r.volumes[g][0], "", st))
	}
	firing := prom.waitAlerts(t, "RcopyVolumeNotSynced (broken) fires for the NotSynced and the Stale listing on both arrays", func(as []alert) bool {
		return len(find(as, "RcopyVolumeNotSynced", "kind", "broken")) == 2*len(faults)
	})
	for _, a := range find(firing, "RcopyVolumeNotSynced") {
		g := a.Labels["natural_group"]
		if a.Labels["kind"] != "broken" || a.Labels["sync_status"] != faults[g] || a.value(t) != 1 {
			t.Errorf("RcopyVolumeNotSynced %v value %v, want kind broken, sync_status %s, 1 volume", a.Labels, a.value(t), faults[g])
		}
		r.checkVolumes(t, a, r.volumes[g][0])
	}
	for g := range faults {
		must(t, sim.SetVolumeStatus(g, r.volumes[g][0], "", "Synced"))
	}
	prom.settle(t, time.Now())
	prom.waitNoAlerts(t, "every alert resolves once the volumes are synced again")
}

func (r *pairRun) cimMismatch(t *testing.T) {
	sim, prom := r.sim, r.prom
	must(t, sim.InjectFault(secondaryArray, fakearray.FaultCIMCopyStateMismatch))
	firing := prom.waitAlerts(t, "RcopyCIMNonConformant fires for every group of sim-b", func(as []alert) bool {
		return len(find(as, "RcopyCIMNonConformant", "instance", secondaryArray)) == len(r.volumes)
	})
	for _, a := range find(firing, "RcopyCIMNonConformant") {
		natural := a.Labels["natural_group"]
		if a.Labels["instance"] != secondaryArray || a.Labels["severity"] != "warning" || a.Labels["target"] != primaryArray {
			t.Errorf("RcopyCIMNonConformant labels %v, want sim-b's listing (target sim-a), severity warning", a.Labels)
		}
		if got, want := a.value(t), len(r.volumes[natural]); got != float64(want) {
			t.Errorf("RcopyCIMNonConformant for %s: value %v, want its %d volumes", natural, got, want)
		}
		// Observed Fractured against the expected rows (a synced secondary
		// matches T109-synced and T110-13, which require the same triple),
		// read by the annotation's query templates, at most 5 volumes.
		vols := r.volumes[natural]
		want := []string{"CopyState/SyncState/ProgressStatus/RoleReversed: " + vols[0] +
			": observed Fractured/Synchronized/Completed/false, expected Synchronized/Synchronized/Completed/false (T109-synced,T110-13)"}
		if len(vols) > 5 {
			want = append(want, "; ...")
		}
		r.checkVolumes(t, a, want...)
	}
	must(t, sim.ClearFault(secondaryArray, fakearray.FaultCIMCopyStateMismatch))
	prom.settle(t, time.Now())
	prom.waitNoAlerts(t, "every alert resolves once the CIM server is right again")
}

func (r *pairRun) linkOutage(t *testing.T) {
	sim, prom := r.sim, r.prom
	must(t, sim.LinkDown(primaryArray, secondaryArray))
	prom.waitAlerts(t, "RcopyTargetDown fires on both arrays", func(as []alert) bool {
		return len(find(as, "RcopyTargetDown")) == 2
	})
	// The cut-off primary's volumes are outside the tables and every group
	// is stopped, yet only the two RcopyTargetDown fire.
	prom.settle(t, time.Now())
	if got := prom.query(t, `sum(threepar_rcopy_group_volumes_not_in_table{instance="sim-a"})`); got[""] != float64(r.total) {
		t.Errorf("sim-a cut off: volumes outside the tables %v, want %d (or the test proves nothing)", got, r.total)
	}
	prom.pollAlerts(t, "only RcopyTargetDown fires, once per array", waitLimit, func(as []alert) bool {
		return len(as) == 2 && len(find(as, "RcopyTargetDown", "instance", primaryArray)) == 1 &&
			len(find(as, "RcopyTargetDown", "instance", secondaryArray)) == 1
	})

	// Links back: every group resyncs (auto_recover) and stays Syncing
	// until the test finishes the transition.
	must(t, sim.LinkUp(primaryArray, secondaryArray))
	firing := prom.waitAlerts(t, "RcopyVolumeNotSynced (slow) fires for every listing", func(as []alert) bool {
		return len(find(as, "RcopyVolumeNotSynced", "kind", "slow")) == 2*len(r.volumes)
	})
	for _, a := range find(firing, "RcopyVolumeNotSynced") {
		natural := a.Labels["natural_group"]
		if a.Labels["kind"] != "slow" || a.Labels["sync_status"] != "Syncing" {
			t.Errorf("RcopyVolumeNotSynced labels %v, want kind slow, sync_status Syncing", a.Labels)
		}
		if got, want := a.value(t), len(r.volumes[natural]); got != float64(want) {
			t.Errorf("RcopyVolumeNotSynced for %s on %s: value %v, want %d", natural, a.Labels["instance"], got, want)
		}
		vols := slices.Sorted(slices.Values(r.volumes[natural])) // the same names on both arrays
		r.checkVolumes(t, a, strings.Join(vols, ", "))
	}
	sim.FinishTransitions()
	prom.settle(t, time.Now())
	prom.waitNoAlerts(t, "every alert resolves once the groups are synced")
}

func (r *pairRun) periodicSyncLate(t *testing.T) {
	sim, prom := r.sim, r.prom
	const group = "rcg-app" // periodic, every 5m
	cli(t, sim, primaryArray, "stoprcopygroup -f "+group)
	prom.waitAlerts(t, "RcopyGroupStopped fires for rcg-app on both arrays", func(as []alert) bool {
		return len(find(as, "RcopyGroupStopped", "natural_group", group)) == 2
	})
	// Restarted; it completes its sync 20 minutes ago by the arrays'
	// clocks, and then prints that time as its last sync.
	cli(t, sim, primaryArray, "startrcopygroup -f "+group)
	r.clockShift.Store(int64(-20 * time.Minute))
	sim.FinishTransitions()
	firing := prom.waitAlerts(t, "RcopyPeriodicSyncLate fires for rcg-app on both arrays", func(as []alert) bool {
		return len(find(as, "RcopyPeriodicSyncLate", "natural_group", group)) == 2
	})
	for _, a := range find(firing, "RcopyPeriodicSyncLate") {
		if a.Labels["natural_group"] != group {
			t.Errorf("RcopyPeriodicSyncLate for %v, which syncs in time", a.Labels)
		}
		if v := a.value(t); v < (20*time.Minute).Seconds() || v > (25*time.Minute).Seconds() {
			t.Errorf("RcopyPeriodicSyncLate value %v s, want the 20 minutes (and a little) since the last sync", v)
		}
		if s := a.Annotations["summary"]; !strings.Contains(s, "last synced 20m") {
			t.Errorf("RcopyPeriodicSyncLate summary %q, want last synced 20m...", s)
		}
		r.checkVolumes(t, a, r.volumes[group][0]+" (20m ")
	}
	// The arrays' clocks right again and a fresh sync: all quiet.
	r.clockShift.Store(0)
	cli(t, sim, primaryArray, "stoprcopygroup -f "+group)
	cli(t, sim, primaryArray, "startrcopygroup -f "+group)
	sim.FinishTransitions()
	prom.settle(t, time.Now())
	prom.waitNoAlerts(t, "every alert resolves once rcg-app has synced again")
}

// checkVolumes checks an alert's `volumes` annotation: with volume series
// it contains each of want, in order; without them it says they are not
// exported.
func (r *pairRun) checkVolumes(t *testing.T, a alert, want ...string) {
	t.Helper()
	got := a.Annotations["volumes"]
	t.Logf("%s{instance=%q,group=%q} volumes: %s", a.Labels["alertname"], a.Labels["instance"], a.Labels["group"], got)
	if !r.volumeMetrics {
		if got != volumesNotExported {
			t.Errorf("%s: volumes annotation %q, want %q", a, got, volumesNotExported)
		}
		return
	}
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Errorf("%s: volumes annotation lacks %q (in order):\n%s", a, w, got)
			return
		}
		rest = rest[i+len(w):]
	}
}

func (a alert) value(t *testing.T) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil {
		t.Fatalf("%s: value %q: %v", a, a.Value, err)
	}
	return v
}

// checkDashboard runs every query of dashboards/rcopy.json (variables set
// to match everything) against the healthy pair: each must evaluate, and
// return data unless it reads volume series without volume_metrics, or
// shows failures and alerts (none on a healthy pair). So the dashboard's
// group-level panels work for arrays without volume series.
func (r *pairRun) checkDashboard(t *testing.T) {
	t.Helper()
	const file = "../dashboards/rcopy.json"
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		ID      int    `json:"id"`
		Title   string `json:"title"`
		Targets []struct {
			Expr  string `json:"expr"`
			RefID string `json:"refId"`
		} `json:"targets"`
	}
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	variable := regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z0-9_]+))`)
	builtin := map[string]string{"__rate_interval": "1m", "__interval": "1s", "__range": "5m"}
	checked := 0
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			expr := variable.ReplaceAllStringFunc(tg.Expr, func(v string) string {
				m := variable.FindStringSubmatch(v)
				if b, ok := builtin[m[1]+m[2]]; ok {
					return b
				}
				return ".*"
			})
			where := fmt.Sprintf("%s: panel %d %q target %s", file, p.ID, p.Title, tg.RefID)
			n := len(r.prom.query(t, expr)) // 0 or 1: the samples are not told apart
			readsVolumes := strings.Contains(expr, "threepar_rcopy_volume_")
			quietWhenHealthy := strings.Contains(expr, "ALERTS") || strings.Contains(expr, "scrape_error")
			switch {
			case readsVolumes && !r.volumeMetrics && n > 0:
				t.Errorf("%s: data without volume series?", where)
			case n == 0 && !quietWhenHealthy && (r.volumeMetrics || !readsVolumes):
				t.Errorf("%s: no data on the healthy pair: %s", where, expr)
			}
			checked++
		}
	}
	if checked < 20 {
		t.Errorf("%s: only %d queries found", file, checked)
	}
}

// buildExporter compiles cmd/exporter into dir.
func buildExporter(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "exporter")
	defer logDuration(t, "go build cmd/exporter", time.Now())
	out, err := exec.Command("go", "build", "-o", bin, "github.com/threepar/rcopy-exporter/cmd/exporter").CombinedOutput()
	if err != nil {
		t.Fatalf("go build cmd/exporter: %v\n%s", err, out)
	}
	return bin
}

// writeExporterConfig writes the exporter's configuration for the simulated
// arrays: one target and one module per array (each array has its own CIM
// port), files as in a real deployment (password files, known_hosts).
// Without volumeMetrics every module gets volume_metrics: false, written
// into the file fakearray.WriteConfig produced.
func writeExporterConfig(t *testing.T, dir string, sim *fakearray.Sim, volumeMetrics bool) string {
	t.Helper()
	path, err := sim.WriteConfig(dir, fakearray.ConfigOptions{CIM: true})
	if err != nil {
		t.Fatal(err)
	}
	if volumeMetrics {
		return path
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	modules := mapValue(&doc, "modules")
	if modules == nil || modules.Kind != yaml.MappingNode || len(modules.Content) == 0 {
		t.Fatalf("%s: no modules:\n%s", path, data)
	}
	for i := 1; i < len(modules.Content); i += 2 {
		modules.Content[i].Content = append(modules.Content[i].Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "volume_metrics"},
			&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "false"})
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeRulesCopy writes alerts/rcopy.rules.yml with every for: set to 0s:
// an alert fires at the first evaluation that sees its condition. The real
// for: values are proven by promtool test rules (package alerts). It
// returns the names of the rules (alert or record), in file order.
func writeRulesCopy(t *testing.T, path string) []string {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(alerts.Rules, &doc); err != nil {
		t.Fatalf("alerts/rcopy.rules.yml: %v", err)
	}
	var names []string
	alertRules, rewritten := 0, 0
	for _, group := range seq(mapValue(mapValue(&doc, "groups"), "")) {
		for _, rule := range seq(mapValue(group, "rules")) {
			if r := mapValue(rule, "record"); r != nil {
				names = append(names, r.Value)
			}
			if a := mapValue(rule, "alert"); a != nil {
				names = append(names, a.Value)
			} else {
				continue
			}
			alertRules++
			if f := mapValue(rule, "for"); f != nil {
				f.Value, f.Tag, f.Style = "0s", "!!str", 0
				rewritten++
			}
		}
	}
	if alertRules == 0 || rewritten != alertRules {
		t.Fatalf("alerts/rcopy.rules.yml: %d alert rules, %d with for:; the test expects every alert to have one", alertRules, rewritten)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return names
}

// mapValue returns the value of key in a mapping node (n may be the
// document node); key "" returns n itself unwrapped from its document.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n != nil && n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n == nil || key == "" {
		return n
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func seq(n *yaml.Node) []*yaml.Node {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	return n.Content
}

// writePrometheusConfig derives the test's Prometheus configuration from
// examples/prometheus.yml, keeping its rcopy job's relabeling and
// parameters as shipped (no module parameter: each array uses its own
// module): 1s intervals, the simulated pair as targets (with a pair
// label), the rules copy next to it, and the exporter's real address.
func writePrometheusConfig(t *testing.T, path, exporterAddr string) {
	t.Helper()
	const example = "../examples/prometheus.yml"
	data, err := os.ReadFile(example)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("%s: %v", example, err)
	}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
	cfg["rule_files"] = []string{"rcopy.rules.yml"}
	jobs, _ := cfg["scrape_configs"].([]any)
	var found []string
	for _, j := range jobs {
		job, _ := j.(map[string]any)
		switch job["job_name"] {
		case "rcopy":
			if params, ok := job["params"]; ok {
				t.Fatalf("%s: job rcopy sends params %v; a module parameter would override every target's own module", example, params)
			}
			job["scrape_interval"], job["scrape_timeout"] = "1s", "1s"
			job["static_configs"] = []any{map[string]any{
				"targets": []string{primaryArray, secondaryArray},
				"labels":  map[string]string{"pair": pairLabel},
			}}
			relabels, _ := job["relabel_configs"].([]any)
			replaced := 0
			for _, r := range relabels {
				if rc, _ := r.(map[string]any); rc["target_label"] == "__address__" {
					rc["replacement"] = exporterAddr
					replaced++
				}
			}
			if replaced != 1 {
				t.Fatalf("%s: job rcopy has %d relabelings to __address__, the test expects 1", example, replaced)
			}
		case "rcopy-exporter":
			job["static_configs"] = []any{map[string]any{"targets": []string{exporterAddr}}}
		default:
			continue
		}
		found = append(found, job["job_name"].(string))
	}
	if len(found) != 2 {
		t.Fatalf("%s: want jobs rcopy and rcopy-exporter, found %v", example, found)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// process is a program the test runs, with its combined output.
type process struct {
	name   string
	cmd    *exec.Cmd
	logs   *testtool.SyncBuffer
	exited chan struct{} // closed when the process has ended
	err    error         // Wait's result, valid once exited is closed
}

func startProcess(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(bin, args...), logs: &testtool.SyncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	endWithTest(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.logs)
		}
	})
	return p
}

// stop ends the process: SIGTERM, then SIGKILL if it has not ended in 10s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitLog returns the last submatch of the first log line matching re.
func (p *process) waitLog(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			if m := re.FindStringSubmatch(line); m != nil {
				return m[len(m)-1]
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("%s ended (%v) before logging %s:\n%s", p.name, p.err, re, p.logs)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the %s log after %s:\n%s", re, p.name, waitLimit, p.logs)
		}
	}
}

// prometheusServer is a running Prometheus and its HTTP API.
type prometheusServer struct {
	proc *process
	base string // http://127.0.0.1:PORT
}

var apiClient = &http.Client{Timeout: 10 * time.Second}

// startPrometheus runs prometheus with dir/prometheus.yml, a temporary
// TSDB and a free loopback port, and waits until it is ready. The port is
// found by binding port 0 and releasing it; if another process takes it
// first, Prometheus ends and the next attempt uses another port.
func startPrometheus(t *testing.T, bin, dir string) *prometheusServer {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeLoopbackAddress(t)
		p := startProcess(t, "prometheus", bin,
			"--config.file="+filepath.Join(dir, "prometheus.yml"),
			"--storage.tsdb.path="+t.TempDir(),
			"--web.listen-address="+addr,
		)
		srv := &prometheusServer{proc: p, base: "http://" + addr}
		start := time.Now()
		if srv.waitReady(t) {
			logDuration(t, "prometheus ready", start)
			return srv
		}
		if attempt == 3 || !strings.Contains(p.logs.String(), "address already in use") {
			t.Fatalf("prometheus ended before it was ready (%v):\n%s", p.err, p.logs)
		}
	}
}

func freeLoopbackAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// waitReady polls /-/ready; false if Prometheus ended.
func (p *prometheusServer) waitReady(t *testing.T) bool {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		if resp, err := apiClient.Get(p.base + "/-/ready"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return true
			}
		}
		select {
		case <-p.proc.exited:
			return false
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready after %s:\n%s", waitLimit, p.proc.logs)
		}
	}
}

// get calls an API endpoint and decodes its data field into v.
func (p *prometheusServer) get(t *testing.T, path string, v any) {
	t.Helper()
	select {
	case <-p.proc.exited:
		t.Fatalf("prometheus ended (%v)", p.proc.err)
	default:
	}
	resp, err := apiClient.Get(p.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var envelope struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil || envelope.Status != "success" {
		t.Fatalf("GET %s: HTTP %d, %v %s\n%s", path, resp.StatusCode, err, envelope.Error, body)
	}
	if err := json.Unmarshal(envelope.Data, v); err != nil {
		t.Fatalf("GET %s: %v\n%s", path, err, body)
	}
}

type alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Value       string            `json:"value"`
}

func (a alert) String() string {
	keys := make([]string, 0, len(a.Labels))
	for k := range a.Labels {
		if k != "alertname" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s{", a.Labels["alertname"])
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%q", k, a.Labels[k])
	}
	fmt.Fprintf(&b, "} %s", a.State)
	return b.String()
}

// firingAlerts reads /api/v1/alerts and keeps the firing ones.
func (p *prometheusServer) firingAlerts(t *testing.T) []alert {
	t.Helper()
	var data struct {
		Alerts []alert `json:"alerts"`
	}
	p.get(t, "/api/v1/alerts", &data)
	var firing []alert
	for _, a := range data.Alerts {
		if a.State == "firing" {
			firing = append(firing, a)
		}
	}
	return firing
}

// waitAlerts polls the firing alerts until done accepts them.
func (p *prometheusServer) waitAlerts(t *testing.T, what string, done func([]alert) bool) []alert {
	t.Helper()
	return p.pollAlerts(t, what, waitLimit, done)
}

// waitNoAlerts follows settle: the steady state is already in Prometheus,
// so a rule that fires wrongly on it keeps firing and fails the test. It
// still polls because on a loaded machine a scrape may time out (1s) and
// fire RcopyExporterDown or RcopyExporterProbeFailed until the next one.
func (p *prometheusServer) waitNoAlerts(t *testing.T, what string) {
	t.Helper()
	p.pollAlerts(t, what, waitLimit, func(as []alert) bool { return len(as) == 0 })
}

func (p *prometheusServer) pollAlerts(t *testing.T, what string, limit time.Duration, done func([]alert) bool) []alert {
	t.Helper()
	start := time.Now()
	for first := true; ; first = false {
		firing := p.firingAlerts(t)
		if done(firing) {
			t.Logf("%s: after %s", what, time.Since(start).Round(10*time.Millisecond))
			return firing
		}
		if first {
			t.Logf("waiting until %s; firing now:\n%s", what, describe(firing))
		}
		if time.Since(start) > limit {
			t.Fatalf("after %s still not true: %s; firing now:\n%s", limit, what, describe(firing))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// find returns the alerts named name, optionally with label key = value.
func find(as []alert, name string, keyValue ...string) []alert {
	var out []alert
	for _, a := range as {
		if a.Labels["alertname"] == name && (len(keyValue) < 2 || a.Labels[keyValue[0]] == keyValue[1]) {
			out = append(out, a)
		}
	}
	return out
}

func describe(as []alert) string {
	if len(as) == 0 {
		return "  (none)"
	}
	lines := make([]string, len(as))
	for i, a := range as {
		lines[i] = "  " + a.String()
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// settle waits until Prometheus has scraped every rcopy target after since
// and then evaluated the rules, so that the alerts reflect the state the
// simulator has held since then.
func (p *prometheusServer) settle(t *testing.T, since time.Time) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	var scrapedBy time.Time
	for {
		var data struct {
			ActiveTargets []struct {
				ScrapePool         string    `json:"scrapePool"`
				LastScrape         time.Time `json:"lastScrape"`
				LastScrapeDuration float64   `json:"lastScrapeDuration"`
			} `json:"activeTargets"`
		}
		p.get(t, "/api/v1/targets?state=active", &data)
		scrapedBy = time.Time{}
		n := 0
		for _, tg := range data.ActiveTargets {
			if tg.ScrapePool != "rcopy" {
				continue
			}
			n++
			if !tg.LastScrape.After(since) {
				scrapedBy = time.Time{}
				break
			}
			if end := tg.LastScrape.Add(time.Duration(tg.LastScrapeDuration * float64(time.Second))); end.After(scrapedBy) {
				scrapedBy = end
			}
		}
		if n == 2 && !scrapedBy.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rcopy targets were not scraped within %s: %+v", waitLimit, data.ActiveTargets)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		var rules rulesData
		p.get(t, "/api/v1/rules", &rules)
		if len(rules.Groups) > 0 && rules.Groups[0].LastEvaluation.After(scrapedBy) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rules were not evaluated within %s", waitLimit)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

type rulesData struct {
	Groups []struct {
		Name           string    `json:"name"`
		LastEvaluation time.Time `json:"lastEvaluation"`
		Rules          []struct {
			Name      string `json:"name"`
			Health    string `json:"health"`
			LastError string `json:"lastError"`
		} `json:"rules"`
	} `json:"groups"`
}

// ruleNames lists the loaded rules (alert names and recorded series).
func (p *prometheusServer) ruleNames(t *testing.T) []string {
	t.Helper()
	var rules rulesData
	p.get(t, "/api/v1/rules", &rules)
	var names []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			names = append(names, r.Name)
		}
	}
	return names
}

// checkRulesHealthy fails the test for a rule whose last evaluation failed.
func (p *prometheusServer) checkRulesHealthy(t *testing.T) {
	t.Helper()
	var rules rulesData
	p.get(t, "/api/v1/rules", &rules)
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
			}
		}
	}
}

// query runs an instant query and returns each sample's value by the
// given labels ("instance=sim-a,pair=x").
func (p *prometheusServer) query(t *testing.T, expr string, labels ...string) map[string]float64 {
	t.Helper()
	var data struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	}
	p.get(t, "/api/v1/query?query="+url.QueryEscape(expr), &data)
	out := map[string]float64{}
	for _, r := range data.Result {
		var key []string
		for _, l := range labels {
			if v, ok := r.Metric[l]; ok {
				key = append(key, l+"="+v)
			}
		}
		s, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("query %s: value %v: %v", expr, r.Value[1], err)
		}
		out[strings.Join(key, ",")] = v
	}
	return out
}

func equalSamples(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// cli runs an operator command on a simulated array; it must succeed.
func cli(t *testing.T, sim *fakearray.Sim, array, command string) {
	t.Helper()
	if out, status := sim.Exec(array, command); status != 0 {
		t.Fatalf("%s: %s: exit %d\n%s", array, command, status, out)
	}
}

func logDuration(t *testing.T, what string, start time.Time) {
	t.Logf("%s: %s", what, time.Since(start).Round(10*time.Millisecond))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
