package sshrun

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func newHostKey(t *testing.T) ssh.PublicKey {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestKnownHostsParsedOnce checks that dials share one parse of an
// unchanged known_hosts file (a parse per dial, kept by every connection,
// made memory grow with arrays x arrays) and that an edit still applies to
// the next dial.
func TestKnownHostsParsedOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "known_hosts")
	var lines []string
	for i := range 500 {
		lines = append(lines, knownhosts.Line([]string{fmt.Sprintf("10.0.%d.%d:22", i/250, i%250)}, newHostKey(t)))
	}
	target := "10.9.9.9:22"
	oldKey, newKey := newHostKey(t), newHostKey(t)
	write := func(k ssh.PublicKey) {
		data := strings.Join(append(lines, knownhosts.Line([]string{target}, k)), "\n") + "\n"
		if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	remote := &net.TCPAddr{IP: net.ParseIP("10.9.9.9"), Port: 22}
	check := func(k ssh.PublicKey) error {
		cb, err := knownHosts(t.Context(), file)
		if err != nil {
			t.Fatal(err)
		}
		return cb(target, remote, k)
	}

	write(oldKey)
	if err := check(oldKey); err != nil {
		t.Fatalf("known key refused: %v", err)
	}
	parse := testing.AllocsPerRun(1, func() { _, _ = knownhosts.New(file) })
	cached := testing.AllocsPerRun(5, func() { _, _ = knownHosts(context.Background(), file) })
	if cached*10 > parse {
		t.Errorf("an unchanged file costs %.0f allocations per dial, a parse %.0f: not shared", cached, parse)
	}

	write(newKey) // the array's key was replaced and the file edited
	if err := check(newKey); err != nil {
		t.Errorf("after the edit, the new key is refused: %v", err)
	}
	if err := check(oldKey); err == nil {
		t.Error("after the edit, the old key is still accepted")
	}
}
