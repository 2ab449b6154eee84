package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	"github.com/prometheus/common/version"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/htmlreport"
	"github.com/threepar/rcopy-exporter/internal/atomicfile"
	"github.com/threepar/rcopy-exporter/internal/safefile"
	"github.com/threepar/rcopy-exporter/source"
)

// formats are the --format values of check, simulate and drill.
var formats = append(append([]string{}, conformance.Formats...), string(htmlreport.Format))

// output is where a report goes: stdout, or with --output FILE that file,
// replaced atomically once the report is complete. It is opened before the
// run, so that a directory that cannot take the report fails at once, not
// after a drill; a run that ends without a report (exit 2) or is killed
// leaves the old file as it was.
type output struct {
	e    env
	path string
	file *atomicfile.File
}

// openOutput prints why it cannot and returns nil.
func openOutput(e env, path string) *output {
	o := &output{e: e, path: path}
	if path == "" {
		return o
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: --output: %v\n", err)
		return nil
	}
	o.file = f
	return o
}

// write renders the report; false when it could not (said on stderr).
func (o *output) write(render func(io.Writer) error) bool {
	if o.file == nil {
		if err := render(o.e.stdout); err != nil {
			fmt.Fprintf(o.e.stderr, "checker: writing the report: %v\n", err)
			return false
		}
		return true
	}
	bw := bufio.NewWriter(o.file)
	err := render(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = o.file.Commit()
	}
	if err != nil {
		o.file.Abort()
		fmt.Fprintf(o.e.stderr, "checker: writing the report to %s: %v (the file was left as it was)\n", o.path, err)
		return false
	}
	return true
}

// discard drops a report that was not written (a no-op after write).
func (o *output) discard() {
	if o != nil && o.file != nil {
		o.file.Abort()
	}
}

// tables is the state table of a run and how the report describes it.
type tables struct {
	table *expected.Table
	info  htmlreport.Table
}

// loadTables is loadTable with the description: row count, --strict, the
// user file and the SHA-256 of the bytes the rows were read from.
func loadTables(e env, path string, strict bool) (tables, int) {
	t := tables{table: expected.Default(), info: htmlreport.Table{Strict: strict, UserFile: path}}
	if path != "" {
		data, err := safefile.Read(path, safefile.MaxTable)
		if err == nil {
			t.table, err = expected.ParseUserTable(path, data)
		}
		if err != nil {
			fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
			return tables{}, exitCouldNotRun
		}
		sum := sha256.Sum256(data)
		t.info.UserSHA256 = hex.EncodeToString(sum[:])
	}
	for _, r := range t.table.Rows() {
		t.info.Rows++
		i := slices.IndexFunc(t.info.PerTable, func(c htmlreport.TableRows) bool { return c.Table == r.Table })
		if i < 0 {
			i = len(t.info.PerTable)
			t.info.PerTable = append(t.info.PerTable, htmlreport.TableRows{Table: r.Table})
		}
		t.info.PerTable[i].Rows++
	}
	slices.SortFunc(t.info.PerTable, func(a, b htmlreport.TableRows) int { return strings.Compare(a.Table, b.Table) })
	return t, exitConforms
}

// meta starts the description of a run for the HTML report.
func meta(arrays []htmlreport.Array, t tables) htmlreport.Meta {
	return htmlreport.Meta{Checker: version.Version, Arrays: arrays, Table: t.info}
}

// targetInfo describes a target of the configuration for the report: its
// SSH address and its CIM server's URL (without any user part).
func targetInfo(cfg *config.Config, target string) htmlreport.Array {
	a := htmlreport.Array{Name: target}
	address, m, err := cfg.Resolve(target, "")
	if err != nil {
		return a
	}
	a.Address = address
	if m.CIM != nil {
		a.CIM = m.CIM.URLFor(address)
		if u, err := url.Parse(a.CIM); err == nil {
			u.User = nil
			a.CIM = u.String()
		}
	}
	return a
}

// readVersion runs showversion (read-only) for the report; a failure is
// shown in the report, never a reason to stop.
func readVersion(ctx context.Context, a source.Array) htmlreport.Version {
	out, err := a.CLI.Run(ctx, htmlreport.ShowversionCommand)
	if err != nil {
		return htmlreport.Version{Missing: "showversion failed: " + oneLine(err)}
	}
	return htmlreport.ParseShowversion(out)
}
