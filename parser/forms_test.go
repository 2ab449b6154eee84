package parser

import (
	"bytes"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestSplitSyncStatus(t *testing.T) {
	for _, c := range []struct {
		in   string
		word string
		pct  float64
		ok   bool
	}{
		{"Synced", "Synced", 0, true},
		{"FAILSAFE", "FAILSAFE", 0, true},
		{"Syncing (20%)", "Syncing", 20, true},
		{"Syncing (0%)", "Syncing", 0, true},
		{"Syncing (100%)", "Syncing", 100, true},
		{"Syncing (7.5%)", "Syncing", 7.5, true},
		{"Syncing(20%)", "Syncing", 20, true},
		{"Syncing  (20%)", "Syncing", 20, true},
		{"Stopped (45%)", "Stopped", 45, true},
		{"Syncing (abc%)", "", 0, false},
		{"Syncing (100.5%)", "", 0, false},
		{"Syncing (140%)", "", 0, false},
		{"Syncing (-1%)", "", 0, false},
		{"Syncing (20)", "", 0, false},
		{"Syncing (20%", "", 0, false},
		{"Syncing (20%) x", "", 0, false},
		{"Syncing (%)", "", 0, false},
		{"Syncing (.5%)", "", 0, false},
		{"Syncing (5.%)", "", 0, false},
		{"Syncing (1e2%)", "", 0, false},
		{"Syncing (0x10%)", "", 0, false},
		{"(20%)", "", 0, false},
		{"(00(0%)", "", 0, false},
		{"Sync)ing (20%)", "", 0, false},
		{"In Sync (20%)", "", 0, false},
		{"In Sync", "", 0, false},
	} {
		word, pct, ok := splitSyncStatus(c.in)
		if ok != c.ok || (ok && (word != c.word || pct != c.pct)) {
			t.Errorf("splitSyncStatus(%q) = %q, %v, %v; want %q, %v, %v", c.in, word, pct, ok, c.word, c.pct, c.ok)
		}
	}
}

func TestHeaderKind(t *testing.T) {
	for line, want := range map[string]string{
		"Name             ID Type Status Options Policy": "targets",
		"Name,ID,Type,Status,Options,Policy":             "targets",
		"Target           Node  Address       Status":    "links",
		"Target   ,Node ,Address ,Status ,Options":       "links",
		"Target\tNode\tAddress\tStatus\tOptions":         "links",
		"Name         Target           Status   Role":    "groups",
		"Name          ID   Target           Status":     "groups",
		"Name        ,Target    ,Status  ,Role":          "groups",
		"  LocalVV      ID   RemoteVV     ID":            "volumes",
		" ,LocalVV     ,ID  ,RemoteVV    ,ID":            "volumes",
		// Rows: where a header has ID, Node or Type a row has other values.
		"Name 5 IP ready - mirror_config":         "",
		"Target 0:3:1 10.0.0.1 Up -":              "",
		"Name ID Foo":                             "",
		"  LocalVV 12 LocalVV 13 Synced NA":       "",
		"Target Information":                      "",
		"NameX Target Status Role Mode Options":   "",
		"LocalVVs ID RemoteVV ID SyncStatus":      "",
		"receive 0:4:3 receive Up -":              "",
		"":                                        "",
		"Name":                                    "",
		"Target        Node":                      "links",
		"Name ID":                                 "",
		"  Name ID Target Status Role Mode (-d)":  "groups",
		"Status: Started, Normal":                 "",
		"Remote Copy System Information":          "",
		"Name Target Status Role Mode Options, x": "groups",
	} {
		got := ""
		if k, ok := headerKind(line); ok {
			got = k.section()
			if k == kindVolumes {
				got = "volumes"
			}
		}
		if got != want {
			t.Errorf("headerKind(%q) = %q, want %q", line, got, want)
		}
	}
}

func TestIsPrompt(t *testing.T) {
	for line, want := range map[string]bool{
		"cli%":                     true,
		"array-a cli%":             true,
		"user@jump:~$":             true,
		"root@jump:~#":             true,
		"PS C:\\>":                 true,
		"AlletraMP_E18U31 <> <>":   false, // a redacted row, kept to be warned about
		"receive 0:4:3 <> Up <>":   false,
		"Target Node Address <>":   false,
		"receive 0:4:3 x Up -":     false,
		"hr.0 385 hr.0 423 Synced": false,
	} {
		if got := isPrompt(line); got != want {
			t.Errorf("isPrompt(%q) = %v, want %v", line, got, want)
		}
	}
}

const linksHead = "Remote Copy System Information\nStatus: Started, Normal\n\nLink Information\n\nTarget Node  Address   Status Options\n"

// TestWarningsCapped: a flood of unreadable rows lists at most maxWarnings
// warnings plus one summing up the rest, and SkippedRows still counts
// every row left out.
func TestWarningsCapped(t *testing.T) {
	const rows = 5000
	var b strings.Builder
	b.WriteString(linksHead)
	for i := 0; i < rows; i++ {
		b.WriteString("t      <>    <>        Up     -\n")
	}
	b.WriteString("t      0:1:1 10.0.0.1  Up     -\n")
	out, err := Parse([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if got := out.SkippedRows(); got != rows {
		t.Errorf("SkippedRows = %d, want %d", got, rows)
	}
	if len(out.Warnings) != maxWarnings+1 {
		t.Fatalf("%d warnings, want %d", len(out.Warnings), maxWarnings+1)
	}
	last := out.Warnings[maxWarnings]
	wantMsg := fmt.Sprintf("%d more warnings from here on are not listed, %d of them rows left out", rows-maxWarnings, rows-maxWarnings)
	if last.Skipped || last.Line != 7+maxWarnings || last.Msg != wantMsg {
		t.Errorf("last warning %+v, want line %d %q", last, 7+maxWarnings, wantMsg)
	}
	for i, w := range out.Warnings[:maxWarnings] {
		if !w.Skipped || w.Line != 7+i {
			t.Fatalf("warning %d: %+v", i, w)
		}
	}
	if len(out.Links) != 1 || out.Links[0].Node != "0:1:1" {
		t.Errorf("links %+v", out.Links)
	}
}

// TestWarningOneLine: a warning quotes the row it left out with its
// control characters escaped, so that it stays one printable line.
func TestWarningOneLine(t *testing.T) {
	in := linksHead + "t\x1b[2J   <>\x00   <>\rx     Up     -\n"
	out, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Warnings) != 1 {
		t.Fatalf("warnings %+v", out.Warnings)
	}
	w := out.Warnings[0]
	if w.Line != 7 || !w.Skipped || strings.ContainsAny(w.Msg, "\x00\x1b\r\n") || !strings.HasPrefix(w.Msg, "link row left out: ") {
		t.Errorf("warning %+v", w)
	}
	if got := w.String(); got != "line 7: "+w.Msg {
		t.Errorf("String() = %q", got)
	}
}

// TestSectionsBannerless: a section recognised by its header is listed in
// Sections like a titled one.
func TestSectionsBannerless(t *testing.T) {
	for file, want := range map[string][]string{
		"csv_links_bannerless.txt":   {"links"},
		"aligned_bannerless.txt":     {"targets", "links", "groups"},
		"unknown_section_qw.txt":     {"system", "targets", "groups"},
		"empty_group_then_title.txt": {"system", "groups", "system", "links"},
	} {
		out := mustParseFile(t, file)
		if !reflect.DeepEqual(out.Sections, want) {
			t.Errorf("%s: sections %q, want %q", file, out.Sections, want)
		}
	}
}

// TestGroupsSurviveUnreadableLinks: making link and target rows of real
// outputs unreadable leaves those rows out and changes nothing else: the
// oracle is the parse of the untouched output.
func TestGroupsSurviveUnreadableLinks(t *testing.T) {
	for _, c := range []struct {
		file, row, broken string
		target            bool
	}{
		{"s1_primary_all.txt", "lab_b   1:3:1 192.168.40.12 Up     -", "lab_b   <>    <>            Up     -", false},
		{"s1_primary_all.txt", "receive 0:3:1 192.168.40.21 Up     -", "receive\t<>\t<>\t\tUp\t\t-", false},
		{"s1_primary_all.txt", "lab_b  7 IP   ready  -       mirror_config", "lab_b  x IP   ready  -       mirror_config", true},
		{"s4_peer_persistence.txt", "pp-target-01 0:2:2 172.30.1.5 Up     -", "pp-target-01 0-2-2 172.30.1.5 Up     -", false},
		{"s6_collapsed_backup.txt", "ArraySouth 0:4:1 10.60.3.17 Up", "ArraySouth <> <> Up", false},
		{"s6_collapsed_backup.txt", "ArraySouth 13 IP ready mirror_config", "ArraySouth 13 IP ready - mirror_config stray", true},
		{"csv_all_sections_crlf.txt", "site-b,0:3:1,10.44.0.7,Up,-", "site-b,<>,<>,Up,-", false},
		{"csv_all_sections_crlf.txt", "site-fc,5,FC,failed,2FF70002AC0001A2,mirror_config", "site-fc,5,FC,failed", true},
	} {
		data := readFixture(t, c.file)
		if !bytes.Contains(data, []byte(c.row)) {
			t.Fatalf("%s has no row %q", c.file, c.row)
		}
		want := mustParseFile(t, c.file)
		got, err := Parse(bytes.Replace(data, []byte(c.row), []byte(c.broken), 1))
		if err != nil {
			t.Fatalf("%s with %q: %v", c.file, c.broken, err)
		}
		if got.SkippedRows() != 1 || len(got.Warnings) != 1 {
			t.Errorf("%s with %q: warnings %+v", c.file, c.broken, got.Warnings)
		}
		if c.target {
			if len(got.Targets) != len(want.Targets)-1 {
				t.Errorf("%s: %d targets, want %d", c.file, len(got.Targets), len(want.Targets)-1)
			}
			got.Targets, want.Targets = nil, nil
		} else {
			if len(got.Links) != len(want.Links)-1 {
				t.Errorf("%s: %d links, want %d", c.file, len(got.Links), len(want.Links)-1)
			}
			got.Links, want.Links = nil, nil
		}
		got.Warnings = nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s with %q: the rest reads differently:\n got %+v\nwant %+v", c.file, c.broken, got, want)
		}
	}
}

// TestCLIErrorInSectionStaysError: a CLI error message where a target or
// link header or row should be is an error, not a skipped row: output
// interrupted by it has lost what follows.
func TestCLIErrorInSectionStaysError(t *testing.T) {
	for _, in := range []string{
		linksHead + "Too many local CLI connections.\n",
		"Remote Copy System Information\nStatus: Started, Normal\n\nLink Information\n\nError: permission denied\n",
		"Target,Node,Address,Status,Options\nError: not licensed for remote copy\n",
	} {
		out, err := Parse([]byte(in))
		if err == nil || out != nil || !strings.Contains(err.Error(), "CLI error message") {
			t.Errorf("Parse(%q) = %v, %v; want a CLI error", in, out, err)
		}
	}
}

// TestVariants: each good fixture reads the same with CRLF line ends and
// with trailing blanks (warnings included), and, for aligned fixtures
// without empty values before their last column, with padding collapsed
// to single blanks (indentation and blank lines lost, as in S6) or to
// tabs: then the warnings may name other lines, but as many rows are left
// out.
func TestVariants(t *testing.T) {
	collapsible := map[string]bool{
		"links_redacted_tabs.txt": true, "links_options_vlan.txt": true, "syncing_percent.txt": true,
		"syncing_percent_d.txt": true, "empty_groups.txt": true, "empty_group_at_end.txt": true,
		"empty_group_before_next_header.txt": true, "empty_group_then_title.txt": true,
		"aligned_bannerless.txt": true, "unknown_section_qw.txt": true, "links_bad_node.txt": true,
		"targets_unknown_header.txt": true,
	}
	for _, file := range fixtures(t) {
		name := file[len("testdata/"):]
		data := readFixture(t, name)
		want, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		variants := map[string][]byte{
			"crlf":     bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")),
			"trailing": bytes.ReplaceAll(data, []byte("\n"), []byte(" \t  \n")),
		}
		for vname, in := range variants {
			got, err := Parse(in)
			if err != nil {
				t.Errorf("%s %s: %v", name, vname, err)
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: reads differently:\n got %+v\nwant %+v", name, vname, got, want)
			}
		}
		if !collapsible[name] {
			continue
		}
		for vname, in := range map[string][]byte{"collapsed": collapse(data), "tabs": padToTabs(data)} {
			got, err := Parse(in)
			if err != nil {
				t.Errorf("%s %s: %v", name, vname, err)
				continue
			}
			if got.SkippedRows() != want.SkippedRows() || len(got.Warnings) != len(want.Warnings) {
				t.Errorf("%s %s: warnings %+v, want as many as %+v", name, vname, got.Warnings, want.Warnings)
			}
			g, w := *got, *want
			g.Warnings, w.Warnings = nil, nil
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s %s: reads differently:\n got %+v\nwant %+v", name, vname, g, w)
			}
		}
	}
}

// padToTabs turns the padding of aligned output (every run of two or more
// blanks) into a tab, as in rows saved tab-separated; blanks inside values
// and single blanks between full columns stay.
func padToTabs(data []byte) []byte {
	return regexp.MustCompile(` {2,}`).ReplaceAll(data, []byte("\t"))
}

// TestHeaderEndsGroups: the column header of another section, printed
// without its title, ends the group section wherever it comes: after a
// volume row, after a volume header, or right after a group row (which
// then has no volumes).
func TestHeaderEndsGroups(t *testing.T) {
	const groupHead = "Group Information\n\nName Target Status Role Mode Options\ng1   t1     Started Primary Sync -\n"
	const links = "Target Node  Address  Status Options\nt1     0:1:1 10.0.0.1 Up     -\n"
	const targets = "Name ID Type Status Options Policy\nt1    1 IP   ready  -       mirror_config\n"
	const volHead = "  LocalVV ID RemoteVV ID SyncStatus LastSyncTime\n"
	for name, c := range map[string]struct {
		in      string
		volumes int
		links   int
		targets int
	}{
		"links after a volume row":    {groupHead + volHead + "  v1       1 v1       2 Synced     NA\n" + links, 1, 1, 0},
		"targets after a volume row":  {groupHead + volHead + "  v1       1 v1       2 Synced     NA\n" + targets, 1, 0, 1},
		"links after a volume header": {groupHead + volHead + links, 0, 1, 0},
		"links after a group row":     {groupHead + links, 0, 1, 0},
		"targets after a group row":   {groupHead + targets, 0, 0, 1},
		"links right after the title": {"Group Information\n\n" + links, -1, 1, 0},
	} {
		out, err := Parse([]byte(c.in))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.volumes < 0 {
			if len(out.Groups) != 0 {
				t.Errorf("%s: groups %+v", name, out.Groups)
			}
		} else if len(out.Groups) != 1 || len(out.Groups[0].Volumes) != c.volumes {
			t.Errorf("%s: groups %+v", name, out.Groups)
		}
		if len(out.Links) != c.links || len(out.Targets) != c.targets || out.Warnings != nil {
			t.Errorf("%s: %d links, %d targets, warnings %+v", name, len(out.Links), len(out.Targets), out.Warnings)
		}
	}
}
