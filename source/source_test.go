package source

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
	"github.com/threepar/rcopy-exporter/sshrun"
	"github.com/threepar/rcopy-exporter/stage"
)

const healthy = `Remote Copy System Information
Status: Started, Normal

Group Information

Name Target Status  Role    Mode Options
db   b      Started Primary Sync
  LocalVV ID  RemoteVV ID  SyncStatus LastSyncTime
  db.0    100 db.0     200 Synced     NA
`

// cli answers showrcopy; connectErr, when set, is what verifying the host
// key gives (and makes it a hostKeyVerifier).
type cli struct {
	out  string
	err  error
	hang bool
}

func (c *cli) Run(ctx context.Context, command string) ([]byte, error) {
	if command != ShowCommand {
		return nil, errors.New("unexpected command " + command)
	}
	if c.hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return []byte(c.out), c.err
}

type verifyingCLI struct {
	cli
	connectErr error
	connected  atomic.Bool
}

func (c *verifyingCLI) Connect(context.Context) error {
	c.connected.Store(c.connectErr == nil)
	return c.connectErr
}

type cimReader struct {
	vols     []cim.RemoteCopyVolume
	err      error
	called   atomic.Bool
	returned atomic.Bool
	block    bool
	// before is checked when the read starts: credentials may go out only
	// once it holds.
	before func() bool
	early  atomic.Bool
}

func (r *cimReader) RemoteCopyVolumes(ctx context.Context) ([]cim.RemoteCopyVolume, error) {
	r.called.Store(true)
	if r.before != nil && !r.before() {
		r.early.Store(true)
	}
	defer r.returned.Store(true)
	if r.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return r.vols, r.err
}

func TestRead(t *testing.T) {
	synced := []cim.RemoteCopyVolume{{Volume: "db.0", CopyState: 4, SyncState: 6, ProgressStatus: 2}}
	cases := []struct {
		name      string
		cli       CLI
		cim       *cimReader
		stage     stage.Stage // "" = success
		output    bool        // Reading.Output set
		cimRead   bool        // Reading.CIM set
		cimCalled bool
	}{
		{name: "ssh only", cli: &cli{out: healthy}, output: true},
		{name: "ssh and cim", cli: &cli{out: healthy}, cim: &cimReader{vols: synced}, output: true, cimRead: true, cimCalled: true},
		{name: "cim reports nothing", cli: &cli{out: healthy}, cim: &cimReader{}, output: true, cimRead: true, cimCalled: true},
		{name: "cim fails, the output stays", cli: &cli{out: healthy}, cim: &cimReader{err: errors.New("cim: refused")},
			stage: stage.CIM, output: true, cimCalled: true},
		{name: "parse outranks cim", cli: &cli{out: "garbage\n"}, cim: &cimReader{err: errors.New("cim: refused")},
			stage: stage.Parse, cimCalled: true},
		{name: "auth", cli: &cli{err: &sshrun.Error{Stage: stage.Auth, Address: "a:22", Err: errors.New("refused")}},
			cim: &cimReader{block: true}, stage: stage.Auth, cimCalled: true},
		{name: "an error that does not say is a command failure", cli: &cli{err: errors.New("boom")}, stage: stage.Command},
		{name: "unverified host key: no CIM credentials sent",
			cli: &verifyingCLI{cli: cli{out: healthy}, connectErr: &sshrun.Error{Stage: stage.Connect, Address: "a:22", Err: errors.New("host key unknown")}},
			cim: &cimReader{vols: synced}, stage: stage.Connect},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := Array{Name: "array", CLI: c.cli}
			if c.cim != nil {
				a.CIM = c.cim
			}
			r, err := a.Read(context.Background())
			if got := stageOrEmpty(err); got != c.stage {
				t.Errorf("stage %q, want %q (%v)", got, c.stage, err)
			}
			if err != nil && (!strings.HasPrefix(err.Error(), "array: "+string(c.stage)+": ") || strings.Contains(err.Error(), "\n")) {
				t.Errorf("error %q: want one line ARRAY: stage: reason", err)
			}
			if (r.Output != nil) != c.output || (r.CIM != nil) != c.cimRead {
				t.Errorf("output %t cim %t, want %t %t", r.Output != nil, r.CIM != nil, c.output, c.cimRead)
			}
			if c.cim != nil && c.cim.called.Load() != c.cimCalled {
				t.Errorf("CIM read %t, want %t", c.cim.called.Load(), c.cimCalled)
			}
			if c.cim != nil && c.cim.called.Load() && !c.cim.returned.Load() {
				t.Error("the CIM read was left running")
			}
		})
	}
}

// The CIM read starts only after the CLI has verified the array's host key.
func TestCIMWaitsForTheVerifiedHostKey(t *testing.T) {
	c := &verifyingCLI{cli: cli{out: healthy}}
	r := &cimReader{before: c.connected.Load}
	if _, err := (Array{Name: "a", CLI: c, CIM: r}).Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !r.called.Load() || r.early.Load() {
		t.Errorf("CIM read called %t, before the host key was verified %t", r.called.Load(), r.early.Load())
	}
}

// A CLI that never answers ends with the context, and takes the CIM read
// with it.
func TestReadDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := &cimReader{block: true}
	_, err := Array{Name: "a", CLI: &cli{hang: true}, CIM: r}.Read(ctx)
	if StageOf(err) != stage.Command || !r.returned.Load() {
		t.Errorf("stage %q, CIM returned %t", StageOf(err), r.returned.Load())
	}
}

func stageOrEmpty(err error) stage.Stage {
	if err == nil {
		return ""
	}
	return StageOf(err)
}
