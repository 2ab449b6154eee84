package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/parser"
)

// stdinName is how error messages name standard input.
const stdinName = "<stdin>"

func init() {
	register(subcommand{
		name: "parse",
		help: "Parse saved showrcopy output and print it as JSON.",
		setup: func(c *kingpin.CmdClause) func(env) int {
			file := c.Arg("file", "saved showrcopy output; - (the default) reads standard input").Default("-").String()
			return func(e env) int { return parseCommand(e, *file) }
		},
	})
}

// parseCommand prints the parsed output of file as indented JSON. Bad input
// gives exit status 2 and one line "checker: FILE:LINE: message" on stderr.
// What the parser read past (rows of the target and link sections it left
// out, sections it does not know) gives one line "checker: FILE:LINE:
// warning: message"
// each on stderr; the JSON is still printed and the exit status is 0.
func parseCommand(e env, file string) int {
	name := file
	if file == "-" || file == "" { // kingpin hands over a lone "-" as ""
		name, file = stdinName, "-"
	}
	// A regular file within a size cap, or stdin until its end or SIGINT/SIGTERM.
	data, err := safefile.ReadInput(e.ctx, file, e.stdin, safefile.MaxShowrcopy)
	if err != nil {
		var se *safefile.Error
		if errors.As(err, &se) {
			err = se.Err
		}
		fmt.Fprintf(e.stderr, "checker: %s: cannot read: %v\n", name, err)
		return exitCouldNotRun
	}
	out, err := parser.Parse(data)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			fmt.Fprintf(e.stderr, "checker: %s:%d: %s\n", name, pe.Line, pe.Msg)
		} else {
			fmt.Fprintf(e.stderr, "checker: %s: %v\n", name, err)
		}
		return exitCouldNotRun
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil { // cannot happen for the model's types; still no half output
		fmt.Fprintf(e.stderr, "checker: %s: %v\n", name, err)
		return exitCouldNotRun
	}
	js = append(js, '\n')
	writeWarnings(e, name, out)
	if _, err := e.stdout.Write(js); err != nil {
		fmt.Fprintf(e.stderr, "checker: parse: writing output: %v\n", err)
		return exitCouldNotRun
	}
	return exitConforms
}

// writeWarnings prints one "checker: FILE:LINE: warning: msg" line per row or
// section the parser read past.
func writeWarnings(e env, name string, out *parser.Output) {
	for _, w := range out.Warnings {
		fmt.Fprintf(e.stderr, "checker: %s:%d: warning: %s\n", name, w.Line, w.Msg)
	}
}
