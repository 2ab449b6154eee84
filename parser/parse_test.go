package parser

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
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
// file, and the warnings with NAME.warnings (no such file: no warnings);
// run `go test ./parser -update` to rewrite them after a change, then
// review the diff.
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
			warnGolden := strings.TrimSuffix(in, ".txt") + ".warnings"
			warns := formatWarnings(out.Warnings)
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				if len(warns) == 0 {
					if err := os.Remove(warnGolden); err != nil && !errors.Is(err, fs.ErrNotExist) {
						t.Fatal(err)
					}
				} else if err := os.WriteFile(warnGolden, warns, 0o644); err != nil {
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
			wantWarns, err := os.ReadFile(warnGolden)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if !bytes.Equal(warns, wantWarns) {
				t.Errorf("warnings differ from %s (run with -update and review the diff):\n%s", warnGolden, warns)
			}
		})
	}
}

// formatWarnings writes warnings one a line: the line number, "skipped"
// for a row left out or "note" for anything else, and the message.
func formatWarnings(ws []Warning) []byte {
	var b bytes.Buffer
	for _, w := range ws {
		kind := "note"
		if w.Skipped {
			kind = "skipped"
		}
		fmt.Fprintf(&b, "%d %s %s\n", w.Line, kind, w.Msg)
	}
	return b.Bytes()
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
		{"garbage.txt", 1, `expected showrcopy output starting with "Remote Copy System Information" (or another section's title or column header), got "hello world"`},
		{"truncated_volume.txt", 10, "volume row: expected 6 or more fields (LocalVV ID RemoteVV ID SyncStatus LastSyncTime), got 3"},
		{"truncated_time.txt", 10, `LastSyncTime "2026-11-28 04:1" is neither NA nor a date and time`},
		{"bad_id.txt", 10, `ID "81x0" is not a number`},
		{"missing_status.txt", 3, `expected "Status: ..." after "Remote Copy System Information", got "Target Information"`},
		{"bad_status_line.txt", 2, `expected "Status: ..."`},
		{"group_header_only.txt", 6, "expected a group row after the group header on line 6, got the end of the output"},
		{"group_row_then_volume_row.txt", 8, `expected the volume header (LocalVV ID RemoteVV ID SyncStatus LastSyncTime), the next group header or the end of the section after the group row on line 7, got "pay.0   910 pay.0    920 Synced     NA"`},
		{"group_row_unreadable.txt", 13, "group row: expected 5 or more fields (Name Target Status Role Mode Options), got 2"},
		{"percent_not_a_number.txt", 10, `volume row: SyncStatus "Syncing (abc%)" is not a status word, optionally followed by a percentage (NN%) from 0 to 100`},
		{"percent_over_100.txt", 7, `volume row: SyncStatus "Syncing (140%)" is not a status word`},
		{"percent_csv.txt", 9, `volume row: SyncStatus "Syncing (4x%)" is not a status word`},
		{"target_header_cli_error.txt", 6, `expected the target header (Name ID Type Status Options Policy), got what looks like a CLI error message: "Error: too many local CLI connections, try later"`},
		{"row_before_group_header.txt", 6, "expected a group header (Name Target Status Role Mode Options)"},
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
