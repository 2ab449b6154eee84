// Package source reads one array as every tool here reads it: `showrcopy`
// over SSH and, when the module has a cim section, the remote copy
// instances of its CIM server; parsed, and with a failure classified by
// the stage at which it happened (package stage). The exporter's probes,
// `checker check`, `checker simulate` and the drill all read arrays through
// Array.Read, and reach them as the configuration says through Clients,
// the one place a module's settings become an SSH runner and a CIM client.
//
// Credentials never go to a CIM server whose array has not proved its
// identity: when the CLI can verify the array's SSH host key first
// (sshrun's runner can), Read does so before the CIM read starts.
package source
