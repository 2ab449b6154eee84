package alerts

import (
	"fmt"
	"strings"
	"testing"
)

// TestDashboardWithSLDTrio evaluates the pair view's role panels, with the
// row's variables set to one natural group, on what the exporter emits for
// a Synchronous Long Distance trio: each array lists the group once per
// target, and the standby listings (Status Backup) hold role Secondary.
// From 0m the trio runs normally; from 10m the old primary is back after a
// failover, still Primary on both listings (Continentalclusters) beside the
// secondary's Primary-Rev. The panels must count an array once however
// many listings it has, keep one row per listing, and not fail on the
// joins (promtool reports a many-to-many match as an error).
func TestDashboardWithSLDTrio(t *testing.T) {
	type listing struct{ instance, group, target, status, role, statusLater, roleLater string }
	trio := []listing{
		{"sld-a", "rcg-sld", "sld-b", "Started", "Primary", "Stopped", "Primary"},
		{"sld-a", "rcg-sld", "sld-c", "Started", "Primary", "Stopped", "Primary"},
		{"sld-b", "rcg-sld.r188160", "sld-a", "Started", "Secondary", "Stopped", "Primary-Rev"},
		{"sld-b", "rcg-sld.r188160", "sld-c", "Backup", "Secondary", "Backup", "Secondary"},
		{"sld-c", "rcg-sld.r188160", "sld-a", "Started", "Secondary", "Stopped", "Secondary"},
		{"sld-c", "rcg-sld.r188160", "sld-b", "Backup", "Secondary", "Backup", "Secondary"},
	}
	labels := func(l listing) string {
		return fmt.Sprintf(`job="rcopy",instance=%q,pair="trio",group=%q,natural_group="rcg-sld",target=%q`, l.instance, l.group, l.target)
	}
	values := func(now, later bool) string {
		return fmt.Sprintf("%dx9 %dx10", boolInt(now), boolInt(later))
	}
	var in strings.Builder
	for _, l := range trio {
		// The state sets, as the exporter emits them (docs/metrics.md).
		for _, r := range []string{"Primary", "Secondary", "Primary-Rev", "Secondary-Rev"} {
			fmt.Fprintf(&in, "      - series: 'threepar_rcopy_group_role{%s,role=%q}'\n        values: '%s'\n", labels(l), r, values(l.role == r, l.roleLater == r))
		}
		for _, s := range []string{"Started", "Stopped", "Backup"} {
			fmt.Fprintf(&in, "      - series: 'threepar_rcopy_group_status{%s,status=%q}'\n        values: '%s'\n", labels(l), s, values(l.status == s, l.statusLater == s))
		}
	}
	panels := map[string]string{}
	for _, p := range allPanels(loadDashboard(t).Panels) {
		for _, tg := range p.Targets {
			panels[p.Title] = grafanaVariable.ReplaceAllStringFunc(tg.Expr, func(v string) string {
				m := grafanaVariable.FindStringSubmatch(v)
				return map[string]string{"instance": ".*", "pair": "trio", "natural_group": "rcg-sld"}[m[1]+m[2]]
			})
		}
	}
	var tests strings.Builder
	expr := func(title string, at string, samples ...string) {
		q, ok := panels[title]
		if !ok {
			t.Fatalf("no dashboard panel %q", title)
		}
		fmt.Fprintf(&tests, "      - expr: %q\n        eval_time: %s\n        exp_samples:\n", q, at)
		for _, s := range samples {
			fmt.Fprintf(&tests, "          - labels: '%s'\n            value: 1\n", s)
		}
	}
	// One array claims the primary role in normal operation, two once the
	// old primary is back before recover.
	fmt.Fprintf(&tests, "      - expr: %q\n        eval_time: 5m\n        exp_samples: [{labels: '{}', value: 1}]\n", panels["Arrays claiming primary"])
	fmt.Fprintf(&tests, "      - expr: %q\n        eval_time: 15m\n        exp_samples: [{labels: '{}', value: 2}]\n", panels["Arrays claiming primary"])
	var table, timeline []string
	for _, l := range trio {
		table = append(table, fmt.Sprintf("{%s,role=%q,status=%q}", labels(l), l.role, l.status))
		timeline = append(timeline, fmt.Sprintf("{instance=%q,target=%q,role=%q}", l.instance, l.target, l.role))
	}
	expr("Roles per array and target", "5m", table...)
	expr("Roles over time", "5m", timeline...)
	unit := "rule_files: [" + rulesFile + "]\nevaluation_interval: 1m\ntests:\n  - name: dashboard on a trio\n    interval: 1m\n    input_series:\n" +
		in.String() + "    promql_expr_test:\n" + tests.String()
	if out, ok := promtoolTestRules(t, Rules, []byte(unit)); !ok {
		t.Fatalf("the dashboard's role panels on a Synchronous Long Distance trio:\n%s", out)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
