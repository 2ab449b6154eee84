package alerts

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const dashboardFile = "../dashboards/rcopy.json"

type dashboard struct {
	UID           string  `json:"uid"`
	Title         string  `json:"title"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Repeat     string         `json:"repeat"`
	Datasource *datasourceRef `json:"datasource"`
	Targets    []panelTarget  `json:"targets"`
	Panels     []panel        `json:"panels"` // collapsed rows hold their panels
}

type panelTarget struct {
	Expr       string         `json:"expr"`
	RefID      string         `json:"refId"`
	Datasource *datasourceRef `json:"datasource"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Type  string          `json:"type"`
	Name  string          `json:"name"`
	Query json.RawMessage `json:"query"` // a string, or {"query": "..."}
}

// query returns the variable's query text whichever form it has.
func (v variable) query() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var obj struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &obj)
	return obj.Query
}

func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	var d dashboard
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	return d
}

func allPanels(ps []panel) []panel {
	var out []panel
	for _, p := range ps {
		out = append(out, p)
		out = append(out, allPanels(p.Panels)...)
	}
	return out
}

// grafanaVariable matches $name, ${name} and ${name:format}.
var grafanaVariable = regexp.MustCompile(`\$(?:\{([A-Za-z0-9_]+)(?::[a-z]+)?\}|([A-Za-z0-9_]+))`)

// labelValues matches Grafana's label_values(selector, label).
var labelValues = regexp.MustCompile(`^label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\)$`)

// dashboardQuery is one PromQL text of the dashboard and where it is.
type dashboardQuery struct{ where, expr string }

func dashboardQueries(t *testing.T, d dashboard) []dashboardQuery {
	t.Helper()
	var qs []dashboardQuery
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := v.query()
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(selector, label)", v.Name, q)
			continue
		}
		qs = append(qs, dashboardQuery{"variable " + v.Name, m[1]})
	}
	for _, p := range allPanels(d.Panels) {
		for _, tg := range p.Targets {
			qs = append(qs, dashboardQuery{fmt.Sprintf("panel %d %q target %s", p.ID, p.Title, tg.RefID), tg.Expr})
		}
	}
	return qs
}

func TestDashboardStructure(t *testing.T) {
	d := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("dashboard needs a uid and a title")
	}
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d; want a current one (>= 36, datasource references by uid)", d.SchemaVersion)
	}
	vars := map[string]variable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v, ok := vars["datasource"]; !ok || v.Type != "datasource" || v.query() != "prometheus" {
		t.Errorf("want a datasource variable of type prometheus named datasource, got %+v", v)
	}
	for _, name := range []string{"instance", "natural_group"} {
		if _, ok := vars[name]; !ok {
			t.Errorf("variable %s missing", name)
		}
	}
	ids := map[int]string{}
	pairView := false
	for _, p := range allPanels(d.Panels) {
		if prev, dup := ids[p.ID]; dup {
			t.Errorf("panel id %d used by %q and %q", p.ID, prev, p.Title)
		}
		ids[p.ID] = p.Title
		if p.Type == "row" {
			pairView = pairView || p.Repeat == "natural_group"
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %d %q has no query", p.ID, p.Title)
		}
		for _, tg := range p.Targets {
			for _, ds := range []*datasourceRef{p.Datasource, tg.Datasource} {
				if ds == nil || ds.UID != "${datasource}" {
					t.Errorf("panel %d %q target %s: datasource %+v, want uid ${datasource}", p.ID, p.Title, tg.RefID, ds)
				}
			}
		}
	}
	if !pairView {
		t.Error("no row repeated per natural_group (the pair view)")
	}
	// Every variable a query uses is defined (or one of Grafana's own).
	for _, q := range dashboardQueries(t, d) {
		for _, m := range grafanaVariable.FindAllStringSubmatch(q.expr, -1) {
			name := m[1] + m[2]
			if _, ok := vars[name]; !ok && !strings.HasPrefix(name, "__") {
				t.Errorf("%s uses undefined variable $%s", q.where, name)
			}
		}
	}
}

func TestDashboardUsesKnownMetrics(t *testing.T) {
	d := loadDashboard(t)
	recorded := recordedNames(loadRules(t))
	queries := dashboardQueries(t, d)
	if len(queries) < 10 {
		t.Fatalf("found only %d queries in %s", len(queries), dashboardFile)
	}
	for _, q := range queries {
		names, err := MetricNames(q.expr)
		if err != nil {
			t.Errorf("%s: %v", q.where, err)
			continue
		}
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", q.where, q.expr)
		}
		for _, n := range names {
			if !KnownMetric(n, recorded) {
				t.Errorf("%s: unknown metric %s in %q", q.where, n, q.expr)
			}
		}
	}
}

// TestDashboardQueriesParse has promtool parse every query (with the
// variables replaced by sample values) as a recording rule.
func TestDashboardQueriesParse(t *testing.T) {
	t.Parallel()
	d := loadDashboard(t)
	samples := map[string]string{
		"__rate_interval": "5m", "__interval": "1m", "__range": "1h",
		"instance": "array-a", "natural_group": "g1", "pair": "dc1-dc2",
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	queries := dashboardQueries(t, d)
	for i, q := range queries {
		expr := grafanaVariable.ReplaceAllStringFunc(q.expr, func(v string) string {
			m := grafanaVariable.FindStringSubmatch(v)
			if s, ok := samples[m[1]+m[2]]; ok {
				return s
			}
			return v
		})
		quoted, _ := json.Marshal(expr) // a JSON string is a YAML string
		fmt.Fprintf(&rules, "      - record: dashboard_query_%d\n        expr: %s\n", i, quoted)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dashboard.rules.yml"), []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, ok := runPromtool(t, dir, "check", "rules", "dashboard.rules.yml")
	if !ok {
		// Map promtool's complaint back to the panel.
		var where []string
		for i, q := range queries {
			if strings.Contains(out, fmt.Sprintf("dashboard_query_%d", i)) {
				where = append(where, q.where)
			}
		}
		t.Fatalf("promtool rejects dashboard queries %v:\n%s", where, out)
	}
	if want := fmt.Sprintf("%d rules found", len(queries)); !strings.Contains(out, want) {
		t.Errorf("promtool checked fewer queries than %d:\n%s", len(queries), out)
	}
}
