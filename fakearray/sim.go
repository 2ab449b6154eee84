package fakearray

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
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
	// Clock returns the current time (default time.Now); it drives
	// periodic Last-Sync times.
	Clock func() time.Time
	// Logger receives the simulator's log (default: discard).
	Logger *slog.Logger
	// SSHListen and CIMListen override the scenario's listen addresses:
	// the Nth address serves the Nth array.
	SSHListen, CIMListen []string
	// Faults are injected at start, as "ARRAY:FAULT" (like --inject).
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
	clock   func() time.Time
	log     *slog.Logger
	adminPW string

	closed  bool
	pending int                    // scheduled transitions not yet run
	timers  map[*time.Timer]func() // pending transitions
	idle    chan struct{}          // closed and replaced whenever pending drops to 0
	done    chan struct{}          // closed by Close
	wg      sync.WaitGroup
	stopCtx func() bool
}

// simArray is one array's runtime state.
type simArray struct {
	cfg     ArrayConfig
	down    bool
	faults  faultSet
	peers   []*peer // targets, in print order
	sides   []*group
	byLocal map[string]*group // local group name -> group
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

// pairLink is the set of links between two arrays; it is up or down as a whole.
type pairLink struct {
	a, b *simArray
	down bool
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

// GroupState is one array's view of one group, for tests and the checker
// to assert against the tables.
type GroupState struct {
	Array        string
	Group        string // name on this array
	NaturalGroup string // name on the natural primary
	Target       string
	TargetStatus string // ready, failed
	Status       string // Started, Stopped
	Role         string // as printed (after faults)
	SyncStatus   string // of every volume
	// Row is the table row id the array is at (T109-synced, T110-5, ...),
	// "" when the tables have no row for it.
	Row string
	// CIMRow is the row whose triple the CIM server reports (equal to Row
	// unless Row is "").
	CIMRow string
	// Phase names the pair's place in the sequence (synced, failed-over, ...).
	Phase   string
	Volumes []string // local volume names
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
		byName: map[string]*simArray{},
		loc:    loc,
		delay:  time.Duration(sc.TransitionDelay),
		clock:  opts.Clock,
		log:    opts.Logger,
		timers: map[*time.Timer]func(){},
		idle:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	if opts.TransitionDelay > 0 {
		s.delay = opts.TransitionDelay
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
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
	for _, spec := range opts.Faults {
		name, fault, ok := strings.Cut(spec, ":")
		if !ok {
			return nil, fmt.Errorf("fault %q: want ARRAY:FAULT", spec)
		}
		if err := s.InjectFault(name, fault); err != nil {
			return nil, err
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
		a := &simArray{cfg: ac, down: ac.Down, faults: faultSet{}, byLocal: map[string]*group{}, users: map[string]*user{}}
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
		l := &pairLink{a: a, b: b, down: tc.Down}
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
		g := &group{cfg: gc, primary: s.byName[gc.Primary], secondary: s.byName[gc.Secondary]}
		g.link = s.linkBetween(g.primary, g.secondary)
		g.primaryID = len(g.primary.sides) + 1
		g.secondaryID = len(g.secondary.sides) + 1
		g.primary.sides = append(g.primary.sides, g)
		g.secondary.sides = append(g.secondary.sides, g)
		g.primary.byLocal[gc.Name] = g
		g.secondary.byLocal[g.secondaryName()] = g
		g.syncedSince = now
		g.lastSync = now
		if gc.Stopped {
			g.setPhase(phStopped, now)
		}
		if !g.reachable() {
			g.setPhase(phInterrupted, now)
		}
		s.groups = append(s.groups, g)
	}
	return nil
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

// Close stops every server and pending transition. It is idempotent.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for t := range s.timers {
		t.Stop()
	}
	s.timers = nil
	s.pending = 0
	s.signalIdleLocked()
	s.mu.Unlock()
	if s.stopCtx != nil {
		s.stopCtx()
	}
	for _, a := range s.arrays {
		if a.ssh != nil {
			a.ssh.close()
		}
		if a.cim != nil {
			a.cim.close()
		}
	}
	s.wg.Wait()
	return nil
}

func (s *Sim) signalIdleLocked() {
	if s.pending == 0 {
		select {
		case <-s.idle:
		default:
			close(s.idle)
		}
	}
}

// WaitIdle returns when no transition is pending (every failover, recover,
// restore, sync has finished) or when ctx ends.
func (s *Sim) WaitIdle(ctx context.Context) error {
	for {
		s.mu.RLock()
		idle, pending := s.idle, s.pending
		s.mu.RUnlock()
		if pending == 0 {
			return nil
		}
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// schedule runs then on g after the transition delay, unless g's phase
// changes first. Callers hold s.mu.
func (s *Sim) scheduleLocked(g *group, then func(now time.Time)) {
	if s.closed {
		return
	}
	gen := g.gen
	if s.pending == 0 {
		s.idle = make(chan struct{})
	}
	s.pending++
	var t *time.Timer
	fire := func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		delete(s.timers, t)
		s.pending--
		if g.gen == gen {
			then(s.clock())
		}
		s.signalIdleLocked()
	}
	t = time.AfterFunc(s.delay, fire)
	s.timers[t] = fire
}

// FinishTransitions completes every pending transition now, as if the
// transition delay had passed. Tests use it with a long delay to look at
// intermediate states (T110-2, T110-5, ...) without racing a timer.
func (s *Sim) FinishTransitions() {
	for {
		s.mu.Lock()
		var fires []func()
		for t, fire := range s.timers {
			if t.Stop() {
				fires = append(fires, fire)
			}
		}
		s.mu.Unlock()
		if len(fires) == 0 {
			// Timers that fired meanwhile are finishing on their own.
			s.WaitIdle(context.Background())
			return
		}
		for _, fire := range fires {
			fire()
		}
	}
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

// ArrayDown powers an array off: its SSH and CIM listeners close (clients
// get connection refused), open sessions drop, and its peers see their
// target failed.
func (s *Sim) ArrayDown(name string) error { return s.setArrayDown(name, true, "") }

// ArrayUp powers an array back on.
func (s *Sim) ArrayUp(name string) error { return s.setArrayDown(name, false, "") }

// setArrayDown powers an array off or on; spare is the remote address of
// an SSH connection to leave open (see switchListener.setUpSparing).
func (s *Sim) setArrayDown(name string, down bool, spare string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.array(name)
	if err != nil {
		return err
	}
	if a.down == down {
		return nil
	}
	a.down = down
	s.log.Info("array power", "array", name, "down", down)
	if err := s.applyListenersLocked(a, spare); err != nil {
		return err
	}
	for _, g := range a.sides {
		s.reconcileLocked(g)
	}
	return nil
}

// LinkDown takes the links between two arrays down.
func (s *Sim) LinkDown(a, b string) error { return s.setLinkDown(a, b, true) }

// LinkUp brings the links between two arrays back.
func (s *Sim) LinkUp(a, b string) error { return s.setLinkDown(a, b, false) }

func (s *Sim) setLinkDown(an, bn string, down bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.array(an)
	if err != nil {
		return err
	}
	b, err := s.array(bn)
	if err != nil {
		return err
	}
	l := s.linkBetween(a, b)
	if l == nil {
		return fmt.Errorf("arrays %s and %s are not targets of each other", an, bn)
	}
	if l.down == down {
		return nil
	}
	l.down = down
	s.log.Info("links", "a", an, "b", bn, "down", down)
	for _, g := range s.groups {
		if g.link == l {
			s.reconcileLocked(g)
		}
	}
	return nil
}

// reconcileLocked moves g after its pair lost or regained connectivity.
func (s *Sim) reconcileLocked(g *group) {
	now := s.clock()
	if !g.reachable() {
		switch g.phase {
		case phSynced, phSyncing, phRestored:
			g.setPhase(phInterrupted, now)
		case phRecovering:
			g.setPhase(phRecoverFailed, now)
		case phRecovered, phRestoring, phRestoreFailed:
			g.setPhase(phFailedOver, now)
			g.primaryReversed = true
		}
		return
	}
	switch g.phase {
	case phInterrupted:
		if g.hasOption("auto_recover") {
			s.startSyncLocked(g, now)
		} else {
			g.setPhase(phStopped, now)
		}
	case phFailingOver, phFailedOver, phRecoverFailed:
		g.primaryReversed = true
	}
}

func (s *Sim) startSyncLocked(g *group, now time.Time) {
	g.setPhase(phSyncing, now)
	s.scheduleLocked(g, func(now time.Time) { g.setPhase(phSynced, now) })
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

// Groups returns every group as the array sees it, in print order.
func (s *Sim) Groups(array string) ([]GroupState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	a, err := s.array(array)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	out := make([]GroupState, 0, len(a.sides))
	for _, g := range a.sides {
		v := g.view(a, now)
		gs := GroupState{Array: a.cfg.Name, Group: v.name, NaturalGroup: v.natural, Target: v.target,
			TargetStatus: targetStatus(v.targetUp), Status: v.status, Role: v.role, SyncStatus: v.syncStatus,
			Row: v.row, CIMRow: v.cimRow, Phase: g.phase.String()}
		for _, vol := range g.cfg.Volumes {
			if a == g.primary {
				gs.Volumes = append(gs.Volumes, vol.Name)
			} else {
				gs.Volumes = append(gs.Volumes, vol.RemoteName)
			}
		}
		out = append(out, gs)
	}
	return out, nil
}

// Group returns one group as the array sees it, by its name on that array
// or its natural name.
func (s *Sim) Group(array, name string) (GroupState, error) {
	all, err := s.Groups(array)
	if err != nil {
		return GroupState{}, err
	}
	for _, g := range all {
		if g.Group == name || g.NaturalGroup == name {
			return g, nil
		}
	}
	return GroupState{}, fmt.Errorf("array %s has no group %q", array, name)
}

func targetStatus(up bool) string {
	if up {
		return "ready"
	}
	return "failed"
}

// status is the simctl status text.
func (s *Sim) status() string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var b strings.Builder
	for _, a := range s.arrays {
		state := "up"
		if a.down {
			state = "down"
		}
		fmt.Fprintf(&b, "array %s %s ssh=%s cim=%s faults=%s\n", a.cfg.Name, state,
			a.ssh.ln.address(), a.cim.ln.address(), strings.Join(a.faults.names(), ","))
	}
	for _, l := range s.links {
		state := "up"
		if l.down {
			state = "down"
		}
		fmt.Fprintf(&b, "link %s %s %s\n", l.a.cfg.Name, l.b.cfg.Name, state)
	}
	names := make([]string, 0, len(s.groups))
	byName := map[string]*group{}
	for _, g := range s.groups {
		k := g.primary.cfg.Name + "/" + g.cfg.Name
		names = append(names, k)
		byName[k] = g
	}
	sort.Strings(names)
	for _, k := range names {
		g := byName[k]
		fmt.Fprintf(&b, "group %s %s->%s %s\n", g.cfg.Name, g.primary.cfg.Name, g.secondary.cfg.Name, g.phase)
	}
	return b.String()
}
