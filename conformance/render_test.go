package conformance

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/internal/texttable"
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

// TestWriteText: one row per finding, verdict first, columns aligned, no
// line over texttable.Width; a failing finding has a note under it (the
// observed triple with each differing field marked against the nearest
// row's triple, or the reason).
func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteText(&buf, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "VERDICT ") {
		t.Fatalf("header %q", lines[0])
	}
	var rows []string
	notes := map[string]string{} // volume -> its note, continuation lines joined
	last := ""
	for _, l := range lines[1 : len(lines)-1] {
		if n := utf8.RuneCountInString(l); n > texttable.Width {
			t.Errorf("%d columns: %q", n, l)
		}
		if strings.HasPrefix(l, "    ") {
			notes[last] = strings.TrimSpace(notes[last] + " " + strings.TrimSpace(l))
			continue
		}
		rows = append(rows, l)
		last = strings.Fields(l)[3]
	}
	if len(rows) != 7 { // 6 volumes of A and B, 1 pair
		t.Fatalf("%d rows:\n%s", len(rows), out)
	}
	// Columns align: every row's ROWS cell starts at the header's offset.
	col := strings.Index(lines[0], "ROWS")
	for _, l := range rows {
		if len(l) <= col || l[col-1] != ' ' || l[col] == ' ' {
			t.Errorf("misaligned row %q (ROWS at %d)", l, col)
		}
	}
	for volume, want := range map[string]string{
		"v2": "observed Synchronized/Synchronized/Failing_back*/RR=false; T109-synced expects Synchronized/Synchronized/Completed/RR=false",
		"v3": "CIM does not report this replicated volume for target B",
		"v5": "observed NULL*/Synchronized/Completed/RR=NULL*; T109-synced expects Synchronized/Synchronized/Completed/RR=false",
		"*":  "split brain: both arrays are primary (Primary and Primary)",
	} {
		if notes[volume] != want {
			t.Errorf("note of %s: %q, want %q", volume, notes[volume], want)
		}
	}
	if notes["v1"] != "" {
		t.Errorf("a match has a note: %q", notes["v1"])
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
