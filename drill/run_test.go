package drill

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/parser"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// execDriver drives a simulated pair in-process through Sim.Exec (the CLI
// without SSH; the checker's tests cover SSH and CIM). Without CIM every
// volume's verdict is no_observation, so the walk is judged on showrcopy.
type execDriver struct {
	sim                *fakearray.Sim
	primary, secondary string
	third              string // a trio's third array
	failCommand        string // a command prefix that fails
	finishAfterCommand bool   // end transitions at once (a fast array)
	cim                bool   // observe the CIM triples the simulator reports
	commands           []string
}

func (d *execDriver) name(side Side) string {
	switch side {
	case Primary:
		return d.primary
	case Secondary:
		return d.secondary
	}
	return d.third
}

func (d *execDriver) Observe(_ context.Context, side Side) (conformance.Input, error) {
	out, status := d.sim.Exec(d.name(side), "showrcopy")
	if status != 0 {
		return conformance.Input{}, errors.New(strings.TrimSpace(out))
	}
	po, err := parser.Parse([]byte(out))
	if err != nil {
		return conformance.Input{}, err
	}
	a := conformance.Input{Name: d.name(side), Output: po}
	if d.cim { // what the simulator's CIM server serves, without HTTP
		gs, err := d.sim.Groups(d.name(side))
		if err != nil {
			return a, err
		}
		a.CIM = []conformance.Observed{}
		for _, g := range gs {
			for i, v := range g.Volumes {
				// The simulator names the row of its first volume's answer;
				// a volume in another status (an initial sync, a volume
				// fault: normal operation) has that status's Table 109 row.
				id := g.CIMRow
				if st := g.VolumeStatuses[i]; st != g.VolumeStatuses[0] {
					id = "T109-" + strings.ToLower(st)
				}
				r, ok := expected.Default().Row(id)
				if ok {
					a.CIM = append(a.CIM, conformance.Observed{Group: g.Group, Target: g.Target, Volume: v,
						ObservedTriple: conformance.ObservedTriple{Triple: r.Triple}})
				}
			}
		}
	}
	return a, nil
}

func (d *execDriver) Command(_ context.Context, side Side, command string) error {
	d.commands = append(d.commands, d.name(side)+": "+command)
	if d.failCommand != "" && strings.HasPrefix(command, d.failCommand) {
		return errors.New("Error: simulated refusal")
	}
	out, status := d.sim.Exec(d.name(side), command)
	if status != 0 {
		return errors.New(strings.TrimSpace(out))
	}
	if d.finishAfterCommand {
		d.sim.FinishTransitions()
	}
	return nil
}

func (d *execDriver) Isolate(context.Context) error   { return d.sim.ArrayDown(d.primary) }
func (d *execDriver) Reconnect(context.Context) error { return d.sim.ArrayUp(d.primary) }

// heldDriver also holds transitions, injects faults and sets volume
// statuses: the simulate mode.
type heldDriver struct{ *execDriver }

func (d heldDriver) SetVolumeStatus(_ context.Context, group, volume, status string) error {
	return d.sim.SetVolumeStatus(group, volume, "", status)
}

func (d heldDriver) arrays() []string {
	if d.third != "" {
		return []string{d.primary, d.secondary, d.third}
	}
	return []string{d.primary, d.secondary}
}

func (d heldDriver) FinishTransitions(ctx context.Context) error {
	d.sim.FinishTransitions()
	return d.sim.WaitIdle(ctx)
}

func (d heldDriver) InjectFault(_ context.Context, f string) error {
	for _, a := range d.arrays() {
		if err := d.sim.InjectFault(a, f); err != nil {
			return err
		}
	}
	return nil
}

func (d heldDriver) ClearFault(_ context.Context, f string) error {
	for _, a := range d.arrays() {
		if err := d.sim.ClearFault(a, f); err != nil {
			return err
		}
	}
	return nil
}

func startSim(t *testing.T, delay time.Duration, faults ...string) *execDriver {
	t.Helper()
	return startScenario(t, fakearray.DefaultScenario(), delay, faults...)
}

// withNewGroup is the built-in pair with a group never started (rcg-new,
// synchronous, two volumes), as checker simulate walks it: the walk's
// first steps start it.
func withNewGroup() *fakearray.Scenario {
	sc := fakearray.DefaultScenario()
	sc.Groups = append(sc.Groups, fakearray.GroupConfig{Name: "rcg-new", Primary: "sim-a", Secondary: "sim-b", Mode: "sync",
		New: true, Options: []string{"auto_recover"}, Volumes: []fakearray.VolumeConfig{{Name: "new.0"}, {Name: "new.1"}}})
	return sc
}

func startScenario(t *testing.T, sc *fakearray.Scenario, delay time.Duration, faults ...string) *execDriver {
	t.Helper()
	sim, err := fakearray.Start(context.Background(), sc, fakearray.Options{TransitionDelay: delay, Faults: faults,
		// The link and target timeouts in milliseconds: steps wait at most a
		// fraction of a second for them.
		TimeScale: 1e-4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return &execDriver{sim: sim, primary: "sim-a", secondary: "sim-b"}
}

func opts() Options {
	return Options{PrimaryName: "sim-a", SecondaryName: "sim-b", PollInterval: time.Millisecond, StepTimeout: 5 * time.Second}
}

func TestSequenceRowsAreTheTables(t *testing.T) {
	table := expected.Default()
	seen := map[string]bool{}
	for _, walk := range [][]Step{Sequence(), SLDSequence()} {
		for _, s := range walk {
			for _, side := range []Side{Primary, Secondary, Third} {
				for _, id := range append(slices.Clone(s.Rows(side)), s.FailureRows(side)...) {
					r, ok := table.Row(id)
					if !ok {
						t.Errorf("step %s names row %s, which the tables lack", s.Name, id)
						continue
					}
					// In a trio the tables' natural sides hold between A
					// and B; A's and C's other legs may stand by (a
					// secondary's row) or receive from B after recover (the
					// natural primary's rows).
					if len(s.Legs) > 0 && side != Third {
						peer := Secondary - side
						if rows, _ := s.LegRows(side, peer); !slices.Contains(rows, id) {
							seen[id] = true
							continue
						}
					}
					if side != Third && r.Array != expected.ArrayEither && r.Array != side.String() {
						t.Errorf("step %s expects %s row %s on the %s", s.Name, r.Array, id, side)
					}
					seen[id] = true
				}
			}
			if s.PrimaryAway && len(s.Rows(Primary)) > 0 {
				t.Errorf("step %s expects rows of a primary it does not read", s.Name)
			}
			if (s.Fault != "") != (s.Branch && s.Action != Wait) {
				t.Errorf("step %s: fault %q on a branch step with an action only", s.Name, s.Fault)
			}
			if len(s.Legs) > 0 && (len(s.PrimaryRows) > 0 || len(s.SecondaryRows) > 0) {
				t.Errorf("step %s has rows per array and per listing", s.Name)
			}
		}
	}
	// The two walks together name every row of the tables.
	for _, r := range table.Rows() {
		if !seen[r.ID] {
			t.Errorf("row %s is in no step", r.ID)
		}
	}
	for _, s := range MainPath() {
		if s.Branch || s.Fault != "" || s.Simulated || s.Action == Degrade {
			t.Errorf("main path holds branch or simulated step %s", s.Name)
		}
	}
	// Every trio step names the rows of every listing it reads.
	for _, s := range SLDSequence() {
		for _, of := range []Side{Primary, Secondary, Third} {
			for _, peer := range []Side{Primary, Secondary, Third} {
				_, ok := s.LegRows(of, peer)
				if want := of != peer && s.Observes(of); ok != want {
					t.Errorf("SLD step %s: rows for %s's leg to %s: %t, want %t", s.Name, of, peer, ok, want)
				}
			}
		}
	}
}

// TestWalkHeld walks the whole sequence with held transitions, as
// checker simulate does, and pins the three renderings.
func TestWalkHeld(t *testing.T) {
	d := startScenario(t, withNewGroup(), time.Hour)
	d.cim = true
	var prog recordProgress
	o := opts()
	o.Progress = &prog
	rep, err := Run(context.Background(), heldDriver{d}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Conformant || len(rep.Steps) != len(Sequence()) || rep.Stopped != "" || len(rep.Recovery()) != 0 {
		var text bytes.Buffer
		_ = WriteText(&text, rep)
		t.Fatalf("conformant %t, %d steps, stopped %q, recovery %v\n%s", rep.Conformant, len(rep.Steps), rep.Stopped, rep.Recovery(), text.String())
	}
	for _, s := range rep.Steps {
		if !s.Observed || !s.Conformant {
			t.Errorf("step %s: observed %t conformant %t: %s", s.Name, s.Observed, s.Conformant, failureText(s, false))
		}
	}
	if prog.started != len(Sequence()) || prog.done != len(Sequence()) {
		t.Errorf("progress: %d started, %d done", prog.started, prog.done)
	}
	wantCmds := []string{
		"sim-a: startrcopygroup rcg-new",
		"sim-a: stoprcopygroup -f rcg-db",
		"sim-a: stoprcopygroup -f rcg-new",
		"sim-a: startrcopygroup rcg-files",
		"sim-b: setrcopygroup failover -f rcg-db.r188150 rcg-app.r188150 rcg-files.r188150 rcg-new.r188150",
		"sim-b: setrcopygroup recover -f rcg-db.r188150 rcg-app.r188150 rcg-files.r188150 rcg-new.r188150",
	}
	for _, c := range wantCmds {
		if !slices.Contains(d.commands, c) {
			t.Errorf("commands %q lack %q", d.commands, c)
		}
	}
	var text, junit, js bytes.Buffer
	if err := Write(&text, rep, conformance.FormatText); err != nil {
		t.Fatal(err)
	}
	golden(t, "walk.txt", text.String())
	if err := Write(&junit, rep, conformance.FormatJUnit); err != nil {
		t.Fatal(err)
	}
	golden(t, "walk.junit.xml", junit.String())
	var suites struct {
		Tests int `xml:"tests,attr"`
	}
	if err := xml.Unmarshal(junit.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	// One testcase per (step, array, volume) and per pair check: 15
	// volumes per array, 4 group pairs, 20 steps of which 3 without the
	// primary.
	if want := 17*(2*15+4) + 3*15; suites.Tests != want {
		t.Errorf("junit: %d testcases, want %d", suites.Tests, want)
	}
	if err := Write(&js, rep, conformance.FormatJSON); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"conformant", "primary", "secondary", "groups", "secondary_groups", "first_failure", "steps"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	step := doc["steps"].([]any)[10].(map[string]any)
	for _, k := range []string{"name", "title", "action", "rows", "observed", "outcome", "conformant", "elapsed_seconds", "findings"} {
		if _, ok := step[k]; !ok {
			t.Errorf("step JSON lacks %q: %v", k, step)
		}
	}
	if step["name"] != "primary-back" || fmt.Sprint(step["rows"]) != "[T110-4 T110-3b]" {
		t.Errorf("step 11 JSON: %v", step)
	}
	// Every row of both tables but the trio's standby (SLD-backup) shows.
	shown := map[string]bool{}
	for _, s := range rep.Steps {
		for _, f := range s.Findings {
			if f.Verdict == conformance.Match && f.Matched != "" {
				shown[f.Matched] = true
			}
		}
	}
	for _, r := range expected.Default().Rows() {
		if !shown[r.ID] && r.ID != "SLD-backup" {
			t.Errorf("row %s never shown", r.ID)
		}
	}
}

type recordProgress struct{ started, waiting, done int }

func (p *recordProgress) StepStarted(int, int, Step)                    { p.started++ }
func (p *recordProgress) Waiting(int, int, Step, time.Duration, string) { p.waiting++ }
func (p *recordProgress) StepDone(int, int, StepResult)                 { p.done++ }

// TestWalkPolling walks the main path on a pair whose transitions take
// their time, as a lab drill does: the walk polls until each shows.
func TestWalkPolling(t *testing.T) {
	t.Run("CIM", func(t *testing.T) { testWalkPolling(t, true) })
	// Without CIM, showrcopy cannot tell a running failover from a
	// finished one (T110-2 and T110-3 print alike): the walk moves on and
	// the next command, refused while the failover is "in progress", is
	// retried.
	t.Run("showrcopy only", func(t *testing.T) { testWalkPolling(t, false) })
}

func testWalkPolling(t *testing.T, cim bool) {
	d := startSim(t, 20*time.Millisecond)
	d.cim = cim
	o := opts()
	o.Groups = []string{"rcg-app"}
	rep, err := Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range rep.Steps {
		names = append(names, s.Name)
		for _, f := range s.Findings {
			if !strings.HasPrefix(f.Group, "rcg-app") {
				t.Errorf("step %s checked %s", s.Name, f.Group)
			}
		}
		if !s.Conformant {
			t.Errorf("step %s: %s", s.Name, failureText(s, false))
		}
	}
	var want []string
	for _, s := range MainPath() {
		want = append(want, s.Name)
	}
	if !slices.Equal(names, want) || !rep.Conformant {
		t.Errorf("steps %v conformant %t, want %v", names, rep.Conformant, want)
	}
}

// TestTransientNotObserved: a transition that ends before the arrays are
// read is reported as not observed, not as a failure.
func TestTransientNotObserved(t *testing.T) {
	d := startSim(t, time.Hour)
	d.finishAfterCommand, d.cim = true, true
	rep, err := Run(context.Background(), d, opts())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Conformant {
		f, _ := rep.FirstFailure()
		t.Fatalf("not conformant: %+v", f)
	}
	for _, s := range rep.Steps {
		if s.Transient == s.Observed || (s.Transient && s.Outcome != outcomePassed) {
			t.Errorf("step %s: transient %t observed %t outcome %q", s.Name, s.Transient, s.Observed, s.Outcome)
		}
	}
}

func TestWalkStopsAtFirstFailure(t *testing.T) {
	d := startSim(t, 10*time.Millisecond, "sim-b:"+fakearray.FaultNoRoleReversal)
	o := opts()
	o.StopAtFirstFailure = true
	o.StepTimeout = 100 * time.Millisecond
	rep, err := Run(context.Background(), d, o)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rep.FirstFailure()
	if !ok || f.Step != "failover-issued" || f.Array != "sim-b" || f.Volume != "db.0" {
		t.Fatalf("first failure %+v", f)
	}
	if len(rep.Steps) != 3 || !strings.Contains(rep.Stopped, "failover-issued") || rep.Steps[2].Outcome != outcomeTimedOut {
		t.Errorf("%d steps, stopped %q, outcome %q", len(rep.Steps), rep.Stopped, rep.Steps[2].Outcome)
	}
	var got []string
	for _, r := range rep.Recovery() {
		got = append(got, r.Array+": "+r.Command)
	}
	want := []string{"sim-a: ",
		"sim-b: setrcopygroup recover -f rcg-db.r188150 rcg-app.r188150 rcg-files.r188150",
		"sim-b: setrcopygroup restore -f rcg-db.r188150 rcg-app.r188150 rcg-files.r188150"}
	if !slices.Equal(got, want) {
		t.Errorf("recovery %q, want %q", got, want)
	}
}

func TestActionFailureEndsTheWalk(t *testing.T) {
	d := startSim(t, time.Hour)
	d.failCommand = "setrcopygroup failover"
	rep, err := Run(context.Background(), heldDriver{d}, opts()) // even without StopAtFirstFailure
	if err != nil {
		t.Fatal(err)
	}
	last := rep.Steps[len(rep.Steps)-1]
	if last.Name != "failover-issued" || last.Conformant || !strings.Contains(last.Note, "simulated refusal") {
		t.Fatalf("last step %s conformant %t note %q", last.Name, last.Conformant, last.Note)
	}
	// The failover did not happen: going back is bringing the primary back.
	if len(rep.Back) != 1 || rep.Back[0] != Reconnect {
		t.Errorf("back %v, want [reconnect]", rep.Back)
	}
}

func TestPreflight(t *testing.T) {
	d := startSim(t, time.Hour)
	o := opts()
	o.Groups = []string{"no-such-group"}
	if _, err := Run(context.Background(), d, o); !isPreflight(err, `no remote copy group "no-such-group"`) {
		t.Errorf("unknown group: %v", err)
	}

	if out, status := d.sim.Exec("sim-a", "stoprcopygroup rcg-app"); status != 0 {
		t.Fatal(out)
	}
	o = opts()
	o.RequireHealthy = true
	rep, err := Run(context.Background(), d, o)
	if !isPreflight(err, "not healthy") || rep == nil || len(rep.Steps) != 1 || len(d.commands) != 0 {
		t.Errorf("stopped group: err %v, report %+v, commands %v", err, rep, d.commands)
	}

	d.sim.ArrayDown("sim-b")
	if _, err := Run(context.Background(), d, opts()); !isPreflight(err, "sim-b: cannot read the array") {
		t.Errorf("secondary down: %v", err)
	}

	o = opts()
	o.Steps = drPath() // branch steps need a FaultInjector
	if _, err := Run(context.Background(), d, o); !isPreflight(err, "needs fault recover-fails") {
		t.Errorf("branches on a lab pair: %v", err)
	}
	o.Steps = Sequence() // volume faults need a VolumeStatusSetter
	if _, err := Run(context.Background(), d, o); !isPreflight(err, "step volume-faults sets volume statuses, which this pair cannot do") {
		t.Errorf("volume faults on a lab pair: %v", err)
	}
	o.Steps = SLDSequence() // a trio's steps on a pair
	if _, err := Run(context.Background(), d, o); !isPreflight(err, "step healthy is for a trio, the walk has 2 arrays") {
		t.Errorf("trio steps on a pair: %v", err)
	}
}

func isPreflight(err error, msg string) bool {
	var pe *PreflightError
	return errors.As(err, &pe) && strings.Contains(pe.Error(), msg)
}

func TestCancelledWalk(t *testing.T) {
	d := startSim(t, time.Hour) // transitions never end by themselves
	d.cim = true
	ctx, cancel := context.WithCancel(context.Background())
	o := opts()
	o.Progress = cancelOnWait{cancel}
	rep, err := Run(ctx, d, o)
	if !errors.Is(err, context.Canceled) || rep == nil || !strings.Contains(rep.Stopped, "interrupted") || len(rep.Back) == 0 {
		t.Errorf("err %v report %+v", err, rep)
	}
}

// cancelOnWait cancels the walk the first time it waits.
type cancelOnWait struct{ cancel context.CancelFunc }

func (c cancelOnWait) StepStarted(int, int, Step)                    {}
func (c cancelOnWait) Waiting(int, int, Step, time.Duration, string) { c.cancel() }
func (c cancelOnWait) StepDone(int, int, StepResult)                 {}

// TestRecoverFailsUnseen: a recover that fails before the arrays are read.
// The simulator's recover-fails cuts the links (the manual's failed recover
// rows T110-8 and T110-10 are link-down rows), so showrcopy alone already
// shows the failure (the target is failed): with or without CIM the walk
// ends at recover-done with the failure rows, not at a timeout.
func TestRecoverFailsUnseen(t *testing.T) {
	for _, cim := range []bool{false, true} {
		t.Run(fmt.Sprint("cim=", cim), func(t *testing.T) {
			d := startSim(t, time.Hour, "sim-a:"+fakearray.FaultRecoverFails)
			d.finishAfterCommand, d.cim = true, cim
			o := opts()
			o.StopAtFirstFailure = true
			o.StepTimeout = 150 * time.Millisecond
			rep, err := Run(context.Background(), d, o)
			if err != nil {
				t.Fatal(err)
			}
			last := rep.Steps[len(rep.Steps)-1]
			wantStep, wantOutcome := "recover-done", outcomeFailed
			if last.Name != wantStep || last.Conformant || last.Outcome != wantOutcome {
				t.Errorf("last step %s conformant %t outcome %q, want %s failing, %s", last.Name, last.Conformant, last.Outcome, wantStep, wantOutcome)
			}
			if len(rep.Back) != 2 || rep.Back[0] != Recover || rep.Back[1] != Restore {
				t.Errorf("back %v, want recover, restore", rep.Back)
			}
		})
	}
}

func sldOpts() Options {
	o := opts()
	o.PrimaryName, o.SecondaryName, o.ThirdName = "sld-a", "sld-b", "sld-c"
	o.Steps = SLDSequence()
	return o
}

func startSLD(t *testing.T, faults ...string) heldDriver {
	t.Helper()
	d := startScenario(t, fakearray.SLDScenario(), time.Hour, faults...)
	d.primary, d.secondary, d.third, d.cim = "sld-a", "sld-b", "sld-c", true
	return heldDriver{d}
}

// TestWalkSLD walks the Synchronous Long Distance trio: every listing of
// every array at the rows its leg must show, the DR commands with -t, the
// pair rule leg by leg (the standby leg between B and C left out while it
// stands by).
func TestWalkSLD(t *testing.T) {
	d := startSLD(t)
	rep, err := Run(context.Background(), d, sldOpts())
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if !rep.Conformant || len(rep.Steps) != len(SLDSequence()) {
		t.Fatalf("conformant %t, %d steps\n%s", rep.Conformant, len(rep.Steps), text.String())
	}
	golden(t, "walk-sld.txt", text.String())
	if rep.Third != "sld-c" || !slices.Equal(rep.ThirdGroups, []string{"rcg-sld.r188160"}) || rep.CommandTarget != "sld-a" {
		t.Errorf("third %q groups %v command target %q", rep.Third, rep.ThirdGroups, rep.CommandTarget)
	}
	for _, c := range []string{"sld-b: setrcopygroup failover -f -t sld-a rcg-sld.r188160",
		"sld-b: setrcopygroup recover -f -t sld-a rcg-sld.r188160", "sld-b: setrcopygroup restore -f -t sld-a rcg-sld.r188160"} {
		if !slices.Contains(d.commands, c) {
			t.Errorf("commands %q lack %q", d.commands, c)
		}
	}
	pairs := map[string][]string{} // step -> arrays of its pair checks
	for _, s := range rep.Steps {
		legs := map[string]bool{}
		for _, f := range s.Findings {
			if f.Volume == conformance.PairVolume {
				pairs[s.Name] = append(pairs[s.Name], f.Array)
				continue
			}
			if f.Verdict != conformance.Match {
				t.Errorf("step %s: %s %s (%s) %s: %s %s", s.Name, f.Array, f.Group, f.Target, f.Volume, f.Verdict, f.Reason)
			}
			legs[f.Array+">"+f.Target] = true
		}
		// Every listing the step reads is judged: 3 arrays x 2 legs, 2 x 2
		// while the primary is away.
		if want := 6 - 2*boolInt(s.PrimaryAway); len(legs) != want {
			t.Errorf("step %s judged legs %v, want %d", s.Name, legs, want)
		}
	}
	for step, want := range map[string][]string{
		"healthy":        {"sld-a+sld-b", "sld-a+sld-c"}, // B-C stands by
		"primary-down":   nil,                            // only the standby leg between B and C is read
		"recover-done":   {"sld-a+sld-b", "sld-b+sld-c"}, // A-C stands by, B sends to both
		"restore-done":   {"sld-a+sld-b", "sld-a+sld-c"},
		"recover-issued": {"sld-a+sld-b", "sld-b+sld-c"},
	} {
		if !slices.Equal(pairs[step], want) {
			t.Errorf("step %s: pair checks %v, want %v", step, pairs[step], want)
		}
	}
	if !strings.Contains(text.String(), "SLD-backup") {
		t.Error("the text report does not show the standby row")
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestWalkSLDJudgesEachLeg: the rows of a trio's step are per listing. With
// the rows of B's two legs swapped at restore-issued (the leg to A must be
// failing back, T110-11; the leg to C completed, T110-7), the walk fails
// there, though the union of B's rows would accept both listings.
func TestWalkSLDJudgesEachLeg(t *testing.T) {
	steps := SLDSequence()
	for i := range steps {
		if steps[i].Name != "restore-issued" {
			continue
		}
		for j := range steps[i].Legs {
			switch l := &steps[i].Legs[j]; l.Leg {
			case Leg{Secondary, Primary}:
				l.Rows = []string{"T110-7"}
			case Leg{Secondary, Third}:
				l.Rows = []string{"T110-11"}
			}
		}
	}
	o := sldOpts()
	o.Steps = steps
	rep, err := Run(context.Background(), startSLD(t), o)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := rep.FirstFailure()
	if !ok || f.Step != "restore-issued" || f.Array != "sld-b" {
		t.Fatalf("first failure %+v, want restore-issued on sld-b", f)
	}
	var failed []string
	for _, s := range rep.Steps {
		for _, f := range s.Findings {
			if f.Verdict.Fails(false) {
				failed = append(failed, s.Name+" "+f.Target+" "+f.Volume)
			}
		}
	}
	want := []string{"restore-issued sld-a sld.0", "restore-issued sld-a sld.1", "restore-issued sld-c sld.0", "restore-issued sld-c sld.1"}
	if !slices.Equal(failed, want) {
		t.Errorf("failing findings %v, want %v", failed, want)
	}
}

// TestWalkSLDSplitBrain: the returning primary that keeps Primary on its
// leg to B (fault split-brain) breaks the pair rule between A and B.
func TestWalkSLDSplitBrain(t *testing.T) {
	rep, err := Run(context.Background(), startSLD(t, "sld-a:"+fakearray.FaultSplitBrain), sldOpts())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rep.Steps {
		if s.Name != "primary-back" {
			continue
		}
		found := false
		for _, f := range s.Findings {
			if f.Volume == conformance.PairVolume && f.Verdict == conformance.PairInconsistent && f.Array == "sld-a+sld-b" {
				found = true
			}
		}
		if !found || s.Conformant {
			t.Errorf("primary-back: no split brain between sld-a and sld-b: %+v", s.Findings)
		}
	}
}
