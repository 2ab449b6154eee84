package expected

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
)

//go:embed tables.yaml
var defaultTableYAML []byte

// Which array of the pair a row describes, by natural (configured) role.
const (
	ArrayPrimary   = "primary"
	ArraySecondary = "secondary"
	ArrayEither    = "either"
)

// Source says where in the vendor's manual a row comes from. Page 0 means
// the page is not known.
type Source struct {
	Edition string `yaml:"edition" json:"edition"`
	Table   string `yaml:"table" json:"table"`
	Page    int    `yaml:"page" json:"page,omitempty"`
}

// Words is a set of accepted values of one match key. Empty means any value.
// Comparison ignores case.
type Words []string

// Contains reports whether w is empty (any value) or holds s, ignoring case.
func (ws Words) Contains(s string) bool {
	if len(ws) == 0 {
		return true
	}
	for _, w := range ws {
		if strings.EqualFold(w, s) {
			return true
		}
	}
	return false
}

// MatchKeys are the showrcopy facts a row applies to. Each empty key matches
// any value. TargetStatus is the row's link condition: failed (link down),
// ready (link up) or any (the word AnyTarget, or absent); an observation
// whose target status is unknown matches every link condition. GroupStatus
// is exclusive: a group whose status some row names matches only the rows
// naming it (see Table.Match).
type MatchKeys struct {
	Role         Words `yaml:"role" json:"role,omitempty"`
	SyncStatus   Words `yaml:"sync_status" json:"sync_status,omitempty"`
	TargetStatus Words `yaml:"target_status" json:"target_status,omitempty"`
	GroupStatus  Words `yaml:"group_status" json:"group_status,omitempty"`
}

// Row is one row of the state tables: when it applies and the CIM triple the
// array must report then.
type Row struct {
	ID    string // the reference's id: T109-synced, T110-3b, SLD-backup, ...
	Table string // "109", "110" or "SLD" (user rows: whatever they say)
	Event string // the manual's text for the situation
	Array string // ArrayPrimary, ArraySecondary or ArrayEither
	Match MatchKeys
	Triple
	// Uncertain rows come from text that cannot be read with certainty; a
	// strict check leaves them out. The built-in tables have none since
	// T110-3b was read with the manual's prose; a user table may mark rows.
	Uncertain bool
	Note      string
	Source    Source
}

// RowJSON is a row as `checker expect` prints it: the checker's JSON
// contract (state names as in the DMTF lists, their numbers beside them)
// plus event, array and note.
type RowJSON struct {
	Table               string `json:"table"`
	Row                 string `json:"row"`
	CopyState           string `json:"copy_state"`
	SyncState           string `json:"sync_state"`
	ProgressStatus      string `json:"progress_status"`
	RoleReversed        bool   `json:"role_reversed"`
	Uncertain           bool   `json:"uncertain"`
	CopyStateValue      uint16 `json:"copy_state_value"`
	SyncStateValue      uint16 `json:"sync_state_value"`
	ProgressStatusValue uint16 `json:"progress_status_value"`
	Event               string `json:"event"`
	Array               string `json:"array"`
	Note                string `json:"note,omitempty"`
}

// MarshalJSON writes the row as `checker expect` prints it (RowJSON).
func (r Row) MarshalJSON() ([]byte, error) { return json.Marshal(r.JSON()) }

// JSON returns the row in its printed form.
func (r Row) JSON() RowJSON {
	return RowJSON{
		Table: r.Table, Row: r.ID,
		CopyState: r.CopyState.String(), SyncState: r.SyncState.String(),
		ProgressStatus: r.ProgressStatus.String(), RoleReversed: r.RoleReversed,
		Uncertain:      r.Uncertain,
		CopyStateValue: uint16(r.CopyState), SyncStateValue: uint16(r.SyncState),
		ProgressStatusValue: uint16(r.ProgressStatus),
		Event:               r.Event, Array: r.Array, Note: r.Note,
	}
}

// Observation is what showrcopy says about one volume on one array.
type Observation struct {
	Role         string // the group's Role
	SyncStatus   string // the volume's SyncStatus
	TargetStatus string // status of the group's target; "" = unknown (no target section)
	GroupStatus  string // the group's Status (Started, Stopped, Backup, ...)
}

// TargetUnknown is the target status of an observation whose output had no
// target section; an Observation's empty TargetStatus means the same. It
// matches every row whatever its link condition: nothing is known about
// the link, so nothing is excluded.
const TargetUnknown = "unknown"

// AnyTarget is the link condition of a row that applies whatever the
// target status (the same as leaving target_status out).
const AnyTarget = "any"

// Link conditions of the reference ("Which rows apply to an observation").
const (
	TargetReady  = "ready"  // link up
	TargetFailed = "failed" // link down
)

// Table is a validated set of rows with a precomputed match index. It is
// immutable and safe for concurrent use.
type Table struct {
	rows []Row
	byID map[string]int

	dims  [4]dimension // role, sync status, target status, group status
	index [][]Row      // nil when the index would be too large: Match scans
	// claimedGroups[g] is true when some row names group status g.
	claimedGroups []bool
	// rowKeys[r][d] are the dimension-d indexes row r names (nil = any).
	rowKeys [][4][]int
}

// dimension numbers the values one match key takes in the table; 0 stands
// for every value no row names.
type dimension struct {
	values []string       // index -> canonical spelling; values[0] = ""
	exact  map[string]int // spelling as given -> index
	folded map[string]int // lower case -> index
}

func (d *dimension) add(w string) {
	f := strings.ToLower(w)
	if _, ok := d.folded[f]; ok {
		return
	}
	d.folded[f] = len(d.values)
	d.exact[w] = len(d.values)
	d.values = append(d.values, w)
}

func (d *dimension) lookup(s string) int {
	if i, ok := d.exact[s]; ok {
		return i
	}
	s = strings.TrimSpace(s)
	if len(d.values) <= 16 { // the usual case: compare without allocating
		for i := 1; i < len(d.values); i++ {
			if strings.EqualFold(d.values[i], s) {
				return i
			}
		}
		return 0
	}
	return d.folded[strings.ToLower(s)] // 0 when absent
}

// maxIndexEntries bounds the precomputed index; beyond it (only a huge user
// table gets there) Match scans the rows instead.
const maxIndexEntries = 1 << 16

func newTable(rows []Row) *Table {
	t := &Table{rows: rows, byID: make(map[string]int, len(rows))}
	for i, r := range rows {
		t.byID[r.ID] = i
	}
	for d := range t.dims {
		t.dims[d] = dimension{values: []string{""}, exact: map[string]int{}, folded: map[string]int{}}
	}
	t.dims[2].add(TargetUnknown)
	for _, r := range rows {
		for d, ws := range r.Match.keys() {
			for _, w := range ws {
				t.dims[d].add(w)
			}
		}
	}
	t.claimedGroups = make([]bool, len(t.dims[3].values))
	t.rowKeys = make([][4][]int, len(rows))
	for i, r := range rows {
		for d, ws := range r.Match.keys() {
			if d == 2 && r.Match.anyTarget() {
				continue // no link condition
			}
			for _, w := range ws {
				t.rowKeys[i][d] = append(t.rowKeys[i][d], t.dims[d].lookup(w))
			}
		}
		for _, g := range t.rowKeys[i][3] {
			t.claimedGroups[g] = true
		}
	}
	n := 2
	for _, d := range t.dims {
		n *= len(d.values)
		if n > maxIndexEntries {
			return t
		}
	}
	t.index = make([][]Row, n)
	shared := map[string][]Row{} // equal results share one slice
	for i := range t.index {
		rest := i
		var at [4]int
		strict := rest%2 == 1
		rest /= 2
		for d := len(t.dims) - 1; d >= 0; d-- {
			at[d] = rest % len(t.dims[d].values)
			rest /= len(t.dims[d].values)
		}
		rows := t.scan(at, strict)
		var key strings.Builder
		for _, r := range rows {
			key.WriteString(r.ID)
			key.WriteByte(0)
		}
		if prev, ok := shared[key.String()]; ok {
			rows = prev
		} else {
			shared[key.String()] = rows
		}
		t.index[i] = rows
	}
	return t
}

func (m MatchKeys) keys() [4]Words {
	ts := m.TargetStatus
	if m.anyTarget() {
		ts = nil
	}
	return [4]Words{m.Role, m.SyncStatus, ts, m.GroupStatus}
}

// anyTarget reports whether the row has no link condition.
func (m MatchKeys) anyTarget() bool {
	return len(m.TargetStatus) == 0 || (len(m.TargetStatus) == 1 && strings.EqualFold(strings.TrimSpace(m.TargetStatus[0]), AnyTarget))
}

// scan is the matching rule itself, on dimension indexes.
func (t *Table) scan(at [4]int, strict bool) []Row {
	var out []Row
	unknownTarget := at[2] == t.dims[2].lookup(TargetUnknown)
	for i, r := range t.rows {
		if strict && r.Uncertain {
			continue
		}
		ok := true
		for d, named := range t.rowKeys[i] {
			if d == 3 && len(named) == 0 && t.claimedGroups[at[3]] {
				ok = false // a claimed group status matches only rows naming it
				break
			}
			if d == 2 && unknownTarget {
				continue // an unknown target status excludes no link condition
			}
			if len(named) > 0 && (at[d] == 0 || !slices.Contains(named, at[d])) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, r)
		}
	}
	return out
}

// Match returns the rows that apply to an observation, following the
// reference's "Which rows apply to an observation" (link-aware): the rows
// whose role, sync status and link condition (target status failed, ready
// or any) cover the observation, a target status "unknown" (or "")
// matching every link condition; a group in Backup status gets only the
// rows naming Backup (the Synchronous Long Distance row, with role
// Secondary). strict leaves uncertain rows out. An empty result means the
// combination is not in the tables.
//
// Match is cheap (a few map lookups, no allocation for the spellings the
// table uses) and the returned slice is shared: callers must not modify it.
func (t *Table) Match(o Observation, strict bool) []Row {
	target := o.TargetStatus
	if target == "" {
		target = TargetUnknown
	}
	at := [4]int{t.dims[0].lookup(o.Role), t.dims[1].lookup(o.SyncStatus), t.dims[2].lookup(target), t.dims[3].lookup(o.GroupStatus)}
	if t.index == nil {
		return t.scan(at, strict)
	}
	i := 0
	for d := range t.dims {
		i = i*len(t.dims[d].values) + at[d]
	}
	i *= 2
	if strict {
		i++
	}
	return t.index[i]
}

// KnownRoles returns the roles some row names, in table order.
func (t *Table) KnownRoles() []string { return slices.Clone(t.dims[0].values[1:]) }

// KnownSyncStatuses returns the sync statuses some row names, in table order.
func (t *Table) KnownSyncStatuses() []string { return slices.Clone(t.dims[1].values[1:]) }

// Row returns the row with the given id.
func (t *Table) Row(id string) (Row, bool) {
	i, ok := t.byID[id]
	if !ok {
		return Row{}, false
	}
	return t.rows[i], true
}

// Rows returns all rows in table order (a copy).
func (t *Table) Rows() []Row {
	return append([]Row(nil), t.rows...)
}

// Conforms reports the first of rows whose triple equals observed.
func Conforms(rows []Row, observed Triple) (Row, bool) {
	for _, r := range rows {
		if r.Triple == observed {
			return r, true
		}
	}
	return Row{}, false
}

var (
	defaultOnce  sync.Once
	defaultTable *Table
)

// Default returns the built-in tables (parsed once; shared, immutable).
func Default() *Table {
	defaultOnce.Do(func() {
		rows, err := parseRows("tables.yaml", defaultTableYAML)
		if err != nil {
			panic("expected: built-in tables.yaml is invalid: " + err.Error()) // a build defect, caught by tests
		}
		defaultTable = newTable(rows)
	})
	return defaultTable
}

// LoadTable returns the built-in rows overridden and extended by the user
// file at path (same schema as tables.yaml): a row whose id exists replaces
// it in place, a new id is appended. Errors read "FILE:LINE: msg".
func LoadTable(path string) (*Table, error) {
	data, err := safefile.Read(path, safefile.MaxTable)
	if err != nil {
		return nil, err
	}
	return ParseUserTable(path, data)
}

// ParseUserTable is LoadTable on bytes already read; name is used in errors.
func ParseUserTable(name string, data []byte) (*Table, error) {
	user, err := parseRows(name, data)
	if err != nil {
		return nil, err
	}
	rows := Default().Rows()
	for _, u := range user {
		if i, ok := Default().byID[u.ID]; ok {
			rows[i] = u
		} else {
			rows = append(rows, u)
		}
	}
	return newTable(rows), nil
}

// tableFile is the YAML schema of tables.yaml and of user tables.
type tableFile struct {
	Rows []rowFile `yaml:"rows"`
}

type rowFile struct {
	ID             string          `yaml:"id"`
	Table          string          `yaml:"table"`
	Event          string          `yaml:"event"`
	Array          string          `yaml:"array"`
	Match          MatchKeys       `yaml:"match"`
	CopyState      *CopyState      `yaml:"copy_state"`
	SyncState      *SyncState      `yaml:"sync_state"`
	ProgressStatus *ProgressStatus `yaml:"progress_status"`
	RoleReversed   *bool           `yaml:"role_reversed"`
	Uncertain      bool            `yaml:"uncertain"`
	Note           string          `yaml:"note"`
	Source         Source          `yaml:"source"`
}

func parseRows(name string, data []byte) (rows []Row, err error) {
	var f tableFile
	if err := yamlfile.DecodeStrict(name, data, &f); err != nil {
		return nil, err
	}
	lines := yamlfile.ItemLines(data, "rows")
	lineOf := func(i int) int {
		if i < len(lines) {
			return lines[i]
		}
		return 0
	}
	if len(f.Rows) == 0 {
		return nil, &yamlfile.FileError{File: name, Line: 1, Msg: "no rows (want `rows:` with at least one row)"}
	}
	seen := map[string]int{}
	for i, rf := range f.Rows {
		bad := func(format string, args ...any) error {
			return &yamlfile.FileError{File: name, Line: lineOf(i), Msg: fmt.Sprintf(format, args...)}
		}
		id := strings.TrimSpace(rf.ID)
		switch {
		case id == "":
			return nil, bad("row without id")
		case seen[id] > 0:
			return nil, bad("row id %q repeated (first at line %d)", id, seen[id])
		case strings.TrimSpace(rf.Table) == "":
			return nil, bad("row %s: table missing", id)
		case rf.Array != ArrayPrimary && rf.Array != ArraySecondary && rf.Array != ArrayEither:
			return nil, bad("row %s: array %q (want primary, secondary or either)", id, rf.Array)
		case rf.CopyState == nil:
			return nil, bad("row %s: copy_state missing", id)
		case rf.SyncState == nil:
			return nil, bad("row %s: sync_state missing", id)
		case rf.ProgressStatus == nil:
			return nil, bad("row %s: progress_status missing", id)
		case rf.RoleReversed == nil:
			return nil, bad("row %s: role_reversed missing", id)
		}
		for _, ws := range [4]Words{rf.Match.Role, rf.Match.SyncStatus, rf.Match.TargetStatus, rf.Match.GroupStatus} {
			for _, w := range ws {
				if strings.TrimSpace(w) == "" {
					return nil, bad("row %s: empty word in match", id)
				}
			}
		}
		if len(rf.Match.TargetStatus) > 1 && slices.ContainsFunc(rf.Match.TargetStatus, func(w string) bool { return strings.EqualFold(strings.TrimSpace(w), AnyTarget) }) {
			return nil, bad("row %s: target_status %q: %q stands alone (it means any status)", id, strings.Join(rf.Match.TargetStatus, ", "), AnyTarget)
		}
		seen[id] = max(lineOf(i), 1)
		rows = append(rows, Row{
			ID: id, Table: rf.Table, Event: rf.Event, Array: rf.Array, Match: rf.Match,
			Triple:    Triple{*rf.CopyState, *rf.SyncState, *rf.ProgressStatus, *rf.RoleReversed},
			Uncertain: rf.Uncertain, Note: rf.Note, Source: rf.Source,
		})
	}
	return rows, nil
}

// UnmarshalYAML accepts one word or a list of words.
func (ws *Words) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		*ws = Words{n.Value}
		return nil
	case yaml.SequenceNode:
		out := make(Words, 0, len(n.Content))
		for _, it := range n.Content {
			if it.Kind != yaml.ScalarNode {
				return typeError(it, "want a word")
			}
			out = append(out, it.Value)
		}
		*ws = out
		return nil
	}
	return typeError(n, "want a word or a list of words")
}

// typeError is how a custom unmarshaler reports an error so that the YAML
// library keeps its line ("line N: msg").
func typeError(n *yaml.Node, msg string) error {
	return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: %s", n.Line, msg)}}
}

func scalarState(n *yaml.Node, parse func(string) error) error {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int") {
		return typeError(n, "want a DMTF state name or number")
	}
	if err := parse(n.Value); err != nil {
		return typeError(n, err.Error())
	}
	return nil
}

// UnmarshalYAML accepts a DMTF name (either spelling) or a number.
func (c *CopyState) UnmarshalYAML(n *yaml.Node) error {
	return scalarState(n, func(s string) error { return c.UnmarshalText([]byte(s)) })
}

// UnmarshalYAML accepts a DMTF name (either spelling) or a number.
func (s *SyncState) UnmarshalYAML(n *yaml.Node) error {
	return scalarState(n, func(v string) error { return s.UnmarshalText([]byte(v)) })
}

// UnmarshalYAML accepts a DMTF name (either spelling) or a number.
func (p *ProgressStatus) UnmarshalYAML(n *yaml.Node) error {
	return scalarState(n, func(s string) error { return p.UnmarshalText([]byte(s)) })
}
