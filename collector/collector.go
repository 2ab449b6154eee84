package collector

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/source"
	"github.com/threepar/rcopy-exporter/stage"
)

// Options configures one probe.
type Options struct {
	Target string       // the probed target as the user named it, for logs only
	Array  source.Array // required: how to read the array
	Table  *expected.Table
	// Strict leaves the tables' uncertain rows out.
	Strict bool
	// GroupsOnly leaves every volume_* series out (the module's
	// volume_metrics: false), for very large arrays: the alerts read
	// group-level series only.
	GroupsOnly bool
	// Location converts LastSyncTime texts whose zone abbreviation is not
	// UTC/GMT; nil converts only those.
	Location *time.Location
	// MaxSeries caps the answer (0: no cap): a probe whose answer would
	// hold more series fails at stage command, like an output over
	// max_output_bytes, instead of building it in memory.
	MaxSeries int
	Logger    *slog.Logger // nil: discard
}

// Collector probes one array (and module) when it is collected. Create one
// per probe, register it in a fresh registry and gather (what /probe does,
// the blackbox_exporter way); ctx bounds the probe.
type Collector struct {
	ctx  context.Context
	opts Options
	up   atomic.Bool // result of the last Collect
}

// New returns a Collector whose probes are bounded by ctx.
func New(ctx context.Context, opts Options) *Collector {
	if opts.Table == nil {
		opts.Table = expected.Default()
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Collector{ctx: ctx, opts: opts}
}

// Describe sends every descriptor this package can emit.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs.all {
		ch <- d
	}
}

// Collect reads the array, judges what it read and sends the series.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	r, err := c.opts.Array.Read(c.ctx)
	var failed stage.Stage
	if err != nil {
		failed = source.StageOf(err)
		c.opts.Logger.Warn("probe failed", "target", c.opts.Target, "stage", failed, "err", err)
	}
	var listings []conformance.Listing
	if r.Output != nil && len(r.Output.Warnings) > 0 {
		// One line per probe: the rows left out are the array's business,
		// not a failure, and a warning per row and probe would flood.
		c.opts.Logger.Warn("showrcopy output partly read", "target", c.opts.Target,
			"skipped_rows", r.Output.SkippedRows(), "warnings", warningsText(r.Output.Warnings))
	}
	if r.Output != nil {
		listings = conformance.Judge(r.Input(c.opts.Target), conformance.Options{Table: c.opts.Table, Strict: c.opts.Strict})
		if n := seriesBound(r.Output, listings, c.opts.GroupsOnly); c.opts.MaxSeries > 0 && n > c.opts.MaxSeries {
			err = fmt.Errorf("%s: the answer would hold up to %d series, more than the cap of %d (--probe.max-series)", c.opts.Target, n, c.opts.MaxSeries)
			failed, r.Output = stage.Command, nil
			c.opts.Logger.Warn("probe failed", "target", c.opts.Target, "stage", failed, "err", err)
		}
	}
	c.up.Store(err == nil)
	e := emitter{ch: ch, opts: c.opts}
	e.gauge(descs.up, boolValue(err == nil), nil)
	e.gauge(descs.duration, time.Since(start).Seconds(), nil)
	for _, s := range stage.All {
		e.gauge(descs.scrapeError, boolValue(s == failed), nil, string(s))
	}
	if r.Output != nil {
		e.array(r.Output)
		e.listings(listings, r.CIM != nil)
	}
}

// warningsText joins the parser's warnings for one log line.
func warningsText(ws []parser.Warning) string {
	parts := make([]string, len(ws))
	for i, w := range ws {
		parts[i] = w.String()
	}
	return strings.Join(parts, "; ")
}

// seriesBound is an upper bound of the number of series a probe's answer
// holds: a few per target and link; per group listing its state sets and
// counts (at most 20) plus one per volume (a sync status word of its own);
// per volume its fixed series plus one per expected triple.
func seriesBound(out *parser.Output, ls []conformance.Listing, groupsOnly bool) int {
	n := 16 + len(out.Targets) + len(out.Links)
	for _, l := range ls {
		n += 20 + len(l.Findings)
		if groupsOnly {
			continue
		}
		for _, f := range l.Findings {
			n += 5 + len(f.Expected)
		}
	}
	return n
}

// Up reports whether the last probe succeeded (threepar_rcopy_up 1).
func (c *Collector) Up() bool { return c.up.Load() }
