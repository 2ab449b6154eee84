package drill

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/source"
)

// Defaults of Options.
const (
	DefaultStepTimeout  = 15 * time.Minute // a real recover resyncs whole volumes
	DefaultPollInterval = 5 * time.Second
)

// Options say what to walk and how.
type Options struct {
	// PrimaryName and SecondaryName name the arrays in findings and output.
	PrimaryName, SecondaryName string
	// Groups are the groups to walk, by their name on the primary; empty
	// means every group the two arrays replicate between them.
	Groups []string
	// Steps to walk; nil means Sequence() on a FaultInjector driver (the
	// simulator), MainPath() otherwise.
	Steps []Step
	// StepTimeout bounds the wait for each transition; PollInterval is
	// the time between two looks while waiting (drivers that are not
	// TransitionHolders only).
	StepTimeout, PollInterval time.Duration
	// StopAtFirstFailure ends the walk after the first step that does not
	// conform (a lab drill must not push a broken pair further). The walk
	// always ends when an action fails.
	StopAtFirstFailure bool
	// RequireHealthy refuses to start (a *PreflightError) unless the first
	// look at the pair conforms to the healthy step.
	RequireHealthy bool
	Table          *expected.Table // nil: expected.Default()
	Strict         bool            // leave uncertain rows (T110-3b) out
	// Progress hears about the walk (nil: nothing).
	Progress Progress
	// BeforeChanges, when set, is called once the pair has been read and
	// found fit to walk, before the first step that changes anything (a
	// drill prints its plan there). The report holds the walked groups.
	BeforeChanges func(r *Report)
}

// Progress follows a walk: which step, how long it has waited.
type Progress interface {
	StepStarted(index, total int, s Step)
	Waiting(index, total int, s Step, elapsed time.Duration, state string)
	StepDone(index, total int, r StepResult)
}

// PreflightError says why a walk did not start: an array unreachable, a
// group missing, or (with RequireHealthy) the pair not healthy. Nothing has
// been changed.
type PreflightError struct {
	Array  string // "" when not about one array
	Reason string
	Err    error
}

func (e *PreflightError) Error() string {
	if e.Array != "" {
		return e.Array + ": " + e.Reason
	}
	return e.Reason
}

func (e *PreflightError) Unwrap() error { return e.Err }

// StepResult is the outcome of one step.
type StepResult struct {
	Step
	// Observed is false when a transient state could not be caught (a
	// live transition ended before it was looked at): not a failure.
	Observed   bool
	Conformant bool
	// Note explains a step that was not observed, an action that failed or
	// a wait that timed out.
	Note string
	// Outcome is how the wait ended: "reached" (the step's rows),
	// "failed" (its failure rows), "passed" (a transient state already
	// over), "timed out", or "" (no wait: first look, failed action).
	Outcome  string
	Elapsed  time.Duration
	Findings []conformance.Finding
}

// Report is the outcome of a walk.
type Report struct {
	Primary, Secondary string
	// Groups are the walked groups on the primary and, in the same order,
	// on the secondary.
	Groups, SecondaryGroups []string
	Steps                   []StepResult
	Conformant              bool
	Strict                  bool // not_in_table fails (Options.Strict)
	// Stopped says why the walk ended before its last step ("" when it
	// walked them all).
	Stopped string
	// Back is how to bring the pair back to its natural direction from
	// where the walk ended (empty when it is there).
	Back []Action
	// Planned is the number of steps of the walk.
	Planned int
}

// Failure is the first thing that went wrong in a walk.
type Failure struct {
	Step    string `json:"step"`
	Rows    string `json:"rows"` // "sim-a T110-4, sim-b T110-3|T110-3b"
	Array   string `json:"array"`
	Group   string `json:"group"`
	Volume  string `json:"volume"`
	Verdict string `json:"verdict"`
	Reason  string `json:"reason"`
}

// FirstFailure is the first failing finding of the first step that did not
// conform; ok is false when the walk conforms.
func (r *Report) FirstFailure() (Failure, bool) {
	for _, s := range r.Steps {
		if s.Conformant {
			continue
		}
		for _, f := range s.Findings {
			if f.Verdict.Fails(r.Strict) {
				return Failure{Step: s.Name, Rows: s.expectText(r.Primary, r.Secondary), Array: f.Array, Group: f.Group,
					Volume: f.Volume, Verdict: string(f.Verdict), Reason: f.Reason}, true
			}
		}
		return Failure{Step: s.Name, Rows: s.expectText(r.Primary, r.Secondary), Reason: s.Note}, true
	}
	return Failure{}, false
}

// Findings returns every finding of the walk with its step set, as one
// conformance report (JUnit and the flat JSON use it).
func (r *Report) Findings() conformance.Report {
	rep := conformance.Report{Conformant: true, Strict: r.Strict, Findings: []conformance.Finding{}}
	for i, s := range r.Steps {
		fs := slices.Clone(s.Findings)
		for j := range fs {
			fs[j].Step = fmt.Sprintf("%02d %s", i+1, s.Name)
		}
		rep.Add(fs...)
	}
	rep.Conformant = r.Conformant
	return rep
}

// walk holds one run's state.
type walk struct {
	d      Driver
	opt    Options
	table  *expected.Table
	holder TransitionHolder
	faults FaultInjector
	// names of the walked groups per side
	groups map[Side][]string
	rep    *Report
	// before is what the arrays showed before the last group command;
	// sawRunning whether its running state has been seen since.
	before     string
	sawRunning bool
}

// fingerprint sums up what the arrays show (roles, sync statuses, target
// statuses, CIM triples), to tell whether anything changed.
func fingerprint(obs map[Side]conformance.Input, errs map[Side]error) string {
	var b strings.Builder
	for _, side := range []Side{Primary, Secondary} {
		if errs[side] != nil {
			b.WriteString("unreachable;")
			continue
		}
		a, ok := obs[side]
		if !ok || a.Output == nil {
			b.WriteString("-;")
			continue
		}
		for _, g := range a.Output.Groups {
			fmt.Fprintf(&b, "%s %s %s %s:", g.Name, g.Role, g.Status, conformance.TargetStatus(a.Output, g.Target))
			for _, v := range g.Volumes {
				b.WriteString(" " + v.LocalVV + "=" + v.SyncStatus)
			}
			b.WriteString(";")
		}
		for _, o := range a.CIM {
			fmt.Fprintf(&b, "%s=%s;", o.Volume, o.ObservedTriple)
		}
	}
	return b.String()
}

// Run walks the steps on the pair behind d and checks every step. The
// error is a *PreflightError when the walk could not start (the report is
// then nil, or holds the failed healthy look with RequireHealthy), or the
// context's error when it was cancelled midway (the report holds the steps
// walked so far).
func Run(ctx context.Context, d Driver, opt Options) (*Report, error) {
	w := &walk{d: d, opt: opt, table: opt.Table}
	if w.table == nil {
		w.table = expected.Default()
	}
	w.holder, _ = d.(TransitionHolder)
	w.faults, _ = d.(FaultInjector)
	steps := opt.Steps
	if steps == nil {
		steps = MainPath()
		if w.faults != nil {
			steps = Sequence()
		}
	}
	if w.opt.StepTimeout <= 0 {
		w.opt.StepTimeout = DefaultStepTimeout
	}
	if w.opt.PollInterval <= 0 {
		w.opt.PollInterval = DefaultPollInterval
	}
	for _, s := range steps {
		if s.Fault != "" && w.faults == nil {
			return nil, &PreflightError{Reason: fmt.Sprintf("step %s needs fault %s injected, which this pair cannot do", s.Name, s.Fault)}
		}
	}

	first, err := w.preflight(ctx)
	if err != nil {
		return nil, err
	}
	w.rep = &Report{Primary: opt.PrimaryName, Secondary: opt.SecondaryName, Groups: w.groups[Primary],
		SecondaryGroups: w.groups[Secondary], Conformant: true, Strict: opt.Strict, Planned: len(steps)}

	changing := false
	for i, s := range steps {
		if s.Action != Wait && !changing {
			changing = true
			if opt.BeforeChanges != nil {
				opt.BeforeChanges(w.rep)
			}
		}
		if w.opt.Progress != nil {
			w.opt.Progress.StepStarted(i, len(steps), s)
		}
		start := time.Now()
		var res StepResult
		if i == 0 && s.Action == Wait && !s.PrimaryAway {
			res = w.judge(s, first, nil) // the preflight look is the first step's observation
			res.Observed = true
		} else {
			res = w.step(ctx, i, steps)
		}
		res.Elapsed = time.Since(start)
		w.rep.Steps = append(w.rep.Steps, res)
		if !res.Conformant {
			w.rep.Conformant = false
		}
		if w.opt.Progress != nil {
			w.opt.Progress.StepDone(i, len(steps), res)
		}
		if i == 0 && opt.RequireHealthy && !res.Conformant {
			w.rep.Stopped = "the pair is not healthy; nothing was changed"
			return w.rep, &PreflightError{Reason: "the pair is not healthy (" + failureText(res, opt.Strict) + "); nothing was changed"}
		}
		if err := ctx.Err(); err != nil {
			w.stop(i, steps, "interrupted during step "+s.Name, res)
			return w.rep, err
		}
		switch {
		case strings.HasPrefix(res.Note, actionFailedPrefix):
			w.stop(i, steps, "stopped at step "+s.Name+": its action failed", res)
			return w.rep, nil
		case !res.Conformant && opt.StopAtFirstFailure:
			w.stop(i, steps, "stopped at step "+s.Name+" (the first that did not conform)", res)
			return w.rep, nil
		}
	}
	return w.rep, nil
}

func failureText(r StepResult, strict bool) string {
	for _, f := range r.Findings {
		if f.Verdict.Fails(strict) {
			return fmt.Sprintf("%s %s %s: %s", f.Array, f.Group, f.Volume, f.Reason)
		}
	}
	return r.Note
}

const actionFailedPrefix = "action failed: "

// stop records why the walk ends at step i and how to go back.
func (w *walk) stop(i int, steps []Step, why string, res StepResult) {
	w.rep.Stopped = why
	back := steps[i].Back
	if (res.Outcome == outcomeFailed || res.Outcome == outcomeTimedOut) && steps[i].FailureBack != nil {
		back = steps[i].FailureBack
	}
	if strings.HasPrefix(res.Note, actionFailedPrefix) {
		// The action did not take effect (as far as we know): go back from
		// where the previous step left the pair.
		back = nil
		if i > 0 {
			back = steps[i-1].Back
		}
	}
	w.rep.Back = back
}

// preflight reads both arrays, finds the walked groups and their names on
// the secondary.
func (w *walk) preflight(ctx context.Context) (map[Side]conformance.Input, error) {
	obs := map[Side]conformance.Input{}
	for _, side := range []Side{Primary, Secondary} {
		a, err := w.d.Observe(ctx, side)
		if err != nil {
			var ae *source.Error
			if errors.As(err, &ae) { // already "ARRAY: stage: reason"
				return nil, &PreflightError{Reason: ae.Error(), Err: err}
			}
			return nil, &PreflightError{Array: w.name(side), Reason: "cannot read the array: " + err.Error(), Err: err}
		}
		obs[side] = a
	}
	po, so := obs[Primary].Output, obs[Secondary].Output
	w.groups = map[Side][]string{}
	pairs := map[string]string{} // primary group -> secondary group
	var order []string
	for _, gp := range conformance.PairGroups(po, so) {
		if gp.A < 0 || gp.B < 0 {
			continue
		}
		pg, sg := po.Groups[gp.A], so.Groups[gp.B]
		if _, dup := pairs[pg.Name]; dup {
			continue
		}
		pairs[pg.Name] = sg.Name
		order = append(order, pg.Name)
	}
	want := w.opt.Groups
	if len(want) == 0 {
		want = order
	}
	if len(want) == 0 {
		return nil, &PreflightError{Reason: fmt.Sprintf("%s and %s replicate no group between them", w.name(Primary), w.name(Secondary))}
	}
	for _, g := range want {
		sg, ok := pairs[g]
		if !ok {
			if !hasGroup(po, g) {
				return nil, &PreflightError{Array: w.name(Primary), Reason: fmt.Sprintf("no remote copy group %q", g)}
			}
			return nil, &PreflightError{Array: w.name(Secondary), Reason: fmt.Sprintf("no counterpart of group %q (is %s its target?)", g, w.name(Secondary))}
		}
		w.groups[Primary] = append(w.groups[Primary], g)
		w.groups[Secondary] = append(w.groups[Secondary], sg)
	}
	for side, a := range obs {
		obs[side] = w.filter(side, a)
	}
	return obs, nil
}

func hasGroup(out *parser.Output, name string) bool {
	for _, g := range out.Groups {
		if g.Name == name {
			return true
		}
	}
	return false
}

func (w *walk) name(side Side) string {
	if side == Primary {
		return w.opt.PrimaryName
	}
	return w.opt.SecondaryName
}

// filter keeps only the walked groups of an observation (and their CIM
// instances when they name a group).
func (w *walk) filter(side Side, a conformance.Input) conformance.Input {
	if a.Output == nil {
		return a
	}
	keep := map[string]bool{}
	for _, g := range w.groups[side] {
		keep[g] = true
	}
	out := *a.Output
	out.Groups = nil
	vols := map[string]bool{}
	for _, g := range a.Output.Groups {
		if keep[g.Name] {
			out.Groups = append(out.Groups, g)
			for _, v := range g.Volumes {
				vols[v.LocalVV] = true
			}
		}
	}
	a.Output = &out
	if a.CIM != nil {
		obs := []conformance.Observed{}
		for _, o := range a.CIM {
			if (o.Group == "" || keep[o.Group]) && vols[o.Volume] {
				obs = append(obs, o)
			}
		}
		a.CIM = obs
	}
	a.Name = w.name(side)
	return a
}

// step performs step i and observes its outcome.
func (w *walk) step(ctx context.Context, i int, steps []Step) StepResult {
	s := steps[i]
	if s.Fault != "" {
		if err := w.faults.InjectFault(ctx, s.Fault); err != nil {
			return w.actionFailed(s, "inject "+s.Fault, err)
		}
	}
	if s.ClearFault != "" && w.faults != nil {
		defer w.faults.ClearFault(context.WithoutCancel(ctx), s.ClearFault)
	}
	if s.Action.Command(nil) != "" && w.holder == nil {
		// What the arrays show before the command: a failure state that
		// looks just like it (a recover that fails where it started,
		// without CIM) is not taken for the command's outcome until the
		// running state was seen or something changed.
		obs, errs := w.observe(ctx, s)
		w.before, w.sawRunning = fingerprint(obs, errs), false
	}
	if err := w.act(ctx, s); err != nil {
		return w.actionFailed(s, s.Describe(w.opt.PrimaryName, w.opt.SecondaryName, w.groups[Secondary]), err)
	}
	var prev, next *Step
	if i+1 < len(steps) {
		next = &steps[i+1]
	}
	if i > 0 && steps[i-1].Transient {
		prev = &steps[i-1]
	}
	obs, errs, state := w.await(ctx, i, len(steps), s, prev, next)
	res := w.judge(s, obs, errs)
	res.Observed, res.Outcome = true, outcomeReached
	switch state {
	case awaitFailed:
		res.Outcome = outcomeFailed
	case awaitPassed:
		res = StepResult{Step: s, Conformant: true, Outcome: outcomePassed,
			Note: "not observed: the transition ended before the arrays were read (" + next.Name + " state already shown)"}
	case awaitTimedOut:
		res.Outcome = outcomeTimedOut
		res.Note = fmt.Sprintf("timed out after %s waiting for %s", w.opt.StepTimeout, s.expectText(w.opt.PrimaryName, w.opt.SecondaryName))
	}
	return res
}

func (w *walk) actionFailed(s Step, what string, err error) StepResult {
	msg := actionFailedPrefix + what + ": " + err.Error()
	f := conformance.Finding{Array: w.opt.SecondaryName, Group: strings.Join(w.groups[Secondary], ","), Volume: "(action)",
		Verdict: conformance.Mismatch, Reason: msg}
	if s.Action == Isolate || s.Action == Reconnect {
		f.Array, f.Group = w.opt.PrimaryName, strings.Join(w.groups[Primary], ",")
	}
	return StepResult{Step: s, Observed: false, Conformant: false, Note: msg, Findings: []conformance.Finding{f}}
}

// act performs a step's action.
func (w *walk) act(ctx context.Context, s Step) error {
	switch s.Action {
	case Isolate:
		return w.d.Isolate(ctx)
	case Reconnect:
		return w.d.Reconnect(ctx)
	case Failover, Recover, Restore:
		return w.command(ctx, s.Action.Command(w.groups[Secondary]))
	}
	return nil
}

// command runs a group command on the secondary. An array that refuses it
// because the previous operation is still "in progress" is asked again
// until the step timeout: without CIM, showrcopy cannot tell a running
// failover from a finished one (T110-2 and T110-3 print alike), so the
// walk may reach the next command early.
func (w *walk) command(ctx context.Context, cmd string) error {
	start := time.Now()
	for {
		err := w.d.Command(ctx, Secondary, cmd)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "in progress") ||
			time.Since(start) >= w.opt.StepTimeout {
			return err
		}
		t := time.NewTimer(w.opt.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

type awaitState int

const (
	awaitReached  awaitState = iota // the step's state is shown
	awaitFailed                     // the step's failure state is shown
	awaitPassed                     // a transient step's state was skipped over
	awaitTimedOut                   // none of them in time
)

// Outcomes of StepResult.
const (
	outcomeReached  = "reached"
	outcomeFailed   = "failed"
	outcomePassed   = "passed"
	outcomeTimedOut = "timed out"
)

// await observes the arrays the step reads until they show the step's rows
// (or its failure rows, or, for a transient step, the next step's), or the
// step timeout passes. With a TransitionHolder there is no waiting: a
// transient step is looked at while its transition is held, any other step
// after the held transitions are finished.
//
// A failure state counts only once the transition's running state (prev,
// the transient step before) is no longer shown: without CIM, a failed
// restore (T110-15/-16) prints like a running one (T110-11/-12).
func (w *walk) await(ctx context.Context, i, n int, s Step, prev, next *Step) (map[Side]conformance.Input, map[Side]error, awaitState) {
	if w.holder != nil && !s.Transient {
		if err := w.holder.FinishTransitions(ctx); err != nil {
			return nil, map[Side]error{Secondary: fmt.Errorf("finishing transitions: %w", err)}, awaitReached
		}
	}
	start := time.Now()
	for {
		obs, errs := w.observe(ctx, s)
		if prev != nil && w.shows(*prev, obs, errs, false) {
			w.sawRunning = true
		}
		moved := w.holder != nil || w.sawRunning || fingerprint(obs, errs) != w.before
		switch {
		case w.shows(s, obs, errs, false):
			if s.Transient {
				w.sawRunning = true
			}
			return obs, errs, awaitReached
		case w.shows(s, obs, errs, true) && moved && (prev == nil || w.holder != nil || !w.shows(*prev, obs, errs, false)):
			return obs, errs, awaitFailed
		case s.Transient && next != nil && (w.shows(*next, obs, errs, false) || (moved && w.shows(*next, obs, errs, true))):
			return obs, errs, awaitPassed
		case w.holder != nil:
			return obs, errs, awaitReached // held: what is shown is what there is
		case time.Since(start) >= w.opt.StepTimeout:
			return obs, errs, awaitTimedOut
		}
		if w.opt.Progress != nil {
			w.opt.Progress.Waiting(i, n, s, time.Since(start), w.stateText(s, obs, errs))
		}
		t := time.NewTimer(w.opt.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return obs, errs, awaitReached
		case <-t.C:
		}
	}
}

// observe reads the arrays a step looks at.
func (w *walk) observe(ctx context.Context, s Step) (map[Side]conformance.Input, map[Side]error) {
	obs, errs := map[Side]conformance.Input{}, map[Side]error{}
	for _, side := range []Side{Primary, Secondary} {
		if !s.Observes(side) {
			continue
		}
		a, err := w.d.Observe(ctx, side)
		if err != nil {
			errs[side] = err
			continue
		}
		obs[side] = w.filter(side, a)
	}
	return obs, errs
}

// shows reports whether every walked volume on every array the step reads
// is at one of the step's rows (or failure rows): its role and sync status
// are covered by the row and, where CIM is read, its CIM triple is the
// row's. (showrcopy alone cannot tell a running failover, T110-2, from a
// finished one, T110-3; CIM's ProgressStatus can.)
func (w *walk) shows(s Step, obs map[Side]conformance.Input, errs map[Side]error, failure bool) bool {
	constrained := false
	for _, side := range []Side{Primary, Secondary} {
		if !s.Observes(side) {
			continue
		}
		rows := s.Rows(side)
		if failure {
			rows = s.FailureRows(side)
		}
		if len(rows) == 0 && failure {
			continue
		}
		if errs[side] != nil {
			return false
		}
		a, ok := obs[side]
		if !ok || a.Output == nil {
			return false
		}
		if len(rows) == 0 {
			continue
		}
		constrained = true
		if !w.allAt(a, rows) {
			return false
		}
	}
	return constrained
}

// allAt reports whether every volume of the array is at one of rows: the
// judgement, narrowed to those rows, matches (or, without CIM, finds
// nothing to compare but the state is one of them).
func (w *walk) allAt(a conformance.Input, ids []string) bool {
	ls := conformance.Judge(a, conformance.Options{Table: w.table, Strict: w.opt.Strict, Rows: ids})
	if len(ls) == 0 {
		return false
	}
	for _, l := range ls {
		if len(l.Findings) == 0 {
			return false
		}
		for _, f := range l.Findings {
			if f.Verdict != conformance.Match && (a.CIM != nil || f.Verdict != conformance.NoObservation) {
				return false
			}
		}
	}
	return true
}

// stateText is what the arrays show, for progress lines: "sim-b
// Primary-Rev/Stopped (target failed)".
func (w *walk) stateText(s Step, obs map[Side]conformance.Input, errs map[Side]error) string {
	var parts []string
	for _, side := range []Side{Primary, Secondary} {
		if !s.Observes(side) {
			continue
		}
		if err := errs[side]; err != nil {
			parts = append(parts, w.name(side)+" unreachable")
			continue
		}
		a := obs[side]
		if a.Output == nil {
			continue
		}
		seen := map[string]bool{}
		var states []string
		for _, g := range a.Output.Groups {
			for _, v := range g.Volumes {
				st := g.Role + "/" + v.SyncStatus
				if ts := conformance.TargetStatus(a.Output, g.Target); ts != "" {
					st += " target " + ts
				}
				if !seen[st] {
					seen[st] = true
					states = append(states, st)
				}
			}
		}
		parts = append(parts, w.name(side)+" "+strings.Join(states, ", "))
	}
	return strings.Join(parts, "; ")
}

// judge checks one step's observation: conformance evaluation (CIM triple
// against the tables, pair rule) narrowed to the rows the step must show.
func (w *walk) judge(s Step, obs map[Side]conformance.Input, errs map[Side]error) StepResult {
	res := StepResult{Step: s, Conformant: true}
	var arrays []conformance.Input
	var sides []Side
	for _, side := range []Side{Primary, Secondary} {
		if !s.Observes(side) {
			continue
		}
		if err := errs[side]; err != nil {
			res.Findings = append(res.Findings, conformance.Finding{Array: w.name(side), Group: strings.Join(w.groups[side], ","),
				Volume: "(array)", Verdict: conformance.Mismatch, Reason: "cannot read the array: " + err.Error()})
			continue
		}
		a, ok := obs[side]
		if !ok {
			continue
		}
		arrays = append(arrays, a)
		sides = append(sides, side)
		for _, g := range w.groups[side] {
			if !hasGroup(a.Output, g) {
				res.Findings = append(res.Findings, conformance.Finding{Array: a.Name, Group: g, Volume: "(group)",
					Verdict: conformance.Mismatch, Reason: "the array does not list the group"})
			}
		}
	}
	for k, a := range arrays {
		opt := conformance.Options{Table: w.table, Strict: w.opt.Strict}
		if rows := s.Rows(sides[k]); len(rows) > 0 {
			opt.Rows = rows
		}
		res.Findings = append(res.Findings, conformance.Findings(conformance.Judge(a, opt))...)
	}
	if len(arrays) == 2 {
		res.Findings = append(res.Findings, conformance.PairFindings(arrays[0], arrays[1])...)
	}
	for _, f := range res.Findings {
		if f.Verdict.Fails(w.opt.Strict) {
			res.Conformant = false
		}
	}
	return res
}
