// Command checker runs one-shot Remote Copy conformance checks: it parses
// saved showrcopy output, lists the state-table rows that apply to an
// observation, checks saved or live arrays against the tables, and walks the
// disaster-recovery sequence on the simulated pair or a lab pair.
//
// Exit status: 0 conforms, 1 does not conform, 2 could not run.
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/version"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/internal/buildinfo"
)

// Exit statuses, part of the command-line contract (docs/checker.md).
const (
	exitConforms    = 0
	exitNonConform  = 1
	exitCouldNotRun = 2
)

// env is what a subcommand's action gets: where to write, and the context
// that is cancelled on SIGINT/SIGTERM.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// subcommand is registered by each subcommand's file in an init function.
// setup declares the flags and arguments on the clause and returns the
// action, which returns the exit status.
type subcommand struct {
	name  string
	help  string
	setup func(clause *kingpin.CmdClause) func(e env) int
}

var subcommands []subcommand

func register(c subcommand) { subcommands = append(subcommands, c) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it in-process.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Messages name arrays, groups and volumes as the array printed them.
	stderr = conformance.PrintableText(stderr)
	app := kingpin.New("checker", "Check HP 3PAR Remote Copy states against the vendor's CIM state tables.")
	buildinfo.Fill()
	app.Version(version.Print("checker"))
	app.HelpFlag.Short('h')
	app.ErrorWriter(stderr)
	// kingpin's terminate would end the process; here the first call ends
	// the output instead: its status is kept, and what kingpin writes after
	// it (a second copy of the usage) is dropped.
	exited := -1
	app.Terminate(func(code int) {
		if exited < 0 {
			exited = code
		}
	})
	var usage bytes.Buffer
	app.UsageWriter(writerUntil{&usage, &exited})
	asked := false // --help or --version: their output is the answer
	app.HelpFlag.PreAction(func(*kingpin.ParseContext) error { asked = true; return nil })
	app.VersionFlag.PreAction(func(*kingpin.ParseContext) error { asked = true; return nil })
	actions := map[string]func(env) int{}
	for _, c := range subcommands {
		actions[c.name] = c.setup(app.Command(c.name, c.help))
	}
	cmd, err := app.Parse(args)
	switch {
	case errors.Is(err, kingpin.ErrCommandNotSpecified) && !asked:
		_, _ = stderr.Write(usage.Bytes())
		fmt.Fprintln(stderr, "checker: a subcommand is required")
		return exitCouldNotRun
	case exited >= 0: // --help, help or --version
		_, _ = stdout.Write(usage.Bytes())
		return exited
	case err != nil:
		fmt.Fprintf(stderr, "checker: %v (try --help)\n", err)
		return exitCouldNotRun
	}
	action, ok := actions[cmd]
	if !ok {
		fmt.Fprintln(stderr, "checker: a subcommand is required (try --help)")
		return exitCouldNotRun
	}
	return action(env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr})
}

// writerUntil writes to w until *exited is set (kingpin terminated).
type writerUntil struct {
	w      io.Writer
	exited *int
}

func (u writerUntil) Write(b []byte) (int, error) {
	if *u.exited >= 0 {
		return len(b), nil
	}
	return u.w.Write(b)
}
