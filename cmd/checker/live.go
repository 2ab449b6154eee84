package main

import (
	"fmt"
	"time"

	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/htmlreport"
	"github.com/threepar/rcopy-exporter/source"
)

// liveCheck is the live form of `checker check` (--config FILE --target A
// [--target B]): it reads the arrays over SSH (read-only) and CIM where the
// module has it, then evaluates and reports exactly like the offline form.
func liveCheck(e env, configFile string, targets []string, flags checkFlags) int {
	if configFile == "" || len(targets) == 0 || len(targets) > 2 {
		fmt.Fprintln(e.stderr, "checker: a live check needs --config FILE and --target NAME once or twice (two arrays of a pair)")
		return exitCouldNotRun
	}
	if t, code := loadTable(e, *flags.tableFile); t == nil {
		return code // checked before any array is contacted
	}
	cfg, err := config.Load(configFile)
	if err != nil {
		fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
		return exitCouldNotRun
	}
	clients := source.NewClients(nil)
	defer clients.Close()
	started := time.Now()
	arrays := make([]conformance.Input, len(targets))
	info := make([]htmlreport.Array, len(targets))
	for i, t := range targets {
		a, err := arrayFromConfig(cfg, t, clients, false)
		if err != nil {
			fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
			return exitCouldNotRun
		}
		r, err := a.Read(e.ctx)
		if err != nil {
			fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err)) // checker: ARRAY: stage: reason
			return exitCouldNotRun
		}
		arrays[i] = r.Input(a.Name)
		info[i] = targetInfo(cfg, t)
		if conformance.Format(*flags.format) == htmlreport.Format {
			info[i].Version = readVersion(e.ctx, a)
		}
	}
	return runCheck(e, arrays, info, started, flags)
}

// arrayFromConfig is how the checker reaches one target of the
// configuration (a name under targets: or HOST[:PORT] with the default
// module): its CLI over SSH (read-only unless allowChanges) and its CIM
// server when the module has one.
func arrayFromConfig(cfg *config.Config, target string, clients *source.Clients, allowChanges bool) (source.Array, error) {
	address, m, err := cfg.Resolve(target, "")
	if err != nil {
		return source.Array{}, fmt.Errorf("--target %s: %w", target, err)
	}
	return clients.Array(target, address, m, allowChanges), nil
}
