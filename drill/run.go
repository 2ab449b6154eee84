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
	// ThirdName, when set, walks a Synchronous Long Distance trio: the
	// third array (the periodic secondary) is read at every step too, each
	// array's listings are judged per peer (Step.Legs), the pair rule is
	// checked between every two arrays whose listings lead to each other,
	// and the secondary's DR commands name their target (`-t`).
	ThirdName string
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
	// Third is the third array of a trio ("" for a pair).
	Third string
	// Groups are the walked groups on the primary and, in the same order,
	// on the secondary (and the third array).
	Groups, SecondaryGroups, ThirdGroups []string
	// CommandTarget is the target the secondary's DR commands name (`-t`,
	// a group with several targets); "" for a pair.
	CommandTarget string
	Steps         []StepResult
	Conformant    bool
	Strict        bool // not_in_table fails (Options.Strict)
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
				return Failure{Step: s.Name, Rows: s.expectText(r.Primary, r.Secondary, r.Third), Array: f.Array, Group: f.Group,
					Volume: f.Volume, Verdict: string(f.Verdict), Reason: f.Reason}, true
			}
		}
		return Failure{Step: s.Name, Rows: s.expectText(r.Primary, r.Secondary, r.Third), Reason: s.Note}, true
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
	vols   VolumeStatusSetter
	// sides are the arrays walked: Primary, Secondary and, for a trio, Third.
	sides []Side
	// names of the walked groups per side
	groups map[Side][]string
	// targets[X][Y] is the target array X lists the walked groups under
	// for its leg to Y (a trio only).
	targets map[Side]map[Side]string
	rep     *Report
	// before is what the arrays showed before the last group command;
	// sawRunning whether its running state has been seen since.
	before     string
	sawRunning bool
}

// fingerprint sums up what the arrays show (roles, sync statuses, target
// statuses, CIM triples), to tell whether anything changed.
func fingerprint(obs map[Side]conformance.Input, errs map[Side]error) string {
	var b strings.Builder
	for _, side := range []Side{Primary, Secondary, Third} {
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
	w.vols, _ = d.(VolumeStatusSetter)
	w.sides = []Side{Primary, Secondary}
	if opt.ThirdName != "" {
		w.sides = append(w.sides, Third)
	}
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
		if s.Action == Degrade && w.vols == nil {
			return nil, &PreflightError{Reason: fmt.Sprintf("step %s sets volume statuses, which this pair cannot do", s.Name)}
		}
		if (len(s.Legs) > 0) != (opt.ThirdName != "") {
			return nil, &PreflightError{Reason: fmt.Sprintf("step %s is for a %s, the walk has %d arrays", s.Name, map[bool]string{true: "trio", false: "pair"}[len(s.Legs) > 0], len(w.sides))}
		}
	}

	first, err := w.preflight(ctx)
	if err != nil {
		return nil, err
	}
	w.rep = &Report{Primary: opt.PrimaryName, Secondary: opt.SecondaryName, Third: opt.ThirdName, Groups: w.groups[Primary],
		SecondaryGroups: w.groups[Secondary], ThirdGroups: w.groups[Third], CommandTarget: w.targets[Secondary][Primary],
		Conformant: true, Strict: opt.Strict, Planned: len(steps)}

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
	for _, side := range w.sides {
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
	if w.opt.ThirdName != "" {
		if err := w.findThird(po, obs[Third].Output); err != nil {
			return nil, err
		}
	}
	for side, a := range obs {
		obs[side] = w.filter(side, a)
	}
	if w.opt.ThirdName != "" {
		if err := w.findTargets(obs); err != nil {
			return nil, err
		}
	}
	return obs, nil
}

// findThird finds the walked groups on the third array of a trio (those
// that pair with the primary's) and, for every array, the target under
// which it lists them for each peer.
func (w *walk) findThird(po, to *parser.Output) error {
	names := map[string]string{} // primary group -> third's
	for _, gp := range conformance.PairGroups(po, to) {
		if gp.A >= 0 && gp.B >= 0 {
			if _, dup := names[po.Groups[gp.A].Name]; !dup {
				names[po.Groups[gp.A].Name] = to.Groups[gp.B].Name
			}
		}
	}
	for _, g := range w.groups[Primary] {
		tg, ok := names[g]
		if !ok {
			return &PreflightError{Array: w.name(Third), Reason: fmt.Sprintf("no counterpart of group %q (is %s its periodic target?)", g, w.name(Third))}
		}
		w.groups[Third] = append(w.groups[Third], tg)
	}
	return nil
}

// findTargets learns, from the first look at a trio, under which target
// each array lists the walked groups for each peer: the peer is the array
// whose volumes the listing's remote volumes are (name and id, both ways).
func (w *walk) findTargets(obs map[Side]conformance.Input) error {
	type vol struct {
		name string
		id   int
	}
	local := map[Side]map[[2]vol]bool{} // side -> (local, remote) pairs it lists
	for _, side := range w.sides {
		local[side] = map[[2]vol]bool{}
		for _, g := range obs[side].Output.Groups {
			for _, v := range g.Volumes {
				local[side][[2]vol{{v.LocalVV, v.LocalID}, {v.RemoteVV, v.RemoteID}}] = true
			}
		}
	}
	w.targets = map[Side]map[Side]string{}
	for _, x := range w.sides {
		w.targets[x] = map[Side]string{}
		for _, g := range obs[x].Output.Groups {
			if len(g.Volumes) == 0 {
				continue
			}
			v := g.Volumes[0]
			var peers []Side
			for _, y := range w.sides {
				if y != x && local[y][[2]vol{{v.RemoteVV, v.RemoteID}, {v.LocalVV, v.LocalID}}] {
					peers = append(peers, y)
				}
			}
			if len(peers) != 1 {
				return &PreflightError{Array: w.name(x), Reason: fmt.Sprintf("cannot tell which array group %s (target %s) replicates with: its volumes are the remote volumes of %d walked arrays",
					g.Name, g.Target, len(peers))}
			}
			if t, ok := w.targets[x][peers[0]]; ok && t != g.Target {
				return &PreflightError{Array: w.name(x), Reason: fmt.Sprintf("lists the walked groups for %s under two targets, %s and %s", w.name(peers[0]), t, g.Target)}
			}
			w.targets[x][peers[0]] = g.Target
		}
	}
	for _, x := range w.sides {
		for _, y := range w.sides {
			if x != y && w.targets[x][y] == "" {
				return &PreflightError{Array: w.name(x), Reason: fmt.Sprintf("lists no walked group for %s: not a Synchronous Long Distance trio", w.name(y))}
			}
		}
	}
	return nil
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
	switch side {
	case Primary:
		return w.opt.PrimaryName
	case Secondary:
		return w.opt.SecondaryName
	}
	return w.opt.ThirdName
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
	if s.Action != Wait && s.Action != Isolate && s.Action != Reconnect && w.holder == nil {
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
		res.Note = fmt.Sprintf("timed out after %s waiting for %s", w.opt.StepTimeout, s.expectText(w.opt.PrimaryName, w.opt.SecondaryName, w.opt.ThirdName))
	}
	return res
}

func (w *walk) actionFailed(s Step, what string, err error) StepResult {
	msg := actionFailedPrefix + what + ": " + err.Error()
	f := conformance.Finding{Array: w.opt.SecondaryName, Group: strings.Join(w.groups[Secondary], ","), Volume: "(action)",
		Verdict: conformance.Mismatch, Reason: msg}
	switch s.Action {
	case Isolate, Reconnect, Stop, Start, Degrade:
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
		return w.command(ctx, s.Action.CommandTo(w.targets[Secondary][Primary], w.groups[Secondary]))
	case Stop, Start:
		return w.startStop(ctx, s.Action)
	case Degrade:
		return w.degrade(ctx)
	}
	return nil
}

// startStop runs stoprcopygroup (Stop) or startrcopygroup (Start) on the
// primary for each walked group that is (Stop) or is not (Start) Started
// there: the commands take one group each and refuse a group already in
// the state asked for.
func (w *walk) startStop(ctx context.Context, a Action) error {
	in, err := w.d.Observe(ctx, Primary)
	if err != nil {
		return err
	}
	in = w.filter(Primary, in)
	done := map[string]bool{}
	for _, g := range in.Output.Groups {
		started := strings.EqualFold(g.Status, "Started")
		if done[g.Name] || started != (a == Stop) {
			continue
		}
		done[g.Name] = true
		if err := w.d.Command(ctx, Primary, a.groupCommand(g.Name)); err != nil {
			return err
		}
	}
	return nil
}

// degrade marks the first volume of the first walked group NotSynced (its
// initial sync failed on a read error) and the first volume of the first
// periodic group Stale (its last resync failed), on a simulator. Both
// arrays then print the status.
func (w *walk) degrade(ctx context.Context) error {
	in, err := w.d.Observe(ctx, Primary)
	if err != nil {
		return err
	}
	in = w.filter(Primary, in)
	notSynced, stale := false, false
	for _, g := range in.Output.Groups {
		if len(g.Volumes) == 0 {
			continue
		}
		switch {
		case !notSynced:
			notSynced = true
			if err := w.vols.SetVolumeStatus(ctx, g.Name, g.Volumes[0].LocalVV, StatusNotSynced); err != nil {
				return err
			}
		case !stale && strings.EqualFold(g.Mode, "Periodic"):
			stale = true
			if err := w.vols.SetVolumeStatus(ctx, g.Name, g.Volumes[0].LocalVV, StatusStale); err != nil {
				return err
			}
		}
	}
	if !notSynced {
		return errors.New("no walked group has a volume to mark NotSynced")
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
	for _, side := range w.sides {
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
	for _, side := range w.sides {
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
		ls := w.judgeArray(s, side, a, failure)
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
	}
	return constrained
}

// judgeArray is the judgement of one array at a step, narrowed to the rows
// the step expects there (failure: its failure rows): per array for a
// pair, per listing for a trio's step, whose listings each have their own
// rows (Step.Legs). The whole array is judged once per leg, so that every
// CIM instance is put on the listing it names, and the listings of that
// leg's target are kept.
func (w *walk) judgeArray(s Step, side Side, a conformance.Input, failure bool) []conformance.Listing {
	opt := conformance.Options{Table: w.table, Strict: w.opt.Strict}
	if failure {
		opt.Rows = s.FailureRows(side)
	} else if rows := s.Rows(side); len(rows) > 0 {
		opt.Rows = rows
	}
	if failure || len(s.Legs) == 0 || w.targets == nil {
		return conformance.Judge(a, opt)
	}
	var out []conformance.Listing
	for _, peer := range w.sides {
		rows, ok := s.LegRows(side, peer)
		if peer == side || !ok {
			continue
		}
		o := opt
		o.Rows = rows
		for _, l := range conformance.Judge(a, o) {
			if l.Group.Target == w.targets[side][peer] {
				out = append(out, l)
			}
		}
	}
	// Listings under a target of no expected leg: the union of the rows.
	for _, l := range conformance.Judge(a, opt) {
		if !w.legTarget(s, side, l.Group.Target) {
			out = append(out, l)
		}
	}
	return out
}

// legTarget reports whether the step names rows for the listings of side
// under target.
func (w *walk) legTarget(s Step, side Side, target string) bool {
	for _, peer := range w.sides {
		if _, ok := s.LegRows(side, peer); ok && peer != side && w.targets[side][peer] == target {
			return true
		}
	}
	return false
}

// stateText is what the arrays show, for progress lines: "sim-b
// Primary-Rev/Stopped (target failed)".
func (w *walk) stateText(s Step, obs map[Side]conformance.Input, errs map[Side]error) string {
	var parts []string
	for _, side := range w.sides {
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
	var sides []Side
	for _, side := range w.sides {
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
		sides = append(sides, side)
		for _, g := range w.groups[side] {
			if !hasGroup(a.Output, g) {
				res.Findings = append(res.Findings, conformance.Finding{Array: a.Name, Group: g, Volume: "(group)",
					Verdict: conformance.Mismatch, Reason: "the array does not list the group"})
			}
		}
	}
	for _, side := range sides {
		res.Findings = append(res.Findings, conformance.Findings(w.judgeArray(s, side, obs[side], false))...)
	}
	res.Findings = append(res.Findings, w.pairFindings(sides, obs)...)
	for _, f := range res.Findings {
		if f.Verdict.Fails(w.opt.Strict) {
			res.Conformant = false
		}
	}
	return res
}

// pairFindings checks the pair rule. For a pair, between the two arrays;
// for a trio, between every two arrays read, each with only its listings
// for the other (a trio's arrays pair leg by leg: A with B and with C, and
// the standby leg B-C, which the rule leaves out while both ends stand by).
func (w *walk) pairFindings(sides []Side, obs map[Side]conformance.Input) []conformance.Finding {
	if w.targets == nil {
		if len(sides) == 2 {
			return conformance.PairFindings(obs[sides[0]], obs[sides[1]])
		}
		return nil
	}
	var out []conformance.Finding
	for i, x := range sides {
		for _, y := range sides[i+1:] {
			out = append(out, conformance.PairFindings(onlyTarget(obs[x], w.targets[x][y]), onlyTarget(obs[y], w.targets[y][x]))...)
		}
	}
	return out
}

// onlyTarget keeps of an observation the listings under one target.
func onlyTarget(a conformance.Input, target string) conformance.Input {
	if a.Output == nil {
		return a
	}
	out := *a.Output
	out.Groups = nil
	for _, g := range a.Output.Groups {
		if g.Target == target {
			out.Groups = append(out.Groups, g)
		}
	}
	a.Output = &out
	return a
}
