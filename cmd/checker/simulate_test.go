package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/fakearray"
)

func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

// compareGolden compares got with testdata/name, or rewrites it under
// -update.
func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// simulateRuns runs `checker simulate --format json` once per built-in
// scenario for every test that reads the walks.
var simulateRuns = struct {
	sync.Once
	out  map[string]string
	errs map[string]string
	code map[string]int
}{}

func simulateJSON(t *testing.T, scenario string) walkJSON {
	t.Helper()
	simulateRuns.Do(func() {
		simulateRuns.out, simulateRuns.errs, simulateRuns.code = map[string]string{}, map[string]string{}, map[string]int{}
		for _, sc := range fakearray.BuiltinScenarios {
			var errb bytes.Buffer
			code, out := runCmd(context.Background(), &errb, "simulate", "--scenario", sc, "--format", "json")
			simulateRuns.out[sc], simulateRuns.errs[sc], simulateRuns.code[sc] = out, errb.String(), code
		}
	})
	if code := simulateRuns.code[scenario]; code != exitConforms {
		t.Fatalf("simulate --scenario %s: exit %d, stderr %s\n%s", scenario, code, simulateRuns.errs[scenario], simulateRuns.out[scenario])
	}
	return decodeWalk(t, simulateRuns.out[scenario])
}

// TestSimulateConforms walks both built-in scenarios and checks that every
// step was observed and conforms, and that every volume on every array
// the step reads matched one of the rows of its array (the trio: of its
// listing) with CIM read.
func TestSimulateConforms(t *testing.T) {
	for _, c := range []struct {
		scenario string
		steps    []drill.Step
		arrays   []string // by drill.Side
	}{
		{"pair", drill.Sequence(), []string{"sim-a", "sim-b"}},
		{"sld", drill.SLDSequence(), []string{"sld-a", "sld-b", "sld-c"}},
	} {
		t.Run(c.scenario, func(t *testing.T) {
			w := simulateJSON(t, c.scenario)
			if len(w.Steps) != len(c.steps) || !w.Conformant || w.FirstFailure != nil {
				t.Fatalf("%d steps (want %d), conformant %t, first failure %+v", len(w.Steps), len(c.steps), w.Conformant, w.FirstFailure)
			}
			side := map[string]drill.Side{}
			for i, a := range c.arrays {
				side[a] = drill.Side(i)
			}
			for i, s := range w.Steps {
				want := c.steps[i]
				if s.Name != want.Name || !s.Observed || !s.Conformant || !slices.Equal(s.Rows, want.AllRows()) {
					t.Errorf("step %d: %s observed %t conformant %t rows %v, want %s observed and conformant with rows %v",
						i+1, s.Name, s.Observed, s.Conformant, s.Rows, want.Name, want.AllRows())
				}
				arrays := map[string]bool{}
				pairs := 0
				for _, f := range s.Findings {
					if f.Volume == "*" {
						pairs++
						if f.Verdict != "match" {
							t.Errorf("step %s: pair check %+v", s.Name, f)
						}
						continue
					}
					arrays[f.Array] = true
					rows := want.Rows(side[f.Array])
					if legRows, ok := want.LegRows(side[f.Array], side[f.Target]); ok {
						rows = legRows // the simulator names its targets after the arrays
					}
					// The third array of the trio lists both its legs under
					// IP targets, which print no WWN: its CIM instances
					// cannot be put on a leg (docs/metrics.md).
					if c.scenario == "sld" && f.Array == "sld-c" {
						if f.Verdict != "no_observation" || !strings.Contains(f.Reason, "which leg it describes cannot be told") {
							t.Errorf("step %s: %s %s (%s) %s: %s (%s), want no_observation", s.Name, f.Array, f.Group, f.Target, f.Volume, f.Verdict, f.Reason)
						}
						continue
					}
					if f.Verdict != "match" || len(f.Rows) != 1 || !slices.Contains(rows, f.Rows[0]) {
						t.Errorf("step %s: %s %s (%s) %s verdict %s rows %v (%s), want a match on one of %v",
							s.Name, f.Array, f.Group, f.Target, f.Volume, f.Verdict, f.Rows, f.Reason, rows)
					}
				}
				for _, a := range c.arrays {
					if observes := want.Observes(side[a]); arrays[a] != observes {
						t.Errorf("step %s read %s: %t, want %t", s.Name, a, arrays[a], observes)
					}
				}
				if pairs == 0 && !want.PrimaryAway {
					t.Errorf("step %s: no pair check", s.Name)
				}
			}
		})
	}
}

// rowsShown collects, from walks' JSON, the rows some volume matched
// (`rows` of each finding with verdict match: the judgement narrowed to the
// step's rows, so each names the one row the volume was shown at) and the
// steps that showed them ("pair 11 primary-back").
func rowsShown(walks map[string]walkJSON) map[string][]string {
	shown := map[string][]string{}
	for _, sc := range slices.Sorted(maps.Keys(walks)) {
		for i, s := range walks[sc].Steps {
			for _, f := range s.Findings {
				if f.Verdict != "match" || f.Volume == "*" {
					continue
				}
				for _, id := range f.Rows {
					where := fmt.Sprintf("%s %d %s", sc, i+1, s.Name)
					if ws := shown[id]; len(ws) == 0 || ws[len(ws)-1] != where {
						shown[id] = append(ws, where)
					}
				}
			}
		}
	}
	return shown
}

// missingRows are the rows of the tables that no walk showed.
func missingRows(shown map[string][]string) []string {
	var missing []string
	for _, r := range expected.Default().Rows() {
		if len(shown[r.ID]) == 0 {
			missing = append(missing, r.ID)
		}
	}
	return missing
}

// TestSimulateShowsEveryRow: between `checker simulate` (the pair) and
// `checker simulate --scenario sld` every row of both tables is shown at
// least once (T109 x6, T110-1 to 16 and 3b, SLD-backup), proven from the
// JSON output alone. Taking steps out of the output must make rows go
// missing, or the proof could not fail.
func TestSimulateShowsEveryRow(t *testing.T) {
	walks := map[string]walkJSON{"pair": simulateJSON(t, "pair"), "sld": simulateJSON(t, "sld")}
	shown := rowsShown(walks)
	if missing := missingRows(shown); len(missing) > 0 {
		t.Errorf("rows no step showed: %v", missing)
	}
	if n := len(expected.Default().Rows()); n != 24 {
		t.Errorf("the tables have %d rows; the walks were built for 24 (T109 x6, T110-1..16 and 3b, SLD-backup)", n)
	}
	for _, id := range slices.Sorted(maps.Keys(shown)) {
		t.Logf("%-15s %s", id, strings.Join(shown[id], "; "))
	}

	without := func(scenario string, steps ...string) map[string]walkJSON {
		out := map[string]walkJSON{}
		for sc, w := range walks {
			if sc == scenario || scenario == "" {
				w.Steps = slices.DeleteFunc(slices.Clone(w.Steps), func(s stepJSON) bool { return slices.Contains(steps, s.Name) })
			}
			out[sc] = w
		}
		return out
	}
	for _, c := range []struct {
		name    string
		walks   map[string]walkJSON
		missing []string
	}{
		{"the pair without volume-faults", without("pair", "volume-faults"), []string{"T109-notsynced", "T109-stale"}},
		{"the pair without new-group and initial-sync", without("pair", "new-group", "initial-sync"), []string{"T109-new"}},
		// The trio shows T110-3b and T110-4 too: taking the step from the
		// pair alone loses nothing, from both loses them.
		{"the pair without primary-back", without("pair", "primary-back"), nil},
		{"both without primary-back", without("", "primary-back"), []string{"T110-3b", "T110-4"}},
		{"the pair without recover-fails", without("pair", "recover-fails"), []string{"T110-8", "T110-10"}},
		{"the trio alone", map[string]walkJSON{"sld": walks["sld"]}, []string{"T109-new", "T109-syncing", "T109-notsynced", "T109-stale",
			"T110-8", "T110-10", "T110-15", "T110-16"}},
		{"the pair alone", map[string]walkJSON{"pair": walks["pair"]}, []string{"SLD-backup"}},
	} {
		if got := missingRows(rowsShown(c.walks)); !slices.Equal(got, c.missing) {
			t.Errorf("%s: missing %v, want %v", c.name, got, c.missing)
		}
	}
}

// TestSimulateInjections: each fault must make the walk fail and name the
// first step and volume that went wrong.
func TestSimulateInjections(t *testing.T) {
	cases := []struct {
		scenario, fault, step, array, group, volume string
	}{
		{"pair", "cim-copy-state-mismatch", "new-group", "sim-a", "rcg-db", "db.0"},
		{"pair", "split-brain", "primary-back", "sim-a", "rcg-db", "db.0"},
		{"pair", "no-role-reversal", "failover-issued", "sim-b", "rcg-db.r188150", "db.0"},
		{"sld", "split-brain", "primary-back", "sld-a", "rcg-sld", "sld.0"},
		{"sld", "sld-b:cim-copy-state-mismatch", "healthy", "sld-b", "rcg-sld.r188160", "sld.0"},
	}
	for _, c := range cases {
		t.Run(c.scenario+" "+c.fault, func(t *testing.T) {
			t.Parallel()
			var errb bytes.Buffer
			code, out := runCmd(context.Background(), &errb, "simulate", "--scenario", c.scenario, "--inject", c.fault, "--format", "json")
			if code != exitNonConform {
				t.Fatalf("exit %d, want 1; stderr %s", code, errb.String())
			}
			w := decodeWalk(t, out)
			f := w.FirstFailure
			if f == nil || f.Step != c.step || f.Array != c.array || f.Group != c.group || f.Volume != c.volume {
				t.Errorf("first failure %+v, want step %s %s %s %s", f, c.step, c.array, c.group, c.volume)
			}
			if !strings.Contains(errb.String(), "first failure at step "+c.step) {
				t.Errorf("stderr does not name the step: %q", errb.String())
			}
		})
	}
}

func TestSimulateBadInput(t *testing.T) {
	for _, args := range [][]string{{"--inject", "no-such-fault"}, {"--table", "/nonexistent/table.yml"}, {"--scenario", "trio"}} {
		var errb bytes.Buffer
		code, _ := runCmd(context.Background(), &errb, append([]string{"simulate"}, args...)...)
		if code != exitCouldNotRun || errb.Len() == 0 {
			t.Errorf("simulate %v: exit %d stderr %q, want 2 and a message", args, code, errb.String())
		}
	}
}

// TestSimulateText pins the text report of a failing walk (golden file):
// the per-step table, what did not conform, the first failure.
func TestSimulateText(t *testing.T) {
	var errb bytes.Buffer
	code, text := runCmd(context.Background(), &errb, "simulate", "--inject", "sim-b:no-role-reversal") // ARRAY:FAULT
	if code != exitNonConform {
		t.Fatalf("exit %d, stderr %s", code, errb.String())
	}
	compareGolden(t, "simulate-no-role-reversal.txt", text)
}
