// Command fakearray runs simulated HP 3PAR arrays with Remote Copy: each
// array serves the array CLI over SSH and CIM-XML over HTTP on 127.0.0.1,
// following the vendor's state tables, with faults to inject. See the
// simulator's page, docs/simulator.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/common/version"

	"github.com/threepar/rcopy-exporter/fakearray"
	"github.com/threepar/rcopy-exporter/internal/buildinfo"
)

const programName = "fakearray"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil))
}

// run is main without the process around it; it returns the exit status
// when ctx ends (0) or when the simulator cannot start (2). started, when
// set, receives the running simulation (for tests).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, started func(*fakearray.Sim)) int {
	app := kingpin.New(programName, "Simulated HP 3PAR arrays with Remote Copy: the array CLI over SSH and CIM-XML over HTTP, "+
		"following the vendor's state tables, with faults to inject. Without --config: the built-in pair sim-a / sim-b (or --scenario sld).")
	app.UsageWriter(stderr)
	app.ErrorWriter(stderr)
	configFile := app.Flag("config", "Scenario YAML file (see examples/fakearray/sim.yml and docs/simulator.md).").PlaceHolder("sim.yml").String()
	builtin := app.Flag("scenario", "Built-in scenario without --config: "+strings.Join(fakearray.BuiltinScenarios, " or ")+" (the Synchronous Long Distance trio sld-a, sld-b, sld-c).").Default("pair").Enum(fakearray.BuiltinScenarios...)
	timeScale := app.Flag("time-scale", "Factor on the arrays' documented durations, such as the links' heartbeat and target timeouts (default: the scenario's, built-in 0.1).").Float64()
	sshListen := app.Flag("ssh.listen-address", "SSH listen address; the Nth flag serves the Nth array (default: the scenario's, else 127.0.0.1:0).").PlaceHolder("ADDR").Strings()
	cimListen := app.Flag("cim.listen-address", "CIM-XML listen address; the Nth flag serves the Nth array.").PlaceHolder("ADDR").Strings()
	inject := app.Flag("inject", "Inject a fault at start: FAULT (every array) or ARRAY:FAULT; repeatable. Faults: "+strings.Join(fakearray.Faults, ", ")+".").PlaceHolder("FAULT").Strings()
	delay := app.Flag("transition-delay", "How long failover, recover, restore and resyncs take (default: the scenario's, built-in 2s).").Duration()
	var keyDirSet bool
	keyDir := app.Flag("host-key-dir", "Directory that keeps each array's SSH host key (DIR/<array>.key, made on first start), so that known_hosts stays valid across restarts; empty: new keys in memory at every start. Default: the scenario's host_key_dir, else "+defaultHostKeyDir("$XDG_STATE_HOME")+" ($HOME/.local/state without XDG_STATE_HOME).").
		PlaceHolder("DIR").IsSetByUser(&keyDirSet).Default(defaultHostKeyDir(os.Getenv("XDG_STATE_HOME"))).String()
	logConfig := &promslog.Config{Writer: stderr}
	promslogflag.AddFlags(app, logConfig)
	buildinfo.Fill()
	app.Version(version.Print(programName))
	app.HelpFlag.Short('h')

	exited := -1
	app.Terminate(func(code int) { exited = code })
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %s\n", programName, err)
		return 2
	}
	if exited >= 0 { // --help or --version printed
		return exited
	}
	logger := promslog.New(logConfig)

	sc, err := fakearray.BuiltinScenario(*builtin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", programName, err)
		return 2
	}
	if *configFile != "" {
		if sc, err = fakearray.LoadScenario(*configFile); err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", programName, err)
			return 2
		}
	}
	// Host keys persist by default: a restart must not break known_hosts.
	if keyDirSet || sc.HostKeyDir == "" {
		sc.HostKeyDir = *keyDir
	}
	if *delay < 0 {
		fmt.Fprintf(stderr, "%s: --transition-delay must not be negative\n", programName)
		return 2
	}
	if *timeScale < 0 {
		fmt.Fprintf(stderr, "%s: --time-scale must be positive\n", programName)
		return 2
	}
	sim, err := fakearray.Start(ctx, sc, fakearray.Options{
		TransitionDelay: *delay,
		TimeScale:       *timeScale,
		Logger:          logger,
		SSHListen:       *sshListen,
		CIMListen:       *cimListen,
		Faults:          *inject,
	})
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", programName, err)
		return 2
	}
	defer sim.Close()
	printArrays(stdout, sim)
	if sc.HostKeyDir != "" {
		fmt.Fprintf(stdout, "host keys: %s (kept across restarts; --host-key-dir= for keys in memory)\n", sc.HostKeyDir)
	}
	if started != nil {
		started(sim)
	}
	logger.Info("fakearray running; stop with Ctrl-C", "arrays", len(sim.Arrays()))
	<-ctx.Done()
	logger.Info("fakearray stopping")
	return 0
}

// printArrays tells the user how to reach each array. Passwords are shown
// only when they are the simulator's public built-in ones.
func printArrays(w io.Writer, sim *fakearray.Sim) {
	const maxListed = 20 // a generated scenario can have hundreds of arrays
	arrays := sim.Arrays()
	for i, a := range arrays {
		if i == maxListed {
			fmt.Fprintf(w, "... and %d more arrays (simctl status lists them all)\n", len(arrays)-maxListed)
			break
		}
		pw := "<set in the scenario>"
		if a.Password == fakearray.DefaultPassword {
			pw = a.Password
		}
		host, port := splitHostPort(a.SSHAddress)
		fmt.Fprintf(w, "array %s (system id %d, WWN %s)\n", a.Name, a.SystemID, a.WWN)
		fmt.Fprintf(w, "  ssh:  ssh -p %s %s@%s showrcopy      (password %s)\n", port, a.User, host, pw)
		fmt.Fprintf(w, "  cim:  %s/cimom                 (namespace root/tpd, same user)\n", a.CIMURL)
		fmt.Fprintf(w, "  known_hosts: %s\n", a.KnownHostsLine)
	}
	admin, adminPW := sim.Admin()
	if adminPW != fakearray.DefaultAdminPassword {
		adminPW = "<set in the scenario>"
	}
	if len(arrays) > 0 {
		host, port := splitHostPort(arrays[0].SSHAddress)
		fmt.Fprintf(w, "control: ssh -p %s %s@%s simctl status   (password %s; any array's SSH port works)\n", port, admin, host, adminPW)
	}
}

// defaultHostKeyDir is where the simulator keeps host keys unless told
// otherwise: the XDG state directory (stateHome, else ~/.local/state).
func defaultHostKeyDir(stateHome string) string {
	if stateHome == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "" // no home: keys in memory
		}
		stateHome = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(stateHome, "rcopy-fakearray", "host-keys")
}

func splitHostPort(addr string) (string, string) {
	i := strings.LastIndex(addr, ":")
	if i < 0 {
		return addr, "22"
	}
	return strings.Trim(addr[:i], "[]"), addr[i+1:]
}
