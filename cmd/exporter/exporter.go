package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/expected"
)

// exporterNamespace prefixes the exporter's own metrics on /metrics.
const exporterNamespace = collector.Namespace + "_exporter"

// state is one loaded configuration with everything derived from it. It is
// replaced as a whole on reload, never modified.
type state struct {
	cfg   *config.Config
	table *expected.Table
}

// exporter holds what lives for the whole process: the current state, the
// SSH pool and CIM clients, the exporter's own metrics.
type exporter struct {
	logger        *slog.Logger
	configFile    string
	tableFile     string
	strict        bool
	timeoutOffset time.Duration
	sources       sources
	// maxSeries caps a probe's answer (collector.Options.MaxSeries).
	maxSeries int
	// probeSlots holds one token per probe running; a probe waits for one
	// until its deadline (nil: no cap).
	probeSlots chan struct{}

	mu sync.RWMutex
	st *state

	registry       *prometheus.Registry
	probes         *prometheus.CounterVec
	reloadOK       prometheus.Gauge
	reloadOKTime   prometheus.Gauge
	reloadMu       sync.Mutex // one reload at a time (SIGHUP and POST may race)
	reloadNotifier func()     // tests: called after each reload attempt
}

func newExporter(logger *slog.Logger, configFile, tableFile string, strict bool, offset time.Duration, src sources) *exporter {
	e := &exporter{
		logger: logger, configFile: configFile, tableFile: tableFile, strict: strict,
		timeoutOffset: offset, sources: src,
		registry: prometheus.NewRegistry(),
		probes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: exporterNamespace, Name: "probes_total",
			Help: "Probes served, by result: success (up 1), failure (up 0: the array or its CIM server failed), bad_request (HTTP 400), overload (HTTP 503: --probe.max-concurrent probes were running until the deadline).",
		}, []string{"result"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: exporterNamespace, Name: "config_last_reload_successful",
			Help: "1 if the last configuration reload succeeded.",
		}),
		reloadOKTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: exporterNamespace, Name: "config_last_reload_success_timestamp_seconds",
			Help: "Time of the last successful configuration reload.",
		}),
	}
	for _, r := range []string{"success", "failure", "bad_request", "overload"} {
		e.probes.WithLabelValues(r)
	}
	e.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		versioncollector.NewCollector(exporterNamespace),
		e.probes, e.reloadOK, e.reloadOKTime,
	)
	if m, ok := src.(interface{ collectors() []prometheus.Collector }); ok {
		e.registry.MustRegister(m.collectors()...)
	}
	return e
}

// current returns the state in effect.
func (e *exporter) current() *state {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.st
}

// loadState reads the configuration (and the user's table file) from disk.
func (e *exporter) loadState() (*state, error) {
	cfg, err := config.Load(e.configFile)
	if err != nil {
		return nil, err
	}
	table := expected.Default()
	if e.tableFile != "" {
		if table, err = expected.LoadTable(e.tableFile); err != nil {
			return nil, err
		}
	}
	return &state{cfg: cfg, table: table}, nil
}

// reload replaces the state from disk; on any error the old one stays.
func (e *exporter) reload() error {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	if e.reloadNotifier != nil {
		defer e.reloadNotifier()
	}
	st, err := e.loadState()
	if err != nil {
		e.reloadOK.Set(0)
		if e.current() == nil {
			e.logger.Error("cannot load the configuration", "file", e.configFile, "err", err)
		} else {
			e.logger.Error("configuration not reloaded, keeping the previous one", "file", e.configFile, "err", err)
		}
		return err
	}
	e.mu.Lock()
	e.st = st
	e.mu.Unlock()
	e.sources.reloaded(st.cfg)
	e.reloadOK.Set(1)
	e.reloadOKTime.SetToCurrentTime()
	e.logger.Info("configuration loaded", "file", e.configFile,
		"modules", len(st.cfg.Modules), "targets", len(st.cfg.Targets))
	return nil
}

// serverTimeouts bound every connection of the HTTP server: a client that
// sends its request slowly, never reads the answer or keeps an idle
// connection open cannot hold the exporter's memory or sockets. Writes may
// take as long as the slowest module's probe plus the time to send its
// answer (probes set their own write deadline, so a reload that raises a
// module's timeout is honoured); idle keep-alive connections outlive a
// scrape interval.
func serverTimeouts(cfg *config.Config) (readHeader, read, write, idle time.Duration) {
	longest := config.DefaultSSHTimeout
	for _, m := range cfg.Modules {
		longest = max(longest, moduleTimeout(m))
	}
	return 10 * time.Second, 30 * time.Second, longest + answerWriteTime, 5 * time.Minute
}

// routes builds the HTTP handler.
func (e *exporter) routes() (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc("/probe", e.probeHandler)
	mux.Handle("/metrics", promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/reload", e.reloadHandler)
	mux.HandleFunc("/config", e.configHandler)
	// Go's profiler, which the landing page links to; behind the web
	// configuration's TLS and basic auth like every route.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)

	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "3PAR Remote Copy exporter",
		Description: "Remote copy state of HP 3PAR / Primera / Alletra arrays over SSH (and CIM), checked against the vendor's state tables",
		Version:     version.Info(),
		Form: web.LandingForm{
			Action: "/probe",
			Inputs: []web.LandingFormInput{
				{Label: "Target", Type: "text", Name: "target", Placeholder: "array name or host[:port]"},
				// Empty unless the user types one: a configured target's own
				// module applies when the probe names none.
				{Label: "Module", Type: "text", Name: "module", Placeholder: "the target's own, or default"},
			},
		},
		Links: []web.LandingLinks{
			{Address: "/metrics", Text: "Metrics", Description: "the exporter's own metrics"},
			{Address: "/config", Text: "Configuration", Description: "the loaded configuration (paths absolute; secrets stay in their files)"},
			{Address: "/-/healthy", Text: "Health", Description: "liveness"},
		},
	})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", landing)
	return mux, nil
}

func (e *exporter) reloadHandler(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "use POST to reload the configuration", http.StatusMethodNotAllowed)
		return
	}
	if err := e.reload(); err != nil {
		http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "configuration reloaded")
}

func (e *exporter) configHandler(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, e.current().cfg.Redacted())
}

// watchReloads reloads on every signal received from hup until ctx ends.
func (e *exporter) watchReloads(ctx context.Context, hup <-chan struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			_ = e.reload() // logged; the old configuration stays
		}
	}
}
