package main

import (
	"fmt"

	"github.com/alecthomas/kingpin/v2"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/config"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/drill"
	"github.com/threepar/rcopy-exporter/sshrun"
)

// The live form of `checker check` (--config FILE --target A [--target B])
// shares the subcommand, its flags and its report with the offline form in
// check.go: this init wraps the check subcommand registered there (Go runs
// the init functions of a package's files in file name order, check.go
// before live.go) and sends the action to liveCheck when --config or
// --target is given.
func init() {
	for i := range subcommands {
		if subcommands[i].name != "check" {
			continue
		}
		offline := subcommands[i].setup
		subcommands[i].help += " Live: --config FILE --target A [--target B] reads the arrays over SSH (and CIM where the module has it); an array that cannot be read exits 2 with ARRAY: stage: reason."
		subcommands[i].setup = func(c *kingpin.CmdClause) func(env) int {
			configFile := c.Flag("config", "live check: configuration file (modules and targets) to reach the arrays with").PlaceHolder("FILE").String()
			targets := c.Flag("target", "live check: array to read over SSH (and CIM when its module has it), a name under targets: or HOST[:PORT]; give it twice for the two arrays of a pair").PlaceHolder("NAME").Strings()
			offlineAction := offline(c)
			return func(e env) int {
				if *configFile == "" && len(*targets) == 0 {
					return offlineAction(e)
				}
				strict := *flagValue(c, "strict") == "true"
				flags := checkFlags{format: flagValue(c, "format"), strict: &strict, tableFile: flagValue(c, "table")}
				if *flagValue(c, "showrcopy") != "" {
					fmt.Fprintln(e.stderr, "checker: check takes either --showrcopy (saved outputs) or --config/--target (live), not both")
					return exitCouldNotRun
				}
				if *flagValue(c, "cim") != "" {
					fmt.Fprintln(e.stderr, "checker: --cim is for saved outputs; a live check reads CIM where the target's module has a cim: section")
					return exitCouldNotRun
				}
				return liveCheck(e, *configFile, *targets, flags)
			}
		}
		return
	}
	panic("checker: live.go must wrap the check subcommand, which check.go registers first")
}

// flagValue returns the current value of one of the clause's flags as text
// (flags declared by check.go, read here without touching that file); ""
// for a flag the clause does not have.
func flagValue(c *kingpin.CmdClause, name string) *string {
	v := ""
	if f := c.GetFlag(name); f != nil {
		v = f.Model().Value.String()
	}
	return &v
}

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
