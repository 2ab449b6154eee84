package alerts

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The promise of the lean contract: a module with volume_metrics: false
// exports no volume_* series, and every alert still fires the same. The
// rules are proven both ways by running the promtool unit tests twice: as
// written (group-level and volume series, as a module with volume series
// exports them) and with every volume series left out (groupsOnlyTests).
// Only the `volumes` annotation, which names the volumes, may read volume
// series; without them it must say so, in these words.
const (
	volumePrefix       = "threepar_rcopy_volume_"
	volumesAnnotation  = "volumes"
	volumesNotExported = "not exported: the module sets volume_metrics: false (checker check lists the volumes)"
)

// groupsOnlyTests returns the promtool unit test file as a module with
// volume_metrics: false would see it: every input series named
// threepar_rcopy_volume_* is left out and every expected `volumes`
// annotation becomes volumesNotExported; everything else, in particular
// which alerts fire with which labels, summary and description, stays. It
// fails the test when a test group that expects a `volumes` annotation has
// no volume series to leave out: that group would test nothing new.
func groupsOnlyTests(t *testing.T, testYAML []byte) []byte {
	t.Helper()
	var doc map[string]any
	if err := yaml.Unmarshal(testYAML, &doc); err != nil {
		t.Fatalf("%s: %v", rulesTestFile, err)
	}
	dropped := 0
	for _, tc := range doc["tests"].([]any) {
		tc := tc.(map[string]any)
		var kept []any
		droppedHere := 0
		for _, s := range tc["input_series"].([]any) {
			if strings.HasPrefix(s.(map[string]any)["series"].(string), volumePrefix) {
				droppedHere++
				continue
			}
			kept = append(kept, s)
		}
		tc["input_series"] = kept
		dropped += droppedHere
		annotated := 0
		for _, a := range listOf(tc["alert_rule_test"]) {
			for _, e := range listOf(a.(map[string]any)["exp_alerts"]) {
				ann, _ := e.(map[string]any)["exp_annotations"].(map[string]any)
				if _, ok := ann[volumesAnnotation]; ok {
					ann[volumesAnnotation] = volumesNotExported
					annotated++
				}
			}
		}
		if annotated > 0 && droppedHere == 0 {
			t.Errorf("%s: test %q expects a volumes annotation but has no volume series: it tests nothing without them", rulesTestFile, tc["name"])
		}
		for _, e := range listOf(tc["promql_expr_test"]) {
			if names, _ := MetricNames(e.(map[string]any)["expr"].(string)); slices.ContainsFunc(names, isVolumeSeries) {
				t.Errorf("%s: test %q: promql_expr_test reads volume series; the rules must not need them", rulesTestFile, tc["name"])
			}
		}
	}
	if dropped == 0 {
		t.Fatalf("%s: no volume series to leave out; the second run would repeat the first", rulesTestFile)
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// volumesFallback matches the end of a `volumes` annotation: what it says
// when its query finds no volume series.
var volumesFallback = regexp.MustCompile(`\{\{-? else -?\}\}` + regexp.QuoteMeta(volumesNotExported) + `\{\{ end \}\}$`)

func listOf(v any) []any { l, _ := v.([]any); return l }

func isVolumeSeries(name string) bool { return strings.HasPrefix(name, volumePrefix) }

// TestAlertsReadGroupLevelSeriesOnly checks statically what the second
// promtool run proves: no rule expression, and no annotation but
// `volumes`, reads a volume series; a `volumes` annotation says
// volumesNotExported when the series are absent.
func TestAlertsReadGroupLevelSeriesOnly(t *testing.T) {
	for _, r := range loadRules(t) {
		where := fmt.Sprintf("%s:%d: %s", rulesFile, r.line, r.Alert+r.Record)
		names, err := MetricNames(r.Expr)
		if err != nil {
			t.Errorf("%s: %v", where, err)
		}
		for _, n := range names {
			if isVolumeSeries(n) {
				t.Errorf("%s: expr reads %s; alerts must keep working with volume_metrics: false", where, n)
			}
		}
		for key, text := range r.Annotations {
			readsVolumes := false
			for _, m := range queryInTemplate.FindAllStringSubmatch(text, -1) {
				names, _ := MetricNames(strings.ReplaceAll(m[1], "%q", `"x"`))
				readsVolumes = readsVolumes || slices.ContainsFunc(names, isVolumeSeries)
			}
			switch {
			case key != volumesAnnotation && readsVolumes:
				t.Errorf("%s: annotation %s queries volume series; only %q may (it reads well without them)", where, key, volumesAnnotation)
			case key == volumesAnnotation && !volumesFallback.MatchString(text):
				t.Errorf("%s: annotation %s does not end in {{ else }}%s{{ end }} for modules without volume series", where, key, volumesNotExported)
			}
		}
	}
}

// --- consistency of the unit tests' input series ---------------------------------------------

// The first run is only evidence if its inputs are what the exporter emits:
// the group-level counts must agree with the volume series at every step
// (otherwise a test could pass on volume series that contradict the
// group-level series the second run keeps). checkInputConsistency is that
// oracle; it knows the contract (docs/metrics.md), not the rules.

// knownSyncStatuses is the state set of group_volumes (docs/metrics.md):
// the exporter emits each of them, 0 when no volume has it.
var knownSyncStatuses = []string{"New", "Syncing", "Synced", "NotSynced", "Stale", "Stopped"}

// listingLabels identify a group listing; a volume series adds volume.
var listingLabels = []string{"job", "instance", "pair", "group", "natural_group", "target"}

// inputSeries is one input series of a promtool unit test, expanded to
// one value per evaluation step (nil: no sample at that step).
type inputSeries struct {
	name   string
	labels map[string]string
	values []*float64
}

// at is the sample at step, nil when there is none.
func (s inputSeries) at(step int) *float64 {
	if step < len(s.values) {
		return s.values[step]
	}
	return nil
}

func (s inputSeries) listing() string {
	var parts []string
	for _, l := range listingLabels {
		if v, ok := s.labels[l]; ok {
			parts = append(parts, l+"="+v)
		}
	}
	return strings.Join(parts, ",")
}

// checkInputConsistency returns, for one test group, every place where the
// input series are not what one exporter answer per step could hold.
func checkInputConsistency(series []inputSeries) []string {
	var errs []string
	steps := 0
	for _, s := range series {
		steps = max(steps, len(s.values))
	}
	byListing := map[string][]inputSeries{}
	var listings []string
	for _, s := range series {
		if n := len(s.values); n < steps && s.values[n-1] != nil {
			// A scrape yields every series at the same instants; one that
			// ends without a stale marker lingers in promtool for the
			// lookback.
			errs = append(errs, fmt.Sprintf("%s: %d steps, the other series %d, and no stale at its end", s.describe(), n, steps))
		}
		if !strings.HasPrefix(s.name, "threepar_rcopy_group_") && !isVolumeSeries(s.name) {
			continue
		}
		k := s.listing()
		if byListing[k] == nil {
			listings = append(listings, k)
		}
		byListing[k] = append(byListing[k], s)
	}
	for _, k := range listings {
		errs = append(errs, checkListing(k, byListing[k], steps)...)
	}
	return errs
}

func (s inputSeries) describe() string {
	keys := make([]string, 0, len(s.labels))
	for k := range s.labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(s.name + "{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%s=%q", k, s.labels[k])
	}
	return b.String() + "}"
}

func checkListing(listing string, series []inputSeries, steps int) (errs []string) {
	const shown = 5 // a wrong series is wrong at many steps; the first few say enough
	hidden := 0
	fail := func(step int, format string, args ...any) {
		if len(errs) == shown {
			hidden++
			return
		}
		errs = append(errs, fmt.Sprintf("{%s} at %dm: %s", listing, step, fmt.Sprintf(format, args...)))
	}
	defer func() {
		if hidden > 0 {
			errs = append(errs, fmt.Sprintf("{%s}: %d more", listing, hidden))
		}
	}()
	groupVolumes := map[string]inputSeries{}
	for _, s := range series {
		if s.name == "threepar_rcopy_group_volumes" {
			groupVolumes[s.labels["sync_status"]] = s
		}
	}
	if len(groupVolumes) > 0 {
		for _, st := range knownSyncStatuses {
			if _, ok := groupVolumes[st]; !ok {
				errs = append(errs, fmt.Sprintf("{%s}: no group_volumes{sync_status=%q}; the exporter emits every known status", listing, st))
			}
		}
	}
	for step := range steps {
		// What the volume series say at this step.
		status := map[string]string{}   // volume -> sync status
		inTable := map[string]float64{} // volume -> state_in_table
		expected := map[string]int{}    // volume -> expected triples
		nonconformant, lastSyncs := 0, []float64{}
		present := map[string]bool{} // volume -> some volume series
		agg := map[string]*float64{} // group-level series without a state label
		for _, s := range series {
			v := s.at(step)
			if v == nil {
				continue
			}
			vol := s.labels["volume"]
			if isVolumeSeries(s.name) {
				present[vol] = true
			}
			switch s.name {
			case "threepar_rcopy_volume_sync_status":
				if prev, dup := status[vol]; dup {
					fail(step, "volume %s has sync status %s and %s; one series per volume", vol, prev, s.labels["status"])
				}
				status[vol] = s.labels["status"]
			case "threepar_rcopy_volume_state_in_table":
				inTable[vol] = *v
			case "threepar_rcopy_volume_expected_cim_info":
				expected[vol]++
			case "threepar_rcopy_volume_cim_conformant":
				if *v == 0 {
					nonconformant++
				}
			case "threepar_rcopy_volume_last_sync_timestamp_seconds":
				lastSyncs = append(lastSyncs, *v)
			case "threepar_rcopy_group_volumes_not_in_table", "threepar_rcopy_group_volumes_cim_nonconformant",
				"threepar_rcopy_group_last_sync_timestamp_seconds":
				agg[s.name] = v
			}
		}
		for vol := range present {
			if _, ok := status[vol]; !ok {
				fail(step, "volume %s has series but no volume_sync_status", vol)
			}
			if _, ok := inTable[vol]; !ok {
				fail(step, "volume %s has no volume_state_in_table (the exporter always emits it)", vol)
			}
			if (inTable[vol] == 1) != (expected[vol] > 0) {
				fail(step, "volume %s: state_in_table %v with %d expected CIM triples", vol, inTable[vol], expected[vol])
			}
		}
		if len(groupVolumes) > 0 {
			counts := map[string]float64{}
			for _, st := range status {
				counts[st]++
			}
			for st, s := range groupVolumes {
				if v := s.at(step); v != nil && *v != counts[st] {
					fail(step, "group_volumes{sync_status=%q} is %v, the volume series count %v", st, *v, counts[st])
				}
			}
			for st := range counts {
				if s, ok := groupVolumes[st]; !ok || s.at(step) == nil {
					fail(step, "%v volumes are %s but group_volumes{sync_status=%q} has no sample", counts[st], st, st)
				}
			}
		} else if len(status) > 0 {
			fail(step, "volume series without group_volumes (the exporter emits both)")
		}
		notInTable := 0
		for _, v := range inTable {
			if v == 0 {
				notInTable++
			}
		}
		if v := agg["threepar_rcopy_group_volumes_not_in_table"]; v != nil && *v != float64(notInTable) {
			fail(step, "group_volumes_not_in_table is %v, volume_state_in_table has %d zeros", *v, notInTable)
		} else if v == nil && len(present) > 0 {
			fail(step, "volume series without group_volumes_not_in_table (the exporter emits both)")
		}
		if v := agg["threepar_rcopy_group_volumes_cim_nonconformant"]; v != nil && *v != float64(nonconformant) {
			fail(step, "group_volumes_cim_nonconformant is %v, volume_cim_conformant has %d zeros", *v, nonconformant)
		} else if v == nil && nonconformant > 0 {
			fail(step, "volume_cim_conformant without group_volumes_cim_nonconformant")
		}
		last := agg["threepar_rcopy_group_last_sync_timestamp_seconds"]
		switch {
		case last == nil && len(lastSyncs) > 0:
			fail(step, "volumes have last sync times but group_last_sync_timestamp_seconds has no sample")
		case last != nil && len(lastSyncs) > 0 && *last != slices.Min(lastSyncs):
			fail(step, "group_last_sync_timestamp_seconds is %v, the oldest volume's %v", *last, slices.Min(lastSyncs))
		case last != nil && len(lastSyncs) == 0 && len(present) > 0:
			fail(step, "group_last_sync_timestamp_seconds without any volume's last sync time")
		}
	}
	return errs
}

// selectorRE reads a series selector as the unit tests write it:
// name{label="value",...}.
var (
	selectorRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$`)
	matcherRE  = regexp.MustCompile(`^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*("(?:[^"\\]|\\.)*")\s*(?:,|$)`)
)

func parseSelector(sel string) (string, map[string]string, error) {
	m := selectorRE.FindStringSubmatch(strings.TrimSpace(sel))
	if m == nil {
		return "", nil, fmt.Errorf("series %q: want name{label=\"value\",...}", sel)
	}
	labels := map[string]string{}
	rest := m[2]
	for strings.TrimSpace(rest) != "" {
		lm := matcherRE.FindStringSubmatch(rest)
		if lm == nil {
			return "", nil, fmt.Errorf("series %q: cannot read labels at %q", sel, rest)
		}
		v, err := strconv.Unquote(lm[2])
		if err != nil {
			return "", nil, fmt.Errorf("series %q: %v", sel, err)
		}
		labels[lm[1]] = v
		rest = rest[len(lm[0]):]
	}
	return m[1], labels, nil
}

// expandValuesRE reads one term of promtool's expanding notation: a,
// axN, a+bxN, a-bxN (N+1 samples), _ and _xN (N missing samples).
var expandValuesRE = regexp.MustCompile(`^([-+]?[0-9.]+(?:e[-+]?[0-9]+)?)(?:([-+])([0-9.]+(?:e[-+]?[0-9]+)?))?(?:x([0-9]+))?$`)

// expandValues expands a values string; stale and missing samples are nil.
// A missing sample right after a present one is an error: promtool would
// keep showing the old sample for the lookback, where a real scrape that
// drops a series marks it stale.
func expandValues(s string) ([]*float64, error) {
	var out []*float64
	for _, term := range strings.Fields(s) {
		switch {
		case term == "stale":
			out = append(out, nil)
			continue
		case term == "_" || strings.HasPrefix(term, "_x"):
			n := 1
			if term != "_" {
				var err error
				if n, err = strconv.Atoi(term[2:]); err != nil {
					return nil, fmt.Errorf("values %q: term %q", s, term)
				}
			}
			if len(out) > 0 && out[len(out)-1] != nil {
				return nil, fmt.Errorf("values %q: a missing sample follows a present one; write stale where the series ends", s)
			}
			for range n {
				out = append(out, nil)
			}
			continue
		}
		m := expandValuesRE.FindStringSubmatch(term)
		if m == nil {
			return nil, fmt.Errorf("values %q: cannot read term %q", s, term)
		}
		start, _ := strconv.ParseFloat(m[1], 64)
		step := 0.0
		if m[3] != "" {
			step, _ = strconv.ParseFloat(m[3], 64)
			if m[2] == "-" {
				step = -step
			}
		}
		n := 0
		if m[4] != "" {
			n, _ = strconv.Atoi(m[4])
		} else if m[2] != "" {
			return nil, fmt.Errorf("values %q: term %q has a step but no xN", s, term)
		}
		for i := 0; i <= n; i++ {
			v := start + float64(i)*step
			if math.IsNaN(v) {
				return nil, fmt.Errorf("values %q: NaN", s)
			}
			out = append(out, &v)
		}
	}
	return out, nil
}

// unitTestInputs reads each test group's input series.
func unitTestInputs(t *testing.T, testYAML []byte) map[string][]inputSeries {
	t.Helper()
	var f struct {
		Tests []struct {
			Name        string `yaml:"name"`
			Interval    string `yaml:"interval"`
			InputSeries []struct {
				Series string `yaml:"series"`
				Values string `yaml:"values"`
			} `yaml:"input_series"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(testYAML, &f); err != nil {
		t.Fatalf("%s: %v", rulesTestFile, err)
	}
	out := map[string][]inputSeries{}
	for _, tc := range f.Tests {
		if tc.Interval != "1m" {
			t.Errorf("%s: test %q: interval %q; the consistency check counts steps of 1m", rulesTestFile, tc.Name, tc.Interval)
		}
		for _, in := range tc.InputSeries {
			name, labels, err := parseSelector(in.Series)
			if err != nil {
				t.Fatalf("%s: test %q: %v", rulesTestFile, tc.Name, err)
			}
			values, err := expandValues(in.Values)
			if err != nil {
				t.Fatalf("%s: test %q: %s: %v", rulesTestFile, tc.Name, in.Series, err)
			}
			out[tc.Name] = append(out[tc.Name], inputSeries{name: name, labels: labels, values: values})
		}
	}
	return out
}

func TestRuleTestInputsAreConsistent(t *testing.T) {
	testYAML := readRulesTestFile(t)
	inputs := unitTestInputs(t, testYAML)
	withVolumes := 0
	for name, series := range inputs {
		for _, e := range checkInputConsistency(series) {
			t.Errorf("%s: test %q: %s", rulesTestFile, name, e)
		}
		if slices.ContainsFunc(series, func(s inputSeries) bool { return isVolumeSeries(s.name) }) {
			withVolumes++
		}
	}
	if withVolumes < 4 {
		t.Errorf("%s: only %d test groups have volume series; the check checks little", rulesTestFile, withVolumes)
	}
}

// TestInputConsistencyCheckCatches: the oracle above fails on inputs that
// contradict themselves, and passes a consistent listing.
func TestInputConsistencyCheckCatches(t *testing.T) {
	const l = `job="rcopy",instance="a",group="g",natural_group="g",target="B"`
	states := func(synced, stale string) string {
		s := ""
		for _, st := range knownSyncStatuses {
			v := "0x2"
			switch st {
			case "Synced":
				v = synced
			case "Stale":
				v = stale
			}
			s += fmt.Sprintf("threepar_rcopy_group_volumes{%s,sync_status=%q} %s\n", l, st, v)
		}
		return s
	}
	consistent := states("1x2", "1x2") +
		"threepar_rcopy_group_volumes_not_in_table{" + l + "} 1x2\n" +
		"threepar_rcopy_group_volumes_cim_nonconformant{" + l + "} 1x2\n" +
		"threepar_rcopy_group_last_sync_timestamp_seconds{" + l + "} 5x2\n" +
		"threepar_rcopy_volume_sync_status{" + l + `,volume="v1",status="Synced"} 1x2` + "\n" +
		"threepar_rcopy_volume_state_in_table{" + l + `,volume="v1"} 1x2` + "\n" +
		"threepar_rcopy_volume_expected_cim_info{" + l + `,volume="v1",rows="T109-synced"} 1x2` + "\n" +
		"threepar_rcopy_volume_cim_conformant{" + l + `,volume="v1"} 0x2` + "\n" +
		"threepar_rcopy_volume_last_sync_timestamp_seconds{" + l + `,volume="v1"} 5x2` + "\n" +
		"threepar_rcopy_volume_sync_status{" + l + `,volume="v2",status="Stale"} 1x2` + "\n" +
		"threepar_rcopy_volume_state_in_table{" + l + `,volume="v2"} 0x2` + "\n" +
		"threepar_rcopy_volume_last_sync_timestamp_seconds{" + l + `,volume="v2"} 9x2` + "\n"
	parse := func(text string) []inputSeries {
		var out []inputSeries
		for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
			sel, values, _ := strings.Cut(line, "} ")
			name, labels, err := parseSelector(sel + "}")
			if err != nil {
				t.Fatal(err)
			}
			v, err := expandValues(values)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, inputSeries{name, labels, v})
		}
		return out
	}
	if errs := checkInputConsistency(parse(consistent)); len(errs) > 0 {
		t.Fatalf("a consistent listing is reported: %q", errs)
	}
	for _, c := range []struct{ what, from, to string }{
		{"a count off by one", `sync_status="Synced"} 1x2`, `sync_status="Synced"} 2x2`},
		{"a status without its count", `sync_status="Stale"} 1x2`, `sync_status="Stale"} 0x2`},
		{"state set incomplete", `threepar_rcopy_group_volumes{` + l + `,sync_status="New"} 0x2` + "\n", ""},
		{"not-in-table count", "threepar_rcopy_group_volumes_not_in_table{" + l + "} 1x2", "threepar_rcopy_group_volumes_not_in_table{" + l + "} 0x2"},
		{"non-conformant count", "threepar_rcopy_group_volumes_cim_nonconformant{" + l + "} 1x2", "threepar_rcopy_group_volumes_cim_nonconformant{" + l + "} 2x2"},
		{"oldest last sync", "threepar_rcopy_group_last_sync_timestamp_seconds{" + l + "} 5x2", "threepar_rcopy_group_last_sync_timestamp_seconds{" + l + "} 9x2"},
		{"expected triples of a volume outside the tables", `,volume="v2"} 0x2`, `,volume="v2"} 1x2`},
		{"two statuses for one volume", `volume="v2",status="Stale"} 1x2`, `volume="v1",status="Stale"} 1x2`},
		{"a series that ends early", `volume="v1"} 0x2`, `volume="v1"} 0x1`},
	} {
		broken := strings.Replace(consistent, c.from, c.to, 1)
		if broken == consistent {
			t.Fatalf("%s: %q is not in the fixture", c.what, c.from)
		}
		if errs := checkInputConsistency(parse(broken)); len(errs) == 0 {
			t.Errorf("%s: not reported", c.what)
		}
	}
}

func TestExpandValues(t *testing.T) {
	f := func(vs ...float64) []*float64 {
		out := make([]*float64, len(vs))
		for i := range vs {
			if !math.IsNaN(vs[i]) {
				out[i] = &vs[i]
			}
		}
		return out
	}
	gap := math.NaN()
	for in, want := range map[string][]*float64{
		"1x2":          f(1, 1, 1),
		"-2+4x3":       f(-2, 2, 6, 10),
		"1-2x2 stale":  f(1, -1, -3, gap),
		"_x2 1 stale":  f(gap, gap, 1, gap),
		"0 1 1e3":      f(0, 1, 1000),
		"300x1 _ 5x0":  nil, // a missing sample after a present one
		"1+x2":         nil,
		"1+1":          nil,
		"{{schema:0}}": nil,
	} {
		got, err := expandValues(in)
		if want == nil {
			if err == nil {
				t.Errorf("expandValues(%q) = %v, want an error", in, got)
			}
			continue
		}
		if err != nil || len(got) != len(want) {
			t.Errorf("expandValues(%q) = %d values, %v; want %d", in, len(got), err, len(want))
			continue
		}
		for i := range want {
			if (got[i] == nil) != (want[i] == nil) || (got[i] != nil && *got[i] != *want[i]) {
				t.Errorf("expandValues(%q)[%d] wrong", in, i)
			}
		}
	}
}
