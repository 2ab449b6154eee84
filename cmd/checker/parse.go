package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/alecthomas/kingpin/v2"

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
// gives exit status 2 and one line "FILE:LINE: message" on stderr. What the
// parser read past (rows of the target and link sections it left out,
// sections it does not know) gives one line "FILE:LINE: warning: message"
// each on stderr; the JSON is still printed and the exit status is 0.
func parseCommand(e env, file string) int {
	name := file
	var data []byte
	var err error
	if file == "-" || file == "" { // kingpin hands over a lone "-" as ""
		name = stdinName
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fmt.Fprintf(e.stderr, "%s: cannot read: %v\n", name, err)
		return exitCouldNotRun
	}
	out, err := parser.Parse(data)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			fmt.Fprintf(e.stderr, "%s:%d: %s\n", name, pe.Line, pe.Msg)
		} else {
			fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		}
		return exitCouldNotRun
	}
	js, err := json.MarshalIndent(out, "", "  ")
	if err != nil { // cannot happen for the model's types; still no half output
		fmt.Fprintf(e.stderr, "%s: %v\n", name, err)
		return exitCouldNotRun
	}
	js = append(js, '\n')
	for _, w := range out.Warnings {
		fmt.Fprintf(e.stderr, "%s:%d: warning: %s\n", name, w.Line, w.Msg)
	}
	if _, err := e.stdout.Write(js); err != nil {
		fmt.Fprintf(e.stderr, "checker parse: writing output: %v\n", err)
		return exitCouldNotRun
	}
	return exitConforms
}
