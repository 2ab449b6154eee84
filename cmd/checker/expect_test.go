package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/expected"
)

// The -update flag rewrites golden files. It is registered only if no other
// test file of this package has registered it already.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite the golden files under testdata/")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// runChecker runs the checker in-process.
func runChecker(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

type expectRow struct {
	Table               string `json:"table"`
	Row                 string `json:"row"`
	CopyState           string `json:"copy_state"`
	SyncState           string `json:"sync_state"`
	ProgressStatus      string `json:"progress_status"`
	RoleReversed        *bool  `json:"role_reversed"`
	Uncertain           *bool  `json:"uncertain"`
	CopyStateValue      *int   `json:"copy_state_value"`
	SyncStateValue      *int   `json:"sync_state_value"`
	ProgressStatusValue *int   `json:"progress_status_value"`
}

func expectRows(t *testing.T, stdout string) []expectRow {
	t.Helper()
	var rows []expectRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, stdout)
	}
	return rows
}

// Every row of the built-in tables is reachable through `checker expect`
// with its own match keys, and printed with names and numbers that agree.
func TestExpectReachesEveryRow(t *testing.T) {
	for _, r := range expected.Default().Rows() {
		t.Run(r.ID, func(t *testing.T) {
			args := []string{"expect", "--role", "Secondary", "--sync-status", "Synced"}
			if len(r.Match.Role) > 0 {
				args[2] = r.Match.Role[0]
			}
			if len(r.Match.SyncStatus) > 0 {
				args[4] = r.Match.SyncStatus[0]
			}
			if r.Table == "110" {
				args = append(args, "--target-status", "failed")
			} else {
				args = append(args, "--target-status", "ready")
			}
			if len(r.Match.GroupStatus) > 0 {
				args = append(args, "--group-status", r.Match.GroupStatus[0])
			} else {
				args = append(args, "--group-status", "Started")
			}
			code, out, errOut := runChecker(t, args...)
			if code != exitConforms || errOut != "" {
				t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
			}
			var found *expectRow
			for _, x := range expectRows(t, out) {
				if x.Row == r.ID {
					found = &x
				}
			}
			if found == nil {
				t.Fatalf("%v: row %s not printed:\n%s", args, r.ID, out)
			}
			if found.Table != r.Table || found.CopyState != r.CopyState.String() || found.SyncState != r.SyncState.String() ||
				found.ProgressStatus != r.ProgressStatus.String() || found.RoleReversed == nil || *found.RoleReversed != r.RoleReversed ||
				found.Uncertain == nil || *found.Uncertain != r.Uncertain ||
				found.CopyStateValue == nil || *found.CopyStateValue != int(r.CopyState) ||
				found.SyncStateValue == nil || *found.SyncStateValue != int(r.SyncState) ||
				found.ProgressStatusValue == nil || *found.ProgressStatusValue != int(r.ProgressStatus) {
				t.Errorf("printed %+v for row %+v", *found, r)
			}
		})
	}
}

func TestExpectGolden(t *testing.T) {
	code, out, _ := runChecker(t, "expect", "--role", "Primary-Rev", "--sync-status", "Stopped", "--target-status", "failed")
	if code != exitConforms {
		t.Fatalf("exit %d", code)
	}
	golden(t, "expect/failover-done.json", out)
}

func TestExpect(t *testing.T) {
	ids := func(out string) []string {
		var s []string
		for _, r := range expectRows(t, out) {
			s = append(s, r.Row)
		}
		return s
	}
	cases := []struct {
		name string
		args []string
		code int
		rows []string
	}{
		{"natural synced, unknown target", []string{"--role", "Primary", "--sync-status", "Synced"}, 0, []string{"T109-synced", "T110-14"}},
		{"target failed leaves table 109 out", []string{"--role", "Primary", "--sync-status", "Synced", "--target-status", "failed"}, 0, []string{"T110-14"}},
		{"strict drops T110-3b", []string{"--role", "Primary-Rev", "--sync-status", "Stopped", "--strict"}, 0, []string{"T110-2", "T110-3", "T110-8"}},
		{"backup group", []string{"--role", "Secondary", "--sync-status", "Synced", "--group-status", "Backup"}, 0, []string{"SLD-backup"}},
		{"no row: [] and exit 1", []string{"--role", "Primary", "--sync-status", "Failsafe"}, 1, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runChecker(t, append([]string{"expect"}, c.args...)...)
			if code != c.code || errOut != "" {
				t.Fatalf("exit %d stderr %q, want exit %d", code, errOut, c.code)
			}
			if got := ids(out); !slices.Equal(got, c.rows) {
				t.Errorf("rows %v, want %v", got, c.rows)
			}
			if c.rows == nil && strings.TrimSpace(out) != "[]" {
				t.Errorf("no row: stdout %q, want []", out)
			}
		})
	}
}

func TestExpectUserTable(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "site.yaml")
	if err := os.WriteFile(good, []byte(`rows:
  - id: SITE-failsafe
    table: site
    event: target in failsafe
    array: either
    match: {sync_status: Failsafe}
    copy_state: Broken
    sync_state: Broken
    progress_status: Completed
    role_reversed: false
`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runChecker(t, "expect", "--role", "Primary", "--sync-status", "Failsafe", "--table", good)
	if rows := expectRows(t, out); code != 0 || len(rows) != 1 || rows[0].Row != "SITE-failsafe" {
		t.Errorf("exit %d, %s", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("rows:\n  - id: X\n    copy_state: Synched\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runChecker(t, "expect", "--role", "Primary", "--sync-status", "Synced", "--table", bad)
	if code != exitCouldNotRun || out != "" || errOut != bad+":3: unknown CopyState \"Synched\" (want a DMTF name or a number)\n" {
		t.Errorf("bad table: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

func TestExpectBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"expect", "--sync-status", "Synced"},
		{"expect", "--role", "Primary", "--sync-status", "Synced", "--target-status", "up"},
	} {
		if code, _, errOut := runChecker(t, args...); code != exitCouldNotRun || errOut == "" {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
}
