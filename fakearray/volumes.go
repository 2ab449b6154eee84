package fakearray

import "time"

// Volume statuses over time (RCUG 2.3.1 §2.13, showrcopy-format.md "How the
// arrays behave"). A started group resyncs its volumes together (Syncing,
// then Synced after the transition delay); a group never started copies
// them one after another (simulator's choice: the volumes waiting print
// New, the one being copied Syncing, the copied ones Synced). Periodic
// groups resync every period; while a resync runs (resync_duration) the
// volumes print Syncing and Last-Sync keeps the last completed resync.

// volView is what the arrays print for one volume of a leg at a moment.
type volView struct {
	status   string
	percent  int       // while Syncing: how far the copy is (0-99); -1 otherwise
	lastSync time.Time // zero prints NA
}

// started reports whether the leg replicates (both ends hold it Started
// as far as the arrays that are up know).
func (l *leg) started() bool {
	for _, e := range l.ends {
		if e.status == statusStarted {
			return true
		}
	}
	return false
}

// backup reports whether the leg is a Synchronous Long Distance standby.
func (l *leg) backup() bool { return l.ends[0].status == statusBackup }

// resyncs returns, for a started periodic leg, the start of the last
// completed periodic resync (zero: none yet) and of the one running now
// (zero: none). Resync k starts at cycleStart + k*period and takes
// l.resync.
func (l *leg) resyncs(now time.Time) (completed, running time.Time) {
	if !l.periodic || l.period <= 0 || now.Before(l.cycleStart) {
		return
	}
	k := now.Sub(l.cycleStart) / l.period
	last := l.cycleStart.Add(k * l.period)
	if k >= 1 && now.Sub(last) < l.resync {
		running = last
		k--
		last = l.cycleStart.Add(k * l.period)
	}
	if k >= 1 {
		completed = last
	}
	return
}

// view is volume v of leg l at now.
func (s *Sim) volViewLocked(l *leg, i int, now time.Time) volView {
	v := l.vols[i]
	out := volView{status: v.status, percent: -1, lastSync: v.lastSync}
	if l.backup() {
		// The standby pair prints its volumes Synced as of the group's
		// periodic copy (sample S6); the simulator takes the active
		// periodic leg's time.
		out.status = syncSynced
		if src := l.g.activePeriodic(); src != nil {
			out.lastSync = s.volViewLocked(src, i, now).lastSync
		}
		return out
	}
	switch v.status {
	case syncSyncing:
		out.percent = percent(now.Sub(v.since), v.dur)
	case syncSynced, syncStale:
		if !l.started() {
			break
		}
		completed, running := l.resyncs(now)
		if v.status == syncStale {
			if completed.IsZero() || completed.Before(v.since) {
				break // no good resync since it went stale
			}
			out.status = syncSynced
		}
		if completed.After(out.lastSync) {
			out.lastSync = completed
		}
		if !l.periodic {
			out.lastSync = time.Time{} // synchronous and in sync: NA
		}
		if !running.IsZero() {
			out.status, out.percent = syncSyncing, percent(now.Sub(running), l.resync)
		}
	}
	return out
}

func percent(elapsed, total time.Duration) int {
	if total <= 0 || elapsed <= 0 {
		return 0
	}
	return min(int(elapsed*100/total), 99)
}

// activePeriodic is the group's periodic leg that replicates (not the
// standby), nil when none.
func (g *group) activePeriodic() *leg {
	for _, l := range g.legs {
		if l.periodic && !l.backup() {
			return l
		}
	}
	return nil
}

// stopVolumesLocked prints every volume of l Stopped, with the time it was
// last in sync (synchronous groups: now; periodic ones: the last
// completed resync).
func (s *Sim) stopVolumesLocked(l *leg, now time.Time) {
	s.cancelLocked(l.next)
	l.next = nil
	completed, _ := l.resyncs(now)
	for _, v := range l.vols {
		switch {
		case v.status == syncSynced && !l.periodic:
			v.lastSync = now
		case (v.status == syncSynced || v.status == syncStale && !completed.Before(v.since)) && completed.After(v.lastSync):
			v.lastSync = completed
		}
		v.status, v.since = syncStopped, now
	}
}

// startSyncLocked starts the leg (both ends Started) and resyncs its
// volumes together. Volumes never copied (a group started for the first
// time, or stopped before its initial sync ended) are copied one after
// another: they print New until their turn. nosync marks every volume
// Synced at once (startrcopygroup -nosync).
func (s *Sim) startSyncLocked(l *leg, now time.Time, nosync bool) {
	for _, e := range l.ends {
		e.status = statusStarted
		e.stoppedByLink = false
	}
	l.outcome = ""
	s.cancelLocked(l.next)
	l.next = nil
	if nosync {
		s.volumesSyncedLocked(l, now)
		return
	}
	for _, v := range l.vols {
		switch {
		case v.status == syncNotSynced:
		case v.lastSync.IsZero():
			v.status = syncNew
		default:
			v.status, v.since, v.dur = syncSyncing, now, s.delay
		}
	}
	s.copyNextLocked(l, now)
}

// copyNextLocked starts the copy of the next New volume of l (the
// resyncing ones end with it), or, when none is left, the resync of the
// others; when nothing syncs any more the periodic cycle starts.
func (s *Sim) copyNextLocked(l *leg, now time.Time) {
	var next *volume
	syncing := false
	for _, v := range l.vols {
		if v.status == syncNew && next == nil {
			next = v
		}
		syncing = syncing || v.status == syncSyncing
	}
	if next == nil && !syncing {
		l.cycleStart = now
		return
	}
	if next != nil {
		next.status, next.since, next.dur = syncSyncing, now, s.delay
	}
	l.next = s.afterLocked(s.delay, func(now time.Time) {
		l.next = nil
		for _, v := range l.vols {
			if v.status == syncSyncing {
				v.status, v.since, v.lastSync = syncSynced, now, now
			}
		}
		s.copyNextLocked(l, now)
	})
}

// volumesSyncedLocked ends a resync: every volume Synced (a NotSynced one
// keeps its read error until syncrcopy), periodic resyncs counted from now.
func (s *Sim) volumesSyncedLocked(l *leg, now time.Time) {
	for _, v := range l.vols {
		if v.status == syncNotSynced {
			continue
		}
		v.status, v.since, v.lastSync = syncSynced, now, now
	}
	l.cycleStart = now
}
