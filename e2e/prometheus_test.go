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
// exporter, which reads the simulated pair. A healthy pair fires nothing; a
// split brain fires RcopySplitBrain and a CIM mismatch RcopyCIMNonConformant,
// each read back through Prometheus' HTTP API; undoing them resolves every
// alert.
func TestAlertsThroughPrometheus(t *testing.T) {
	prometheusBin := testtool.Require(t, "prometheus")
	dir := t.TempDir()
	exporterBin := buildExporter(t, dir)

	// A transition (failover, recover, resync) stays pending until the
	// test finishes it, so every state below is reached exactly.
	sim, err := fakearray.Start(t.Context(), fakearray.DefaultScenario(), fakearray.Options{TransitionDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })

	exporter := startProcess(t, "exporter", exporterBin,
		"--config.file="+writeExporterConfig(t, dir, sim), "--web.listen-address=127.0.0.1:0")
	exporterAddr := exporter.waitLog(t, regexp.MustCompile(`msg="Listening on" address=(127\.0\.0\.1:\d+)`))

	ruleNames := writeRulesCopy(t, filepath.Join(dir, "rcopy.rules.yml"))
	writePrometheusConfig(t, filepath.Join(dir, "prometheus.yml"), exporterAddr)
	prom := startPrometheus(t, prometheusBin, dir)

	// Every rule of the shipped file is loaded.
	if loaded := prom.ruleNames(t); !slices.Equal(loaded, ruleNames) {
		t.Fatalf("Prometheus loaded rules %v, the file has %v", loaded, ruleNames)
	}

	// --- healthy pair ---------------------------------------------------------------------
	start := time.Now()
	prom.settle(t, start)
	logDuration(t, "first scrapes and evaluation", start)
	prom.waitNoAlerts(t, "no alert fires on the healthy pair")
	// Not vacuous: both arrays are scraped through the relabeling, and the
	// pair rules see both arrays of every group.
	volumes := 0
	groups, err := sim.Groups(primaryArray)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		volumes += len(g.Volumes)
	}
	for _, c := range []struct {
		query  string
		labels []string
		want   map[string]float64
	}{
		{`threepar_rcopy_up`, []string{"instance", "pair"},
			map[string]float64{"instance=sim-a,pair=sim-pair": 1, "instance=sim-b,pair=sim-pair": 1}},
		{`count by (instance) (threepar_rcopy_volume_cim_conformant == 1)`, []string{"instance"},
			map[string]float64{"instance=sim-a": float64(volumes), "instance=sim-b": float64(volumes)}},
		{`natural_group:threepar_rcopy_arrays:count`, []string{"natural_group", "pair"},
			map[string]float64{"natural_group=rcg-app,pair=sim-pair": 2, "natural_group=rcg-db,pair=sim-pair": 2, "natural_group=rcg-files,pair=sim-pair": 2}},
	} {
		if got := prom.query(t, c.query, c.labels...); !equalSamples(got, c.want) {
			t.Errorf("%s = %v, want %v", c.query, got, c.want)
		}
	}

	// --- split brain ------------------------------------------------------------------------
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
	for _, want := range []string{"sim-a Primary (group rcg-db,", "sim-b Primary-Rev (group rcg-db.r188150,"} {
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

	// --- CIM mismatch -----------------------------------------------------------------------
	must(t, sim.InjectFault(secondaryArray, fakearray.FaultCIMCopyStateMismatch))
	firing = prom.waitAlerts(t, "RcopyCIMNonConformant fires for every volume of sim-b", func(as []alert) bool {
		return len(find(as, "RcopyCIMNonConformant", "instance", secondaryArray)) == volumes
	})
	for _, a := range find(firing, "RcopyCIMNonConformant") {
		if a.Labels["instance"] != secondaryArray {
			t.Errorf("RcopyCIMNonConformant for %s, whose CIM server is right: %v", a.Labels["instance"], a.Labels)
		}
		if a.Labels["severity"] != "warning" || a.Labels["group"] == "" || a.Labels["volume"] == "" {
			t.Errorf("RcopyCIMNonConformant labels %v, want severity warning, group and volume", a.Labels)
		}
		// Observed Fractured (6) against the expected rows (a synced
		// secondary matches T109-synced and T110-13), both read by the
		// description's query templates.
		const want = "expect T109-synced (Synchronized/Synchronized/Completed) or T110-13 (Synchronized/Synchronized/Completed)."
		if d := a.Annotations["description"]; !strings.Contains(d, "CopyState 6,") || !strings.Contains(d, want) {
			t.Errorf("RcopyCIMNonConformant description lacks the observed CopyState 6 or %q:\n%s", want, d)
		}
	}
	must(t, sim.ClearFault(secondaryArray, fakearray.FaultCIMCopyStateMismatch))
	prom.settle(t, time.Now())
	prom.waitNoAlerts(t, "every alert resolves once the CIM server is right again")

	// No rule failed to evaluate or to expand its templates along the way.
	prom.checkRulesHealthy(t)
	if strings.Contains(prom.proc.logs.String(), "Expanding alert template failed") {
		t.Error("Prometheus could not expand an alert template (see its log)")
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
func writeExporterConfig(t *testing.T, dir string, sim *fakearray.Sim) string {
	t.Helper()
	cfg, err := sim.WriteConfig(dir, fakearray.ConfigOptions{CIM: true})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
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
// examples/prometheus.yml, keeping its rcopy job's relabeling as shipped:
// 1s intervals, the simulated pair as targets (with a pair label), no
// module parameter (each simulated array has its own module, for its own
// CIM port), and the exporter's real address.
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
			delete(job, "params")
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
