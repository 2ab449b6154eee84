package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/source"
)

func init() {
	register(subcommand{
		name: "simulate",
		help: "Walk the disaster-recovery sequence (Table 110) on the built-in simulated pair, checking every step on both arrays. Exit 0 conformant, 1 not, 2 could not run.",
		setup: func(c *kingpin.CmdClause) func(env) int {
			inject := c.Flag("inject", "inject a simulator fault, FAULT (both arrays) or ARRAY:FAULT; repeatable. E.g. cim-copy-state-mismatch, split-brain, no-role-reversal").PlaceHolder("FAULT").Strings()
			flags := addCheckFlags(c)
			return func(e env) int { return simulate(e, *inject, flags) }
		},
	})
}

// simDriver drives the simulated pair as a person would: CLI commands and
// showrcopy over SSH and CIM through the client (drill.Pair); power and
// faults, which a person does physically, through the simulator's Go API.
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

func (d *simDriver) FinishTransitions(ctx context.Context) error {
	d.sim.FinishTransitions()
	return d.sim.WaitIdle(ctx)
}

// holdTransitions is the simulator's transition delay: long enough that a
// transition never ends on its own during a walk.
const holdTransitions = time.Hour

func simulate(e env, inject []string, flags checkFlags) int {
	table, code := loadTable(e, *flags.tableFile)
	if table == nil {
		return code
	}
	sc := fakearray.DefaultScenario()
	var names []string
	for _, a := range sc.Arrays {
		names = append(names, a.Name)
	}
	if len(names) < 2 {
		fmt.Fprintln(e.stderr, "checker: simulate: the built-in scenario has fewer than two arrays")
		return exitCouldNotRun
	}
	for _, spec := range inject {
		if _, err := fakearray.ParseInjection(spec, names); err != nil {
			fmt.Fprintf(e.stderr, "checker: simulate: --inject %q: %v\n", spec, err)
			return exitCouldNotRun
		}
	}
	ctx, cancel := context.WithCancel(e.ctx)
	defer cancel()
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{TransitionDelay: holdTransitions, Faults: inject})
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
	cfgPath, err := sim.WriteConfig(dir, fakearray.ConfigOptions{CIM: true, Arrays: names[:2]})
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
	var pair [2]source.Array
	for i, name := range names[:2] {
		// A simulator: the walk changes it.
		if pair[i], err = arrayFromConfig(cfg, name, clients, true); err != nil {
			fmt.Fprintf(e.stderr, "checker: simulate: %v\n", oneLine(err))
			return exitCouldNotRun
		}
	}
	primary, secondary := pair[0], pair[1]
	d := &simDriver{sim: sim, arrays: names[:2], Pair: &drill.Pair{Primary: primary, Secondary: secondary,
		IsolateFunc:   func(context.Context) error { return sim.ArrayDown(names[0]) },
		ReconnectFunc: func(context.Context) error { return sim.ArrayUp(names[0]) },
	}}
	opt := drill.Options{PrimaryName: names[0], SecondaryName: names[1], Table: table, Strict: *flags.strict,
		StepTimeout: time.Minute}
	format := conformance.Format(*flags.format)
	if format != conformance.FormatJSON && drill.IsTerminal(e.stderr) {
		opt.Progress = drill.TermProgress{W: e.stderr}
	}
	rep, err := drill.Run(ctx, d, opt)
	if rep == nil {
		fmt.Fprintf(e.stderr, "checker: simulate: %s\n", oneLine(err))
		return exitCouldNotRun
	}
	return writeWalk(e, rep, format, err)
}

// writeWalk writes a walk's report and returns the exit status: 0 when it
// conforms, 1 when not, 2 when it could not run to its end.
func writeWalk(e env, rep *drill.Report, format conformance.Format, runErr error) int {
	if err := drill.Write(e.stdout, rep, format); err != nil {
		fmt.Fprintf(e.stderr, "checker: writing the report: %v\n", err)
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
