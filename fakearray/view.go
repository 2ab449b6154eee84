package fakearray

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

// timeLayout is how arrays print times: "2026-10-09 23:39:24 IST".
const timeLayout = "2006-01-02 15:04:05 MST"

// listing is one array's view of one leg: one group block of showrcopy
// (a group with two targets is listed once per target).
type listing struct {
	e, peer     *end
	l           *leg
	role        string // as printed (state faults change it)
	targetReady bool
	vols        []volView
}

// listingsLocked returns array a's listings in print order: its groups in
// scenario order, each group's legs in order (sync target first).
func (s *Sim) listingsLocked(a *simArray, now time.Time) []listing {
	var out []listing
	for _, mb := range a.members {
		for _, l := range mb.g.legs {
			e := l.endOn(a)
			if e == nil || e.m != mb {
				continue
			}
			ls := listing{e: e, peer: e.peer(), l: l, role: e.role, targetReady: !l.link.failed}
			for i := range l.vols {
				ls.vols = append(ls.vols, s.volViewLocked(l, i, now))
			}
			// State faults change what the array prints, not the pair
			// state nor what its CIM server reports, so that checks see
			// the contradiction.
			natural := mb == mb.g.members[0]
			if natural && ls.role == roleSecondaryRev && a.faults.has(FaultSplitBrain) {
				ls.role = rolePrimary
			}
			if !natural && ls.role == rolePrimaryRev && a.faults.has(FaultNoRoleReversal) {
				ls.role = roleSecondary
			}
			out = append(out, ls)
		}
	}
	return out
}

// cimCase is what the CIM answer for volume i of the listing depends on.
func (ls listing) cimCase(i int) cimCase {
	c := cimCase{role: ls.e.role, sync: ls.vols[i].status, linkUp: ls.targetReady, backup: ls.l.backup()}
	if op := ls.l.op; op != "" && (op != "failover" || ls.l.opEnd == ls.e) {
		c.op = op
	}
	return c
}

// rowLabel names the manual row an answer stands for at this moment, for
// GroupState.Row: of the entry's rows, the one the leg's history picks
// (recover failed: T110-8, restore failed: T110-15/16, restored:
// T110-13/14); "" for the simulator's own choices.
func rowLabel(entry CIMEntry, l *leg) string {
	if entry.Choice || len(entry.Rows) == 0 {
		return ""
	}
	prefer := map[string][]string{
		"recover-failed": {"T110-8", "T110-10"},
		"restore-failed": {"T110-15", "T110-16"},
		"restored":       {"T110-13", "T110-14"},
	}[l.outcome]
	for _, id := range entry.Rows {
		if slices.Contains(prefer, id) {
			return id
		}
	}
	return entry.Rows[0]
}

// phase names where the leg stands, for GroupState.Phase and simctl status.
func (l *leg) phase() string {
	switch {
	case l.op == "failover":
		return "failing-over"
	case l.op != "":
		return l.op + "ing" // recovering, restoring
	case l.backup():
		return "backup"
	case l.ends[0].status == statusNew:
		return "new"
	case l.failedOver && !l.recovered:
		if l.outcome == "recover-failed" {
			return "recover-failed"
		}
		return "failed-over"
	case l.recovered:
		if l.outcome == "restore-failed" {
			return "restore-failed"
		}
		return "recovered"
	case l.outcome == "restored":
		return "restored"
	case reversed(l.ends[0].role) || reversed(l.ends[1].role):
		return "reversed"
	}
	for _, e := range l.ends {
		if e.status == statusStopped && e.stoppedByLink {
			return "interrupted"
		}
	}
	if !l.started() {
		return "stopped"
	}
	for _, v := range l.vols {
		if v.status != syncSynced {
			return "syncing"
		}
	}
	return "synced"
}

// showrcopy sections to print.
type showWhat struct {
	targets, links, groups bool
	groupNames             []string // patterns; empty = all groups
	detail                 bool     // -d
}

// outputLocked builds what `showrcopy` prints on a as a parser model.
// Callers hold s.mu (read).
func (s *Sim) outputLocked(a *simArray, w showWhat) (*parser.Output, error) {
	now := s.clock()
	out := &parser.Output{
		System:   parser.System{Status: "Started", Detail: "Normal"},
		Targets:  []parser.Target{},
		Links:    []parser.Link{},
		Groups:   []parser.Group{},
		Sections: []string{"system"},
	}
	if w.targets {
		out.Sections = append(out.Sections, "targets")
		for _, p := range a.peers {
			opts := "-"
			if p.typ == "FC" {
				opts = p.array.cfg.WWN
			}
			out.Targets = append(out.Targets, parser.Target{Name: p.array.cfg.Name, ID: p.targetID, Type: p.typ,
				Status: targetStatus(!p.link.failed), Options: opts, Policy: "mirror_config"})
		}
	}
	if w.links {
		out.Sections = append(out.Sections, "links")
		var types []string
		for _, p := range a.peers {
			for port, addr := range p.addrs {
				status := "Up"
				if p.link.shownDown[port] {
					status = "Down"
				}
				out.Links = append(out.Links, parser.Link{Target: p.array.cfg.Name, Node: nodePort(port, p.typ),
					Address: addr, Status: status, Options: "-"})
			}
			if !slices.Contains(types, p.typ) {
				types = append(types, p.typ)
			}
		}
		// Inbound ports, per kind of port; they stay Up while the array
		// runs (as in real captures).
		for _, typ := range types {
			for port := range 2 {
				addr := "receive"
				if typ == "FC" {
					addr = fmt.Sprintf("2%d2%d%s", port, port+1, a.cfg.WWN[4:])
				}
				out.Links = append(out.Links, parser.Link{Target: "receive", Node: nodePort(port, typ),
					Address: addr, Status: "Up", Options: "-"})
			}
		}
	}
	if w.groups {
		out.Sections = append(out.Sections, "groups")
		for _, ls := range s.listingsLocked(a, now) {
			if len(w.groupNames) > 0 {
				ok := false
				for _, pat := range w.groupNames {
					if m, _ := path.Match(pat, ls.e.m.name); m {
						ok = true
					}
				}
				if !ok {
					continue
				}
			}
			out.Groups = append(out.Groups, s.groupRow(ls, w.detail))
		}
		if len(w.groupNames) > 0 && len(out.Groups) == 0 {
			return nil, fmt.Errorf("Error: no Remote Copy group matches %s", strings.Join(w.groupNames, " "))
		}
	}
	return out, nil
}

func nodePort(port int, typ string) string {
	if typ == "FC" {
		return strconv.Itoa(port) + ":2:1"
	}
	return strconv.Itoa(port) + ":3:1"
}

func targetStatus(ready bool) string {
	if ready {
		return "ready"
	}
	return "failed"
}

func (s *Sim) formatTime(t time.Time) string {
	if t.IsZero() {
		return "NA"
	}
	return t.In(s.loc).Format(timeLayout)
}

func (s *Sim) groupRow(ls listing, detail bool) parser.Group {
	e, l := ls.e, ls.l
	mode := "Sync"
	if l.periodic {
		mode = "Periodic"
	}
	pg := parser.Group{Name: e.m.name, Target: ls.peer.m.array.cfg.Name, Status: e.status, Role: ls.role, Mode: mode,
		Options: []string{}}
	if l.periodic {
		// The array that sends prints when the group's last periodic sync
		// finished (the oldest of its volumes'); both print the period.
		var last time.Time
		for _, v := range ls.vols {
			if !v.lastSync.IsZero() && (last.IsZero() || v.lastSync.Before(last)) {
				last = v.lastSync
			}
		}
		if !last.IsZero() && isSource(ls.role) {
			ls := s.formatTime(last)
			pg.Options = append(pg.Options, "Last-Sync "+ls)
			pg.LastSync = &ls
		}
		secs := int64(l.period / time.Second)
		pg.Options = append(pg.Options, "Period "+formatPeriod(l.period))
		pg.PeriodSeconds = &secs
	}
	pg.Options = append(pg.Options, l.g.cfg.Options...)
	if detail {
		id := e.m.id
		pg.ID = &id
		pg.Extra = map[string]string{"LocalUserCpg": "SSD_r6", "RmUserCpg": "SSD_r6"}
	}
	pg.Volumes = make([]parser.Volume, 0, len(l.vols))
	for i, vv := range ls.vols {
		local, remote := e.m.vols[i], ls.peer.m.vols[i]
		vol := parser.Volume{LocalVV: local.name, LocalID: local.id, RemoteVV: remote.name, RemoteID: remote.id, SyncStatus: vv.status}
		if vv.percent >= 0 && s.syncPercent && isSource(e.role) {
			// The sending side prints how far the copy is, the receiving
			// side plain Syncing (RCUG 3.1.x sample).
			pct := float64(vv.percent)
			vol.SyncPercent = &pct
		}
		if !vv.lastSync.IsZero() {
			ts := s.formatTime(vv.lastSync)
			vol.LastSyncTime = &ts
		}
		if detail {
			iter := "NA"
			if l.periodic {
				iter = strconv.Itoa(l.g.members[0].array.cfg.SystemID) + "/1"
			}
			vol.Extra = map[string]string{"Resync_ss": "none", "Sync_ss": "none", "VV_iter": iter,
				"R_iter": "NA", "S_iter": "NA", "LocalSet": l.g.cfg.Name, "RemoteSet": l.g.cfg.Name}
		}
		pg.Volumes = append(pg.Volumes, vol)
	}
	return pg
}

// formatPeriod prints a period the way the CLI does: 30s, 5m, 2h, 1d.
func formatPeriod(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// GroupState is one array's view of one group listing (a group with two
// targets has one per target), for tests and the checker to assert
// against.
type GroupState struct {
	Array        string
	Group        string // name on this array
	NaturalGroup string // name on the natural primary
	Target       string
	TargetStatus string // ready, failed
	Status       string // Started, Stopped, Backup, New
	Role         string // as printed (after faults)
	// SyncStatus is the status every volume prints ("" when they differ;
	// VolumeStatuses has each).
	SyncStatus     string
	VolumeStatuses []string
	// Row is the manual's row the simulator's CIM answer for the first
	// volume stands for (T109-synced, T110-5, ...), "" when that answer is
	// the simulator's own choice (a state no table covers).
	Row string
	// CIMRow equals Row (kept for callers that read it).
	CIMRow string
	// CIM is the simulator's CIM answer for the first volume, CIMChoice
	// whether it is the simulator's own choice rather than the manual's.
	CIM       CIMAnswer
	CIMChoice bool
	// Phase names the leg's place in the sequence (synced, failed-over, ...).
	Phase   string
	Volumes []string // local volume names
}

// Groups returns every group listing as the array prints it, in print order.
func (s *Sim) Groups(array string) ([]GroupState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.array(array)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	var out []GroupState
	for _, ls := range s.listingsLocked(a, now) {
		gs := GroupState{Array: a.cfg.Name, Group: ls.e.m.name, NaturalGroup: ls.l.g.cfg.Name, Target: ls.peer.m.array.cfg.Name,
			TargetStatus: targetStatus(ls.targetReady), Status: ls.e.status, Role: ls.role, Phase: ls.l.phase()}
		for i, v := range ls.vols {
			gs.VolumeStatuses = append(gs.VolumeStatuses, v.status)
			gs.Volumes = append(gs.Volumes, ls.e.m.vols[i].name)
		}
		if len(ls.vols) > 0 && !slices.ContainsFunc(gs.VolumeStatuses, func(st string) bool { return st != gs.VolumeStatuses[0] }) {
			gs.SyncStatus = gs.VolumeStatuses[0]
		}
		if len(ls.vols) > 0 {
			if entry, ok := s.cim.answer(ls.cimCase(0)); ok {
				gs.CIM, gs.CIMChoice = entry.CIMAnswer, entry.Choice
				gs.Row = rowLabel(entry, ls.l)
				gs.CIMRow = gs.Row
			}
		}
		out = append(out, gs)
	}
	return out, nil
}

// Group returns a group as the array sees it, by its name on that array or
// its natural name (the first listing: a group with two targets is listed
// once per target, see Groups).
func (s *Sim) Group(array, name string) (GroupState, error) {
	all, err := s.Groups(array)
	if err != nil {
		return GroupState{}, err
	}
	for _, g := range all {
		if g.Group == name || g.NaturalGroup == name {
			return g, nil
		}
	}
	return GroupState{}, fmt.Errorf("array %s has no group %q", array, name)
}

// CIMAnswers returns the running scenario's CIM answers: the manual's
// lines, then the simulator's own choices (cim_outside_tables over the
// built-in ones).
func (s *Sim) CIMAnswers() []CIMEntry {
	return append(append([]CIMEntry(nil), manualAnswers...), s.cim.choices...)
}

// status is the simctl status text.
func (s *Sim) status() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	for _, a := range s.arrays {
		state := "up"
		if a.down {
			state = "down"
		}
		fmt.Fprintf(&b, "array %s %s ssh=%s cim=%s faults=%s\n", a.cfg.Name, state,
			a.ssh.ln.address(), a.cim.ln.address(), strings.Join(a.faults.names(), ","))
	}
	for _, l := range s.links {
		var links []string
		for i := range 2 {
			st := "up"
			switch {
			case l.shownDown[i]:
				st = "down"
			case !l.carries(i):
				st = "lost"
			}
			links = append(links, st)
		}
		fmt.Fprintf(&b, "link %s %s %s target=%s\n", l.a.cfg.Name, l.b.cfg.Name, strings.Join(links, ","), targetStatus(!l.failed))
	}
	var lines []string
	for _, g := range s.groups {
		for _, l := range g.legs {
			lines = append(lines, fmt.Sprintf("group %s %s(%s)->%s(%s) %s\n", g.cfg.Name,
				l.ends[0].m.array.cfg.Name, l.ends[0].role, l.ends[1].m.array.cfg.Name, l.ends[1].role, l.phase()))
		}
	}
	sort.Strings(lines)
	for _, line := range lines {
		b.WriteString(line)
	}
	fmt.Fprintf(&b, "pending %d\n", len(s.events))
	return b.String()
}
