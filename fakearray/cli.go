package fakearray

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/parser"
)

// cliSession is the per-session CLI environment.
type cliSession struct {
	csv bool // setclienv csvtable 1
	// confirm asks the user a yes/no question (interactive shell); nil in
	// exec requests, where commands that ask need -f.
	confirm func(question string) bool
}

// Exit statuses of the simulated CLI.
const (
	exitOK    = 0
	exitError = 1
	// exitDown is what Exec returns for a powered-off array (ssh's own
	// status when it cannot connect).
	exitDown = 255
)

// Exec runs one CLI command on an array in-process, as an exec request
// over SSH would (no confirmation prompts: commands that ask need -f). It
// returns the output (errors included, as the CLI prints them on the
// session) and the exit status. Output faults (garbage-output, huge-output,
// cli-error-exit-0, too-many-sessions) apply; connection faults (slow,
// hang, disconnect-mid-output, auth-fail, host-key-change) only over SSH.
func (s *Sim) Exec(array, command string) (string, int) {
	s.mu.RLock()
	a := s.byName[array]
	var down, tooMany bool
	if a != nil {
		down, tooMany = a.down, a.faults.has(FaultTooManySessions)
	}
	s.mu.RUnlock()
	switch {
	case a == nil:
		return fmt.Sprintf("no array %q\n", array), exitDown
	case down:
		return fmt.Sprintf("array %s is down: connection refused\n", array), exitDown
	case tooMany:
		return TooManySessionsText + "\n", exitError
	}
	out, status := s.runCommand(a, &cliSession{}, command)
	return string(out), status
}

// runCommand runs one command line of a CLI user.
func (s *Sim) runCommand(a *simArray, sess *cliSession, line string) ([]byte, int) {
	args := strings.Fields(line)
	if len(args) == 0 {
		return nil, exitOK
	}
	s.mu.RLock()
	garbage, huge, errExit0 := a.faults.has(FaultGarbageOutput), a.faults.has(FaultHugeOutput), a.faults.has(FaultCLIErrorExit0)
	s.mu.RUnlock()
	if errExit0 {
		return []byte("Error: Internal error, the command could not be completed. Please retry.\n"), exitOK
	}
	if garbage {
		return garbageOutput(), exitOK
	}
	var out []byte
	var status int
	switch args[0] {
	case "showrcopy":
		out, status = s.cmdShowrcopy(a, sess, args[1:], huge)
	case "showversion":
		out, status = []byte(versionText), exitOK
	case "setclienv":
		out, status = cmdSetclienv(sess, args[1:])
	case "setrcopygroup":
		out, status = s.cmdSetrcopygroup(a, sess, args[1:])
	case "startrcopygroup", "stoprcopygroup":
		out, status = s.cmdStartStop(a, args[0], args[1:])
	default:
		out, status = fmt.Appendf(nil, "Error: Invalid command %s\n", args[0]), exitError
	}
	return out, status
}

const versionText = `Release version 3.3.1 (MU5)
Patches:  None

Component Name                   Version
CLI Server                       3.3.1 (MU5)
CLI Client                       3.3.1
System Manager                   3.3.1 (MU5)
Kernel                           3.3.1 (MU5)
TPD Kernel Code                  3.3.1 (MU5)

Simulated by rcopy-exporter fakearray.
`

func errorf(format string, args ...any) ([]byte, int) {
	return fmt.Appendf(nil, "Error: "+format+"\n", args...), exitError
}

func (s *Sim) cmdShowrcopy(a *simArray, sess *cliSession, args []string, huge bool) ([]byte, int) {
	w := showWhat{}
	f := printFormat{csv: sess.csv}
	i := 0
	for ; i < len(args) && strings.HasPrefix(args[i], "-"); i++ {
		switch args[i] {
		case "-d":
			w.detail = true
		case "-csvtable":
			f.csv = true
		case "-nohdtot":
			// accepted, nothing to leave out: showrcopy prints no totals
		default:
			return errorf("Invalid option %s. Usage: showrcopy [-d] [-csvtable] [groups [<pattern>...]|links|targets]", args[i])
		}
	}
	rest := args[i:]
	if len(rest) == 0 {
		w.targets, w.links, w.groups = true, true, true
	} else {
		switch rest[0] {
		case "groups":
			w.groups, w.groupNames = true, rest[1:]
		case "links":
			w.links = true
		case "targets":
			w.targets = true
		default:
			return errorf("Invalid argument %s. Usage: showrcopy [-d] [-csvtable] [groups [<pattern>...]|links|targets]", rest[0])
		}
		if rest[0] != "groups" && len(rest) > 1 {
			return errorf("Too many arguments for showrcopy %s", rest[0])
		}
	}
	s.mu.RLock()
	out, err := s.outputLocked(a, w)
	s.mu.RUnlock()
	if err != nil {
		return []byte(err.Error() + "\n"), exitError
	}
	printed := printOutput(out, f)
	if huge {
		printed = hugeOutput(printed, f)
	}
	return printed, exitOK
}

func cmdSetclienv(sess *cliSession, args []string) ([]byte, int) {
	if len(args) != 2 || args[0] != "csvtable" || (args[1] != "0" && args[1] != "1") {
		return errorf("the simulator supports only: setclienv csvtable 0|1")
	}
	sess.csv = args[1] == "1"
	return nil, exitOK
}

// cmdSetrcopygroup runs setrcopygroup failover|recover|restore|reverse [-f] GROUP...
func (s *Sim) cmdSetrcopygroup(a *simArray, sess *cliSession, args []string) ([]byte, int) {
	const usage = "Usage: setrcopygroup failover|recover|restore|reverse [-f] <group_name>..."
	if len(args) == 0 {
		return errorf("Missing subcommand. %s", usage)
	}
	sub := args[0]
	force := false
	var names []string
	for _, arg := range args[1:] {
		switch {
		case arg == "-f":
			force = true
		case strings.HasPrefix(arg, "-"):
			return errorf("Invalid option %s. %s", arg, usage)
		default:
			names = append(names, arg)
		}
	}
	switch sub {
	case "failover", "recover", "restore":
	case "reverse":
		return errorf("setrcopygroup reverse is not supported by the simulator")
	default:
		return errorf("Invalid subcommand %s. %s", sub, usage)
	}
	if len(names) == 0 {
		return errorf("Missing group name. %s", usage)
	}
	if !force {
		if sess.confirm == nil {
			return errorf("setrcopygroup %s asks for confirmation; use -f in a non-interactive session", sub)
		}
		if !sess.confirm(fmt.Sprintf("Are you sure you want to %s group(s) %s?\nselect q=quit y=yes n=no: ", sub, strings.Join(names, " "))) {
			return nil, exitError
		}
	}
	var out bytes.Buffer
	status := exitOK
	for _, name := range names {
		if err := s.groupCommand(a, sub, name); err != nil {
			out.WriteString("Error: " + err.Error() + "\n")
			status = exitError
		}
	}
	return out.Bytes(), status
}

func (s *Sim) cmdStartStop(a *simArray, cmd string, args []string) ([]byte, int) {
	var names []string
	for _, arg := range args {
		switch {
		case arg == "-f":
		case strings.HasPrefix(arg, "-"):
			return errorf("Invalid option %s. Usage: %s [-f] <group_name>", arg, cmd)
		default:
			names = append(names, arg)
		}
	}
	if len(names) != 1 {
		return errorf("Usage: %s [-f] <group_name>", cmd)
	}
	op := "start"
	if cmd == "stoprcopygroup" {
		op = "stop"
	}
	if err := s.groupCommand(a, op, names[0]); err != nil {
		return []byte("Error: " + err.Error() + "\n"), exitError
	}
	return nil, exitOK
}

// groupCommand applies one group operation issued on array a, refusing
// what the array would refuse. Operations: start, stop, failover, recover,
// restore.
func (s *Sim) groupCommand(a *simArray, op, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("simulator is shutting down")
	}
	g := a.byLocal[name]
	if g == nil {
		return fmt.Errorf("Remote Copy group %s does not exist", name)
	}
	now := s.clock()
	onPrimary := a == g.primary
	peer := g.secondary
	if !onPrimary {
		peer = g.primary
	}
	switch op {
	case "stop":
		if !g.phase.natural() {
			return fmt.Errorf("group %s is failed over (%s); the simulator supports only setrcopygroup recover/restore here", name, g.phase)
		}
		if !onPrimary {
			return fmt.Errorf("group %s is not Primary on this system; stop it on %s", name, peer.cfg.Name)
		}
		if !g.phase.started() {
			return fmt.Errorf("group %s is already stopped", name)
		}
		g.setPhase(phStopped, now)
	case "start":
		if !g.phase.natural() {
			return fmt.Errorf("group %s is failed over (%s); the simulator supports only setrcopygroup recover/restore here", name, g.phase)
		}
		if !onPrimary {
			return fmt.Errorf("group %s is not Primary on this system; start it on %s", name, peer.cfg.Name)
		}
		if g.phase.started() {
			return fmt.Errorf("group %s is already started", name)
		}
		if !g.reachable() {
			return fmt.Errorf("target %s is not ready; cannot start group %s", peer.cfg.Name, name)
		}
		s.startSyncLocked(g, now)
	case "failover":
		if onPrimary {
			return fmt.Errorf("group %s is Primary on this system; failover is issued on the secondary system", name)
		}
		if !g.phase.natural() {
			return fmt.Errorf("group %s is already failed over (%s)", name, g.phase)
		}
		if g.reachable() {
			return fmt.Errorf("target %s is ready; failover is allowed only while the primary system is unreachable", peer.cfg.Name)
		}
		g.setPhase(phFailingOver, now)
		s.scheduleLocked(g, func(now time.Time) {
			g.setPhase(phFailedOver, now)
			g.primaryReversed = g.primaryReversed || g.reachable()
		})
	case "recover":
		if onPrimary {
			return fmt.Errorf("recover is issued on the system where group %s is Primary-Rev (%s)", name, peer.cfg.Name)
		}
		switch g.phase {
		case phFailedOver, phRecoverFailed:
		case phFailingOver:
			return fmt.Errorf("failover of group %s is still in progress", name)
		default:
			return fmt.Errorf("group %s has not been failed over (%s); nothing to recover", name, g.phase)
		}
		if !g.reachable() {
			return fmt.Errorf("target %s is not ready; recover needs the primary system back", peer.cfg.Name)
		}
		g.setPhase(phRecovering, now)
		g.primaryReversed = true
		s.scheduleLocked(g, func(now time.Time) {
			if !g.reachable() || g.primary.faults.has(FaultRecoverFails) || g.secondary.faults.has(FaultRecoverFails) {
				g.setPhase(phRecoverFailed, now)
				g.primaryReversed = true
				return
			}
			g.setPhase(phRecovered, now)
			g.primaryReversed = true
		})
	case "restore":
		if onPrimary {
			return fmt.Errorf("restore is issued on the system where group %s is Primary-Rev (%s)", name, peer.cfg.Name)
		}
		switch g.phase {
		case phRecovered, phRestoreFailed:
		case phRecovering:
			return fmt.Errorf("recover of group %s is still in progress", name)
		default:
			return fmt.Errorf("group %s is not recovered (%s); run setrcopygroup recover first", name, g.phase)
		}
		if !g.reachable() {
			return fmt.Errorf("target %s is not ready", peer.cfg.Name)
		}
		g.setPhase(phRestoring, now)
		g.primaryReversed = true
		s.scheduleLocked(g, func(now time.Time) {
			if !g.reachable() || g.primary.faults.has(FaultRestoreFails) || g.secondary.faults.has(FaultRestoreFails) {
				g.setPhase(phRestoreFailed, now)
				g.primaryReversed = true
				return
			}
			g.setPhase(phRestored, now)
		})
	default:
		return fmt.Errorf("unknown operation %s", op)
	}
	s.log.Info("group command", "array", a.cfg.Name, "op", op, "group", name, "phase", g.phase.String())
	return nil
}

// garbageOutput is what a confused CLI prints: control bytes, binary and
// half words, no section titles.
func garbageOutput() []byte {
	var b bytes.Buffer
	b.WriteString("\x1b[2J\x00\xff\xfe Remote Cop\x07y Sys\n")
	for i := range 64 {
		fmt.Fprintf(&b, "%c%c\x01%08x ???? %s\n", 0x80+i, 0xC0+i%32, i*2654435761, strings.Repeat("#", i%13))
	}
	b.WriteString("*** stack smashing detected ***\n")
	return b.Bytes()
}

// hugeOutputSize is the least size of huge-output (tens of MB).
const hugeOutputSize = 32 << 20

// hugeOutput appends synthetic groups, valid showrcopy text, to out until it
// holds hugeOutputSize bytes. The output must have a group section last or
// none; synthetic groups then follow the real ones.
func hugeOutput(out []byte, f printFormat) []byte {
	const volsPerGroup = 1000
	var tmpl bytes.Buffer
	g := parser.Group{Name: "huge-XXXXXXXX", Target: "huge-target", Status: "Started", Role: "Primary", Mode: "Sync",
		Options: []string{"auto_recover"}}
	for i := range volsPerGroup {
		g.Volumes = append(g.Volumes, parser.Volume{LocalVV: fmt.Sprintf("huge.vv.%04d", i), LocalID: 50000 + i,
			RemoteVV: fmt.Sprintf("huge.vv.%04d", i), RemoteID: 50000 + i, SyncStatus: "Synced"})
	}
	tmpl.WriteString("\n")
	writeGroup(&tmpl, &g, f)
	block := tmpl.Bytes()
	res := make([]byte, 0, hugeOutputSize+len(out)+len(block))
	res = append(res, out...)
	if !bytes.Contains(out, []byte("\nGroup Information\n")) {
		res = append(res, "\nGroup Information\n"...)
	}
	at := bytes.Index(block, []byte("huge-XXXXXXXX")) + len("huge-")
	for n := 0; len(res) < hugeOutputSize; n++ {
		start := len(res)
		res = append(res, block...)
		copy(res[start+at:], fmt.Sprintf("%08d", n))
	}
	return res
}
