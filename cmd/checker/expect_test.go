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
			// The row's own link condition (any: try one the array prints).
			target := "ready"
			if len(r.Match.TargetStatus) > 0 && !strings.EqualFold(r.Match.TargetStatus[0], expected.AnyTarget) {
				target = r.Match.TargetStatus[0]
			}
			args = append(args, "--target-status", target)
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
		{"stoprcopygroup on a secondary is not T110-1", []string{"--role", "Secondary", "--sync-status", "Stopped", "--target-status", "ready"}, 0, []string{"T109-stopped"}},
		{"primary down", []string{"--role", "Secondary", "--sync-status", "Stopped", "--target-status", "failed"}, 0, []string{"T110-1"}},
		{"failed over, link down", []string{"--role", "Primary-Rev", "--sync-status", "Stopped", "--target-status", "failed"}, 0, []string{"T110-2", "T110-3", "T110-8"}},
		{"failed over, old primary back", []string{"--role", "Primary-Rev", "--sync-status", "Stopped", "--target-status", "ready"}, 0, []string{"T110-3b"}},
		{"failed over, unknown target: both link conditions", []string{"--role", "Primary-Rev", "--sync-status", "Stopped"}, 0, []string{"T110-2", "T110-3", "T110-3b", "T110-8"}},
		{"strict: the built-in tables have no uncertain row", []string{"--role", "Primary-Rev", "--sync-status", "Stopped", "--strict"}, 0, []string{"T110-2", "T110-3", "T110-3b", "T110-8"}},
		{"any word the array prints as target status", []string{"--role", "Primary-Rev", "--sync-status", "Synced", "--target-status", "degraded"}, 0, []string{"T110-7", "T110-11", "T110-15"}},
		{"a target word outside the link conditions matches no link-bound row", []string{"--role", "Secondary", "--sync-status", "Stopped", "--target-status", "degraded"}, 1, nil},
		{"backup group", []string{"--role", "Secondary", "--sync-status", "Synced", "--group-status", "Backup"}, 0, []string{"SLD-backup"}},
		{"backup group, not Secondary", []string{"--role", "Primary", "--sync-status", "Synced", "--group-status", "Backup"}, 1, nil},
		{"no row: [] and exit 1", []string{"--role", "Primary", "--sync-status", "Stopped", "--target-status", "failed"}, 1, nil},
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
	if code != exitCouldNotRun || out != "" || errOut != "checker: "+bad+":3: unknown CopyState \"Synched\" (want a DMTF name or a number)\n" {
		t.Errorf("bad table: exit %d stdout %q stderr %q", code, out, errOut)
	}
}

// A role or sync status the tables do not name gets a one-line note
// naming the words they know; the answer is still [] and exit 1.
func TestExpectUnknownWords(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		notes []string
	}{
		{"unknown role", []string{"--role", "Tertiary", "--sync-status", "Synced"},
			[]string{`role "Tertiary" is not one the tables name (known: Primary, Secondary, Primary-Rev, Secondary-Rev)`}},
		{"unknown sync status", []string{"--role", "Primary", "--sync-status", "Failsafe"},
			[]string{`sync status "Failsafe" is not one the tables name (known: New, Syncing, Synced, NotSynced, Stale, Stopped)`}},
		{"both", []string{"--role", "primery", "--sync-status", "Synched"}, []string{`role "primery"`, `; sync status "Synched"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := runChecker(t, append([]string{"expect"}, c.args...)...)
			if code != exitNonConform || strings.TrimSpace(out) != "[]" {
				t.Errorf("exit %d stdout %q, want 1 and []", code, out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "checker: expect: ") {
				t.Errorf("stderr %q, want one line", errOut)
			}
			for _, n := range c.notes {
				if !strings.Contains(errOut, n) {
					t.Errorf("stderr %q lacks %q", errOut, n)
				}
			}
		})
	}
	// Known words in another case get no note.
	if _, _, errOut := runChecker(t, "expect", "--role", "primary-rev", "--sync-status", "SYNCED"); errOut != "" {
		t.Errorf("known words: stderr %q", errOut)
	}
}

// --strict leaves out rows that a user table marks uncertain.
func TestExpectStrictWithUserTable(t *testing.T) {
	p := filepath.Join(t.TempDir(), "doubt.yaml")
	if err := os.WriteFile(p, []byte(`rows:
  - id: T110-3
    table: "110"
    event: failover done, in doubt on this firmware
    array: secondary
    match: {role: Primary-Rev, sync_status: Stopped, target_status: failed}
    copy_state: Failedover
    sync_state: Broken
    progress_status: Completed
    role_reversed: true
    uncertain: true
`), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"expect", "--role", "Primary-Rev", "--sync-status", "Stopped", "--target-status", "failed", "--table", p}
	for _, c := range []struct {
		strict bool
		want   []string
	}{{false, []string{"T110-2", "T110-3", "T110-8"}}, {true, []string{"T110-2", "T110-8"}}} {
		a := args
		if c.strict {
			a = append(slices.Clone(args), "--strict")
		}
		code, out, errOut := runChecker(t, a...)
		var got []string
		for _, r := range expectRows(t, out) {
			got = append(got, r.Row)
			if r.Row == "T110-3" && (r.Uncertain == nil || !*r.Uncertain) {
				t.Errorf("T110-3 printed without uncertain: true")
			}
		}
		if code != exitConforms || errOut != "" || !slices.Equal(got, c.want) {
			t.Errorf("strict=%t: exit %d stderr %q rows %v, want %v", c.strict, code, errOut, got, c.want)
		}
	}
}

func TestExpectBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"expect", "--sync-status", "Synced"},
		{"expect", "--role", "Primary"},
	} {
		if code, _, errOut := runChecker(t, args...); code != exitCouldNotRun || errOut == "" {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
}
