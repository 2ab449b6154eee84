package fakearray

import (
	"fmt"
	"strings"
)

// controlUsage is simctl's help text.
const controlUsage = `usage:
  simctl array down|up NAME
  simctl link down|up A B
  simctl fault inject ARRAY FAULT
  simctl fault clear ARRAY [FAULT]     (no FAULT: clear all)
  simctl status
`

// control runs one simctl command line (the simadmin user's commands).
func (s *Sim) control(line string) (string, int) {
	args := strings.Fields(line)
	if len(args) == 0 || args[0] != "simctl" {
		return "Error: only simctl commands are allowed for " + DefaultAdminUser + "\n" + controlUsage, exitError
	}
	args = args[1:]
	var err error
	switch {
	case len(args) == 1 && args[0] == "status":
		return s.status(), exitOK
	case len(args) == 3 && args[0] == "array" && args[1] == "down":
		err = s.ArrayDown(args[2])
	case len(args) == 3 && args[0] == "array" && args[1] == "up":
		err = s.ArrayUp(args[2])
	case len(args) == 4 && args[0] == "link" && args[1] == "down":
		err = s.LinkDown(args[2], args[3])
	case len(args) == 4 && args[0] == "link" && args[1] == "up":
		err = s.LinkUp(args[2], args[3])
	case len(args) == 4 && args[0] == "fault" && args[1] == "inject":
		err = s.InjectFault(args[2], args[3])
	case (len(args) == 3 || len(args) == 4) && args[0] == "fault" && args[1] == "clear":
		fault := ""
		if len(args) == 4 {
			fault = args[3]
		}
		err = s.ClearFault(args[2], fault)
	default:
		return "Error: invalid simctl command\n" + controlUsage, exitError
	}
	if err != nil {
		return fmt.Sprintf("Error: %v\n", err), exitError
	}
	return "OK\n", exitOK
}
