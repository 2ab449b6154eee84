package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
	"github.com/threepar/rcopy-exporter/parser"
)

// checkFlags are the flags every form of `checker check` shares; the live
// form (--config/--target, issue 6) adds its own and reuses runCheck.
type checkFlags struct {
	format    *string
	strict    *bool
	tableFile *string
}

func addCheckFlags(c *kingpin.CmdClause) checkFlags {
	return checkFlags{
		format:    c.Flag("format", "report format: text, json or junit").Default(string(conformance.FormatText)).Enum(conformance.Formats...),
		strict:    c.Flag("strict", "leave rows marked uncertain out, and fail on a state in no table (not_in_table)").Bool(),
		tableFile: c.Flag("table", "YAML file of rows that override or extend the built-in tables").PlaceHolder("FILE").String(),
	}
}

func init() {
	register(subcommand{
		name: "check",
		help: "Check saved showrcopy outputs (one array, or the two arrays of a pair) and optionally saved CIM observations against the state tables; or, with --config FILE --target A [--target B], live arrays over SSH (and CIM where the module has it). Exit 0 conformant, 1 not, 2 could not run.",
		setup: func(c *kingpin.CmdClause) func(env) int {
			showrcopy := c.Flag("showrcopy", "saved showrcopy output of an array; give it twice for the two arrays of a pair").PlaceHolder("FILE").Strings()
			cim := c.Flag("cim", "saved CIM observation (YAML/JSON `instances:` list); the Nth --cim belongs to the Nth --showrcopy, an empty value skips an array").PlaceHolder("FILE").Strings()
			configFile := c.Flag("config", "live check: configuration file (modules and targets) to reach the arrays with").PlaceHolder("FILE").String()
			targets := c.Flag("target", "live check: array to read over SSH (and CIM when its module has it), a name under targets: or HOST[:PORT]; give it twice for the two arrays of a pair").PlaceHolder("NAME").Strings()
			flags := addCheckFlags(c)
			return func(e env) int {
				if *configFile != "" || len(*targets) > 0 {
					if len(*showrcopy) > 0 || len(*cim) > 0 {
						fmt.Fprintln(e.stderr, "checker: check takes either --showrcopy/--cim (saved outputs) or --config/--target (live), not both; a live check reads CIM where the target's module has a cim: section")
						return exitCouldNotRun
					}
					return liveCheck(e, *configFile, *targets, flags)
				}
				if len(*showrcopy) == 0 || len(*showrcopy) > 2 {
					fmt.Fprintln(e.stderr, "checker: check needs --showrcopy FILE (once, or twice for the two arrays of a pair), or --config FILE --target NAME for live arrays")
					return exitCouldNotRun
				}
				if len(*cim) > len(*showrcopy) {
					fmt.Fprintf(e.stderr, "checker: %d --cim files for %d --showrcopy files (the Nth --cim belongs to the Nth --showrcopy)\n", len(*cim), len(*showrcopy))
					return exitCouldNotRun
				}
				arrays := make([]conformance.Input, len(*showrcopy))
				names := arrayNames(*showrcopy)
				for i, path := range *showrcopy {
					out, err := loadShowrcopy(path)
					if err != nil {
						fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
						return exitCouldNotRun
					}
					writeWarnings(e, path, out)
					arrays[i] = conformance.Input{Name: names[i], Output: out}
					if i < len(*cim) && (*cim)[i] != "" {
						obs, err := conformance.LoadObserved((*cim)[i], out)
						if err != nil {
							fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
							return exitCouldNotRun
						}
						arrays[i].CIM = obs
					}
				}
				return runCheck(e, arrays, flags)
			}
		},
	})
}

// runCheck evaluates arrays, writes the report in the chosen format and
// returns the exit status. The live form of check builds arrays from SSH and
// CIM and calls it too.
func runCheck(e env, arrays []conformance.Input, flags checkFlags) int {
	table, code := loadTable(e, *flags.tableFile)
	if table == nil {
		return code
	}
	report := conformance.Evaluate(arrays, conformance.Options{Table: table, Strict: *flags.strict})
	if err := conformance.Write(e.stdout, report, conformance.Format(*flags.format)); err != nil {
		fmt.Fprintf(e.stderr, "checker: writing the report: %v\n", err)
		return exitCouldNotRun
	}
	if !report.Conformant {
		return exitNonConform
	}
	return exitConforms
}

// loadShowrcopy reads and parses a saved showrcopy output; errors name the
// file and line ("FILE:LINE: msg").
func loadShowrcopy(path string) (*parser.Output, error) {
	data, err := safefile.Read(path, safefile.MaxShowrcopy)
	if err != nil {
		return nil, err
	}
	out, err := parser.Parse(data)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			return nil, &yamlfile.FileError{File: path, Line: pe.Line, Msg: pe.Msg}
		}
		return nil, &yamlfile.FileError{File: path, Msg: err.Error()}
	}
	return out, nil
}

// arrayNames names each array after its file (base name without
// extension), or the path as given when two base names are the same.
func arrayNames(paths []string) []string {
	names := make([]string, len(paths))
	seen := map[string]int{}
	for i, p := range paths {
		names[i] = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		seen[names[i]]++
	}
	for i, p := range paths {
		if seen[names[i]] > 1 {
			names[i] = p
		}
	}
	return names
}
