package main

import (
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	gliderssh "github.com/gliderlabs/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

// /probe takes any HOST:PORT, so whoever can reach it can point the
// exporter at a host of their choosing with a module's credentials. With
// the default policies the credentials never leave: an SSH server whose key
// is not in known_hosts is refused during the key exchange, before any
// password is sent, and a CIM server whose certificate does not verify is
// refused before the Authorization header is sent. (The insecure opt-ins
// give that up; docs/security.md says so.)
func TestProbeOfRogueHostSendsNoCredentials(t *testing.T) {
	var mu sync.Mutex
	var sshAttempts []string
	var cimAuth []string

	signer := testtool.NewSigner(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rogueSSH := &gliderssh.Server{
		HostSigners: []gliderssh.Signer{signer},
		PasswordHandler: func(ctx gliderssh.Context, pw string) bool {
			mu.Lock()
			sshAttempts = append(sshAttempts, ctx.User()+":"+pw)
			mu.Unlock()
			return true
		},
		KeyboardInteractiveHandler: func(ctx gliderssh.Context, ch gossh.KeyboardInteractiveChallenge) bool {
			answers, _ := ch(ctx.User(), "", []string{"Password: "}, []bool{false})
			mu.Lock()
			sshAttempts = append(sshAttempts, ctx.User()+":"+strings.Join(answers, ","))
			mu.Unlock()
			return true
		},
		Handler: func(s gliderssh.Session) { s.Exit(0) },
	}
	go rogueSSH.Serve(ln)
	defer rogueSSH.Close()

	var hellos int
	rogueCIM := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cimAuth = append(cimAuth, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	rogueCIM.TLS = &tls.Config{GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		hellos++ // the exporter did come: the test exercises the TLS check
		mu.Unlock()
		return nil, nil
	}}
	rogueCIM.Config.ErrorLog = log.New(io.Discard, "", 0)
	rogueCIM.StartTLS()
	defer rogueCIM.Close()
	_, cimPort, _ := net.SplitHostPort(strings.TrimPrefix(rogueCIM.URL, "https://"))

	// A known array (its key is in known_hosts) whose module reads CIM
	// from https://{target}:PORT, where the rogue CIM server listens.
	known := startHostileArray(t)
	healthy, err := os.ReadFile("../../collector/testdata/healthy-primary.txt")
	if err != nil {
		t.Fatal(err)
	}
	known.output.Store(&healthy)

	dir := t.TempDir()
	for name, data := range map[string]string{"pw": testPassword + "\n", "known_hosts": known.knownHosts + "\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(cfg, []byte(`modules:
  default:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 5s}
  cim:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 5s}
    cim: {url: "https://{target}:`+cimPort+`", user: monitor, password_file: pw, timeout: 5s}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testtool.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	src := newClientSources(logger)
	defer src.Close()
	_, srv := serve(t, logger, cfg, 0, src)
	l := &faultLab{srv: srv, logs: logs}

	if err := checkProbe(l.probe("target="+ln.Addr().String(), ""), "connect"); err != nil {
		t.Errorf("rogue SSH server: %v", err)
	}
	if !strings.Contains(logs.String(), "known_hosts") {
		t.Errorf("the log does not say the host key is unknown:\n%s", logs)
	}
	if err := checkProbe(l.probe("target="+known.addr+"&module=cim", ""), "cim"); err != nil {
		t.Errorf("rogue CIM server: %v", err)
	}
	if !strings.Contains(logs.String(), "certificate") {
		t.Errorf("the log does not say the CIM certificate is not trusted:\n%s", logs)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sshAttempts) != 0 {
		t.Errorf("the rogue SSH server got login attempts: %q", sshAttempts)
	}
	if hellos == 0 || len(cimAuth) != 0 {
		t.Errorf("rogue CIM server: %d TLS hellos, %d HTTP requests; want some hellos and no request", hellos, len(cimAuth))
	}
	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("the password is in the log")
	}
}

// The reproduction of the leak the issue reported: a module reading CIM
// over plain HTTP with Basic auth, probed at a host the caller names whose
// SSH host key is unknown. The CIM read waits for the verified host key,
// so the CIM server sees no request at all, ten probes out of ten.
func TestProbeOfRogueHostSendsNoCIMCredentialsOverHTTP(t *testing.T) {
	signer := testtool.NewSigner(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rogueSSH := &gliderssh.Server{HostSigners: []gliderssh.Signer{signer},
		PasswordHandler: func(gliderssh.Context, string) bool { return true },
		Handler:         func(s gliderssh.Session) { s.Exit(0) }}
	go rogueSSH.Serve(ln)
	defer rogueSSH.Close()

	var mu sync.Mutex
	requests := 0
	rogueCIM := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer rogueCIM.Close()
	_, cimPort, _ := net.SplitHostPort(strings.TrimPrefix(rogueCIM.URL, "http://"))

	dir := t.TempDir()
	for name, data := range map[string]string{"pw": testPassword + "\n", "known_hosts": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := filepath.Join(dir, "rcopy.yml")
	if err := os.WriteFile(cfg, []byte(`modules:
  default:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 5s}
  cimhttp:
    ssh: {user: monitor, password_file: pw, known_hosts_file: known_hosts, timeout: 5s}
    cim: {url: "http://{target}:`+cimPort+`", user: monitor, password_file: pw, insecure_http_auth: true, timeout: 5s}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &testtool.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	src := newClientSources(logger)
	defer src.Close()
	_, srv := serve(t, logger, cfg, 0, src)
	l := &faultLab{srv: srv, logs: logs}
	for range 10 {
		if err := checkProbe(l.probe("target="+ln.Addr().String()+"&module=cimhttp", ""), "connect"); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 0 {
		t.Errorf("the CIM server of a host whose SSH key is unknown got %d requests", requests)
	}
}
