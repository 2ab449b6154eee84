package fakearray

import (
	"sync"

	gliderssh "github.com/gliderlabs/ssh"
)

// SSHStats counts one array's SSH activity. Real arrays refuse CLI sessions
// past a small limit ("Too many local CLI connections."), so tests use these
// counters to prove that a client never runs more than one CLI session on an
// array at a time and leaves no connection or session behind.
type SSHStats struct {
	Connections   int // SSH connections open now (accepted, not yet closed), control user included
	Sessions      int // CLI sessions running now (control user excluded)
	PeakSessions  int // most CLI sessions running at once since Start or ResetSSHPeak
	SessionsTotal int // CLI sessions started since Start
}

// SSHStats returns an array's SSH counters.
func (s *Sim) SSHStats(array string) (SSHStats, error) {
	h, err := s.sshServerOf(array)
	if err != nil {
		return SSHStats{}, err
	}
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	return h.stats.SSHStats, nil
}

// ResetSSHPeak sets an array's PeakSessions to the sessions running now.
func (s *Sim) ResetSSHPeak(array string) error {
	h, err := s.sshServerOf(array)
	if err != nil {
		return err
	}
	h.stats.mu.Lock()
	defer h.stats.mu.Unlock()
	h.stats.PeakSessions = h.stats.Sessions
	return nil
}

func (s *Sim) sshServerOf(name string) (*sshServer, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.array(name)
	if err != nil {
		return nil, err
	}
	if a.ssh == nil {
		return nil, errNoSSHServer(name)
	}
	return a.ssh, nil
}

type errNoSSHServer string

func (e errNoSSHServer) Error() string { return "array " + string(e) + " has no SSH server" }

// sshCounter is an sshServer's SSHStats, guarded.
type sshCounter struct {
	mu sync.Mutex
	SSHStats
}

func (c *sshCounter) connOpened() {
	c.mu.Lock()
	c.Connections++
	c.mu.Unlock()
}

func (c *sshCounter) connClosed() {
	c.mu.Lock()
	c.Connections--
	c.mu.Unlock()
}

// sessionStarted counts a CLI session and returns the function that ends
// it (idempotent).
func (c *sshCounter) sessionStarted() (end func()) {
	c.mu.Lock()
	c.Sessions++
	c.SessionsTotal++
	c.PeakSessions = max(c.PeakSessions, c.Sessions)
	c.mu.Unlock()
	return sync.OnceFunc(func() {
		c.mu.Lock()
		c.Sessions--
		c.mu.Unlock()
	})
}

// countedSession ends the count just before the exit status goes out: a
// client that saw the exit status may open its next session at once, and
// must not find the previous one still counted.
type countedSession struct {
	gliderssh.Session
	end func()
}

func (s countedSession) Exit(code int) error {
	s.end()
	return s.Session.Exit(code)
}
