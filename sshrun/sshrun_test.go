package sshrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/internal/testtool"

	"github.com/threepar/rcopy-exporter/stage"
)

// Every test must leave no goroutine behind: hung servers, timeouts and
// reconnects included.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// deadlineSlack is how late past its deadline a Run may return. It is
// generous so that a loaded CI machine never fails the test; a hang would
// still exceed it by far.
const deadlineSlack = 5 * time.Second

func passwordOptions(knownHosts string) Options {
	return Options{User: testUser, Password: config.NewSecret(testPassword), KnownHostsFile: knownHosts, Timeout: 10 * time.Second}
}

func newPool(t testing.TB, o PoolOptions) *Pool {
	p := NewPool(o)
	t.Cleanup(func() { p.Close() })
	return p
}

func wantStage(t *testing.T, err error, stage stage.Stage) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *sshrun.Error", err, err)
	}
	if e.Stage != stage {
		t.Fatalf("stage %q, want %q: %v", e.Stage, stage, err)
	}
	if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), testPassword) {
		t.Fatalf("error is not one clean line: %q", err.Error())
	}
	return e
}

func TestRunReusesOneConnection(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	opts := passwordOptions(srv.knownHosts(t))
	r := pool.Runner(srv.addr, "default", opts)
	for i := 0; i < 20; i++ {
		out, err := r.Run(context.Background(), "showrcopy")
		if err != nil {
			t.Fatalf("run %d: %v", i, err)
		}
		if !bytes.Equal(out, srv.fixture) {
			t.Fatalf("run %d: output differs from the fixture:\n%s", i, out)
		}
	}
	// A second Runner for the same address and module shares the connection.
	if _, err := pool.Runner(srv.addr, "default", opts).Run(context.Background(), "showversion"); err != nil {
		t.Fatal(err)
	}
	if got := srv.conns.Load(); got != 1 {
		t.Errorf("server saw %d connections over 21 runs, want 1", got)
	}
	if got := srv.sessions.Load(); got != 21 {
		t.Errorf("server saw %d sessions, want 21 (one per command)", got)
	}
	if st := pool.Stats(); st.Open != 1 || st.Dials != 1 {
		t.Errorf("stats %+v, want 1 open, 1 dial", st)
	}
}

func TestAuthMethods(t *testing.T) {
	t.Run("public key", func(t *testing.T) {
		srv := startServer(t, serverOptions{password: "not-used-here"})
		key, err := gossh.MarshalPrivateKey(srv.clientKeyPrivate(), "")
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{User: testUser, PrivateKey: config.NewSecret(string(pemEncode(key))), KnownHostsFile: srv.knownHosts(t)}
		if _, err := newPool(t, PoolOptions{}).Runner(srv.addr, "k", opts).Run(context.Background(), "showrcopy"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("keyboard-interactive", func(t *testing.T) {
		srv := startServer(t, serverOptions{keyboardInteractiveOnly: true})
		if _, err := newPool(t, PoolOptions{}).Runner(srv.addr, "ki", passwordOptions(srv.knownHosts(t))).Run(context.Background(), "showrcopy"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		srv := startServer(t, serverOptions{password: "another"})
		_, err := newPool(t, PoolOptions{}).Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t))).Run(context.Background(), "showrcopy")
		wantStage(t, err, stage.Auth)
		if !strings.Contains(err.Error(), `user "3paradm" refused`) {
			t.Errorf("error does not say who was refused: %v", err)
		}
	})
	t.Run("encrypted key", func(t *testing.T) {
		srv := startServer(t, serverOptions{})
		// A fixture: encrypting a key at test time is slow (bcrypt).
		key, err := os.ReadFile("testdata/id_ed25519_encrypted")
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{User: testUser, PrivateKey: config.NewSecret(string(key)), KnownHostsFile: srv.knownHosts(t)}
		_, err = newPool(t, PoolOptions{}).Runner(srv.addr, "k", opts).Run(context.Background(), "showrcopy")
		wantStage(t, err, stage.Auth)
		if !strings.Contains(err.Error(), "encrypted with a passphrase") || srv.conns.Load() != 0 {
			t.Errorf("error %v after %d connections; want a clear refusal before connecting", err, srv.conns.Load())
		}
	})
}

func TestHostKeys(t *testing.T) {
	ecdsaKey := newECDSASigner(t)
	srv := startServer(t, serverOptions{extraHostKeys: []gossh.Signer{ecdsaKey}})
	run := func(knownHosts string, insecure bool) error {
		opts := passwordOptions(knownHosts)
		opts.InsecureIgnoreHostKey = insecure
		_, err := newPool(t, PoolOptions{}).Runner(srv.addr, "m", opts).Run(context.Background(), "showrcopy")
		return err
	}
	host, port, _ := net.SplitHostPort(srv.addr)

	t.Run("known", func(t *testing.T) {
		if err := run(srv.knownHosts(t), false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("only the second host key is known", func(t *testing.T) {
		// The server prefers ed25519; we must ask for the key type we know.
		if err := run(srv.knownHosts(t, ecdsaKey.PublicKey()), false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown host", func(t *testing.T) {
		empty := filepath.Join(t.TempDir(), "known_hosts")
		os.WriteFile(empty, nil, 0o600)
		err := run(empty, false)
		e := wantStage(t, err, stage.Connect)
		var hk *HostKeyError
		if !errors.As(e, &hk) || hk.Changed() {
			t.Fatalf("want an unknown-host HostKeyError, got %v", err)
		}
		for _, want := range []string{"is not in known_hosts file " + empty, "ssh-keyscan -p " + port + " " + host + " >> " + empty, "SHA256:"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
	})
	t.Run("changed key", func(t *testing.T) {
		kh := srv.knownHosts(t, testtool.NewSigner(t).PublicKey())
		before := srv.sessions.Load()
		err := run(kh, false)
		e := wantStage(t, err, stage.Connect)
		var hk *HostKeyError
		if !errors.As(e, &hk) || !hk.Changed() {
			t.Fatalf("want a changed-key HostKeyError, got %v", err)
		}
		for _, want := range []string{"HOST KEY CHANGED for " + srv.addr, kh + ":3 ssh-ed25519 SHA256:", "ssh-keygen -R '[" + host + "]:" + port + "' -f " + kh} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q: %v", want, err)
			}
		}
		if srv.sessions.Load() != before {
			t.Errorf("a command ran despite the bad host key")
		}
	})
	t.Run("missing known_hosts file", func(t *testing.T) {
		err := run(filepath.Join(t.TempDir(), "nope"), false)
		wantStage(t, err, stage.Connect)
	})
	t.Run("insecure opt-in warns once", func(t *testing.T) {
		var logs bytes.Buffer
		var mu sync.Mutex
		pool := newPool(t, PoolOptions{Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
		opts := passwordOptions("")
		opts.InsecureIgnoreHostKey = true
		r := pool.Runner(srv.addr, "m", opts)
		for i := 0; i < 3; i++ {
			if _, err := r.Run(context.Background(), "showrcopy"); err != nil {
				t.Fatal(err)
			}
			srv.dropConnections() // force a reconnect: still one warning
		}
		mu.Lock()
		defer mu.Unlock()
		if n := strings.Count(logs.String(), "host key checking is OFF"); n != 1 {
			t.Errorf("%d warnings, want 1:\n%s", n, logs.String())
		}
	})
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCommandFailures(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	opts := passwordOptions(srv.knownHosts(t))
	opts.MaxOutputBytes = 4096
	r := pool.Runner(srv.addr, "m", opts)
	ctx := context.Background()

	t.Run("slow but in time", func(t *testing.T) {
		if out, err := r.Run(ctx, "showslow"); err != nil || !bytes.Equal(out, srv.fixture) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("CLI error with exit 0", func(t *testing.T) {
		_, err := r.Run(ctx, "showclierr")
		wantStage(t, err, stage.Command)
		var ce *CLIError
		if !errors.As(err, &ce) || !ce.TooManyConnections() || !strings.Contains(err.Error(), `"Too many local CLI connections."`) {
			t.Errorf("want a too-many-connections CLIError, got %v", err)
		}
	})
	t.Run("non-zero exit", func(t *testing.T) {
		_, err := r.Run(ctx, "showexit")
		wantStage(t, err, stage.Command)
		var ee *ExitError
		if !errors.As(err, &ee) || ee.Status != 3 || ee.Message != "Error: invalid group name" {
			t.Errorf("want exit status 3 with the first stderr line, got %v", err)
		}
	})
	t.Run("output cap", func(t *testing.T) {
		if out, err := r.Run(ctx, "showhuge 4096"); err != nil || len(out) != 4096 {
			t.Fatalf("output of exactly the cap: %d bytes, %v", len(out), err)
		}
		_, err := r.Run(ctx, "showhuge 10000000")
		wantStage(t, err, stage.Command)
		if !strings.Contains(err.Error(), "exceeds 4096 bytes") {
			t.Errorf("error does not name the cap: %v", err)
		}
	})
	t.Run("disconnect mid-output", func(t *testing.T) {
		_, err := r.Run(ctx, "showdisconnect")
		wantStage(t, err, stage.Command)
	})
	t.Run("next run after the faults succeeds", func(t *testing.T) {
		if out, err := r.Run(ctx, "showrcopy"); err != nil || !bytes.Equal(out, srv.fixture) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("array down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close() // nothing listens here now
		_, err = pool.Runner(addr, "m", opts).Run(ctx, "showrcopy")
		wantStage(t, err, stage.Connect)
	})
}

func TestAllowlist(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	for _, cmd := range []string{
		"setrcopygroup failover -f g", "removevv -f v", "", "   ", "showrcopy; removevv v", "showrcopy [removevv v]",
		"showrcopy groups $x", "showrcopy\nremovevv v", "showrcopy {x}", `showrcopy "g"`, "showrcopy | x", "showrcopy `x`",
		"show\x00rcopy", "showrcopy groupé",
	} {
		_, err := r.Run(context.Background(), cmd)
		wantStage(t, err, stage.Command)
		if !errors.Is(err, ErrNotAllowed) {
			t.Errorf("%q: %v, want ErrNotAllowed", cmd, err)
		}
	}
	if srv.conns.Load() != 0 {
		t.Errorf("refused commands opened %d connections", srv.conns.Load())
	}
	for _, cmd := range []string{"showrcopy", "showrcopy -d groups rcg_1.r188150 g-2", "showversion -a"} {
		if err := checkCommand(cmd, false); err != nil {
			t.Errorf("%q refused: %v", cmd, err)
		}
	}
	opts := passwordOptions(srv.knownHosts(t))
	opts.AllowChanges = true
	out, err := pool.Runner(srv.addr, "drill", opts).Run(context.Background(), "setrcopygroup failover -f g")
	if err != nil || string(out) != "ok: setrcopygroup failover -f g\n" {
		t.Errorf("with AllowChanges: %q, %v", out, err)
	}
}

func TestReconnect(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	ctx := context.Background()
	if _, err := r.Run(ctx, "showrcopy"); err != nil {
		t.Fatal(err)
	}
	t.Run("server dropped the connection", func(t *testing.T) {
		srv.dropConnections()
		if _, err := r.Run(ctx, "showrcopy"); err != nil {
			t.Fatal(err)
		}
		if got := srv.conns.Load(); got != 2 {
			t.Errorf("%d connections, want 2", got)
		}
	})
	t.Run("cached connection refuses sessions", func(t *testing.T) {
		srv.poison() // the connection stays up but is useless: one retry on a new one
		if _, err := r.Run(ctx, "showrcopy"); err != nil {
			t.Fatal(err)
		}
		if got := srv.conns.Load(); got != 3 {
			t.Errorf("%d connections, want 3", got)
		}
	})
	t.Run("changed credentials reconnect", func(t *testing.T) {
		opts := passwordOptions(srv.knownHosts(t))
		opts.PrivateKey = config.NewSecret(string(pemEncodeSigner(t, srv)))
		if _, err := pool.Runner(srv.addr, "m", opts).Run(ctx, "showrcopy"); err != nil {
			t.Fatal(err)
		}
		if got := srv.conns.Load(); got != 4 {
			t.Errorf("%d connections, want 4", got)
		}
		if st := pool.Stats(); st.Open != 1 {
			t.Errorf("%d connections open, want 1 (the old one closed)", st.Open)
		}
	})
	t.Run("cached connection silently dead", func(t *testing.T) {
		proxy := startProxy(t, srv.addr)
		pool := newPool(t, PoolOptions{})
		pool.staleAfter = 100 * time.Millisecond
		// known_hosts names the proxy's address, as it would the array's.
		kh := srv.knownHostsFor(t, proxy.addr())
		r := pool.Runner(proxy.addr(), "m", passwordOptions(kh))
		if _, err := r.Run(ctx, "showrcopy"); err != nil {
			t.Fatal(err)
		}
		proxy.freeze()
		out, err := r.Run(ctx, "showrcopy")
		if err != nil || !bytes.Equal(out, srv.fixture) {
			t.Fatalf("after the peer vanished: %v", err)
		}
		if st := pool.Stats(); st.Dials != 2 || st.Open != 1 {
			t.Errorf("stats %+v, want 2 dials and 1 open connection", st)
		}
	})
}

func TestSingleflightAndSerialization(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	// Warm up so that the concurrent Runs below find the connection.
	if _, err := r.Run(context.Background(), "showversion"); err != nil {
		t.Fatal(err)
	}
	srv.sessions.Store(0)

	const n = 16
	var joined atomic.Int32
	testHookJoined = func() { joined.Add(1) }
	t.Cleanup(func() { testHookJoined = nil })

	var wg sync.WaitGroup
	outs := make([][]byte, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = r.Run(context.Background(), "showblock")
		}()
	}
	// A different command on the same array waits for the first one.
	var otherOut []byte
	var otherErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		otherOut, otherErr = r.Run(context.Background(), "showrcopy")
	}()
	for joined.Load() < n+1 {
		time.Sleep(time.Millisecond)
	}
	close(srv.release)
	wg.Wait()
	for i := range outs {
		if errs[i] != nil || !bytes.Equal(outs[i], srv.fixture) {
			t.Fatalf("run %d: %v", i, errs[i])
		}
	}
	outs[0][0] = '!' // callers own their copies
	if outs[1][0] == '!' {
		t.Errorf("shared result: callers got the same slice")
	}
	if otherErr != nil || !bytes.Equal(otherOut, srv.fixture) {
		t.Fatalf("other command: %v", otherErr)
	}
	if got := srv.sessions.Load(); got != 2 {
		t.Errorf("%d sessions for %d concurrent showblock + 1 showrcopy, want 2", got, n)
	}
	if got := srv.maxActive.Load(); got != 1 {
		t.Errorf("up to %d commands ran at once on the array, want 1", got)
	}
	if got := srv.conns.Load(); got != 1 {
		t.Errorf("%d connections, want 1", got)
	}
}

func TestDeadline(t *testing.T) {
	const deadline = 300 * time.Millisecond
	// Each case gets its own array: a hung command abandoned by one case
	// must not occupy the next one's.
	setup := func(t *testing.T) (*testServer, *Pool, Runner) {
		srv := startServer(t, serverOptions{})
		pool := newPool(t, PoolOptions{})
		r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
		// Connect first, without a short deadline: on a loaded machine the
		// handshake alone may take longer than the deadlines under test.
		if _, err := r.Run(context.Background(), "showrcopy"); err != nil {
			t.Fatal(err)
		}
		return srv, pool, r
	}

	t.Run("hung command", func(t *testing.T) {
		_, _, r := setup(t)
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		_, err := r.Run(ctx, "showhang")
		took := time.Since(start)
		wantStage(t, err, stage.Command)
		if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), `timed out after`) {
			t.Errorf("want a timeout error, got %v", err)
		}
		if took > deadline+deadlineSlack {
			t.Errorf("Run returned %s after a %s deadline", took, deadline)
		}
		// The next probe works on a new connection.
		if _, err := r.Run(context.Background(), "showrcopy"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("module timeout without a context deadline", func(t *testing.T) {
		_, pool, r := setup(t)
		opts := r.(*runner).opts // same connection settings: the warm connection is reused
		opts.Timeout = deadline
		_, err := pool.Runner(r.(*runner).address, "m", opts).Run(context.Background(), "showhang")
		wantStage(t, err, stage.Command)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("want a timeout error, got %v", err)
		}
	})
	t.Run("followers give up at their own deadline", func(t *testing.T) {
		srv, _, r := setup(t)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() { _, err := r.Run(ctx, "showhang"); done <- err }()
		for srv.active.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		short, cancelShort := context.WithTimeout(context.Background(), deadline)
		defer cancelShort()
		_, err := r.Run(short, "showhang")
		wantStage(t, err, stage.Command)
		if !strings.Contains(err.Error(), "another probe of this array") {
			t.Errorf("follower error: %v", err)
		}
		cancel()
		<-done
	})
	t.Run("hung handshake", func(t *testing.T) {
		srv, pool, _ := setup(t)
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := l.Accept()
			if err == nil {
				accepted <- c // says nothing, like a stuck sshd
			}
			close(accepted)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		_, err = pool.Runner(l.Addr().String(), "m", passwordOptions(srv.knownHosts(t))).Run(ctx, "showrcopy")
		took := time.Since(start)
		wantStage(t, err, stage.Connect)
		if !errors.Is(err, context.DeadlineExceeded) || took > deadline+deadlineSlack {
			t.Errorf("after %s: %v", took, err)
		}
		if c, ok := <-accepted; ok {
			c.Close()
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		srv, _, r := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for srv.active.Load() == 0 {
				time.Sleep(time.Millisecond)
			}
			cancel()
		}()
		_, err := r.Run(ctx, "showhang")
		wantStage(t, err, stage.Command)
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), `cancelled while running "showhang"`) {
			t.Errorf("want a cancellation error, got %v", err)
		}
	})
}

// TestFaultLoopNoLeaks sends many commands through every fault and
// checks that connections, sessions and goroutines stay flat.
func TestFaultLoopNoLeaks(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{})
	opts := passwordOptions(srv.knownHosts(t))
	opts.MaxOutputBytes = 2048
	r := pool.Runner(srv.addr, "m", opts)
	ctx := context.Background()
	if _, err := r.Run(ctx, "showrcopy"); err != nil {
		t.Fatal(err)
	}
	baseline := runtime.NumGoroutine()
	commands := []string{"showclierr", "showexit", "showdisconnect", "showhuge 100000", "showrcopy", "removevv x"}
	for i := 0; i < 90; i++ {
		cmd := commands[i%len(commands)]
		_, err := r.Run(ctx, cmd)
		if (err == nil) != (cmd == "showrcopy") {
			t.Fatalf("run %d %q: %v", i, cmd, err)
		}
		if n := srv.open.Load(); n > 2 { // the one in use, and one the server may not have reaped yet
			t.Fatalf("run %d: %d connections open on the server", i, n)
		}
	}
	if _, err := r.Run(ctx, "showrcopy"); err != nil {
		t.Fatal(err)
	}
	if st := pool.Stats(); st.Open != 1 {
		t.Errorf("%d connections open in the pool, want 1", st.Open)
	}
	if got := srv.maxActive.Load(); got != 1 {
		t.Errorf("up to %d sessions at once, want 1", got)
	}
	// Connections closed by faults end their goroutines shortly after.
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > baseline+2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > baseline+2 {
		t.Errorf("goroutines grew from %d to %d over 90 faulty runs", baseline, n)
	}
}

func TestIdleConnectionsClosed(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := newPool(t, PoolOptions{IdleTimeout: 20 * time.Millisecond})
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	if _, err := r.Run(context.Background(), "showrcopy"); err != nil {
		t.Fatal(err)
	}
	for pool.Stats().Open != 0 {
		time.Sleep(5 * time.Millisecond)
	}
	pool.mu.Lock()
	entries := len(pool.arrays)
	pool.mu.Unlock()
	if entries != 0 {
		t.Errorf("%d array entries left after the idle close", entries)
	}
	if _, err := r.Run(context.Background(), "showrcopy"); err != nil {
		t.Fatal(err)
	}
	if got := srv.conns.Load(); got != 2 {
		t.Errorf("%d connections, want 2", got)
	}
}

func TestPoolClose(t *testing.T) {
	srv := startServer(t, serverOptions{})
	pool := NewPool(PoolOptions{})
	r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(t)))
	done := make(chan error, 1)
	go func() { _, err := r.Run(context.Background(), "showhang"); done <- err }()
	for srv.active.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	pool.Close()
	wantStage(t, <-done, stage.Command) // the command in flight was aborted
	_, err := r.Run(context.Background(), "showrcopy")
	wantStage(t, err, stage.Connect)
	if !errors.Is(err, ErrPoolClosed) {
		t.Errorf("after Close: %v", err)
	}
}

func TestDetectCLIError(t *testing.T) {
	cases := map[string]string{
		"Remote Copy System Information\nStatus: Started, Normal\n": "",
		"":                                     "",
		"\n\n   \n":                            "",
		"Too many local CLI connections.\n":    "Too many local CLI connections.",
		"\r\n  Error: group g not found  \r\n": "Error: group g not found",
		"error: lower case\n":                  "error: lower case",
		"Permission denied for user x\n":       "Permission denied for user x",
		"User not authorized to run this\n":    "User not authorized to run this",
		"Remote Copy System Information\nError: later lines are data\n": "",
	}
	for in, want := range cases {
		err := DetectCLIError([]byte(in))
		var ce *CLIError
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: unexpected %v", in, err)
		case want != "" && (!errors.As(err, &ce) || ce.Line != want):
			t.Errorf("%q: got %v, want line %q", in, err, want)
		}
	}
	long := "Error: " + strings.Repeat("x", 1000)
	if err := DetectCLIError([]byte(long)); err == nil || len(err.Error()) > 300 {
		t.Errorf("long line not shortened: %v", err)
	}
}

func TestErrorMessage(t *testing.T) {
	e := &Error{Stage: stage.Command, Address: "10.0.0.1:22", Err: &ExitError{Command: "showrcopy", Status: 1, Message: "Error: x"}}
	want := `ssh 10.0.0.1:22: command: "showrcopy" exited with status 1: "Error: x"`
	if e.Error() != want {
		t.Errorf("got  %s\nwant %s", e.Error(), want)
	}
	if fmt.Sprint(passwordOptions("kh")) == "" || strings.Contains(fmt.Sprintf("%+v", passwordOptions("kh")), testPassword) {
		t.Errorf("Options print their password")
	}
}

// BenchmarkRunWarm is one command on a cached connection through the Pool,
// next to the same command with bare x/crypto/ssh on an open connection:
// the difference is what the Pool adds (deadline watchdog, singleflight,
// per-address queue, stderr reading, CLI error detection).
func BenchmarkRunWarm(b *testing.B) {
	srv := startServer(b, serverOptions{})
	b.Run("pool", func(b *testing.B) {
		pool := newPool(b, PoolOptions{})
		r := pool.Runner(srv.addr, "m", passwordOptions(srv.knownHosts(b)))
		ctx := context.Background()
		if _, err := r.Run(ctx, "showrcopy"); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(srv.fixture)))
		for b.Loop() {
			if _, err := r.Run(ctx, "showrcopy"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare", func(b *testing.B) {
		hostKeys, err := knownhosts.New(srv.knownHosts(b))
		if err != nil {
			b.Fatal(err)
		}
		conn, err := gossh.Dial("tcp", srv.addr, &gossh.ClientConfig{User: testUser,
			Auth: []gossh.AuthMethod{gossh.Password(testPassword)}, HostKeyCallback: hostKeys})
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		b.ReportAllocs()
		b.SetBytes(int64(len(srv.fixture)))
		for b.Loop() {
			s, err := conn.NewSession()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.Output("showrcopy"); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
}
