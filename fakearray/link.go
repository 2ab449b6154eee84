package fakearray

import (
	"fmt"
	"time"
)

// Link timeouts (Remote Copy User's Guide, showrcopy-format.md "Links and
// targets"): when every link to a target is lost, the sending links are
// marked Down after a heartbeat timeout and the target failed after a
// target timeout, both counted from the loss; the guide gives 10-15 s for
// both on synchronous targets and 25 s / 200 s on periodic ones. The
// simulator takes the ends of the sync range that keep the heartbeat
// first. They are multiplied by the scenario's time_scale.
const (
	syncHeartbeat         = 10 * time.Second
	syncTargetTimeout     = 15 * time.Second
	periodicHeartbeat     = 25 * time.Second
	periodicTargetTimeout = 200 * time.Second
)

// pairLink is the two links between two arrays that are targets of each
// other. With one of them down data takes the other and the target stays
// ready; with both down (or the peer array down: it looks the same) the
// target fails after the timeouts. Both arrays see the same state.
type pairLink struct {
	a, b *simArray
	// sync: the target carries a synchronous leg (sync timeouts).
	sync bool
	// cut are the two physical links (simctl link down A B [1|2]);
	// faultCut is the recover-fails fault cutting both.
	cut      [2]bool
	faultCut bool
	// shownDown are the links the arrays print Down (after the heartbeat
	// timeout); failed is the target failed (after the target timeout).
	shownDown [2]bool
	failed    bool
	heartbeat [2]*event
	timeout   *event
}

// carries reports whether link i can carry data now.
func (l *pairLink) carries(i int) bool {
	return !l.cut[i] && !l.faultCut && !l.a.down && !l.b.down
}

// connected reports whether any link carries data.
func (l *pairLink) connected() bool { return l.carries(0) || l.carries(1) }

func (l *pairLink) other(a *simArray) *simArray {
	if l.a == a {
		return l.b
	}
	return l.a
}

func (l *pairLink) timeouts() (heartbeat, target time.Duration) {
	if l.sync {
		return syncHeartbeat, syncTargetTimeout
	}
	return periodicHeartbeat, periodicTargetTimeout
}

// scaled applies the time scale to a documented duration.
func (s *Sim) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * s.scale)
}

// reassessLocked follows a change of what the links can carry: links that
// carry again show Up at once and the target is ready again at once (the
// simulator's choice: no source gives a delay for recovery); links that
// stopped carrying are marked Down after the heartbeat timeout, and the
// target fails after the target timeout.
func (s *Sim) reassessLocked(l *pairLink) {
	heartbeat, target := l.timeouts()
	for i := range 2 {
		switch {
		case l.carries(i):
			s.cancelLocked(l.heartbeat[i])
			l.heartbeat[i] = nil
			l.shownDown[i] = false
		case !l.shownDown[i] && l.heartbeat[i] == nil:
			l.heartbeat[i] = s.afterLocked(s.scaled(heartbeat), func(time.Time) {
				l.heartbeat[i] = nil
				l.shownDown[i] = true
				s.log.Info("link marked down", "a", l.a.cfg.Name, "b", l.b.cfg.Name, "link", i+1)
			})
		}
	}
	switch {
	case l.connected():
		s.cancelLocked(l.timeout)
		l.timeout = nil
		wasFailed := l.failed
		l.failed = false
		s.reconnectedLocked(l, wasFailed)
	case !l.failed && l.timeout == nil:
		l.timeout = s.afterLocked(s.scaled(target), func(now time.Time) {
			l.timeout = nil
			for i := range 2 {
				s.cancelLocked(l.heartbeat[i])
				l.heartbeat[i] = nil
			}
			l.shownDown = [2]bool{true, true}
			l.failed = true
			s.log.Info("target failed", "a", l.a.cfg.Name, "b", l.b.cfg.Name)
			s.targetFailedLocked(l, now)
		})
	}
}

// legsOn returns the legs that run over l.
func (s *Sim) legsOn(l *pairLink) []*leg {
	var out []*leg
	for _, g := range s.groups {
		for _, lg := range g.legs {
			if lg.link == l {
				out = append(out, lg)
			}
		}
	}
	return out
}

// targetFailedLocked stops what ran over a failed target: every started
// group on an array that is up stops (volumes Stopped, the stop time as
// their last sync); a recover or restore in progress fails. Sync groups
// stop as the guide says; the simulator stops periodic ones too (their
// next resync cannot run). Backup (standby) and never-started groups are
// left as they are. A powered-off array's groups are frozen until it is
// back (see reconnectedLocked).
func (s *Sim) targetFailedLocked(l *pairLink, now time.Time) {
	for _, lg := range s.legsOn(l) {
		stopped := false
		for _, e := range lg.ends {
			if e.m.array.down || e.status != statusStarted {
				continue
			}
			e.status = statusStopped
			e.stoppedByLink = true
			stopped = true
		}
		if !stopped {
			continue
		}
		switch lg.op {
		case "recover":
			lg.outcome = "recover-failed"
		case "restore":
			lg.outcome = "restore-failed"
		}
		if lg.op != "failover" {
			lg.op, lg.opEnd = "", nil
			s.cancelLocked(lg.next)
			lg.next = nil
		}
		s.stopVolumesLocked(lg, now)
	}
}

// reconnectedLocked follows a target that can be reached again: a group
// still started on an array that was powered off stops (its peer stopped
// it); an array that missed a failover learns of it (it shows
// Secondary-Rev, as the tables' T110-4 says; with returning_primary:
// continentalclusters it keeps Primary until recover); groups stopped by
// the link loss restart if they have auto_recover.
func (s *Sim) reconnectedLocked(l *pairLink, wasFailed bool) {
	now := s.clock()
	for _, lg := range s.legsOn(l) {
		for _, e := range lg.ends {
			if e.status == statusStarted && e.peer().status != statusStarted {
				e.status = statusStopped
				e.stoppedByLink = true
			}
		}
		if lg.learn != nil && !s.continentalclusters {
			lg.learn.role = flipCurrent(lg.learn.role)
			lg.learn.status = statusStopped
			lg.learn = nil
		}
	}
	if !wasFailed {
		return
	}
	for _, lg := range s.legsOn(l) {
		if s.autoRecoverable(lg) {
			s.log.Info("auto_recover restarts", "group", lg.g.cfg.Name, "target", lg.link.other(lg.ends[0].m.array).cfg.Name)
			s.startSyncLocked(lg, now, false)
		}
	}
}

// autoRecoverable reports whether auto_recover restarts lg: only a group
// stopped by link loss on both arrays (never by stoprcopygroup or a
// failover), whose roles agree, and no leg of which is failed over and not
// yet recovered.
func (s *Sim) autoRecoverable(lg *leg) bool {
	if !lg.g.hasOption("auto_recover") {
		return false
	}
	for _, e := range lg.ends {
		if e.m.array.down || e.status != statusStopped || !e.stoppedByLink {
			return false
		}
	}
	if lg.ends[1].role != complement(lg.ends[0].role) || lg.source() == nil {
		return false
	}
	for _, other := range lg.g.legs {
		if other.failedOver && !other.recovered {
			return false
		}
	}
	return true
}

// LinkDown takes both links between two arrays down.
func (s *Sim) LinkDown(a, b string) error { return s.CutLinks(a, b, 0, true) }

// LinkUp brings both links between two arrays back.
func (s *Sim) LinkUp(a, b string) error { return s.CutLinks(a, b, 0, false) }

// CutLinks cuts (cut true) or mends link n (1 or 2) between two arrays, or
// both with n 0.
func (s *Sim) CutLinks(an, bn string, n int, cut bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n < 0 || n > 2 {
		return fmt.Errorf("link %d: want 1 or 2 (or none: both)", n)
	}
	a, err := s.array(an)
	if err != nil {
		return err
	}
	b, err := s.array(bn)
	if err != nil {
		return err
	}
	l := s.linkBetween(a, b)
	if l == nil {
		return fmt.Errorf("arrays %s and %s are not targets of each other", an, bn)
	}
	for i := range 2 {
		if n == 0 || n == i+1 {
			l.cut[i] = cut
		}
	}
	s.log.Info("links", "a", an, "b", bn, "link", n, "cut", cut)
	if !s.closed {
		s.reassessLocked(l)
	}
	return nil
}

// ArrayDown powers an array off: its SSH and CIM listeners close (clients
// get connection refused), open sessions drop, and its peers see their
// target fail after the timeouts.
func (s *Sim) ArrayDown(name string) error { return s.setArrayDown(name, true, "") }

// ArrayUp powers an array back on; its targets are ready again at once.
func (s *Sim) ArrayUp(name string) error { return s.setArrayDown(name, false, "") }

// setArrayDown powers an array off or on; spare is the remote address of
// an SSH connection to leave open (see switchListener.setUpSparing).
func (s *Sim) setArrayDown(name string, down bool, spare string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.array(name)
	if err != nil {
		return err
	}
	if a.down == down {
		return nil
	}
	a.down = down
	s.log.Info("array power", "array", name, "down", down)
	if err := s.applyListenersLocked(a, spare); err != nil {
		return err
	}
	if s.closed {
		return nil
	}
	for _, p := range a.peers {
		s.reassessLocked(p.link)
	}
	return nil
}
