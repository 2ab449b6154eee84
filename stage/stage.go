// Package stage names the steps of reading an array, the values of the
// exporter's scrape_error{stage} label and of the checker's and drill's
// array errors. It is a leaf: the I/O packages (sshrun) say which stage
// failed with it, and everyone who reports a failure renders it.
package stage

// Stage is a step of reading an array.
type Stage string

// The stages, in the order a probe passes them.
const (
	Connect Stage = "connect" // TCP, SSH handshake, host key
	Auth    Stage = "auth"    // SSH authentication
	Command Stage = "command" // session, timeout, exit status, output cap, CLI error text
	Parse   Stage = "parse"   // showrcopy output not understood
	CIM     Stage = "cim"     // CIM server unreachable, refused, answered an error or too much
)

// All lists every stage in a fixed order.
var All = []Stage{Connect, Auth, Command, Parse, CIM}
