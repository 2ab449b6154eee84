package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/expected"
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

// TestSimulateConforms walks the whole sequence on the built-in pair and
// checks that every step was observed, conforms, and that every volume on
// every array the step reads matched one of the step's rows with CIM read.
func TestSimulateConforms(t *testing.T) {
	var errb bytes.Buffer
	code, out := runCmd(context.Background(), &errb, "simulate", "--format", "json")
	if code != exitConforms {
		t.Fatalf("exit %d, stderr %s\n%s", code, errb.String(), out)
	}
	w := decodeWalk(t, out)
	seq := drill.Sequence()
	if len(w.Steps) != len(seq) || !w.Conformant || w.FirstFailure != nil {
		t.Fatalf("%d steps (want %d), conformant %t, first failure %+v", len(w.Steps), len(seq), w.Conformant, w.FirstFailure)
	}
	covered := map[string]bool{}
	for i, s := range w.Steps {
		want := seq[i]
		if s.Name != want.Name || !s.Observed || !s.Conformant || !slices.Equal(s.Rows, want.AllRows()) {
			t.Errorf("step %d: %+v, want %s observed and conformant with rows %v", i+1, s, want.Name, want.AllRows())
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
			rows := want.SecondaryRows
			if f.Array == "sim-a" {
				rows = want.PrimaryRows
			}
			row := strings.TrimPrefix(f.Reason, "matches ") // the check JSON names the matched row in the reason
			if f.Verdict != "match" || !slices.Contains(rows, row) {
				t.Errorf("step %s: %s %s %s verdict %s (%s), want match on one of %v", s.Name, f.Array, f.Group, f.Volume, f.Verdict, f.Reason, rows)
			}
			covered[row] = true
		}
		if arrays["sim-a"] == want.PrimaryAway || !arrays["sim-b"] {
			t.Errorf("step %s read arrays %v (primary away: %t)", s.Name, arrays, want.PrimaryAway)
		}
		if (pairs > 0) == want.PrimaryAway {
			t.Errorf("step %s: %d pair checks with primary away %t", s.Name, pairs, want.PrimaryAway)
		}
	}
	// Every row of Table 110 is walked, except T110-3b (the uncertain
	// second reading of T110-3, which the simulator does not enact).
	for _, r := range expected.Default().Rows() {
		if r.Table == "110" && r.ID != "T110-3b" && !covered[r.ID] {
			t.Errorf("row %s is never observed", r.ID)
		}
	}
}

// TestSimulateInjections: each fault must make the walk fail and name the
// first step and volume that went wrong.
func TestSimulateInjections(t *testing.T) {
	cases := []struct {
		fault, step, array, group, volume string
	}{
		{"cim-copy-state-mismatch", "healthy", "sim-a", "rcg-db", "db.0"},
		{"split-brain", "primary-back", "sim-a", "rcg-db", "db.0"},
		{"no-role-reversal", "failover-issued", "sim-b", "rcg-db.r188150", "db.0"},
	}
	for _, c := range cases {
		t.Run(c.fault, func(t *testing.T) {
			t.Parallel()
			var errb bytes.Buffer
			code, out := runCmd(context.Background(), &errb, "simulate", "--inject", c.fault, "--format", "json")
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
	for _, args := range [][]string{{"--inject", "no-such-fault"}, {"--table", "/nonexistent/table.yml"}} {
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
