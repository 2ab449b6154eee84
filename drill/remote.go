package drill

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/expected"
	"github.com/threepar/rcopy-exporter/parser"
	"github.com/threepar/rcopy-exporter/sshrun"

	"github.com/threepar/rcopy-exporter/stage"
)

// CLI runs one command on an array's CLI (sshrun.Runner).
type CLI interface {
	Run(ctx context.Context, command string) ([]byte, error)
}

// CIMReader reads an array's remote copy instances (*cim.Client).
type CIMReader interface {
	RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error)
}

// Remote is one array reached as a user reaches it: its CLI over SSH and,
// when configured, its CIM server.
type Remote struct {
	Name string
	CLI  CLI
	CIM  CIMReader // nil: CIM is not read
}

// ArrayError is an array that could not be read or commanded. Error() is
// "ARRAY: stage: reason", one line.
type ArrayError struct {
	Array string
	Stage stage.Stage
	Err   error
}

func (e *ArrayError) Error() string {
	msg := strings.Join(strings.Fields(e.Err.Error()), " ")
	// The CIM client prefixes its own errors with "cim: "; don't say it twice.
	msg = strings.TrimPrefix(msg, string(e.Stage)+": ")
	return e.Array + ": " + string(e.Stage) + ": " + msg
}

func (e *ArrayError) Unwrap() error { return e.Err }

func (r Remote) fail(err error) error {
	var se *sshrun.Error
	if errors.As(err, &se) {
		return &ArrayError{Array: r.Name, Stage: se.Stage, Err: se.Err}
	}
	return &ArrayError{Array: r.Name, Stage: stage.Command, Err: err}
}

// Observe runs `showrcopy` and, when CIM is configured, reads the remote
// copy instances. Errors are *ArrayError.
func (r Remote) Observe(ctx context.Context) (conformance.Array, error) {
	raw, err := r.CLI.Run(ctx, "showrcopy")
	if err != nil {
		return conformance.Array{}, r.fail(err)
	}
	out, err := parser.Parse(raw)
	if err != nil {
		return conformance.Array{}, &ArrayError{Array: r.Name, Stage: stage.Parse, Err: err}
	}
	a := conformance.Array{Name: r.Name, Output: out}
	if r.CIM == nil {
		return a, nil
	}
	vols, err := r.CIM.RemoteCopyVolumes(ctx)
	if err != nil {
		return conformance.Array{}, &ArrayError{Array: r.Name, Stage: stage.CIM, Err: err}
	}
	a.Observed = ObservedFromCIM(vols)
	return a, nil
}

// Command runs a CLI command that changes the array (the CLI must allow
// changes). Errors are *ArrayError.
func (r Remote) Command(ctx context.Context, command string) error {
	if _, err := r.CLI.Run(ctx, command); err != nil {
		return r.fail(err)
	}
	return nil
}

// ObservedFromCIM turns what the CIM client read into conformance's
// observations. An instance whose local volume is unknown is left out (it
// cannot be put against a volume); a NULL state is kept as 0, which no row
// has, so the volume does not conform.
func ObservedFromCIM(vols []cim.RemoteCopyVolume) []conformance.Observed {
	out := make([]conformance.Observed, 0, len(vols))
	for _, v := range vols {
		if v.Volume == "" {
			continue
		}
		out = append(out, conformance.Observed{Volume: v.Volume, Triple: expected.Triple{
			CopyState:      expected.CopyState(v.CopyState),
			SyncState:      expected.SyncState(v.SyncState),
			ProgressStatus: expected.ProgressStatus(v.ProgressStatus),
			RoleReversed:   v.RoleReversed,
		}})
	}
	return out
}

// Pair is a Driver over two Remotes. Isolate and Reconnect, which software
// cannot do on a real pair, are delegated to the given functions (which
// may ask the operator, run a command, or power a simulated array).
type Pair struct {
	Primary, Secondary Remote
	IsolateFunc        func(ctx context.Context) error
	ReconnectFunc      func(ctx context.Context) error
}

func (p *Pair) remote(side Side) Remote {
	if side == Primary {
		return p.Primary
	}
	return p.Secondary
}

// Observe implements Driver.
func (p *Pair) Observe(ctx context.Context, side Side) (conformance.Array, error) {
	return p.remote(side).Observe(ctx)
}

// Command implements Driver.
func (p *Pair) Command(ctx context.Context, side Side, command string) error {
	return p.remote(side).Command(ctx, command)
}

// Isolate implements Driver.
func (p *Pair) Isolate(ctx context.Context) error {
	if p.IsolateFunc == nil {
		return fmt.Errorf("no way to take %s down", p.Primary.Name)
	}
	return p.IsolateFunc(ctx)
}

// Reconnect implements Driver.
func (p *Pair) Reconnect(ctx context.Context) error {
	if p.ReconnectFunc == nil {
		return fmt.Errorf("no way to bring %s back", p.Primary.Name)
	}
	return p.ReconnectFunc(ctx)
}
