package parser

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// Pools of values for random outputs, with the awkward ones real arrays
// allow: names that look like numbers, dates or headers, unknown words.
var (
	rtNames   = []string{"g1", "rcg.r123", "Name1", "a.b.c", "x-y_z", "300gb", "LocalVVx", "NA", "db.r7.r8", "very_long_group_name_number_0001"}
	rtVolumes = []string{"v1", "300gb", "vol.0", "pvc-ca03a916-a6fb-434c-bc00-6b8", "Name", "x", "LXC.DATA01", "2026"}
	rtStatus  = []string{"Started", "Stopped", "Backup", "Suspended"}
	rtRoles   = []string{"Primary", "Secondary", "Primary-Rev", "Secondary-Rev"}
	rtModes   = []string{"Sync", "Periodic", "Async"}
	rtSync    = []string{"New", "Syncing", "Synced", "NotSynced", "Stale", "Stopped", "FAILSAFE", "LOGGING"}
	rtTimes   = []string{"NA", "2026-10-09 23:32:20 IST", "2009-06-29 12:12:16 PDT", "2014-03-05 10:19:42 CET"}
	rtOptions = []struct {
		text     string
		period   int64 // -1: none
		lastSync string
	}{
		{"", -1, ""},
		{"auto_recover", -1, ""},
		{"auto_recover,auto_synchronize", -1, ""},
		{"Period 5m,auto_recover", 300, ""},
		{"Last-Sync 2026-01-02 03:04:05 UTC, Period 1h,over_per_alert", 3600, "2026-01-02 03:04:05 UTC"},
		{"Period 30s, no_over_per_alert", 30, ""},
	}
)

// randomOutput returns a random model and its aligned showrcopy text.
func randomOutput(r *rand.Rand) (*Output, string) {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	out := &Output{Targets: []Target{}, Links: []Link{}, Groups: []Group{}, Sections: []string{"system", "targets", "links", "groups"}}
	out.System = System{Status: "Started", Detail: "Normal"}
	var b strings.Builder
	b.WriteString("Remote Copy System Information\nStatus: Started, Normal\n\nTarget Information\n\n")
	var rows [][]string
	for i := 0; i < 1+r.IntN(3); i++ {
		t := Target{Name: fmt.Sprintf("t%d_%s", i, pick(rtNames)), ID: r.IntN(100), Type: "IP", Status: pick([]string{"ready", "failed", "degraded"}), Options: "-", Policy: "mirror_config"}
		switch r.IntN(4) {
		case 0, 1:
			t.Type, t.Options = "FC", fmt.Sprintf("2FF70002AC%06X", r.IntN(1<<24))
		case 2:
			t.Options = fmt.Sprintf("%dKB/s tput", 1024*(1+r.IntN(8)))
		}
		out.Targets = append(out.Targets, t)
		rows = append(rows, []string{t.Name, fmt.Sprint(t.ID), t.Type, t.Status, t.Options, t.Policy})
	}
	alignedTable(&b, "", []string{"Name", "ID", "Type", "Status", "Options", "Policy"}, rows, map[int]bool{1: true})
	b.WriteString("\nLink Information\n\n")
	rows = nil
	for i := 0; i < 1+r.IntN(4); i++ {
		l := Link{Target: out.Targets[r.IntN(len(out.Targets))].Name, Node: fmt.Sprintf("%d:%d:%d", r.IntN(8), r.IntN(10), 1+r.IntN(4)), Address: fmt.Sprintf("10.%d.%d.%d", r.IntN(256), r.IntN(256), r.IntN(256)), Status: pick([]string{"Up", "Down"}), Options: "-"}
		if r.IntN(4) == 0 {
			l.Target, l.Address = "receive", "receive"
		}
		if r.IntN(3) == 0 {
			l.Options = fmt.Sprintf("%dKB/s tput", 1024*(1+r.IntN(8)))
		}
		out.Links = append(out.Links, l)
		rows = append(rows, []string{l.Target, l.Node, l.Address, l.Status, l.Options})
	}
	alignedTable(&b, "", []string{"Target", "Node", "Address", "Status", "Options"}, rows, nil)
	b.WriteString("\nGroup Information\n\n")
	for i := 0; i < 1+r.IntN(4); i++ {
		opt := rtOptions[r.IntN(len(rtOptions))]
		g := Group{Name: pick(rtNames), Target: out.Targets[0].Name, Status: pick(rtStatus), Role: pick(rtRoles), Mode: pick(rtModes), Options: splitOptions(opt.text), Volumes: []Volume{}}
		if opt.period >= 0 {
			g.PeriodSeconds = &opt.period
		}
		if opt.lastSync != "" {
			g.LastSync = &opt.lastSync
		}
		alignedTable(&b, "", []string{"Name", "Target", "Status", "Role", "Mode", "Options"}, [][]string{{g.Name, g.Target, g.Status, g.Role, g.Mode, opt.text}}, nil)
		rows = nil
		for k := 0; k < r.IntN(4); k++ {
			v := Volume{LocalVV: pick(rtVolumes), LocalID: r.IntN(100000), RemoteVV: pick(rtVolumes), RemoteID: r.IntN(100000), SyncStatus: pick(rtSync)}
			if r.IntN(4) == 0 {
				pct := float64(r.IntN(101))
				v.SyncStatus, v.SyncPercent = "Syncing", &pct
			}
			when := pick(rtTimes)
			if when != "NA" {
				v.LastSyncTime = &when
			}
			g.Volumes = append(g.Volumes, v)
			rows = append(rows, []string{v.LocalVV, fmt.Sprint(v.LocalID), v.RemoteVV, fmt.Sprint(v.RemoteID), syncStatusText(v), when})
		}
		// A group without volumes is printed with its volume header or
		// without (the format reference leaves it open).
		if len(rows) > 0 || r.IntN(2) == 0 {
			alignedTable(&b, "  ", []string{"LocalVV", "ID", "RemoteVV", "ID", "SyncStatus", "LastSyncTime"}, rows, map[int]bool{1: true, 3: true})
		}
		b.WriteByte('\n')
		out.Groups = append(out.Groups, g)
	}
	return out, b.String()
}

// syncStatusText is a volume's SyncStatus as the array prints it.
func syncStatusText(v Volume) string {
	if v.SyncPercent != nil {
		return fmt.Sprintf("%s (%g%%)", v.SyncStatus, *v.SyncPercent)
	}
	return v.SyncStatus
}

// toCSV turns aligned text into CSV mode the way the CLI prints it: fields
// joined by commas, volume rows led by a comma, group Options quoted. The
// text gives the layout (which sections, headers and rows, in order), the
// model the values of each row.
func toCSV(aligned string, model *Output) string {
	var b strings.Builder
	sec := ""
	g, tgt, lnk, vol := -1, 0, 0, 0
	for _, line := range strings.Split(aligned, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 0 || strings.HasPrefix(line, "Status:"):
			b.WriteString(line)
		case isTitle(line):
			sec = knownSection(line)
			b.WriteString(line)
		case isGroupHeader(line):
			g, vol = g+1, 0
			b.WriteString(strings.Join(f, ","))
			row := model.Groups[g]
			opts := strings.Join(row.Options, ",")
			b.WriteString("\n" + strings.Join([]string{row.Name, row.Target, row.Status, row.Role, row.Mode, `"` + opts + `"`}, ","))
		case isVolumeHeader(line):
			b.WriteString(" ," + strings.Join(f, ","))
		case isHeader(line):
			b.WriteString(strings.Join(f, ","))
		case sec == "targets":
			t := model.Targets[tgt]
			tgt++
			b.WriteString(strings.Join([]string{t.Name, fmt.Sprint(t.ID), t.Type, t.Status, t.Options, t.Policy}, ","))
		case sec == "links":
			l := model.Links[lnk]
			lnk++
			b.WriteString(strings.Join([]string{l.Target, l.Node, l.Address, l.Status, l.Options}, ","))
		case strings.HasPrefix(line, "  "):
			v := model.Groups[g].Volumes[vol]
			vol++
			when := "NA"
			if v.LastSyncTime != nil {
				when = *v.LastSyncTime
			}
			b.WriteString(" ," + strings.Join([]string{v.LocalVV, fmt.Sprint(v.LocalID), v.RemoteVV, fmt.Sprint(v.RemoteID), syncStatusText(v), when}, ","))
		default:
			continue // the group row, written with its header
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestRoundTripRandom renders random models as aligned, collapsed, tab
// separated and CSV output and checks that each parses back to the model.
func TestRoundTripRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		want, text := randomOutput(r)
		forms := map[string]string{"aligned": text, "collapsed": string(collapse([]byte(text))), "tabs": string(padToTabs([]byte(text))), "csv": toCSV(text, want)}
		for form, in := range forms {
			got, err := Parse([]byte(in))
			if err != nil {
				t.Fatalf("case %d %s: %v\n%s", n, form, err, in)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("case %d %s: parsed differently\n%s\n got %+v\nwant %+v", n, form, in, got, want)
			}
		}
	}
}
