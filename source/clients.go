package source

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

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
	a.CIM = &moduleCIM{clients: c, module: m, address: address}
	return a
}

// moduleCIM is an array's CIM server as a module reaches it. The client is
// looked up when a read starts: it is shared by every spelling of the
// array's address (its canonical endpoint, as sshrun keys its SSH
// sessions), so that concurrent probes of one array make one CIM read.
type moduleCIM struct {
	clients *Clients
	module  *config.Module
	address string
}

func (mc *moduleCIM) RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error) {
	timeout := mc.module.CIM.Timeout
	if timeout <= 0 {
		timeout = config.DefaultCIMTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	endpoint, err := sshrun.Endpoint(ctx, mc.address)
	if err != nil {
		return nil, fmt.Errorf("cim: %w", err)
	}
	client, err := mc.clients.cimClient(mc.module, mc.address, endpoint)
	if err != nil {
		return nil, err
	}
	return client.RemoteCopyVolumes(ctx)
}

// cimClient returns the module's client for the array at endpoint, made
// with the URL of the first spelling of its address that asked.
func (c *Clients) cimClient(m *config.Module, address, endpoint string) (*cim.Client, error) {
	url := m.CIM.URLFor(address)
	key := m.Name + "\x00" + endpoint
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
		closeAll(c.cims)
		c.cims = map[string]*cim.Client{}
	}
	c.cims[key] = cl
	return cl, nil
}

// Reset is what a configuration reload does: the CIM clients are closed
// (their idle connections with them) and made anew at the next read, as
// passwords or CA files may have changed; a login refused earlier may be
// tried again at once. SSH connections are kept: the pool replaces a
// connection whose credentials or host key settings changed.
func (c *Clients) Reset() {
	c.mu.Lock()
	old := c.cims
	c.cims = nil
	c.mu.Unlock()
	closeAll(old)
	c.pool.ResetAuthBackoff()
}

// closeAll closes replaced clients; a read in flight finishes first.
func closeAll(clients map[string]*cim.Client) {
	for _, cl := range clients {
		cl.Close()
	}
}

// Close closes every SSH connection and CIM client.
func (c *Clients) Close() error {
	c.mu.Lock()
	old := c.cims
	c.cims = nil
	c.mu.Unlock()
	closeAll(old)
	return c.pool.Close()
}
