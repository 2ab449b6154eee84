package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const td = "testdata/check/"

// The pair of testdata/check: array-a (primary) and array-b (secondary),
// both with CIM; array-b reports a wrong ProgressStatus for ora-logs and
// nothing for fs-proj.
func TestCheckGolden(t *testing.T) {
	pair := []string{"check", "--showrcopy", td + "array-a.txt", "--showrcopy", td + "array-b.txt", "--cim", td + "array-a-cim.yaml", "--cim", td + "array-b-cim.json"}
	cases := []struct {
		name string
		args []string
		code int
	}{
		{"check/golden-pair.txt", append(pair, "--format", "text"), exitNonConform},
		{"check/golden-pair.json", append(pair, "--format", "json"), exitNonConform},
		{"check/golden-pair.xml", append(pair, "--format", "junit"), exitNonConform},
		// Broken/Broken/Completed (T110-3b) with the link down: not the
		// failover-done state (the manual's prose, link-aware rows).
		{"check/golden-failover.txt", []string{"check", "--showrcopy", td + "failover-b.txt", "--cim", td + "failover-b-cim.yaml"}, exitNonConform},
		{"check/golden-failover-strict.txt", []string{"check", "--showrcopy", td + "failover-b.txt", "--cim", td + "failover-b-cim.yaml", "--strict"}, exitNonConform},
		{"check/golden-sld.json", []string{"check", "--showrcopy", td + "sld-c.txt", "--format", "json"}, exitConforms},
		{"check/golden-sld.xml", []string{"check", "--showrcopy", td + "sld-c.txt", "--format", "junit"}, exitConforms},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runChecker(t, c.args...)
			if code != c.code || errOut != "" {
				t.Errorf("exit %d stderr %q, want exit %d", code, errOut, c.code)
			}
			golden(t, c.name, out)
		})
	}
}

func TestCheckJSONContract(t *testing.T) {
	code, out, _ := runChecker(t, "check", "--showrcopy", td+"array-a.txt", "--showrcopy", td+"array-b.txt", "--cim", td+"array-a-cim.yaml", "--cim", td+"array-b-cim.json", "--format", "json")
	var rep struct {
		Conformant *bool                        `json:"conformant"`
		Findings   []map[string]json.RawMessage `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if code != exitNonConform || rep.Conformant == nil || *rep.Conformant {
		t.Fatalf("exit %d conformant %v", code, rep.Conformant)
	}
	verdicts := map[string]int{}
	for _, f := range rep.Findings {
		for _, k := range []string{"array", "group", "volume", "role", "sync_status", "target_status", "observed", "expected", "verdict"} {
			if _, ok := f[k]; !ok {
				t.Errorf("finding without %q", k)
			}
		}
		var v string
		_ = json.Unmarshal(f["verdict"], &v)
		verdicts[v]++
	}
	// 8 volumes (2 mismatches on array-b) and 2 group pairs.
	if verdicts["match"] != 8 || verdicts["mismatch"] != 2 || len(rep.Findings) != 10 {
		t.Errorf("verdicts %v", verdicts)
	}
}

func TestCheckJUnitIsValid(t *testing.T) {
	_, out, _ := runChecker(t, "check", "--showrcopy", td+"array-a.txt", "--showrcopy", td+"array-b.txt", "--cim", td+"array-a-cim.yaml", "--cim", td+"array-b-cim.json", "--format", "junit")
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
			Cases []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not XML: %v", err)
	}
	if doc.Tests != 10 || doc.Failures != 2 || len(doc.Suites) != 3 || doc.Suites[2].Name != "array-a+array-b" {
		t.Errorf("tests %d failures %d suites %d", doc.Tests, doc.Failures, len(doc.Suites))
	}
}

// rewrite copies a testdata file with replacements (each old string must
// occur) into a temp dir, under the given base name.
func rewrite(t *testing.T, src, name string, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("%s has no %q", src, pairs[i])
		}
		s = strings.ReplaceAll(s, pairs[i], pairs[i+1])
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// Role columns in the fixtures are 15 wide, so roles swap without
// disturbing the alignment.
func TestCheckPairRoles(t *testing.T) {
	role := func(r string) string { return r + strings.Repeat(" ", 15-len(r)) }
	primaryAs := func(r string) string {
		return rewrite(t, td+"array-a.txt", "array-a.txt", role("Primary"), role(r))
	}
	secondaryAs := func(r, sync string) string {
		return rewrite(t, td+"array-b.txt", "array-b.txt", role("Secondary"), role(r), "Syncing       none", sync+"        none"[len(sync)-6:])
	}
	cases := []struct {
		name    string
		a, b    string
		code    int
		verdict string
	}{
		{"natural roles", td + "array-a.txt", td + "array-b.txt", exitConforms, "complementary roles Primary and Secondary"},
		{"split brain", td + "array-a.txt", secondaryAs("Primary", "Synced"), exitNonConform, "split brain"},
		{"reversed roles", primaryAs("Secondary-Rev"), secondaryAs("Primary-Rev", "Synced"), exitConforms, "complementary roles Secondary-Rev and Primary-Rev"},
		{"two secondaries", primaryAs("Secondary"), td + "array-b.txt", exitNonConform, "no primary"},
		{"reversed with natural", td + "array-a.txt", secondaryAs("Secondary-Rev", "Synced"), exitNonConform, "inconsistent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runChecker(t, "check", "--showrcopy", c.a, "--showrcopy", c.b, "--format", "json")
			if code != c.code || errOut != "" {
				t.Errorf("exit %d stderr %q, want %d\n%s", code, errOut, c.code, out)
			}
			if !strings.Contains(out, `"reason": "`+c.verdict) {
				t.Errorf("report lacks %q:\n%s", c.verdict, out)
			}
		})
	}
}

func TestCheckCouldNotRun(t *testing.T) {
	a := td + "array-a.txt"
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"unknown state name", []string{"--showrcopy", a, "--cim", td + "bad-cim-state.yaml"}, td + `bad-cim-state.yaml:3: unknown CopyState "Synchronised" (want a DMTF name or a number)`},
		{"wrong type", []string{"--showrcopy", a, "--cim", td + "bad-cim-type.yaml"}, td + "bad-cim-type.yaml:6: cannot unmarshal !!str `sometimes` into bool"},
		{"unknown volume", []string{"--showrcopy", a, "--cim", td + "bad-cim-volume.yaml"}, td + "bad-cim-volume.yaml:3: volume ora-temp is not in the showrcopy output"},
		{"unknown key", []string{"--showrcopy", a, "--cim", td + "bad-cim-key.yaml"}, td + `bad-cim-key.yaml:7: unknown key "percent_synced"`},
		{"cim of another array", []string{"--showrcopy", td + "sld-c.txt", "--cim", td + "array-a-cim.yaml"}, td + "array-a-cim.yaml:3: group oracle is not in the showrcopy output"},
		{"bad showrcopy", []string{"--showrcopy", td + "bad-showrcopy.txt"}, td + "bad-showrcopy.txt:9: "},
		{"missing file", []string{"--showrcopy", td + "absent.txt"}, "absent.txt"},
		{"no showrcopy", []string{"--cim", td + "array-a-cim.yaml"}, "needs --showrcopy"},
		{"three arrays", []string{"--showrcopy", a, "--showrcopy", a, "--showrcopy", a}, "needs --showrcopy"},
		{"more cim than arrays", []string{"--showrcopy", a, "--cim", td + "array-a-cim.yaml", "--cim", td + "array-a-cim.yaml"}, "2 --cim files for 1 --showrcopy"},
		{"bad format", []string{"--showrcopy", a, "--format", "pdf"}, "text,json,junit,html"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runChecker(t, append([]string{"check"}, c.args...)...)
			if code != exitCouldNotRun || out != "" {
				t.Errorf("exit %d stdout %q, want exit 2 and nothing on stdout", code, out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, c.stderr) {
				t.Errorf("stderr %q, want one line containing %q", errOut, c.stderr)
			}
		})
	}
}

func TestCheckCIMForSecondArrayOnly(t *testing.T) {
	// An empty --cim skips the first array; the second one's CIM applies to it.
	code, out, errOut := runChecker(t, "check", "--showrcopy", td+"array-b.txt", "--showrcopy", td+"failover-b.txt", "--cim", "", "--cim", td+"failover-b-cim.yaml", "--format", "json")
	if code != exitNonConform || errOut != "" { // array-b and failover-b are both secondaries of one pair: no primary
		t.Fatalf("exit %d stderr %q\n%s", code, errOut, out)
	}
	if !strings.Contains(out, `"verdict": "no_observation"`) || !strings.Contains(out, `"verdict": "match"`) {
		t.Errorf("want no_observation for the first array and matches for the second:\n%s", out)
	}
}

func TestArrayNames(t *testing.T) {
	got := arrayNames([]string{"x/a.txt", "y/b.out"})
	if got[0] != "a" || got[1] != "b" {
		t.Errorf("%v", got)
	}
	got = arrayNames([]string{"x/a.txt", "y/a.txt"})
	if got[0] != "x/a.txt" || got[1] != "y/a.txt" {
		t.Errorf("same base names: %v", got)
	}
}

// Rows the parser left out are reported as check reads the file, as parse
// reports them; the check itself runs on what was read.
func TestCheckReportsSkippedRows(t *testing.T) {
	path := filepath.Join("testdata", "check", "partly-read.txt")
	code, stdout, stderr := runChecker(t, "check", "--showrcopy", path, "--format", "json")
	if code != exitConforms || !strings.Contains(stdout, `"verdict": "no_observation"`) {
		t.Errorf("exit %d:\n%s", code, stdout)
	}
	if want := "checker: " + path + ":7: warning: link row left out"; !strings.HasPrefix(stderr, want) || strings.Count(stderr, "\n") != 1 {
		t.Errorf("stderr %q, want one line starting %q", stderr, want)
	}
}

// Names come from the array: an ESC (a terminal title sequence), BEL or
// NUL in them is written escaped in the text report and on stderr, never
// raw.
func TestTextReportEscapesControlCharacters(t *testing.T) {
	path := filepath.Join("testdata", "check", "control-chars.txt")
	code, stdout, stderr := runChecker(t, "check", "--showrcopy", path, "--strict")
	if code != exitNonConform {
		t.Errorf("exit %d, want 1 (not in table, strict)", code)
	}
	for _, out := range []string{stdout, stderr} {
		if strings.ContainsAny(out, "\x00\x07\x1b") {
			t.Errorf("raw control characters written:\n%q", out)
		}
	}
	if !strings.Contains(stdout, `d\x1b]0;pwned\ab`) || !strings.Contains(stdout, `v\x00\x1b[2J`) {
		t.Errorf("names not shown escaped:\n%s", stdout)
	}
}
