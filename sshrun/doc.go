// Package sshrun runs read-only CLI commands on arrays over SSH: host keys
// verified against known_hosts, one persistent connection per target reused
// across scrapes, a deadline enforced on the connection, an output cap, and
// at most one command in flight per array.
//
// A Pool (one per process) hands out Runners:
//
//	pool := sshrun.NewPool(sshrun.PoolOptions{Logger: logger})
//	defer pool.Close()
//	r := pool.Runner("10.0.0.1:22", "default", sshrun.FromConfig(&module.SSH))
//	out, err := r.Run(ctx, "showrcopy")
//
// Every error is an *Error whose Stage (connect, auth, command) is the
// exporter's scrape_error stage. Why each rule exists:
//   - x/crypto/ssh's Timeout covers only the TCP dial, so the context's
//     deadline is set on the socket for the handshake, and a watchdog closes
//     the connection when it passes during a command: nothing can hang, and
//     the array sees its session end.
//   - Arrays limit CLI sessions ("Too many local CLI connections."):
//     concurrent Runs of one command on one array share one execution
//     (singleflight), and different commands to one array wait their turn.
//   - Only show* commands are sent unless Options.AllowChanges, and no
//     character the Tcl-based CLI would interpret, so that no input can turn
//     a probe into a change.
//   - CLI errors may come with exit status 0; DetectCLIError finds them.
package sshrun
