// Package sshrun runs read-only CLI commands on arrays over SSH: host keys
// verified against known_hosts, one persistent connection per array and
// module reused across scrapes, a deadline enforced on the connection, an
// output cap, and at most one command in flight per array.
//
// A Pool (one per process) hands out Runners:
//
//	pool := sshrun.NewPool(sshrun.PoolOptions{Logger: logger})
//	defer pool.Close()
//	r := pool.Runner("10.0.0.1:22", "default", sshrun.FromConfig(&module.SSH))
//	out, err := r.Run(ctx, "showrcopy")
//	err = r.Connect(ctx) // before sending credentials to the array by another way
//
// Every error is an *Error whose Stage (connect, auth, command) is the
// exporter's scrape_error stage. Why each rule exists:
//   - x/crypto/ssh's Timeout covers only the TCP dial, so the context's
//     deadline is set on the socket for the handshake, and a watchdog closes
//     the connection when it passes during a command: nothing can hang, and
//     the array sees its session end.
//   - Arrays limit CLI sessions ("Too many local CLI connections."):
//     concurrent Runs of one command on one array share one execution
//     (singleflight), and different commands to one array wait their turn
//     in the array's slot. An array is its canonical endpoint (Endpoint:
//     host name lower-cased and resolved, IP and port), so no spelling of
//     its address gets a second session or connection. A connection is
//     used for another name of the array only once its host key has been
//     checked for that name too. Output over the cap is read to its end
//     (and dropped) so that the command has ended on the array before the
//     slot passes on.
//   - Connect makes sure a connection with a verified host key exists: the
//     exporter calls it before it sends the CIM password to the same host.
//   - Arrays lock a user out after a few failed logins: after the array
//     refused a login, the Pool tries no new one with the same credentials
//     on that array and module for Options.AuthBackoff (config's
//     ssh.auth_backoff); Runs fail at once with an *AuthBackoffError saying
//     until when. A changed secret or Pool.ResetAuthBackoff (a reload) ends
//     it.
//   - known_hosts is re-read at every dial through internal/safefile: a
//     pipe or device put in its place fails the dial at once, and the read
//     ends with the Run's context.
//   - Only show* commands are sent unless Options.AllowChanges, and no
//     character the Tcl-based CLI would interpret, so that no input can turn
//     a probe into a change.
//   - CLI errors may come with exit status 0; DetectCLIError finds them.
package sshrun
