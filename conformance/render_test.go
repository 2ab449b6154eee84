package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/expected"
)

// sampleReport: a pair in split brain, one matching volume, one mismatching
// volume, one volume CIM does not report, one outside the tables, one whose
// CIM instance has NULLs; and a volume of the other array, whose CIM is not
// read.
func sampleReport() Report {
	a := Input{Name: "A", Output: output([]string{"B=ready"},
		group("g1", "B", "Started", "Primary", vol("v1", 1, "v1", 11, "Synced"), vol("v2", 2, "v2", 12, "Synced"), vol("v3", 3, "v3", 13, "Synced"), vol("v4", 4, "v4", 14, "Failsafe"), vol("v5", 5, "v5", 15, "Synced"))),
		CIM: []Observed{
			{Volume: "v1", ObservedTriple: ObservedTriple{Triple: synced}},
			{Volume: "v2", ObservedTriple: ObservedTriple{Triple: triple(expected.CopySynchronized, expected.SyncSynchronized, expected.ProgressFailingBack, false)}},
			{Volume: "v4", ObservedTriple: ObservedTriple{Triple: synced}},
			{Volume: "v5", ObservedTriple: ObservedTriple{Triple: synced, Null: Nulls{CopyState: true, RoleReversed: true}}},
		}}
	b := Input{Name: "B", Output: output([]string{"A=ready"},
		group("g1.r1", "A", "Started", "Primary", vol("v1", 11, "v1", 1, "Synced")))}
	return Evaluate([]Input{a, b}, Options{})
}

func TestWriteJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Conformant *bool `json:"conformant"`
		Findings   []map[string]json.RawMessage
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Conformant == nil || *got.Conformant {
		t.Error("conformant must be present and false")
	}
	for _, f := range got.Findings {
		for _, k := range []string{"array", "group", "target", "volume", "role", "sync_status", "target_status", "observed", "expected", "rows", "verdict"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding lacks %q: %s", k, buf.String())
			}
		}
		if string(f["expected"]) == "null" {
			t.Error("expected must be an array, never null")
		}
	}
	for _, i := range []int{2, 5} {
		if string(got.Findings[i]["observed"]) != "null" {
			t.Errorf("finding %d (not reported, not read): observed %s, want null", i, got.Findings[i]["observed"])
		}
	}
	var nulls map[string]any
	if err := json.Unmarshal(got.Findings[4]["observed"], &nulls); err != nil || nulls["copy_state"] != nil || nulls["copy_state_value"] != nil ||
		nulls["role_reversed"] != nil || nulls["sync_state"] != "Synchronized" || nulls["sync_state_value"] != 6.0 {
		t.Errorf("NULL fields must be null, the others as usual: %s", got.Findings[4]["observed"])
	}
	if rows := strings.Join(strings.Fields(string(got.Findings[0]["rows"])), ""); rows != `["T109-synced","T110-14"]` || string(got.Findings[0]["target"]) != `"B"` {
		t.Errorf("rows %s target %s", got.Findings[0]["rows"], got.Findings[0]["target"])
	}
	var obs map[string]any
	if err := json.Unmarshal(got.Findings[1]["observed"], &obs); err != nil || obs["progress_status"] != "Failing back" || obs["progress_status_value"] != 12.0 {
		t.Errorf("observed %v %v", obs, err)
	}
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 9 { // header, 6 volumes of A and B, 1 pair, summary
		t.Fatalf("%d lines:\n%s", len(lines), buf.String())
	}
	if !strings.HasPrefix(lines[0], "VERDICT ") {
		t.Errorf("header %q", lines[0])
	}
	// Verdict first; the mismatching field (ProgressStatus) marked.
	var mismatch string
	for _, l := range lines {
		if strings.HasPrefix(l, "mismatch") && strings.Contains(l, " v2 ") {
			mismatch = l
		}
	}
	if !strings.Contains(mismatch, "Synchronized/Synchronized/Failing_back*/RR=false") || strings.Contains(mismatch, "Synchronized*") {
		t.Errorf("mismatch line does not mark exactly the differing field: %q", mismatch)
	}
	if !strings.Contains(buf.String(), "(not reported)") || !strings.Contains(buf.String(), "NULL*/Synchronized/Completed/RR=NULL*") ||
		!strings.Contains(buf.String(), "split brain") {
		t.Errorf("text lacks the unreported volume or the pair reason:\n%s", buf.String())
	}
	// Columns align: every row's OBSERVED column starts at the same offset.
	col := strings.Index(lines[0], "OBSERVED")
	for _, l := range lines[1 : len(lines)-1] {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("misaligned line %q (OBSERVED at %d)", l, col)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "NOT CONFORMANT") || !strings.Contains(last, "3 mismatch") {
		t.Errorf("summary %q", last)
	}
}

func TestWriteJUnit(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	var got junitSuites
	if err := xml.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	// A: 5 volumes (v2, v3, v5 fail; v4 skipped), B: 1 volume (skipped: no CIM), pair: split brain.
	if got.Tests != 7 || got.Failures != 4 || got.Skipped != 2 || len(got.Suites) != 3 {
		t.Errorf("counts tests=%d failures=%d skipped=%d suites=%d\n%s", got.Tests, got.Failures, got.Skipped, len(got.Suites), buf.String())
	}
	for _, s := range got.Suites {
		n, f, sk := 0, 0, 0
		for _, c := range s.Cases {
			n++
			if c.Failure != nil {
				f++
			}
			if c.Skipped != nil {
				sk++
			}
		}
		if n != s.Tests || f != s.Failures || sk != s.Skipped {
			t.Errorf("suite %s: attributes %d/%d/%d, cases %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, n, f, sk)
		}
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Error("no XML declaration")
	}
}

func TestWriteFormats(t *testing.T) {
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Write(&buf, sampleReport(), Format(f)); err != nil || buf.Len() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := Write(&bytes.Buffer{}, Report{}, "yaml"); err == nil {
		t.Error("unknown format: no error")
	}
}
