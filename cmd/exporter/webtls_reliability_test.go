package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// --web.config.file with TLS and basic auth, end to end: the built exporter
// (--simulate) serves HTTPS only, with a self-signed certificate generated
// here and a bcrypt-hashed password. Every route wants the password; a
// client that does not trust the certificate, plain HTTP, no or wrong
// credentials all fail; the right ones get the probe; the scrape password
// never shows in the exporter's log.
func TestEndToEndHTTPSWithBasicAuth(t *testing.T) {
	const user, password = "prometheus", "scrape-pw-9f2c-never-logged"
	dir := t.TempDir()
	certPEM, keyPEM := selfSignedCert(t)
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	for path, data := range map[string]string{
		certFile: string(certPEM), keyFile: string(keyPEM),
		webConfig: "tls_server_config:\n  cert_file: " + certFile + "\n  key_file: " + keyFile +
			"\n  min_version: TLS12\nbasic_auth_users:\n  " + user + ": " + string(hash) + "\n",
	} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	p := startExporter(t, "--simulate", "--web.config.file="+webConfig)
	addr := strings.TrimPrefix(p.base, "http://")
	base := "https://" + addr

	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatal("cannot use the generated certificate")
	}
	trusting := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	get := func(c *http.Client, url string, auth bool, pw string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth {
			req.SetBasicAuth(user, pw)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	for _, path := range []string{"/probe?target=sim-a", "/metrics", "/config", "/"} {
		if code, _, err := get(trusting, base+path, false, ""); err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s without credentials: HTTP %d, %v; want 401", path, code, err)
		}
		if code, _, err := get(trusting, base+path, true, "wrong"); err != nil || code != http.StatusUnauthorized {
			t.Errorf("%s with a wrong password: HTTP %d, %v; want 401", path, code, err)
		}
	}
	code, body, err := get(trusting, base+"/probe?target=sim-a", true, password)
	if err != nil || code != http.StatusOK || !strings.Contains(body, "\nthreepar_rcopy_up 1\n") {
		t.Errorf("probe over HTTPS with credentials: HTTP %d, %v\n%.500s", code, err, body)
	}
	if code, body, err := get(trusting, base+"/metrics", true, password); err != nil || code != http.StatusOK || !strings.Contains(body, "threepar_rcopy_exporter_build_info") {
		t.Errorf("/metrics over HTTPS with credentials: HTTP %d, %v", code, err)
	}

	// A client that does not trust the certificate refuses the server.
	if _, _, err := get(&http.Client{Timeout: 30 * time.Second}, base+"/probe?target=sim-a", true, password); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("untrusted certificate: err = %v, want a certificate error", err)
	}
	// Plain HTTP on the TLS port gets no metrics.
	if code, body, err := get(&http.Client{Timeout: 30 * time.Second}, "http://"+addr+"/probe?target=sim-a", true, password); err == nil && (code == http.StatusOK || strings.Contains(body, "threepar_rcopy_up")) {
		t.Errorf("plain HTTP answered HTTP %d with metrics", code)
	}
	// TLS older than the configured minimum is refused.
	old := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS11}}}
	if _, _, err := get(old, base+"/", true, password); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	if strings.Contains(p.logs.String(), password) {
		t.Errorf("the scrape password appears in the log:\n%s", p.logs)
	}
}

// selfSignedCert returns a PEM certificate and key for 127.0.0.1.
func selfSignedCert(t *testing.T) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "rcopy-exporter test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}
