package fakearray

import (
	"net"
	"slices"
	"sync"
	"time"
)

// switchListener is a net.Listener that can be switched off and on: off,
// the socket is closed (clients get "connection refused") and every open
// connection drops; on, it binds the same address again. Servers keep
// calling Accept across the switch; it returns an error only after Close.
type switchListener struct {
	mu     sync.Mutex
	addr   string // bound address; fixed after the first bind
	inner  net.Listener
	wake   chan struct{} // closed when the listener comes up or closes
	closed bool
	conns  map[net.Conn]struct{}
}

func newSwitchListener(addr string) (*switchListener, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &switchListener{addr: l.Addr().String(), inner: l, wake: make(chan struct{}), conns: map[net.Conn]struct{}{}}, nil
}

func (l *switchListener) address() string { return l.addr }

// setUp switches the listener on or off.
func (l *switchListener) setUp(up bool) error { return l.setUpSparing(up, "") }

// setUpSparing is setUp that, switching off, keeps the connection from
// remote address spare open (a control session powering off its own array
// answers before its connection drops).
func (l *switchListener) setUpSparing(up bool, spare string) error {
	l.mu.Lock()
	if l.closed || (l.inner != nil) == up {
		l.mu.Unlock()
		return nil
	}
	if !up {
		l.inner.Close()
		l.inner = nil
		conns := l.detachConnsLocked()
		l.mu.Unlock()
		conns = slices.DeleteFunc(conns, func(c net.Conn) bool { return spare != "" && c.RemoteAddr().String() == spare })
		closeAll(conns)
		return nil
	}
	defer l.mu.Unlock()
	in, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	l.inner = in
	close(l.wake)
	l.wake = make(chan struct{})
	return nil
}

func (l *switchListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, net.ErrClosed
		}
		in, wake := l.inner, l.wake
		l.mu.Unlock()
		if in == nil {
			<-wake
			continue
		}
		c, err := in.Accept()
		l.mu.Lock()
		if err != nil {
			switched := l.inner != in || l.closed
			l.mu.Unlock()
			if !switched {
				time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: retry
			}
			continue
		}
		if l.inner != in || l.closed {
			l.mu.Unlock()
			c.Close() // accepted just as the listener switched off
			continue
		}
		tc := &trackedConn{Conn: c, l: l}
		l.conns[tc] = struct{}{}
		l.mu.Unlock()
		return tc, nil
	}
}

// Close closes the listener and every connection it accepted.
func (l *switchListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if l.inner != nil {
		l.inner.Close()
		l.inner = nil
	}
	close(l.wake)
	conns := l.detachConnsLocked()
	l.mu.Unlock()
	closeAll(conns)
	return nil
}

func (l *switchListener) detachConnsLocked() []net.Conn {
	out := make([]net.Conn, 0, len(l.conns))
	for c := range l.conns {
		out = append(out, c)
	}
	return out
}

func closeAll(conns []net.Conn) {
	for _, c := range conns {
		c.Close()
	}
}

func (l *switchListener) Addr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", l.addr)
	return a
}

// trackedConn removes itself from its listener when closed.
type trackedConn struct {
	net.Conn
	l    *switchListener
	once sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
