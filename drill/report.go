package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/threepar/rcopy-exporter/conformance"
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
// early) the commands that bring the pair back.
func WriteText(w io.Writer, r *Report) error {
	w = conformance.PrintableText(w)
	third, thirdCol := "", ""
	if r.Third != "" {
		third, thirdCol = ", "+r.Third+" (periodic secondary, Synchronous Long Distance)", "\t"+strings.ToUpper(r.Third)
	}
	fmt.Fprintf(w, "Disaster-recovery walk: %s (natural primary) -> %s (natural secondary)%s; groups %s\n\n",
		r.Primary, r.Secondary, third, strings.Join(r.Groups, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "#\tSTEP\tEXPECTED ROWS\t%s\t%s%s\tPAIR\tRESULT\n", strings.ToUpper(r.Primary), strings.ToUpper(r.Secondary), thirdCol)
	for i, s := range r.Steps {
		result := "PASS"
		switch {
		case !s.Conformant:
			result = "FAIL"
		case !s.Observed:
			result = "not observed"
		}
		thirdCell := ""
		if r.Third != "" {
			thirdCell = "\t" + arrayCell(s, r.Third, Third, r.Strict)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s%s\t%s\t%s\n", i+1, s.Name, rowsCell(s), arrayCell(s, r.Primary, Primary, r.Strict),
			arrayCell(s, r.Secondary, Secondary, r.Strict), thirdCell, pairCell(s, r.Strict), result)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	notes := false
	for i, s := range r.Steps {
		if s.Note != "" && !strings.HasPrefix(s.Note, actionFailedPrefix) {
			if !notes {
				fmt.Fprintln(w)
				notes = true
			}
			fmt.Fprintf(w, "step %d %s: %s\n", i+1, s.Name, s.Note)
		}
	}
	if !r.Conformant {
		fmt.Fprintln(w, "\nWhat did not conform (volumes with the same state and reason on one line):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STEP\tARRAY\tVOLUMES\tROLE/SYNC\tVERDICT\tWHY")
		for i, s := range r.Steps {
			for _, l := range failureLines(s.Findings, r.Strict) {
				fmt.Fprintf(tw, "%d %s\t%s\t%s\t%s\t%s\t%s\n", i+1, s.Name, l.array, l.volumes(), l.state, l.verdict, l.reason)
			}
		}
		if err := tw.Flush(); err != nil {
			return err
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
		fmt.Fprintf(w, "FIRST FAILURE: step %s (rows %s), %s: %s\n", f.Step, f.Rows, where, f.Reason)
	}
	if r.Stopped != "" {
		fmt.Fprintf(w, "The walk %s.\n", r.Stopped)
	}
	if rec := r.Recovery(); len(rec) > 0 {
		fmt.Fprintf(w, "\nTo bring the pair back to its natural direction (%s primary), from where the walk ended:\n", r.Primary)
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
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, id := range order {
		fmt.Fprintf(tw, "  %s\t%s\n", id, strings.Join(steps[id], " "))
	}
	tw.Flush()
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

// WriteRecovery prints recovery steps, one numbered line each.
func WriteRecovery(w io.Writer, steps []RecoveryStep) {
	w = conformance.PrintableText(w)
	for i, s := range steps {
		switch {
		case s.Command != "" && s.Do != "":
			fmt.Fprintf(w, "  %d. on %s: %s   # %s\n", i+1, s.Array, s.Command, s.Do)
		case s.Command != "":
			fmt.Fprintf(w, "  %d. on %s: %s\n", i+1, s.Array, s.Command)
		default:
			fmt.Fprintf(w, "  %d. %s\n", i+1, s.Do)
		}
	}
}

// WritePlan prints the steps a walk will take, with the commands it will
// issue and the rows each step must show.
func WritePlan(w io.Writer, steps []Step, primary, secondary string, groups, secondaryGroups []string) {
	w = conformance.PrintableText(w)
	fmt.Fprintf(w, "Plan: disaster-recovery walk of %s (natural primary) -> %s (natural secondary), groups %s\n",
		primary, secondary, strings.Join(groups, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tSTEP\tACTION\tTHEN EXPECT")
	for i, s := range steps {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", i+1, s.Name, s.Describe(primary, secondary, secondaryGroups), s.expectText(primary, secondary))
	}
	tw.Flush()
}

// failureLine is the failing findings of one step that share array, state,
// verdict and reason.
type failureLine struct {
	array, state, reason string
	verdict              conformance.Verdict
	names                []string // group: volume
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
			l = &failureLine{array: f.Array, state: state, reason: f.Reason, verdict: f.Verdict}
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
