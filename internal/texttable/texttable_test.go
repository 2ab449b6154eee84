package texttable

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestWrap(t *testing.T) {
	for _, c := range []struct {
		s     string
		width int
		want  []string
	}{
		{"", 10, nil},
		{"short", 10, []string{"short"}},
		{"two words here", 9, []string{"two words", "here"}},
		{"Synchronized/Synchronized/Completed/RR=false", 20, []string{"Synchronized/", "Synchronized/", "Completed/RR=false"}},
		{"P:T110-4 S:T110-3|T110-3b", 12, []string{"P:T110-4", "S:T110-3|", "T110-3b"}},
		{"abcdefghijkl", 5, []string{"abcde", "fghij", "kl"}},
		{"a  b\tc", 10, []string{"a b c"}},
		{"ééééé ééééé", 5, []string{"ééééé", "ééééé"}},
	} {
		got := Wrap(c.s, c.width)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") || len(got) != len(c.want) {
			t.Errorf("Wrap(%q, %d) = %q, want %q", c.s, c.width, got, c.want)
		}
	}
}

// TestWriteFitsWidth: a table whose natural width is far over the limit
// comes out within it, every cell's words kept in order, narrow columns
// untouched and the columns aligned.
func TestWriteFitsWidth(t *testing.T) {
	why := "showrcopy shows Primary/Stopped with target ready, which is row T109-stopped; expected here: T110-4 (Secondary-Rev/Stopped)"
	rows := [][]string{
		{"STEP", "ARRAY", "VOLUMES", "VERDICT", "WHY"},
		{"5 primary-back", "sim-a", "rcg-db db.0, rcg-db db.1, rcg-db db.2, rcg-app app.0 +9 more", "mismatch", why},
		{"6 recover", "sim-a+sim-b", "rcg-db+rcg-db.r188150", "pair_inconsistent", "split brain"},
	}
	var b strings.Builder
	if err := Write(&b, Width, rows); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Logf("\n%s", out)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > Width {
			t.Errorf("%d columns: %q", n, l)
		}
	}
	if !strings.HasPrefix(lines[1], "5 primary-back  sim-a        ") {
		t.Errorf("narrow columns changed: %q", lines[1])
	}
	// The WHY column starts at the same offset on every line of row 1.
	col := strings.Index(lines[0], "WHY")
	var got []string
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "6 recover") {
			break
		}
		if len(l) > col {
			if l[col-1] != ' ' {
				t.Errorf("WHY not aligned at %d: %q", col, l)
			}
			got = append(got, strings.TrimSpace(l[col:]))
		}
	}
	if strings.Join(got, " ") != why {
		t.Errorf("WHY column reads %q, want %q", strings.Join(got, " "), why)
	}
	if len(got) < 2 {
		t.Errorf("WHY was not wrapped: %q", got)
	}
}

func TestWriteKeepsNarrowTables(t *testing.T) {
	var b strings.Builder
	if err := Write(&b, Width, [][]string{{"#", "STEP", "RESULT"}, {"1", "healthy", "PASS"}, {"10", "x", ""}}); err != nil {
		t.Fatal(err)
	}
	if want := "#   STEP     RESULT\n1   healthy  PASS\n10  x\n"; b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestParagraph(t *testing.T) {
	var b strings.Builder
	text := "step primary-back (rows sim-a T110-4, sim-b T110-3|T110-3b), sim-a group rcg-db volume db.0: showrcopy shows Primary/Stopped with target ready"
	if err := Paragraph(&b, 40, "FIRST FAILURE: ", "  ", text); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	var words []string
	for i, l := range lines {
		if utf8.RuneCountInString(l) > 40 || (i > 0 && !strings.HasPrefix(l, "  ")) {
			t.Errorf("line %q", l)
		}
		words = append(words, strings.Fields(l)...)
	}
	if !strings.HasPrefix(lines[0], "FIRST FAILURE: step") || strings.Join(words[2:], " ") != text {
		t.Errorf("got\n%s", b.String())
	}
}

func TestWholeColumn(t *testing.T) {
	var tb Table
	tb.Whole(1)
	tb.Row("#", "ACTION", "THEN EXPECT")
	tb.Row("3", "on sim-b: setrcopygroup failover -f rcg-db.r188150 rcg-app.r188150", "sim-a T110-4, sim-b T110-3|T110-3b")
	var b strings.Builder
	if err := tb.Write(&b, 80); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "on sim-b: setrcopygroup failover -f rcg-db.r188150 rcg-app.r188150") {
		t.Errorf("the whole column was wrapped:\n%s", b.String())
	}
	for _, l := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if len(l) > 80 {
			t.Errorf("%d columns: %q", len(l), l)
		}
	}
}
