package fakearray

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// Options tune a simulation started with Start.
type Options struct {
	// TransitionDelay overrides the scenario's transition_delay when > 0.
	TransitionDelay time.Duration
	// TimeScale overrides the scenario's time_scale when > 0: the factor
	// applied to the arrays' documented durations (link timeouts).
	TimeScale float64
	// Clock returns the current time (default time.Now); it drives
	// periodic Last-Sync times and sync percentages.
	Clock func() time.Time
	// Logger receives the simulator's log (default: discard).
	Logger *slog.Logger
	// SSHListen and CIMListen override the scenario's listen addresses:
	// the Nth address serves the Nth array.
	SSHListen, CIMListen []string
	// Faults are injected at start, as --inject takes them: FAULT (every
	// array) or ARRAY:FAULT (ParseInjection).
	Faults []string
}

// Sim is a running simulation. All methods are safe for concurrent use.
type Sim struct {
	mu      sync.RWMutex
	arrays  []*simArray
	byName  map[string]*simArray
	links   []*pairLink
	groups  []*group
	loc     *time.Location
	delay   time.Duration
	scale   float64
	clock   func() time.Time
	log     *slog.Logger
	adminPW string
	cim     cimTable
	// syncPercent: the sending side prints "Syncing (NN%)".
	syncPercent bool
	// continentalclusters: a returning old primary stays Primary until
	// recover (else it shows Secondary-Rev at once, as the tables say).
	continentalclusters bool
	nextTask            int

	closed  bool
	events  map[*event]struct{} // pending transitions and timeouts
	seq     uint64
	idle    chan struct{} // closed and replaced whenever events empties
	done    chan struct{} // closed by Close
	wg      sync.WaitGroup
	stopCtx func() bool
}

// simArray is one array's runtime state.
type simArray struct {
	cfg     ArrayConfig
	down    bool
	faults  faultSet
	peers   []*peer   // targets, in print order
	members []*member // groups held here, in print order
	byLocal map[string]*member
	users   map[string]*user
	hostKey gossh.Signer
	altKey  gossh.Signer // presented under host-key-change
	ssh     *sshServer
	cim     *cimServer
}

type user struct {
	name     string
	password string // "" = no password login
	keys     []gossh.PublicKey
}

// peer is one remote copy target of an array.
type peer struct {
	array    *simArray
	link     *pairLink
	targetID int
	typ      string
	// addresses of the peer's two ports, as this array's links print them.
	addrs [2]string
}

// ArrayInfo is what a client needs to reach one simulated array.
type ArrayInfo struct {
	Name     string
	SystemID int
	WWN      string
	// SSHAddress is host:port of the SSH server; CIMURL the CIM-XML
	// endpoint base (http://host:port), clients POST to CIMURL + "/cimom".
	SSHAddress string
	CIMURL     string
	// User and Password are the first password user of the array ("" when
	// it has none).
	User, Password string
	// HostKey is the SSH host key the array normally presents.
	HostKey gossh.PublicKey
	// KnownHostsLine is a known_hosts line for HostKey at SSHAddress.
	KnownHostsLine string
}

// Start builds the arrays of sc and starts their SSH and CIM servers. When
// ctx ends, the simulation closes. Start fills in sc's defaults (nil: the
// built-in DefaultScenario).
func Start(ctx context.Context, sc *Scenario, opts Options) (*Sim, error) {
	if sc == nil {
		sc = DefaultScenario()
	}
	if err := sc.normalize(); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(sc.TimeZone)
	if err != nil {
		return nil, err
	}
	s := &Sim{
		byName:              map[string]*simArray{},
		loc:                 loc,
		delay:               time.Duration(sc.TransitionDelay),
		scale:               sc.TimeScale,
		clock:               opts.Clock,
		log:                 opts.Logger,
		syncPercent:         sc.SyncPercent == nil || *sc.SyncPercent,
		continentalclusters: sc.ReturningPrimary == ReturningPrimaryContinentalclusters,
		nextTask:            1001,
		events:              map[*event]struct{}{},
		idle:                make(chan struct{}),
		done:                make(chan struct{}),
	}
	if opts.TransitionDelay > 0 {
		s.delay = opts.TransitionDelay
	}
	if opts.TimeScale > 0 {
		s.scale = opts.TimeScale
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cim.choices, err = sc.cimChoices(); err != nil {
		return nil, err
	}
	close(s.idle) // nothing pending
	s.adminPW = DefaultAdminPassword
	if sc.SimAdminPassword != "" {
		s.adminPW = sc.SimAdminPassword
	}
	if sc.SimAdminPasswordFile != "" {
		if s.adminPW, err = readSecret(sc.SimAdminPasswordFile); err != nil {
			return nil, err
		}
	}
	if err := s.build(sc); err != nil {
		return nil, err
	}
	names := make([]string, len(s.arrays))
	for i, a := range s.arrays {
		names[i] = a.cfg.Name
	}
	for _, spec := range opts.Faults {
		injections, err := ParseInjection(spec, names)
		if err != nil {
			return nil, fmt.Errorf("--inject %q: %w", spec, err)
		}
		for _, in := range injections {
			if err := s.InjectFault(in.Array, in.Fault.String()); err != nil {
				return nil, err
			}
		}
	}
	if len(opts.SSHListen) > len(s.arrays) || len(opts.CIMListen) > len(s.arrays) {
		return nil, fmt.Errorf("more listen addresses than arrays (%d)", len(s.arrays))
	}
	for i, a := range s.arrays {
		sshAddr, cimAddr := a.cfg.SSHListen, a.cfg.CIMListen
		if i < len(opts.SSHListen) {
			sshAddr = opts.SSHListen[i]
		}
		if i < len(opts.CIMListen) {
			cimAddr = opts.CIMListen[i]
		}
		if a.ssh, err = newSSHServer(s, a, sshAddr); err != nil {
			s.Close()
			return nil, fmt.Errorf("array %s: ssh: %w", a.cfg.Name, err)
		}
		if a.cim, err = newCIMServer(s, a, cimAddr); err != nil {
			s.Close()
			return nil, fmt.Errorf("array %s: cim: %w", a.cfg.Name, err)
		}
	}
	s.mu.Lock()
	for _, a := range s.arrays {
		s.applyListenersLocked(a, "")
	}
	s.mu.Unlock()
	s.stopCtx = context.AfterFunc(ctx, func() { s.Close() })
	return s, nil
}

// build creates the runtime state from a normalized scenario.
func (s *Sim) build(sc *Scenario) error {
	now := s.clock()
	for _, ac := range sc.Arrays {
		a := &simArray{cfg: ac, down: ac.Down, faults: faultSet{}, byLocal: map[string]*member{}, users: map[string]*user{}}
		for _, f := range ac.Faults {
			ft, _ := ParseFault(f) // validated by normalize
			a.faults[ft.Name] = ft
		}
		for _, uc := range ac.Users {
			u, err := loadUser(uc)
			if err != nil {
				return fmt.Errorf("array %s: %w", ac.Name, err)
			}
			a.users[u.name] = u
		}
		keyFile := ac.HostKeyFile
		if keyFile == "" && sc.HostKeyDir != "" {
			keyFile = sc.HostKeyDir + string(os.PathSeparator) + ac.Name + ".key"
		}
		var err error
		if a.hostKey, err = loadOrCreateHostKey(keyFile); err != nil {
			return fmt.Errorf("array %s: host key: %w", ac.Name, err)
		}
		if a.altKey, err = loadOrCreateHostKey(""); err != nil {
			return err
		}
		s.arrays = append(s.arrays, a)
		s.byName[ac.Name] = a
	}
	for i, tc := range sc.Targets {
		a, b := s.byName[tc.Arrays[0]], s.byName[tc.Arrays[1]]
		l := &pairLink{a: a, b: b}
		if tc.Down {
			l.cut = [2]bool{true, true}
		}
		s.links = append(s.links, l)
		for _, side := range [][2]*simArray{{a, b}, {b, a}} {
			from, to := side[0], side[1]
			p := &peer{array: to, link: l, targetID: len(from.peers) + 1, typ: tc.Type}
			for port := range p.addrs {
				if tc.Type == "FC" {
					p.addrs[port] = fmt.Sprintf("2%d2%d%s", port, port+1, to.cfg.WWN[4:])
				} else {
					p.addrs[port] = fmt.Sprintf("10.%d.%d.%d", 100+i/250, i%250, 10+2*port+boolInt(to == b))
				}
			}
			from.peers = append(from.peers, p)
		}
	}
	for _, gc := range sc.Groups {
		s.groups = append(s.groups, s.buildGroup(gc, now))
	}
	// Arrays down or links cut at start: the loss happened long ago.
	for _, l := range s.links {
		if !l.connected() {
			l.shownDown = [2]bool{true, true}
			l.failed = true
			s.targetFailedLocked(l, now)
		}
	}
	return nil
}

// buildGroup creates a group's members and legs: the natural primary's
// leg to its secondary and, for Synchronous Long Distance, the periodic leg
// to the long-distance secondary and the standby leg between the two
// secondaries (Status Backup, both Secondary).
func (s *Sim) buildGroup(gc GroupConfig, now time.Time) *group {
	g := &group{cfg: gc}
	primary := s.byName[gc.Primary]
	addMember := func(a *simArray, name string, vol func(VolumeConfig) memberVolume) *member {
		mb := &member{g: g, array: a, name: name, id: len(a.members) + 1}
		for _, v := range gc.Volumes {
			mb.vols = append(mb.vols, vol(v))
		}
		a.members = append(a.members, mb)
		a.byLocal[name] = mb
		g.members = append(g.members, mb)
		return mb
	}
	p := addMember(primary, gc.Name, func(v VolumeConfig) memberVolume { return memberVolume{v.Name, v.ID} })
	sec := addMember(s.byName[gc.Secondary], g.secondaryName(primary), func(v VolumeConfig) memberVolume { return memberVolume{v.RemoteName, v.RemoteID} })
	status := statusStarted
	switch {
	case gc.New:
		status = statusNew
	case gc.Stopped:
		status = statusStopped
	}
	addLeg := func(a, b *member, periodic bool, period time.Duration, standby bool) {
		l := &leg{g: g, link: s.linkBetween(a.array, b.array), periodic: periodic, period: period,
			resync: time.Duration(gc.ResyncDuration), cycleStart: now}
		roleA, st := rolePrimary, status
		if standby {
			roleA, st = roleSecondary, statusBackup
		}
		l.ends[0] = &end{leg: l, m: a, role: roleA, status: st}
		l.ends[1] = &end{leg: l, m: b, role: roleSecondary, status: st}
		if !periodic {
			l.link.sync = true // a target carrying a sync group has the sync timeouts
		}
		for _, vc := range gc.Volumes {
			v := &volume{status: syncSynced, since: now, lastSync: now}
			switch {
			case st == statusNew:
				v.status, v.lastSync = syncNew, time.Time{}
			case st == statusStopped:
				v.status = syncStopped
			case st == statusStarted && vc.Status != "":
				v.status = vc.Status
			}
			l.vols = append(l.vols, v)
		}
		g.legs = append(g.legs, l)
	}
	addLeg(p, sec, gc.Mode == "periodic", time.Duration(gc.Period), false)
	if ld := gc.LongDistance; ld != nil {
		far := addMember(s.byName[ld.Secondary], g.secondaryName(primary), func(v VolumeConfig) memberVolume {
			return memberVolume{v.RemoteName, v.LongDistanceID}
		})
		addLeg(p, far, true, time.Duration(ld.Period), false)
		addLeg(sec, far, true, time.Duration(ld.Period), true)
	}
	return g
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Sim) linkBetween(a, b *simArray) *pairLink {
	for _, l := range s.links {
		if (l.a == a && l.b == b) || (l.a == b && l.b == a) {
			return l
		}
	}
	return nil
}

func loadUser(uc UserConfig) (*user, error) {
	u := &user{name: uc.Name, password: uc.Password}
	if uc.PasswordFile != "" {
		pw, err := readSecret(uc.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", uc.Name, err)
		}
		u.password = pw
	}
	lines := append([]string(nil), uc.AuthorizedKeys...)
	if uc.AuthorizedKeysFile != "" {
		data, err := os.ReadFile(uc.AuthorizedKeysFile)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", uc.Name, err)
		}
		lines = append(lines, strings.Split(string(data), "\n")...)
	}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, _, _, _, err := gossh.ParseAuthorizedKey([]byte(line))
		if err != nil {
			return nil, fmt.Errorf("user %s: authorized key %d: %w", uc.Name, i+1, err)
		}
		u.keys = append(u.keys, k)
	}
	return u, nil
}

// readSecret reads a password file; one trailing newline is not part of it.
func readSecret(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	pw := strings.TrimRight(string(data), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("%s: empty password file", path)
	}
	return pw, nil
}

func (u *user) passwordOK(pw string) bool {
	return u.password != "" && subtle.ConstantTimeCompare([]byte(u.password), []byte(pw)) == 1
}

func (s *Sim) array(name string) (*simArray, error) {
	a := s.byName[name]
	if a == nil {
		return nil, fmt.Errorf("no array %q", name)
	}
	return a, nil
}

// Arrays describes every array, in scenario order.
func (s *Sim) Arrays() []ArrayInfo {
	out := make([]ArrayInfo, 0, len(s.arrays))
	for _, a := range s.arrays {
		out = append(out, s.info(a))
	}
	return out
}

// Array describes one array.
func (s *Sim) Array(name string) (ArrayInfo, bool) {
	a := s.byName[name]
	if a == nil {
		return ArrayInfo{}, false
	}
	return s.info(a), true
}

func (s *Sim) info(a *simArray) ArrayInfo {
	in := ArrayInfo{Name: a.cfg.Name, SystemID: a.cfg.SystemID, WWN: a.cfg.WWN, HostKey: a.hostKey.PublicKey()}
	if a.ssh != nil {
		in.SSHAddress = a.ssh.ln.address()
		in.KnownHostsLine = knownhosts.Line([]string{knownhosts.Normalize(in.SSHAddress)}, in.HostKey)
	}
	if a.cim != nil {
		in.CIMURL = "http://" + a.cim.ln.address()
	}
	for _, uc := range a.cfg.Users {
		if u := a.users[uc.Name]; u.password != "" {
			in.User, in.Password = u.name, u.password
			break
		}
	}
	return in
}

// Admin returns the control user's name and password.
func (s *Sim) Admin() (user, password string) { return DefaultAdminUser, s.adminPW }

// KnownHosts returns a known_hosts file naming every array's host key.
func (s *Sim) KnownHosts() []byte {
	var b strings.Builder
	for _, a := range s.Arrays() {
		b.WriteString(a.KnownHostsLine + "\n")
	}
	return []byte(b.String())
}

// InjectFault turns a fault on for one array (see Faults for the names).
func (s *Sim) InjectFault(array, fault string) error {
	f, err := ParseFault(fault)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.array(array)
	if err != nil {
		return err
	}
	a.faults[f.Name] = f
	s.log.Info("fault injected", "array", array, "fault", f.String())
	return s.applyListenersLocked(a, "")
}

// ClearFault turns a fault off; fault "" or "all" clears every fault of
// the array. Clearing a fault that is not active is not an error.
func (s *Sim) ClearFault(array, fault string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.array(array)
	if err != nil {
		return err
	}
	switch fault {
	case "", "all":
		a.faults = faultSet{}
	default:
		f, err := ParseFault(fault)
		if err != nil && !strings.HasPrefix(fault, FaultSlow) {
			return err
		}
		name := f.Name
		if name == "" {
			name = FaultSlow
		}
		delete(a.faults, name)
	}
	s.log.Info("fault cleared", "array", array, "fault", fault)
	// Links cut by a failed recover come back once no array of the pair
	// has recover-fails.
	for _, p := range a.peers {
		l := p.link
		if l.faultCut && !l.a.faults.has(FaultRecoverFails) && !l.b.faults.has(FaultRecoverFails) {
			l.faultCut = false
			if !s.closed {
				s.reassessLocked(l)
			}
		}
	}
	return s.applyListenersLocked(a, "")
}

// FaultsOf returns the faults active on an array.
func (s *Sim) FaultsOf(array string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a := s.byName[array]
	if a == nil {
		return nil
	}
	return a.faults.names()
}

// applyListenersLocked opens or closes an array's listeners after its
// power or faults changed.
func (s *Sim) applyListenersLocked(a *simArray, spare string) error {
	if s.closed {
		return nil
	}
	var errs []error
	if a.ssh != nil {
		errs = append(errs, a.ssh.ln.setUpSparing(!a.down, spare))
	}
	if a.cim != nil {
		errs = append(errs, a.cim.ln.setUp(!a.down && !a.faults.has(FaultCIMDown)))
	}
	return errors.Join(errs...)
}
