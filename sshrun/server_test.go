package sshrun

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/internal/testtool"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const (
	testUser     = "3paradm"
	testPassword = "3pardata-S3cret"
)

// testServer is an in-process SSH server on 127.0.0.1 that behaves like an
// array's CLI for the commands the tests send.
type testServer struct {
	t       testing.TB
	addr    string
	srv     *gliderssh.Server
	hostKey gossh.Signer
	fixture []byte

	clientKey  gossh.Signer // accepted for public key auth
	clientPriv ed25519.PrivateKey

	logins    atomic.Int32 // authentication attempts (password, keyboard-interactive, public key)
	conns     atomic.Int32 // TCP connections accepted
	open      atomic.Int32 // TCP connections not closed yet
	sessions  atomic.Int32 // commands started
	active    atomic.Int32 // commands running now
	maxActive atomic.Int32 // most commands ever running at once
	release   chan struct{}

	mu       sync.Mutex
	live     []net.Conn
	ctxs     []gliderssh.Context        // one per connection
	poisoned map[gliderssh.Context]bool // connections that refuse new sessions
}

type serverOptions struct {
	keyboardInteractiveOnly bool
	extraHostKeys           []gossh.Signer
	password                string
}

func newECDSASigner(t testing.TB) gossh.Signer {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func startServer(t testing.TB, o serverOptions) *testServer {
	t.Helper()
	fixture, err := os.ReadFile("testdata/showrcopy.txt")
	if err != nil {
		t.Fatal(err)
	}
	if o.password == "" {
		o.password = testPassword
	}
	_, clientPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	clientKey, err := gossh.NewSignerFromKey(clientPriv)
	if err != nil {
		t.Fatal(err)
	}
	s := &testServer{t: t, hostKey: testtool.NewSigner(t), clientKey: clientKey, clientPriv: clientPriv, fixture: fixture,
		release: make(chan struct{}), poisoned: map[gliderssh.Context]bool{}}
	s.srv = &gliderssh.Server{
		Handler:     s.handle,
		HostSigners: append([]gliderssh.Signer{s.hostKey}, toGlider(o.extraHostKeys)...),
		PublicKeyHandler: func(ctx gliderssh.Context, key gliderssh.PublicKey) bool {
			s.logins.Add(1)
			return ctx.User() == testUser && gliderssh.KeysEqual(key, s.clientKey.PublicKey())
		},
		ConnCallback: func(ctx gliderssh.Context, c net.Conn) net.Conn {
			s.conns.Add(1)
			s.open.Add(1)
			c = &countedConn{Conn: c, open: &s.open}
			s.mu.Lock()
			s.live = append(s.live, c)
			s.ctxs = append(s.ctxs, ctx)
			s.mu.Unlock()
			return c
		},
		ChannelHandlers: map[string]gliderssh.ChannelHandler{
			"session": func(srv *gliderssh.Server, conn *gossh.ServerConn, newChan gossh.NewChannel, ctx gliderssh.Context) {
				s.mu.Lock()
				bad := s.poisoned[ctx]
				s.mu.Unlock()
				if bad {
					newChan.Reject(gossh.Prohibited, "no more sessions on this connection")
					return
				}
				gliderssh.DefaultSessionHandler(srv, conn, newChan, ctx)
			},
		},
	}
	if o.keyboardInteractiveOnly {
		s.srv.KeyboardInteractiveHandler = func(ctx gliderssh.Context, challenge gossh.KeyboardInteractiveChallenge) bool {
			s.logins.Add(1)
			answers, err := challenge("", "3PAR login", []string{"Password: "}, []bool{false})
			return err == nil && ctx.User() == testUser && len(answers) == 1 && answers[0] == o.password
		}
	} else {
		s.srv.PasswordHandler = func(ctx gliderssh.Context, pw string) bool {
			s.logins.Add(1)
			return ctx.User() == testUser && pw == o.password
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = l.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(l)
	}()
	t.Cleanup(func() {
		s.srv.Close()
		<-done
	})
	return s
}

func toGlider(signers []gossh.Signer) []gliderssh.Signer {
	out := make([]gliderssh.Signer, len(signers))
	for i, s := range signers {
		out[i] = s
	}
	return out
}

// handle plays the array's CLI: showrcopy prints the fixture, the other
// show* commands inject one fault each.
func (s *testServer) handle(sess gliderssh.Session) {
	s.sessions.Add(1)
	n := s.active.Add(1)
	for {
		m := s.maxActive.Load()
		if n <= m || s.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	// Not active any more before the client can see the end of the command.
	code, exit := s.run(sess)
	s.active.Add(-1)
	switch exit {
	case "exit":
		sess.Exit(code)
	case "drop":
		sess.Context().Value(gliderssh.ContextKeyConn).(gossh.Conn).Close()
	}
}

func (s *testServer) run(sess gliderssh.Session) (code int, how string) {
	args := sess.Command()
	if len(args) == 0 {
		fmt.Fprintln(sess.Stderr(), "no command")
		return 1, "exit"
	}
	switch args[0] {
	case "showrcopy":
		sess.Write(s.fixture)
	case "showslow": // a busy array: slow but within any sane deadline
		time.Sleep(100 * time.Millisecond)
		sess.Write(s.fixture)
	case "showblock": // until the test releases it
		select {
		case <-s.release:
		case <-sess.Context().Done():
			return 0, "gone"
		}
		sess.Write(s.fixture)
	case "showhang":
		<-sess.Context().Done()
		return 0, "gone"
	case "showdisconnect":
		sess.Write(s.fixture[:len(s.fixture)/2])
		return 0, "drop"
	case "showhuge":
		n, _ := strconv.Atoi(args[1])
		io.CopyN(sess, zeroReader{}, int64(n))
	case "showlinger": // like showhuge, but slow to notice a client gone
		n, _ := strconv.Atoi(args[1])
		if _, err := io.CopyN(sess, zeroReader{}, int64(n)); err != nil {
			<-s.release // the test lets it end
			return 0, "gone"
		}
	case "showclierr":
		io.WriteString(sess, "\nToo many local CLI connections.\n")
	case "showexit":
		io.WriteString(sess.Stderr(), "Error: invalid group name\nsecond line\n")
		return 3, "exit"
	case "showversion", "setrcopygroup":
		fmt.Fprintf(sess, "ok: %s\n", strings.Join(args, " "))
	default:
		fmt.Fprintf(sess, "Invalid command %q\n", args[0])
		return 1, "exit"
	}
	return 0, "exit"
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// dropConnections closes every server-side connection (array reboot,
// network cut).
func (s *testServer) dropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.live {
		c.Close()
	}
	s.live = nil
}

// knownHosts writes a known_hosts file holding keys for this server.
func (s *testServer) knownHosts(t testing.TB, keys ...gossh.PublicKey) string {
	t.Helper()
	return s.knownHostsFor(t, s.addr, keys...)
}

// knownHostsFor is knownHosts for the server reached at another address.
func (s *testServer) knownHostsFor(t testing.TB, addr string, keys ...gossh.PublicKey) string {
	t.Helper()
	if len(keys) == 0 {
		keys = []gossh.PublicKey{s.hostKey.PublicKey()}
	}
	var b strings.Builder
	b.WriteString("# test known_hosts\nother.example ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n")
	for _, k := range keys {
		b.WriteString(knownhosts.Line([]string{addr}, k) + "\n")
	}
	path := filepath.Join(t.TempDir(), "known_hosts")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// poison makes the current connections refuse new sessions while staying
// up: a cached connection that turns out unusable.
func (s *testServer) poison() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ctx := range s.ctxs {
		s.poisoned[ctx] = true
	}
}

func (s *testServer) clientKeyPrivate() ed25519.PrivateKey { return s.clientPriv }

func pemEncode(b *pem.Block) []byte { return pem.EncodeToMemory(b) }

// pemEncodeSigner returns the unencrypted PEM of the key the server accepts.
func pemEncodeSigner(t testing.TB, s *testServer) []byte {
	t.Helper()
	b, err := gossh.MarshalPrivateKey(s.clientPriv, "")
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(b)
}

// countedConn keeps testServer.open in step with the connections alive.
type countedConn struct {
	net.Conn
	open *atomic.Int32
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.open.Add(-1) })
	return c.Conn.Close()
}

// blackholeProxy forwards TCP to an SSH server until freeze, after which
// the connections open at that moment stay open but forward nothing: a peer
// that vanished without a reset (firewall, controller failover).
type blackholeProxy struct {
	l      net.Listener
	target string
	wg     sync.WaitGroup

	mu    sync.Mutex
	pairs []*proxyPair
}

type proxyPair struct {
	client, server net.Conn
	frozen         atomic.Bool
}

func startProxy(t testing.TB, target string) *blackholeProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &blackholeProxy{l: l, target: target}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			pair := &proxyPair{client: c, server: s}
			p.mu.Lock()
			p.pairs = append(p.pairs, pair)
			p.mu.Unlock()
			p.wg.Add(2)
			go p.pipe(pair, c, s)
			go p.pipe(pair, s, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		for _, pair := range p.pairs {
			pair.client.Close()
			pair.server.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *blackholeProxy) pipe(pair *proxyPair, src, dst net.Conn) {
	defer p.wg.Done()
	defer pair.client.Close()
	defer pair.server.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			return
		}
		if !pair.frozen.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
	}
}

func (p *blackholeProxy) addr() string { return p.l.Addr().String() }

// freeze blackholes every connection open now.
func (p *blackholeProxy) freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pair := range p.pairs {
		pair.frozen.Store(true)
	}
}
