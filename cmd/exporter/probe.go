package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/threepar/rcopy-exporter/collector"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/probecache"
)

// scrapeTimeoutHeader is how Prometheus tells a target its scrape timeout.
const scrapeTimeoutHeader = "X-Prometheus-Scrape-Timeout-Seconds"

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
// neither an IP address nor a DNS name is refused here rather than failing
// later as a connect error: it is a typo, not an array fault.
func resolveTarget(cfg *config.Config, target, moduleParam string) (probeTarget, error) {
	if target == "" {
		return probeTarget{}, &badRequest{"missing parameter target (a name from the config's targets or HOST[:PORT])"}
	}
	address, m, err := cfg.Resolve(target, moduleParam)
	if err != nil {
		return probeTarget{}, &badRequest{err.Error()}
	}
	if _, named := cfg.Targets[target]; !named {
		if host := config.Host(address); net.ParseIP(host) == nil && !isDNSName(host) {
			return probeTarget{}, &badRequest{fmt.Sprintf("target %q is neither a name under targets: nor HOST[:PORT]", target)}
		}
	}
	return probeTarget{name: target, address: address, moduleName: m.Name, module: m}, nil
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
// still arrives before Prometheus gives up.
func probeTimeout(r *http.Request, moduleTimeout, offset time.Duration) (time.Duration, error) {
	timeout := moduleTimeout
	v := r.Header.Get(scrapeTimeoutHeader)
	if v == "" {
		return timeout, nil
	}
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil || secs <= 0 || math.IsInf(secs, 0) || math.IsNaN(secs) {
		return 0, &badRequest{fmt.Sprintf("bad %s header %q: want a positive number of seconds", scrapeTimeoutHeader, v)}
	}
	scrape := time.Duration(secs * float64(time.Second))
	budget := scrape - offset
	if budget <= 0 {
		budget = scrape / 2
	}
	if timeout <= 0 || budget < timeout {
		timeout = budget
	}
	return timeout, nil
}

// probeHandler serves /probe: one collector per request. Array faults answer 200 with up 0; only a request the exporter
// cannot run answers 400.
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
	logger := e.logger.With("module", pt.moduleName) // the collector adds the target

	opts := collector.Options{
		Target:   pt.name,
		Runner:   e.sources.runner(pt),
		Table:    st.table,
		Strict:   e.strict,
		Location: pt.module.Location,
		Logger:   logger,
	}
	src, err := e.sources.cim(pt)
	if err != nil {
		// A module whose CIM settings cannot make a client (unreadable CA
		// file since the last reload...) is a CIM failure of this probe.
		opts.CIM = failingCIM{err}
	} else if src != nil {
		opts.CIM = src
	}
	c := collector.New(ctx, opts)
	format := expfmt.Negotiate(r.Header)
	var up bool
	if format.FormatType() == expfmt.TypeTextPlain {
		up = e.answer(w, r, st, pt, c, format)
	} else {
		// Protocol buffers (what Prometheus asks for with native
		// histograms): c.Gather returns what a registry holding c would,
		// without the registry's per-series hashing.
		gzipFast(promhttp.HandlerFor(c, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, DisableCompression: true})).ServeHTTP(w, r)
		up = c.Up()
	}
	if up {
		e.probes.WithLabelValues("success").Inc()
	} else {
		e.probes.WithLabelValues("failure").Inc()
	}
}

// answerBuffers hold answers being written: a big array's is megabytes,
// and growing a fresh buffer to that size for every probe was a sixth of
// the probe's time.
var answerBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func putAnswerBuffer(b *bytes.Buffer) {
	if b.Cap() > 64<<20 { // an outlier: let it go
		return
	}
	b.Reset()
	answerBuffers.Put(b)
}

// defaultCacheBytes is --probe.cache-size's default: the answers of 500
// arrays of 2400 volumes (about 100 KiB each, compressed) fit.
const defaultCacheBytes = 64 << 20

// answer serves a probe in the text format, which is what Prometheus asks
// for unless it wants protocol buffers. Every probe runs showrcopy (and
// reads CIM); when what they print is byte for byte what they printed at
// the target's last probe, the answer is the same but for its duration, so
// it is sent from the cache (probecache) instead of being parsed and
// written again: a big array's answer is tens of thousands of series. It
// reports whether the probe succeeded (up 1).
func (e *exporter) answer(w http.ResponseWriter, r *http.Request, st *state, pt probeTarget, c *collector.Collector, format expfmt.Format) bool {
	p := c.Fetch()
	gz := acceptsGzip(r.Header.Get("Accept-Encoding"))
	h := w.Header()
	h.Set("Content-Type", string(format))
	body := answerBuffers.Get().(*bytes.Buffer)
	defer putAnswerBuffer(body)
	if !gz {
		up := p.WriteText(body)
		body.Write(collector.AppendDuration(nil, p.Elapsed()))
		h.Set("Content-Length", strconv.Itoa(body.Len()))
		_, _ = w.Write(body.Bytes())
		return up
	}
	id := pt.name + "\x00" + pt.moduleName + "\x00" + string(format)
	key, cacheable := p.Key()
	cacheable = cacheable && e.cacheBytes > 0
	var cached *probecache.Answer
	if cacheable {
		cached = st.answers.Get(id, key)
	}
	up := true // only successful probes are cached
	if cached != nil {
		e.cacheHits.Inc()
	} else {
		up = p.WriteText(body)
		cached = probecache.Compress(body.Bytes())
		if cacheable {
			e.cacheMisses.Inc()
			if up {
				st.answers.Put(id, key, cached)
			}
		}
	}
	z := cached.Gzip(collector.AppendDuration(nil, p.Elapsed()))
	h.Set("Content-Encoding", "gzip")
	h.Add("Vary", "Accept-Encoding")
	h.Set("Content-Length", strconv.Itoa(len(z)))
	_, _ = w.Write(z)
	return up
}
