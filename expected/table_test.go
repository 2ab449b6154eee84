package expected

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/threepar/rcopy-exporter/internal/yamlfile"
)

// reference is Table 109, the SLD row and Table 110 typed in again from
// the reference notes (cim-remote-copy.md), independently of tables.yaml,
// so that a transcription slip in either shows up here. link is the row's
// link condition per the revised "Which rows apply to an observation":
// failed (link down), ready (link up) or any.
var reference = []struct {
	id, table, array, role, sync, link string
	cs                                 CopyState
	ss                                 SyncState
	ps                                 ProgressStatus
	reversed                           bool
}{
	{"T109-new", "109", "either", "Primary", "New", "ready", 2, 5, 19, false},
	{"T109-syncing", "109", "either", "Secondary", "Syncing", "ready", 3, 5, 6, false},
	{"T109-synced", "109", "either", "Primary", "Synced", "ready", 4, 6, 2, false},
	{"T109-notsynced", "109", "either", "Secondary", "NotSynced", "ready", 5, 12, 2, false},
	{"T109-stale", "109", "either", "Primary", "Stale", "ready", 13, 12, 2, false},
	{"T109-stopped", "109", "either", "Primary", "Stopped", "ready", 8, 14, 3, false},
	{"SLD-backup", "SLD", "secondary", "Secondary", "Synced", "any", 2, 2, 3, false},
	{"T110-1", "110", "secondary", "Secondary", "Stopped", "failed", 5, 12, 2, false},
	{"T110-2", "110", "secondary", "Primary-Rev", "Stopped", "failed", 10, 12, 11, true},
	{"T110-3", "110", "secondary", "Primary-Rev", "Stopped", "failed", 10, 12, 2, true},
	{"T110-3b", "110", "secondary", "Primary-Rev", "Stopped", "ready", 5, 12, 2, true},
	{"T110-4", "110", "primary", "Secondary-Rev", "Stopped", "ready", 5, 12, 2, true},
	{"T110-5", "110", "secondary", "Primary-Rev", "Syncing", "any", 3, 10, 8, true},
	{"T110-6", "110", "primary", "Secondary-Rev", "Syncing", "any", 3, 10, 8, true},
	{"T110-7", "110", "secondary", "Primary-Rev", "Synced", "any", 4, 6, 2, true},
	{"T110-8", "110", "secondary", "Primary-Rev", "Stopped", "failed", 10, 12, 2, true},
	{"T110-9", "110", "primary", "Secondary-Rev", "Synced", "any", 4, 6, 2, true},
	{"T110-10", "110", "primary", "Secondary-Rev", "Stopped", "failed", 10, 12, 2, true},
	{"T110-11", "110", "secondary", "Primary-Rev", "Synced", "any", 4, 6, 12, true},
	{"T110-12", "110", "primary", "Secondary-Rev", "Synced", "any", 4, 6, 12, true},
	{"T110-13", "110", "secondary", "Secondary", "Synced", "any", 4, 6, 2, false},
	{"T110-14", "110", "primary", "Primary", "Synced", "any", 4, 6, 2, false},
	{"T110-15", "110", "secondary", "Primary-Rev", "Synced", "any", 4, 6, 2, true},
	{"T110-16", "110", "primary", "Secondary-Rev", "Synced", "any", 4, 6, 2, true},
}

func TestDefaultTableIsTheReference(t *testing.T) {
	tab := Default()
	if got, want := len(tab.Rows()), len(reference); got != want {
		t.Fatalf("Default has %d rows, reference %d", got, want)
	}
	for _, ref := range reference {
		r, ok := tab.Row(ref.id)
		if !ok {
			t.Errorf("row %s missing", ref.id)
			continue
		}
		want := Triple{ref.cs, ref.ss, ref.ps, ref.reversed}
		if r.Triple != want || r.Table != ref.table || r.Array != ref.array || r.Uncertain {
			t.Errorf("row %s = %v table %s array %s uncertain %t; want %v table %s array %s, not uncertain",
				ref.id, r.Triple, r.Table, r.Array, r.Uncertain, want, ref.table, ref.array)
		}
		if r.Event == "" || r.Source.Edition == "" || r.Source.Table == "" || r.Source.Page == 0 && ref.table != "SLD" {
			t.Errorf("row %s: event or source missing: %+v", ref.id, r)
		}
		// Every built-in row states its link condition, as data.
		if got := strings.Join(r.Match.TargetStatus, ","); got != ref.link {
			t.Errorf("row %s: target_status %q, want %q", ref.id, got, ref.link)
		}
		// RoleReversed is true exactly on -Rev roles (the reference's rule).
		if strings.HasSuffix(ref.role, "-Rev") != r.RoleReversed {
			t.Errorf("row %s: RoleReversed %t for role %s", ref.id, r.RoleReversed, ref.role)
		}
		// Every row is reachable through Match with its own keys, with
		// its link condition and with an unknown target status; the
		// opposite link condition excludes it.
		group := "Started"
		if ref.id == "SLD-backup" {
			group = "Backup"
		}
		links := map[string]bool{"ready": ref.link != "failed", "failed": ref.link != "ready", "": true, "unknown": true}
		for target, want := range links {
			got := tab.Match(Observation{Role: ref.role, SyncStatus: ref.sync, TargetStatus: target, GroupStatus: group}, false)
			if has := slices.ContainsFunc(got, func(m Row) bool { return m.ID == ref.id }); has != want {
				t.Errorf("row %s, %s/%s target %q: matched %t, want %t (got %v)", ref.id, ref.role, ref.sync, target, has, want, ids(got))
			}
		}
	}
	if r, _ := tab.Row("T110-2"); !strings.Contains(r.Note, "Failing over") {
		t.Errorf("T110-2 must say how its ProgressStatus was read; note %q", r.Note)
	}
	if r, _ := tab.Row("T110-3b"); !strings.Contains(r.Note, "link") || !strings.Contains(r.Note, "FailedOver only while") {
		t.Errorf("T110-3b must say why it is the link-up reading (the manual's prose); note %q", r.Note)
	}
	if r, _ := tab.Row("T110-11"); !strings.Contains(r.Event, "setrcopygroup restore is issued on it") {
		t.Errorf("T110-11 event %q", r.Event)
	}
	for _, r := range tab.Rows() {
		if r.Table == "109" && r.Source.Page != 130 {
			t.Errorf("row %s: page %d, want 130 (3.1.2 edition)", r.ID, r.Source.Page)
		}
	}
}

// The header of tables.yaml cites the manual, not a path on somebody's machine.
func TestTablesHeaderCitesTheManual(t *testing.T) {
	head, _, _ := strings.Cut(string(defaultTableYAML), "rows:")
	for _, want := range []string{"3.1.1", "3.1.2", "2014", "CIM API Programming Reference"} {
		if !strings.Contains(head, want) {
			t.Errorf("header does not cite %q", want)
		}
	}
	if strings.Contains(head, "/work/") || strings.Contains(head, "/home/") || strings.Contains(head, "shared/") {
		t.Errorf("header names a path of a development machine:\n%s", head)
	}
}

func ids(rows []Row) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func TestMatch(t *testing.T) {
	tab := Default()
	cases := []struct {
		name   string
		o      Observation
		strict bool
		want   []string
	}{
		{"synced primary, target ready", Observation{"Primary", "Synced", "ready", "Started"}, false, []string{"T109-synced", "T110-14"}},
		{"synced primary, target unknown", Observation{"Primary", "Synced", "", "Started"}, false, []string{"T109-synced", "T110-14"}},
		{"synced primary, target failed: table 110 only", Observation{"Primary", "Synced", "failed", "Started"}, false, []string{"T110-14"}},
		{"syncing secondary", Observation{"Secondary", "Syncing", "ready", "Started"}, false, []string{"T109-syncing"}},
		{"syncing secondary, target failed", Observation{"Secondary", "Syncing", "failed", "Started"}, false, nil},
		{"new", Observation{"Secondary", "New", "ready", "Started"}, false, []string{"T109-new"}},
		{"stale", Observation{"Primary", "Stale", "ready", "Started"}, false, []string{"T109-stale"}},
		{"notsynced, target unknown", Observation{"Primary", "NotSynced", "unknown", "Started"}, false, []string{"T109-notsynced"}},
		{"stopped secondary, primary down", Observation{"Secondary", "Stopped", "failed", "Stopped"}, false, []string{"T110-1"}},
		{"stopped secondary, target ready: stoprcopygroup, not T110-1", Observation{"Secondary", "Stopped", "ready", "Stopped"}, false, []string{"T109-stopped"}},
		{"stopped secondary, target unknown: both", Observation{"Secondary", "Stopped", "", "Stopped"}, false, []string{"T109-stopped", "T110-1"}},
		{"stopped primary", Observation{"Primary", "Stopped", "ready", "Stopped"}, false, []string{"T109-stopped"}},
		{"stopped primary, target failed: in no table", Observation{"Primary", "Stopped", "failed", "Stopped"}, false, nil},
		{"failed over, link down", Observation{"Primary-Rev", "Stopped", "failed", "Stopped"}, false, []string{"T110-2", "T110-3", "T110-8"}},
		{"failed over, old primary back", Observation{"Primary-Rev", "Stopped", "ready", "Stopped"}, false, []string{"T110-3b"}},
		{"failed over, target unknown", Observation{"Primary-Rev", "Stopped", "unknown", "Stopped"}, false, []string{"T110-2", "T110-3", "T110-3b", "T110-8"}},
		{"strict: no uncertain row in the built-in tables", Observation{"Primary-Rev", "Stopped", "unknown", "Stopped"}, true, []string{"T110-2", "T110-3", "T110-3b", "T110-8"}},
		{"old primary back", Observation{"Secondary-Rev", "Stopped", "ready", "Stopped"}, false, []string{"T110-4"}},
		{"old primary, recover failed", Observation{"Secondary-Rev", "Stopped", "failed", "Stopped"}, false, []string{"T110-10"}},
		{"reversed roles are not table 109", Observation{"Secondary-Rev", "Syncing", "ready", "Started"}, false, []string{"T110-6"}},
		{"recover with any target status", Observation{"Primary-Rev", "Syncing", "failed", "Started"}, false, []string{"T110-5"}},
		{"restore phase on primary", Observation{"Secondary-Rev", "Synced", "ready", "Started"}, false, []string{"T110-9", "T110-12", "T110-16"}},
		{"backup group: SLD row only", Observation{"Secondary", "Synced", "ready", "Backup"}, false, []string{"SLD-backup"}},
		{"backup group, any sync status and link", Observation{"Secondary", "Stopped", "failed", "Backup"}, false, []string{"SLD-backup"}},
		{"backup group, role not Secondary: outside the tables", Observation{"Primary", "Synced", "ready", "Backup"}, false, nil},
		{"backup group, reversed role: outside the tables", Observation{"Secondary-Rev", "Synced", "ready", "Backup"}, false, nil},
		{"case does not matter", Observation{"primary-rev", "SYNCED", "Failed", "started"}, false, []string{"T110-7", "T110-11", "T110-15"}},
		{"a target word the tables do not name: only rows of any link", Observation{"Primary-Rev", "Synced", "degraded", "Started"}, false, []string{"T110-7", "T110-11", "T110-15"}},
		{"a target word the tables do not name, link-bound rows", Observation{"Secondary", "Stopped", "degraded", "Stopped"}, false, nil},
		{"unknown sync word", Observation{"Primary", "Failsafe", "ready", "Started"}, false, nil},
		{"unknown role", Observation{"Tertiary", "Synced", "ready", "Started"}, false, nil},
		{"empty observation", Observation{}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ids(tab.Match(c.o, c.strict))
			want := c.want
			if want == nil {
				want = []string{}
			}
			if !slices.Equal(got, want) {
				t.Errorf("Match(%+v, strict=%t) = %v, want %v", c.o, c.strict, got, want)
			}
		})
	}
}

// The scanning path (used when a user table is too large to index) must
// agree with the index on every combination the default table knows.
func TestMatchIndexAgreesWithScan(t *testing.T) {
	tab := Default()
	words := func(d int) []string { return append(slices.Clone(tab.dims[d].values), "other") }
	for _, role := range words(0) {
		for _, sync := range words(1) {
			for _, target := range append(words(2), "") {
				for _, group := range words(3) {
					for _, strict := range []bool{false, true} {
						o := Observation{role, sync, target, group}
						at := [4]int{tab.dims[0].lookup(role), tab.dims[1].lookup(sync), tab.dims[2].lookup(target), tab.dims[3].lookup(group)}
						if target == "" {
							at[2] = tab.dims[2].lookup(TargetUnknown)
						}
						if a, b := ids(tab.Match(o, strict)), ids(tab.scan(at, strict)); !slices.Equal(a, b) {
							t.Fatalf("%+v strict=%t: index %v, scan %v", o, strict, a, b)
						}
					}
				}
			}
		}
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	tab := Default()
	o := Observation{"Primary-Rev", "Stopped", "failed", "Stopped"}
	if n := testing.AllocsPerRun(100, func() { tab.Match(o, false) }); n != 0 {
		t.Errorf("Match allocates %v times per call, want 0", n)
	}
}

func TestConforms(t *testing.T) {
	rows := Default().Match(Observation{"Primary-Rev", "Stopped", "ready", "Stopped"}, false)
	r, ok := Conforms(rows, Triple{CopyBroken, SyncBroken, ProgressCompleted, true})
	if !ok || r.ID != "T110-3b" || r.Uncertain {
		t.Errorf("Broken/Broken/Completed reversed, link up: got %s %t, want T110-3b", r.ID, ok)
	}
	if _, ok := Conforms(rows, Triple{CopyFailedover, SyncBroken, ProgressCompleted, true}); ok {
		t.Error("FailedOver with the link up must not conform (the manual's prose)")
	}
	if _, ok := Conforms(rows, Triple{CopyBroken, SyncBroken, ProgressCompleted, false}); ok {
		t.Error("RoleReversed false must not conform to a -Rev row")
	}
	if _, ok := Conforms(nil, Triple{}); ok {
		t.Error("no rows: nothing conforms")
	}
}

func writeFile(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTableOverridesAndExtends(t *testing.T) {
	p := writeFile(t, "site.yaml", `rows:
  - id: T110-3           # this firmware's failover-done state is in doubt
    table: "110"
    event: failover done, firmware 3.3.1
    array: secondary
    match: {role: Primary-Rev, sync_status: Stopped, target_status: failed}
    copy_state: 10
    sync_state: Broken
    progress_status: Completed
    role_reversed: true
    uncertain: true
  - id: SITE-failsafe
    table: site
    event: target failsafe
    array: either
    match: {role: [Primary, Secondary], sync_status: Failsafe}
    copy_state: FailedOver
    sync_state: "Restore in progress"
    progress_status: Requires Activate
    role_reversed: false
  - id: SITE-any-link
    table: site
    event: link condition spelt out
    array: either
    match: {role: Primary, sync_status: Logging, target_status: ANY}
    copy_state: Broken
    sync_state: Broken
    progress_status: Completed
    role_reversed: false
`)
	tab, err := LoadTable(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows()) != len(Default().Rows())+2 {
		t.Errorf("rows: %d, want default+2", len(tab.Rows()))
	}
	r, _ := tab.Row("T110-3")
	if !r.Uncertain || r.Event != "failover done, firmware 3.3.1" {
		t.Errorf("override not applied: %+v", r)
	}
	// --strict leaves the user's uncertain row out, the default keeps it.
	obs := Observation{"Primary-Rev", "Stopped", "failed", "Stopped"}
	if got := ids(tab.Match(obs, false)); !slices.Equal(got, []string{"T110-2", "T110-3", "T110-8"}) {
		t.Errorf("default: %v", got)
	}
	if got := ids(tab.Match(obs, true)); !slices.Equal(got, []string{"T110-2", "T110-8"}) {
		t.Errorf("strict must leave the uncertain row out: %v", got)
	}
	s := ids(tab.Match(Observation{"Secondary", "Failsafe", "ready", "Started"}, false))
	if !slices.Equal(s, []string{"SITE-failsafe"}) {
		t.Errorf("new row: %v", s)
	}
	for _, target := range []string{"ready", "failed", "", "whatever"} {
		if got := ids(tab.Match(Observation{"Primary", "Logging", target, "Started"}, false)); !slices.Equal(got, []string{"SITE-any-link"}) {
			t.Errorf("target_status any, observed %q: %v", target, got)
		}
	}
	n, _ := tab.Row("SITE-failsafe")
	if n.Triple != (Triple{CopyFailedover, SyncRestoreInProgress, ProgressRequiresActivate, false}) {
		t.Errorf("manual spellings: %v", n.Triple)
	}
	// The default table is untouched.
	if r, _ := Default().Row("T110-3"); r.Uncertain {
		t.Error("LoadTable changed Default()")
	}
}

func TestLoadTableErrors(t *testing.T) {
	const head = "rows:\n  - id: X\n    table: x\n    array: either\n"
	const states = "    copy_state: Broken\n    sync_state: Broken\n    progress_status: Completed\n    role_reversed: false\n"
	cases := []struct{ name, text, want string }{
		{"unknown top key", "rowz: []\n", ":1: unknown key \"rowz\""},
		{"unknown row key", head + states + "    colour: red\n", ":9: unknown key \"colour\""},
		{"unknown match key", head + "    match: {rolle: Primary}\n" + states, ":5: unknown key \"rolle\""},
		{"bad state name", head + "    copy_state: Brokn\n    sync_state: Broken\n    progress_status: Completed\n    role_reversed: false\n", `:5: unknown CopyState "Brokn"`},
		{"state not a scalar", head + "    copy_state: [4]\n    sync_state: Broken\n    progress_status: Completed\n    role_reversed: false\n", ":5: want a DMTF state name or number"},
		{"wrong type", head + "    copy_state: Broken\n    sync_state: Broken\n    progress_status: Completed\n    role_reversed: maybe\n", ":8: cannot unmarshal"},
		{"number out of range", head + "    copy_state: 70000\n    sync_state: Broken\n    progress_status: Completed\n    role_reversed: false\n", `:5: unknown CopyState "70000"`},
		{"missing state", head + "    sync_state: Broken\n    progress_status: Completed\n    role_reversed: false\n", ":2: row X: copy_state missing"},
		{"missing role_reversed", head + "    copy_state: Broken\n    sync_state: Broken\n    progress_status: Completed\n", ":2: row X: role_reversed missing"},
		{"bad array", "rows:\n  - id: X\n    table: x\n    array: both\n" + states, `:2: row X: array "both"`},
		{"missing id", "rows:\n  - table: x\n    array: either\n" + states, ":2: row without id"},
		{"repeated id", head + states + "  - id: X\n    table: x\n    array: either\n" + states, `:9: row id "X" repeated (first at line 2)`},
		{"no rows", "rows: []\n", ":1: no rows"},
		{"empty file", "", ":1: empty file"},
		{"not yaml", "rows: [\n", ":1: "},
		{"two documents", head + states + "---\nrows: []\n", ":9: more than one YAML document"},
		{"empty match word", head + "    match: {role: ''}\n" + states, ":2: row X: empty word in match"},
		{"any with other words", head + "    match: {target_status: [ready, any]}\n" + states, `:2: row X: target_status "ready, any": "any" stands alone`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, "user.yaml", c.text)
			_, err := LoadTable(p)
			if err == nil {
				t.Fatalf("no error; want %q", c.want)
			}
			var fe *yamlfile.FileError
			if !errors.As(err, &fe) || fe.File != p {
				t.Errorf("error %q is not a FileError naming %s", err, p)
			}
			if !strings.HasPrefix(err.Error(), p+":") || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
		})
	}
	if _, err := LoadTable(filepath.Join(t.TempDir(), "absent.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

// A huge user table falls back to scanning; results stay right.
func TestLargeUserTableScans(t *testing.T) {
	var b strings.Builder
	b.WriteString("rows:\n")
	for i := range 300 {
		b.WriteString("  - {id: U" + itoa(i) + ", table: u, array: either, match: {role: R" + itoa(i) + ", sync_status: S" + itoa(i) + "}, copy_state: 4, sync_state: 6, progress_status: 2, role_reversed: false}\n")
	}
	tab, err := ParseUserTable("big.yaml", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if tab.index != nil {
		t.Fatal("expected the scanning fallback for this size")
	}
	if got := ids(tab.Match(Observation{"R" + itoa(7), "S" + itoa(7), "", "Started"}, false)); !slices.Equal(got, []string{"U" + itoa(7)}) {
		t.Errorf("got %v", got)
	}
	for _, o := range []Observation{{"Primary-Rev", "Stopped", "failed", "Stopped"}, {"Primary-Rev", "Stopped", "", "Stopped"}, {"Secondary", "Synced", "ready", "Backup"}} {
		if got, want := ids(tab.Match(o, false)), ids(Default().Match(o, false)); !slices.Equal(got, want) {
			t.Errorf("default rows in a big table, %+v: %v, want %v", o, got, want)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func FuzzLoadTable(f *testing.F) {
	f.Add(defaultTableYAML)
	f.Add([]byte("rows:\n  - {id: X, table: x, array: either, copy_state: 4, sync_state: 6, progress_status: 2, role_reversed: false}\n"))
	f.Add([]byte("rows: [\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tab, err := ParseUserTable("fuzz.yaml", data)
		if err != nil {
			var fe *yamlfile.FileError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.yaml:") {
				t.Fatalf("error not naming the file: %v", err)
			}
			return
		}
		for _, r := range tab.Rows() {
			if got, ok := tab.Row(r.ID); !ok || got.ID != r.ID {
				t.Fatalf("row %q not found by id", r.ID)
			}
			role, sync := "", ""
			if len(r.Match.Role) > 0 {
				role = r.Match.Role[0]
			}
			if len(r.Match.SyncStatus) > 0 {
				sync = r.Match.SyncStatus[0]
			}
			tab.Match(Observation{Role: role, SyncStatus: sync}, false)
		}
	})
}

func BenchmarkMatch(b *testing.B) {
	tab := Default()
	obs := []Observation{
		{"Primary", "Synced", "ready", "Started"},
		{"Secondary", "Synced", "ready", "Started"},
		{"Primary-Rev", "Stopped", "failed", "Stopped"},
		{"Secondary", "Synced", "ready", "Backup"},
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tab.Match(obs[i%len(obs)], false)
	}
}
