package source

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/sshrun"
)

// maxCIMClients bounds the CIM client cache (one per array and module):
// probes name their targets, so the cache must not grow without bound;
// starting over costs one TLS handshake per array.
const maxCIMClients = 4096

// Clients makes Arrays from the configuration: one SSH connection pool
// (persistent connections, one CLI session per array at a time) and one
// CIM client per array and module, kept across reads so that HTTP
// connections and TLS sessions are reused. It is safe for concurrent use.
type Clients struct {
	pool *sshrun.Pool

	mu   sync.Mutex
	cims map[string]*cim.Client
}

// NewClients returns Clients with a fresh pool; logger may be nil.
func NewClients(logger *slog.Logger) *Clients {
	return &Clients{pool: sshrun.NewPool(sshrun.PoolOptions{Logger: logger})}
}

// Pool is the SSH pool, for its statistics.
func (c *Clients) Pool() *sshrun.Pool { return c.pool }

// Array returns the way to read the array at address (host:port) with the
// module's settings: its CLI over SSH (read-only unless allowChanges, which
// only the drill asks for) and its CIM server when the module has a cim
// section. name is how reports and errors call the array. A CIM client
// that cannot be made (an unreadable CA file since the last load...) fails
// every read at stage cim, with the reason.
func (c *Clients) Array(name, address string, m *config.Module, allowChanges bool) Array {
	opts := sshrun.FromConfig(&m.SSH)
	opts.AllowChanges = allowChanges
	a := Array{Name: name, CLI: c.pool.Runner(address, m.Name, opts)}
	if m.CIM == nil {
		return a
	}
	client, err := c.cimClient(m, address)
	if err != nil {
		a.CIM = failingCIM{err}
		return a
	}
	timeout := m.CIM.Timeout
	if timeout <= 0 {
		timeout = config.DefaultCIMTimeout
	}
	a.CIM = timeoutCIM{client, timeout}
	return a
}

func (c *Clients) cimClient(m *config.Module, address string) (*cim.Client, error) {
	url := m.CIM.URLFor(address)
	key := m.Name + "\x00" + url
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.cims[key]; ok {
		return cl, nil
	}
	cl, err := cim.NewClient(cim.ClientOptions{
		URL: url, Namespace: m.CIM.Namespace, User: m.CIM.User, Password: m.CIM.Password.Reveal(),
		CAFile: m.CIM.CAFile, InsecureSkipVerify: m.CIM.InsecureSkipVerify,
	})
	if err != nil {
		return nil, fmt.Errorf("module %s: %w", m.Name, err)
	}
	if c.cims == nil || len(c.cims) >= maxCIMClients {
		c.cims = map[string]*cim.Client{}
	}
	c.cims[key] = cl
	return cl, nil
}

// Reset forgets the CIM clients (after a reload: passwords or CA files may
// have changed). SSH connections are kept: the pool replaces a connection
// whose credentials or host key settings changed.
func (c *Clients) Reset() {
	c.mu.Lock()
	c.cims = nil
	c.mu.Unlock()
}

// Close closes every SSH connection.
func (c *Clients) Close() error { return c.pool.Close() }

// timeoutCIM bounds one read by the module's cim timeout (the caller's
// deadline applies too).
type timeoutCIM struct {
	client  *cim.Client
	timeout time.Duration
}

func (t timeoutCIM) RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	return t.client.RemoteCopyVolumes(ctx)
}

// failingCIM stands in for a CIM client that could not be made.
type failingCIM struct{ err error }

func (f failingCIM) RemoteCopyVolumes(context.Context) ([]cim.RemoteCopyVolume, error) {
	return nil, f.err
}
