package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/htmlreport"
	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/internal/yamlfile"
	"github.com/threepar/rcopy-exporter/parser"
)

// checkFlags are the flags every form of `checker check` shares; the live
// form (--config/--target) adds its own and reuses runCheck.
type checkFlags struct {
	format    *string
	output    *string
	strict    *bool
	tableFile *string
}

func addCheckFlags(c *kingpin.CmdClause) checkFlags {
	return checkFlags{
		format:    c.Flag("format", "report format: text, json, junit or html (one self-contained page)").Default(string(conformance.FormatText)).Enum(formats...),
		output:    c.Flag("output", "write the report to FILE instead of stdout; FILE is replaced only once the report is complete (written next to it, then renamed)").PlaceHolder("FILE").String(),
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
				started := time.Now()
				arrays := make([]conformance.Input, len(*showrcopy))
				info := make([]htmlreport.Array, len(*showrcopy))
				names := arrayNames(*showrcopy)
				for i, path := range *showrcopy {
					out, err := loadShowrcopy(path)
					if err != nil {
						fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
						return exitCouldNotRun
					}
					writeWarnings(e, path, out)
					arrays[i] = conformance.Input{Name: names[i], Output: out}
					info[i] = htmlreport.Array{Name: names[i], File: path,
						Version: htmlreport.Version{Missing: "not read: the check reads a saved showrcopy output"}}
					if i < len(*cim) && (*cim)[i] != "" {
						obs, err := conformance.LoadObserved((*cim)[i], out)
						if err != nil {
							fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
							return exitCouldNotRun
						}
						arrays[i].CIM = obs
						info[i].CIM = "saved observation " + (*cim)[i]
					}
				}
				return runCheck(e, arrays, info, started, flags)
			}
		},
	})
}

// runCheck evaluates arrays, writes the report in the chosen format and
// returns the exit status. The live form of check builds arrays from SSH and
// CIM and calls it too; info describes the arrays for the HTML report.
func runCheck(e env, arrays []conformance.Input, info []htmlreport.Array, started time.Time, flags checkFlags) int {
	t, code := loadTables(e, *flags.tableFile, *flags.strict)
	if t.table == nil {
		return code
	}
	out := openOutput(e, *flags.output)
	if out == nil {
		return exitCouldNotRun
	}
	defer out.discard()
	report := conformance.Evaluate(arrays, conformance.Options{Table: t.table, Strict: *flags.strict})
	format := conformance.Format(*flags.format)
	render := func(w io.Writer) error { return conformance.Write(w, report, format) }
	if format == htmlreport.Format {
		m := meta(info, t)
		m.Started, m.Finished = started, time.Now()
		if len(arrays) == 2 && arrays[0].Output != nil && arrays[1].Output != nil {
			systemIDs(m.Arrays, conformance.PairGroups(arrays[0].Output, arrays[1].Output), arrays[0].Output, arrays[1].Output)
		} else {
			for i := range m.Arrays {
				m.Arrays[i].SystemIDSource = "showrcopy and showversion print no own id; checked with the other array of its pair, the secondary's group names (.r<id>) give the primary's"
			}
		}
		render = func(w io.Writer) error { return htmlreport.WriteCheck(w, report, m) }
	}
	if !out.write(render) {
		return exitCouldNotRun
	}
	if !report.Conformant {
		return exitNonConform
	}
	return exitConforms
}

// systemIDs fills in the system ids of a pair's two arrays from the names
// of their paired groups (htmlreport.SystemIDs).
func systemIDs(arrays []htmlreport.Array, pairs []conformance.GroupPair, a, b *parser.Output) {
	var names [][2]string
	for _, p := range pairs {
		if p.A >= 0 && p.B >= 0 {
			names = append(names, [2]string{a.Groups[p.A].Name, b.Groups[p.B].Name})
		}
	}
	setSystemIDs(arrays, names)
}

// setSystemIDs sets the ids (and where they come from) of arrays[0] and
// arrays[1] from pairs of group names (name on 0, name on 1).
func setSystemIDs(arrays []htmlreport.Array, names [][2]string) {
	if len(arrays) != 2 {
		return
	}
	ids := [2]string{}
	ids[0], ids[1] = htmlreport.SystemIDs(names)
	for i := range arrays {
		other := arrays[1-i].Name
		arrays[i].SystemID = ids[i]
		if ids[i] != "" {
			arrays[i].SystemIDSource = "the .r<id> suffix of its groups' names on " + other
		} else {
			arrays[i].SystemIDSource = "no group on " + other + " names it (.r<id>); showrcopy and showversion print no own id"
		}
	}
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
