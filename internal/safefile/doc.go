// Package safefile reads the files the programs are given (configuration,
// password and key files, known_hosts, CA bundles, saved showrcopy and CIM
// observations, state tables, simulator scenarios) so that a file which
// stops being a file cannot hang or exhaust the process:
//
//   - it must be a regular file (a symbolic link to one is fine): a named
//     pipe, a device such as /dev/zero, a directory or a socket is refused
//     with a one-line error before anything is read. The type is checked
//     before opening (opening some devices has effects of its own) and
//     again on the opened descriptor, which is opened with O_NONBLOCK so
//     that a pipe swapped in between never blocks the open;
//   - it must fit its cap (below), checked on the size and again while
//     reading, since a file can grow;
//   - ReadContext gives up when its context ends, for files re-read while
//     serving (known_hosts at every SSH dial);
//   - ReadInput reads standard input for "-" where a command's contract
//     allows it, giving up when the context ends (SIGINT, SIGTERM), since a
//     pipe may never close.
//
// Errors are *Error and print as one line "FILE: reason".
//
// Caps, per kind of file (each far above what a real one holds):
//
//	MaxConfig        32 MiB  configuration (a 200,000-target file is about 12 MiB)
//	MaxSecret         1 MiB  password and private key files
//	MaxKnownHosts    16 MiB  known_hosts (tens of thousands of hosts)
//	MaxCAFile         4 MiB  CIM CA bundle (the system bundle is about 200 KiB)
//	MaxObservation   64 MiB  saved CIM observations (checker check --cim)
//	MaxShowrcopy     64 MiB  saved showrcopy output (4x ssh.max_output_bytes' default)
//	MaxTable          4 MiB  user state tables (--table)
//	MaxScenario      16 MiB  simulator scenarios
package safefile
