package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/internal/texttable"
	"github.com/threepar/rcopy-exporter/parser"
)

// Write renders the report: text (a per-step table), json, or junit (one
// testcase per step, array and volume, and per pair check).
func Write(w io.Writer, r *Report, f conformance.Format) error {
	switch f {
	case conformance.FormatText:
		return WriteText(w, r)
	case conformance.FormatJSON:
		return WriteJSON(w, r)
	case conformance.FormatJUnit:
		return conformance.WriteJUnit(w, r.Findings())
	}
	return fmt.Errorf("unknown format %q (want text, json or junit)", f)
}

type reportJSON struct {
	Conformant      bool           `json:"conformant"`
	Primary         string         `json:"primary"`
	Secondary       string         `json:"secondary"`
	Groups          []string       `json:"groups"`
	SecondaryGroups []string       `json:"secondary_groups"`
	Third           string         `json:"third,omitempty"`
	ThirdGroups     []string       `json:"third_groups,omitempty"`
	FirstFailure    *Failure       `json:"first_failure"`
	Stopped         string         `json:"stopped,omitempty"`
	Recovery        []RecoveryStep `json:"recovery,omitempty"`
	Steps           []stepJSON     `json:"steps"`
}

type stepJSON struct {
	Name       string          `json:"name"`
	Title      string          `json:"title"`
	Action     string          `json:"action"`
	Rows       []string        `json:"rows"`
	Observed   bool            `json:"observed"`
	Outcome    string          `json:"outcome,omitempty"`
	Conformant bool            `json:"conformant"`
	Note       string          `json:"note,omitempty"`
	ElapsedSec float64         `json:"elapsed_seconds"`
	Findings   json.RawMessage `json:"findings"`
}

// MarshalJSON writes the walk as the check report extended with steps:
// {"conformant", "primary", "secondary", "groups", "secondary_groups",
// "third"?, "third_groups"? (a trio), "first_failure", "stopped"?,
// "recovery"?, "steps": [{"name", "title",
// "action", "rows", "observed", "outcome"?, "conformant", "note"?, "elapsed_seconds",
// "findings": [check findings]}]}.
func (r *Report) MarshalJSON() ([]byte, error) {
	out := reportJSON{Conformant: r.Conformant, Primary: r.Primary, Secondary: r.Secondary,
		Groups: nonNil(r.Groups), SecondaryGroups: nonNil(r.SecondaryGroups), Third: r.Third, ThirdGroups: r.ThirdGroups, Stopped: r.Stopped,
		Recovery: r.Recovery(), Steps: []stepJSON{}}
	if f, ok := r.FirstFailure(); ok {
		out.FirstFailure = &f
	}
	for _, s := range r.Steps {
		b, err := json.Marshal(conformance.Report{Conformant: s.Conformant, Findings: nonNilFindings(s.Findings)})
		if err != nil {
			return nil, err
		}
		var inner struct {
			Findings json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(b, &inner); err != nil {
			return nil, err
		}
		action := s.Action.String()
		if c := r.command(s.Action); c != "" {
			action = c
		}
		out.Steps = append(out.Steps, stepJSON{Name: s.Name, Title: s.Title, Action: action, Rows: nonNil(s.AllRows()),
			Observed: s.Observed, Outcome: s.Outcome, Conformant: s.Conformant, Note: s.Note, ElapsedSec: s.Elapsed.Seconds(),
			Findings: inner.Findings})
	}
	return json.Marshal(out)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func nonNilFindings(fs []conformance.Finding) []conformance.Finding {
	if fs == nil {
		return []conformance.Finding{}
	}
	return fs
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, r *Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes the per-step table a person reads at a glance, the
// failing findings under it, the first failure, and (when the walk stopped
// early) the commands that bring the pair back; every line within
// texttable.Width columns.
func WriteText(w io.Writer, r *Report) error {
	w = conformance.PrintableText(w)
	para := func(first, indent, text string) {
		_ = texttable.Paragraph(w, texttable.Width, first, indent, parser.Printable(text))
	}
	third := ""
	head := []string{"#", "STEP", "EXPECTED ROWS", strings.ToUpper(r.Primary), strings.ToUpper(r.Secondary)}
	if r.Third != "" {
		third = ", " + r.Third + " (periodic secondary, Synchronous Long Distance)"
		head = append(head, strings.ToUpper(r.Third))
	}
	para("", "  ", fmt.Sprintf("Disaster-recovery walk: %s (natural primary) -> %s (natural secondary)%s; groups %s",
		r.Primary, r.Secondary, third, strings.Join(r.Groups, ", ")))
	fmt.Fprintln(w)
	rows := [][]string{append(head, "PAIR", "RESULT")}
	for i, s := range r.Steps {
		result := "PASS"
		switch {
		case !s.Conformant:
			result = "FAIL"
		case !s.Observed:
			result = "not observed"
		}
		row := []string{strconv.Itoa(i + 1), s.Name, rowsCell(s), arrayCell(s, r.Primary, Primary, r.Strict),
			arrayCell(s, r.Secondary, Secondary, r.Strict)}
		if r.Third != "" {
			row = append(row, arrayCell(s, r.Third, Third, r.Strict))
		}
		rows = append(rows, append(row, pairCell(s, r.Strict), result))
	}
	if err := writeTable(w, rows); err != nil {
		return err
	}
	notes := false
	for i, s := range r.Steps {
		if s.Note != "" && !strings.HasPrefix(s.Note, actionFailedPrefix) {
			if !notes {
				fmt.Fprintln(w)
				notes = true
			}
			para("", "  ", fmt.Sprintf("step %d %s: %s", i+1, s.Name, s.Note))
		}
	}
	if !r.Conformant {
		fmt.Fprintln(w, "\nWhat did not conform (volumes with the same state and reason together):")
		for i, s := range r.Steps {
			for _, l := range failureLines(s.Findings, r.Strict) {
				para("", "    ", fmt.Sprintf("step %d %s, %s, %s: %s", i+1, s.Name, l.array, l.state, l.verdict))
				what := "volumes: "
				if l.pair {
					what = "groups: "
				}
				para("    "+what, "    "+strings.Repeat(" ", len(what)), l.volumes())
				para("    why: ", "         ", l.reason)
			}
		}
	}
	writeRowsShown(w, r)
	fmt.Fprintln(w)
	if f, ok := r.FirstFailure(); ok {
		where := f.Array
		if f.Group != "" {
			where += " group " + f.Group
		}
		if f.Volume != "" {
			where += " volume " + f.Volume
		}
		para("FIRST FAILURE: ", "  ", fmt.Sprintf("step %s (rows %s), %s: %s", f.Step, f.Rows, where, f.Reason))
	}
	if r.Stopped != "" {
		para("", "  ", fmt.Sprintf("The walk %s.", r.Stopped))
	}
	if rec := r.Recovery(); len(rec) > 0 {
		fmt.Fprintln(w)
		para("", "", fmt.Sprintf("To bring the pair back to its natural direction (%s primary), from where the walk ended:", r.Primary))
		WriteRecovery(w, rec)
	}
	passed := 0
	for _, s := range r.Steps {
		if s.Conformant {
			passed++
		}
	}
	outcome := "CONFORMANT"
	if !r.Conformant {
		outcome = "NOT CONFORMANT"
	}
	_, err := fmt.Fprintf(w, "%d of %d steps walked, %d conform; %s\n", len(r.Steps), r.Planned, passed, outcome)
	return err
}

func rowsCell(s StepResult) string {
	var parts []string
	for _, side := range []Side{Primary, Secondary, Third} {
		if rows := s.Rows(side); len(rows) > 0 {
			parts = append(parts, strings.ToUpper(side.String()[:1])+":"+strings.Join(rows, "|"))
		}
	}
	return strings.Join(parts, " ")
}

// writeRowsShown lists, per table row, the steps at which some volume
// matched it (its CIM triple read and found to be the row's): which step
// showed which row. Nothing when no volume matched (CIM not read).
func writeRowsShown(w io.Writer, r *Report) {
	steps := map[string][]string{}
	var order []string
	for i, s := range r.Steps {
		for _, f := range s.Findings {
			if f.Verdict != conformance.Match || f.Matched == "" || f.Volume == conformance.PairVolume {
				continue
			}
			n := fmt.Sprint(i + 1)
			ids := steps[f.Matched]
			if len(ids) == 0 {
				order = append(order, f.Matched)
			}
			if len(ids) == 0 || ids[len(ids)-1] != n {
				steps[f.Matched] = append(ids, n)
			}
		}
	}
	if len(order) == 0 {
		return
	}
	fmt.Fprintf(w, "\nRows shown (%d; row: the steps where a volume matched it):\n", len(order))
	var rows [][]string
	for _, id := range order {
		rows = append(rows, []string{"", id, strings.Join(steps[id], " ")}) // the empty column indents
	}
	_ = writeTable(w, rows)
}

// command is the CLI command of a setrcopygroup action as the walk issues
// it on the secondary ("" for other actions).
func (r *Report) command(a Action) string { return a.CommandTo(r.CommandTarget, r.SecondaryGroups) }

// arrayCell sums up one array's findings in a step: the rows its volumes
// matched ("T110-3 x4"), or how many failed.
func arrayCell(s StepResult, name string, side Side, strict bool) string {
	if !s.Observes(side) {
		return "(down)"
	}
	if !s.Observed {
		return "-"
	}
	var n, failed, noCIM, notIn int
	counts := map[string]int{}
	var order []string
	for _, f := range s.Findings {
		if f.Array != name || f.Volume == conformance.PairVolume {
			continue
		}
		n++
		switch {
		case f.Verdict.Fails(strict):
			failed++
		case f.Verdict == conformance.NoObservation:
			noCIM++
		case f.Verdict == conformance.NotInTable:
			notIn++
		case f.Matched != "":
			if counts[f.Matched] == 0 {
				order = append(order, f.Matched)
			}
			counts[f.Matched]++
		}
	}
	if n == 0 {
		return "-"
	}
	if failed > 0 {
		return fmt.Sprintf("FAIL %d of %d", failed, n)
	}
	var parts []string
	for _, id := range order {
		parts = append(parts, fmt.Sprintf("%s x%d", id, counts[id]))
	}
	if noCIM > 0 {
		parts = append(parts, fmt.Sprintf("%d no CIM", noCIM))
	}
	if notIn > 0 {
		parts = append(parts, fmt.Sprintf("%d not in table", notIn))
	}
	return strings.Join(parts, ", ")
}

func pairCell(s StepResult, strict bool) string {
	var n, failed int
	for _, f := range s.Findings {
		if f.Volume == conformance.PairVolume {
			n++
			if f.Verdict.Fails(strict) {
				failed++
			}
		}
	}
	switch {
	case n == 0:
		return "-"
	case failed > 0:
		return fmt.Sprintf("FAIL %d of %d", failed, n)
	}
	return "ok"
}

// RecoveryStep is one thing to do to bring the pair back.
type RecoveryStep struct {
	Array   string `json:"array"`
	Command string `json:"command,omitempty"` // a CLI command to run on Array
	Do      string `json:"do,omitempty"`      // a physical action or a check
}

// Recovery lists what brings the pair back to its natural direction from
// where the walk ended; empty when the walk ended there.
func (r *Report) Recovery() []RecoveryStep {
	var out []RecoveryStep
	for i, a := range r.Back {
		switch a {
		case Reconnect:
			out = append(out, RecoveryStep{Array: r.Primary, Do: "bring " + r.Primary + " back (power, remote copy links); wait until `showrcopy targets` on " + r.Secondary + " shows it ready"})
			if i == len(r.Back)-1 {
				for _, g := range r.Groups {
					out = append(out, RecoveryStep{Array: r.Primary, Command: "startrcopygroup " + g,
						Do: "only if the group stays Stopped (groups without auto_recover)"})
				}
			}
		case Recover:
			out = append(out, RecoveryStep{Array: r.Secondary, Command: r.command(a),
				Do: "then wait until `showrcopy groups` on " + r.Secondary + " shows the volumes Synced"})
		case Restore:
			out = append(out, RecoveryStep{Array: r.Secondary, Command: r.command(a),
				Do: "then wait until " + r.Primary + " shows the groups Primary and Synced"})
		}
	}
	return out
}

// WriteRecovery prints recovery steps, one numbered line each, within
// texttable.Width columns: a comment (# ...) that does not fit after its
// command goes on the next lines, so that the command line stays whole.
func WriteRecovery(w io.Writer, steps []RecoveryStep) {
	w = conformance.PrintableText(w)
	for i, s := range steps {
		number := fmt.Sprintf("  %d. ", i+1)
		indent := strings.Repeat(" ", len(number))
		switch {
		case s.Command != "" && s.Do != "":
			line := fmt.Sprintf("%son %s: %s   # %s", number, s.Array, s.Command, s.Do)
			if utf8.RuneCountInString(line) <= texttable.Width {
				fmt.Fprintln(w, line)
				break
			}
			fmt.Fprintf(w, "%son %s: %s\n", number, s.Array, s.Command)
			_ = texttable.Paragraph(w, texttable.Width, indent+"# ", indent+"# ", s.Do)
		case s.Command != "":
			fmt.Fprintf(w, "%son %s: %s\n", number, s.Array, s.Command)
		default:
			_ = texttable.Paragraph(w, texttable.Width, number, indent, s.Do)
		}
	}
}

// WritePlan prints the steps a walk will take, with the commands it will
// issue and the rows each step must show.
func WritePlan(w io.Writer, steps []Step, primary, secondary string, groups, secondaryGroups []string) {
	w = conformance.PrintableText(w)
	_ = texttable.Paragraph(w, texttable.Width, "", "  ", parser.Printable(fmt.Sprintf("Plan: disaster-recovery walk of %s (natural primary) -> %s (natural secondary), groups %s",
		primary, secondary, strings.Join(groups, ", "))))
	var t texttable.Table
	t.Whole(2) // the commands the drill will issue, whole
	t.Row("#", "STEP", "ACTION", "THEN EXPECT")
	for i, s := range steps {
		t.Row(conformance.PrintableCells([]string{strconv.Itoa(i + 1), s.Name, s.Describe(primary, secondary, secondaryGroups), s.expectText(primary, secondary)})...)
	}
	_ = t.Write(w, texttable.Width)
}

// writeTable lays out a table within texttable.Width columns, the cells'
// control characters escaped first.
func writeTable(w io.Writer, rows [][]string) error {
	for i, r := range rows {
		rows[i] = conformance.PrintableCells(r)
	}
	return texttable.Write(w, texttable.Width, rows)
}

// failureLine is the failing findings of one step that share array, state,
// verdict and reason.
type failureLine struct {
	array, state, reason string
	verdict              conformance.Verdict
	names                []string // group: volume
	pair                 bool     // names are groups (a pair check)
}

// maxVolumeNames caps the volumes named on one line.
const maxVolumeNames = 4

func (l failureLine) volumes() string {
	if len(l.names) <= maxVolumeNames {
		return strings.Join(l.names, ", ")
	}
	return fmt.Sprintf("%s +%d more", strings.Join(l.names[:maxVolumeNames], ", "), len(l.names)-maxVolumeNames)
}

func failureLines(fs []conformance.Finding, strict bool) []*failureLine {
	var out []*failureLine
	index := map[string]*failureLine{}
	for _, f := range fs {
		if !f.Verdict.Fails(strict) {
			continue
		}
		state := "-"
		switch {
		case f.Volume == conformance.PairVolume:
			state = f.Role
		case f.Role != "":
			state = f.Role + "/" + f.SyncStatus
		}
		key := f.Array + "\x00" + state + "\x00" + string(f.Verdict) + "\x00" + f.Reason
		l := index[key]
		if l == nil {
			l = &failureLine{array: f.Array, state: state, reason: f.Reason, verdict: f.Verdict, pair: f.Volume == conformance.PairVolume}
			index[key] = l
			out = append(out, l)
		}
		name := f.Group + " " + f.Volume
		if f.Volume == conformance.PairVolume {
			name = f.Group
		}
		l.names = append(l.names, name)
	}
	return out
}
