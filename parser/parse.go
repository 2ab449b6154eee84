package parser

import (
	"fmt"
	"strings"
)

// Parse reads the output of one showrcopy invocation (any subcommand form,
// with or without -d, aligned, CSV or with its padding collapsed, sections
// with or without their titles) and returns the model. Rows of the Target
// and Link sections it cannot read, and sections it does not know, are left
// out and listed in Output.Warnings. On anything else it cannot read it
// returns a nil Output and an *Error naming the line and what was expected
// there.
func Parse(data []byte) (*Output, error) {
	p := parser{src: string(data)} // the one copy: every value is a substring of it
	out, err := p.parse()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// NaturalGroup returns the group name without the `.r<system id>` suffix the
// secondary array adds, so that both arrays of a pair name a group alike.
func NaturalGroup(name string) string {
	i := strings.LastIndex(name, ".r")
	if i <= 0 || !isDigits(name[i+2:]) {
		return name
	}
	return name[:i]
}

// Section titles as printed, and the names Output.Sections uses.
const (
	titleSystem  = "Remote Copy System Information"
	titleTargets = "Target Information"
	titleLinks   = "Link Information"
	titleGroups  = "Group Information"
)

// timeSlabSize is how many LastSyncTime strings (or SyncPercent values)
// share one allocation.
const timeSlabSize = 256

// maxWarnings bounds the warnings listed one by one: output made of
// millions of unreadable link rows must not make a list as large. Rows
// left out beyond it are still counted (Output.SkippedRows).
const maxWarnings = 100

type parser struct {
	src  string
	tail int // where the trailing blank and prompt lines begin (promptTail)
	pos  int // offset of the next unread line
	num  int // number of the line last read (1-based)

	toks  []span   // fields of the current row
	sub   []span   // tokens of one CSV field
	vals  []string // values of the current row, one per column
	dp    []int32
	back  []int32
	table [4]table // the current header of each kind

	slab   []string  // backing store for *string values
	pct    []float64 // backing store for *float64 values
	volume []Volume  // backing store for every group's Volumes

	warnings     []Warning
	moreWarnings int // warnings beyond maxWarnings, not listed
	moreSkipped  int // of those, rows left out
	moreFrom     int // the line of the first one
}

// table is a parsed header: its columns and how its rows are written.
type table struct {
	kind tableKind
	line string // the header line, to skip re-reading an identical one
	// extras counts the fExtra and fLooseExtra columns: the size of each
	// row's Extra map.
	extras int
	cols   []column
	csv    bool
	// lead: CSV volume rows begin with a comma (an empty first field).
	lead bool
}

type mark struct{ pos, num int }

func (p *parser) mark() mark   { return mark{p.pos, p.num} }
func (p *parser) reset(m mark) { p.pos, p.num = m.pos, m.num }
func (p *parser) keep(s string) *string {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]string, 0, timeSlabSize)
	}
	p.slab = append(p.slab, s)
	return &p.slab[len(p.slab)-1]
}

// next returns the next line without its line ending (LF or CRLF) and
// without trailing blanks, which the CLI pads the last column with.
func (p *parser) next() (string, bool) {
	if p.pos >= len(p.src) {
		return "", false
	}
	rest := p.src[p.pos:]
	line := rest
	if i := strings.IndexByte(rest, '\n'); i >= 0 {
		line = rest[:i]
		p.pos += i + 1
	} else {
		p.pos = len(p.src)
	}
	p.num++
	if p.num == 1 {
		line = strings.TrimPrefix(line, "\uFEFF")
	}
	return trimRight(line), true
}

func (p *parser) keepPercent(v float64) *float64 {
	if len(p.pct) == cap(p.pct) {
		p.pct = make([]float64, 0, timeSlabSize)
	}
	p.pct = append(p.pct, v)
	return &p.pct[len(p.pct)-1]
}

// warn records a Warning; skipped marks a row left out of the model.
func (p *parser) warn(line int, skipped bool, format string, args ...any) {
	if len(p.warnings) >= maxWarnings {
		if p.moreWarnings == 0 {
			p.moreFrom = line
		}
		p.moreWarnings++
		if skipped {
			p.moreSkipped++
		}
		return
	}
	p.warnings = append(p.warnings, Warning{Line: line, Msg: Printable(fmt.Sprintf(format, args...)), Skipped: skipped})
}

// skipRow records a row of a targets or links table left out because of
// err, the error that reading it gave.
func (p *parser) skipRow(kind tableKind, err *Error) {
	what := kind.what() + " row"
	msg, _ := strings.CutPrefix(err.Msg, what+": ")
	p.warn(err.Line, true, "%s left out: %s", what, msg)
}

func trimRight(s string) string {
	i := len(s)
	for i > 0 && (s[i-1] == ' ' || s[i-1] == '\t' || s[i-1] == '\r') {
		i--
	}
	return s[:i]
}

func trimLeft(s string) string {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return s[i:]
}

func (p *parser) errf(line int, format string, args ...any) *Error {
	if line < 1 {
		line = 1
	}
	return &Error{Line: line, Msg: Printable(fmt.Sprintf(format, args...))}
}

// knownSection returns the section name of a title line, or "".
func knownSection(line string) string {
	switch trimLeft(line) {
	case titleSystem:
		return "system"
	case titleTargets:
		return "targets"
	case titleLinks:
		return "links"
	case titleGroups:
		return "groups"
	}
	return ""
}

// isOtherTitle recognises the title of a section this parser does not model
// (such as a quorum witness section): a few capitalised words ending in
// "Information", not indented.
func isOtherTitle(line string) bool {
	if line == "" || line[0] == ' ' || !strings.HasSuffix(line, " Information") || strings.ContainsAny(line, ",:\t") {
		return false
	}
	words := 0
	for _, w := range strings.Split(line, " ") {
		if w == "" || w[0] < 'A' || w[0] > 'Z' {
			return false
		}
		words++
	}
	return words <= 6
}

// isTitle recognises a section title line. Every title ends in
// "Information", which makes the common case (a row) one comparison.
func isTitle(line string) bool {
	return strings.HasSuffix(line, "Information") && (knownSection(line) != "" || isOtherTitle(line))
}

// isPrompt recognises a CLI prompt line, such as "cli%" or "array1 cli%",
// that a saved session may hold before or after the output: lines arrive
// without trailing blanks, so a prompt ends in its prompt character.
func isPrompt(line string) bool {
	if line == "" {
		return false
	}
	switch line[len(line)-1] {
	case '%', '$', '#':
		return true
	case '>':
		// "<>" is how published outputs redact a value, and a row that
		// ends in one is a row (left out with a warning), not a prompt.
		return !strings.HasSuffix(line, "<>")
	}
	return false
}

// isEcho recognises the echoed command line a saved session may begin with.
// It is the command itself, or the command after a prompt ("cli% showrcopy",
// "user@host:~$ ssh array showrcopy -d"); a message that merely mentions
// showrcopy is not one.
func isEcho(line string) bool {
	t := trimLeft(line)
	if strings.HasPrefix(t, "showrcopy") || isPrompt(t) {
		return true
	}
	i := strings.Index(t, "showrcopy")
	if i < 0 {
		return false
	}
	before := strings.TrimRight(t[:i], " ")
	return before != "" && (isPrompt(before) || strings.HasPrefix(before, "ssh ") || strings.Contains(before, " ssh "))
}

// countRows counts, in one pass over the line ends, the lines that begin
// with a blank (volume rows and headers in aligned and CSV output), those
// that begin with "Name" (group and target headers) and all lines.
func countRows(src string) (indented, named, lines int) {
	for i := 0; i < len(src); {
		j := strings.IndexByte(src[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		lines++
		if i < len(src) {
			if src[i] == ' ' {
				indented++
			} else if strings.HasPrefix(src[i:], "Name") {
				named++
			}
		}
	}
	return indented, named, lines + 1
}

// promptTail returns the offset where the trailing block of blank and
// prompt lines of src begins (len(src) if there is none). Computing it once
// keeps the check "is this the end of the output" constant-time per line.
func promptTail(src string) int {
	tail := len(src)
	for tail > 0 {
		e := tail
		if src[e-1] == '\n' {
			e--
		}
		start := strings.LastIndexByte(src[:e], '\n') + 1
		if line := trimRight(src[start:e]); line != "" && !isPrompt(line) {
			break
		}
		tail = start
	}
	return tail
}

// looksLikeCLIError recognises the messages an array prints instead of
// output when it refuses or fails a command.
func looksLikeCLIError(line string) bool {
	t := strings.ToLower(strings.TrimSpace(line))
	for _, w := range []string{"error", "too many", "cli connection", "not licensed", "permission denied", "invalid", "not found", "unknown command", "usage:", "not started", "no remote copy"} {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

func (p *parser) parse() (*Output, error) {
	// Size the big slices up front from cheap counts: volume rows are the
	// indented lines (aligned and CSV output), group headers begin with
	// "Name" (so do target headers: one spare). Output whose indentation
	// was lost falls back to the line count.
	// The caps (a volume row has at least 16 bytes, a group header 32) keep
	// a flood of short lines from reserving far more than the input's size.
	volumes, groups, lines := countRows(p.src)
	if volumes == 0 {
		volumes = lines
	}
	volumes = min(volumes, len(p.src)/16)
	groups = min(groups, len(p.src)/32)
	out := &Output{Targets: []Target{}, Links: []Link{}, Groups: make([]Group, 0, groups), Sections: make([]string, 0, 4)}
	// Volumes of all groups share one backing array: one allocation
	// instead of one per group and growth step.
	p.volume = make([]Volume, 0, volumes+1)
	p.tail = promptTail(p.src)
	started := false
	for p.pos < p.tail {
		line, _ := p.next()
		if line == "" {
			continue
		}
		sec := knownSection(line)
		header := ""
		if sec == "" {
			// A section printed without its title (as a CSV capture of
			// "showrcopy links" shows) is recognised by its header row.
			if kind, ok := headerKind(line); ok && kind != kindVolumes {
				sec, header = kind.section(), line
			}
		}
		if sec == "" {
			switch {
			case isOtherTitle(line):
				started = true
				p.skipSection(line)
				continue
			case !started && isEcho(line):
				continue
			case !started && looksLikeCLIError(line):
				return nil, p.errf(p.num, "the array answered with an error instead of showrcopy output: %s", quote(strings.TrimSpace(line)))
			case !started:
				return nil, p.errf(p.num, "expected showrcopy output starting with %q (or another section's title or column header), got %s", titleSystem, quote(strings.TrimSpace(line)))
			}
			return nil, p.errf(p.num, "expected a section title (%q, %q, %q or %q) or a section's column header, got %s", titleSystem, titleTargets, titleLinks, titleGroups, quote(strings.TrimSpace(line)))
		}
		started = true
		out.Sections = append(out.Sections, sec)
		var err error
		switch sec {
		case "system":
			err = p.parseSystem(out)
		case "targets":
			err = p.parseTargets(out, header)
		case "links":
			err = p.parseLinks(out, header)
		case "groups":
			err = p.parseGroups(out, header)
		}
		if err != nil {
			return nil, err
		}
	}
	if !started {
		if strings.TrimSpace(p.src) == "" {
			return nil, p.errf(1, "empty output: expected %q", titleSystem)
		}
		return nil, p.errf(p.num, "no showrcopy output: expected %q", titleSystem)
	}
	if p.moreWarnings > 0 {
		p.warnings = append(p.warnings, Warning{Line: p.moreFrom, Msg: fmt.Sprintf("%d more warnings from here on are not listed, %d of them rows left out", p.moreWarnings, p.moreSkipped)})
	}
	out.Warnings, out.unlisted = p.warnings, p.moreSkipped
	return out, nil
}

// skipSection skips the lines of a section this parser does not model,
// whose title line was just read, with a warning.
func (p *parser) skipSection(title string) {
	at, lines := p.num, 0
	for p.pos < p.tail {
		m := p.mark()
		line, _ := p.next()
		if isTitle(line) {
			p.reset(m)
			break
		}
		if line != "" {
			lines++
		}
	}
	p.warn(at, false, "section %s skipped (%d lines): not a section this parser reads", quote(strings.TrimSpace(title)), lines)
}

// nextContent skips blank lines and returns the next line, or ok=false at
// the end of the section (end of input, a title or a trailing prompt); in
// that case nothing is consumed.
func (p *parser) nextContent() (string, bool) {
	for p.pos < p.tail {
		m := p.mark()
		line, _ := p.next()
		if line == "" {
			continue
		}
		if isTitle(line) {
			p.reset(m)
			return "", false
		}
		return line, true
	}
	return "", false
}

func (p *parser) parseSystem(out *Output) error {
	line, ok := p.nextContent()
	if !ok {
		return p.expected(fmt.Sprintf("%q after %q", "Status: ...", titleSystem))
	}
	t := trimLeft(line)
	v, found := strings.CutPrefix(t, "Status:")
	if !found {
		return p.errf(p.num, "expected %q after %q, got %s", "Status: ...", titleSystem, quote(t))
	}
	v = strings.TrimSpace(v)
	if v == "" {
		return p.errf(p.num, "expected a status after %q", "Status:")
	}
	status, detail, _ := strings.Cut(v, ",")
	out.System = System{Status: strings.TrimSpace(status), Detail: strings.TrimSpace(detail)}
	return nil
}

// expected is the error for a section that ends where what was still
// required: it names the next line, or the last one at the end of input.
func (p *parser) expected(what string) *Error {
	m := p.mark()
	defer p.reset(m)
	for {
		if p.pos >= p.tail {
			return p.errf(p.num, "expected %s, got the end of the output", what)
		}
		if line, _ := p.next(); line != "" {
			return p.errf(p.num, "expected %s, got %s", what, quote(strings.TrimSpace(line)))
		}
	}
}

func (p *parser) parseTargets(out *Output, header string) error {
	return p.eachRow(kindTargets, header, func(t *table) {
		var r Target
		for i, c := range t.cols {
			v := p.vals[i]
			switch c.field {
			case fName:
				r.Name = v
			case fID:
				r.ID, _ = atoi(v)
			case fType:
				r.Type = v
			case fTargetStatus:
				r.Status = v
			case fTargetOptions:
				r.Options = v
			case fPolicy:
				r.Policy = v
			default:
				r.Extra = addExtra(r.Extra, t.extras, c.name, v)
			}
		}
		out.Targets = append(out.Targets, r)
	})
}

func (p *parser) parseLinks(out *Output, header string) error {
	return p.eachRow(kindLinks, header, func(t *table) {
		var r Link
		for i, c := range t.cols {
			v := p.vals[i]
			switch c.field {
			case fTarget:
				r.Target = v
			case fNode:
				r.Node = v
			case fAddress:
				r.Address = v
			case fLinkStatus:
				r.Status = v
			case fLinkOptions:
				r.Options = v
			default:
				r.Extra = addExtra(r.Extra, t.extras, c.name, v)
			}
		}
		out.Links = append(out.Links, r)
	})
}

// eachRow reads the header of a targets or links section (header, if the
// caller has read it already), then hands each of its rows, split into
// p.vals by the header's columns, to row. These sections are read row by
// row: a row that cannot be read is left out with a warning, and so is
// every row under a header that cannot be read. Only a line that looks like
// the array's CLI error message is an error: output interrupted by one has
// lost what follows. The section ends at a title, the end of the output or
// the column header of another section.
func (p *parser) eachRow(kind tableKind, header string, row func(t *table)) error {
	if header == "" {
		m := p.mark()
		line, ok := p.nextContent()
		if !ok {
			return nil // a title with no table under it
		}
		if k, ok := headerKind(line); ok && k != kind {
			p.reset(m) // another section's header: this one is empty
			return nil
		}
		header = line
	}
	t, err := p.sectionHeader(kind, header)
	if err != nil {
		return err
	}
	headerLine := p.num
	for {
		m := p.mark()
		line, ok := p.nextContent()
		if !ok {
			return nil
		}
		if k, ok := headerKind(line); ok {
			if k != kind {
				p.reset(m)
				return nil
			}
			// The table's header again (a second table of the same kind).
			if t, err = p.sectionHeader(kind, line); err != nil {
				return err
			}
			headerLine = p.num
			continue
		}
		if t == nil {
			if looksLikeCLIError(line) {
				return p.cliErrorInstead(kind, line)
			}
			p.warn(p.num, true, "%s row left out: the header on line %d could not be read", kind.what(), headerLine)
			continue
		}
		if err := p.splitRow(t, line); err != nil {
			if looksLikeCLIError(line) {
				return p.cliErrorInstead(kind, line)
			}
			p.skipRow(kind, err)
			continue
		}
		row(t)
	}
}

func (p *parser) cliErrorInstead(kind tableKind, line string) *Error {
	return p.errf(p.num, "expected a %s row (%s), got what looks like a CLI error message: %s", kind.what(), kind.expectedHeader(), quote(strings.TrimSpace(line)))
}

func addExtra(m map[string]string, size int, k, v string) map[string]string {
	if m == nil {
		m = make(map[string]string, size)
	}
	m[k] = v
	return m
}

// sectionHeader reads the column header of a targets or links section. A
// header it cannot read gives a warning and a nil table (the section's rows
// are then left out), unless it looks like a CLI error message.
func (p *parser) sectionHeader(kind tableKind, line string) (*table, *Error) {
	t, err := p.parseHeader(kind, line)
	if err == nil {
		return t, nil
	}
	if looksLikeCLIError(line) {
		return nil, p.errf(p.num, "expected the %s header (%s), got what looks like a CLI error message: %s", kind.what(), kind.expectedHeader(), quote(strings.TrimSpace(line)))
	}
	p.warn(err.Line, false, "%s; the rows under it are left out", err.Msg)
	return nil, nil
}

// headerKind recognises a column header by its first words, as the CLI
// prints them: "Name ID Type" (targets), "Target Node" (links), "Name
// Target" or, with -d, "Name ID Target" (groups), "LocalVV ID" (volumes).
// Rows do not match: where a header has ID, Node or Type a row has a
// number, a port n:s:p or IP/FC. Words end at blanks or commas (CSV), and
// CSV volume headers begin with a comma. It reads only as many words as it
// needs: it runs on every volume header.
func headerKind(line string) (tableKind, bool) {
	w0, i := nextWord(line, 0)
	if w0 == "" || (w0[0] != 'N' && w0[0] != 'T' && w0[0] != 'L') {
		return 0, false
	}
	w1, i := nextWord(line, i)
	switch w0 {
	case "Name":
		switch w1 {
		case "Target":
			return kindGroups, true
		case "ID":
			switch w2, _ := nextWord(line, i); w2 {
			case "Target":
				return kindGroups, true
			case "Type":
				return kindTargets, true
			}
		}
	case "Target":
		if w1 == "Node" {
			return kindLinks, true
		}
	case "LocalVV":
		if w1 == "ID" {
			return kindVolumes, true
		}
	}
	return 0, false
}

// isHeader reports whether line is the column header of any table.
func isHeader(line string) bool {
	_, ok := headerKind(line)
	return ok
}

// isGroupHeader recognises a group header row. The prefix test keeps it
// cheap for the volume rows it is asked about.
func isGroupHeader(line string) bool {
	if !strings.HasPrefix(trimLeft(line), "Name") {
		return false
	}
	k, ok := headerKind(line)
	return ok && k == kindGroups
}

// isVolumeHeader recognises a volume header row (LocalVV ID first).
func isVolumeHeader(line string) bool {
	t := trimLeft(line)
	if t != "" && t[0] == ',' { // CSV: volume rows begin with a comma
		t = trimLeft(t[1:])
	}
	if !strings.HasPrefix(t, "LocalVV") {
		return false
	}
	k, ok := headerKind(t)
	return ok && k == kindVolumes
}

// nextWord returns the word of line that begins at or after i, and where
// it ends; words are separated by blanks, tabs and commas.
func nextWord(line string, i int) (string, int) {
	for i < len(line) && (line[i] == ' ' || line[i] == '\t' || line[i] == ',') {
		i++
	}
	j := i
	for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != ',' {
		j++
	}
	return line[i:j], j
}

// parseGroups reads the group section (header: its first group header, if
// the caller has read it already). Every group row must be readable, and so
// must its volumes: they are what the state tables judge. A group row may
// be followed by its volume header and rows, by its volume header alone, or
// by no volume header at all (the next group's header, a title, another
// section's header or the end of the output): the last two give a group
// without volumes.
func (p *parser) parseGroups(out *Output, header string) error {
	cur := -1 // index in out.Groups of the group whose volumes are being read
	var vt *table
	rowLine := 0 // the line of cur's group row
	start := 0   // where cur's volumes begin in p.volume
	finish := func() {
		if cur >= 0 {
			out.Groups[cur].Volumes = p.volume[start:len(p.volume):len(p.volume)]
		}
	}
	defer finish()
	for {
		m := p.mark()
		line := header
		if header != "" {
			header = ""
		} else {
			var ok bool
			if line, ok = p.nextContent(); !ok {
				return nil
			}
		}
		if isGroupHeader(line) {
			finish()
			cur, vt = -1, nil
			gt, err := p.parseHeader(kindGroups, line)
			if err != nil {
				return err
			}
			headerLine := p.num
			m := p.mark()
			row, ok := p.nextContent()
			if !ok || isHeader(row) {
				p.reset(m)
				return p.expected(fmt.Sprintf("a group row after the group header on line %d", headerLine))
			}
			g, err := p.groupRow(gt, row)
			if err != nil {
				return err
			}
			out.Groups = append(out.Groups, g)
			cur, start, rowLine = len(out.Groups)-1, len(p.volume), p.num
			continue
		}
		if cur < 0 {
			if isHeader(line) { // another section's header: this one has no groups
				p.reset(m)
				return nil
			}
			return p.errf(p.num, "expected a group header (%s), got %s", kindGroups.expectedHeader(), quote(strings.TrimSpace(line)))
		}
		if vt == nil { // right after the group row
			if isVolumeHeader(line) {
				var err *Error
				if vt, err = p.parseHeader(kindVolumes, line); err != nil {
					return err
				}
				continue
			}
			if isHeader(line) {
				p.reset(m)
				return nil
			}
			return p.errf(p.num, "expected the volume header (%s), the next group header or the end of the section after the group row on line %d, got %s", kindVolumes.expectedHeader(), rowLine, quote(strings.TrimSpace(line)))
		}
		if isVolumeHeader(line) {
			return p.errf(p.num, "expected a volume row or a group header, got a second volume header")
		}
		if err := p.splitRow(vt, line); err != nil {
			if isHeader(line) { // the header of a section printed without its title
				p.reset(m)
				return nil
			}
			return err
		}
		p.volume = append(p.volume, p.volumeRow(vt))
	}
}

func (p *parser) groupRow(t *table, line string) (Group, *Error) {
	if err := p.splitRow(t, line); err != nil {
		return Group{}, err
	}
	var g Group
	for i, c := range t.cols {
		v := p.vals[i]
		switch c.field {
		case fName:
			g.Name = v
		case fID:
			id, _ := atoi(v)
			g.ID = &id
		case fTarget:
			g.Target = v
		case fGroupStatus:
			g.Status = v
		case fRole:
			g.Role = v
		case fMode:
			g.Mode = v
		case fGroupOptions:
			g.Options = splitOptions(v)
		default:
			g.Extra = addExtra(g.Extra, t.extras, c.name, v)
		}
	}
	if g.Options == nil {
		g.Options = []string{}
	}
	for _, o := range g.Options {
		if rest, ok := strings.CutPrefix(o, "Period "); ok {
			if s, ok := periodSeconds(strings.TrimSpace(rest)); ok {
				g.PeriodSeconds = &s
			}
		} else if rest, ok := strings.CutPrefix(o, "Last-Sync "); ok {
			if ls := strings.TrimSpace(rest); ls != "" {
				g.LastSync = &ls
			}
		}
	}
	return g, nil
}

func (p *parser) volumeRow(t *table) Volume {
	var v Volume
	for i, c := range t.cols {
		s := p.vals[i]
		switch c.field {
		case fLocalVV:
			v.LocalVV = s
		case fLocalID:
			v.LocalID, _ = atoi(s)
		case fRemoteVV:
			v.RemoteVV = s
		case fRemoteID:
			v.RemoteID, _ = atoi(s)
		case fSyncStatus:
			if hasPercent(s) {
				word, pct, _ := splitSyncStatus(s) // checked when the row was split
				v.SyncStatus = word
				v.SyncPercent = p.keepPercent(pct)
			} else {
				v.SyncStatus = s
			}
		case fLastSyncTime:
			if s != "NA" {
				v.LastSyncTime = p.keep(s)
			}
		default:
			v.Extra = addExtra(v.Extra, t.extras, c.name, s)
		}
	}
	return v
}

// splitOptions splits a group's Options into its comma-separated words;
// "-" and "" mean none.
func splitOptions(v string) []string {
	if v == "" || v == "-" {
		return []string{}
	}
	opts := make([]string, 0, strings.Count(v, ",")+1)
	for v != "" {
		o, rest, _ := strings.Cut(v, ",")
		if o = strings.TrimSpace(o); o != "" {
			opts = append(opts, o)
		}
		v = rest
	}
	return opts
}

// periodSeconds parses a period such as 5m, 30s, 1h, 2d or 1h30m.
func periodSeconds(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var total, n int64
	digits := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			n = n*10 + int64(c-'0')
			if n > 1<<40 {
				return 0, false
			}
			digits = true
			continue
		}
		if !digits {
			return 0, false
		}
		switch c {
		case 's':
			total += n
		case 'm':
			total += n * 60
		case 'h':
			total += n * 3600
		case 'd':
			total += n * 86400
		default:
			return 0, false
		}
		n, digits = 0, false
	}
	if digits { // a number without a unit
		return 0, false
	}
	return total, true
}
