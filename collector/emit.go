package collector

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// emitter sends the series of one probe, rendered from the judgement's
// listings and findings; it decides nothing about conformance itself.
type emitter struct {
	ch    chan<- prometheus.Metric
	opts  Options
	times map[string]timeValue // LastSyncTime text -> converted, per probe
}

type timeValue struct {
	ts float64
	ok bool
}

// gauge sends one series of f: shared holds the pairs of f's first labels
// (see extend), more the values of the rest.
func (e *emitter) gauge(f *family, v float64, shared []*dto.LabelPair, more ...string) {
	e.ch <- newSample(f, v, shared, more...)
}

// stateSet sends one series per known word and one for the current word if
// it is not among them; the current word's series is 1.
func (e *emitter) stateSet(f *family, known []string, current string, shared []*dto.LabelPair) {
	for _, w := range known {
		e.gauge(f, boolValue(w == current), shared, w)
	}
	if !slices.Contains(known, current) {
		e.gauge(f, 1, shared, current)
	}
}

func (e *emitter) array(out *parser.Output) {
	e.gauge(descs.parseSkipped, float64(out.SkippedRows()), nil)
	if out.HasSection("system") {
		e.gauge(descs.systemStarted, boolValue(out.System.Status == "Started"), nil)
	}
	seen := map[string]bool{}
	for _, t := range out.Targets {
		if !seen[t.Name] {
			seen[t.Name] = true
			e.gauge(descs.targetReady, boolValue(t.Status == "ready"), nil, t.Name)
		}
	}
	seenLink := map[[3]string]bool{}
	for _, l := range out.Links {
		k := [3]string{l.Target, l.Node, l.Address}
		if seenLink[k] {
			continue
		}
		seenLink[k] = true
		direction := "send"
		if l.Target == "receive" {
			direction = "receive"
		}
		e.gauge(descs.linkUp, boolValue(l.Status == "Up"), nil, l.Target, l.Node, l.Address, direction)
	}
}

func (e *emitter) listings(ls []conformance.Listing, cimRead bool) {
	// In the order the registry sorts series into (by group, then target,
	// then volume), which makes its sort cheap for a big array.
	ls = slices.Clone(ls)
	slices.SortStableFunc(ls, func(a, b conformance.Listing) int {
		return cmp.Or(strings.Compare(a.Group.Name, b.Group.Name), strings.Compare(a.Group.Target, b.Group.Target))
	})
	for _, l := range ls {
		g := l.Group
		gl := extend(descs.groupInfo, nil, g.Name, parser.NaturalGroup(g.Name), g.Target)
		e.gauge(descs.groupInfo, 1, gl, g.Mode, optionsLabel(g.Options))
		e.stateSet(descs.groupStatus, groupStatuses, g.Status, gl)
		e.stateSet(descs.groupRole, groupRoles, g.Role, gl)
		if g.PeriodSeconds != nil {
			e.gauge(descs.groupPeriod, float64(*g.PeriodSeconds), gl)
		}
		counts := map[string]int{}
		var order []string // unknown words, in the order met
		notInTable, nonconformant := 0, 0
		oldest, synced := 0.0, false
		for _, f := range l.Findings {
			if ts, ok := e.lastSyncOf(&f); ok && (!synced || ts < oldest) {
				oldest, synced = ts, true
			}
			if counts[f.SyncStatus] == 0 && !slices.Contains(volumeStatuses, f.SyncStatus) {
				order = append(order, f.SyncStatus)
			}
			counts[f.SyncStatus]++
			if len(f.Expected) == 0 {
				notInTable++
			}
			if f.Verdict == conformance.Mismatch {
				nonconformant++
			}
		}
		for _, s := range append(slices.Clip(volumeStatuses), order...) {
			e.gauge(descs.groupVolumes, float64(counts[s]), gl, s)
		}
		e.gauge(descs.groupNotInTable, float64(notInTable), gl)
		if synced {
			e.gauge(descs.groupLastSync, oldest, gl)
		}
		if cimRead {
			e.gauge(descs.groupCIMNonconf, float64(nonconformant), gl)
		}
		if e.opts.GroupsOnly {
			continue
		}
		byName := make([]*conformance.Finding, len(l.Findings))
		for i := range l.Findings {
			byName[i] = &l.Findings[i]
		}
		slices.SortStableFunc(byName, func(a, b *conformance.Finding) int { return strings.Compare(a.Volume, b.Volume) })
		for _, f := range byName {
			e.volume(gl, f)
		}
	}
}

func (e *emitter) volume(gl []*dto.LabelPair, f *conformance.Finding) {
	vl := extend(descs.volumeInTable, gl, f.Volume)
	e.gauge(descs.volumeSyncStatus, 1, vl, f.SyncStatus)
	if ts, ok := e.lastSyncOf(f); ok {
		e.gauge(descs.volumeLastSync, ts, vl)
	}
	if p := f.Printed.SyncPercent; p != nil {
		e.gauge(descs.volumeRatio, *p/100, vl)
	}
	e.gauge(descs.volumeInTable, boolValue(len(f.Expected) > 0), vl)
	// One series per distinct triple: rows that require the same triple
	// (T109-synced and T110-14) share it.
	for i, r := range f.Expected {
		if slices.ContainsFunc(f.Expected[:i], func(p expected.Row) bool { return p.Triple == r.Triple }) {
			continue // sent with the first row of its triple
		}
		ids := r.ID
		for _, o := range f.Expected[i+1:] {
			if o.Triple == r.Triple {
				ids += "," + o.ID
			}
		}
		t := r.Triple
		e.gauge(descs.volumeExpected, 1, vl, t.CopyState.String(), t.SyncState.String(), t.ProgressStatus.String(),
			strconv.FormatBool(t.RoleReversed), ids)
	}
	if o := f.Observed; o != nil {
		c, s, p, r := o.Names()
		e.gauge(descs.volumeCIM, 1, vl, c, s, p, r)
	}
	if f.Verdict == conformance.Match || f.Verdict == conformance.Mismatch {
		e.gauge(descs.volumeCIMConformant, boolValue(f.Verdict == conformance.Match), vl)
	}
}

// optionsLabel joins the group's options with ",", leaving out Last-Sync: it
// changes every period and would make a new group_info series each time.
func optionsLabel(opts []string) string {
	kept := make([]string, 0, len(opts))
	for _, o := range opts {
		if strings.HasPrefix(o, "Last-Sync") {
			continue
		}
		kept = append(kept, o)
	}
	return strings.Join(kept, ",")
}

// lastSyncOf is the volume's LastSyncTime as a Unix time, when printed
// and convertible.
func (e *emitter) lastSyncOf(f *conformance.Finding) (float64, bool) {
	if f.Printed == nil || f.Printed.LastSyncTime == nil {
		return 0, false
	}
	return e.lastSync(*f.Printed.LastSyncTime)
}

func (e *emitter) lastSync(text string) (float64, bool) {
	if tv, ok := e.times[text]; ok {
		return tv.ts, tv.ok
	}
	t, ok := ParseLastSync(text, e.opts.Location)
	tv := timeValue{ok: ok}
	if ok {
		tv.ts = float64(t.UnixNano()) / 1e9
	}
	if e.times == nil {
		e.times = map[string]timeValue{}
	}
	e.times[text] = tv
	return tv.ts, tv.ok
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
