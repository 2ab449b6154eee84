package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/sshrun"
)

// sources makes what a probe reads from: an SSH runner and, when the module
// has a cim section, a CIM client. Tests replace it with fakes.
type sources interface {
	runner(pt probeTarget) collector.Runner
	// cim returns nil, nil when the module reads no CIM values.
	cim(pt probeTarget) (collector.CIMSource, error)
	// reloaded is told about every newly loaded configuration.
	reloaded(cfg *config.Config)
	Close() error
}

// moduleTimeout is the longest a probe of the module may take when
// Prometheus does not say: SSH and CIM run concurrently, so the larger of
// their timeouts.
func moduleTimeout(m *config.Module) time.Duration {
	t := m.SSH.Timeout
	if m.CIM != nil && m.CIM.Timeout > t {
		t = m.CIM.Timeout
	}
	return t
}

// maxCIMClients bounds the CIM client cache (one per array and module).
const maxCIMClients = 4096

// cimClients caches one CIM client per (module, URL): a client keeps its
// HTTP connections (and TLS sessions) alive across probes. The cache is
// emptied on reload, when passwords or CA files may have changed.
type cimClients struct {
	mu      sync.Mutex
	clients map[string]*cim.Client
}

// get returns the CIM source for the probe, nil when the module has no cim
// section.
func (cc *cimClients) get(pt probeTarget) (collector.CIMSource, error) {
	c := pt.module.CIM
	if c == nil {
		return nil, nil
	}
	url := c.URLFor(pt.address)
	key := pt.moduleName + "\x00" + url
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cl, ok := cc.clients[key]; ok {
		return timeoutCIM{cl, c.Timeout}, nil
	}
	cl, err := cim.NewClient(cim.ClientOptions{
		URL: url, Namespace: c.Namespace, User: c.User, Password: c.Password.Reveal(),
		CAFile: c.CAFile, InsecureSkipVerify: c.InsecureSkipVerify,
	})
	if err != nil {
		return nil, err
	}
	if cc.clients == nil || len(cc.clients) >= maxCIMClients {
		// Probes name their targets, so the cache must not grow without
		// bound; starting over costs one TLS handshake per array.
		cc.clients = map[string]*cim.Client{}
	}
	cc.clients[key] = cl
	return timeoutCIM{cl, c.Timeout}, nil
}

func (cc *cimClients) reset() {
	cc.mu.Lock()
	cc.clients = nil
	cc.mu.Unlock()
}

// timeoutCIM bounds one read by the module's cim timeout (the probe's
// deadline applies too).
type timeoutCIM struct {
	client  *cim.Client
	timeout time.Duration
}

func (t timeoutCIM) RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error) {
	if t.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.timeout)
		defer cancel()
	}
	return t.client.RemoteCopyVolumes(ctx)
}

// failingCIM stands in for a CIM client that could not be made.
type failingCIM struct{ err error }

func (f failingCIM) RemoteCopyVolumes(context.Context) ([]cim.RemoteCopyVolume, error) {
	return nil, f.err
}

// sshSources is the production sources: one sshrun.Pool for the process
// (persistent connections survive reloads) and cached CIM clients.
type sshSources struct {
	pool *sshrun.Pool
	cims cimClients
}

func newSSHSources(logger *slog.Logger) *sshSources {
	return &sshSources{pool: sshrun.NewPool(sshrun.PoolOptions{Logger: logger})}
}

func (s *sshSources) runner(pt probeTarget) collector.Runner {
	return s.pool.Runner(pt.address, pt.moduleName, sshrun.FromConfig(&pt.module.SSH))
}

func (s *sshSources) cim(pt probeTarget) (collector.CIMSource, error) { return s.cims.get(pt) }

func (s *sshSources) reloaded(*config.Config) { s.cims.reset() }

func (s *sshSources) Close() error { return s.pool.Close() }

// collectors exposes the pool's counters on /metrics.
func (s *sshSources) collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: exporterNamespace, Name: "ssh_connections_open",
			Help: "SSH connections to arrays open now (one per array and module, reused across probes).",
		}, func() float64 { return float64(s.pool.Stats().Open) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: exporterNamespace, Name: "ssh_dials_total",
			Help: "SSH connections attempted since the exporter started.",
		}, func() float64 { return float64(s.pool.Stats().Dials) }),
	}
}
