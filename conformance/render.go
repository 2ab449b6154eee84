package conformance

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/internal/texttable"
	"github.com/threepar/rcopy-exporter/parser"
)

// Format is a report rendering.
type Format string

// Report formats (checker --format).
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatJUnit Format = "junit"
)

// Formats lists the formats, for flag help and validation.
var Formats = []string{string(FormatText), string(FormatJSON), string(FormatJUnit)}

// Write renders the report in the given format.
func Write(w io.Writer, r Report, f Format) error {
	switch f {
	case FormatText:
		return WriteText(w, r)
	case FormatJSON:
		return WriteJSON(w, r)
	case FormatJUnit:
		return WriteJUnit(w, r)
	}
	return fmt.Errorf("unknown format %q (want text, json or junit)", f)
}

type reportJSON struct {
	Conformant bool          `json:"conformant"`
	Findings   []findingJSON `json:"findings"`
}

type findingJSON struct {
	Step         string             `json:"step,omitempty"`
	Array        string             `json:"array"`
	Group        string             `json:"group"`
	Target       string             `json:"target"`
	Volume       string             `json:"volume"`
	Role         string             `json:"role"`
	SyncStatus   string             `json:"sync_status"`
	TargetStatus string             `json:"target_status"`
	Observed     *observedJSON      `json:"observed"`
	Expected     []expected.RowJSON `json:"expected"`
	Rows         []string           `json:"rows"`
	Verdict      Verdict            `json:"verdict"`
	Reason       string             `json:"reason,omitempty"`
}

// observedJSON is an observed triple; a NULL field is null, name and
// number alike.
type observedJSON struct {
	CopyState           *string `json:"copy_state"`
	SyncState           *string `json:"sync_state"`
	ProgressStatus      *string `json:"progress_status"`
	RoleReversed        *bool   `json:"role_reversed"`
	CopyStateValue      *uint16 `json:"copy_state_value"`
	SyncStateValue      *uint16 `json:"sync_state_value"`
	ProgressStatusValue *uint16 `json:"progress_status_value"`
}

func newObservedJSON(t ObservedTriple) *observedJSON {
	var o observedJSON
	if !t.Null.CopyState {
		o.CopyState, o.CopyStateValue = ptr(t.CopyState.String()), ptr(uint16(t.CopyState))
	}
	if !t.Null.SyncState {
		o.SyncState, o.SyncStateValue = ptr(t.SyncState.String()), ptr(uint16(t.SyncState))
	}
	if !t.Null.ProgressStatus {
		o.ProgressStatus, o.ProgressStatusValue = ptr(t.ProgressStatus.String()), ptr(uint16(t.ProgressStatus))
	}
	if !t.Null.RoleReversed {
		o.RoleReversed = ptr(t.RoleReversed)
	}
	return &o
}

func ptr[T any](v T) *T { return &v }

// MarshalJSON writes the check JSON contract (docs/checker.md): conformant and
// findings; each finding's observed is null when nothing was observed (a
// NULL field of an observed triple is null), expected holds the rows as
// `checker expect` prints them and rows their ids. step (multi-step runs)
// and reason (why, for a person) are omitted when empty.
func (r Report) MarshalJSON() ([]byte, error) { return json.Marshal(r.jsonForm()) }

// jsonForm is the report as plain structs: encoding those is several
// times faster than nesting MarshalJSON methods (a 2400-volume pair).
func (r Report) jsonForm() reportJSON {
	out := reportJSON{Conformant: r.Conformant, Findings: make([]findingJSON, len(r.Findings))}
	for i, f := range r.Findings {
		fj := findingJSON{
			Step: f.Step, Array: f.Array, Group: f.Group, Target: f.Target, Volume: f.Volume, Role: f.Role,
			SyncStatus: f.SyncStatus, TargetStatus: f.TargetStatus, Expected: make([]expected.RowJSON, len(f.Expected)),
			Rows: f.Rows(), Verdict: f.Verdict, Reason: f.Reason,
		}
		for j, row := range f.Expected {
			fj.Expected[j] = row.JSON()
		}
		if f.Observed != nil {
			fj.Observed = newObservedJSON(*f.Observed)
		}
		out.Findings[i] = fj
	}
	return out
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r.jsonForm())
}

// verdictOrder is the order of the summary line.
var verdictOrder = []Verdict{Match, Mismatch, NotInTable, NoObservation, PairInconsistent}

// Summary is the one-line outcome, e.g. "5 findings: 4 match, 1 mismatch;
// NOT CONFORMANT".
func (r Report) Summary() string {
	c := r.Counts()
	parts := make([]string, 0, len(verdictOrder))
	for _, v := range verdictOrder {
		if c[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[v], v))
		}
	}
	outcome := "CONFORMANT"
	if !r.Conformant {
		outcome = "NOT CONFORMANT"
	}
	if len(parts) == 0 {
		return "0 findings; " + outcome
	}
	return fmt.Sprintf("%d findings: %s; %s", len(r.Findings), strings.Join(parts, ", "), outcome)
}

// WriteText writes one aligned row per finding, verdict first, within
// texttable.Width columns: where it is (array, group, volume), what
// showrcopy shows (role/sync status/target status) and the table rows that
// apply (the nearest first). A finding that fails has a note under it: the
// CIM triple observed, a `*` on each field that differs from the nearest
// row, and that row's triple; or why it fails. A summary line ends the
// report. (The triples of every finding are in the JSON report.)
func WriteText(w io.Writer, r Report) error {
	w = PrintableText(w)
	steps := false
	for _, f := range r.Findings {
		if f.Step != "" {
			steps = true
			break
		}
	}
	head := []string{"VERDICT", "ARRAY", "GROUP", "VOLUME", "ROLE/SYNC/TARGET", "ROWS"}
	if steps {
		head = append([]string{head[0], "STEP"}, head[1:]...)
	}
	var t texttable.Table
	t.Row(head...)
	for _, f := range r.Findings {
		state := dash(f.Role) + "/" + dash(f.SyncStatus) + "/" + dash(f.TargetStatus)
		if f.Volume == PairVolume {
			state = dash(f.Role)
		}
		cells := []string{string(f.Verdict), f.Array, f.Group, f.Volume, state, rowsText(f)}
		if steps {
			cells = append([]string{cells[0], dash(f.Step)}, cells[1:]...)
		}
		t.Row(PrintableCells(cells)...)
		t.Note(parser.Printable(textNote(f)))
	}
	if err := t.Write(w, texttable.Width); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, r.Summary())
	return err
}

// rowsText is the ROWS cell: the nearest expected row, then the others.
func rowsText(f Finding) string {
	if f.Volume == PairVolume {
		return "-"
	}
	if len(f.Expected) == 0 {
		return "(no row)"
	}
	near := nearest(f.Expected, f.Observed, f.Matched)
	s := near.ID
	if near.Uncertain {
		s += " (uncertain)"
	}
	var others []string
	for _, r := range f.Expected {
		if r.ID != near.ID {
			others = append(others, r.ID)
		}
	}
	if len(others) > 0 {
		s += " (also " + strings.Join(others, ", ") + ")"
	}
	return s
}

// textNote is the line under a failing finding: the observed triple against
// the nearest row's, or the reason.
func textNote(f Finding) string {
	switch {
	case f.Verdict == Match || f.Verdict == NoObservation:
		return ""
	case f.Volume != PairVolume && f.Observed != nil && len(f.Expected) > 0:
		near := nearest(f.Expected, f.Observed, f.Matched)
		return "observed " + observedText(*f.Observed, &near.Triple) + "; " + near.ID + " expects " + tripleText(near.Triple, nil)
	}
	return f.Reason
}

// PrintableCells escapes the control characters of array-supplied text in
// table cells (parser.Printable) before the table is laid out, so that the
// escapes count in the columns' widths.
func PrintableCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = parser.Printable(c)
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// textCells returns the OBSERVED and EXPECTED cells of a finding.
func textCells(f Finding) (observed, expect string) {
	if f.Volume == PairVolume {
		return "-", f.Reason
	}
	if len(f.Expected) == 0 {
		expect = "(no row)"
	}
	var near expected.Row
	if len(f.Expected) > 0 {
		near = nearest(f.Expected, f.Observed, f.Matched)
		expect = near.ID
		if near.Uncertain {
			expect += " (uncertain)"
		}
		expect += " " + tripleText(near.Triple, nil)
		var others []string
		for _, r := range f.Expected {
			if r.ID != near.ID {
				others = append(others, r.ID)
			}
		}
		if len(others) > 0 {
			expect += " (also " + strings.Join(others, ", ") + ")"
		}
	}
	switch {
	case f.Observed == nil && f.Verdict == Mismatch:
		observed = "(not reported)"
	case f.Observed == nil:
		observed = "-"
	case len(f.Expected) == 0:
		observed = observedText(*f.Observed, nil)
	default:
		observed = observedText(*f.Observed, &near.Triple)
	}
	return observed, expect
}

// nearest is the matched row, or the row differing from the observation in
// the fewest fields, or the first row.
func nearest(rows []expected.Row, observed *ObservedTriple, matched string) expected.Row {
	best, bestDiff := rows[0], 5
	for _, r := range rows {
		if r.ID == matched {
			return r
		}
		if observed == nil {
			break
		}
		if d := len(differs(observed.Triple, r.Triple)); d < bestDiff {
			best, bestDiff = r, d
		}
	}
	return best
}

func differs(a, b expected.Triple) []bool {
	var d []bool
	for _, x := range []bool{a.CopyState != b.CopyState, a.SyncState != b.SyncState, a.ProgressStatus != b.ProgressStatus, a.RoleReversed != b.RoleReversed} {
		if x {
			d = append(d, x)
		}
	}
	return d
}

// tripleText prints "CopyState/SyncState/ProgressStatus/RR=bool", marking
// with `*` each field that differs from against (when given).
func tripleText(t expected.Triple, against *expected.Triple) string {
	mark := func(s string, differ bool) string {
		s = strings.ReplaceAll(s, " ", "_") // keep the cell one token wide
		if differ {
			return s + "*"
		}
		return s
	}
	var a expected.Triple
	if against != nil {
		a = *against
	}
	cmp := against != nil
	return strings.Join([]string{
		mark(t.CopyState.String(), cmp && t.CopyState != a.CopyState),
		mark(t.SyncState.String(), cmp && t.SyncState != a.SyncState),
		mark(t.ProgressStatus.String(), cmp && t.ProgressStatus != a.ProgressStatus),
		mark(fmt.Sprintf("RR=%t", t.RoleReversed), cmp && t.RoleReversed != a.RoleReversed),
	}, "/")
}

// observedText is tripleText for an observed triple: NULL fields print
// NULL and always differ.
func observedText(t ObservedTriple, against *expected.Triple) string {
	if t.Complete() {
		return tripleText(t.Triple, against)
	}
	c, s, p, r := t.Names()
	parts := strings.Split(tripleText(t.Triple, against), "/")
	for i, null := range []bool{t.Null.CopyState, t.Null.SyncState, t.Null.ProgressStatus, t.Null.RoleReversed} {
		if null {
			parts[i] = []string{c, s, p, "RR=" + r}[i]
			if against != nil {
				parts[i] += "*"
			}
		}
	}
	return strings.Join(parts, "/")
}

// JUnit XML, the subset Jenkins and GitLab read.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Classname string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Type    string `xml:"type,attr,omitempty"`
	Message string `xml:"message,attr"`
	Text    string `xml:",cdata"`
}

type junitText struct {
	Text string `xml:",cdata"`
}

// WriteJUnit writes JUnit XML: one testsuite per array (and step), with one
// testcase per volume (classname = group, name = volume), and a testsuite
// per array pair with one testcase per group pair. mismatch and
// pair_inconsistent are failures; no_observation and not_in_table are
// skipped (nothing was checked); match passes.
func WriteJUnit(w io.Writer, r Report) error {
	root := junitSuites{Name: "rcopy conformance"}
	index := map[string]int{}
	for _, f := range r.Findings {
		name := f.Array
		if f.Step != "" {
			name = f.Step + ": " + f.Array
		}
		i, ok := index[name]
		if !ok {
			i = len(root.Suites)
			index[name] = i
			root.Suites = append(root.Suites, junitSuite{Name: name})
		}
		s := &root.Suites[i]
		observed, expect := textCells(f)
		c := junitCase{Classname: f.Group, Name: f.Volume}
		detail := fmt.Sprintf("role %s, sync status %s, target %s\nobserved: %s\nexpected: %s\n%s",
			dash(f.Role), dash(f.SyncStatus), dash(f.TargetStatus), observed, expect, f.Reason)
		if f.Volume == PairVolume {
			detail = "roles " + dash(f.Role) + ": " + f.Reason
		}
		switch {
		case f.Verdict.Fails(r.Strict):
			c.Failure = &junitMessage{Type: string(f.Verdict), Message: string(f.Verdict) + ": " + f.Reason, Text: detail}
			s.Failures++
		case f.Verdict == NotInTable || f.Verdict == NoObservation:
			c.Skipped = &junitMessage{Message: string(f.Verdict) + ": " + f.Reason}
			s.Skipped++
		default:
			c.SystemOut = &junitText{detail}
		}
		if f.Volume == PairVolume {
			c.Name = "pair roles " + f.Role
		}
		s.Tests++
		s.Cases = append(s.Cases, c)
	}
	for _, s := range root.Suites {
		root.Tests += s.Tests
		root.Failures += s.Failures
		root.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(root); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// PrintableText returns a writer that writes what it is given with every
// control character but newline and tab written as a Go escape
// (parser.Printable): names and reasons in a text report come from the
// array, and an ESC, BEL or NUL in them must not reach the reader's
// terminal.
func PrintableText(w io.Writer) io.Writer { return printableWriter{w} }

type printableWriter struct{ w io.Writer }

func (p printableWriter) Write(b []byte) (int, error) {
	s := string(b)
	var out strings.Builder
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' || s[i] == '\t' {
			out.WriteString(parser.Printable(s[start:i]))
			out.WriteByte(s[i])
			start = i + 1
		}
	}
	out.WriteString(parser.Printable(s[start:]))
	if _, err := io.WriteString(p.w, out.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}
