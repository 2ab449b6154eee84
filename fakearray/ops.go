package fakearray

import (
	"fmt"
	"time"
)

// Group operations as the CLI commands issue them on one array, with the
// interlocks the real CLI has (showrcopy-format.md "setrcopygroup"). The
// CLI's literal error texts are not in any source; the simulator's texts
// start with the REST API's descriptions of the same refusals where one
// exists ("Group is not in correct role for this operation", "Remote copy
// group is not stopped", "Group has multiple targets") and say the rest
// in its own words.

// Refusal texts shared with the REST API's descriptions.
const (
	errWrongRole     = "Group is not in correct role for this operation"
	errNotStopped    = "Remote copy group is not stopped"
	errMultiTargets  = "Group has multiple targets"
	errInProgressFmt = "%s of group %s is still in progress"
)

// groupOp is one operation and its options.
type groupOp struct {
	name string // start, stop, sync, failover, recover, restore, reverse, switchover
	// target is -t TARGET: the leg to the named array ("" any).
	target                                       string
	nostart, nosync, waittask, local, stopgroups bool
	natural, current                             bool
	discard                                      bool // accepted, no visible effect
}

// drOps need one leg: a group with two targets needs -t.
var drOps = map[string]bool{"failover": true, "recover": true, "restore": true, "reverse": true, "switchover": true}

// opResult is what an operation leaves to its caller: the task ids it
// started and what to wait for (-waittask).
type opResult struct {
	tasks []int
	wait  []<-chan struct{}
}

// legsFor picks the legs of member mb an operation applies to.
func (s *Sim) legsFor(mb *member, op groupOp) ([]*end, error) {
	var ends []*end
	targets := 0
	for _, l := range mb.g.legs {
		e := l.endOn(mb.array)
		if e == nil || e.m != mb {
			continue
		}
		targets++
		if op.target != "" && e.peer().m.array.cfg.Name != op.target {
			continue
		}
		if l.backup() && op.target == "" {
			continue // the standby leg is operated on only by naming it
		}
		ends = append(ends, e)
	}
	if drOps[op.name] && op.target == "" && targets > 1 {
		return nil, fmt.Errorf("%s: group %s has %d targets; name one with -t <target>", errMultiTargets, mb.name, targets)
	}
	if len(ends) == 0 {
		if op.target != "" {
			return nil, fmt.Errorf("group %s has no target %s", mb.name, op.target)
		}
		return nil, fmt.Errorf("group %s has no active target", mb.name)
	}
	return ends, nil
}

// groupCommand applies one operation to the group an array names name,
// refusing what the array would refuse.
func (s *Sim) groupCommand(a *simArray, op groupOp, name string) (opResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return opResult{}, fmt.Errorf("simulator is shutting down")
	}
	mb := a.byLocal[name]
	if mb == nil {
		return opResult{}, fmt.Errorf("group %s does not exist on this system", name)
	}
	ends, err := s.legsFor(mb, op)
	if err != nil {
		return opResult{}, err
	}
	now := s.clock()
	var res opResult
	for _, e := range ends {
		if err := s.legCommandLocked(e, op, now, &res); err != nil {
			return res, err
		}
	}
	s.log.Info("group command", "array", a.cfg.Name, "op", op.name, "group", name)
	return res, nil
}

// task starts a task id for an operation and remembers what to wait for.
func (s *Sim) task(res *opResult, l *leg) {
	res.tasks = append(res.tasks, s.nextTask)
	s.nextTask++
	if l.next != nil {
		res.wait = append(res.wait, l.next.done)
	}
}

// legCommandLocked applies op to the leg of end e (e on the array where
// the command was issued).
func (s *Sim) legCommandLocked(e *end, op groupOp, now time.Time, res *opResult) error {
	l, p := e.leg, e.peer()
	name, peerName := e.m.name, p.m.array.cfg.Name
	if l.op != "" {
		return fmt.Errorf(errInProgressFmt, l.op, name)
	}
	targetReady := !l.link.failed
	switch op.name {
	case "start":
		switch {
		case !isSource(e.role):
			return fmt.Errorf("%s: group %s is %s on this system; start it on %s", errWrongRole, name, e.role, peerName)
		case e.status == statusStarted:
			return fmt.Errorf("group %s is already started", name)
		case l.failedOver && !l.recovered:
			return fmt.Errorf("group %s is failed over; bring it back with setrcopygroup recover", name)
		case !targetReady:
			return fmt.Errorf("target %s is not ready; cannot start group %s", peerName, name)
		}
		s.startSyncLocked(l, now, op.nosync)
	case "stop":
		switch {
		case !isSource(e.role):
			return fmt.Errorf("%s: group %s is %s on this system; stop it on %s", errWrongRole, name, e.role, peerName)
		case e.status != statusStarted:
			return fmt.Errorf("group %s is already stopped", name)
		}
		s.stopLegLocked(l, now)
	case "sync":
		return s.syncrcopyLocked(e, now)
	case "failover":
		return s.failoverLocked(e, op, now, res)
	case "recover":
		return s.recoverLocked(e, op, now, res)
	case "restore":
		return s.restoreLocked(e, op, now, res)
	case "reverse":
		return s.reverseLocked(e, op, now)
	case "switchover":
		return s.switchoverLocked(e, now)
	default:
		return fmt.Errorf("unknown operation %s", op.name)
	}
	return nil
}

// stopLegLocked stops both ends of l (stoprcopygroup).
func (s *Sim) stopLegLocked(l *leg, now time.Time) {
	for _, e := range l.ends {
		if e.status == statusStarted {
			e.status = statusStopped
		}
		e.stoppedByLink = false
	}
	l.outcome = ""
	s.stopVolumesLocked(l, now)
}

// syncrcopyLocked resyncs a periodic group now (syncrcopy); it also
// copies again volumes whose initial sync failed (NotSynced), in either
// mode.
func (s *Sim) syncrcopyLocked(e *end, now time.Time) error {
	l := e.leg
	notSynced := false
	for _, v := range l.vols {
		notSynced = notSynced || v.status == syncNotSynced
	}
	switch {
	case !isSource(e.role):
		return fmt.Errorf("%s: group %s is %s on this system; sync it on %s", errWrongRole, e.m.name, e.role, e.peer().m.array.cfg.Name)
	case e.status != statusStarted:
		return fmt.Errorf("group %s is not started", e.m.name)
	case !l.periodic && !notSynced:
		return fmt.Errorf("group %s is synchronous and in sync: nothing to resync", e.m.name)
	}
	for _, v := range l.vols {
		if v.status != syncNew {
			v.status, v.since, v.dur = syncSyncing, now, s.delay
		}
	}
	s.cancelLocked(l.next)
	l.next = s.afterLocked(s.delay, func(now time.Time) {
		l.next = nil
		for _, v := range l.vols {
			if v.status == syncSyncing {
				v.status, v.since, v.lastSync = syncSynced, now, now
			}
		}
	})
	return nil
}

// failoverLocked: setrcopygroup failover on the secondary. The role
// becomes Primary-Rev (from Secondary-Rev: Primary), the group Stopped,
// and after the transition delay the failover is done. Allowed while the
// target is failed (the primary or the links are lost) or, planned, after
// the group was stopped on the primary with the target ready; then the
// primary learns at once and shows Secondary-Rev. A primary that is cut
// off learns when it is reachable again (reconnectedLocked).
func (s *Sim) failoverLocked(e *end, op groupOp, now time.Time, res *opResult) error {
	l, p := e.leg, e.peer()
	targetReady := !l.link.failed
	switch {
	case isSource(e.role):
		return fmt.Errorf("%s: group %s is %s on this system; failover is issued where the group is Secondary", errWrongRole, e.m.name, e.role)
	case l.backup():
		return fmt.Errorf("%s: group %s is a standby (Backup) leg", errWrongRole, e.m.name)
	case e.status == statusNew:
		return fmt.Errorf("group %s has never been started", e.m.name)
	case targetReady && (p.status == statusStarted || e.status == statusStarted):
		return fmt.Errorf("%s: target %s is ready and group %s is started; stop it on %s first (stoprcopygroup), then fail over", errNotStopped, p.m.array.cfg.Name, e.m.name, p.m.array.cfg.Name)
	}
	if e.status == statusStarted {
		e.status = statusStopped
	}
	e.role = flipCurrent(e.role)
	e.stoppedByLink = false
	if targetReady {
		p.role = flipCurrent(p.role)
		p.status = statusStopped
		p.stoppedByLink = false
	} else {
		l.learn = p
	}
	if l.started() {
		s.stopVolumesLocked(l, now)
	}
	l.failedOver, l.recovered, l.outcome = true, false, ""
	l.op, l.opEnd = "failover", e
	l.next = s.afterLocked(s.delay, func(time.Time) {
		l.next = nil
		l.op, l.opEnd = "", nil
	})
	s.task(res, l)
	return nil
}

// recoverLocked: setrcopygroup recover where the group is Primary-Rev (or
// Primary after a failover from Secondary-Rev). The old primary becomes
// Secondary-Rev, both start and resync (Syncing, then Synced): T110-5 and
// T110-6, then T110-7 and T110-9. It fails (T110-8 and T110-10: the
// group stops and the link is lost) when the links go, or under the
// recover-fails fault, which cuts the links between the pair.
func (s *Sim) recoverLocked(e *end, op groupOp, now time.Time, res *opResult) error {
	l, p := e.leg, e.peer()
	switch {
	case !isSource(e.role):
		return fmt.Errorf("%s: recover is issued on the system where group %s is %s (%s)", errWrongRole, e.m.name, complement(e.role), p.m.array.cfg.Name)
	case !l.failedOver:
		return fmt.Errorf("group %s has not been failed over; nothing to recover", e.m.name)
	case l.recovered:
		return fmt.Errorf("group %s is already recovered; run setrcopygroup restore", e.m.name)
	case l.link.failed:
		return fmt.Errorf("target %s is not ready; recover needs the primary system back", p.m.array.cfg.Name)
	}
	p.role = complement(e.role)
	l.learn = nil
	s.sldRecoverLocked(l, now)
	if op.nostart {
		for _, x := range l.ends {
			x.status, x.stoppedByLink = statusStopped, false
		}
		l.recovered = true
		return nil
	}
	s.startSyncLocked(l, now, op.nosync)
	if op.nosync {
		l.recovered = true
		return nil
	}
	l.op, l.opEnd = "recover", e
	s.cancelLocked(l.next)
	l.next = s.afterLocked(s.delay, func(now time.Time) {
		l.next = nil
		l.op, l.opEnd = "", nil
		if s.faultOnLeg(l, FaultRecoverFails) || !l.link.connected() {
			s.recoverFailedLocked(l, now)
			return
		}
		s.volumesSyncedLocked(l, now)
		l.recovered = true
	})
	s.task(res, l)
	return nil
}

// recoverFailedLocked ends a recover that failed: the group stops on both
// arrays, roles stay reversed; under the recover-fails fault the links
// between the pair are cut (they come back when the fault is cleared), so
// the target fails after the timeouts and the arrays show the FailedOver
// rows (T110-8, T110-10).
func (s *Sim) recoverFailedLocked(l *leg, now time.Time) {
	l.outcome = "recover-failed"
	for _, e := range l.ends {
		e.status, e.stoppedByLink = statusStopped, true
	}
	s.stopVolumesLocked(l, now)
	if s.faultOnLeg(l, FaultRecoverFails) && !l.link.faultCut {
		l.link.faultCut = true
		s.reassessLocked(l.link)
	}
}

// restoreLocked: setrcopygroup restore where the group is Primary-Rev after
// a recover: Failing back (T110-11, T110-12), then the natural roles,
// Synced (T110-13, T110-14); under restore-fails (or when the links go) it
// ends with the roles still reversed (T110-15, T110-16).
func (s *Sim) restoreLocked(e *end, op groupOp, now time.Time, res *opResult) error {
	l, p := e.leg, e.peer()
	switch {
	case !isSource(e.role) || !reversed(e.role):
		return fmt.Errorf("%s: restore is issued on the system where group %s is Primary-Rev (%s)", errWrongRole, e.m.name, p.m.array.cfg.Name)
	case !l.recovered:
		return fmt.Errorf("group %s is not recovered; run setrcopygroup recover first", e.m.name)
	case l.link.failed:
		return fmt.Errorf("target %s is not ready", p.m.array.cfg.Name)
	}
	l.op, l.opEnd = "restore", e
	l.outcome = ""
	s.cancelLocked(l.next)
	l.next = s.afterLocked(s.delay, func(now time.Time) {
		l.next = nil
		l.op, l.opEnd = "", nil
		if s.faultOnLeg(l, FaultRestoreFails) || !l.link.connected() {
			l.outcome = "restore-failed"
			return
		}
		for _, x := range l.ends {
			x.role = flipCurrent(x.role)
		}
		l.failedOver, l.recovered, l.outcome = false, false, "restored"
		s.sldRestoreLocked(l, now)
		if op.nostart {
			s.stopLegLocked(l, now)
		}
	})
	s.task(res, l)
	return nil
}

// reverseLocked: setrcopygroup reverse. -natural changes only the natural
// direction (Primary <-> Primary-Rev, Secondary <-> Secondary-Rev; data
// keeps flowing, no stop needed); -current only the current one (Primary
// -> Secondary-Rev, Secondary -> Primary-Rev; the data flow reverses, the
// group must be stopped); neither: both (the simulator's reading of "the
// natural and current direction"; the group must be stopped). -local
// changes this array only; -stopgroups stops the group first.
func (s *Sim) reverseLocked(e *end, op groupOp, now time.Time) error {
	l, p := e.leg, e.peer()
	switch {
	case op.natural && op.current:
		return fmt.Errorf("setrcopygroup reverse takes -natural or -current, not both")
	case l.backup():
		return fmt.Errorf("%s: group %s is a standby (Backup) leg", errWrongRole, e.m.name)
	case e.status == statusNew:
		return fmt.Errorf("group %s has never been started", e.m.name)
	case !op.local && l.link.failed:
		return fmt.Errorf("target %s is not ready; reverse this array only with -local", p.m.array.cfg.Name)
	}
	ends := []*end{e}
	if !op.local {
		ends = append(ends, p)
	}
	if !op.natural {
		for _, x := range ends {
			if x.status == statusStarted && !op.stopgroups {
				return fmt.Errorf("%s: group %s is started; stop it first or use -stopgroups", errNotStopped, e.m.name)
			}
		}
		if op.stopgroups && l.started() {
			s.stopLegLocked(l, now)
		}
	}
	for _, x := range ends {
		switch {
		case op.natural:
			x.role = flipNatural(x.role)
		case op.current:
			x.role = flipCurrent(x.role)
		default:
			x.role = flipNatural(flipCurrent(x.role))
		}
	}
	if !reversed(l.ends[0].role) && !reversed(l.ends[1].role) {
		l.failedOver, l.recovered = false, false
	}
	l.outcome = ""
	return nil
}

// switchoverLocked: setrcopygroup switchover (Peer Persistence) on the
// array that sends: both arrays swap the current direction (Primary ->
// Secondary-Rev, Secondary -> Primary-Rev) and the group goes on started
// and synced, without a stop.
func (s *Sim) switchoverLocked(e *end, now time.Time) error {
	l, p := e.leg, e.peer()
	switch {
	case !isSource(e.role):
		return fmt.Errorf("%s: switchover is issued on the system that sends (%s)", errWrongRole, p.m.array.cfg.Name)
	case l.periodic:
		return fmt.Errorf("group %s is periodic: switchover is for synchronous (Peer Persistence) groups", e.m.name)
	case l.link.failed:
		return fmt.Errorf("target %s is not ready", p.m.array.cfg.Name)
	case e.status != statusStarted || p.status != statusStarted:
		return fmt.Errorf("group %s is not started: switchover needs a started, synced group", e.m.name)
	}
	for i := range l.vols {
		if st := s.volViewLocked(l, i, now).status; st != syncSynced {
			return fmt.Errorf("group %s has volumes %s: switchover needs every volume Synced", e.m.name, st)
		}
	}
	e.role, p.role = flipCurrent(e.role), flipCurrent(p.role)
	l.outcome = ""
	return nil
}

// faultOnLeg reports whether either array of l has fault f.
func (s *Sim) faultOnLeg(l *leg, f string) bool {
	return l.ends[0].m.array.faults.has(f) || l.ends[1].m.array.faults.has(f)
}

// Synchronous Long Distance after a failover to the sync secondary B
// (showrcopy-format.md: after recover on B, B replicates sync to A and
// periodic to C over the backup leg; after restore A is primary again and
// the backup leg is inactive). Which leg stands by meanwhile is not
// documented; the simulator's choice: the standby is always the leg
// between the two arrays that do not send, Backup with both ends
// Secondary (as the manual describes the standby).

// sldRecoverLocked: at recover on the sync leg, the other legs follow the
// new source: the leg from it to the third array starts (Primary-Rev to
// Secondary-Rev, resyncing), the leg between the other two stands by.
func (s *Sim) sldRecoverLocked(l *leg, now time.Time) {
	src := l.source()
	if src == nil || len(l.g.legs) < 3 {
		return
	}
	for _, other := range l.g.legs {
		if other == l {
			continue
		}
		if e := other.endOn(src.m.array); e != nil {
			e.role = src.role
			e.peer().role = complement(src.role)
			if !other.link.failed {
				s.startSyncLocked(other, now, false)
			} else {
				other.ends[0].status, other.ends[1].status = statusStopped, statusStopped
			}
			continue
		}
		s.standByLocked(other, now)
	}
}

// sldRestoreLocked: after restore the natural primary sends to both
// secondaries again and the leg between them stands by.
func (s *Sim) sldRestoreLocked(l *leg, now time.Time) {
	src := l.source()
	if src == nil || len(l.g.legs) < 3 {
		return
	}
	for _, other := range l.g.legs {
		if other == l {
			continue
		}
		if e := other.endOn(src.m.array); e != nil {
			e.role, e.peer().role = rolePrimary, roleSecondary
			other.failedOver, other.recovered = false, false
			if !other.link.failed {
				s.startSyncLocked(other, now, false)
			}
			continue
		}
		s.standByLocked(other, now)
	}
}

// standByLocked makes l the Synchronous Long Distance standby leg.
func (s *Sim) standByLocked(l *leg, now time.Time) {
	s.cancelLocked(l.next)
	l.next = nil
	for _, e := range l.ends {
		e.role, e.status, e.stoppedByLink = roleSecondary, statusBackup, false
	}
	l.failedOver, l.recovered, l.outcome, l.learn = false, false, "", nil
	for _, v := range l.vols {
		v.status, v.since = syncSynced, now
	}
}
