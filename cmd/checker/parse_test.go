package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/parser"
)

// The -update flag rewrites golden files; registered once whichever test
// file of this package gets there first.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

// runParse runs `checker parse` in-process with the given stdin.
func runParse(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"parse"}, args...), strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestParseExamples: the shipped examples parse, and the output matches
// the golden files testdata/parse_<example>.json.
func TestParseExamples(t *testing.T) {
	for _, ex := range []string{"primary", "secondary-d-groups"} {
		t.Run(ex, func(t *testing.T) {
			in := filepath.Join("..", "..", "examples", "showrcopy", ex+".txt")
			code, stdout, stderr := runParse(t, "", in)
			if code != exitConforms || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			goldenPath := filepath.Join("testdata", "parse_"+ex+".json")
			if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
				if err := os.WriteFile(goldenPath, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if stdout != string(want) {
				t.Errorf("stdout differs from %s:\n%s", goldenPath, stdout)
			}
			// The JSON is the parser's model, field for field.
			var back parser.Output
			if err := json.Unmarshal([]byte(stdout), &back); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestParseStdin: "-" and no argument read standard input.
func TestParseStdin(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "showrcopy", "primary.txt"))
	if err != nil {
		t.Fatal(err)
	}
	_, fromFile, _ := runParse(t, "", filepath.Join("..", "..", "examples", "showrcopy", "primary.txt"))
	for _, args := range [][]string{{"-"}, {}} {
		code, stdout, stderr := runParse(t, string(data), args...)
		if code != exitConforms || stderr != "" || stdout != fromFile {
			t.Errorf("args %q: exit %d, stderr %q, same output as from the file: %v", args, code, stderr, stdout == fromFile)
		}
	}
}

// TestParseBadInput: bad input exits 2 with one line "checker: FILE:LINE:
// message" on stderr and nothing on stdout.
func TestParseBadInput(t *testing.T) {
	bad := filepath.Join("testdata", "parse_truncated.txt")
	cases := []struct {
		name, stdin string
		args        []string
		stderr      string
	}{
		{"truncated file", "", []string{bad}, "checker: " + bad + ":10: volume row: expected 6 or more fields"},
		{"CLI error on stdin", "Too many local CLI connections.\n", []string{"-"}, "checker: <stdin>:1: the array answered with an error instead of showrcopy output"},
		{"empty stdin", "", nil, "checker: <stdin>:1: empty output"},
		{"missing file", "", []string{filepath.Join("testdata", "no-such-file.txt")}, "checker: " + filepath.Join("testdata", "no-such-file.txt") + ": cannot read: no such file or directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := runParse(t, c.stdin, c.args...)
			if code != exitCouldNotRun {
				t.Errorf("exit %d, want %d", code, exitCouldNotRun)
			}
			if stdout != "" {
				t.Errorf("stdout not empty: %q", stdout)
			}
			if !strings.HasPrefix(stderr, c.stderr) || strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Errorf("stderr %q, want one line starting %q", stderr, c.stderr)
			}
		})
	}
}

// TestParseWarnings: output with rows the parser left out still parses:
// exit 0, the JSON on stdout, and one "checker: FILE:LINE: warning: ..." line per
// warning on stderr, standard input named as in errors.
func TestParseWarnings(t *testing.T) {
	in := filepath.Join("testdata", "parse_skipped_rows.txt")
	data, err := os.ReadFile(in)
	if err != nil {
		t.Fatal(err)
	}
	warnings := func(name string) string {
		return "checker: " + name + `:4: warning: section "Quorum Witness Information" skipped (2 lines): not a section this parser reads` + "\n" +
			"checker: " + name + `:17: warning: link row left out: Node "<>" is not a port position n:s:p` + "\n" +
			"checker: " + name + `:19: warning: link row left out: Node "<>" is not a port position n:s:p` + "\n"
	}
	code, fromFile, stderr := runParse(t, "", in)
	if code != exitConforms || stderr != warnings(in) {
		t.Errorf("exit %d, stderr:\n%s\nwant exit 0 and:\n%s", code, stderr, warnings(in))
	}
	code, fromStdin, stderr := runParse(t, string(data), "-")
	if code != exitConforms || stderr != warnings("<stdin>") || fromStdin != fromFile {
		t.Errorf("stdin: exit %d, same JSON as from the file: %v, stderr:\n%s", code, fromStdin == fromFile, stderr)
	}

	goldenPath := filepath.Join("testdata", "parse_skipped_rows.json")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(goldenPath, []byte(fromFile), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if fromFile != string(want) {
		t.Errorf("stdout differs from %s:\n%s", goldenPath, fromFile)
	}

	// What the contract promises, read from the JSON itself: the readable
	// links, sync_percent only where a percentage is printed, [] for a
	// group without volumes.
	var got struct {
		Links  []struct{ Node string }
		Groups []struct {
			Name    string
			Volumes []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(fromFile), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Links) != 2 || got.Links[0].Node != "1:5:2" || len(got.Groups) != 2 {
		t.Fatalf("links %+v, groups %+v", got.Links, got.Groups)
	}
	vols := got.Groups[0].Volumes
	if len(vols) != 2 || vols[0]["sync_status"] != "Syncing" || vols[0]["sync_percent"] != 35.0 {
		t.Errorf("volume 0: %v", vols[0])
	}
	if _, ok := vols[1]["sync_percent"]; ok || vols[1]["sync_status"] != "Synced" {
		t.Errorf("volume 1: %v", vols[1])
	}
	if got.Groups[1].Name != "new_rcg" || got.Groups[1].Volumes == nil || len(got.Groups[1].Volumes) != 0 {
		t.Errorf("group without volumes: %+v", got.Groups[1])
	}
	if !strings.Contains(fromFile, `"volumes": []`) {
		t.Errorf("a group without volumes must print \"volumes\": []")
	}
}
