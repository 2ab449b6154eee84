// Package sshrun runs read-only CLI commands on arrays over SSH: host keys
// verified against known_hosts, one persistent connection per target reused
// across scrapes, a deadline enforced on the connection, an output cap, and
// at most one command in flight per array.
package sshrun
