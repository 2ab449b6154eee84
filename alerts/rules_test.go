package alerts

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

const (
	rulesFile     = "rcopy.rules.yml"
	rulesTestFile = "rcopy.rules.test.yml"
)

// stableAlerts are the alert names users route on; renaming one is
// a breaking change.
var stableAlerts = []string{
	"RcopyExporterProbeFailed", "RcopyExporterDown", "RcopyStateNotInTable", "RcopyCIMNonConformant",
	"RcopySplitBrain", "RcopyNoPrimary", "RcopyTargetDown", "RcopyLinkDown",
	"RcopyGroupStopped", "RcopyVolumeNotSynced", "RcopyPeriodicSyncLate",
	"RcopyRoleReversed",
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []rule `yaml:"rules"`
	} `yaml:"groups"`
}

type rule struct {
	Record      string            `yaml:"record"`
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
	line        int
}

func loadRules(t *testing.T) []rule {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal(Rules, &doc); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	var f ruleFile
	if err := doc.Decode(&f); err != nil {
		t.Fatalf("%s: %v", rulesFile, err)
	}
	// Keep each rule's line for error messages.
	var lines []int
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := n.Content[i].Value; k == "alert" || k == "record" {
					lines = append(lines, n.Content[i].Line)
				}
			}
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	var rules []rule
	for _, g := range f.Groups {
		rules = append(rules, g.Rules...)
	}
	if len(lines) != len(rules) {
		t.Fatalf("%s: found %d rules but %d alert/record keys", rulesFile, len(rules), len(lines))
	}
	for i := range rules {
		rules[i].line = lines[i]
	}
	return rules
}

func recordedNames(rules []rule) []string {
	var names []string
	for _, r := range rules {
		if r.Record != "" {
			names = append(names, r.Record)
		}
	}
	return names
}

// runPromtool runs promtool in dir and returns its combined output and
// whether it exited 0.
func runPromtool(t *testing.T, dir string, args ...string) (string, bool) {
	t.Helper()
	promtool := testtool.Require(t, "promtool")
	cmd := exec.Command(promtool, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, exited := err.(*exec.ExitError); !exited {
			t.Fatalf("promtool %s: %v", strings.Join(args, " "), err)
		}
	}
	return string(out), err == nil
}

func TestPromtoolCheckRules(t *testing.T) {
	t.Parallel()
	if out, ok := runPromtool(t, ".", "check", "rules", rulesFile); !ok {
		t.Fatalf("promtool check rules %s failed:\n%s", rulesFile, out)
	}
}

func readRulesTestFile(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// ruleTestVariants are the two runs of the unit tests: as written, and as
// a module with volume_metrics: false sees them (groupsOnlyTests).
var ruleTestVariants = []struct {
	name      string
	transform func(*testing.T, []byte) []byte
}{
	{"with volume series", func(_ *testing.T, b []byte) []byte { return b }},
	{"volume_metrics false", groupsOnlyTests},
}

// promtoolTestRules runs promtool test rules on the given rules and unit
// tests in a temporary directory.
func promtoolTestRules(t *testing.T, rules, tests []byte) (string, bool) {
	t.Helper()
	dir := t.TempDir()
	for name, data := range map[string][]byte{rulesFile: rules, rulesTestFile: tests} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return runPromtool(t, dir, "test", "rules", rulesTestFile)
}

// TestPromtoolTestRules runs the unit tests both ways: every alert must
// fire (and stay silent) the same with and without the volume series.
func TestPromtoolTestRules(t *testing.T) {
	testYAML := readRulesTestFile(t)
	for _, v := range ruleTestVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			if out, ok := promtoolTestRules(t, Rules, v.transform(t, testYAML)); !ok {
				t.Fatalf("promtool test rules %s (%s) failed:\n%s", rulesTestFile, v.name, out)
			}
		})
	}
}

// TestRuleUnitTestsCatchMutants breaks the rules in ways the unit tests' "close
// but must not fire" cases are there to catch, and expects promtool test rules
// to fail on each, in both runs: the unit tests test something, with and
// without volume series. The volume-reading mutants compute the same values
// from volume series instead of group-level ones: the run with volume
// series passes them, so only the run without them can catch them.
func TestRuleUnitTestsCatchMutants(t *testing.T) {
	// Each mutant names the unit test group (name: in rcopy.rules.test.yml)
	// that must catch it; only that group runs, to keep this test quick.
	mutants := []struct {
		name, group, from, to string
		readsVolumes          bool
	}{
		{name: "split brain counts one primary", group: "split brain",
			from: "natural_group:threepar_rcopy_primary_arrays:count > 1", to: "natural_group:threepar_rcopy_primary_arrays:count > 0"},
		{name: "primary claims ignore the pair label", group: "split brain",
			from: "count by (pair, natural_group) (\n            max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role",
			to:   "count by (natural_group) (\n            max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role"},
		{name: "an SLD array counted once per target", group: "split brain",
			from: "max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role", to: "(\n              threepar_rcopy_group_role{role"},
		{name: "Backup listings counted as roles", group: "no primary", from: `status="Backup"`, to: `status="NoSuchStatus"`},
		{name: "a trio's primary counted once per listing", group: "sld trio",
			from: "max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role", to: "(\n              threepar_rcopy_group_role{role"},
		{name: "Primary-Rev is no primary claim", group: "sld trio",
			from: `threepar_rcopy_group_role{role=~"Primary|Primary-Rev"} == 1`, to: `threepar_rcopy_group_role{role=~"Primary"} == 1`},
		{name: "Stale does not page", group: "volume not synced",
			from: `sync_status!~"Synced|Syncing|New|Stopped"} > 0`, to: `sync_status!~"Synced|Syncing|New|Stopped|Stale"} > 0`},
		{name: "Syncing pages after 15m", group: "volume not synced", from: "for: 2h", to: "for: 15m"},
		{name: "Stopped volumes count as not synced", group: "volume not synced",
			from: `sync_status!~"Synced|Syncing|New|Stopped"`, to: `sync_status!~"Synced|Syncing|New"`},
		{name: "zero counts of a broken status fire", group: "volume not synced",
			from: `sync_status!~"Synced|Syncing|New|Stopped"} > 0`, to: `sync_status!~"Synced|Syncing|New|Stopped"} >= 0`},
		{name: "a short Stale spell pages", group: "volume not synced",
			from: "Stopped\"} > 0\n        for: 15m", to: "Stopped\"} > 0\n        for: 5m"},
		{name: "links of a failed target alert", group: "link down",
			from: "threepar_rcopy_link_up == 0\n            unless", to: "threepar_rcopy_link_up == 0\n            or"},
		{name: "CIM alert without a non-conformant volume", group: "cim non-conformant",
			from: "threepar_rcopy_group_volumes_cim_nonconformant > 0", to: "threepar_rcopy_group_volumes_cim_nonconformant >= 0"},
		{name: "a CIM provider trailing a role change pages", group: "cim non-conformant",
			from: "cim_nonconformant > 0\n        for: 15m", to: "cim_nonconformant > 0\n        for: 5m"},
		{name: "volumes of a failed target are not in the tables", group: "state not in table",
			from: "threepar_rcopy_group_volumes_not_in_table > 0\n            unless", to: "threepar_rcopy_group_volumes_not_in_table > 0\n            or"},
		{name: "a role change through an undocumented state pages", group: "state not in table",
			from: "threepar_rcopy_target_ready == 0\n        for: 10m\n        labels:\n          severity: warning\n        annotations:\n          summary: '{{ $value }} volume(s) of group",
			to:   "threepar_rcopy_target_ready == 0\n        for: 4m\n        labels:\n          severity: warning\n        annotations:\n          summary: '{{ $value }} volume(s) of group"},
		{name: "groups of a failed target count as stopped", group: "group stopped",
			from: "threepar_rcopy_group_status{status=\"Stopped\"} == 1\n            unless", to: "threepar_rcopy_group_status{status=\"Stopped\"} == 1\n            or"},
		{name: "late after 2 periods", group: "periodic sync late",
			from: "3 * threepar_rcopy_group_period_seconds\n", to: "2 * threepar_rcopy_group_period_seconds\n"},
		{name: "stopped groups count as late", group: "periodic sync late",
			from: `(threepar_rcopy_group_status{status="Started"} == 1)`, to: `(threepar_rcopy_group_status == 1)`},
		{name: "a probe failing every other scrape pages", group: "probe failed",
			from: "threepar_rcopy_up == 0\n        for: 5m", to: "threepar_rcopy_up == 0\n        for: 0m"},
		{name: "a short role reversal alerts", group: "role reversed",
			from: "role=~\"Primary-Rev|Secondary-Rev\"} == 1\n        for: 15m", to: "role=~\"Primary-Rev|Secondary-Rev\"} == 1\n        for: 5m"},

		{name: "state not in table counted from volume series", group: "state not in table", readsVolumes: true,
			from: "threepar_rcopy_group_volumes_not_in_table > 0\n", to: "count without (volume) (threepar_rcopy_volume_state_in_table == 0)\n"},
		{name: "CIM non-conformance counted from volume series", group: "cim non-conformant", readsVolumes: true,
			from: "expr: threepar_rcopy_group_volumes_cim_nonconformant > 0",
			to:   "expr: count without (volume) (threepar_rcopy_volume_cim_conformant == 0)"},
		{name: "sync statuses counted from volume series", group: "volume not synced", readsVolumes: true,
			from: `expr: threepar_rcopy_group_volumes{sync_status!~"Synced|Syncing|New|Stopped"} > 0`,
			to:   `expr: count without (volume, status) (label_replace(threepar_rcopy_volume_sync_status{status!~"Synced|Syncing|New|Stopped"}, "sync_status", "$1", "status", "(.*)"))`},
		{name: "last sync age from volume series", group: "periodic sync late", readsVolumes: true,
			from: "expr: time() - threepar_rcopy_group_last_sync_timestamp_seconds",
			to:   "expr: time() - min without (volume) (threepar_rcopy_volume_last_sync_timestamp_seconds)"},
	}
	testYAML := readRulesTestFile(t)
	for _, m := range mutants {
		if n := bytes.Count(Rules, []byte(m.from)); n != 1 {
			t.Fatalf("mutation source %q occurs %d times in %s, want once", m.from, n, rulesFile)
		}
		mutated := bytes.Replace(Rules, []byte(m.from), []byte(m.to), 1)
		for _, v := range ruleTestVariants {
			caught := !m.readsVolumes || v.name != ruleTestVariants[0].name
			t.Run(m.name+"/"+v.name, func(t *testing.T) {
				t.Parallel()
				only := testGroup(t, v.transform(t, testYAML), m.group)
				out, ok := promtoolTestRules(t, mutated, only)
				switch {
				case caught && ok:
					t.Errorf("promtool test rules (group %q, %s) passed on the mutant; the unit tests miss it:\n%s", m.group, v.name, out)
				case !caught && !ok:
					t.Errorf("the mutant reads volume series and computes the same values; the run with them should pass it:\n%s", out)
				}
			})
		}
	}
}

// testGroup returns the promtool unit test file reduced to the test group
// with the given name.
func testGroup(t *testing.T, testYAML []byte, name string) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(testYAML, &doc); err != nil {
		t.Fatalf("%s: %v", rulesTestFile, err)
	}
	var kept []any
	for _, tc := range doc["tests"].([]any) {
		if tc.(map[string]any)["name"] == name {
			kept = append(kept, tc)
		}
	}
	if len(kept) != 1 {
		t.Fatalf("%s: %d test groups named %q, want 1", rulesTestFile, len(kept), name)
	}
	doc["tests"] = kept
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAlertsAreDocumented(t *testing.T) {
	rules := loadRules(t)
	severities := []string{"critical", "warning", "info"}
	seen := map[string]bool{}
	for _, r := range rules {
		if r.Alert == "" {
			continue
		}
		seen[r.Alert] = true
		where := fmt.Sprintf("%s:%d: %s", rulesFile, r.line, r.Alert)
		if !slices.Contains(severities, r.Labels["severity"]) {
			t.Errorf("%s: labels.severity %q, want one of %v", where, r.Labels["severity"], severities)
		}
		for _, a := range []string{"summary", "description"} {
			if strings.TrimSpace(r.Annotations[a]) == "" {
				t.Errorf("%s: annotation %s is missing", where, a)
			}
		}
		if r.For == "" {
			t.Errorf("%s: no for: duration; one odd scrape would fire it", where)
		}
	}
	for _, name := range stableAlerts {
		if !seen[name] {
			t.Errorf("%s: stable alert %s is missing", rulesFile, name)
		}
	}
}

// queryInTemplate finds the PromQL that annotation templates run through
// `query` (written as printf with a backquoted format in our rules).
var queryInTemplate = regexp.MustCompile("printf `([^`]*)`")

func TestRulesUseKnownMetrics(t *testing.T) {
	rules := loadRules(t)
	recorded := recordedNames(rules)
	for _, r := range rules {
		where := fmt.Sprintf("%s:%d: %s", rulesFile, r.line, r.Alert+r.Record)
		exprs := []string{r.Expr}
		for _, a := range r.Annotations {
			for _, m := range queryInTemplate.FindAllStringSubmatch(a, -1) {
				exprs = append(exprs, strings.ReplaceAll(m[1], "%q", `"x"`))
			}
		}
		for _, expr := range exprs {
			names, err := MetricNames(expr)
			if err != nil {
				t.Errorf("%s: %v", where, err)
				continue
			}
			if len(names) == 0 {
				t.Errorf("%s: no metric found in %q", where, expr)
			}
			for _, n := range names {
				if !KnownMetric(n, recorded) {
					t.Errorf("%s: unknown metric %s (not in ExporterMetrics, PrometheusSeries or a recording rule)", where, n)
				}
			}
		}
	}
}

// TestEveryAlertIsUnitTested: each alert has a promtool test case in which
// it fires and one in which it must not.
func TestEveryAlertIsUnitTested(t *testing.T) {
	data := readRulesTestFile(t)
	var tests struct {
		RuleFiles []string `yaml:"rule_files"`
		Tests     []struct {
			Name          string `yaml:"name"`
			AlertRuleTest []struct {
				Alertname string           `yaml:"alertname"`
				ExpAlerts []map[string]any `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(data, &tests); err != nil {
		t.Fatalf("%s: %v", rulesTestFile, err)
	}
	if !slices.Equal(tests.RuleFiles, []string{rulesFile}) {
		t.Errorf("%s: rule_files %v, want [%s]", rulesTestFile, tests.RuleFiles, rulesFile)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, r := range loadRules(t) {
		if r.Alert != "" && !fires[r.Alert] {
			t.Errorf("%s: alert %s has no test case in which it fires", rulesTestFile, r.Alert)
		}
		if r.Alert != "" && !silent[r.Alert] {
			t.Errorf("%s: alert %s has no test case in which it must not fire (exp_alerts: [])", rulesTestFile, r.Alert)
		}
	}
}
