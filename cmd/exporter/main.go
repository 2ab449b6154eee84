package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/threepar/rcopy-exporter/internal/buildinfo"
)

const programName = "rcopy_exporter"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process around it; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New("exporter", "Prometheus exporter for HP 3PAR / Primera / Alletra Remote Copy (multi-target: /probe?target=...).")
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	var configSet bool
	configFile := app.Flag("config.file", "Configuration file (modules and targets).").Default("rcopy.yml").IsSetByUser(&configSet).String()
	configCheck := app.Flag("config.check", "Check the configuration file and exit (0 valid, 1 not).").Bool()
	simulate := app.Flag("simulate", "Start the built-in simulated array pair (sim-a, sim-b) on 127.0.0.1 and serve it; no --config.file needed.").Bool()
	timeoutOffset := app.Flag("timeout-offset", "Subtracted from Prometheus' scrape timeout (X-Prometheus-Scrape-Timeout-Seconds) to get the probe deadline; the module's timeout caps it.").Default("0.5s").Duration()
	tableFile := app.Flag("table.file", "State table file of extra or overriding rows (same schema as the built-in tables).").String()
	maxConcurrent := app.Flag("probe.max-concurrent", "Probes run at once at most; a probe waits for a slot until its deadline, then answers 503 (0: no cap).").Default("128").Int()
	maxSeries := app.Flag("probe.max-series", "Series one probe's answer may hold at most; a bigger one fails at stage command instead of being built in memory (0: no cap).").Default("500000").Int()
	strict := app.Flag("strict", "Leave state-table rows marked uncertain (a user table may mark them) out of the expected CIM values.").Bool()
	webFlags := kingpinflag.AddFlags(app, ":9840")
	logConfig := &promslog.Config{Writer: stderr}
	promslogflag.AddFlags(app, logConfig)
	buildinfo.Fill()
	app.Version(version.Print(programName))
	app.HelpFlag.Short('h')

	exited := -1
	app.Terminate(func(code int) { exited = code })
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "exporter: %s\n", err)
		return 2
	}
	if exited >= 0 { // --help or --version printed
		return exited
	}
	logger := promslog.New(logConfig)
	if os.Getenv("GOGC") == "" {
		// A probe allocates for every series it builds (the client
		// library's label pairs), so the collector is the garbage's
		// main source; collecting at 200% rather than 100% heap growth
		// saves a fifth of the collector's CPU for about 10 MiB more
		// (docs/benchmarks.md). GOGC in the environment still wins.
		debug.SetGCPercent(200)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *simulate {
		if configSet {
			fmt.Fprintln(stderr, "exporter: --simulate writes its own configuration; leave out --config.file")
			return 2
		}
		sim, err := startSimulation(ctx, logger)
		if err != nil {
			fmt.Fprintf(stderr, "exporter: --simulate: %s\n", err)
			return 1
		}
		defer sim.Close()
		*configFile = sim.configFile
		for _, addr := range *webFlags.WebListenAddresses {
			for _, u := range sim.probeURLs(addr) {
				logger.Info("probe a simulated array", "url", u)
			}
		}
	}

	src := newClientSources(logger)
	defer src.Close()
	e := newExporter(logger, *configFile, *tableFile, *strict, *timeoutOffset, src)
	e.maxSeries = *maxSeries
	if *maxConcurrent > 0 {
		e.probeSlots = make(chan struct{}, *maxConcurrent)
	}
	if *configCheck {
		if _, err := e.loadState(); err != nil {
			fmt.Fprintf(stderr, "%s\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s: configuration valid\n", *configFile)
		return 0
	}
	logger.Info("starting exporter", "version", version.Info(), "build_context", version.BuildContext())
	if err := e.reload(); err != nil {
		return 1 // logged by reload
	}

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reloads := make(chan struct{})
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case reloads <- struct{}{}:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	go e.watchReloads(ctx, reloads)

	handler, err := e.routes()
	if err != nil {
		logger.Error("building the landing page", "err", err)
		return 1
	}
	srv := &http.Server{Handler: handler}
	srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout = serverTimeouts(e.current().cfg)
	serveErr := make(chan error, 1)
	go func() { serveErr <- web.ListenAndServe(srv, webFlags, logger) }()
	select {
	case err := <-serveErr:
		logger.Error("serving HTTP", "err", err)
		return 1
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("shutting down HTTP", "err", err)
	}
	return 0
}
