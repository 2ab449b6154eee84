package sshrun

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/singleflight"

	"github.com/threepar/rcopy-exporter/config"

	"github.com/threepar/rcopy-exporter/stage"
)

// Runner runs CLI commands on one array with one module's settings. Errors
// are *Error. The collector and the checker depend only on this.
type Runner interface {
	// Run sends command and returns its standard output.
	Run(ctx context.Context, command string) ([]byte, error)
	// Connect makes sure the Pool holds a connection to the array for this
	// module whose host key was verified for this address (against
	// known_hosts, or accepted because the module sets
	// insecure_ignore_host_key), connecting and logging in when there is
	// none. Errors are those of Run: stage connect for the address, the
	// TCP connection or the host key, auth for the login. A caller that
	// sends credentials to the same host by another way (the CIM read)
	// calls it first, so that nothing goes to a host whose SSH key is not
	// the array's.
	Connect(ctx context.Context) error
}

// DefaultIdleTimeout is how long an unused connection stays open.
const DefaultIdleTimeout = 5 * time.Minute

// defaultStaleAfter bounds how long a cached connection may take to start a
// command before it is presumed dead (a healthy one takes milliseconds).
const (
	defaultStaleAfter = 5 * time.Second
	minStaleAfter     = time.Second
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	IdleTimeout time.Duration // close connections unused this long (0: DefaultIdleTimeout)
	Logger      *slog.Logger  // nil: no logging
}

// Pool holds one persistent SSH connection per array and module, reused
// across Runs with a new session per command, and lets at most one command
// run on an array at a time. An array is its canonical endpoint (Endpoint):
// every spelling of its address shares its slot and its connections. It
// is safe for concurrent use.
type Pool struct {
	idle       time.Duration
	staleAfter time.Duration // a cached connection must start a command this fast
	logger     *slog.Logger
	dials      atomic.Uint64
	now        func() time.Time // the clock of the auth back-off; tests replace it

	mu           sync.Mutex
	closed       bool
	arrays       map[string]*array      // by endpoint
	warned       map[string]bool        // insecure host key warning logged, by endpoint and module
	authFailures map[string]authFailure // refused logins, by endpoint, module and credentials
}

// authFailure is a login the array refused: no new one until the time.
type authFailure struct {
	until time.Time
	err   error // the refusal
}

// array is the state shared by every module's runner for one endpoint.
type array struct {
	endpoint string
	slot     chan struct{} // holds one token while a command is in flight
	flight   singleflight.Group
	logins   singleflight.Group // one dial and login at a time per module and credentials

	// Guarded by Pool.mu.
	refs  int              // Runs and executions using this entry
	conns map[string]*conn // by module name
}

type conn struct {
	client      *ssh.Client
	fingerprint [sha256.Size]byte
	hostKey     ssh.PublicKey // the server's key, to check it for other names of the array
	ended       chan struct{} // closed when the SSH connection ends

	// Guarded by Pool.mu.
	busy     bool
	timer    *time.Timer     // idle timer, armed while not busy
	verified map[string]bool // names (host:port) the host key was checked for
}

func (c *conn) alive() bool {
	select {
	case <-c.ended:
		return false
	default:
		return true
	}
}

// NewPool returns an empty pool. Call Close when done.
func NewPool(o PoolOptions) *Pool {
	p := &Pool{idle: o.IdleTimeout, staleAfter: defaultStaleAfter, logger: o.Logger, now: time.Now,
		arrays: map[string]*array{}, warned: map[string]bool{}, authFailures: map[string]authFailure{}}
	if p.idle <= 0 {
		p.idle = DefaultIdleTimeout
	}
	if p.logger == nil {
		p.logger = slog.New(slog.DiscardHandler)
	}
	return p
}

// Stats are counters for the exporter's own metrics and for tests.
type Stats struct {
	Open    int    // connections open now
	Dials   uint64 // connections attempted since NewPool
	Running int    // arrays with a command in flight now (its slot held)
}

// Stats returns the current counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Dials: p.dials.Load()}
	for _, a := range p.arrays {
		s.Open += len(a.conns)
		s.Running += len(a.slot)
	}
	return s
}

// Close closes every connection (aborting commands in flight) and makes
// later Runs fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for ep, a := range p.arrays {
		for module, c := range a.conns {
			p.dropLocked(a, module, c)
		}
		delete(p.arrays, ep)
	}
	return nil
}

// ResetAuthBackoff forgets every refused login, so that the next Run of
// each array logs in again. The exporter calls it when its configuration
// is reloaded (the operator may have fixed the password on the array
// rather than in the file).
func (p *Pool) ResetAuthBackoff() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.authFailures)
}

// Runner returns a Runner for the array at address (host[:port], port 22
// by default) using the named module's options. Runners are cheap; the
// address is resolved at every Run and Connect (within its context). The
// connection is shared by every Runner of the same array and module,
// whatever the spelling of the address, and replaced when opts carry other
// credentials or host key settings.
func (p *Pool) Runner(address, module string, opts Options) Runner {
	if norm, err := config.NormalizeAddress(address); err == nil {
		address = norm
	}
	return &runner{pool: p, address: address, module: module, opts: opts}
}

type runner struct {
	pool    *Pool
	address string // as given (normalised), for messages
	module  string
	opts    Options
}

// target is a runner's array as resolved for one Run or Connect.
type target struct {
	*runner
	endpoint netip.AddrPort
	name     string // address with the host lower-cased: what known_hosts names
}

func (r *runner) resolve(ctx context.Context) (target, error) {
	ep, name, err := resolve(ctx, r.address)
	if err != nil {
		return target{}, &Error{Stage: stage.Connect, Address: r.address, Err: err}
	}
	return target{runner: r, endpoint: ep, name: name}, nil
}

// Connect implements Runner.
func (r *runner) Connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
	defer cancel()
	t, err := r.resolve(ctx)
	if err != nil {
		return err
	}
	a, err := r.pool.hold(t.endpoint.String())
	if err != nil {
		return &Error{Stage: stage.Connect, Address: r.address, Err: err}
	}
	defer r.pool.unhold(a)
	_, _, err = r.pool.connection(ctx, a, t, false)
	return err
}

// Run sends command and returns its output. The context's deadline (or
// the module timeout, whichever is sooner) bounds everything, resolving
// and connecting included; when it passes, the connection is closed and a
// *TimeoutError is returned. Concurrent Runs of the same command on the
// same array, module and address share one execution.
func (r *runner) Run(ctx context.Context, command string) ([]byte, error) {
	if err := checkCommand(command, r.opts.AllowChanges); err != nil {
		return nil, &Error{Stage: stage.Command, Address: r.address, Err: err}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
	defer cancel()
	deadline, _ := ctx.Deadline()

	t, err := r.resolve(ctx)
	if err != nil {
		return nil, err
	}
	endpoint := t.endpoint.String()
	a, err := r.pool.hold(endpoint)
	if err != nil {
		return nil, &Error{Stage: stage.Connect, Address: r.address, Err: err}
	}
	defer r.pool.unhold(a)

	var leader atomic.Bool
	// Runs through another name of the array do not share: each name's
	// host key check is its own. They still take turns in the slot.
	results := a.flight.DoChan(r.module+"\x00"+t.name+"\x00"+command, func() (any, error) {
		leader.Store(true)
		// Hold the entry again for the execution, which may outlive every
		// waiting Run. Should they all have given up before this goroutine
		// started, the entry may have been dropped: hold returns the
		// current one, so the slot stays unique per endpoint.
		current, err := r.pool.hold(endpoint)
		if err != nil {
			return nil, &Error{Stage: stage.Connect, Address: r.address, Err: err}
		}
		defer r.pool.unhold(current)
		// Not cancelled with the leader's request (the others share the
		// result), but never past its deadline.
		execCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
		defer cancel()
		return r.pool.execute(execCtx, current, t, command)
	})
	if testHookJoined != nil {
		testHookJoined()
	}
	select {
	case res := <-results:
		return output(res)
	case <-ctx.Done():
		expired := errors.Is(ctx.Err(), context.DeadlineExceeded)
		switch {
		case leader.Load() && expired:
			// The execution has this same deadline and closes its
			// connection when it passes: its own error says more.
			return output(<-results)
		case leader.Load():
			// Cancelled: the execution goes on, within the deadline, for
			// any other probe sharing it.
			return nil, &Error{Stage: stage.Command, Address: r.address, Err: fmt.Errorf("cancelled while running %q: %w", command, ctx.Err())}
		case expired:
			return nil, &Error{Stage: stage.Command, Address: r.address,
				Err: &TimeoutError{Doing: fmt.Sprintf("waiting for %q (another probe of this array was running it)", command), After: time.Since(start)}}
		default:
			return nil, &Error{Stage: stage.Command, Address: r.address, Err: fmt.Errorf("cancelled while waiting for %q (another probe of this array was running it): %w", command, ctx.Err())}
		}
	}
}

// testHookJoined, when set by a test, is called once a Run has joined (or
// started) the shared execution of its command.
var testHookJoined func()

func output(res singleflight.Result) ([]byte, error) {
	if res.Err != nil {
		return nil, res.Err
	}
	out := res.Val.([]byte)
	if res.Shared {
		out = bytes.Clone(out) // each caller may change its copy
	}
	return out, nil
}

// hold returns the entry for endpoint, counted as in use.
func (p *Pool) hold(endpoint string) (*array, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrPoolClosed
	}
	a := p.arrays[endpoint]
	if a == nil {
		a = &array{endpoint: endpoint, slot: make(chan struct{}, 1), conns: map[string]*conn{}}
		p.arrays[endpoint] = a
	}
	a.refs++
	return a, nil
}

func (p *Pool) unhold(a *array) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a.refs--
	p.forgetLocked(a)
}

// forgetLocked drops an unused entry with no connection, so that probing
// many addresses does not grow the pool forever.
func (p *Pool) forgetLocked(a *array) {
	if a.refs == 0 && len(a.conns) == 0 && p.arrays[a.endpoint] == a {
		delete(p.arrays, a.endpoint)
	}
}

// execute runs command with the array's slot held, on the cached
// connection or a new one, retrying once on a fresh connection when the
// cached one turns out dead before the command started.
func (p *Pool) execute(ctx context.Context, a *array, t target, command string) ([]byte, error) {
	start := time.Now()
	select {
	case a.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Stage: stage.Command, Address: t.address,
			Err: &TimeoutError{Doing: fmt.Sprintf("waiting for another command on this array to finish before %q", command), After: time.Since(start)}}
	}
	defer func() { <-a.slot }()

	for attempt := 1; ; attempt++ {
		c, reused, err := p.connection(ctx, a, t, true)
		if err != nil {
			return nil, err
		}
		var staleAfter time.Duration
		if reused {
			staleAfter = p.staleAfter
			if deadline, ok := ctx.Deadline(); ok && time.Until(deadline)/2 < staleAfter {
				// Leave the other half for the retry; with too little
				// time for one, a slow array is just slow.
				staleAfter = time.Until(deadline) / 2
				if staleAfter < minStaleAfter {
					staleAfter = 0
				}
			}
		}
		out, res := runCommand(ctx, c.client, command, t.opts.maxOutput(), start, staleAfter)
		p.finish(a, t.module, c, res.keep)
		if res.err != nil && !res.started && reused && attempt == 1 && ctx.Err() == nil {
			p.logger.Debug("cached SSH connection is dead; reconnecting", "address", t.address, "module", t.module, "err", res.err)
			continue
		}
		if res.err != nil {
			return nil, &Error{Stage: stage.Command, Address: t.address, Err: res.err}
		}
		if err := DetectCLIError(out); err != nil {
			return nil, &Error{Stage: stage.Command, Address: t.address, Err: err}
		}
		return out, nil
	}
}

// connection returns a connection for t's module whose host key was
// verified for t's name: the pooled one, or a new one. With busy (the
// caller holds the array's slot and will run a command) it is marked in
// use and must be given back with finish. reused tells whether it was
// pooled before this call.
func (p *Pool) connection(ctx context.Context, a *array, t target, busy bool) (c *conn, reused bool, err error) {
	fp := t.opts.fingerprint()
	for attempt := 0; ; attempt++ {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, false, &Error{Stage: stage.Connect, Address: t.address, Err: ErrPoolClosed}
		}
		c := a.conns[t.module]
		if c != nil && (c.fingerprint != fp || !c.alive()) {
			p.retireLocked(a, t.module, c) // dead, or the module's settings changed
			c = nil
		}
		if c != nil {
			if busy {
				c.busy = true
				c.timer.Stop()
			}
			verified := c.verified[t.name]
			p.mu.Unlock()
			if !verified {
				if err := p.verify(ctx, c, t); err != nil {
					if busy {
						p.finish(a, t.module, c, true)
					}
					return nil, false, err
				}
			}
			return c, attempt == 0, nil
		}
		p.mu.Unlock()
		if attempt > 0 {
			// The connection this call waited for is gone already.
			return nil, false, &Error{Stage: stage.Connect, Address: t.address, Err: errors.New("the new connection closed right after the login")}
		}
		if err := p.login(ctx, a, t, fp); err != nil {
			return nil, false, err
		}
	}
}

// verify checks a pooled connection's host key for another name of the
// array than the one it was dialed with, as a dial with that name would.
func (p *Pool) verify(ctx context.Context, c *conn, t target) error {
	check, _, err := hostKeyPolicy(ctx, t.opts, t.name)
	if err == nil {
		err = check(t.name, c.client.RemoteAddr(), c.hostKey)
	}
	if err != nil {
		return &Error{Stage: stage.Connect, Address: t.address, Err: err}
	}
	p.mu.Lock()
	c.verified[t.name] = true
	p.mu.Unlock()
	return nil
}

// login dials the array and logs in, once for all the callers that need a
// connection for the same module and credentials at the same time, and
// pools the connection (idle, its timer armed). A refused login is not
// tried again for the module's AuthBackoff.
func (p *Pool) login(ctx context.Context, a *array, t target, fp [sha256.Size]byte) error {
	start := time.Now()
	deadline, _ := ctx.Deadline()
	results := a.logins.DoChan(t.module+"\x00"+string(fp[:]), func() (any, error) {
		// Hold the entry for the login, which may outlive its callers
		// (as for a command's execution in Run).
		current, err := p.hold(a.endpoint)
		if err != nil {
			return nil, &Error{Stage: stage.Connect, Address: t.address, Err: err}
		}
		defer p.unhold(current)
		// Not cancelled with the first caller, but never past its deadline.
		ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
		defer cancel()
		return nil, p.dialAndPool(ctx, current, t, fp)
	})
	select {
	case res := <-results:
		return res.Err
	case <-ctx.Done():
		return &Error{Stage: stage.Connect, Address: t.address, Err: &TimeoutError{Doing: "connecting (another probe of this array was logging in)", After: time.Since(start)}}
	}
}

func (p *Pool) dialAndPool(ctx context.Context, a *array, t target, fp [sha256.Size]byte) error {
	creds := t.opts.credentials()
	failureKey := a.endpoint + "\x00" + t.module + "\x00" + string(creds[:])
	p.mu.Lock()
	if c := a.conns[t.module]; c != nil && c.fingerprint == fp && c.alive() {
		// Pooled by a login that ended after this caller looked.
		p.mu.Unlock()
		return nil
	}
	if f, ok := p.authFailures[failureKey]; ok {
		if p.now().Before(f.until) {
			p.mu.Unlock()
			return &Error{Stage: stage.Auth, Address: t.address, Err: &AuthBackoffError{Until: f.until, Cause: f.err}}
		}
		delete(p.authFailures, failureKey)
	}
	if key := a.endpoint + " " + t.module; t.opts.InsecureIgnoreHostKey && !p.warned[key] {
		p.warned[key] = true
		p.logger.Warn("SSH host key checking is OFF for this array (insecure_ignore_host_key: true)", "address", t.address, "module", t.module)
	}
	p.mu.Unlock()

	p.dials.Add(1)
	client, hostKey, err := dial(ctx, t.endpoint, t.name, t.address, t.opts)
	if err != nil {
		var refused *loginRefusedError
		if errors.As(err, &refused) && t.opts.AuthBackoff > 0 {
			until := p.now().Add(t.opts.AuthBackoff)
			p.mu.Lock()
			p.pruneAuthFailuresLocked()
			p.authFailures[failureKey] = authFailure{until: until, err: refused}
			p.mu.Unlock()
			// Info: the failed probe's own warning says why; this says
			// for how long no login follows.
			p.logger.Info("SSH login refused; not logging in to this array again with these credentials until the back-off ends, a config reload or a changed secret",
				"address", t.address, "module", t.module, "until", until.Format(time.RFC3339), "auth_backoff", t.opts.AuthBackoff)
		}
		return err
	}
	c := &conn{client: client, fingerprint: fp, hostKey: hostKey, ended: make(chan struct{}), verified: map[string]bool{t.name: true}}
	go func() {
		_ = client.Wait() // returns when the connection ends, however
		close(c.ended)
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		client.Close()
		return &Error{Stage: stage.Connect, Address: t.address, Err: ErrPoolClosed}
	}
	if old := a.conns[t.module]; old != nil {
		p.retireLocked(a, t.module, old)
	}
	a.conns[t.module] = c
	c.timer = time.AfterFunc(p.idle, func() { p.expire(a, t.module, c) })
	return nil
}

// pruneAuthFailuresLocked forgets back-offs that have ended, so that the
// map does not grow with every address ever probed.
func (p *Pool) pruneAuthFailuresLocked() {
	now := p.now()
	for k, f := range p.authFailures {
		if !now.Before(f.until) {
			delete(p.authFailures, k)
		}
	}
}

// retireLocked takes a connection out of the pool: closed now when idle,
// or by finish once its command ends.
func (p *Pool) retireLocked(a *array, module string, c *conn) {
	if c.busy {
		delete(a.conns, module)
		return
	}
	p.dropLocked(a, module, c)
}

// finish returns a connection to the pool (arming its idle timer) or, when
// it is not fit for reuse, closes it.
func (p *Pool) finish(a *array, module string, c *conn, keep bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.busy = false
	if !keep || p.closed || !c.alive() || a.conns[module] != c {
		p.dropLocked(a, module, c)
		return
	}
	c.timer.Reset(p.idle)
}

func (p *Pool) expire(a *array, module string, c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.busy || a.conns[module] != c {
		return
	}
	p.logger.Debug("closing idle SSH connection", "endpoint", a.endpoint, "module", module)
	p.dropLocked(a, module, c)
	p.forgetLocked(a)
}

func (p *Pool) dropLocked(a *array, module string, c *conn) {
	if c.timer != nil {
		c.timer.Stop()
	}
	if a.conns[module] == c {
		delete(a.conns, module)
	}
	c.client.Close()
}

// dial connects to endpoint and logs in within ctx's deadline, which is
// set on the socket itself: x/crypto/ssh's own Timeout covers only the TCP
// dial. The host key is checked for name (what known_hosts names); address
// is how messages name the array. It returns the server's host key too.
func dial(ctx context.Context, endpoint netip.AddrPort, name, address string, opts Options) (*ssh.Client, ssh.PublicKey, error) {
	start := time.Now()
	fail := func(st stage.Stage, err error) (*ssh.Client, ssh.PublicKey, error) {
		return nil, nil, &Error{Stage: st, Address: address, Err: err}
	}
	hostKeyCheck, algorithms, err := hostKeyPolicy(ctx, opts, name)
	if err != nil {
		if ctx.Err() != nil {
			return fail(stage.Connect, &TimeoutError{Doing: "reading the known_hosts file", After: time.Since(start)})
		}
		return fail(stage.Connect, err)
	}
	methods, err := opts.authMethods()
	if err != nil {
		return fail(stage.Auth, err)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", endpoint.String())
	if err != nil {
		if ctx.Err() != nil {
			return fail(stage.Connect, &TimeoutError{Doing: "connecting", After: time.Since(start)})
		}
		return fail(stage.Connect, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	// A cancelled (not only expired) context also ends the handshake.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })

	var hostKey struct {
		sync.Mutex // the check runs in x/crypto's key exchange goroutine
		err        error
		key        ssh.PublicKey
	}
	cfg := &ssh.ClientConfig{
		User: opts.User,
		Auth: methods,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := hostKeyCheck(hostname, remote, key)
			hostKey.Lock()
			hostKey.err = err
			hostKey.key = key
			hostKey.Unlock()
			return err
		},
		HostKeyAlgorithms: algorithms,
		ClientVersion:     "SSH-2.0-rcopy-exporter",
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, name, cfg)
	stopped := stop()
	hostKey.Lock()
	hostKeyErr, key := hostKey.err, hostKey.key
	hostKey.Unlock()
	if err != nil {
		nc.Close()
		switch {
		case hostKeyErr != nil:
			return fail(stage.Connect, hostKeyErr)
		case ctx.Err() != nil || isTimeout(err):
			return fail(stage.Connect, &TimeoutError{Doing: "in the SSH handshake", After: time.Since(start)})
		case strings.Contains(err.Error(), "unable to authenticate"):
			return fail(stage.Auth, &loginRefusedError{user: opts.User, reason: strings.TrimPrefix(err.Error(), "ssh: handshake failed: ssh: ")})
		}
		return fail(stage.Connect, err)
	}
	if !stopped {
		sc.Close()
		return fail(stage.Connect, &TimeoutError{Doing: "in the SSH handshake", After: time.Since(start)})
	}
	nc.SetDeadline(time.Time{}) // commands are bounded by runCommand's watchdog instead
	return ssh.NewClient(sc, chans, reqs), key, nil
}

// loginRefusedError is the array refusing the login (wrong user, password
// or key), as opposed to a login never tried: the one failure that backs
// off.
type loginRefusedError struct {
	user, reason string
}

func (e *loginRefusedError) Error() string {
	return fmt.Sprintf("user %q refused (%s); check the user and its password or key file", e.user, e.reason)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// cmdResult says how a command ended and whether its connection is fit for
// reuse. started is false when the command never reached the array (no
// session or exec refused), so that it is safe to retry.
type cmdResult struct {
	err     error
	started bool
	keep    bool
}

const maxStderrBytes = 64 << 10

// startSession opens a session and starts command in it.
func startSession(client *ssh.Client, command string) (*ssh.Session, io.Reader, io.Reader, error) {
	sess, err := client.NewSession()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("opening a session: %v", err)
	}
	stdout, err := sess.StdoutPipe()
	if err != nil {
		return sess, nil, nil, err
	}
	stderr, err := sess.StderrPipe()
	if err != nil {
		return sess, nil, nil, err
	}
	if err := sess.Start(command); err != nil {
		return sess, nil, nil, fmt.Errorf("starting %q: %v", command, err)
	}
	return sess, stdout, stderr, nil
}

// runCommand runs command in a new session. A watchdog closes the whole
// connection when ctx ends, which unblocks every read and ends the session
// on the array too.
func runCommand(ctx context.Context, client *ssh.Client, command string, limit int64, start time.Time, staleAfter time.Duration) (out []byte, res cmdResult) {
	stop := context.AfterFunc(ctx, func() { client.Close() })
	tooLong := false
	defer func() {
		if !stop() { // the watchdog closed the connection
			res.keep = false
			if res.err != nil && !tooLong {
				res.err = &TimeoutError{Doing: fmt.Sprintf("running %q (connection closed)", command), After: time.Since(start)}
				out = nil
			}
		}
	}()

	// A cached connection whose peer vanished silently (no RST: a firewall
	// or a controller failover) would hang until the deadline: give it
	// staleAfter to open the session, then close it so that the caller
	// retries on a fresh connection within the same deadline.
	var stale *time.Timer
	if staleAfter > 0 {
		stale = time.AfterFunc(staleAfter, func() { client.Close() })
	}
	sess, stdout, stderr, err := startSession(client, command)
	if sess != nil {
		defer sess.Close()
	}
	if stale != nil && !stale.Stop() {
		return nil, cmdResult{err: fmt.Errorf("cached connection did not start %q within %s", command, staleAfter)}
	}
	if err != nil {
		return nil, cmdResult{err: err}
	}
	errText := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(stderr, maxStderrBytes))
		_, _ = io.Copy(io.Discard, stderr) // keep the channel flowing
		errText <- b
	}()

	out, readErr := io.ReadAll(io.LimitReader(stdout, limit+1))
	if int64(len(out)) > limit {
		// The rest is not wanted, but it is read (and dropped) until the
		// command ends: closing the connection instead would leave the
		// command running on the array until it noticed, while the slot
		// let the next command start beside it. The watchdog still ends
		// this at the deadline.
		tooLong = true
		_, drainErr := io.Copy(io.Discard, stdout)
		<-errText
		var exit *ssh.ExitError
		waitErr := sess.Wait()
		ended := drainErr == nil && (waitErr == nil || errors.As(waitErr, &exit))
		return nil, cmdResult{err: fmt.Errorf("output of %q exceeds %d bytes (max_output_bytes)", command, limit), started: true, keep: ended}
	}
	stderrOut := <-errText
	waitErr := sess.Wait()
	if readErr != nil {
		return nil, cmdResult{err: fmt.Errorf("reading output of %q: %v", command, readErr), started: true}
	}
	var exit *ssh.ExitError
	switch {
	case waitErr == nil:
		return out, cmdResult{started: true, keep: true}
	case errors.As(waitErr, &exit):
		msg := firstLine(stderrOut)
		if msg == "" {
			msg = firstLine(out)
		}
		return nil, cmdResult{err: &ExitError{Command: command, Status: exit.ExitStatus(), Message: msg}, started: true, keep: true}
	default:
		return nil, cmdResult{err: fmt.Errorf("connection lost before %q finished (%v)", command, waitErr), started: true}
	}
}
