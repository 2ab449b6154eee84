package fakearray

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/threepar/rcopy-exporter/parser"
)

// cliSession is the per-session CLI environment.
type cliSession struct {
	csv bool // setclienv csvtable 1
	// confirm asks the user a yes/no question (interactive shell); nil in
	// exec requests, where commands that ask need -f.
	confirm func(question string) bool
	// done ends with the SSH session (nil in-process): -waittask stops
	// waiting then.
	done <-chan struct{}
}

func (c *cliSession) ctxDone() <-chan struct{} { return c.done }

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
	case "syncrcopy":
		out, status = s.cmdSyncrcopy(a, args[1:])
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

// setrcopygroupOptions are the options each setrcopygroup subcommand takes.
var setrcopygroupOptions = map[string][]string{
	"failover":   {"-f", "-t", "-nostart", "-nosync", "-waittask", "-discard"},
	"recover":    {"-f", "-t", "-nostart", "-nosync", "-waittask"},
	"restore":    {"-f", "-t", "-nostart", "-nosync", "-waittask"},
	"reverse":    {"-f", "-t", "-natural", "-current", "-local", "-stopgroups", "-waittask"},
	"switchover": {"-f", "-t", "-waittask"},
}

const setrcopygroupUsage = "Usage: setrcopygroup failover|recover|restore|reverse|switchover [options] {<group_name>... | -t <target_name> [<group_name>...]}"

// cmdSetrcopygroup runs setrcopygroup SUBCOMMAND [options] [-t TARGET]
// [GROUP...]. Without group names -t names every group with that target.
func (s *Sim) cmdSetrcopygroup(a *simArray, sess *cliSession, args []string) ([]byte, int) {
	if len(args) == 0 {
		return errorf("Missing subcommand. %s", setrcopygroupUsage)
	}
	sub := args[0]
	allowed, ok := setrcopygroupOptions[sub]
	if !ok {
		return errorf("Invalid subcommand %s. %s", sub, setrcopygroupUsage)
	}
	op := groupOp{name: sub}
	force := false
	var names []string
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		if !strings.HasPrefix(arg, "-") {
			names = append(names, arg)
			continue
		}
		if !slices.Contains(allowed, arg) {
			return errorf("Invalid option %s for setrcopygroup %s. %s", arg, sub, setrcopygroupUsage)
		}
		switch arg {
		case "-f":
			force = true
		case "-t":
			if i+1 >= len(rest) {
				return errorf("-t needs a target name. %s", setrcopygroupUsage)
			}
			i++
			op.target = rest[i]
		case "-nostart":
			op.nostart = true
		case "-nosync":
			op.nosync = true
		case "-waittask":
			op.waittask = true
		case "-discard":
			op.discard = true
		case "-natural":
			op.natural = true
		case "-current":
			op.current = true
		case "-local":
			op.local = true
		case "-stopgroups":
			op.stopgroups = true
		}
	}
	if len(names) == 0 && op.target == "" {
		return errorf("Missing group name. %s", setrcopygroupUsage)
	}
	if len(names) == 0 {
		s.mu.RLock()
		for _, mb := range a.members {
			for _, l := range mb.g.legs {
				if e := l.endOn(a); e != nil && e.m == mb && e.peer().m.array.cfg.Name == op.target && !l.backup() {
					names = append(names, mb.name)
					break
				}
			}
		}
		s.mu.RUnlock()
		if len(names) == 0 {
			return errorf("no Remote Copy group has target %s", op.target)
		}
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
	var tasks []string
	var waits []<-chan struct{}
	for _, name := range names {
		res, err := s.groupCommand(a, op, name)
		if err != nil {
			out.WriteString("Error: " + err.Error() + "\n")
			status = exitError
		}
		for _, t := range res.tasks {
			tasks = append(tasks, strconv.Itoa(t))
		}
		waits = append(waits, res.wait...)
	}
	if op.waittask {
		// Wait for the tasks to end (the simulator prints nothing more).
		for _, w := range waits {
			select {
			case <-w:
			case <-s.done:
			case <-sess.ctxDone():
			}
		}
	} else if sub == "failover" && len(tasks) > 0 {
		// As a real array answers (a capture): the task that runs it.
		fmt.Fprintf(&out, "failover started with tasks: %s\n", strings.Join(tasks, ","))
	}
	return out.Bytes(), status
}

// cmdStartStop runs startrcopygroup [-nosync] [-t TARGET] GROUP and
// stoprcopygroup [-f] [-nosnap] [-t TARGET] GROUP.
func (s *Sim) cmdStartStop(a *simArray, cmd string, args []string) ([]byte, int) {
	op := groupOp{name: "start"}
	allowed := []string{"-f", "-t", "-nosync", "-wait"}
	if cmd == "stoprcopygroup" {
		op.name = "stop"
		allowed = []string{"-f", "-t", "-nosnap"}
	}
	usage := fmt.Sprintf("Usage: %s [options] [-t <target_name>] <group_name>", cmd)
	var names []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		switch {
		case !strings.HasPrefix(arg, "-"):
			names = append(names, arg)
		case !slices.Contains(allowed, arg):
			return errorf("Invalid option %s. %s", arg, usage)
		case arg == "-t":
			if i+1 >= len(args) {
				return errorf("-t needs a target name. %s", usage)
			}
			i++
			op.target = args[i]
		case arg == "-nosync":
			op.nosync = true
		}
	}
	if len(names) != 1 {
		return errorf("%s", usage)
	}
	if _, err := s.groupCommand(a, op, names[0]); err != nil {
		return []byte("Error: " + err.Error() + "\n"), exitError
	}
	return nil, exitOK
}

// cmdSyncrcopy runs syncrcopy [-w] [-N] [-ovrd] GROUP: a manual resync of a
// periodic group (and of volumes whose initial sync failed).
func (s *Sim) cmdSyncrcopy(a *simArray, args []string) ([]byte, int) {
	const usage = "Usage: syncrcopy [-w] [-N] [-ovrd] <group_name>"
	var names []string
	for _, arg := range args {
		switch {
		case arg == "-w" || arg == "-N" || arg == "-ovrd":
		case strings.HasPrefix(arg, "-"):
			return errorf("Invalid option %s. %s", arg, usage)
		default:
			names = append(names, arg)
		}
	}
	if len(names) != 1 {
		return errorf("%s", usage)
	}
	if _, err := s.groupCommand(a, groupOp{name: "sync"}, names[0]); err != nil {
		return []byte("Error: " + err.Error() + "\n"), exitError
	}
	return nil, exitOK
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
