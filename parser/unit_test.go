package parser

import (
	"reflect"
	"strings"
	"testing"
)

func TestNaturalGroup(t *testing.T) {
	for in, want := range map[string]string{
		"300gb.r188150":  "300gb",
		"multi.1.r96":    "multi.1",
		"plain":          "plain",
		"name.r":         "name.r",
		"name.rx12":      "name.rx12",
		".r12":           ".r12", // nothing left to name the group
		"a.r12.r34":      "a.r12",
		"grp.r0":         "grp",
		"RCG.SVCTEST1":   "RCG.SVCTEST1",
		"rc.r1a":         "rc.r1a",
		"zz_rcg.r188150": "zz_rcg",
	} {
		if got := NaturalGroup(in); got != want {
			t.Errorf("NaturalGroup(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPeriodSeconds(t *testing.T) {
	for in, want := range map[string]int64{"5m": 300, "30s": 30, "2h": 7200, "1d": 86400, "1h30m": 5400, "0s": 0} {
		got, ok := periodSeconds(in)
		if !ok || got != want {
			t.Errorf("periodSeconds(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "5", "m", "5x", "5 m", "-5m", "99999999999999999999m"} {
		if got, ok := periodSeconds(in); ok {
			t.Errorf("periodSeconds(%q) = %d, want not ok", in, got)
		}
	}
}

func TestSplitOptions(t *testing.T) {
	for in, want := range map[string][]string{
		"":  {},
		"-": {},
		"Last-Sync 2014-03-05 10:19:42 CET , Period 5m, auto_recover,over_per_alert": {"Last-Sync 2014-03-05 10:19:42 CET", "Period 5m", "auto_recover", "over_per_alert"},
		"auto_recover,,auto_synchronize,":                                            {"auto_recover", "auto_synchronize"},
	} {
		if got := splitOptions(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitOptions(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSections checks Output.Sections for each subcommand form, which is
// how consumers tell "no target section" from "no targets".
func TestSections(t *testing.T) {
	for file, want := range map[string][]string{
		"s1_primary_all.txt":        {"system", "targets", "links", "groups"},
		"s2_secondary_d_groups.txt": {"system", "groups"},
		"s3_targets_failed.txt":     {"system", "targets"},
		"s3_links_down.txt":         {"system", "links"},
	} {
		out := mustParseFile(t, file)
		if !reflect.DeepEqual(out.Sections, want) {
			t.Errorf("%s: sections %q, want %q", file, out.Sections, want)
		}
		if !out.HasSection(want[len(want)-1]) || (len(want) < 4 && out.HasSection("none")) {
			t.Errorf("%s: HasSection wrong", file)
		}
	}
}

// TestCollapsedByShape checks rows whose padding was lost and whose
// columns can only be told apart by what the values look like.
func TestCollapsedByShape(t *testing.T) {
	in := "Remote Copy System Information\nStatus: Started, Normal\nTarget Information\nName ID Type Status Options Policy\n" +
		"fcsite 46 FC failed 2FF70002AC000060\n" + // WWN but no policy
		"ipsite 47 IP ready mirror_config\n" + // policy but no options
		"both 48 FC ready 2FF70002AC000061 mirror_config\n" +
		"Link Information\nTarget Node Address Status Options\n" +
		"fcsite 0:2:1 20210002AC000060 Down\n" +
		"ipsite 0:4:1 fe80::1 Up -\n"
	out, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	wantTargets := []Target{
		{Name: "fcsite", ID: 46, Type: "FC", Status: "failed", Options: "2FF70002AC000060"},
		{Name: "ipsite", ID: 47, Type: "IP", Status: "ready", Policy: "mirror_config"},
		{Name: "both", ID: 48, Type: "FC", Status: "ready", Options: "2FF70002AC000061", Policy: "mirror_config"},
	}
	if !reflect.DeepEqual(out.Targets, wantTargets) {
		t.Errorf("targets:\n got %+v\nwant %+v", out.Targets, wantTargets)
	}
	wantLinks := []Link{
		{Target: "fcsite", Node: "0:2:1", Address: "20210002AC000060", Status: "Down"},
		{Target: "ipsite", Node: "0:4:1", Address: "fe80::1", Status: "Up", Options: "-"},
	}
	if !reflect.DeepEqual(out.Links, wantLinks) {
		t.Errorf("links:\n got %+v\nwant %+v", out.Links, wantLinks)
	}
}

// TestAlignedEmptyMiddle checks that in aligned output an empty value in
// the middle of a row is read by position, not shifted.
func TestAlignedEmptyMiddle(t *testing.T) {
	in := "Remote Copy System Information\nStatus: Started, Normal\n\nTarget Information\n\n" +
		"Name  ID Type Status Options          Policy\n" +
		"east   1 IP   ready                   mirror_config\n" +
		"west   2 FC   ready  2FF70002AC000060\n"
	out, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if out.Targets[0].Options != "" || out.Targets[0].Policy != "mirror_config" || out.Targets[1].Options != "2FF70002AC000060" || out.Targets[1].Policy != "" {
		t.Errorf("got %+v", out.Targets)
	}
}

// TestUnknownSectionSkipped: a section this parser does not model (its
// title a capitalised "... Information" line) is skipped, not an error.
// Its layout here is made up: the real -qw output is not in our samples.
func TestUnknownSectionSkipped(t *testing.T) {
	in := "Remote Copy System Information\nStatus: Started, Normal\n\nSome Other Information\n\nA B C\n1 2 3\n\nLink Information\n\nTarget Node Address Status Options\nt 0:1:1 10.0.0.1 Up -\n"
	out, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Links) != 1 || strings.Join(out.Sections, ",") != "system,links" {
		t.Errorf("got %+v", out)
	}
}

func mustParseFile(t *testing.T, name string) *Output {
	t.Helper()
	out, err := Parse(readFixture(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEchoLines(t *testing.T) {
	for line, want := range map[string]bool{
		"showrcopy -d groups":                   true,
		"cli% showrcopy":                        true,
		"array-a cli% showrcopy links":          true,
		"admin@jump:~$ ssh 3paradm@a showrcopy": true,
		"cli%":                                  true,
		"Error: showrcopy failed":               false,
		"hello world":                           false,
	} {
		if got := isEcho(line); got != want {
			t.Errorf("isEcho(%q) = %v, want %v", line, got, want)
		}
	}
}

// collapse imitates what happened to sample S6: every run of blanks became
// one, indentation and blank lines were lost.
func collapse(data []byte) []byte {
	var b strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line != "" {
			b.WriteString(line + "\n")
		}
	}
	return []byte(b.String())
}

// TestCollapsedEqualsAligned: with its padding collapsed, an aligned
// output (with no empty value before its last column) must give the same
// model, so the shape rules agree with the positions on every fixture.
func TestCollapsedEqualsAligned(t *testing.T) {
	inputs := map[string][]byte{"generated": generate(12, 3, false), "generated-d": generate(12, 3, true)}
	for _, f := range []string{"s1_primary_all.txt", "s2_secondary_d_groups.txt", "s3_links_down.txt", "s3_targets_failed.txt", "s4_peer_persistence.txt", "unknown_words.txt", "sld_two_targets.txt", "periods.txt", "crlf.txt"} {
		inputs[f] = readFixture(t, f)
	}
	for name, data := range inputs {
		aligned, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		collapsed, err := Parse(collapse(data))
		if err != nil {
			t.Errorf("%s collapsed: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(aligned, collapsed) {
			t.Errorf("%s: collapsed output reads differently:\n got %+v\nwant %+v", name, collapsed, aligned)
		}
	}
}

// TestTokenize checks the word-at-a-time tokenizer against the plain byte
// loop on lines of every length and mix of blanks, words and tabs.
func TestTokenize(t *testing.T) {
	pieces := []string{" ", "  ", "        ", "a", "abcdefgh", "x1", "\\t", "é", "2026-11-28", "\xff", "         "}
	seed := uint32(1)
	for n := 0; n < 3000; n++ {
		var b strings.Builder
		for k := 0; k < n%23; k++ {
			seed = seed*1664525 + 1013904223
			b.WriteString(pieces[int(seed>>24)%len(pieces)])
		}
		line := strings.ReplaceAll(b.String(), "\\t", "\t")
		for _, a := range []int{0, min(1, len(line))} {
			got := tokenize(nil, line, a, len(line))
			want := tokenizeTabs(nil, line, a, len(line))
			if !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
				t.Fatalf("tokenize(%q, %d) = %v, want %v", line, a, got, want)
			}
		}
	}
}

func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"a\rb":             `a\rb`,
		"x\x00y\x7f":       `x\x00y\x7f`,
		"nel\u0085here":    `nel\u0085here`,
		"ls\u2028ps\u2029": `ls\u2028ps\u2029`,
		"bad\xffbyte":      `bad\xffbyte`,
		"é ok":             "é ok",
	} {
		if got := Printable(in); got != want {
			t.Errorf("Printable(%q) = %q, want %q", in, got, want)
		}
	}
}
