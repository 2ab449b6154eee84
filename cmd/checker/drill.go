package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/htmlreport"
	"github.com/threepar/rcopy-exporter/source"
	"github.com/threepar/rcopy-exporter/sshrun"
)

type drillFlags struct {
	configFile, primary, secondary   *string
	groups                           *[]string
	allowChanges, dryRun             *bool
	stepTimeout, pollInterval        *time.Duration
	isolateCommand, reconnectCommand *string
	check                            checkFlags
}

func init() {
	register(subcommand{
		name: "drill",
		help: "Walk the disaster-recovery sequence (failover, recover, restore) on a lab pair, checking every step; stops at the first failing step and prints how to bring the pair back. Changes the arrays: needs --allow-changes and targets marked lab: true. Exit 0 conformant, 1 not, 2 could not run.",
		setup: func(c *kingpin.CmdClause) func(env) int {
			f := drillFlags{
				configFile:       c.Flag("config", "configuration file; both targets must be under targets: with lab: true").PlaceHolder("FILE").String(),
				primary:          c.Flag("primary", "target name of the group's natural primary array").PlaceHolder("A").String(),
				secondary:        c.Flag("secondary", "target name of the natural secondary array").PlaceHolder("B").String(),
				groups:           c.Flag("group", "remote copy group to walk, by its name on the primary; repeatable").PlaceHolder("G").Strings(),
				allowChanges:     c.Flag("allow-changes", "confirm that the drill may fail over, recover and restore the groups").Bool(),
				dryRun:           c.Flag("dry-run", "print the plan and exit without contacting the arrays").Bool(),
				stepTimeout:      c.Flag("step-timeout", "how long to wait for each transition (and for the operator to take the primary down or bring it back)").Default(drill.DefaultStepTimeout.String()).Duration(),
				pollInterval:     c.Flag("poll-interval", "time between two showrcopy reads while waiting").Default(drill.DefaultPollInterval.String()).Duration(),
				isolateCommand:   c.Flag("isolate-command", "shell command that takes the primary down or cuts its remote copy links (default: ask the operator on stderr and wait)").PlaceHolder("CMD").String(),
				reconnectCommand: c.Flag("reconnect-command", "shell command that brings the primary back (default: ask the operator)").PlaceHolder("CMD").String(),
				check:            addCheckFlags(c),
			}
			return func(e env) int { return drillCommand(e, f) }
		},
	})
}

func drillCommand(e env, f drillFlags) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(e.stderr, "checker: drill: "+format+"\n", args...)
		return exitCouldNotRun
	}
	if *f.configFile == "" || *f.primary == "" || *f.secondary == "" || len(*f.groups) == 0 {
		return fail("needs --config FILE --primary A --secondary B --group G --allow-changes")
	}
	if *f.primary == *f.secondary {
		return fail("--primary and --secondary are the same array %q", *f.primary)
	}
	if !*f.allowChanges && !*f.dryRun {
		return fail("refusing to run without --allow-changes: the drill fails over, recovers and restores group(s) %s between %s and %s (use --dry-run to see the plan)",
			strings.Join(*f.groups, ", "), *f.primary, *f.secondary)
	}
	tabs, code := loadTables(e, *f.check.tableFile, *f.check.strict)
	if tabs.table == nil {
		return code
	}
	cfg, err := config.Load(*f.configFile)
	if err != nil {
		return fail("%s", oneLine(err))
	}
	for _, name := range []string{*f.primary, *f.secondary} {
		t, ok := cfg.Targets[name]
		if !ok {
			return fail("%s is not a target of %s (the drill works only on targets: entries marked lab: true)", name, *f.configFile)
		}
		if !t.Lab {
			return fail("refusing to change %s: it is not marked lab: true in %s", name, *f.configFile)
		}
	}
	// The same array may be named again, as another target that is not a lab.
	if err := cfg.CheckLabTargets(e.ctx, []string{*f.primary, *f.secondary}, sshrun.Endpoint); err != nil {
		return fail("refusing to run: %s", oneLine(err))
	}
	steps := drill.MainPath()
	if *f.dryRun {
		var secondaryGroups []string
		for _, g := range *f.groups {
			secondaryGroups = append(secondaryGroups, g+".r<id>")
		}
		drill.WritePlan(e.stdout, steps, *f.primary, *f.secondary, *f.groups, secondaryGroups)
		fmt.Fprintf(e.stdout, "\nThe secondary names each group <name>.r<primary system id>; the drill reads the exact names\n"+
			"before it starts. Before the first change it checks that both arrays are reachable and the groups\n"+
			"healthy. It waits up to %s for each transition and stops at the first step that does not\n"+
			"conform, printing the commands that bring the pair back.\n", *f.stepTimeout)
		return exitConforms
	}

	out := openOutput(e, *f.check.output)
	if out == nil {
		return exitCouldNotRun
	}
	defer out.discard()
	m := walkMeta(cfg, *f.primary, *f.secondary, tabs)
	m.Started = time.Now()
	clients := source.NewClients(nil)
	defer clients.Close()
	primary, err := arrayFromConfig(cfg, *f.primary, clients, true)
	if err != nil {
		return fail("%s", oneLine(err))
	}
	secondary, err := arrayFromConfig(cfg, *f.secondary, clients, true)
	if err != nil {
		return fail("%s", oneLine(err))
	}
	notify := func(msg string) { fmt.Fprintln(e.stderr, msg) }
	pair := &drill.Pair{Primary: primary, Secondary: secondary,
		IsolateFunc: physical(e, *f.isolateCommand, f, notify,
			fmt.Sprintf("ACTION: take %s down now: power it off, or cut its remote copy links to %s. The drill waits up to %s for %s to report its target failed.",
				*f.primary, *f.secondary, *f.stepTimeout, *f.secondary)),
		ReconnectFunc: physical(e, *f.reconnectCommand, f, notify,
			fmt.Sprintf("ACTION: bring %s back now (power on, remote copy links up). The drill waits up to %s for it to show the groups Secondary-Rev.",
				*f.primary, *f.stepTimeout)),
	}
	format := conformance.Format(*f.check.format)
	opt := drill.Options{PrimaryName: *f.primary, SecondaryName: *f.secondary, Groups: *f.groups, Steps: steps,
		StepTimeout: *f.stepTimeout, PollInterval: *f.pollInterval, StopAtFirstFailure: true, RequireHealthy: true,
		Table: tabs.table, Strict: *f.check.strict,
		BeforeChanges: func(r *drill.Report) {
			drill.WritePlan(e.stderr, steps, r.Primary, r.Secondary, r.Groups, r.SecondaryGroups)
			fmt.Fprintln(e.stderr)
			if format == htmlreport.Format {
				readVersions(e.ctx, &m, primary, secondary)
			}
		},
	}
	if format != conformance.FormatJSON && drill.IsTerminal(e.stderr) {
		opt.Progress = drill.TermProgress{W: e.stderr}
	}
	rep, err := drill.Run(e.ctx, pair, opt)
	var pre *drill.PreflightError
	if errors.As(err, &pre) {
		return fail("%s", oneLine(pre))
	}
	if rep == nil {
		return fail("%s", oneLine(err))
	}
	if rec := rep.Recovery(); len(rec) > 0 && (format != conformance.FormatText || *f.check.output != "") {
		fmt.Fprintf(e.stderr, "The drill %s. To bring the pair back to its natural direction (%s primary):\n", rep.Stopped, rep.Primary)
		drill.WriteRecovery(e.stderr, rec)
	}
	return writeWalk(e, out, rep, format, m, htmlreport.TitleDrill, err)
}

// physical returns what the drill does for a step a person does by hand:
// run the given shell command, or (none given) tell the operator; the walk
// then waits for the arrays to show the result.
func physical(e env, command string, f drillFlags, notify func(string), ask string) func(context.Context) error {
	return func(ctx context.Context) error {
		if command == "" {
			notify(ask)
			return nil
		}
		ctx, cancel := context.WithTimeout(ctx, *f.stepTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
		cmd.Env = append(os.Environ(), "RCOPY_PRIMARY="+*f.primary, "RCOPY_SECONDARY="+*f.secondary,
			"RCOPY_GROUPS="+strings.Join(*f.groups, " "))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		notify("running: " + command)
		err := cmd.Run()
		if out.Len() > 0 {
			fmt.Fprint(e.stderr, out.String())
		}
		if err != nil {
			return fmt.Errorf("%q: %w", command, err)
		}
		return nil
	}
}
