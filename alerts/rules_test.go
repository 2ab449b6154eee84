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

// stableAlerts are the alert names users route on (issue 7); renaming one is
// a breaking change.
var stableAlerts = []string{
	"RcopyExporterProbeFailed", "RcopyStateNotInTable", "RcopyCIMNonConformant",
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

func TestPromtoolTestRules(t *testing.T) {
	t.Parallel()
	if out, ok := runPromtool(t, ".", "test", "rules", rulesTestFile); !ok {
		t.Fatalf("promtool test rules %s failed:\n%s", rulesTestFile, out)
	}
}

// TestRuleUnitTestsCatchMutants breaks the rules in ways the unit tests' "close
// but must not fire" cases are there to catch, and expects promtool test rules
// to fail on each: the unit tests test something.
func TestRuleUnitTestsCatchMutants(t *testing.T) {
	// Each mutant names the unit test group (name: in rcopy.rules.test.yml)
	// that must catch it; only that group runs, to keep this test quick.
	mutants := []struct{ name, group, from, to string }{
		{"split brain counts one primary", "split brain",
			"natural_group:threepar_rcopy_primary_arrays:count > 1", "natural_group:threepar_rcopy_primary_arrays:count > 0"},
		{"primary claims ignore the pair label", "split brain",
			"count by (pair, natural_group) (\n            max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role",
			"count by (natural_group) (\n            max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role"},
		{"an SLD array counted once per target", "split brain",
			"max by (pair, natural_group, instance) (\n              threepar_rcopy_group_role{role", "(\n              threepar_rcopy_group_role{role"},
		{"Backup listings counted as roles", "no primary", `status="Backup"`, `status="NoSuchStatus"`},
		{"Syncing pages after 15m", "volume not synced", "for: 2h", "for: 15m"},
		{"Stopped volumes count as not synced", "volume not synced",
			`status!~"Synced|Syncing|New|Stopped"`, `status!~"Synced|Syncing|New"`},
		{"links of a failed target alert", "link down",
			"threepar_rcopy_link_up == 0\n            unless", "threepar_rcopy_link_up == 0\n            or"},
		{"CIM alert for volumes outside the tables", "cim non-conformant",
			"unless on (job, instance, group, volume)", "or on (job, instance, group, volume)"},
		{"volumes of a failed target are not in the tables", "state not in table",
			"threepar_rcopy_volume_state_in_table == 0\n            unless", "threepar_rcopy_volume_state_in_table == 0\n            or"},
		{"groups of a failed target count as stopped", "group stopped",
			"threepar_rcopy_group_status{status=\"Stopped\"} == 1\n            unless", "threepar_rcopy_group_status{status=\"Stopped\"} == 1\n            or"},
		{"late after 2 periods", "periodic sync late", "3 * max by (job, instance, group)", "2 * max by (job, instance, group)"},
		{"stopped groups count as late", "periodic sync late",
			`(threepar_rcopy_group_status{status="Started"} == 1)`, `(threepar_rcopy_group_status == 1)`},
		{"a probe failing every other scrape pages", "probe failed",
			"threepar_rcopy_up == 0\n        for: 5m", "threepar_rcopy_up == 0\n        for: 0m"},
		{"a short role reversal alerts", "role reversed",
			"role=~\"Primary-Rev|Secondary-Rev\"} == 1\n        for: 15m", "role=~\"Primary-Rev|Secondary-Rev\"} == 1\n        for: 5m"},
	}
	testYAML, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mutants {
		t.Run(m.name, func(t *testing.T) {
			t.Parallel()
			if n := bytes.Count(Rules, []byte(m.from)); n != 1 {
				t.Fatalf("mutation source %q occurs %d times in %s, want once", m.from, n, rulesFile)
			}
			dir := t.TempDir()
			mutated := bytes.Replace(Rules, []byte(m.from), []byte(m.to), 1)
			only := testGroup(t, testYAML, m.group)
			for name, data := range map[string][]byte{rulesFile: mutated, rulesTestFile: only} {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if out, ok := runPromtool(t, dir, "test", "rules", rulesTestFile); ok {
				t.Errorf("promtool test rules (group %q) passed on the mutant; the unit tests miss it:\n%s", m.group, out)
			}
		})
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
// it fires.
func TestEveryAlertIsUnitTested(t *testing.T) {
	data, err := os.ReadFile(rulesTestFile)
	if err != nil {
		t.Fatal(err)
	}
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
	fires := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	for _, r := range loadRules(t) {
		if r.Alert != "" && !fires[r.Alert] {
			t.Errorf("%s: alert %s has no test case in which it fires", rulesTestFile, r.Alert)
		}
	}
}
