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
	failCommand        string // a command prefix that fails
	finishAfterCommand bool   // end transitions at once (a fast array)
	cim                bool   // observe the CIM triples the simulator reports
	commands           []string
}

func (d *execDriver) name(side Side) string {
	if side == Primary {
		return d.primary
	}
	return d.secondary
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
			r, ok := expected.Default().Row(g.CIMRow)
			for _, v := range g.Volumes {
				if ok {
					a.CIM = append(a.CIM, conformance.Observed{Group: g.Group, Volume: v, ObservedTriple: conformance.ObservedTriple{Triple: r.Triple}})
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

// heldDriver also holds transitions and injects faults: the simulate mode.
type heldDriver struct{ *execDriver }

func (d heldDriver) FinishTransitions(ctx context.Context) error {
	d.sim.FinishTransitions()
	return d.sim.WaitIdle(ctx)
}

func (d heldDriver) InjectFault(_ context.Context, f string) error {
	for _, a := range []string{d.primary, d.secondary} {
		if err := d.sim.InjectFault(a, f); err != nil {
			return err
		}
	}
	return nil
}

func (d heldDriver) ClearFault(_ context.Context, f string) error {
	for _, a := range []string{d.primary, d.secondary} {
		if err := d.sim.ClearFault(a, f); err != nil {
			return err
		}
	}
	return nil
}

func startSim(t *testing.T, delay time.Duration, faults ...string) *execDriver {
	t.Helper()
	sim, err := fakearray.Start(context.Background(), fakearray.DefaultScenario(), fakearray.Options{TransitionDelay: delay, Faults: faults,
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
	for _, s := range Sequence() {
		for _, side := range []Side{Primary, Secondary} {
			for _, id := range append(slices.Clone(s.Rows(side)), s.FailureRows(side)...) {
				r, ok := table.Row(id)
				if !ok {
					t.Errorf("step %s names row %s, which the tables lack", s.Name, id)
					continue
				}
				if r.Array != expected.ArrayEither && r.Array != side.String() {
					t.Errorf("step %s expects %s row %s on the %s", s.Name, r.Array, id, side)
				}
				seen[id] = true
			}
		}
		if s.PrimaryAway && len(s.PrimaryRows) > 0 {
			t.Errorf("step %s expects rows of a primary it does not read", s.Name)
		}
		if (s.Fault != "") != (s.Branch && s.Action != Wait) {
			t.Errorf("step %s: fault %q on a branch step with an action only", s.Name, s.Fault)
		}
	}
	for _, r := range table.Rows() {
		if r.Table == "110" && !seen[r.ID] {
			t.Errorf("Table 110 row %s is in no step", r.ID)
		}
	}
	for _, s := range MainPath() {
		if s.Branch || s.Fault != "" {
			t.Errorf("main path holds branch step %s", s.Name)
		}
	}
}

// TestWalkHeld walks the whole sequence with held transitions, as
// checker simulate does, and pins the three renderings.
func TestWalkHeld(t *testing.T) {
	d := startSim(t, time.Hour)
	var prog recordProgress
	o := opts()
	o.Progress = &prog
	rep, err := Run(context.Background(), heldDriver{d}, o)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Conformant || len(rep.Steps) != len(Sequence()) || rep.Stopped != "" || len(rep.Recovery()) != 0 {
		t.Fatalf("conformant %t, %d steps, stopped %q, recovery %v", rep.Conformant, len(rep.Steps), rep.Stopped, rep.Recovery())
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
		"sim-b: setrcopygroup failover -f rcg-db.r188150 rcg-app.r188150 rcg-files.r188150",
		"sim-b: setrcopygroup recover -f rcg-db.r188150 rcg-app.r188150 rcg-files.r188150",
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
	// One testcase per (step, array, volume) and per pair check: 13
	// volumes per array, 3 group pairs, 14 steps of which 3 without the
	// primary.
	if want := 11*(2*13+3) + 3*13; suites.Tests != want {
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
	step := doc["steps"].([]any)[4].(map[string]any)
	for _, k := range []string{"name", "title", "action", "rows", "observed", "outcome", "conformant", "elapsed_seconds", "findings"} {
		if _, ok := step[k]; !ok {
			t.Errorf("step JSON lacks %q: %v", k, step)
		}
	}
	if step["name"] != "primary-back" || fmt.Sprint(step["rows"]) != "[T110-4 T110-3 T110-3b]" {
		t.Errorf("step 5 JSON: %v", step)
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
	o.Steps = Sequence() // branch steps need a FaultInjector
	if _, err := Run(context.Background(), d, o); !isPreflight(err, "needs fault recover-fails") {
		t.Errorf("branches on a lab pair: %v", err)
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
