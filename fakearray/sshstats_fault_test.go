package fakearray

import (
	"context"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// The SSH counters that the exporter's fault matrix and leak tests rely
// on: concurrent CLI sessions raise the peak, finished sessions and closed
// connections go back to zero, and the control user is not a CLI session.
func TestSSHStatsCountSessionsAndConnections(t *testing.T) {
	sim, err := Start(context.Background(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	a, _ := sim.Array("sim-a")
	if err := sim.InjectFault("sim-a", "slow:300ms"); err != nil {
		t.Fatal(err)
	}
	dial := func(user, pw string) *gossh.Client {
		t.Helper()
		c, err := gossh.Dial("tcp", a.SSHAddress, &gossh.ClientConfig{
			User: user, Auth: []gossh.AuthMethod{gossh.Password(pw)},
			HostKeyCallback: gossh.FixedHostKey(a.HostKey), Timeout: 5 * time.Second,
		})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	clients := []*gossh.Client{dial(a.User, a.Password), dial(a.User, a.Password)}
	var wg sync.WaitGroup
	for _, c := range clients {
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := c.NewSession()
				if err != nil {
					t.Error(err)
					return
				}
				defer s.Close()
				if _, err := s.Output("showversion"); err != nil {
					t.Error(err)
				}
			}()
		}
	}
	wg.Wait()
	admin, adminPW := sim.Admin()
	ac := dial(admin, adminPW)
	if out, err := mustSession(t, ac).Output("simctl status"); err != nil {
		t.Fatalf("simctl status: %v\n%s", err, out)
	}
	st, err := sim.SSHStats("sim-a")
	if err != nil {
		t.Fatal(err)
	}
	if st.PeakSessions != 4 || st.SessionsTotal != 4 || st.Sessions != 0 || st.Connections != 3 {
		t.Errorf("after 4 concurrent slow sessions on 2 connections and one control session: %+v, want peak 4, total 4, running 0, connections 3", st)
	}
	for _, c := range append(clients, ac) {
		c.Close()
	}
	if err := sim.ResetSSHPeak("sim-a"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, _ = sim.SSHStats("sim-a")
		if st.Connections == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if st.Connections != 0 || st.PeakSessions != 0 {
		t.Errorf("after closing every client and resetting the peak: %+v, want no connection and peak 0", st)
	}
	if _, err := sim.SSHStats("nosuch"); err == nil {
		t.Error("SSHStats of an unknown array: no error")
	}
}

func mustSession(t *testing.T, c *gossh.Client) *gossh.Session {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	return s
}
