package htmlreport

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

func TestParseShowversion(t *testing.T) {
	cases := []struct {
		name, in         string
		release, patches string
		missing          bool
	}{
		{"simulator", "Release version 3.3.1 (MU5)\nPatches:  None\n\nComponent Name                   Version\nCLI Server                       3.3.1 (MU5)\n",
			"3.3.1 (MU5)", "None", false},
		{"patched, CRLF, padding", "  Release version   3.2.2.612 (MU4)\r\nPatches:  P51,P56,P59\r\n", "3.2.2.612 (MU4)", "P51,P56,P59", false},
		{"no release line", "Error: Invalid command showversion\n", "", "", true},
		{"empty", "", "", "", true},
		{"release wins once", "Release version 9.6.0\nRelease version 1.0\n", "9.6.0", "", false},
	}
	for _, c := range cases {
		v := ParseShowversion([]byte(c.in))
		if v.Release != c.release || v.Patches != c.patches || (v.Missing != "") != c.missing {
			t.Errorf("%s: %+v, want release %q patches %q missing %t", c.name, v, c.release, c.patches, c.missing)
		}
	}
}

func FuzzParseShowversion(f *testing.F) {
	f.Add([]byte("Release version 3.3.1 (MU5)\nPatches:  None\n"))
	f.Add([]byte("release VERSION\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		v := ParseShowversion(b)
		if (v.Release == "") != (v.Missing != "") {
			t.Fatalf("%+v: Missing must say why exactly when Release is empty", v)
		}
	})
}

func TestSystemIDs(t *testing.T) {
	cases := []struct {
		pairs [][2]string
		a, b  string
	}{
		{[][2]string{{"rcg-db", "rcg-db.r188150"}, {"rcg-app", "rcg-app.r188150"}}, "188150", ""},
		{[][2]string{{"x.r7", "x"}}, "", "7"},                                        // B is the primary
		{[][2]string{{"g", "g.r1"}, {"h", "h.r2"}}, "1, 2", ""},                      // disagreeing names: both shown
		{[][2]string{{"g", "other.r1"}, {"g", "g.rX"}, {"g", "g.r"}}, "", ""},        // not a suffix of this group
		{[][2]string{{"a.r1", "a.r1.r2"}, {"b.r9", "b.r9.r2"}, {"c", "d"}}, "2", ""}, // the last suffix only
	}
	for _, c := range cases {
		a, b := SystemIDs(c.pairs)
		if a != c.a || b != c.b {
			t.Errorf("SystemIDs(%v) = %q, %q, want %q, %q", c.pairs, a, b, c.a, c.b)
		}
	}
}

func TestShow(t *testing.T) {
	cases := map[string]string{
		"rcg-db.r188150":   "rcg-db.r188150",
		"a\x1bb\x07c\x00":  `a\x1bb\x07c\x00`,
		"tab\there\n":      `tab\x09here\x0a`,
		"del\x7f":          `del\x7f`,
		"c1\u0085":         `c1\u0085`,
		"bidi\u202eevil":   `bidi\u202eevil`,
		"zw\u200bsp\ufeff": `zw\u200bsp\ufeff`,
		"bad\xffutf8":      `bad\xffutf8`,
		"ünïcödé ok ✓":     "ünïcödé ok ✓",
	}
	for in, want := range cases {
		if got := show(in); got != want {
			t.Errorf("show(%q) = %q, want %q", in, got, want)
		}
	}
}

// evil is a name with markup, quotes and control characters.
const evil = "<script>alert(1)</script>\"q'\x1b[31m\x07\x00"

// rawControl finds bytes that must never reach the page: every C0 control
// but newline, and DEL.
var rawControl = regexp.MustCompile("[\x00-\x09\x0b-\x1f\x7f]")

// assertEscaped checks a page rendered from names holding evil: the markup
// is text, the control characters are visible escapes, none raw.
func assertEscaped(t *testing.T, page string) {
	t.Helper()
	if loc := rawControl.FindStringIndex(page); loc != nil {
		t.Errorf("raw control byte %q at %d: %q", page[loc[0]], loc[0], page[max(loc[0]-60, 0):min(loc[1]+20, len(page))])
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page holds a <script tag")
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;&#34;q&#39;", `\x1b[31m\x07\x00`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "\ufffd") {
		t.Error("a control character became U+FFFD instead of a visible escape")
	}
}

func evilOutput(role, target string) *parser.Output {
	return &parser.Output{Sections: []string{"targets", "groups"},
		Targets: []parser.Target{{Name: target, Status: "ready"}},
		Groups: []parser.Group{{Name: evil, Target: target, Status: "Started", Role: role, Mode: "Sync",
			Volumes: []parser.Volume{{LocalVV: "v" + evil, LocalID: 1, RemoteVV: "v" + evil, RemoteID: 2, SyncStatus: "Synced"}}}}}
}

func evilMeta() Meta {
	return Meta{Started: time.Unix(0, 0), Finished: time.Unix(2, 0), Checker: "1.0", Faults: []string{evil},
		Arrays: []Array{{Name: evil, Side: "natural primary", Address: evil, CIM: evil, SystemID: evil, SystemIDSource: evil,
			Version: Version{Release: evil, Patches: evil}}, {Name: "b" + evil, File: evil, Version: Version{Missing: evil}}},
		Table: Table{Rows: 1, PerTable: []TableRows{{Table: evil, Rows: 1}}, UserFile: evil}}
}

func TestCheckPageEscapes(t *testing.T) {
	a := conformance.Input{Name: evil, Output: evilOutput("Primary", "b"+evil),
		CIM: []conformance.Observed{{Volume: "v" + evil, ObservedTriple: conformance.ObservedTriple{Null: conformance.Nulls{CopyState: true}}}}}
	b := conformance.Input{Name: "b" + evil, Output: evilOutput("Primary", evil)}
	r := conformance.Evaluate([]conformance.Input{a, b}, conformance.Options{})
	var buf bytes.Buffer
	if err := WriteCheck(&buf, r, evilMeta()); err != nil {
		t.Fatal(err)
	}
	assertEscaped(t, buf.String())
	if !strings.Contains(buf.String(), "NOT CONFORMANT") {
		t.Error("no verdict")
	}
}

// evilWalk is a walk over groups with hostile names that stopped at its
// third step: every kind of string of a walk report holds evil.
func evilWalk() *drill.Report {
	seq := drill.Sequence()
	p := conformance.Input{Name: "p" + evil, Output: evilOutput("Primary", "s"+evil)}
	s := conformance.Input{Name: "s" + evil, Output: evilOutput("Primary", "p"+evil)}
	healthy := append(conformance.Findings(conformance.Judge(p, conformance.Options{})), conformance.Findings(conformance.Judge(s, conformance.Options{}))...)
	healthy = append(healthy, conformance.PairFindings(p, s)...)
	down := conformance.Findings(conformance.Judge(s, conformance.Options{Rows: seq[1].SecondaryRows}))
	action := conformance.Finding{Array: "s" + evil, Group: evil, Volume: "(action)", Verdict: conformance.Mismatch, Reason: "action failed: " + evil}
	return &drill.Report{Primary: "p" + evil, Secondary: "s" + evil, Groups: []string{evil}, SecondaryGroups: []string{evil},
		Planned: len(seq), Stopped: "stopped at step " + evil, Back: []drill.Action{drill.Reconnect, drill.Recover, drill.Restore},
		Steps: []drill.StepResult{
			{Step: seq[0], Observed: true, Findings: healthy},
			{Step: seq[1], Observed: true, Outcome: "timed out", Note: "timed out " + evil, Findings: down},
			{Step: seq[2], Note: "action failed: " + evil, Findings: []conformance.Finding{action}},
		}}
}

func TestWalkPageEscapes(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteWalk(&buf, evilWalk(), evilMeta(), TitleDrill); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	assertEscaped(t, page)
	// The timeline (SVG text and tooltips) and the recovery carry the names too.
	svg := page[strings.Index(page, `<svg class="tl"`):strings.Index(page, "</svg>\n<ul")]
	if !strings.Contains(svg, "&lt;script&gt;") || !strings.Contains(svg, `\x1b`) {
		t.Errorf("the timeline does not show the group names escaped:\n%.2000s", svg)
	}
	rec := page[strings.Index(page, `<section id="recovery">`):]
	if !strings.Contains(rec, "setrcopygroup recover -f &lt;script&gt;") {
		t.Errorf("recovery commands lack the escaped group name:\n%.1500s", rec)
	}
}

// TestRowsKeepEveryFinding: findings that read alike share a line, but
// every volume of every finding is on a line, failures first.
func TestRowsKeepEveryFinding(t *testing.T) {
	synced := expected.Default().Match(expected.Observation{Role: "Primary", SyncStatus: "Synced", TargetStatus: "ready"}, false)
	fs := []conformance.Finding{
		{Array: "a", Group: "g", Volume: "v1", Role: "Primary", SyncStatus: "Synced", Expected: synced, Verdict: conformance.NoObservation, Reason: "r"},
		{Array: "a", Group: "g", Volume: "v2", Role: "Primary", SyncStatus: "Synced", Expected: synced, Verdict: conformance.NoObservation, Reason: "r"},
		{Array: "a", Group: "g", Volume: "v3", Role: "Primary", SyncStatus: "Synced", Expected: synced, Verdict: conformance.Mismatch, Reason: "x"},
		{Array: "a", Group: "h", Volume: "v1", Role: "Primary", SyncStatus: "Synced", Expected: synced, Verdict: conformance.NoObservation, Reason: "r"},
		{Array: "a+b", Group: "g+g.r1", Volume: conformance.PairVolume, Role: "Primary+Primary", Verdict: conformance.PairInconsistent, Reason: "split brain"},
	}
	rs := rows(fs, false)
	var got []string
	for _, r := range rs {
		got = append(got, r.Verdict+":"+r.Group+":"+strings.Join(r.Volumes, ","))
	}
	want := "mismatch:g:v3 pair inconsistent:g + g.r1: no observation:g:v1,v2 no observation:h:v1"
	if strings.Join(got, " ") != want {
		t.Errorf("rows %q\nwant %q", strings.Join(got, " "), want)
	}
}

func TestWrapName(t *testing.T) {
	for _, c := range []struct {
		name  string
		width int
		want  string
	}{
		{"healthy", 60, "healthy"},
		{"failover-issued", 60, "failover-|issued"},
		{"recover-fails-issued", 60, "recover-|fails-|issued"},
		{"recover-fails-issued", 200, "recover-fails-issued"},
		{"a-b-c-d-e-f-g-h-i-j-k-l", 30, "a-b-|c-d-|e-f-g-h-i-j-k-l"}, // at most three lines
	} {
		if got := strings.Join(wrapName(c.name, c.width), "|"); got != c.want {
			t.Errorf("wrapName(%q, %d) = %q, want %q", c.name, c.width, got, c.want)
		}
	}
}

// TestEmptyReports: a check of arrays without volumes and a walk
// interrupted before its first step still render, and say so.
func TestEmptyReports(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteCheck(&buf, conformance.Report{Conformant: true}, Meta{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "Nothing to check") {
		t.Errorf("empty check:\n%.3000s", buf.String())
	}
	buf.Reset()
	r := &drill.Report{Primary: "a", Secondary: "b", Planned: 10, Stopped: "interrupted during step healthy"}
	if err := WriteWalk(&buf, r, Meta{}, TitleSimulate); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "0 of 10 walked") || !strings.Contains(buf.String(), "The walk interrupted during step healthy.") {
		t.Errorf("empty walk:\n%.3000s", buf.String())
	}
}
