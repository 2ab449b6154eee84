package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/sshrun"

	"github.com/threepar/rcopy-exporter/stage"
)

// Command is what a probe runs on the array.
const Command = "showrcopy"

// Runner runs one read-only CLI command on the probed array (sshrun's
// Runner satisfies it).
type Runner interface {
	Run(ctx context.Context, command string) ([]byte, error)
}

// CIMSource reads what the probed array's CIM server reports for its remote
// copy volume pairs (*cim.Client satisfies it).
type CIMSource interface {
	RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error)
}

// Options configures one probe.
type Options struct {
	Target string          // the probed target as the user named it, for logs only
	Runner Runner          // required
	CIM    CIMSource       // nil: the module reads no CIM values
	Table  *expected.Table // nil: expected.Default()
	// Strict leaves the tables' uncertain rows (T110-3b) out.
	Strict bool
	// Location converts LastSyncTime texts whose zone abbreviation is not
	// UTC/GMT; nil converts only those.
	Location *time.Location
	Logger   *slog.Logger // nil: discard
}

// Collector probes one array (and module) each time it is collected. Create
// one per probe and register it in a fresh registry, or call Fetch and
// write the answer with the Probe it returns (what /probe does); ctx
// bounds the probe.
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

// Collect probes the array and sends the resulting metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	p := c.Fetch()
	p.finish()
	emit(ch, p.res, c.opts, p.Elapsed())
}

// Up reports whether the last probe succeeded (threepar_rcopy_up 1).
func (c *Collector) Up() bool { return c.up.Load() }

// probeResult is what one probe learned.
type probeResult struct {
	data    []byte         // showrcopy's output; nil when SSH failed
	out     *parser.Output // nil when SSH or parse failed
	cim     []cim.RemoteCopyVolume
	cimRead bool   // the CIM values were read (cim is meaningful)
	stage   string // "" when every stage succeeded
	err     error
}

// fetch does the probe's I/O: showrcopy through the Runner and, when
// configured, the CIM read. It neither parses nor logs (finish does).
func (c *Collector) fetch(ctx context.Context) probeResult {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// The CIM server is independent of the CLI: read it concurrently so a
	// probe costs the slower of the two, not their sum.
	type cimAnswer struct {
		vols []cim.RemoteCopyVolume
		err  error
	}
	var cimDone chan cimAnswer
	if c.opts.CIM != nil {
		cimDone = make(chan cimAnswer, 1)
		go func() {
			vols, err := c.opts.CIM.RemoteCopyVolumes(ctx)
			cimDone <- cimAnswer{vols, err}
		}()
	}

	data, err := c.opts.Runner.Run(ctx, Command)
	if err != nil {
		cancel()
		if cimDone != nil {
			<-cimDone // never leave the goroutine behind
		}
		return probeResult{stage: sshStage(err), err: err}
	}
	res := probeResult{data: data}
	if cimDone != nil {
		a := <-cimDone
		if a.err != nil {
			res.stage, res.err = StageCIM, a.err
			return res
		}
		res.cim, res.cimRead = a.vols, true
	}
	return res
}

// parse parses the fetched output. A parse failure outranks a CIM
// failure: nothing of the array is known then.
func (c *Collector) parse(res probeResult) probeResult {
	if res.data == nil {
		return res
	}
	out, err := parser.Parse(res.data)
	if err != nil {
		return probeResult{data: res.data, stage: StageParse, err: fmt.Errorf("parsing %s output: %w", Command, err)}
	}
	res.out = out
	return res
}

// sshStage maps a Runner error to its stage; errors that do not say (a
// deadline hit outside the runner, a test fake) count as command failures.
func sshStage(err error) string {
	var se *sshrun.Error
	if errors.As(err, &se) {
		switch se.Stage {
		case stage.Connect, stage.Auth, stage.Command:
			return string(se.Stage)
		}
	}
	return StageCommand
}

func (c *Collector) logFailure(res probeResult) {
	c.opts.Logger.Warn("probe failed", "target", c.opts.Target, "stage", res.stage, "err", res.err)
}
