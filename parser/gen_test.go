package parser

import (
	"fmt"
	"strings"
)

// alignedTable formats rows the way the CLI does: each column as wide as
// its widest cell, header names left-aligned, values left-aligned except
// the columns in right (numbers), one blank between columns, the last
// column padded too.
func alignedTable(b *strings.Builder, indent string, header []string, rows [][]string, right map[int]bool) {
	width := make([]int, len(header))
	for i, h := range header {
		width[i] = len(h)
		for _, r := range rows {
			width[i] = max(width[i], len(r[i]))
		}
	}
	line := func(cells []string, isHeader bool) {
		b.WriteString(indent)
		for i, c := range cells {
			if i > 0 {
				b.WriteByte(' ')
			}
			pad := strings.Repeat(" ", width[i]-len(c))
			if right[i] && !isHeader {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		b.WriteByte('\n')
	}
	line(header, true)
	for _, r := range rows {
		line(r, false)
	}
}

// generate returns a showrcopy output of an array with the given number
// of groups and volumes per group, all sections, in aligned columns, with
// a mix of modes, states and times; with detail it has the -d columns.
func generate(groups, volumesPerGroup int, detail bool) []byte {
	var b strings.Builder
	b.WriteString("Remote Copy System Information\nStatus: Started, Normal\n\nTarget Information\n\n")
	alignedTable(&b, "", []string{"Name", "ID", "Type", "Status", "Options", "Policy"},
		[][]string{{"bench_target_b", "3", "IP", "ready", "-", "mirror_config"}}, map[int]bool{1: true})
	b.WriteString("\nLink Information\n\n")
	alignedTable(&b, "", []string{"Target", "Node", "Address", "Status", "Options"}, [][]string{
		{"bench_target_b", "0:3:1", "10.1.0.11", "Up", "-"},
		{"bench_target_b", "1:3:1", "10.1.0.12", "Up", "-"},
		{"receive", "0:3:1", "10.1.0.21", "Up", "-"},
		{"receive", "1:3:1", "10.1.0.22", "Up", "-"},
	}, nil)
	b.WriteString("\nGroup Information\n\n")
	vid := 1000
	for g := 0; g < groups; g++ {
		name := fmt.Sprintf("app%04d_rcg", g)
		mode, opts, status, sync := "Sync", "auto_recover,auto_synchronize", "Started", "Synced"
		when := "NA"
		switch g % 4 {
		case 1:
			mode, opts = "Periodic", "Last-Sync 2026-11-28 04:15:00 CET, Period 5m,auto_recover,over_per_alert"
			when = "2026-11-28 04:15:00 CET"
		case 2:
			status, sync, when = "Stopped", "Stopped", "2026-11-27 22:01:13 CET"
		case 3:
			mode, opts, sync, when = "Periodic", "Period 1h", "Syncing", "2026-11-28 03:15:00 CET"
		}
		gh := []string{"Name", "Target", "Status", "Role", "Mode", "Options"}
		gr := []string{name, "bench_target_b", status, "Primary", mode, opts}
		vh := []string{"LocalVV", "ID", "RemoteVV", "ID", "SyncStatus", "LastSyncTime"}
		if detail {
			gh = []string{"Name", "ID", "Target", "Status", "Role", "Mode", "LocalUserCpg", "RmUserCpg", "Options"}
			gr = []string{name, fmt.Sprint(g + 1), "bench_target_b", status, "Primary", mode, "SSD_r6", "SSD_r6", opts}
			vh = append(vh[:5:5], "Resync_ss", "Sync_ss", "VV_iter", "R_iter", "S_iter", "LastSyncTime", "LocalSet", "RemoteSet")
		}
		rows := make([][]string, volumesPerGroup)
		for v := range rows {
			vv := fmt.Sprintf("%s_vol%03d", name[:7], v)
			rows[v] = []string{vv, fmt.Sprint(vid), vv, fmt.Sprint(vid + 50000), sync, when}
			if detail {
				rows[v] = append(rows[v][:5:5], "none", "none", "NA", "NA", "NA", when, name[:7]+"_set", name[:7]+"_set")
			}
			vid++
		}
		alignedTable(&b, "", gh, [][]string{gr}, map[int]bool{1: detail})
		alignedTable(&b, "  ", vh, rows, map[int]bool{1: true, 3: true})
		b.WriteByte('\n')
	}
	return []byte(b.String())
}
