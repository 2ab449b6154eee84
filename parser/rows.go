package parser

import (
	"math/bits"
	"strings"
)

// maxFields bounds the fields of one row or header (real rows have at most
// about 20); more is not showrcopy output, and it bounds the work of the
// shape matcher (columns x fields x fields).
const maxFields = 64

// tokenize appends the blank-separated tokens of line[a:b] to out. Rows
// are mostly padding and short words, so it looks at eight bytes at a time
// (SWAR: bit tricks on a uint64) where it can; a line with tabs takes the
// plain byte loop.
func tokenize(out []span, line string, a, b int) []span {
	if strings.IndexByte(line[a:b], '\t') >= 0 {
		return tokenizeTabs(out, line, a, b)
	}
	i := a
	for i < b {
		// Skip blanks.
		for i+8 <= b {
			if x := load64(line, i) ^ blanks; x != 0 {
				i += bits.TrailingZeros64(x) >> 3
				goto word
			}
			i += 8
		}
		for i < b && line[i] == ' ' {
			i++
		}
		if i >= b {
			break
		}
	word:
		j := i + 1
		for j+8 <= b {
			x := load64(line, j) ^ blanks // a blank becomes a zero byte
			if z := (x - ones) &^ x & highs; z != 0 {
				j += bits.TrailingZeros64(z) >> 3
				goto end
			}
			j += 8
		}
		for j < b && line[j] != ' ' {
			j++
		}
	end:
		out = append(out, span{i, j})
		i = j
	}
	return out
}

const (
	blanks = 0x2020202020202020
	ones   = 0x0101010101010101
	highs  = 0x8080808080808080
)

// load64 reads s[i:i+8] as a little-endian uint64 (the compiler turns this
// into one load).
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// tokenizeTabs is tokenize for the rare line that holds tabs.
func tokenizeTabs(out []span, line string, a, b int) []span {
	i := a
	for i < b {
		for i < b && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= b {
			break
		}
		j := i
		for j < b && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		out = append(out, span{i, j})
		i = j
	}
	return out
}

// splitCSV appends the comma-separated fields of line to out, trimmed of
// blanks and, when quoted, of their quotes. ok is false for an unterminated
// quote.
func splitCSV(out []span, line string) ([]span, bool) {
	i := 0
	for {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i < len(line) && line[i] == '"' {
			j := strings.IndexByte(line[i+1:], '"')
			if j < 0 {
				return out, false
			}
			a, b := i+1, i+1+j
			out = append(out, trimSpan(line, a, b))
			i = b + 1
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
			if i == len(line) {
				return out, true
			}
			if line[i] != ',' {
				return out, false
			}
			i++
			if i == len(line) {
				return append(out, span{i, i}), true
			}
			continue
		}
		j := strings.IndexByte(line[i:], ',')
		if j < 0 {
			return append(out, trimSpan(line, i, len(line))), true
		}
		out = append(out, trimSpan(line, i, i+j))
		i += j + 1
		if i == len(line) {
			return append(out, span{i, i}), true
		}
	}
}

func trimSpan(line string, a, b int) span {
	for a < b && (line[a] == ' ' || line[a] == '\t') {
		a++
	}
	for b > a && (line[b-1] == ' ' || line[b-1] == '\t') {
		b--
	}
	return span{a, b}
}

// parseHeader reads a column header of the given kind. The table it
// returns is reused for the next header of the same kind.
func (p *parser) parseHeader(kind tableKind, line string) (*table, *Error) {
	t := &p.table[kind]
	if t.line == line && len(t.cols) > 0 {
		return t, nil // the same header as the previous group's: already read
	}
	t.line = ""
	t.extras = 0
	t.kind = kind
	t.cols = t.cols[:0]
	t.csv = strings.IndexByte(line, ',') >= 0
	t.lead = false
	var ok bool
	p.toks = p.toks[:0]
	if t.csv {
		if p.toks, ok = splitCSV(p.toks, line); !ok {
			return nil, p.errf(p.num, "%s header: unterminated quote", kind.what())
		}
		if len(p.toks) > 0 && p.toks[0].a == p.toks[0].b {
			t.lead = true
			p.toks = p.toks[1:]
		}
	} else {
		p.toks = tokenize(p.toks, line, 0, len(line))
	}
	if len(p.toks) > maxFields {
		return nil, p.errf(p.num, "%s header: more than %d columns", kind.what(), maxFields)
	}
	ids := 0
	for _, s := range p.toks {
		name := line[s.a:s.b]
		if name == "" || (t.csv && strings.IndexByte(name, '"') >= 0) {
			return nil, p.errf(p.num, "expected the %s header (%s), got %s", kind.what(), kind.expectedHeader(), quote(strings.TrimSpace(line)))
		}
		f := fieldOf(kind, name, ids)
		if name == "ID" {
			ids++
		}
		if f == fExtra || f == fLooseExtra {
			t.extras++
		}
		t.cols = append(t.cols, newColumn(name, s.a, f))
	}
	for _, want := range kind.required() {
		found := false
		for _, c := range t.cols {
			if c.field == want {
				found = true
				break
			}
		}
		if !found {
			return nil, p.errf(p.num, "expected the %s header (%s), got %s", kind.what(), kind.expectedHeader(), quote(strings.TrimSpace(line)))
		}
	}
	t.line = line
	return t, nil
}

// splitRow sets p.vals to the values of row line under header t.
func (p *parser) splitRow(t *table, line string) *Error {
	n := len(t.cols)
	if cap(p.vals) < n {
		p.vals = make([]string, n)
	}
	p.vals = p.vals[:n]
	if t.csv {
		return p.splitCSVRow(t, line)
	}
	p.toks = tokenize(p.toks[:0], line, 0, len(line))
	if len(p.toks) > maxFields {
		return p.errf(p.num, "%s row: more than %d fields", t.kind.what(), maxFields)
	}
	if p.byPosition(t, line) || p.byShape(t, line) {
		return nil
	}
	return p.rowError(t, line)
}

// byPosition assigns each token to the header column it overlaps most and
// accepts the result only if every value sits where the CLI prints it
// (left-aligned under its header, or right-aligned against the next
// column, as numbers are) and every value fits its column. Aligned output
// is parsed here; collapsed padding fails and goes to byShape.
func (p *parser) byPosition(t *table, line string) bool {
	cols, toks := t.cols, p.toks
	n := len(cols)
	j, first := 0, 0 // the column being filled, and its first token
	for i := range toks {
		a, b := toks[i].a, toks[i].b
		k := j
		for k+1 < n && cols[k+1].start <= a {
			k++
		}
		if k+1 < n && b > cols[k+1].start { // reaches into the next column
			if k+2 < n && b > cols[k+2].start {
				return false // spans three columns: not aligned
			}
			if s := cols[k+1].start; b-s > s-a {
				k++ // mostly there: a right-aligned number
			}
		}
		for ; j < k; j++ {
			if !p.placeRun(cols, j, first, i, line) {
				return false
			}
			first = i
		}
	}
	for ; j < n; j++ {
		if !p.placeRun(cols, j, first, len(toks), line) {
			return false
		}
		first = len(toks)
	}
	return true
}

// placeRun sets column j's value to tokens [first, end) if they sit where
// the CLI prints that column (starting at its header, or ending just
// before the next one) and fit it.
func (p *parser) placeRun(cols []column, j, first, end int, line string) bool {
	c := &cols[j]
	count := end - first
	if count < int(c.lo) || (c.hi >= 0 && count > int(c.hi)) {
		return false
	}
	if count == 0 {
		p.vals[j] = ""
		return true
	}
	a, b := p.toks[first].a, p.toks[end-1].b
	if a != c.start && (j+1 == len(cols) || b != cols[j+1].start-1) {
		return false
	}
	switch c.field {
	case fID, fLocalID, fRemoteID:
		if _, ok := atoi(line[a:b]); !ok {
			return false
		}
	case fNode:
		if !isNode(line[a:b]) {
			return false
		}
	case fLastSyncTime:
		if timeCost(line, p.toks[first:end]) >= inf {
			return false
		}
	case fSyncStatus:
		if count > 1 || line[b-1] == ')' {
			if _, _, ok := splitSyncStatus(line[a:b]); !ok {
				return false
			}
		}
	}
	p.vals[j] = line[a:b]
	return true
}

func joinRun(line string, run []span) string {
	if len(run) == 0 {
		return ""
	}
	return line[run[0].a:run[len(run)-1].b]
}

// byShape assigns tokens to columns by what the values look like, for rows
// whose padding was lost (every run of blanks became one). It finds the
// split of the tokens into consecutive runs, one per column, with the least
// cost (runCost): IDs must be numbers, nodes n:s:p, times dates; known
// words, IPs, WWNs and policy words fit their columns best.
func (p *parser) byShape(t *table, line string) bool {
	cols, toks := t.cols, p.toks
	n, m := len(cols), len(toks)
	w := m + 1
	size := (n + 1) * w
	if cap(p.dp) < size {
		p.dp = make([]int32, size)
		p.back = make([]int32, size)
	}
	dp, back := p.dp[:size], p.back[:size]
	for i := range dp {
		dp[i] = inf
	}
	dp[0] = 0
	for j := 0; j < n; j++ {
		f := cols[j].field
		lo, hi := limits(f)
		for i := 0; i <= m; i++ {
			base := dp[j*w+i]
			if base >= inf {
				continue
			}
			end := m
			if hi >= 0 && i+hi < end {
				end = i + hi
			}
			for k := i + lo; k <= end; k++ {
				c := runCost(f, line, toks[i:k])
				if c >= inf {
					continue
				}
				if nc := base + int32(c); nc < dp[(j+1)*w+k] {
					dp[(j+1)*w+k] = nc
					back[(j+1)*w+k] = int32(i)
				}
			}
		}
	}
	if dp[n*w+m] >= inf {
		return false
	}
	k := m
	for j := n; j > 0; j-- {
		i := int(back[j*w+k])
		p.vals[j-1] = joinRun(line, toks[i:k])
		k = i
	}
	return true
}

func (p *parser) splitCSVRow(t *table, line string) *Error {
	var ok bool
	if p.toks, ok = splitCSV(p.toks[:0], line); !ok {
		return p.errf(p.num, "%s row: unterminated quote", t.kind.what())
	}
	toks := p.toks
	if t.lead && len(toks) > 0 && toks[0].a == toks[0].b {
		toks = toks[1:]
	}
	n := len(t.cols)
	if len(toks) == n+1 && toks[n].a == toks[n].b { // a trailing comma
		toks = toks[:n]
	}
	if len(toks) > n && t.cols[n-1].field == fGroupOptions { // unquoted options with commas
		toks[n-1].b = toks[len(toks)-1].b
		toks = toks[:n]
	}
	if len(toks) != n {
		return p.errf(p.num, "%s row: expected %d comma-separated fields (%s), got %d", t.kind.what(), n, colNames(t), len(toks))
	}
	for i := range t.cols {
		c := &t.cols[i]
		s := toks[i]
		p.sub = tokenize(p.sub[:0], line, s.a, s.b)
		if !c.fits(line, p.sub) {
			return p.errf(p.num, "%s row: %s", t.kind.what(), badValue(*c, line[s.a:s.b]))
		}
		p.vals[i] = line[s.a:s.b]
	}
	return nil
}

func colNames(t *table) string {
	var b strings.Builder
	for i, c := range t.cols {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.name)
	}
	return b.String()
}

// badValue says why v cannot be the value of column c.
func badValue(c column, v string) string {
	if v == "" {
		return "missing " + c.name
	}
	switch c.field {
	case fID, fLocalID, fRemoteID:
		return c.name + " " + quote(v) + " is not a number"
	case fNode:
		return c.name + " " + quote(v) + " is not a port position n:s:p"
	case fLastSyncTime:
		return c.name + " " + quote(v) + " is neither NA nor a date and time (YYYY-MM-DD hh:mm:ss [ZONE])"
	case fSyncStatus:
		return c.name + " " + quote(v) + " is not a status word, optionally followed by a percentage (NN%) from 0 to 100"
	}
	return c.name + " " + quote(v) + " does not fit the column"
}

// rowError explains why an aligned or collapsed row could not be read.
func (p *parser) rowError(t *table, line string) *Error {
	need := 0
	for _, c := range t.cols {
		lo, _ := limits(c.field)
		need += lo
	}
	what := t.kind.what()
	if len(p.toks) < need {
		return p.errf(p.num, "%s row: expected %d or more fields (%s), got %d in %s (truncated?)", what, need, colNames(t), len(p.toks), quote(strings.TrimSpace(line)))
	}
	if looksLikeCLIError(line) {
		return p.errf(p.num, "expected a %s row (%s), got what looks like a CLI error message: %s", what, colNames(t), quote(strings.TrimSpace(line)))
	}
	if e := p.percentError(t, line); e != nil {
		return e
	}
	// With a single column of variable width, the split is fixed by the
	// count: name the first value that cannot be what its column holds. A
	// SyncStatus does not count: it has a second token only when that is
	// a percentage, which begins with "(".
	flex, flexAt := 0, -1
	for j, c := range t.cols {
		if lo, hi := limits(c.field); c.field != fSyncStatus && (lo != 1 || hi != 1) {
			flex, flexAt = flex+1, j
		}
	}
	if flex <= 1 {
		m := len(p.toks)
		i := 0
		for j, c := range t.cols {
			k := i + 1
			switch {
			case j == flexAt:
				k = m - (len(t.cols) - 1 - j)
			case c.field == fSyncStatus && k < m && line[p.toks[k].a] == '(':
				k++
			}
			if k > m || k < i {
				break
			}
			run := p.toks[i:k]
			if runCost(c.field, line, run) >= inf {
				return p.errf(p.num, "%s row: %s", what, badValue(c, joinRun(line, run)))
			}
			i = k
		}
	}
	return p.errf(p.num, "%s row: cannot match the fields of %s to the columns %s", what, quote(strings.TrimSpace(line)), colNames(t))
}

// percentError names a malformed percentage in a volume row ("Syncing
// (abc%)"), which the general messages would not point at: the token that
// holds "(" and the word before it.
func (p *parser) percentError(t *table, line string) *Error {
	for _, c := range t.cols {
		if c.field != fSyncStatus {
			continue
		}
		for i, s := range p.toks {
			if strings.IndexByte(line[s.a:s.b], '(') < 0 {
				continue
			}
			v := line[s.a:s.b]
			if line[s.a] == '(' && i > 0 {
				v = line[p.toks[i-1].a:s.b]
			}
			if _, _, ok := splitSyncStatus(v); !ok {
				return p.errf(p.num, "%s row: %s", t.kind.what(), badValue(c, v))
			}
			return nil
		}
	}
	return nil
}
