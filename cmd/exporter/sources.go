package main

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/source"
)

// sources makes the source.Array a probe reads. Tests replace it with
// fakes.
type sources interface {
	array(pt probeTarget) source.Array
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

// clientSources is the production sources: source.Clients, whose SSH
// connections survive reloads and whose CIM clients are made anew after
// one.
type clientSources struct{ *source.Clients }

func newClientSources(logger *slog.Logger) clientSources {
	return clientSources{source.NewClients(logger)}
}

func (s clientSources) array(pt probeTarget) source.Array {
	return s.Array(pt.name, pt.address, pt.module, false)
}

func (s clientSources) reloaded(*config.Config) { s.Reset() }

// collectors exposes the pool's counters on /metrics.
func (s clientSources) collectors() []prometheus.Collector {
	pool := s.Pool()
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: exporterNamespace, Name: "ssh_connections_open",
			Help: "SSH connections to arrays open now (one per array and module, reused across probes).",
		}, func() float64 { return float64(pool.Stats().Open) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Namespace: exporterNamespace, Name: "ssh_dials_total",
			Help: "SSH connections attempted since the exporter started.",
		}, func() float64 { return float64(pool.Stats().Dials) }),
	}
}
