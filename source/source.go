package source

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/sshrun"
	"github.com/threepar/rcopy-exporter/stage"
)

// ShowCommand is what a read runs on the array's CLI.
const ShowCommand = "showrcopy"

// CLI runs one command on an array's CLI (sshrun's runner).
type CLI interface {
	Run(ctx context.Context, command string) ([]byte, error)
}

// hostKeyVerifier is a CLI that can make sure the array's SSH host key was
// verified (a connection exists that passed the known_hosts check) before
// any credential goes to the array's CIM server.
type hostKeyVerifier interface {
	Connect(ctx context.Context) error
}

// CIMReader reads an array's remote copy instances (*cim.Client).
type CIMReader interface {
	RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error)
}

// Array is one array reached as a user reaches it: its CLI over SSH and,
// when configured, its CIM server.
type Array struct {
	Name string
	CLI  CLI
	CIM  CIMReader // nil: CIM is not read
}

// Reading is what one read learned.
type Reading struct {
	Raw    []byte         // showrcopy's output; nil when the CLI failed
	Output *parser.Output // nil when the CLI failed or its output was not understood
	// CIM holds the instances the CIM server reports; nil when CIM is not
	// read or its read failed.
	CIM []cim.RemoteCopyVolume
}

// Input is the reading as the judgement takes it.
func (r Reading) Input(name string) conformance.Input {
	in := conformance.Input{Name: name, Output: r.Output}
	if r.CIM != nil {
		in.CIM = conformance.FromCIM(r.CIM)
	}
	return in
}

// Error is an array that could not be read or commanded. Error() is
// "ARRAY: stage: reason", one line.
type Error struct {
	Array string
	Stage stage.Stage
	Err   error
}

func (e *Error) Error() string {
	msg := strings.Join(strings.Fields(e.Err.Error()), " ")
	// The CIM client prefixes its own errors with "cim: "; don't say it twice.
	msg = strings.TrimPrefix(msg, string(e.Stage)+": ")
	return e.Array + ": " + string(e.Stage) + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

// StageOf is the stage of an error of Read or Command; an error that does
// not say (a deadline hit outside the runner, a test fake) is a command
// failure.
func StageOf(err error) stage.Stage {
	var e *Error
	if errors.As(err, &e) {
		return e.Stage
	}
	var se *sshrun.Error
	if errors.As(err, &se) {
		return se.Stage
	}
	return stage.Command
}

func (a Array) fail(err error) *Error {
	var se *sshrun.Error
	if errors.As(err, &se) {
		return &Error{Array: a.Name, Stage: se.Stage, Err: se.Err}
	}
	return &Error{Array: a.Name, Stage: StageOf(err), Err: err}
}

// Read runs showrcopy and, when CIM is configured, reads the remote copy
// instances, concurrently once the array's host key is verified. The error
// is an *Error naming the first stage that failed; a parse failure
// outranks a CIM failure (nothing of the array is known then), and a CIM
// failure keeps the parsed output in the Reading.
func (a Array) Read(ctx context.Context) (Reading, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type cimAnswer struct {
		vols []cim.RemoteCopyVolume
		err  error
	}
	var cimDone chan cimAnswer
	if a.CIM != nil {
		if v, ok := a.CLI.(hostKeyVerifier); ok {
			if err := v.Connect(ctx); err != nil {
				return Reading{}, a.fail(err)
			}
		}
		cimDone = make(chan cimAnswer, 1)
		go func() {
			vols, err := a.CIM.RemoteCopyVolumes(ctx)
			cimDone <- cimAnswer{vols, err}
		}()
	}
	raw, err := a.CLI.Run(ctx, ShowCommand)
	if err != nil {
		cancel()
		if cimDone != nil {
			<-cimDone // never leave the goroutine behind
		}
		return Reading{}, a.fail(err)
	}
	r := Reading{Raw: raw}
	out, perr := parser.Parse(raw)
	var cimErr error
	if cimDone != nil {
		ans := <-cimDone
		if ans.err == nil && ans.vols == nil {
			ans.vols = []cim.RemoteCopyVolume{} // read, and reports nothing
		}
		r.CIM, cimErr = ans.vols, ans.err
	}
	if perr != nil {
		return Reading{Raw: raw}, &Error{Array: a.Name, Stage: stage.Parse, Err: fmt.Errorf("parsing %s output: %w", ShowCommand, perr)}
	}
	r.Output = out
	if cimErr != nil {
		r.CIM = nil
		return r, &Error{Array: a.Name, Stage: stage.CIM, Err: cimErr}
	}
	return r, nil
}

// Command runs a CLI command that changes the array (its CLI must allow
// changes). Errors are *Error.
func (a Array) Command(ctx context.Context, command string) error {
	if _, err := a.CLI.Run(ctx, command); err != nil {
		return a.fail(err)
	}
	return nil
}
