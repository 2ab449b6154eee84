package fakearray

import (
	"bytes"
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
)

// CIM classes the simulator serves in namespace root/tpd.
const (
	cimNamespace     = "root/tpd"
	classVolume      = "TPD_StorageVolume"
	classRemoteSync  = "TPD_RemoteStorageSynchronized"
	classRemoteGroup = "TPD_RemoteReplicationGroup"
)

// maxDelayedRequest bounds what a slow or hanging CIM server reads ahead
// (real CIM requests are a few hundred bytes).
const maxDelayedRequest = 1 << 20

// cimServer is one array's CIM-XML server.
type cimServer struct {
	ln  *switchListener
	srv *http.Server
}

func newCIMServer(s *Sim, a *simArray, addr string) (*cimServer, error) {
	ln, err := newSwitchListener(addr)
	if err != nil {
		return nil, err
	}
	h := cim.NewHandler(&provider{sim: s, a: a}, cim.HandlerOptions{
		Authenticate: func(name, password string) bool {
			s.mu.RLock()
			defer s.mu.RUnlock()
			u := a.users[name]
			if u == nil || a.faults.has(FaultAuthFail) {
				return false
			}
			return u.password != "" && subtle.ConstantTimeCompare([]byte(u.password), []byte(password)) == 1
		},
		Logger: s.log.With("array", a.cfg.Name),
	})
	c := &cimServer{ln: ln}
	c.srv = &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.mu.RLock()
			slow, isSlow := a.faults[FaultSlow]
			hang := a.faults.has(FaultHang)
			s.mu.RUnlock()
			if isSlow || hang {
				// Read the request first: net/http notices a client that
				// gives up (and cancels r.Context()) only once the body is
				// read; otherwise a hung handler outlives its client.
				body, err := io.ReadAll(io.LimitReader(r.Body, maxDelayedRequest))
				if err != nil {
					return
				}
				r.Body = struct {
					io.Reader
					io.Closer
				}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
			}
			if isSlow && !sleepCtx(r.Context(), s.done, slow.Delay) {
				return
			}
			if hang {
				select {
				case <-r.Context().Done():
				case <-s.done:
				}
				return
			}
			h.ServeHTTP(w, r)
		}),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		c.srv.Serve(ln)
	}()
	return c, nil
}

func (c *cimServer) close() {
	c.srv.Close()
	c.ln.Close()
}

// sleepCtx waits d; false when ctx or done ended first.
func sleepCtx(ctx context.Context, done <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-done:
	}
	return false
}

// provider serves one array's instances from the shared state.
type provider struct {
	sim *Sim
	a   *simArray
}

func (p *provider) EnumerateInstances(_ context.Context, namespace, className string) ([]cim.Instance, error) {
	if !strings.EqualFold(strings.Trim(namespace, "/"), cimNamespace) {
		return nil, &cim.Error{Code: cim.ErrInvalidNamespace, Description: "namespace " + namespace + " does not exist; use root/tpd"}
	}
	s := p.sim
	s.mu.RLock()
	defer s.mu.RUnlock()
	if p.a.faults.has(FaultCIMError) {
		return nil, &cim.Error{Code: cim.ErrFailed, Description: "internal provider error"}
	}
	switch {
	case strings.EqualFold(className, classVolume):
		return p.volumesLocked(), nil
	case strings.EqualFold(className, classRemoteSync):
		return p.remoteSyncLocked()
	case strings.EqualFold(className, classRemoteGroup):
		return p.groupsLocked(), nil
	}
	return nil, &cim.Error{Code: cim.ErrInvalidClass, Description: "class " + className + " does not exist in root/tpd"}
}

// DeviceID is a volume's 32-hex-digit, WWN-like CIM DeviceID.
func DeviceID(systemID, volumeID int) string {
	return fmt.Sprintf("60002AC0%016X%08X", volumeID, systemID)
}

func str(s string) *string { return &s }

func (p *provider) volumesLocked() []cim.Instance {
	var out []cim.Instance
	for _, mb := range p.a.members {
		for _, v := range mb.vols {
			dev := DeviceID(p.a.cfg.SystemID, v.id)
			out = append(out, cim.Instance{ClassName: classVolume, Properties: []cim.Property{
				{Name: "CreationClassName", Type: "string", Key: true, Value: str(classVolume)},
				{Name: "DeviceID", Type: "string", Key: true, Value: str(dev)},
				{Name: "SystemCreationClassName", Type: "string", Key: true, Value: str("TPD_StorageSystem")},
				{Name: "SystemName", Type: "string", Key: true, Value: str(p.a.cfg.WWN)},
				{Name: "ElementName", Type: "string", Value: str(v.name)},
				{Name: "Name", Type: "string", Value: str(dev)},
			}})
		}
	}
	return out
}

// volumeRef is the object path of a volume; host is the array's name for
// local volumes and the peer system's WWN for the peer's.
func volumeRef(host string, a *simArray, volumeID int) *cim.ObjectPath {
	return &cim.ObjectPath{Host: host, Namespace: cimNamespace, ClassName: classVolume, Keys: []cim.KeyBinding{
		{Name: "CreationClassName", Value: classVolume, ValueType: "string"},
		{Name: "DeviceID", Value: DeviceID(a.cfg.SystemID, volumeID), ValueType: "string"},
		{Name: "SystemCreationClassName", Value: "TPD_StorageSystem", ValueType: "string"},
		{Name: "SystemName", Value: a.cfg.WWN, ValueType: "string"},
	}}
}

// localIsSource reports whether the listing's own volumes are the
// SystemElement (the source): where this array sends; on a standby leg
// the synchronous secondary's (the manual's SLD text); where neither end
// sends (a reverse -local), the leg's first end.
func (ls listing) localIsSource() bool {
	switch {
	case ls.l.backup():
		return ls.e == ls.l.ends[0]
	case isSource(ls.e.role):
		return true
	case isSource(ls.peer.role):
		return false
	}
	return ls.e == ls.l.ends[0]
}

// remoteSyncLocked is one TPD_RemoteStorageSynchronized per volume and
// leg: a volume of a group with two targets has one instance per target,
// each naming its peer system (the peer volume's path has the peer's WWN
// as host and SystemName). The values come from the simulator's CIM
// answers (cimtable.go), never from the code it is used to check.
func (p *provider) remoteSyncLocked() ([]cim.Instance, error) {
	now := p.sim.clock()
	var out []cim.Instance
	missing := p.a.faults.has(FaultCIMMissingVolume)
	mismatch := p.a.faults.has(FaultCIMCopyStateMismatch)
	for _, ls := range p.sim.listingsLocked(p.a, now) {
		mode, copyType := "2", "3" // Synchronous
		if ls.l.periodic {
			mode, copyType = "3", "2"
		}
		for i := range ls.vols {
			c := ls.cimCase(i)
			entry, ok := p.sim.cim.answer(c)
			if !ok {
				return nil, &cim.Error{Code: cim.ErrFailed, Description: fmt.Sprintf("simulator: no CIM answer for %s (group %s)", c, ls.e.m.name)}
			}
			if missing {
				missing = false // leave out the first volume pair only
				continue
			}
			ans := entry.CIMAnswer
			if mismatch {
				ans.CopyState = copyFractured
			}
			whenSynced := (*string)(nil)
			if ls.l.periodic && !ls.vols[i].lastSync.IsZero() {
				whenSynced = str(cimDatetime(ls.vols[i].lastSync))
			}
			local := volumeRef(p.a.cfg.Name, p.a, ls.e.m.vols[i].id)
			remote := volumeRef(ls.peer.m.array.cfg.WWN, ls.peer.m.array, ls.peer.m.vols[i].id)
			source, target := local, remote
			if !ls.localIsSource() {
				source, target = remote, local
			}
			out = append(out, cim.Instance{ClassName: classRemoteSync, Properties: []cim.Property{
				{Name: "SystemElement", Type: cim.TypeReference, Key: true, Ref: source},
				{Name: "SyncedElement", Type: cim.TypeReference, Key: true, Ref: target},
				{Name: "CopyState", Type: "uint16", Value: str(strconv.Itoa(int(ans.CopyState)))},
				{Name: "SyncState", Type: "uint16", Value: str(strconv.Itoa(int(ans.SyncState)))},
				{Name: "ProgressStatus", Type: "uint16", Value: str(strconv.Itoa(int(ans.ProgressStatus)))},
				{Name: "RoleReversed", Type: "boolean", Value: str(cimBool(ans.RoleReversed))},
				{Name: "WhenSynced", Type: "datetime", Value: whenSynced},
				{Name: "Mode", Type: "uint16", Value: str(mode)},
				{Name: "CopyType", Type: "uint16", Value: str(copyType)},
				{Name: "SyncType", Type: "uint16", Value: str("6")},
			}})
		}
	}
	return out, nil
}

func (p *provider) groupsLocked() []cim.Instance {
	var out []cim.Instance
	for _, mb := range p.a.members {
		out = append(out, cim.Instance{ClassName: classRemoteGroup, Properties: []cim.Property{
			{Name: "InstanceID", Type: "string", Key: true, Value: str("HP_3PAR:" + mb.name)},
			{Name: "ElementName", Type: "string", Value: str(mb.name)},
		}})
	}
	return out
}

func cimBool(b bool) string {
	if b {
		return "TRUE"
	}
	return "FALSE"
}

// cimDatetime formats t as a CIM datetime: yyyymmddhhmmss.mmmmmmsutc.
func cimDatetime(t time.Time) string {
	t = t.UTC()
	return t.Format("20060102150405") + fmt.Sprintf(".%06d+000", t.Nanosecond()/1000)
}
