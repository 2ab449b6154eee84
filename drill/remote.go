package drill

import (
	"context"
	"fmt"

	"github.com/threepar/rcopy-exporter/conformance"
	"github.com/threepar/rcopy-exporter/source"
)

// Pair is a Driver over two arrays (and the third of a Synchronous Long
// Distance trio) read and commanded as a person would (source.Array: CLI
// over SSH, CIM through the CIM client). Isolate and
// Reconnect, which software cannot do on a real pair, are delegated to the
// given functions (which may ask the operator, run a command, or power a
// simulated array).
type Pair struct {
	Primary, Secondary source.Array
	Third              source.Array // zero when the walk has no third array
	IsolateFunc        func(ctx context.Context) error
	ReconnectFunc      func(ctx context.Context) error
}

func (p *Pair) array(side Side) source.Array {
	switch side {
	case Primary:
		return p.Primary
	case Secondary:
		return p.Secondary
	}
	return p.Third
}

// Observe implements Driver. Errors are *source.Error.
func (p *Pair) Observe(ctx context.Context, side Side) (conformance.Input, error) {
	a := p.array(side)
	if a.CLI == nil {
		return conformance.Input{}, fmt.Errorf("no %s array", side)
	}
	r, err := a.Read(ctx)
	if err != nil {
		return conformance.Input{}, err
	}
	return r.Input(a.Name), nil
}

// Command implements Driver.
func (p *Pair) Command(ctx context.Context, side Side, command string) error {
	return p.array(side).Command(ctx, command)
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
