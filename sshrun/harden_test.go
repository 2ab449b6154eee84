package sshrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/stage"
)

// fakeDNS makes lookupNetIP answer from table for the test.
func fakeDNS(t *testing.T, table map[string][]string) {
	t.Helper()
	old := lookupNetIP
	t.Cleanup(func() { lookupNetIP = old })
	lookupNetIP = func(ctx context.Context, network, host string) ([]netip.Addr, error) {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		addrs, ok := table[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

func TestEndpoint(t *testing.T) {
	fakeDNS(t, map[string][]string{
		"array.example":   {"10.0.0.7"},
		"multi.example":   {"192.0.2.9", "10.0.0.7", "2001:db8::1", "10.0.0.200"},
		"rotated.example": {"2001:db8::1", "10.0.0.200", "10.0.0.7", "192.0.2.9"},
		"v6only.example":  {"2001:db8::2", "2001:db8::1"},
	})
	same := map[string][]string{
		"127.0.0.1:22":     {"127.0.0.1", "127.0.0.1:22", "[::ffff:127.0.0.1]:22", "::ffff:127.0.0.1"},
		"[::1]:22":         {"::1", "[::1]", "[::1]:22", "[0:0::1]:22"},
		"10.0.0.7:22":      {"array.example", "ARRAY.example:22", "Array.Example", "10.0.0.7", "multi.example", "rotated.example:22"},
		"10.0.0.7:2222":    {"array.example:2222", "MULTI.EXAMPLE:2222"},
		"[2001:db8::1]:22": {"v6only.example"},
	}
	for want, spellings := range same {
		for _, s := range spellings {
			got, err := Endpoint(t.Context(), s)
			if err != nil || got != want {
				t.Errorf("Endpoint(%q) = %q, %v; want %q", s, got, err, want)
			}
		}
	}
	for in, want := range map[string]string{
		"nosuch.example": "resolving nosuch.example: no such host",
		"h:0":            "port",
		"":               "empty address",
	} {
		if _, err := Endpoint(t.Context(), in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Endpoint(%q): %v, want %q", in, err, want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Endpoint(ctx, "array.example"); !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "resolving array.example") {
		t.Errorf("cancelled: %v", err)
	}
	// The real resolver: localhost is the loopback address.
	lookupNetIP = net.DefaultResolver.LookupNetIP
	if got, err := Endpoint(t.Context(), "LOCALHOST:2"); err != nil || (got != "127.0.0.1:2" && got != "[::1]:2") {
		t.Errorf("Endpoint(LOCALHOST:2) = %q, %v", got, err)
	}
}

// knownHostsNames writes a known_hosts file that trusts srv's key for
// each of names.
func knownHostsNames(t *testing.T, srv *testServer, names ...string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		b.WriteString(knownhosts.Line([]string{n}, srv.hostKey.PublicKey()) + "\n")
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// One array probed under several spellings of its address at once never
// runs two CLI sessions at a time, and the pool keeps one connection for
// it. The slot and the pool used to be keyed on the spelling.
func TestSpellingsShareOneArray(t *testing.T) {
	srv := startServer(t, serverOptions{})
	_, port, _ := net.SplitHostPort(srv.addr)
	spellings := []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port, "LocalHost:" + port, "[::ffff:127.0.0.1]:" + port}
	if ep, err := Endpoint(t.Context(), "localhost:"+port); err != nil || ep != srv.addr {
		t.Skipf("localhost is not 127.0.0.1 here (%q, %v)", ep, err)
	}
	for _, insecure := range []bool{false, true} {
		t.Run(fmt.Sprintf("insecure=%t", insecure), func(t *testing.T) {
			srv.maxActive.Store(0)
			pool := newPool(t, PoolOptions{})
			opts := passwordOptions(knownHostsNames(t, srv, "127.0.0.1:"+port, "localhost:"+port, "[::ffff:127.0.0.1]:"+port))
			if insecure {
				opts = passwordOptions("")
				opts.InsecureIgnoreHostKey = true
			}
			var wg sync.WaitGroup
			var failed atomic.Int32
			for round := 0; round < 3; round++ {
				for _, s := range spellings {
					for _, cmd := range []string{"showslow", "showrcopy"} {
						wg.Add(1)
						go func() {
							defer wg.Done()
							out, err := pool.Runner(s, "m", opts).Run(t.Context(), cmd)
							if err != nil || !bytes.Equal(out, srv.fixture) {
								failed.Add(1)
								t.Errorf("%s %s: %v", s, cmd, err)
							}
						}()
					}
				}
				wg.Wait()
			}
			if got := srv.maxActive.Load(); got != 1 {
				t.Errorf("up to %d CLI sessions at once on one array probed as %v, want 1", got, spellings)
			}
			if st := pool.Stats(); st.Open != 1 || st.Dials != 1 {
				t.Errorf("pool stats %+v, want 1 connection and 1 dial for the one array", st)
			}
		})
	}
}

// A connection pooled for one name of an array is not used for another
// name whose host key known_hosts does not vouch for: each name is checked
// as a dial would check it.
func TestOtherNameOfAPooledArrayIsChecked(t *testing.T) {
	srv := startServer(t, serverOptions{})
	_, port, _ := net.SplitHostPort(srv.addr)
	fakeDNS(t, map[string][]string{"array-a.test": {"127.0.0.1"}, "rogue.test": {"127.0.0.1"}})
	pool := newPool(t, PoolOptions{})
	opts := passwordOptions(knownHostsNames(t, srv, "array-a.test:"+port))
	if _, err := pool.Runner("array-a.test:"+port, "m", opts).Run(t.Context(), "showrcopy"); err != nil {
		t.Fatal(err)
	}
	before := srv.sessions.Load()
	_, err := pool.Runner("rogue.test:"+port, "m", opts).Run(t.Context(), "showrcopy")
	e := wantStage(t, err, stage.Connect)
	var hk *HostKeyError
	if !errors.As(e, &hk) || !strings.Contains(err.Error(), "host key of rogue.test:"+port+" is not in known_hosts") {
		t.Fatalf("want an unknown-host error for rogue.test, got %v", err)
	}
	if err := pool.Runner("rogue.test:"+port, "m", opts).Connect(t.Context()); err == nil {
		t.Errorf("Connect through the unknown name succeeded")
	}
	if srv.sessions.Load() != before {
		t.Errorf("a command ran through a name known_hosts does not vouch for")
	}
	if _, err := pool.Runner("ARRAY-A.test:"+port, "m", opts).Run(t.Context(), "showrcopy"); err != nil {
		t.Errorf("the known name in capitals: %v", err)
	}
	if st := pool.Stats(); st.Dials != 1 || st.Open != 1 {
		t.Errorf("stats %+v, want the one connection kept", st)
	}
}

// Connect is the gate for credentials sent to the array by other ways (the
// CIM read): with an unknown host key it fails at stage connect before any
// login is tried.
func TestConnectVerifiesTheHostKeyBeforeAnyLogin(t *testing.T) {
	srv := startServer(t, serverOptions{})
	empty := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	pool := newPool(t, PoolOptions{})
	err := pool.Runner(srv.addr, "m", passwordOptions(empty)).Connect(t.Context())
	e := wantStage(t, err, stage.Connect)
	var hk *HostKeyError
	if !errors.As(e, &hk) {
		t.Fatalf("want a HostKeyError, got %v", err)
	}
	if n := srv.logins.Load(); n != 0 {
		t.Errorf("%d login attempts reached a server with an unknown host key", n)
	}

	// With the key known: one login, a pooled connection that Run reuses.
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	for i := 0; i < 3; i++ {
		if err := r.Connect(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Run(t.Context(), "showrcopy"); err != nil {
		t.Fatal(err)
	}
	if n, st := srv.logins.Load(), pool.Stats(); n != 1 || st.Dials != 2 || st.Open != 1 {
		t.Errorf("%d logins, stats %+v; want 1 login and the connection reused", n, st)
	}
	if srv.sessions.Load() != 1 {
		t.Errorf("Connect ran %d sessions, want none", srv.sessions.Load()-1)
	}

	// Insecure modules accept any key, as Run does.
	insecure := passwordOptions("")
	insecure.InsecureIgnoreHostKey = true
	if err := pool.Runner(srv.addr, "insecure", insecure).Connect(t.Context()); err != nil {
		t.Errorf("insecure: %v", err)
	}
	// A wrong password fails at stage auth.
	wrong := passwordOptions(srv.knownHosts(t))
	wrong.Password = config.NewSecret("wrong")
	wantStage(t, pool.Runner(srv.addr, "wrong", wrong).Connect(t.Context()), stage.Auth)
}

// Concurrent Connects and Runs of a cold array share one login.
func TestConcurrentFirstUseSharesOneLogin(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		go func() { defer wg.Done(); _ = r.Connect(t.Context()) }()
		go func() { defer wg.Done(); _, _ = r.Run(t.Context(), "showrcopy") }()
	}
	wg.Wait()
	if n := srv.logins.Load(); n != 1 {
		t.Errorf("%d logins for one array and module, want 1", n)
	}
}

// A refused login is not tried again for the back-off: the array would
// lock the user out after a few.
func TestAuthFailureBacksOff(t *testing.T) {
	srv := startServer(t, serverOptions{password: "the-right-one"})
	pool := newPool(t, PoolOptions{})
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	pool.now = func() time.Time { clock.Lock(); defer clock.Unlock(); return now }
	advance := func(d time.Duration) { clock.Lock(); now = now.Add(d); clock.Unlock() }
	opts := passwordOptions(srv.knownHosts(t))
	opts.AuthBackoff = 5 * time.Minute
	r := pool.Runner(srv.addr, "m", opts)

	_, err := r.Run(t.Context(), "showrcopy")
	wantStage(t, err, stage.Auth)
	for i := 0; i < 4; i++ {
		_, err := r.Run(t.Context(), "showrcopy")
		wantStage(t, err, stage.Auth)
		var bo *AuthBackoffError
		if !errors.As(err, &bo) || !strings.Contains(err.Error(), "login not retried until 2026-12-01T10:05:00Z") || !strings.Contains(err.Error(), `user "3paradm" refused`) {
			t.Fatalf("run %d: %v; want a back-off error saying until when and why", i+2, err)
		}
	}
	wantStage(t, r.Connect(t.Context()), stage.Auth)
	if n := srv.logins.Load(); n != 1 {
		t.Fatalf("%d logins over 5 runs and a Connect with a wrong password, want 1", n)
	}
	// Other spellings of the array are the same array.
	fakeDNS(t, map[string][]string{"array.test": {"127.0.0.1"}})
	_, port, _ := net.SplitHostPort(srv.addr)
	_, err = pool.Runner("array.test:"+port, "m", opts).Run(t.Context(), "showrcopy")
	if !errors.As(err, new(*AuthBackoffError)) || srv.logins.Load() != 1 {
		t.Errorf("another name of the array logged in again: %v", err)
	}

	advance(5*time.Minute - time.Second)
	if _, err := r.Run(t.Context(), "showrcopy"); !errors.As(err, new(*AuthBackoffError)) {
		t.Errorf("a second before the end: %v", err)
	}
	advance(time.Second)
	wantStage(t, func() error { _, err := r.Run(t.Context(), "showrcopy"); return err }(), stage.Auth)
	if n := srv.logins.Load(); n != 2 {
		t.Errorf("after the back-off: %d logins, want 2", n)
	}

	// A changed secret is a new login at once, and succeeds.
	right := opts
	right.Password = config.NewSecret("the-right-one")
	if _, err := pool.Runner(srv.addr, "m", right).Run(t.Context(), "showrcopy"); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
	if n := srv.logins.Load(); n != 3 {
		t.Errorf("changed secret: %d logins, want 3", n)
	}

	// A reload ends the back-off.
	_, err = pool.Runner(srv.addr, "other", opts).Run(t.Context(), "showrcopy")
	wantStage(t, err, stage.Auth)
	pool.ResetAuthBackoff()
	_, err = pool.Runner(srv.addr, "other", opts).Run(t.Context(), "showrcopy")
	if errors.As(err, new(*AuthBackoffError)) || srv.logins.Load() != 5 {
		t.Errorf("after ResetAuthBackoff: %v, %d logins; want a new login (5)", err, srv.logins.Load())
	}

	// auth_backoff 0: every run logs in.
	never := opts
	never.AuthBackoff = 0
	for i := 0; i < 3; i++ {
		_, _ = pool.Runner(srv.addr, "never", never).Run(t.Context(), "showrcopy")
	}
	if n := srv.logins.Load(); n != 8 {
		t.Errorf("auth_backoff 0: %d logins, want 8", n)
	}
}

// Output over max_output_bytes is read to its end before the slot is
// given to the next command: closing the connection instead left the
// command running on the array (until it noticed) while the next one
// started, two CLI sessions at once (TestFaultLoopNoLeaks saw it now and
// then; here the array is slow to notice on purpose).
func TestOutputCapEndsTheCommandBeforeTheNext(t *testing.T) {
	srv := startServer(t, serverOptions{})
	t.Cleanup(func() { close(srv.release) }) // before the server closes
	pool := newPool(t, PoolOptions{})
	opts := passwordOptions(srv.knownHosts(t))
	opts.MaxOutputBytes = 4096
	r := pool.Runner(srv.addr, "m", opts)
	_, err := r.Run(t.Context(), "showlinger 8000000")
	wantStage(t, err, stage.Command)
	if !strings.Contains(err.Error(), "exceeds 4096 bytes") {
		t.Fatalf("%v", err)
	}
	if out, err := r.Run(t.Context(), "showrcopy"); err != nil || !bytes.Equal(out, srv.fixture) {
		t.Fatalf("next command: %v", err)
	}
	if got := srv.maxActive.Load(); got != 1 {
		t.Errorf("up to %d CLI sessions at once, want 1", got)
	}
	if st := pool.Stats(); st.Dials != 1 {
		t.Errorf("%d dials: the connection of a command that ended normally is kept", st.Dials)
	}
}

// known_hosts is read at every dial: a named pipe or a link to /dev/zero
// put in its place fails the probe at once with one line, and the next
// probe works once the file is back (it used to hang the probe, and every
// later probe of the array behind it, until restart).
func TestKnownHostsReplacedByWhatIsNotAFile(t *testing.T) {
	srv := startServer(t, serverOptions{})
	kh := srv.knownHosts(t)
	good, err := os.ReadFile(kh)
	if err != nil {
		t.Fatal(err)
	}
	pool := newPool(t, PoolOptions{})
	opts := passwordOptions(kh)
	opts.Timeout = time.Minute // a hang would be plain, not cut short
	for _, replace := range []func() error{
		func() error { return mkfifo(kh) },
		func() error { return os.Symlink("/dev/zero", kh) },
	} {
		pool.Close()
		pool = newPool(t, PoolOptions{})
		if err := os.Remove(kh); err != nil {
			t.Fatal(err)
		}
		if err := replace(); err != nil {
			t.Skipf("cannot make the replacement: %v", err)
		}
		_, err := pool.Runner(srv.addr, "m", opts).Run(t.Context(), "showrcopy")
		wantStage(t, err, stage.Connect)
		if !strings.Contains(err.Error(), kh+": not a regular file") {
			t.Errorf("error does not say what is wrong with the file: %v", err)
		}
		if err := os.Remove(kh); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(kh, good, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Runner(srv.addr, "m", opts).Run(t.Context(), "showrcopy"); err != nil {
			t.Errorf("with the file back: %v", err)
		}
	}
	if srv.logins.Load() != 2 {
		t.Errorf("%d logins, want 2 (none while known_hosts was not a file)", srv.logins.Load())
	}
}
