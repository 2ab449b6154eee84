package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/htmlreport"
	"github.com/threepar/rcopy-exporter/source"
)

func init() {
	register(subcommand{
		name: "simulate",
		help: "Walk normal operation (Table 109) and the disaster-recovery sequence (Table 110) on a built-in simulated pair, or the Synchronous Long Distance trio, checking every step on every array. Exit 0 conformant, 1 not, 2 could not run.",
		setup: func(c *kingpin.CmdClause) func(env) int {
			scenario := c.Flag("scenario", "built-in scenario: pair (two arrays; normal operation, then the DR sequence with its failure branches) or sld (a Synchronous Long Distance trio; the DR sequence)").Default("pair").Enum(fakearray.BuiltinScenarios...)
			inject := c.Flag("inject", "inject a simulator fault, FAULT (every array) or ARRAY:FAULT; repeatable. E.g. cim-copy-state-mismatch, split-brain, no-role-reversal").PlaceHolder("FAULT").Strings()
			flags := addCheckFlags(c)
			return func(e env) int { return simulate(e, *scenario, *inject, flags) }
		},
	})
}

// simDriver drives the simulated arrays as a person would: CLI commands and
// showrcopy over SSH and CIM through the client (drill.Pair); power, faults
// and volume statuses, which a person does physically or not at all (simctl
// on the simulator), through the simulator's Go API.
// Transitions are held (a long transition delay) until the walk finishes
// them, so every intermediate row is observed and the walk takes seconds.
type simDriver struct {
	*drill.Pair
	sim    *fakearray.Sim
	arrays []string
}

func (d *simDriver) InjectFault(_ context.Context, fault string) error {
	for _, a := range d.arrays {
		if err := d.sim.InjectFault(a, fault); err != nil {
			return err
		}
	}
	return nil
}

func (d *simDriver) ClearFault(_ context.Context, fault string) error {
	for _, a := range d.arrays {
		if err := d.sim.ClearFault(a, fault); err != nil {
			return err
		}
	}
	return nil
}

func (d *simDriver) SetVolumeStatus(_ context.Context, group, volume, status string) error {
	return d.sim.SetVolumeStatus(group, volume, "", status)
}

func (d *simDriver) FinishTransitions(ctx context.Context) error {
	d.sim.FinishTransitions()
	return d.sim.WaitIdle(ctx)
}

// holdTransitions is the simulator's transition delay: long enough that a
// transition never ends on its own during a walk.
const holdTransitions = time.Hour

// walkScenario is what `simulate --scenario NAME` walks: the built-in
// scenario and the steps. The pair gets a group never started (rcg-new),
// so that the walk shows a new group's volumes New and its initial sync;
// the trio walks the Synchronous Long Distance sequence.
func walkScenario(name string) (*fakearray.Scenario, []drill.Step, error) {
	sc, err := fakearray.BuiltinScenario(name)
	if err != nil {
		return nil, nil, err
	}
	if len(sc.Arrays) == 3 {
		return sc, drill.SLDSequence(), nil
	}
	a, b := sc.Arrays[0].Name, sc.Arrays[1].Name
	sc.Groups = append(sc.Groups, fakearray.GroupConfig{Name: "rcg-new", Primary: a, Secondary: b, Mode: "sync", New: true,
		Options: []string{"auto_recover"}, Volumes: []fakearray.VolumeConfig{{Name: "new.0"}, {Name: "new.1"}}})
	return sc, drill.Sequence(), nil
}

func simulate(e env, scenario string, inject []string, flags checkFlags) int {
	tabs, code := loadTables(e, *flags.tableFile, *flags.strict)
	if tabs.table == nil {
		return code
	}
	table := tabs.table
	sc, steps, err := walkScenario(scenario)
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: simulate: %v\n", err)
		return exitCouldNotRun
	}
	var names []string
	for _, a := range sc.Arrays {
		names = append(names, a.Name)
	}
	var faults []string // ARRAY:FAULT, for the report
	for _, spec := range inject {
		injections, err := fakearray.ParseInjection(spec, names)
		if err != nil {
			fmt.Fprintf(e.stderr, "checker: simulate: --inject %q: %v\n", spec, err)
			return exitCouldNotRun
		}
		for _, in := range injections {
			faults = append(faults, in.Array+":"+in.Fault.String())
		}
	}
	out := openOutput(e, *flags.output)
	if out == nil {
		return exitCouldNotRun
	}
	defer out.discard()
	started := time.Now()
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{TransitionDelay: holdTransitions, Faults: faults})
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: simulate: starting the simulated pair: %v\n", oneLine(err))
		return exitCouldNotRun
	}
	defer sim.Close()
	// The pair is reached as a deployment reaches arrays: the configuration
	// the simulator writes (password files, known_hosts), through the same
	// clients as `checker check` and the drill.
	dir, err := os.MkdirTemp("", "checker-simulate-")
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: simulate: %v\n", err)
		return exitCouldNotRun
	}
	defer os.RemoveAll(dir)
	cfgPath, err := sim.WriteConfig(dir, fakearray.ConfigOptions{CIM: true, Arrays: names})
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: simulate: %v\n", oneLine(err))
		return exitCouldNotRun
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: simulate: %v\n", oneLine(err))
		return exitCouldNotRun
	}
	clients := source.NewClients(nil)
	defer clients.Close()
	arrays := make([]source.Array, 3)
	for i, name := range names {
		// A simulator: the walk changes it.
		if arrays[i], err = arrayFromConfig(cfg, name, clients, true); err != nil {
			fmt.Fprintf(e.stderr, "checker: simulate: %v\n", oneLine(err))
			return exitCouldNotRun
		}
	}
	d := &simDriver{sim: sim, arrays: names, Pair: &drill.Pair{Primary: arrays[0], Secondary: arrays[1], Third: arrays[2],
		IsolateFunc:   func(context.Context) error { return sim.ArrayDown(names[0]) },
		ReconnectFunc: func(context.Context) error { return sim.ArrayUp(names[0]) },
	}}
	opt := drill.Options{PrimaryName: names[0], SecondaryName: names[1], Steps: steps, Table: table, Strict: *flags.strict,
		StepTimeout: time.Minute}
	if len(names) == 3 {
		opt.ThirdName = names[2]
	}
	format := conformance.Format(*flags.format)
	if format != conformance.FormatJSON && drill.IsTerminal(e.stderr) {
		opt.Progress = drill.TermProgress{W: e.stderr}
	}
	m := walkMeta(cfg, names[0], names[1], tabs)
	m.Started, m.Faults = started, faults
	if format == htmlreport.Format {
		opt.BeforeChanges = func(*drill.Report) { readVersions(ctx, &m, arrays[0], arrays[1]) }
	}
	rep, err := drill.Run(ctx, d, opt)
	if rep == nil {
		fmt.Fprintf(e.stderr, "checker: simulate: %s\n", oneLine(err))
		return exitCouldNotRun
	}
	return writeWalk(e, out, rep, format, m, htmlreport.TitleSimulate, err)
}

// walkMeta describes the pair of a walk for the HTML report.
func walkMeta(cfg *config.Config, primary, secondary string, t tables) htmlreport.Meta {
	p, s := targetInfo(cfg, primary), targetInfo(cfg, secondary)
	p.Side, s.Side = "natural primary", "natural secondary"
	return meta([]htmlreport.Array{p, s}, t)
}

// readVersions reads showversion on both arrays of a walk; the walk calls
// it once it has read the pair and found it fit, before the first change
// (so an unreachable array fails the walk's own way, and the primary is
// still up).
func readVersions(ctx context.Context, m *htmlreport.Meta, primary, secondary source.Array) {
	m.Arrays[0].Version = readVersion(ctx, primary)
	m.Arrays[1].Version = readVersion(ctx, secondary)
}

// writeWalk writes a walk's report and returns the exit status: 0 when it
// conforms, 1 when not, 2 when it could not run to its end. m describes
// the run for the HTML report (title says what was walked).
func writeWalk(e env, out *output, rep *drill.Report, format conformance.Format, m htmlreport.Meta, title string, runErr error) int {
	render := func(w io.Writer) error { return drill.Write(w, rep, format) }
	if format == htmlreport.Format {
		m.Finished = time.Now()
		names := make([][2]string, min(len(rep.Groups), len(rep.SecondaryGroups)))
		for i := range names {
			names[i] = [2]string{rep.Groups[i], rep.SecondaryGroups[i]}
		}
		setSystemIDs(m.Arrays, names)
		render = func(w io.Writer) error { return htmlreport.WriteWalk(w, rep, m, title) }
	}
	if !out.write(render) {
		return exitCouldNotRun
	}
	if runErr != nil {
		fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(runErr))
		return exitCouldNotRun
	}
	if f, ok := rep.FirstFailure(); ok {
		fmt.Fprintf(e.stderr, "checker: first failure at step %s (rows %s): %s %s %s: %s\n", f.Step, f.Rows, f.Array, f.Group, f.Volume, f.Reason)
		return exitNonConform
	}
	if !rep.Conformant {
		return exitNonConform
	}
	return exitConforms
}
