package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/config"
)

// scrapeTimeoutHeader is how Prometheus tells a target its scrape timeout.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

// answerWriteTime is how long sending an answer may take after the probe's
// deadline (a 2400-volume answer is about 100 KB gzipped).
var answerWriteTime = 30 * time.Second

// probeTarget is a /probe request resolved against the configuration.
type probeTarget struct {
	name       string // as given in target=
	address    string // host:port to dial
	moduleName string
	module     *config.Module
}

// badRequest is a probe request the exporter cannot run (HTTP 400).
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

// resolveTarget turns target= and module= into what to dial with which
// settings (config.Resolve: a name from the config's targets brings its
// address and module, an explicit module= overrides the latter; anything
// else must be HOST[:PORT] and uses module= or "default"). A HOST that is
// neither an IP address nor a DNS name, or a bare word (no dot, no port)
// that is no configured name, is refused here rather than failing later as
// a connect error: it is a typo, not an array fault.
func resolveTarget(cfg *config.Config, target, moduleParam string) (probeTarget, error) {
	if target == "" {
		return probeTarget{}, &badRequest{"missing parameter target (a name from the config's targets or HOST[:PORT])"}
	}
	address, m, err := cfg.Resolve(target, moduleParam)
	if err != nil {
		return probeTarget{}, &badRequest{err.Error()}
	}
	if _, named := cfg.Targets[target]; !named {
		host := config.Host(address)
		if net.ParseIP(host) == nil && !isDNSName(host) {
			return probeTarget{}, &badRequest{fmt.Sprintf("target %q is neither a name under targets: nor HOST[:PORT]", target)}
		}
		// A bare word is a mistyped target name far more often than a
		// host to look up in DNS: say so, rather than fail to resolve it.
		if _, _, err := net.SplitHostPort(target); err != nil && net.ParseIP(host) == nil && !strings.Contains(host, ".") {
			return probeTarget{}, &badRequest{fmt.Sprintf("unknown target %q (configured: %s; a host name needs a dot or :PORT)", target, targetNames(cfg))}
		}
	}
	return probeTarget{name: target, address: address, moduleName: m.Name, module: m}, nil
}

// targetNames lists the configured target names for a message, a few at
// most.
func targetNames(cfg *config.Config) string {
	names := make([]string, 0, len(cfg.Targets))
	for n := range cfg.Targets {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	const shown = 10
	if len(names) > shown {
		return strings.Join(names[:shown], ", ") + fmt.Sprintf(" and %d more", len(names)-shown)
	}
	return strings.Join(names, ", ")
}

// isDNSName reports whether s is a syntactically valid host name.
func isDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}

// probeTimeout works like blackbox_exporter's: Prometheus' scrape timeout
// (header) minus the offset, capped by the module's timeout. When the offset
// would leave nothing, half the scrape timeout is used, so that the answer
// still arrives before Prometheus gives up. The arithmetic is done in float
// seconds and clamped to the module's timeout before it becomes a Duration:
// a header of 1e10 seconds must not overflow.
func probeTimeout(r *http.Request, moduleTimeout, offset time.Duration) (time.Duration, error) {
	v := r.Header.Get(scrapeTimeoutHeader)
	if v == "" {
		return moduleTimeout, nil
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return 0, &badRequest{fmt.Sprintf("bad %s header %q: want a positive number of seconds", scrapeTimeoutHeader, v)}
	}
	budget := secs - offset.Seconds()
	if budget <= 0 {
		budget = secs / 2
	}
	if moduleTimeout > 0 && budget >= moduleTimeout.Seconds() {
		return moduleTimeout, nil
	}
	return time.Duration(budget * float64(time.Second)), nil
}

// probeHandler serves /probe the blackbox_exporter way: the target's
// collector in a fresh registry, served by promhttp (which negotiates
// gzip, OpenMetrics and protocol buffers). Array faults answer 200 with up
// 0; only a request the exporter cannot run answers 400.
func (e *exporter) probeHandler(w http.ResponseWriter, r *http.Request) {
	st := e.current()
	q := r.URL.Query()
	pt, err := resolveTarget(st.cfg, q.Get("target"), q.Get("module"))
	if err == nil {
		var timeout time.Duration
		timeout, err = probeTimeout(r, moduleTimeout(pt.module), e.timeoutOffset)
		if err == nil {
			e.probe(w, r, st, pt, timeout)
			return
		}
	}
	e.probes.WithLabelValues("bad_request").Inc()
	e.logger.Debug("bad probe request", "url", r.URL.RequestURI(), "err", err)
	http.Error(w, err.Error(), http.StatusBadRequest)
}

func (e *exporter) probe(w http.ResponseWriter, r *http.Request, st *state, pt probeTarget, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	// The answer must be written within the probe's deadline plus the time
	// to send it: a client that never reads cannot pin it in memory.
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(timeout + answerWriteTime))
	if e.probeSlots != nil {
		select {
		case e.probeSlots <- struct{}{}:
			defer func() { <-e.probeSlots }()
		case <-ctx.Done():
			e.probes.WithLabelValues("overload").Inc()
			e.logger.Warn("probe not run: too many probes at once", "target", pt.name, "max", cap(e.probeSlots))
			http.Error(w, fmt.Sprintf("too many probes at once (--probe.max-concurrent=%d)", cap(e.probeSlots)), http.StatusServiceUnavailable)
			return
		}
	}
	logger := e.logger.With("module", pt.moduleName) // the collector adds the target
	c := collector.New(ctx, collector.Options{
		Target:     pt.name,
		Array:      e.sources.array(pt),
		Table:      st.table,
		Strict:     e.strict,
		GroupsOnly: !pt.module.VolumeMetrics,
		MaxSeries:  e.maxSeries,
		Location:   pt.module.Location,
		Logger:     logger,
	})
	registry := prometheus.NewRegistry()
	registry.MustRegister(c)
	h := promhttp.HandlerFor(registry, promhttp.HandlerOpts{
		ErrorHandling:      promhttp.ContinueOnError,
		ErrorLog:           slog.NewLogLogger(logger.Handler(), slog.LevelError),
		EnableOpenMetrics:  true,
		DisableCompression: true, // gzipped below, at BestSpeed
	})
	gzipFast(h).ServeHTTP(w, r)
	if c.Up() {
		e.probes.WithLabelValues("success").Inc()
	} else {
		e.probes.WithLabelValues("failure").Inc()
	}
}

// gzipWriters are reused across probes: a gzip.Writer carries about 800 KB
// of compressor state.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// gzipFast compresses the answer at gzip.BestSpeed when the client accepts
// gzip (Prometheus does). promhttp compresses at gzip's default level and
// offers no other; for the answers of big arrays that default was the
// largest single cost of a probe (docs/benchmarks.md: 14 ms against 3 ms at
// 2400 volumes), for answers about 10% larger.
func gzipFast(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		if !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			h.ServeHTTP(w, r)
			return
		}
		zw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(zw)
		zw.Reset(w)
		w.Header().Set("Content-Encoding", "gzip")
		h.ServeHTTP(gzipResponse{ResponseWriter: w, w: zw}, r)
		_ = zw.Close()
	})
}

// gzipResponse sends what the handler writes through the gzip writer.
type gzipResponse struct {
	http.ResponseWriter
	w *gzip.Writer
}

func (g gzipResponse) Write(b []byte) (int, error) { return g.w.Write(b) }

// Unwrap lets http.ResponseController reach the connection.
func (g gzipResponse) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// acceptsGzip reports whether an Accept-Encoding header allows gzip: it
// names gzip or * without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := strings.ReplaceAll(strings.ToLower(params), " ", "")
		if q, ok := strings.CutPrefix(q, "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}
