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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/singleflight"

	"github.com/threepar/rcopy-exporter/config"

	"github.com/threepar/rcopy-exporter/stage"
)

// Runner runs one CLI command on one array and returns its standard output.
// Errors are *Error. The collector and the checker depend only on this.
type Runner interface {
	Run(ctx context.Context, command string) ([]byte, error)
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

// Pool holds one persistent SSH connection per (address, module), reused
// across Runs with a new session per command, and lets at most one command
// run on an array at a time. It is safe for concurrent use.
type Pool struct {
	idle       time.Duration
	staleAfter time.Duration // a cached connection must start a command this fast
	logger     *slog.Logger
	dials      atomic.Uint64

	mu     sync.Mutex
	closed bool
	arrays map[string]*array // by address
	warned map[string]bool   // insecure host key warning logged, by address and module
}

// array is the state shared by every module's runner for one address.
type array struct {
	address string
	slot    chan struct{} // holds one token while a command is in flight
	flight  singleflight.Group

	// Guarded by Pool.mu.
	refs  int              // Runs and executions using this entry
	conns map[string]*conn // by module name
}

type conn struct {
	client      *ssh.Client
	fingerprint [sha256.Size]byte
	ended       chan struct{} // closed when the SSH connection ends

	// Guarded by Pool.mu.
	busy  bool
	timer *time.Timer // idle timer, armed while not busy
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
	p := &Pool{idle: o.IdleTimeout, staleAfter: defaultStaleAfter, logger: o.Logger, arrays: map[string]*array{}, warned: map[string]bool{}}
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
	Open  int    // connections open now
	Dials uint64 // connections attempted since NewPool
}

// Stats returns the current counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := Stats{Dials: p.dials.Load()}
	for _, a := range p.arrays {
		s.Open += len(a.conns)
	}
	return s
}

// Close closes every connection (aborting commands in flight) and makes
// later Runs fail.
func (p *Pool) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for addr, a := range p.arrays {
		for module, c := range a.conns {
			p.dropLocked(a, module, c)
		}
		delete(p.arrays, addr)
	}
	return nil
}

// Runner returns a Runner for the array at address (host[:port], port 22
// by default) using the named module's options. Runners are cheap; the
// connection is shared by every Runner of the same address and module, and
// replaced when opts carry other credentials or host key settings.
func (p *Pool) Runner(address, module string, opts Options) Runner {
	if norm, err := config.NormalizeAddress(address); err == nil {
		address = norm
	}
	return &runner{pool: p, address: address, module: module, opts: opts}
}

type runner struct {
	pool    *Pool
	address string
	module  string
	opts    Options
}

// Run sends command and returns its output. The context's deadline (or
// the module timeout, whichever is sooner) bounds everything, connecting
// included; when it passes, the connection is closed and a *TimeoutError
// is returned. Concurrent Runs of the same command on the same array and
// module share one execution.
func (r *runner) Run(ctx context.Context, command string) ([]byte, error) {
	if err := checkCommand(command, r.opts.AllowChanges); err != nil {
		return nil, &Error{Stage: stage.Command, Address: r.address, Err: err}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.opts.timeout())
	defer cancel()
	deadline, _ := ctx.Deadline()

	a, err := r.pool.hold(r.address)
	if err != nil {
		return nil, &Error{Stage: stage.Connect, Address: r.address, Err: err}
	}
	defer r.pool.unhold(a)

	var leader atomic.Bool
	results := a.flight.DoChan(r.module+"\x00"+command, func() (any, error) {
		leader.Store(true)
		// Hold the entry again for the execution, which may outlive every
		// waiting Run. Should they all have given up before this goroutine
		// started, the entry may have been dropped: hold returns the
		// current one, so the slot stays unique per address.
		current, err := r.pool.hold(r.address)
		if err != nil {
			return nil, &Error{Stage: stage.Connect, Address: r.address, Err: err}
		}
		defer r.pool.unhold(current)
		// Not cancelled with the leader's request (the others share the
		// result), but never past its deadline.
		execCtx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
		defer cancel()
		return r.pool.execute(execCtx, current, r.module, r.opts, command)
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

// hold returns the entry for address, counted as in use.
func (p *Pool) hold(address string) (*array, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrPoolClosed
	}
	a := p.arrays[address]
	if a == nil {
		a = &array{address: address, slot: make(chan struct{}, 1), conns: map[string]*conn{}}
		p.arrays[address] = a
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
	if a.refs == 0 && len(a.conns) == 0 && p.arrays[a.address] == a {
		delete(p.arrays, a.address)
	}
}

// execute runs command with the array's slot held, on the cached
// connection or a new one, retrying once on a fresh connection when the
// cached one turns out dead before the command started.
func (p *Pool) execute(ctx context.Context, a *array, module string, opts Options, command string) ([]byte, error) {
	start := time.Now()
	select {
	case a.slot <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Stage: stage.Command, Address: a.address,
			Err: &TimeoutError{Doing: fmt.Sprintf("waiting for another command on this array to finish before %q", command), After: time.Since(start)}}
	}
	defer func() { <-a.slot }()

	for attempt := 1; ; attempt++ {
		c, reused, err := p.connection(ctx, a, module, opts)
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
		out, res := runCommand(ctx, c.client, command, opts.maxOutput(), start, staleAfter)
		p.finish(a, module, c, res.keep)
		if res.err != nil && !res.started && reused && attempt == 1 && ctx.Err() == nil {
			p.logger.Debug("cached SSH connection is dead; reconnecting", "address", a.address, "module", module, "err", res.err)
			continue
		}
		if res.err != nil {
			return nil, &Error{Stage: stage.Command, Address: a.address, Err: res.err}
		}
		if err := DetectCLIError(out); err != nil {
			return nil, &Error{Stage: stage.Command, Address: a.address, Err: err}
		}
		return out, nil
	}
}

// connection returns the cached connection for module, marked busy, or
// dials a new one. reused tells which.
func (p *Pool) connection(ctx context.Context, a *array, module string, opts Options) (c *conn, reused bool, err error) {
	fp := opts.fingerprint()
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, false, &Error{Stage: stage.Connect, Address: a.address, Err: ErrPoolClosed}
	}
	if c := a.conns[module]; c != nil {
		if c.fingerprint == fp && c.alive() {
			c.busy = true
			c.timer.Stop()
			p.mu.Unlock()
			return c, true, nil
		}
		p.dropLocked(a, module, c) // dead, or the module's settings changed
	}
	if key := a.address + " " + module; opts.InsecureIgnoreHostKey && !p.warned[key] {
		p.warned[key] = true
		p.logger.Warn("SSH host key checking is OFF for this array (insecure_ignore_host_key: true)", "address", a.address, "module", module)
	}
	p.mu.Unlock()

	p.dials.Add(1)
	client, err := dial(ctx, a.address, opts)
	if err != nil {
		return nil, false, err
	}
	c = &conn{client: client, fingerprint: fp, ended: make(chan struct{}), busy: true}
	go func() {
		_ = client.Wait() // returns when the connection ends, however
		close(c.ended)
	}()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		client.Close()
		return nil, false, &Error{Stage: stage.Connect, Address: a.address, Err: ErrPoolClosed}
	}
	a.conns[module] = c
	return c, false, nil
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
	if c.timer == nil {
		c.timer = time.AfterFunc(p.idle, func() { p.expire(a, module, c) })
	} else {
		c.timer.Reset(p.idle)
	}
}

func (p *Pool) expire(a *array, module string, c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.busy || a.conns[module] != c {
		return
	}
	p.logger.Debug("closing idle SSH connection", "address", a.address, "module", module)
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

// dial connects and authenticates within ctx's deadline, which is set on
// the socket itself: x/crypto/ssh's own Timeout covers only the TCP dial.
func dial(ctx context.Context, address string, opts Options) (*ssh.Client, error) {
	start := time.Now()
	fail := func(st stage.Stage, err error) error { return &Error{Stage: st, Address: address, Err: err} }
	hostKeyCheck, algorithms, err := hostKeyPolicy(opts, address)
	if err != nil {
		return nil, fail(stage.Connect, err)
	}
	methods, err := opts.authMethods()
	if err != nil {
		return nil, fail(stage.Auth, err)
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fail(stage.Connect, &TimeoutError{Doing: "connecting", After: time.Since(start)})
		}
		return nil, fail(stage.Connect, err)
	}
	if deadline, ok := ctx.Deadline(); ok {
		nc.SetDeadline(deadline)
	}
	// A cancelled (not only expired) context also ends the handshake.
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })

	var hostKey struct {
		sync.Mutex // the check runs in x/crypto's key exchange goroutine
		err        error
	}
	cfg := &ssh.ClientConfig{
		User: opts.User,
		Auth: methods,
		HostKeyCallback: func(hostname string, remote net.Addr, key ssh.PublicKey) error {
			err := hostKeyCheck(hostname, remote, key)
			hostKey.Lock()
			hostKey.err = err
			hostKey.Unlock()
			return err
		},
		HostKeyAlgorithms: algorithms,
		ClientVersion:     "SSH-2.0-rcopy-exporter",
	}
	sc, chans, reqs, err := ssh.NewClientConn(nc, address, cfg)
	stopped := stop()
	hostKey.Lock()
	hostKeyErr := hostKey.err
	hostKey.Unlock()
	if err != nil {
		nc.Close()
		switch {
		case hostKeyErr != nil:
			return nil, fail(stage.Connect, hostKeyErr)
		case ctx.Err() != nil || isTimeout(err):
			return nil, fail(stage.Connect, &TimeoutError{Doing: "in the SSH handshake", After: time.Since(start)})
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fail(stage.Auth, fmt.Errorf("user %q refused (%s); check the user and its password or key file", opts.User, strings.TrimPrefix(err.Error(), "ssh: handshake failed: ssh: ")))
		}
		return nil, fail(stage.Connect, err)
	}
	if !stopped {
		sc.Close()
		return nil, fail(stage.Connect, &TimeoutError{Doing: "in the SSH handshake", After: time.Since(start)})
	}
	nc.SetDeadline(time.Time{}) // commands are bounded by runCommand's watchdog instead
	return ssh.NewClient(sc, chans, reqs), nil
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
	defer func() {
		if !stop() { // the watchdog closed the connection
			res.keep = false
			if res.err != nil {
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
		client.Close() // the rest is not wanted; this also ends the stderr reader
		<-errText
		return nil, cmdResult{err: fmt.Errorf("output of %q exceeds %d bytes (max_output_bytes)", command, limit), started: true}
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
