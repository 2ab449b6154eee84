package fakearray

import (
	"context"
	"time"
)

// event is a pending transition (the end of a sync or of an operation) or
// timeout (a link's heartbeat, a target's). It runs once, under s.mu, when
// its timer fires or when FinishTransitions / NextTransition run it early.
type event struct {
	timer *time.Timer
	due   time.Time
	seq   uint64
	run   func(now time.Time)
	done  chan struct{} // closed once it has run or was cancelled
}

// afterLocked schedules run after d. Callers hold s.mu.
func (s *Sim) afterLocked(d time.Duration, run func(now time.Time)) *event {
	e := &event{due: time.Now().Add(d), seq: s.seq, run: run, done: make(chan struct{})}
	s.seq++
	if s.closed {
		close(e.done)
		return e
	}
	if len(s.events) == 0 {
		s.idle = make(chan struct{})
	}
	s.events[e] = struct{}{}
	e.timer = time.AfterFunc(d, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.runLocked(e)
	})
	return e
}

// runLocked runs e unless it already ran or was cancelled.
func (s *Sim) runLocked(e *event) {
	if _, ok := s.events[e]; !ok || s.closed {
		return
	}
	delete(s.events, e)
	e.timer.Stop()
	e.run(s.clock())
	close(e.done)
	s.signalIdleLocked()
}

// cancelLocked drops a pending event (nil or finished: nothing to do).
func (s *Sim) cancelLocked(e *event) {
	if e == nil {
		return
	}
	if _, ok := s.events[e]; !ok {
		return
	}
	e.timer.Stop()
	delete(s.events, e)
	close(e.done)
	s.signalIdleLocked()
}

func (s *Sim) signalIdleLocked() {
	if len(s.events) == 0 {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// earliestLocked is the pending event due first (scheduling order breaks ties).
func (s *Sim) earliestLocked() *event {
	var first *event
	for e := range s.events {
		if first == nil || e.due.Before(first.due) || (e.due.Equal(first.due) && e.seq < first.seq) {
			first = e
		}
	}
	return first
}

// maxFinished bounds FinishTransitions (a bug that schedules forever must
// not hang a test).
const maxFinished = 1_000_000

// FinishTransitions runs every pending transition and timeout now, in the
// order they are due, including those they schedule, as if enough time had
// passed. Tests use it with a long transition delay to look at
// intermediate states (T110-2, T110-5, ...) without racing a timer.
func (s *Sim) FinishTransitions() {
	for range maxFinished {
		if !s.NextTransition() {
			return
		}
	}
}

// NextTransition runs the pending transition or timeout due first and
// reports whether there was one: a link's heartbeat timeout comes before
// its target timeout, so a test can look at the links marked Down while
// the target is still ready.
func (s *Sim) NextTransition() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.earliestLocked()
	if e == nil {
		return false
	}
	s.runLocked(e)
	return true
}

// WaitIdle returns when nothing is pending (every failover, recover,
// restore, sync and link timeout has happened) or when ctx ends.
func (s *Sim) WaitIdle(ctx context.Context) error {
	for {
		s.mu.RLock()
		idle, pending := s.idle, len(s.events)
		s.mu.RUnlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close stops every server and pending transition. It is idempotent.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for e := range s.events {
		e.timer.Stop()
		close(e.done)
	}
	s.events = map[*event]struct{}{}
	s.signalIdleLocked()
	s.mu.Unlock()
	if s.stopCtx != nil {
		s.stopCtx()
	}
	for _, a := range s.arrays {
		if a.ssh != nil {
			a.ssh.close()
		}
		if a.cim != nil {
			a.cim.close()
		}
	}
	s.wg.Wait()
	return nil
}
