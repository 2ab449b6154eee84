package htmlreport

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
)

// timeline is one SVG: a column per step, a pair of lanes (natural
// primary, natural secondary) per group. A walk with many groups is drawn
// as several timelines of a few groups each, so that each fits a page.
type timeline struct {
	W, H int
	// DisplayW and DisplayH are the size shown: a little larger than the
	// drawing (which the page width caps), so a short walk is not tiny.
	DisplayW, DisplayH int
	Items              []svgItem
}

// svgItem is a rectangle and the text lines on it, optionally a link to
// the step's findings and a tooltip.
type svgItem struct {
	Class string
	Href  string
	Title string
	Rect  *svgRect
	Texts []svgText
}

type svgRect struct{ X, Y, W, H, R int }

type svgText struct {
	X, Y   int
	Class  string
	Anchor string // start, middle, end
	Fit    int    // >0: squeeze the text to this width
	S      string
}

// Geometry, in SVG user units (the SVG scales to the page width).
const (
	tlWidth     = 1080
	tlLabelW    = 150
	tlMaxColW   = 112
	tlHeadH     = 72
	tlLaneH     = 52
	tlPairGap   = 14 // between the two lanes of a group: room for the pair mark
	tlBlockGap  = 12
	tlFootH     = 22
	tlGroupsPer = 3 // groups per timeline: one fits an A4 landscape page
	tlCharEm    = 0.6
	tlCellFont  = 9.5
	tlHeadFont  = 9.5
	tlLabelFont = 10.0
)

// fit returns the width to squeeze s into when it would not fit avail at
// the given font size (0 when it fits); widths are estimated for the
// widest common sans-serif font.
func fit(s string, font float64, avail int) int {
	if float64(utf8.RuneCountInString(s))*tlCharEm*font > float64(avail) {
		return avail
	}
	return 0
}

// lane is one array's view of one group.
type lane struct {
	side  drill.Side
	array string
	group string
}

func timelines(r *drill.Report) []*timeline {
	var out []*timeline
	for start := 0; start < len(r.Groups) || (start == 0 && len(r.Groups) == 0); start += tlGroupsPer {
		end := min(start+tlGroupsPer, len(r.Groups))
		out = append(out, drawTimeline(r, start, end))
		if len(r.Groups) == 0 {
			break
		}
	}
	return out
}

func drawTimeline(r *drill.Report, from, to int) *timeline {
	n := len(r.Steps)
	notWalked := r.Planned - n
	slots := n
	if notWalked > 0 {
		slots++
	}
	colW := tlMaxColW
	if slots > 0 {
		colW = min(tlMaxColW, (tlWidth-tlLabelW)/slots)
	}
	blocks := to - from
	lanesH := blocks*(2*tlLaneH+tlPairGap) + max(blocks-1, 0)*tlBlockGap
	t := &timeline{W: tlLabelW + slots*colW, H: tlHeadH + lanesH + tlFootH}
	t.DisplayW, t.DisplayH = t.W*5/4, t.H*5/4
	colX := func(i int) int { return tlLabelW + i*colW }
	pairName := r.Primary + "+" + r.Secondary
	first := -1
	if f, ok := r.FirstFailure(); ok {
		first = slices.IndexFunc(r.Steps, func(s drill.StepResult) bool { return s.Name == f.Step })
	}

	// Column heads: a badge with the step's number and result, the name.
	for i, s := range r.Steps {
		x := colX(i)
		class, icon := "v-match", "✓"
		switch {
		case !s.Conformant:
			class, icon = "v-mismatch", "✗"
		case !s.Observed:
			class, icon = "v-none", "·"
		}
		href := fmt.Sprintf("#s%d", i+1)
		t.Items = append(t.Items, svgItem{Class: "badge " + class, Href: href, Title: show(s.Name + ": " + s.Title),
			Rect:  &svgRect{X: x + colW/2 - 19, Y: 2, W: 38, H: 17, R: 8},
			Texts: []svgText{{X: x + colW/2, Y: 14, Anchor: "middle", S: fmt.Sprintf("%d %s", i+1, icon)}}})
		var texts []svgText
		for k, line := range wrapName(s.Name, colW-4) {
			texts = append(texts, svgText{X: x + colW/2, Y: 33 + k*11, Anchor: "middle", Class: "stepname", Fit: fit(line, tlHeadFont, colW-4), S: show(line)})
		}
		t.Items = append(t.Items, svgItem{Href: href, Texts: texts})
	}
	if notWalked > 0 {
		x := colX(n)
		t.Items = append(t.Items, svgItem{Class: "v-down notwalked", Rect: &svgRect{X: x + 3, Y: tlHeadH, W: colW - 6, H: lanesH, R: 3},
			Texts: []svgText{
				{X: x + colW/2, Y: tlHeadH + lanesH/2 - 6, Anchor: "middle", S: "not walked"},
				{X: x + colW/2, Y: tlHeadH + lanesH/2 + 7, Anchor: "middle", S: plural(notWalked, "step")},
			}})
	}

	// Lanes: the group's two arrays, with the pair mark between them.
	y := tlHeadH
	for gi := from; gi < to; gi++ {
		lanes := []lane{{drill.Primary, r.Primary, r.Groups[gi]}}
		if gi < len(r.SecondaryGroups) {
			lanes = append(lanes, lane{drill.Secondary, r.Secondary, r.SecondaryGroups[gi]})
		}
		top := y
		for li, l := range lanes {
			ly := top + li*(tlLaneH+tlPairGap)
			side := "natural primary"
			if l.side == drill.Secondary {
				side = "natural secondary"
			}
			t.Items = append(t.Items, svgItem{Title: show(l.array + ", group " + l.group + " (" + side + ")"), Texts: []svgText{
				{X: 4, Y: ly + 17, Class: "lanearray", Fit: fit(l.array, tlLabelFont, tlLabelW-8), S: show(l.array)},
				{X: 4, Y: ly + 30, Class: "lanegroup", Fit: fit(l.group, tlCellFont, tlLabelW-8), S: show(l.group)},
				{X: 4, Y: ly + 42, Class: "laneside", S: side},
			}})
			for i, s := range r.Steps {
				t.Items = append(t.Items, cell(s, i, l, colX(i), ly, colW, r.Strict))
			}
		}
		if len(lanes) == 2 {
			key := r.Groups[gi] + "+" + r.SecondaryGroups[gi]
			for i, s := range r.Steps {
				for _, f := range s.Findings {
					if f.Array != pairName || f.Group != key || f.Volume != conformance.PairVolume || f.Verdict == conformance.Match {
						continue
					}
					l := look(f.Verdict)
					x := colX(i)
					mid := top + tlLaneH + tlPairGap/2
					t.Items = append(t.Items,
						svgItem{Class: "pairmark " + l.class, Href: fmt.Sprintf("#s%d", i+1), Title: show(f.Reason),
							Rect: &svgRect{X: x + 1, Y: top - 2, W: colW - 2, H: 2*tlLaneH + tlPairGap + 4, R: 4}},
						svgItem{Class: "pairbadge " + l.class, Href: fmt.Sprintf("#s%d", i+1), Title: show(f.Reason),
							Rect:  &svgRect{X: x + colW/2 - 22, Y: mid - 6, W: 44, H: 12, R: 6},
							Texts: []svgText{{X: x + colW/2, Y: mid + 3, Anchor: "middle", S: l.icon + " pair"}}})
					break
				}
			}
		}
		y = top + 2*tlLaneH + tlPairGap + tlBlockGap
	}

	// Foot: where the first failure is, where the walk stopped.
	foot := tlHeadH + lanesH + 15
	if first >= 0 {
		x := colX(first) + colW/2
		t.Items = append(t.Items, svgItem{Class: "footmark", Texts: []svgText{{X: x, Y: foot, Anchor: "middle", S: "▲ first failure"}}})
	}
	if r.Stopped != "" && n > 0 {
		x := colX(n)
		t.Items = append(t.Items, svgItem{Class: "stopline", Title: show("The walk " + r.Stopped),
			Rect:  &svgRect{X: x - 1, Y: tlHeadH - 4, W: 2, H: lanesH + 8},
			Texts: []svgText{{X: x + 4, Y: foot, Anchor: "start", S: "walk stopped"}}})
	}
	return t
}

// cell draws lane l at step i: role, sync status, rows, coloured by the
// worst verdict of the lane's findings.
func cell(s drill.StepResult, i int, l lane, x, y, colW int, strict bool) svgItem {
	it := svgItem{Href: fmt.Sprintf("#s%d", i+1), Rect: &svgRect{X: x + 3, Y: y, W: colW - 6, H: tlLaneH, R: 3}}
	cx, avail := x+colW/2, colW-10
	lines := func(ss ...string) {
		for k, s := range ss {
			if s == "" {
				continue
			}
			class := ""
			if k == 0 {
				class = "role"
			}
			it.Texts = append(it.Texts, svgText{X: cx, Y: y + 13 + k*12, Anchor: "middle", Class: class, Fit: fit(s, tlCellFont, avail), S: show(s)})
		}
	}
	var fs []conformance.Finding
	for _, f := range s.Findings {
		if f.Array != l.array {
			continue
		}
		switch {
		case f.Volume == "(array)":
			it.Class, it.Title = "v-mismatch fails", show(f.Reason)
			lines("unreadable", "", "✗")
			return it
		case f.Volume == "(group)" && f.Group == l.group:
			it.Class, it.Title = "v-mismatch fails", show(f.Reason)
			lines("group missing", "", "✗")
			return it
		case f.Group == l.group && f.Volume != conformance.PairVolume && !slices.Contains(pseudoVolumes, f.Volume):
			fs = append(fs, f)
		}
	}
	where := fmt.Sprintf("%s %s at step %d %s: ", l.array, l.group, i+1, s.Name)
	switch {
	case !s.Observes(l.side):
		it.Class, it.Title = "v-down", show(where+"not read (down or cut off, as the step intends)")
		lines("down", "not read")
		return it
	case !s.Observed && len(fs) == 0:
		it.Class, it.Title = "v-none", show(where+s.Note)
		lines("not", "observed")
		return it
	case len(fs) == 0:
		it.Class, it.Title = "v-down", show(where+"no finding")
		lines("—")
		return it
	}
	worst := fs[0]
	var roles, ids []string
	syncs := map[string]int{}
	var syncOrder []string
	failed := 0
	for _, f := range fs {
		if rank(f.Verdict) < rank(worst.Verdict) {
			worst = f
		}
		if f.Verdict.Fails(strict) {
			failed++
		}
		if !slices.Contains(roles, f.Role) {
			roles = append(roles, f.Role)
		}
		if syncs[f.SyncStatus] == 0 {
			syncOrder = append(syncOrder, f.SyncStatus)
		}
		syncs[f.SyncStatus]++
	}
	// The rows the lane's worst verdict is about: those matched, or those
	// that applied (for a mismatch: what the step wanted).
	for _, f := range fs {
		if f.Verdict != worst.Verdict {
			continue
		}
		add := f.Rows()
		if f.Verdict == conformance.Match {
			add = []string{f.Matched}
		}
		for _, id := range add {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	lk := look(worst.Verdict)
	it.Class = lk.class
	if worst.Verdict.Fails(strict) {
		it.Class += " fails"
	}
	sync := strings.Join(syncOrder, "/")
	if len(syncOrder) > 1 {
		var parts []string
		for _, st := range syncOrder {
			parts = append(parts, fmt.Sprintf("%s %d", st, syncs[st]))
		}
		sync = strings.Join(parts, ", ")
	}
	rowsText := lk.icon + " " + strings.Join(ids, " ")
	if len(ids) == 0 {
		rowsText = lk.icon + " no row"
	}
	count := ""
	if failed > 0 && failed < len(fs) {
		count = fmt.Sprintf("%d of %d fail", failed, len(fs))
	}
	lines(strings.Join(roles, "/"), sync, rowsText, count)
	it.Title = show(fmt.Sprintf("%s%s; %s; %s", where, plural(len(fs), "volume"), lk.label, worst.Reason))
	return it
}

// wrapName breaks a step name after hyphens into at most three lines that
// fit width (the last line takes the rest).
func wrapName(name string, width int) []string {
	maxChars := max(int(float64(width)/(tlCharEm*tlHeadFont)), 4)
	var parts []string
	rest := name
	for rest != "" {
		i := strings.IndexByte(rest, '-')
		if i < 0 {
			parts = append(parts, rest)
			break
		}
		parts = append(parts, rest[:i+1])
		rest = rest[i+1:]
	}
	var lines []string
	cur := ""
	for _, p := range parts {
		if cur != "" && utf8.RuneCountInString(cur+p) > maxChars && len(lines) < 2 {
			lines = append(lines, cur)
			cur = ""
		}
		cur += p
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return lines
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
