package fakearray

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

// timeLayout is how arrays print times: "2026-10-09 23:39:24 IST".
const timeLayout = "2006-01-02 15:04:05 MST"

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
				Status: targetStatus(!p.link.down && !p.array.down), Options: opts, Policy: "mirror_config"})
		}
	}
	if w.links {
		out.Sections = append(out.Sections, "links")
		for _, p := range a.peers {
			status := "Up"
			if p.link.down || p.array.down {
				status = "Down"
			}
			for port, addr := range p.addrs {
				out.Links = append(out.Links, parser.Link{Target: p.array.cfg.Name, Node: nodePort(port, p.typ),
					Address: addr, Status: status, Options: "-"})
			}
		}
		if len(a.peers) > 0 {
			// Inbound ports; they stay Up while the array runs (as in real captures).
			for port := range 2 {
				out.Links = append(out.Links, parser.Link{Target: "receive", Node: nodePort(port, a.peers[0].typ),
					Address: "receive", Status: "Up", Options: "-"})
			}
		}
	}
	if w.groups {
		out.Sections = append(out.Sections, "groups")
		for _, g := range a.sides {
			v := g.view(a, now)
			if len(w.groupNames) > 0 {
				ok := false
				for _, pat := range w.groupNames {
					if m, _ := path.Match(pat, v.name); m {
						ok = true
					}
				}
				if !ok {
					continue
				}
			}
			out.Groups = append(out.Groups, s.groupRow(a, g, v, w.detail))
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

func (s *Sim) groupRow(a *simArray, g *group, v sideView, detail bool) parser.Group {
	onPrimary := a == g.primary
	mode := "Sync"
	if v.periodic {
		mode = "Periodic"
	}
	pg := parser.Group{Name: v.name, Target: v.target, Status: v.status, Role: v.role, Mode: mode,
		Options: []string{}}
	lastSync := "NA"
	if !v.lastSync.IsZero() {
		lastSync = v.lastSync.In(s.loc).Format(timeLayout)
	}
	if v.periodic {
		// The array holding the primary role prints when the last periodic
		// sync finished; both print the period.
		if !v.lastSync.IsZero() && (v.role == "Primary" || v.role == "Primary-Rev") {
			ls := lastSync
			pg.Options = append(pg.Options, "Last-Sync "+ls)
			pg.LastSync = &ls
		}
		p := time.Duration(g.cfg.Period)
		secs := int64(p / time.Second)
		pg.Options = append(pg.Options, "Period "+formatPeriod(p))
		pg.PeriodSeconds = &secs
	}
	pg.Options = append(pg.Options, g.cfg.Options...)
	if detail {
		id := g.primaryID
		if !onPrimary {
			id = g.secondaryID
		}
		pg.ID = &id
		pg.Extra = map[string]string{"LocalUserCpg": "SSD_r6", "RmUserCpg": "SSD_r6"}
	}
	pg.Volumes = make([]parser.Volume, 0, len(g.cfg.Volumes))
	for _, vc := range g.cfg.Volumes {
		vol := parser.Volume{LocalVV: vc.Name, LocalID: vc.ID, RemoteVV: vc.RemoteName, RemoteID: vc.RemoteID,
			SyncStatus: v.syncStatus}
		if !onPrimary {
			vol.LocalVV, vol.LocalID, vol.RemoteVV, vol.RemoteID = vc.RemoteName, vc.RemoteID, vc.Name, vc.ID
		}
		if lastSync != "NA" {
			ls := lastSync
			vol.LastSyncTime = &ls
		}
		if detail {
			iter := "NA"
			if v.periodic {
				iter = strconv.Itoa(g.primary.cfg.SystemID) + "/1"
			}
			vol.Extra = map[string]string{"Resync_ss": "none", "Sync_ss": "none", "VV_iter": iter,
				"R_iter": "NA", "S_iter": "NA", "LocalSet": g.cfg.Name, "RemoteSet": g.cfg.Name}
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
