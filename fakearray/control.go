package fakearray

import (
	"fmt"
	"strconv"
	"strings"
)

// controlUsage is simctl's help text.
const controlUsage = `usage:
  simctl array down|up NAME
  simctl link down|up A B [1|2]          (no number: both links)
  simctl fault inject ARRAY FAULT
  simctl fault clear ARRAY [FAULT]       (no FAULT: clear all)
  simctl volume notsynced|stale|synced GROUP VOLUME [TARGET]
  simctl next                            (run the pending transition or timeout due first)
  simctl finish                          (run every pending transition and timeout now)
  simctl status
`

// control runs one simctl command line (the simadmin user's commands).
func (s *Sim) control(line string) (string, int) {
	args := strings.Fields(line)
	if len(args) == 0 || args[0] != "simctl" {
		return "Error: only simctl commands are allowed for " + DefaultAdminUser + "\n" + controlUsage, exitError
	}
	args = args[1:]
	var err error
	switch {
	case len(args) == 1 && args[0] == "status":
		return s.status(), exitOK
	case len(args) == 1 && args[0] == "finish":
		s.FinishTransitions()
	case len(args) == 1 && args[0] == "next":
		if !s.NextTransition() {
			return "nothing pending\n", exitOK
		}
	case len(args) == 3 && args[0] == "array" && args[1] == "down":
		err = s.ArrayDown(args[2])
	case len(args) == 3 && args[0] == "array" && args[1] == "up":
		err = s.ArrayUp(args[2])
	case (len(args) == 4 || len(args) == 5) && args[0] == "link" && (args[1] == "down" || args[1] == "up"):
		n := 0
		if len(args) == 5 {
			if n, err = strconv.Atoi(args[4]); err != nil || n < 1 || n > 2 {
				return "Error: link number: want 1 or 2\n" + controlUsage, exitError
			}
		}
		err = s.CutLinks(args[2], args[3], n, args[1] == "down")
	case len(args) == 4 && args[0] == "fault" && args[1] == "inject":
		err = s.InjectFault(args[2], args[3])
	case (len(args) == 3 || len(args) == 4) && args[0] == "fault" && args[1] == "clear":
		fault := ""
		if len(args) == 4 {
			fault = args[3]
		}
		err = s.ClearFault(args[2], fault)
	case (len(args) == 4 || len(args) == 5) && args[0] == "volume":
		target := ""
		if len(args) == 5 {
			target = args[4]
		}
		status, ok := map[string]string{"notsynced": syncNotSynced, "stale": syncStale, "synced": syncSynced}[args[1]]
		if !ok {
			return "Error: volume status: want notsynced, stale or synced\n" + controlUsage, exitError
		}
		err = s.SetVolumeStatus(args[2], args[3], target, status)
	default:
		return "Error: invalid simctl command\n" + controlUsage, exitError
	}
	if err != nil {
		return fmt.Sprintf("Error: %v\n", err), exitError
	}
	return "OK\n", exitOK
}

// SetVolumeStatus puts a volume of a started group in natural roles into
// a fault status, on every leg of the group (or the leg to the array
// target): NotSynced (its initial full sync failed on a read error;
// replication goes on, syncrcopy fixes it), Stale (its last periodic resync
// failed; the next good resync makes it Synced; periodic legs only), or
// Synced again. group is the natural group name, volume the natural
// primary's volume name.
func (s *Sim) SetVolumeStatus(groupName, volume, target, status string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var g *group
	for _, x := range s.groups {
		if x.cfg.Name == groupName {
			g = x
		}
	}
	if g == nil {
		return fmt.Errorf("no group %q (name it as its natural primary does)", groupName)
	}
	idx := -1
	for i, v := range g.members[0].vols {
		if v.name == volume {
			idx = i
		}
	}
	if idx < 0 {
		return fmt.Errorf("group %s has no volume %q (name it as the natural primary does)", groupName, volume)
	}
	now := s.clock()
	changed := 0
	for _, l := range g.legs {
		if target != "" && l.ends[0].m.array.cfg.Name != target && l.ends[1].m.array.cfg.Name != target {
			continue
		}
		if l.backup() || (status == syncStale && !l.periodic) {
			continue
		}
		if !l.started() || l.op != "" || reversed(l.ends[0].role) || reversed(l.ends[1].role) {
			return fmt.Errorf("group %s: the simulator sets volume statuses only on a started group in its natural roles (Table 109), not %s", groupName, l.phase())
		}
		v := l.vols[idx]
		switch status {
		case syncStale:
			v.lastSync = s.volViewLocked(l, idx, now).lastSync // the last good copy
		case syncSynced:
			v.lastSync = now
		}
		v.status, v.since = status, now
		changed++
	}
	if changed == 0 {
		return fmt.Errorf("group %s has no leg where volume %s can be %s", groupName, volume, status)
	}
	s.log.Info("volume status", "group", groupName, "volume", volume, "status", status)
	return nil
}
