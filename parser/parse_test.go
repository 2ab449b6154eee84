package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden testdata/*.json files from the parser's output")

// fixtures returns the paths of the good fixtures, testdata/*.txt.
func fixtures(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	return files
}

// TestGolden parses every fixture and compares the JSON with its golden
// file; run `go test ./parser -update` to rewrite them after a change,
// then review the diff.
func TestGolden(t *testing.T) {
	for _, in := range fixtures(t) {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(out, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := strings.TrimSuffix(in, ".txt") + ".json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (run with -update and review the diff):\n%s", golden, got)
			}
		})
	}
}

// TestBad checks that malformed input gives an *Error on the right line
// with a message saying what was expected, and no model.
func TestBad(t *testing.T) {
	cases := []struct {
		file string
		line int
		msg  string
	}{
		{"empty.txt", 1, "empty output: expected \"Remote Copy System Information\""},
		{"blank_only.txt", 1, "empty output"},
		{"only_echo.txt", 1, "no showrcopy output"},
		{"cli_too_many.txt", 1, `the array answered with an error instead of showrcopy output: "Too many local CLI connections."`},
		{"cli_error_after_echo.txt", 2, `the array answered with an error instead of showrcopy output: "Error: nosuch`},
		{"cli_error_midway.txt", 9, "expected a target row (Name ID Type Status Options Policy), got what looks like a CLI error message"},
		{"garbage.txt", 1, `expected showrcopy output starting with "Remote Copy System Information", got "hello world"`},
		{"truncated_volume.txt", 10, "volume row: expected 6 or more fields (LocalVV ID RemoteVV ID SyncStatus LastSyncTime), got 3"},
		{"truncated_time.txt", 10, `LastSyncTime "2026-11-28 04:1" is neither NA nor a date and time`},
		{"bad_id.txt", 10, `ID "81x0" is not a number`},
		{"bad_node.txt", 7, `Node "0-3-1" is not a port position n:s:p`},
		{"missing_status.txt", 3, `expected "Status: ..." after "Remote Copy System Information", got "Target Information"`},
		{"bad_status_line.txt", 2, `expected "Status: ..."`},
		{"group_header_only.txt", 6, "expected a group row after the group header on line 6, got the end of the output"},
		{"no_volume_header.txt", 7, "expected the volume header (LocalVV ID RemoteVV ID SyncStatus LastSyncTime) after the group row on line 7, got the end"},
		{"cut_before_prompt.txt", 7, "expected the volume header (LocalVV ID RemoteVV ID SyncStatus LastSyncTime) after the group row on line 7, got the end of the output"},
		{"group_without_volume_header.txt", 9, "expected the volume header"},
		{"row_before_group_header.txt", 6, "expected a group header (Name Target Status Role Mode Options)"},
		{"wrong_header.txt", 6, "expected the target header (Name ID Type Status Options Policy)"},
		{"csv_unterminated.txt", 7, "group row: unterminated quote"},
		{"csv_field_count.txt", 9, "volume row: expected 6 comma-separated fields (LocalVV ID RemoteVV ID SyncStatus LastSyncTime), got 5"},
	}
	seen := map[string]bool{}
	for _, c := range cases {
		seen[c.file] = true
		t.Run(c.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "bad", c.file))
			if err != nil {
				t.Fatal(err)
			}
			out, err := Parse(data)
			if out != nil {
				t.Errorf("got a model with the error")
			}
			var pe *Error
			if !errors.As(err, &pe) {
				t.Fatalf("want *Error, got %T %v", err, err)
			}
			if pe.Line != c.line || !strings.Contains(pe.Msg, c.msg) {
				t.Errorf("got %q, want line %d with %q", pe.Error(), c.line, c.msg)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "bad", "*.txt"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no expected error in TestBad", f)
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}
