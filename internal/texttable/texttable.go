package texttable

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Width is the widest line a text report writes.
const Width = 100

const (
	gap      = 2      // spaces between columns
	minWidth = 8      // a wrapped column is never narrower
	maxWord  = 24     // nor narrower than its longest word, up to this width
	breaks   = "/,|+" // a word may wrap after these
)

// Write writes rows (the first is usually the header) as left-aligned
// columns two spaces apart. When the columns' natural widths make a line
// wider than width, columns are narrowed one rune at a time, each time the
// one that costs the fewest extra lines (a column that is wide only in a
// few rows goes first), and their cells are wrapped (Wrap) onto
// continuation lines of the same row. No column is narrowed below its
// longest word or piece of a word (up to 24 runes; see Wrap) or 8 runes, so
// a table of many columns may still be wider than width.
func Write(w io.Writer, width int, rows [][]string) error {
	return (&Table{rows: rows, notes: make([]string, len(rows))}).Write(w, width)
}

// Table is a table whose rows may carry a note: a line of text written
// under the row, indented by four spaces and wrapped within the width
// (what does not fit a column, such as the detail of a failure).
type Table struct {
	rows  [][]string
	notes []string
	whole map[int]bool
}

// Whole keeps the cells of column i whole (commands to copy, say): the
// other columns wrap instead.
func (t *Table) Whole(i int) {
	if t.whole == nil {
		t.whole = map[int]bool{}
	}
	t.whole[i] = true
}

// Row adds a row.
func (t *Table) Row(cells ...string) {
	t.rows = append(t.rows, cells)
	t.notes = append(t.notes, "")
}

// Note sets the note of the last row.
func (t *Table) Note(text string) {
	if len(t.notes) > 0 {
		t.notes[len(t.notes)-1] = text
	}
}

// noteIndent starts every line of a note.
const noteIndent = "    "

// Write writes the table as Write does, each note under its row.
func (t *Table) Write(w io.Writer, width int) error {
	rows := t.rows
	ncol := 0
	for _, r := range rows {
		ncol = max(ncol, len(r))
	}
	widths := fit(rows, ncol, width, t.whole)
	var b strings.Builder
	for n, r := range rows {
		cells := make([][]string, len(r))
		lines := 1
		for i, c := range r {
			cells[i] = wrapCell(c, widths[i])
			lines = max(lines, len(cells[i]))
		}
		for l := 0; l < lines; l++ {
			var line strings.Builder
			for i := range r {
				part := ""
				if l < len(cells[i]) {
					part = cells[i][l]
				}
				line.WriteString(part)
				if i < len(r)-1 {
					line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(part)+gap))
				}
			}
			b.WriteString(strings.TrimRight(line.String(), " "))
			b.WriteByte('\n')
		}
		if t.notes[n] != "" {
			_ = Paragraph(&b, width, noteIndent, noteIndent+"  ", t.notes[n])
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fit returns the column widths: natural (the widest cell), narrowed
// while the line is wider than width, one rune of the cheapest column at a
// time (ties: the wider column), none below its floor.
func fit(rows [][]string, ncol, width int, whole map[int]bool) []int {
	cols := make([]column, ncol)
	for i := range cols {
		cols[i] = column{cells: map[string]int{}, memo: map[int]int{}}
	}
	for _, r := range rows {
		for i, c := range r {
			col := &cols[i]
			col.cells[c]++
			col.natural = max(col.natural, utf8.RuneCountInString(c))
			for _, word := range strings.Fields(c) {
				for _, piece := range pieces(word) {
					col.floor = max(col.floor, min(utf8.RuneCountInString(piece), maxWord))
				}
			}
		}
	}
	widths := make([]int, ncol)
	total := gap * max(ncol-1, 0)
	for i := range cols {
		cols[i].floor = min(cols[i].natural, max(cols[i].floor, minWidth))
		if whole[i] {
			cols[i].floor = cols[i].natural
		}
		widths[i] = cols[i].natural
		total += widths[i]
	}
	for total > width {
		best, bestCost := -1, 0
		for i := range cols {
			if widths[i] <= cols[i].floor {
				continue
			}
			cost := cols[i].lines(widths[i]-1) - cols[i].lines(widths[i])
			if best < 0 || cost < bestCost || cost == bestCost && widths[i] > widths[best] {
				best, bestCost = i, cost
			}
		}
		if best < 0 {
			break // every column at its floor
		}
		widths[best]--
		total--
	}
	return widths
}

// column is what fit knows of a column: its distinct cells (with their
// counts), widths, and the lines its cells take at a width.
type column struct {
	cells          map[string]int
	natural, floor int
	memo           map[int]int
}

func (c *column) lines(width int) int {
	if n, ok := c.memo[width]; ok {
		return n
	}
	n := 0
	for cell, count := range c.cells {
		n += count * max(1, len(Wrap(cell, width)))
	}
	c.memo[width] = n
	return n
}

// wrapCell is Wrap for a table cell: never empty.
func wrapCell(s string, width int) []string {
	lines := Wrap(s, width)
	if len(lines) == 0 {
		return []string{""}
	}
	return lines
}

// Wrap breaks s into lines of at most width runes: at spaces, else after
// a '/', ',', '|' or '+' inside a word (a CIM triple, a list of rows),
// else inside the word. Runs of spaces between words become one.
func Wrap(s string, width int) []string { return wrap(s, width, width) }

// wrap is Wrap with a different width for the first line.
func wrap(s string, first, rest int) []string {
	var lines []string
	limit := func() int {
		if len(lines) == 0 {
			return max(first, 1)
		}
		return max(rest, 1)
	}
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= limit():
			line += " " + word
			continue
		default:
			lines = append(lines, line)
		}
		// The word starts a line; a word wider than the line is split.
		for utf8.RuneCountInString(word) > limit() {
			cut := breakAt(word, limit())
			lines = append(lines, word[:cut])
			word = word[cut:]
		}
		line = word
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// breakAt returns the byte offset at which to split a word wider than
// width: after the last '/', ',', '|' or '+' within the first width runes,
// or after width runes.
func breakAt(word string, width int) int {
	runes, cut, hard := 0, 0, 0
	for i, r := range word {
		if runes == width {
			break
		}
		runes++
		hard = i + utf8.RuneLen(r)
		if strings.ContainsRune(breaks, r) {
			cut = hard
		}
	}
	if cut > 0 {
		return cut
	}
	return hard
}

// pieces splits a word after each of its break characters.
func pieces(word string) []string {
	var out []string
	for word != "" {
		i := strings.IndexAny(word, breaks)
		if i < 0 {
			return append(out, word)
		}
		out = append(out, word[:i+1])
		word = word[i+1:]
	}
	return out
}

// Paragraph writes text wrapped within width: its first line after
// first, the others after indent.
func Paragraph(w io.Writer, width int, first, indent, text string) error {
	var b strings.Builder
	for i, l := range wrap(text, width-utf8.RuneCountInString(first), width-utf8.RuneCountInString(indent)) {
		if i == 0 {
			b.WriteString(first)
		} else {
			b.WriteString(indent)
		}
		b.WriteString(l + "\n")
	}
	if b.Len() == 0 {
		b.WriteString(strings.TrimRight(first, " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
