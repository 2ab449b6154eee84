package fakearray

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/threepar/rcopy-exporter/parser"
)

// printFormat selects how showrcopy prints.
type printFormat struct {
	csv bool // setclienv csvtable 1, or -csvtable
}

// Printed column orders (-d adds the columns a group or volume carries in
// its Extra map; see view.go).
var (
	groupDetailCols  = []string{"LocalUserCpg", "RmUserCpg"}
	volumeDetailMid  = []string{"Resync_ss", "Sync_ss", "VV_iter", "R_iter", "S_iter"}
	volumeDetailTail = []string{"LocalSet", "RemoteSet"}
)

type column struct {
	name  string
	right bool // numbers are right-aligned
}

// printOutput renders out the way an array prints showrcopy: each section
// titled, columns aligned by padding (each group with its own header and
// widths), or comma separated in CSV mode.
func printOutput(out *parser.Output, f printFormat) []byte {
	var b bytes.Buffer
	b.Grow(256 + 160*len(out.Groups)*4)
	b.WriteString("Remote Copy System Information\n")
	b.WriteString("Status: " + out.System.Status)
	if out.System.Detail != "" {
		b.WriteString(", " + out.System.Detail)
	}
	b.WriteString("\n")
	if out.HasSection("targets") {
		b.WriteString("\nTarget Information\n\n")
		cols := []column{{"Name", false}, {"ID", true}, {"Type", false}, {"Status", false}, {"Options", false}, {"Policy", false}}
		rows := make([][]string, 0, len(out.Targets))
		for _, t := range out.Targets {
			rows = append(rows, []string{t.Name, strconv.Itoa(t.ID), t.Type, t.Status, t.Options, t.Policy})
		}
		writeTable(&b, "", cols, rows, f)
	}
	if out.HasSection("links") {
		b.WriteString("\nLink Information\n\n")
		cols := []column{{"Target", false}, {"Node", false}, {"Address", false}, {"Status", false}, {"Options", false}}
		rows := make([][]string, 0, len(out.Links))
		for _, l := range out.Links {
			rows = append(rows, []string{l.Target, l.Node, l.Address, l.Status, l.Options})
		}
		writeTable(&b, "", cols, rows, f)
	}
	if out.HasSection("groups") {
		b.WriteString("\nGroup Information\n")
		for i := range out.Groups {
			b.WriteString("\n")
			writeGroup(&b, &out.Groups[i], f)
		}
	}
	return b.Bytes()
}

func writeGroup(b *bytes.Buffer, g *parser.Group, f printFormat) {
	detail := g.ID != nil
	cols := []column{{"Name", false}}
	row := []string{g.Name}
	if detail {
		cols = append(cols, column{"ID", true})
		row = append(row, strconv.Itoa(*g.ID))
	}
	cols = append(cols, column{"Target", false}, column{"Status", false}, column{"Role", false}, column{"Mode", false})
	row = append(row, g.Target, g.Status, g.Role, g.Mode)
	if detail {
		for _, c := range groupDetailCols {
			cols = append(cols, column{c, false})
			row = append(row, g.Extra[c])
		}
	}
	cols = append(cols, column{"Options", false})
	row = append(row, joinOptions(g.Options))
	writeTable(b, "", cols, [][]string{row}, f)

	vcols := []column{{"LocalVV", false}, {"ID", true}, {"RemoteVV", false}, {"ID", true}, {"SyncStatus", false}}
	if detail {
		for _, c := range volumeDetailMid {
			vcols = append(vcols, column{c, false})
		}
	}
	vcols = append(vcols, column{"LastSyncTime", false})
	if detail {
		for _, c := range volumeDetailTail {
			vcols = append(vcols, column{c, false})
		}
	}
	vrows := make([][]string, 0, len(g.Volumes))
	for _, v := range g.Volumes {
		status := v.SyncStatus
		if v.SyncPercent != nil {
			status += " (" + strconv.FormatFloat(*v.SyncPercent, 'f', -1, 64) + "%)"
		}
		r := []string{v.LocalVV, strconv.Itoa(v.LocalID), v.RemoteVV, strconv.Itoa(v.RemoteID), status}
		if detail {
			for _, c := range volumeDetailMid {
				r = append(r, v.Extra[c])
			}
		}
		ls := "NA"
		if v.LastSyncTime != nil {
			ls = *v.LastSyncTime
		}
		r = append(r, ls)
		if detail {
			for _, c := range volumeDetailTail {
				r = append(r, v.Extra[c])
			}
		}
		vrows = append(vrows, r)
	}
	writeTable(b, "  ", vcols, vrows, f)
}

// joinOptions joins group options as arrays print them: "Last-Sync <time>,
// Period 5m,auto_recover,...".
func joinOptions(opts []string) string {
	var b strings.Builder
	for i, o := range opts {
		if i > 0 {
			b.WriteByte(',')
			if strings.HasPrefix(opts[i-1], "Last-Sync ") {
				b.WriteByte(' ')
			}
		}
		b.WriteString(o)
	}
	return b.String()
}

// writeTable writes a header and rows. Text mode pads every column to its
// widest cell (numbers right-aligned) and keeps the trailing padding of the
// last column, as arrays do; CSV mode pads only the header cells (as the
// CLI does) and quotes values holding commas. Volume tables are indented:
// by two spaces in text mode, by a leading empty field in CSV mode.
func writeTable(b *bytes.Buffer, indent string, cols []column, rows [][]string, f printFormat) {
	widths := make([]int, len(cols))
	for i, c := range cols {
		widths[i] = len(c.name)
	}
	for _, r := range rows {
		for i, v := range r {
			widths[i] = max(widths[i], len(v))
		}
	}
	if f.csv {
		if indent != "" {
			b.WriteString(" ,")
		}
		for i, c := range cols {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(c.name)
			if i < len(cols)-1 {
				pad(b, widths[i]-len(c.name))
			}
		}
		b.WriteByte('\n')
		for _, r := range rows {
			if indent != "" {
				b.WriteString(" ,")
			}
			for i, v := range r {
				if i > 0 {
					b.WriteByte(',')
				}
				if strings.ContainsAny(v, ",\"") {
					v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
				}
				b.WriteString(v)
			}
			b.WriteByte('\n')
		}
		return
	}
	writeCells := func(cells []string, header bool) {
		b.WriteString(indent)
		for i, v := range cells {
			if i > 0 {
				b.WriteByte(' ')
			}
			if cols[i].right && !header {
				pad(b, widths[i]-len(v))
				b.WriteString(v)
			} else {
				b.WriteString(v)
				pad(b, widths[i]-len(v))
			}
		}
		b.WriteByte('\n')
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	writeCells(names, true)
	for _, r := range rows {
		writeCells(r, false)
	}
}

const spaces = "                                                                "

func pad(b *bytes.Buffer, n int) {
	for n > 0 {
		k := min(n, len(spaces))
		b.WriteString(spaces[:k])
		n -= k
	}
}
