package sshrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/stage"
)

// Error is every error Run returns. Error() is one line and never contains
// a secret.
type Error struct {
	Stage   stage.Stage // stage.Connect, stage.Auth or stage.Command
	Address string      // host:port of the array
	Err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("ssh %s: %s: %v", e.Address, e.Stage, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotAllowed is returned (inside an *Error) for a command the Runner may
// not send.
var ErrNotAllowed = errors.New("command not allowed")

// ErrPoolClosed is returned (inside an *Error) after Pool.Close.
var ErrPoolClosed = errors.New("ssh pool closed")

// AuthBackoffError is a login not tried: the array refused the same
// credentials less than the module's auth_backoff ago, and arrays lock a
// user out after a few failed logins. A changed secret, a configuration
// reload (Pool.ResetAuthBackoff) or the end of the back-off ends it.
type AuthBackoffError struct {
	Until time.Time // when a login is tried again
	Cause error     // the refusal
}

func (e *AuthBackoffError) Error() string {
	return fmt.Sprintf("login not retried until %s, to keep the array from locking the user out (the last login was refused: %v); a changed secret or a configuration reload ends the back-off",
		e.Until.Format(time.RFC3339), e.Cause)
}

func (e *AuthBackoffError) Unwrap() error { return e.Cause }

// TimeoutError reports that the deadline passed; the connection was closed
// so that nothing keeps running on the array.
type TimeoutError struct {
	Doing string        // e.g. `running "showrcopy"`
	After time.Duration // time spent before giving up
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("timed out after %s %s", e.After.Round(time.Millisecond), e.Doing)
}

// Timeout lets net-style checks recognise it.
func (e *TimeoutError) Timeout() bool { return true }

// Is makes errors.Is(err, context.DeadlineExceeded) true.
func (e *TimeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

// ExitError is a command that ended with a non-zero exit status.
type ExitError struct {
	Command string
	Status  int
	Message string // first non-empty line of stderr, else of stdout
}

func (e *ExitError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%q exited with status %d", e.Command, e.Status)
	}
	return fmt.Sprintf("%q exited with status %d: %q", e.Command, e.Status, e.Message)
}

// CLIError is error text the array's CLI printed instead of a result,
// possibly with exit status 0.
type CLIError struct {
	Line string // the offending line, trimmed
}

func (e *CLIError) Error() string { return fmt.Sprintf("array CLI error: %q", e.Line) }

// TooManyConnections reports the array's refusal when its CLI session limit
// is reached.
func (e *CLIError) TooManyConnections() bool {
	return strings.HasPrefix(strings.ToLower(e.Line), "too many local cli connections")
}

const maxQuotedLine = 200 // keep one-line errors short

// DetectCLIError returns a *CLIError when the first non-empty line of a
// command's output is CLI error text rather than a result: `Too many local
// CLI connections.`, `Error: ...`, or a line containing `Permission denied`
// or `not authorized`. Other output (including an empty one) gives nil.
func DetectCLIError(out []byte) error {
	line := firstLine(out)
	lower := strings.ToLower(line)
	switch {
	case line == "":
		return nil
	case strings.HasPrefix(lower, "too many local cli connections"),
		strings.HasPrefix(lower, "error:"),
		strings.Contains(lower, "permission denied"),
		strings.Contains(lower, "not authorized"):
		return &CLIError{Line: line}
	}
	return nil
}

// firstLine returns the first non-blank line of out, trimmed and cut to
// maxQuotedLine bytes. Only the start of out is looked at.
func firstLine(out []byte) string {
	const look = 64 << 10
	if len(out) > look {
		out = out[:look]
	}
	for len(out) > 0 {
		var line []byte
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			line, out = out[:i], out[i+1:]
		} else {
			line, out = out, nil
		}
		if s := strings.TrimSpace(string(line)); s != "" {
			if len(s) > maxQuotedLine {
				s = strings.ToValidUTF8(s[:maxQuotedLine], "") + "..."
			}
			return s
		}
	}
	return ""
}
