package main

import (
	"fmt"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/sshrun"
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
	pool := sshrun.NewPool(sshrun.PoolOptions{})
	defer pool.Close()
	arrays := make([]conformance.Array, len(targets))
	for i, t := range targets {
		r, _, err := remoteFromConfig(cfg, t, pool, false)
		if err != nil {
			fmt.Fprintf(e.stderr, "checker: %s\n", oneLine(err))
			return exitCouldNotRun
		}
		a, err := r.Observe(e.ctx)
		if err != nil {
			fmt.Fprintln(e.stderr, oneLine(err)) // ARRAY: stage: reason
			return exitCouldNotRun
		}
		arrays[i] = a
	}
	return runCheck(e, arrays, flags)
}

// remoteFromConfig builds the way to reach one target of the
// configuration: its CLI over SSH (read-only unless allowChanges) and its
// CIM server when the module has one. It returns the target's entry when
// the name is one (nil for HOST[:PORT]).
func remoteFromConfig(cfg *config.Config, target string, pool *sshrun.Pool, allowChanges bool) (drill.Remote, *config.Target, error) {
	address, m, err := cfg.Resolve(target, "")
	if err != nil {
		return drill.Remote{}, nil, fmt.Errorf("--target %s: %w", target, err)
	}
	opts := sshrun.FromConfig(&m.SSH)
	opts.AllowChanges = allowChanges
	r := drill.Remote{Name: target, CLI: pool.Runner(address, m.Name, opts)}
	if m.CIM != nil {
		client, err := cim.NewClient(cim.ClientOptions{
			URL: m.CIM.URLFor(address), Namespace: m.CIM.Namespace, User: m.CIM.User,
			Password: m.CIM.Password.Reveal(), CAFile: m.CIM.CAFile, InsecureSkipVerify: m.CIM.InsecureSkipVerify,
		})
		if err != nil {
			return drill.Remote{}, nil, fmt.Errorf("%s: cim: %w", target, err)
		}
		timeout := m.CIM.Timeout
		if timeout <= 0 {
			timeout = config.DefaultCIMTimeout
		}
		r.CIM = timeoutCIM{client, timeout}
	}
	return r, cfg.Targets[target], nil
}
