package collector

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
)

// emit sends the metrics of one probe. It never sends two series with the
// same labels: every labelled family goes through a seen-set, because a
// malformed or unusual output (a group listed once per target) must not
// break the whole /probe answer.
func emit(ch chan<- prometheus.Metric, res probeResult, opts Options, took time.Duration) {
	series := newSeriesMaker()
	emitTo(func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- series.gauge(d, v, labels)
	}, res, opts, took)
}

// emitTo makes the series of one probe with gauge (see emit).
func emitTo(gauge func(d *prometheus.Desc, v float64, labels ...string), res probeResult, opts Options, took time.Duration) {
	gauge(descs.up, boolValue(res.stage == ""))
	gauge(descs.duration, took.Seconds())
	for _, s := range Stages {
		gauge(descs.scrapeError, boolValue(s == res.stage), s)
	}
	if res.out == nil {
		return
	}
	e := emitter{gauge: gauge, opts: opts, seen: map[seriesKey]struct{}{}, times: map[string]timeValue{}}
	e.array(res.out)
	e.groups(res.out, res)
}

type emitter struct {
	gauge func(d *prometheus.Desc, v float64, labels ...string)
	opts  Options
	seen  map[seriesKey]struct{}
	times map[string]timeValue // LastSyncTime text -> converted, per probe
}

type timeValue struct {
	ts float64
	ok bool
}

// seriesKey identifies one series of a probe for the duplicate check.
type seriesKey struct {
	desc   *prometheus.Desc
	labels string // label values joined with \x00
}

// once reports whether the series (desc, labels) has not been sent yet in
// this probe, and marks it sent.
func (e *emitter) once(d *prometheus.Desc, labels ...string) bool {
	k := seriesKey{d, strings.Join(labels, "\x00")}
	if _, dup := e.seen[k]; dup {
		return false
	}
	e.seen[k] = struct{}{}
	return true
}

// send sends a series unless this probe already sent it.
func (e *emitter) send(d *prometheus.Desc, v float64, labels ...string) {
	if e.once(d, labels...) {
		e.gauge(d, v, labels...)
	}
}

// stateSet sends one series per known word and one for the current word if
// it is not among them; the current word's series is 1. send is e.send
// (checked for duplicates) or e.gauge (series known to be new).
func stateSet(send func(*prometheus.Desc, float64, ...string), d *prometheus.Desc, known []string, current string, labels ...string) {
	n := len(labels)
	lv := append(labels[:n:n], "")
	for _, w := range known {
		lv[n] = w
		send(d, boolValue(w == current), lv...)
	}
	if !slices.Contains(known, current) {
		lv[n] = current
		send(d, 1, lv...)
	}
}

func (e *emitter) array(out *parser.Output) {
	if out.HasSection("system") {
		e.send(descs.systemStarted, boolValue(out.System.Status == "Started"))
	}
	for _, t := range out.Targets {
		e.send(descs.targetReady, boolValue(t.Status == "ready"), t.Name)
	}
	for _, l := range out.Links {
		e.send(descs.linkUp, boolValue(l.Status == "Up"), l.Target, l.Node, l.Address)
	}
}

func (e *emitter) groups(out *parser.Output, res probeResult) {
	var observed map[string][]cim.RemoteCopyVolume
	if res.cimRead {
		observed = make(map[string][]cim.RemoteCopyVolume, len(res.cim))
		for _, v := range res.cim {
			if v.Volume == "" {
				// Not exported (no group or volume to name it by).
				e.opts.Logger.Debug("CIM synchronization without a local volume", "target", e.opts.Target,
					"device_id", v.DeviceID, "peer_device_id", v.PeerDeviceID, "note", v.Note)
				continue
			}
			observed[v.Volume] = append(observed[v.Volume], v)
		}
	}
	volumeListing := volumeListings(out.Groups)

	for i := range out.Groups {
		g := &out.Groups[i]
		natural := parser.NaturalGroup(g.Name)
		e.send(descs.groupInfo, 1, g.Name, natural, g.Target, g.Mode, optionsLabel(g.Options))
		stateSet(e.send, descs.groupStatus, groupStatuses, g.Status, g.Name, g.Target)
		stateSet(e.send, descs.groupRole, groupRoles, g.Role, g.Name, natural, g.Target)
		if g.PeriodSeconds != nil {
			e.send(descs.groupPeriod, float64(*g.PeriodSeconds), g.Name, natural, g.Target)
		}
		if volumeListing[g.Name] != i {
			continue
		}
		obs := expected.Observation{Role: g.Role, TargetStatus: conformance.TargetStatus(out, g.Target), GroupStatus: g.Status}
		for j := range g.Volumes {
			v := &g.Volumes[j]
			obs.SyncStatus = v.SyncStatus
			e.volume(g.Name, v, obs, observed, res.cimRead)
		}
	}
}

func (e *emitter) volume(group string, v *parser.Volume, obs expected.Observation,
	observed map[string][]cim.RemoteCopyVolume, cimRead bool) {
	name := v.LocalVV
	if !e.once(descs.volumeInTable, group, name) {
		return // the same volume twice in one listing: keep the first
	}
	// (group, volume) is new, so every series below is too: no further
	// duplicate checks on this hot path (2400 volumes on a big array).
	gauge := e.gauge
	stateSet(gauge, descs.volumeSyncStatus, volumeStatuses, v.SyncStatus, group, name)
	if v.LastSyncTime != nil {
		if ts, ok := e.lastSync(*v.LastSyncTime); ok {
			gauge(descs.volumeLastSync, ts, group, name)
		}
	}
	rows := e.opts.Table.Match(obs, e.opts.Strict)
	gauge(descs.volumeInTable, boolValue(len(rows) > 0), group, name)
	for _, r := range rows { // distinct row ids: distinct series
		t := r.Triple
		gauge(descs.volumeExpectedInfo, 1, group, name,
			t.CopyState.String(), t.SyncState.String(), t.ProgressStatus.String(),
			strconv.FormatBool(t.RoleReversed), r.ID)
	}
	if !cimRead {
		return
	}
	seen, conforms := pickObservation(observed[name], rows)
	if seen == nil || len(rows) > 0 {
		// As conformance judges: a replicated volume CIM does not report
		// is a fault whatever its state; an observed one whose state no
		// row covers has nothing to conform to (volume_state_in_table 0
		// says so).
		gauge(descs.cimConformant, boolValue(conforms), group, name)
	}
	if seen == nil {
		return
	}
	if !seen.CopyStateNull {
		gauge(descs.cimCopyState, float64(seen.CopyState), group, name)
	}
	if !seen.SyncStateNull {
		gauge(descs.cimSyncState, float64(seen.SyncState), group, name)
	}
	if !seen.ProgressStatusNull {
		gauge(descs.cimProgressStatus, float64(seen.ProgressStatus), group, name)
	}
	if !seen.RoleReversedNull {
		gauge(descs.cimRoleReversed, boolValue(seen.RoleReversed), group, name)
	}
}

// pickObservation chooses, among the CIM instances of one volume (usually
// one; one per peer for Synchronous Long Distance), the one that conforms to
// some row, else the first. It reports whether the chosen one conforms.
func pickObservation(vols []cim.RemoteCopyVolume, rows []expected.Row) (*cim.RemoteCopyVolume, bool) {
	if len(vols) == 0 {
		return nil, false
	}
	for i := range vols {
		if t, ok := tripleOf(&vols[i]); ok {
			if _, match := expected.Conforms(rows, t); match {
				return &vols[i], true
			}
		}
	}
	return &vols[0], false
}

// tripleOf is the observed triple; a NULL state cannot conform.
func tripleOf(v *cim.RemoteCopyVolume) (expected.Triple, bool) {
	if v.CopyStateNull || v.SyncStateNull || v.ProgressStatusNull || v.RoleReversedNull {
		return expected.Triple{}, false
	}
	return expected.Triple{
		CopyState:      expected.CopyState(v.CopyState),
		SyncState:      expected.SyncState(v.SyncState),
		ProgressStatus: expected.ProgressStatus(v.ProgressStatus),
		RoleReversed:   v.RoleReversed,
	}, true
}

// volumeListings picks, for every group name, the index of the listing whose
// volumes give the volume series: a group replicated to two targets
// (Synchronous Long Distance) is listed twice with the same volumes, and the
// volume series carry no target label. The first listing that is not the
// Backup one wins.
func volumeListings(groups []parser.Group) map[string]int {
	pick := make(map[string]int, len(groups))
	for i := range groups {
		g := &groups[i]
		prev, ok := pick[g.Name]
		if !ok || (groups[prev].Status == "Backup" && g.Status != "Backup") {
			pick[g.Name] = i
		}
	}
	return pick
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

func (e *emitter) lastSync(text string) (float64, bool) {
	if tv, ok := e.times[text]; ok {
		return tv.ts, tv.ok
	}
	t, ok := ParseLastSync(text, e.opts.Location)
	tv := timeValue{ok: ok}
	if ok {
		tv.ts = float64(t.UnixNano()) / 1e9
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
