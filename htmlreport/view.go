package htmlreport

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/expected"
)

// page is everything the template shows, computed from the findings and
// Meta; every string that came from an array or a file is in it as read
// (the template escapes, show makes control characters visible).
type page struct {
	Title      string
	Conformant bool
	Headline   string // CONFORMANT / NOT CONFORMANT
	Lead       string // the verdict and the first failure, one sentence
	LeadHref   string // where the first failure is shown
	Stopped    string // why a walk ended early ("" walked to its end)
	Counts     string // "364 findings: 350 match, 14 no observation"
	Run        []fact
	Arrays     []arrayView
	Sides      bool // the arrays have sides (a walk)
	Tables     []fact
	Timelines  []*timeline // a walk's, in chunks of groups (each fits a page)
	Legend     []legendItem
	Recovery   *recoveryView
	Sections   []section
}

type fact struct {
	Label string
	Value string
	Time  *timeView // shown instead of Value when set
	Code  bool      // Value is a file name, command or digest
}

// timeView is a time or duration the report shows: a <time> element, so
// that tests can tell the parts that vary between runs.
type timeView struct{ Machine, Human string }

func timeOf(t time.Time) *timeView {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &timeView{Machine: u.Format(time.RFC3339), Human: u.Format("2006-01-02 15:04:05") + " UTC"}
}

func durationOf(d time.Duration) *timeView {
	return &timeView{Machine: fmt.Sprintf("PT%.3fS", d.Seconds()), Human: humanDuration(d)}
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d h %d min", int(d.Hours()), int(d.Minutes())%60)
}

type arrayView struct {
	Name, Side, Reached, CIM string
	SystemID, SystemIDSource string
	Version, VersionMissing  string
}

type legendItem struct{ Class, Icon, Label, Text string }

type recoveryView struct {
	Intro string
	Steps []drill.RecoveryStep
}

// section is the findings of one step (a walk) or of the whole check.
type section struct {
	ID       string
	Title    string
	Subtitle string
	Status   string // PASS, FAIL, NOT OBSERVED; "" for a check
	Class    string
	Facts    []fact
	Note     string
	Arrays   []arrayFindings
}

type arrayFindings struct {
	Title string
	Note  string // instead of rows: why the array was not read
	Rows  []findingRow
}

// findingRow is findings of one array and step that read alike (same
// group, state, verdict, triples and reason), their volumes listed.
type findingRow struct {
	Verdict    string
	Class      string
	Icon       string
	Group      string
	Target     string
	Volumes    []string
	Pair       bool
	Role       string
	Sync       string
	TargetStat string
	Expected   []tripleRow
	Observed   *tripleRow
	Reason     string
	rank       int
	order      int
}

type tripleRow struct {
	Label string
	Tag   string // classes: "matched", "nearest", "uncertain"
	Cells []tripleCell
	Empty string // instead of cells
}

type tripleCell struct {
	Text string
	Diff bool
}

// Verdict presentation: class, icon and words, in the order a reader
// should see them (failures first).
type verdictLook struct {
	class, icon, label, text string
}

var looks = map[conformance.Verdict]verdictLook{
	conformance.Mismatch:         {"v-mismatch", "✗", "mismatch", "the array is not where the tables (or the step) say: the CIM triple or the showrcopy state differs"},
	conformance.PairInconsistent: {"v-pair", "⚠", "pair inconsistent", "the two arrays' roles do not pair (split brain, no primary, one reversed and one not, a group without its counterpart)"},
	conformance.NotInTable:       {"v-nit", "?", "not in table", "no table row covers this role, sync status and target status (a failure with --strict)"},
	conformance.NoObservation:    {"v-noobs", "≈", "no observation", "rows apply but no CIM triple was compared (CIM not read, or its instance could not be put on a leg)"},
	conformance.Match:            {"v-match", "✓", "match", "the observation is one of the rows that apply"},
}

var verdictOrder = []conformance.Verdict{conformance.Mismatch, conformance.PairInconsistent, conformance.NotInTable, conformance.NoObservation, conformance.Match}

func rank(v conformance.Verdict) int {
	if i := slices.Index(verdictOrder, v); i >= 0 {
		return i
	}
	return len(verdictOrder)
}

func look(v conformance.Verdict) verdictLook {
	if l, ok := looks[v]; ok {
		return l
	}
	return verdictLook{"v-nit", "?", string(v), ""}
}

func legend(timeline bool) []legendItem {
	var out []legendItem
	for _, v := range verdictOrder {
		l := looks[v]
		out = append(out, legendItem{Class: l.class, Icon: l.icon, Label: l.label, Text: l.text})
	}
	if timeline {
		out = append(out,
			legendItem{Class: "v-down", Icon: "–", Label: "not read", Text: "the step does not read this array (it is down or cut off) or could not read it"},
			legendItem{Class: "v-none", Icon: "·", Label: "not observed", Text: "a transient state ended before the arrays were read; not a failure"})
	}
	return out
}

// pseudo volumes the drill uses for findings about a whole array, group or
// action rather than a volume.
var pseudoVolumes = []string{"(action)", "(array)", "(group)"}

// rows turns findings into table rows: alike findings share a row, failures
// come first, otherwise the order printed.
func rows(fs []conformance.Finding, strict bool) []findingRow {
	var out []*findingRow
	index := map[string]*findingRow{}
	for i, f := range fs {
		r := newRow(f, strict)
		key := rowKey(f)
		if prev := index[key]; prev != nil {
			prev.Volumes = append(prev.Volumes, show(f.Volume))
			continue
		}
		r.order = i
		index[key] = &r
		out = append(out, &r)
	}
	slices.SortStableFunc(out, func(a, b *findingRow) int { return a.rank - b.rank })
	res := make([]findingRow, len(out))
	for i, r := range out {
		res[i] = *r
	}
	return res
}

func rowKey(f conformance.Finding) string {
	obs := "-"
	if f.Observed != nil {
		obs = f.Observed.String()
	}
	return strings.Join([]string{f.Group, f.Target, f.Role, f.SyncStatus, f.TargetStatus, string(f.Verdict), f.Matched,
		strings.Join(f.Rows(), ","), obs, f.Reason, fmt.Sprint(f.Volume == conformance.PairVolume)}, "\x00")
}

func newRow(f conformance.Finding, strict bool) findingRow {
	l := look(f.Verdict)
	r := findingRow{Verdict: l.label, Class: l.class, Icon: l.icon, Group: show(f.Group), Target: show(f.Target),
		Role: show(f.Role), Sync: show(f.SyncStatus), TargetStat: show(f.TargetStatus), Reason: show(f.Reason),
		rank: rank(f.Verdict)}
	if f.Verdict.Fails(strict) {
		r.Class += " fails"
	}
	switch {
	case f.Volume == conformance.PairVolume:
		r.Pair = true
		r.Group = show(strings.ReplaceAll(f.Group, "+", " + "))
		r.Role = show(strings.ReplaceAll(f.Role, "+", " + "))
		return r
	case slices.Contains(pseudoVolumes, f.Volume):
		r.Volumes = []string{f.Volume}
		return r
	}
	r.Volumes = []string{show(f.Volume)}
	if f.Verdict == conformance.Match && f.Reason == "matches "+f.Matched {
		r.Reason = "" // the ✓ on the row says it
	}
	near, hasNear := f.NearestRow()
	for _, row := range f.Expected {
		tr := tripleRow{Label: show(row.ID), Cells: tripleCells(row.Triple, expected.Triple{}, conformance.Nulls{}, false)}
		switch {
		case row.ID == f.Matched && f.Matched != "":
			tr.Tag = "matched"
		case hasNear && row.ID == near.ID && f.Observed != nil && len(f.Expected) > 1:
			tr.Tag = "nearest"
		}
		if row.Uncertain {
			tr.Tag = strings.TrimSpace(tr.Tag + " uncertain")
		}
		r.Expected = append(r.Expected, tr)
	}
	if len(f.Expected) == 0 {
		r.Expected = []tripleRow{{Label: "—", Empty: "no row applies"}}
	}
	switch {
	case f.Observed != nil:
		r.Observed = &tripleRow{Label: "CIM", Cells: tripleCells(f.Observed.Triple, near.Triple, f.Observed.Null, hasNear)}
	default:
		r.Observed = &tripleRow{Label: "CIM", Empty: "none compared"}
	}
	return r
}

// tripleCells are the four fields of a triple; with against, each field
// that differs from it (or is NULL) is marked.
func tripleCells(t, against expected.Triple, null conformance.Nulls, compare bool) []tripleCell {
	rr := "false"
	if t.RoleReversed {
		rr = "true"
	}
	cells := []tripleCell{
		{t.CopyState.String(), compare && t.CopyState != against.CopyState},
		{t.SyncState.String(), compare && t.SyncState != against.SyncState},
		{t.ProgressStatus.String(), compare && t.ProgressStatus != against.ProgressStatus},
		{rr, compare && t.RoleReversed != against.RoleReversed},
	}
	for i, n := range []bool{null.CopyState, null.SyncState, null.ProgressStatus, null.RoleReversed} {
		if n {
			cells[i] = tripleCell{"NULL", compare}
		}
	}
	return cells
}

// countsText is "364 findings: 350 match, 14 no observation".
func countsText(fs []conformance.Finding) string {
	c := map[conformance.Verdict]int{}
	for _, f := range fs {
		c[f.Verdict]++
	}
	var parts []string
	for _, v := range verdictOrder {
		if c[v] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c[v], look(v).label))
		}
	}
	noun := "findings"
	if len(fs) == 1 {
		noun = "finding"
	}
	if len(parts) == 0 {
		return "no findings"
	}
	return fmt.Sprintf("%d %s: %s", len(fs), noun, strings.Join(parts, ", "))
}

// caveats says what a conformant verdict does not cover.
func caveats(fs []conformance.Finding, strict bool) string {
	var noObs, notIn, vols int
	for _, f := range fs {
		if f.Volume == conformance.PairVolume {
			continue
		}
		vols++
		switch f.Verdict {
		case conformance.NoObservation:
			noObs++
		case conformance.NotInTable:
			notIn++
		}
	}
	var parts []string
	if noObs > 0 {
		parts = append(parts, fmt.Sprintf("for %d of %d volume findings no CIM triple was compared (only their showrcopy state was checked)", noObs, vols))
	}
	if notIn > 0 && !strict {
		parts = append(parts, fmt.Sprintf("%d volume findings are in a state no table row covers (a failure only with --strict)", notIn))
	}
	if len(parts) == 0 {
		return ""
	}
	return "; " + strings.Join(parts, "; ")
}

func firstFailing(fs []conformance.Finding, strict bool) (conformance.Finding, bool) {
	for _, f := range fs {
		if f.Verdict.Fails(strict) {
			return f, true
		}
	}
	return conformance.Finding{}, false
}

// where is "sim-b group g volume v" for a sentence.
func where(array, group, volume string) string {
	s := array
	switch {
	case volume == conformance.PairVolume && group != "":
		s = "pair " + strings.ReplaceAll(array, "+", " and ") + ", groups " + strings.ReplaceAll(group, "+", " and ")
	case group != "":
		s += " group " + group
		if volume != "" && !slices.Contains(pseudoVolumes, volume) {
			s += " volume " + volume
		}
	}
	return s
}

func runFacts(m Meta) []fact {
	var out []fact
	if t := timeOf(m.Started); t != nil {
		out = append(out, fact{Label: "Started", Time: t})
	}
	if t := timeOf(m.Finished); t != nil {
		out = append(out, fact{Label: "Finished", Time: t})
		if !m.Started.IsZero() {
			out = append(out, fact{Label: "Took", Time: durationOf(m.Finished.Sub(m.Started))})
		}
	}
	if m.Checker != "" {
		out = append(out, fact{Label: "Checker", Value: show("version " + m.Checker)})
	}
	if len(m.Faults) > 0 {
		out = append(out, fact{Label: "Faults injected", Value: show(strings.Join(m.Faults, ", ")), Code: true})
	}
	return out
}

func tableFacts(t Table) []fact {
	rows := fmt.Sprint(t.Rows)
	var parts []string
	for _, pt := range t.PerTable {
		name := "in Table " + pt.Table
		switch pt.Table {
		case "109":
			name += " (normal operation)"
		case "110":
			name += " (disaster recovery)"
		case "SLD":
			name = "for Synchronous Long Distance"
		}
		parts = append(parts, fmt.Sprintf("%d %s", pt.Rows, name))
	}
	if len(parts) > 0 {
		rows += ": " + strings.Join(parts, ", ")
	}
	out := []fact{{Label: "Rows", Value: show(rows)}}
	strict := "no: rows marked uncertain count, a state in no row is reported but is not a failure"
	if t.Strict {
		strict = "yes: rows marked uncertain are left out, a state in no row is a failure"
	}
	out = append(out, fact{Label: "--strict", Value: strict})
	if t.UserFile == "" {
		out = append(out, fact{Label: "User table", Value: "none (built-in rows only)"})
	} else {
		out = append(out, fact{Label: "User table", Value: show(t.UserFile), Code: true})
		if t.UserSHA256 != "" {
			out = append(out, fact{Label: "SHA-256", Value: t.UserSHA256, Code: true})
		}
	}
	return out
}

func arrayViews(as []Array) []arrayView {
	out := make([]arrayView, len(as))
	for i, a := range as {
		v := arrayView{Name: show(a.Name), Side: show(a.Side), SystemID: show(a.SystemID), SystemIDSource: show(a.SystemIDSource),
			Version: show(a.Version.Release), VersionMissing: show(a.Version.Missing)}
		switch {
		case a.Address != "":
			v.Reached = "SSH " + show(a.Address)
		case a.File != "":
			v.Reached = "saved output " + show(a.File)
		}
		v.CIM = "not read"
		if a.CIM != "" {
			v.CIM = show(a.CIM)
		}
		if a.Version.Release != "" && a.Version.Patches != "" {
			v.Version += ", patches " + show(a.Version.Patches)
		}
		out[i] = v
	}
	return out
}

// checkPage is the page of a check.
func checkPage(r conformance.Report, m Meta) *page {
	p := &page{Title: "Remote Copy conformance check", Conformant: r.Conformant, Counts: countsText(r.Findings),
		Run: runFacts(m), Arrays: arrayViews(m.Arrays), Tables: tableFacts(m.Table), Legend: legend(false)}
	var names []string
	for _, a := range m.Arrays {
		names = append(names, a.Name)
	}
	if f, ok := firstFailing(r.Findings, r.Strict); ok {
		p.Lead = fmt.Sprintf("First failure — %s (%s): %s.", where(f.Array, f.Group, f.Volume), look(f.Verdict).label, strings.TrimSuffix(f.Reason, "."))
		p.LeadHref = "#findings"
	} else if r.Conformant {
		p.Lead = fmt.Sprintf("Every volume of %s is in a state the tables allow%s.", joinAnd(names), caveats(r.Findings, r.Strict))
		if len(r.Findings) == 0 {
			p.Lead = "Nothing to check: the arrays list no replicated volume."
		}
	}
	sec := section{ID: "findings", Title: "Findings"}
	for _, g := range byArray(r.Findings, "") {
		sec.Arrays = append(sec.Arrays, arrayFindings{Title: arrayTitle(g.name), Rows: rows(g.findings, r.Strict)})
	}
	p.Sections = []section{sec}
	p.finish()
	return p
}

func (p *page) finish() {
	for _, a := range p.Arrays {
		p.Sides = p.Sides || a.Side != ""
	}
	p.Headline = "CONFORMANT"
	if !p.Conformant {
		p.Headline = "NOT CONFORMANT"
	}
	p.Lead = show(p.Lead)
	p.Stopped = show(p.Stopped)
}

type findingGroup struct {
	name     string
	findings []conformance.Finding
}

// byArray groups findings by array in the order first seen, the arrays
// named in first (in that order) ahead.
func byArray(fs []conformance.Finding, first ...string) []findingGroup {
	var out []findingGroup
	idx := map[string]int{}
	for _, n := range first {
		if n == "" {
			continue
		}
		idx[n] = len(out)
		out = append(out, findingGroup{name: n})
	}
	for _, f := range fs {
		i, ok := idx[f.Array]
		if !ok {
			i = len(out)
			idx[f.Array] = i
			out = append(out, findingGroup{name: f.Array})
		}
		out[i].findings = append(out[i].findings, f)
	}
	kept := out[:0]
	for _, g := range out {
		if len(g.findings) > 0 {
			kept = append(kept, g)
		}
	}
	return kept
}

func arrayTitle(name string) string {
	if a, b, ok := strings.Cut(name, "+"); ok {
		return "pair " + show(a) + " + " + show(b)
	}
	return show(name)
}

func joinAnd(names []string) string {
	for i := range names {
		names[i] = show(names[i])
	}
	switch len(names) {
	case 0:
		return "the arrays"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// walkPage is the page of a disaster-recovery walk (simulate or drill).
func walkPage(r *drill.Report, m Meta, title string) *page {
	all := r.Findings().Findings
	p := &page{Title: title, Conformant: r.Conformant, Counts: countsText(all), Run: runFacts(m), Arrays: arrayViews(m.Arrays),
		Tables: tableFacts(m.Table), Legend: legend(true), Stopped: r.Stopped}
	passed := 0
	for _, s := range r.Steps {
		if s.Conformant {
			passed++
		}
	}
	p.Run = append([]fact{{Label: "Steps", Value: fmt.Sprintf("%d of %d walked, %d conform", len(r.Steps), r.Planned, passed)},
		{Label: "Groups", Value: groupPairs(r)}}, p.Run...)
	if f, ok := r.FirstFailure(); ok {
		i := slices.IndexFunc(r.Steps, func(s drill.StepResult) bool { return s.Name == f.Step })
		what := where(f.Array, f.Group, f.Volume)
		if f.Array == "" {
			what = "the step"
		}
		p.Lead = fmt.Sprintf("First failure — step %d %s, %s: %s.", i+1, f.Step, what, strings.TrimSuffix(f.Reason, "."))
		p.LeadHref = fmt.Sprintf("#s%d", i+1)
	} else if r.Conformant {
		p.Lead = fmt.Sprintf("Every step conforms: %d of %d steps walked on %s and %s%s.", len(r.Steps), r.Planned, r.Primary, r.Secondary, caveats(all, r.Strict))
	} else {
		p.Lead = fmt.Sprintf("No step failed, but the walk did not reach its end: %d of %d steps walked.", len(r.Steps), r.Planned)
	}
	if rec := r.Recovery(); len(rec) > 0 {
		p.Recovery = &recoveryView{
			Intro: show(fmt.Sprintf("To bring the pair back to its natural direction (%s primary), from where the walk ended:", r.Primary)),
			Steps: make([]drill.RecoveryStep, len(rec)),
		}
		for i, s := range rec {
			p.Recovery.Steps[i] = drill.RecoveryStep{Array: show(s.Array), Command: show(s.Command), Do: show(s.Do)}
		}
	}
	p.Timelines = timelines(r)
	pairName := r.Primary + "+" + r.Secondary
	for i, s := range r.Steps {
		sec := section{ID: fmt.Sprintf("s%d", i+1), Title: fmt.Sprintf("%d. %s", i+1, show(s.Name)), Subtitle: show(s.Title)}
		switch {
		case !s.Conformant:
			sec.Status, sec.Class = "FAIL", "v-mismatch"
		case !s.Observed:
			sec.Status, sec.Class = "NOT OBSERVED", "v-none"
		default:
			sec.Status, sec.Class = "PASS", "v-match"
		}
		if s.Action != drill.Wait {
			sec.Facts = append(sec.Facts, fact{Label: "Action", Value: show(s.Describe(r.Primary, r.Secondary, r.SecondaryGroups)), Code: s.Action.Command(nil) != ""})
		}
		if e := s.Expect(r.Primary, r.Secondary); e != "" {
			sec.Facts = append(sec.Facts, fact{Label: "Expected", Value: show(e)})
		}
		if s.Outcome != "" {
			sec.Facts = append(sec.Facts, fact{Label: "Wait", Value: show(s.Outcome)})
		}
		sec.Facts = append(sec.Facts, fact{Label: "Took", Time: durationOf(s.Elapsed)})
		sec.Note = show(s.Note)
		if !s.Observes(drill.Primary) {
			sec.Arrays = append(sec.Arrays, arrayFindings{Title: show(r.Primary), Note: "not read at this step: the primary is down or cut off, as the step intends"})
		}
		for _, g := range byArray(s.Findings, r.Primary, r.Secondary, pairName) {
			sec.Arrays = append(sec.Arrays, arrayFindings{Title: arrayTitle(g.name), Rows: rows(g.findings, r.Strict)})
		}
		p.Sections = append(p.Sections, sec)
	}
	p.finish()
	return p
}

// groupPairs is "rcg-db (rcg-db.r188150 on sim-b), ...".
func groupPairs(r *drill.Report) string {
	parts := make([]string, len(r.Groups))
	for i, g := range r.Groups {
		parts[i] = g
		if i < len(r.SecondaryGroups) && r.SecondaryGroups[i] != g {
			parts[i] += " (" + r.SecondaryGroups[i] + " on " + r.Secondary + ")"
		}
	}
	return show(strings.Join(parts, ", "))
}
