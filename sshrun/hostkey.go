package sshrun

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/threepar/rcopy-exporter/internal/safefile"
)

// HostKeyError says why an array's host key was refused and how to fix it.
type HostKeyError struct {
	Address string   // host:port dialed
	File    string   // known_hosts file
	Offered string   // the server's key: type and SHA256 fingerprint
	Known   []string // for a changed key: what the file has, "file:line type fingerprint"
	Revoked bool     // the key is marked @revoked
}

// Changed reports a known host presenting a different key (possible
// man-in-the-middle, or a replaced array/controller).
func (e *HostKeyError) Changed() bool { return len(e.Known) > 0 && !e.Revoked }

func (e *HostKeyError) Error() string {
	host, port := splitHostPort(e.Address)
	scan := "ssh-keyscan " + host
	if port != "22" {
		scan = "ssh-keyscan -p " + port + " " + host
	}
	switch {
	case e.Revoked:
		return fmt.Sprintf("host key %s of %s is marked @revoked in %s", e.Offered, e.Address, e.File)
	case e.Changed():
		return fmt.Sprintf("HOST KEY CHANGED for %s: server offers %s, %s has %s; if the array's key was replaced on purpose, "+
			"verify the new fingerprint, then: ssh-keygen -R '%s' -f %s && %s >> %s",
			e.Address, e.Offered, e.File, strings.Join(e.Known, ", "), knownhosts.Normalize(e.Address), e.File, scan, e.File)
	default:
		return fmt.Sprintf("host key of %s is not in known_hosts file %s (server offers %s); "+
			"verify the fingerprint on the array, then add it: %s >> %s", e.Address, e.File, e.Offered, scan, e.File)
	}
}

func splitHostPort(address string) (host, port string) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return address, "22"
	}
	return host, port
}

func describeKey(k ssh.PublicKey) string {
	return k.Type() + " " + ssh.FingerprintSHA256(k)
}

// probeKey is a key no known_hosts file holds: checking it yields the keys
// the file does hold for a host.
var probeKey = func() ssh.PublicKey {
	k, err := ssh.NewPublicKey(ed25519.PublicKey(make([]byte, ed25519.PublicKeySize)))
	if err != nil {
		panic(err) // a fixed, valid 32-byte key: cannot fail
	}
	return k
}()

// hostKeyPolicy builds the host key check for one dial, reading the
// known_hosts file afresh (so an edited file applies to the next connect)
// within ctx. It also returns the host key algorithms to ask for: those of
// the keys the file holds for this host, so that a server with several
// host keys is not mistaken for one whose key changed. address is the
// array's host:port as the user wrote it (host lower-cased), which is what
// known_hosts names.
func hostKeyPolicy(ctx context.Context, opts Options, address string) (ssh.HostKeyCallback, []string, error) {
	if opts.InsecureIgnoreHostKey {
		return ssh.InsecureIgnoreHostKey(), nil, nil
	}
	if opts.KnownHostsFile == "" {
		return nil, nil, errors.New("no known_hosts file configured and insecure_ignore_host_key not set")
	}
	check, err := knownHosts(ctx, opts.KnownHostsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("reading known_hosts file: %v", err)
	}
	var algorithms []string
	var ke *knownhosts.KeyError
	if err := check(address, &net.TCPAddr{}, probeKey); errors.As(err, &ke) {
		seen := map[string]bool{}
		for _, k := range ke.Want {
			for _, a := range algorithmsFor(k.Key.Type()) {
				if !seen[a] {
					seen[a] = true
					algorithms = append(algorithms, a)
				}
			}
		}
	}
	file := opts.KnownHostsFile
	callback := func(hostname string, remote net.Addr, key ssh.PublicKey) error {
		err := check(hostname, remote, key)
		if err == nil {
			return nil
		}
		hk := &HostKeyError{Address: address, File: file, Offered: describeKey(key)}
		var ke *knownhosts.KeyError
		var re *knownhosts.RevokedError
		switch {
		case errors.As(err, &ke):
			for _, k := range ke.Want {
				hk.Known = append(hk.Known, fmt.Sprintf("%s:%d %s", k.Filename, k.Line, describeKey(k.Key)))
			}
		case errors.As(err, &re):
			hk.Revoked = true
			hk.Known = []string{fmt.Sprintf("%s:%d", re.Revoked.Filename, re.Revoked.Line)}
		default:
			return err
		}
		return hk
	}
	return callback, algorithms, nil
}

// parsedKnownHosts caches, per known_hosts file, its parsed form with the
// bytes it was parsed from. A connection keeps its host key callback for
// re-keying, so one parse per dial meant every connection held the whole
// file: with one file naming 500 arrays, 500 copies of 500 entries (about
// 250 KiB per connection; docs/benchmarks.md). Connections now share one
// parse while the file's content is unchanged; the file is still read at
// every dial, so an edit applies to the next connect.
var parsedKnownHosts struct {
	sync.Mutex
	byFile map[string]knownHostsEntry
}

type knownHostsEntry struct {
	data  []byte
	check ssh.HostKeyCallback
}

// knownHosts returns the host key check of file's current content. The
// file is read at every dial, while a probe waits: it must be a regular
// file of at most safefile.MaxKnownHosts bytes (a named pipe or a link to
// /dev/zero put in its place fails at once), and reading it ends with ctx.
func knownHosts(ctx context.Context, file string) (ssh.HostKeyCallback, error) {
	data, err := safefile.ReadContext(ctx, file, safefile.MaxKnownHosts)
	if err != nil {
		return nil, err
	}
	parsedKnownHosts.Lock()
	e, ok := parsedKnownHosts.byFile[file]
	parsedKnownHosts.Unlock()
	if ok && bytes.Equal(e.data, data) {
		return e.check, nil
	}
	check, err := parseKnownHosts(ctx, file)
	if err != nil {
		return nil, err
	}
	parsedKnownHosts.Lock()
	defer parsedKnownHosts.Unlock()
	if parsedKnownHosts.byFile == nil {
		parsedKnownHosts.byFile = map[string]knownHostsEntry{}
	}
	parsedKnownHosts.byFile[file] = knownHostsEntry{data: data, check: check}
	return check, nil
}

// parseKnownHosts is knownhosts.New(file), which opens the file by name
// again (x/crypto offers no parser of bytes). The file was just found to
// be a regular file of sane size; should it be replaced by a pipe in the
// instant between, the parse is abandoned at ctx's end instead of holding
// the probe (and the array's slot) forever.
func parseKnownHosts(ctx context.Context, file string) (ssh.HostKeyCallback, error) {
	type result struct {
		check ssh.HostKeyCallback
		err   error
	}
	done := make(chan result, 1)
	go func() {
		check, err := knownhosts.New(file)
		done <- result{check, err}
	}()
	select {
	case r := <-done:
		return r.check, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("%s: reading did not finish in time: %w", file, context.Cause(ctx))
	}
}

// algorithmsFor maps a key type to the host key algorithms that yield it.
func algorithmsFor(keyType string) []string {
	if keyType == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{keyType}
}
