package sshrun

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/threepar/rcopy-exporter/config"
)

// Options are the per-module settings a Runner uses.
type Options struct {
	User                  string
	Password              config.Secret // password and keyboard-interactive auth when set
	PrivateKey            config.Secret // PEM, without passphrase; public key auth when set
	KnownHostsFile        string
	InsecureIgnoreHostKey bool          // explicit opt-in; the Pool logs a warning once
	Timeout               time.Duration // per Run when the context has no earlier deadline (0: 20s)
	MaxOutputBytes        int64         // output cap (0: 16 MiB)
	// AuthBackoff is how long the Pool logs in to an array no more after it
	// refused these credentials (0: try at every Run). Arrays lock a user
	// out after a few failed logins; config's default is 5 minutes.
	AuthBackoff time.Duration
	// AllowChanges lets commands other than show* through. Only
	// `checker drill --allow-changes` sets it.
	AllowChanges bool
}

// FromConfig returns the Options of a module's ssh: section.
func FromConfig(s *config.SSH) Options {
	return Options{
		User:                  s.User,
		Password:              s.Password,
		PrivateKey:            s.PrivateKey,
		KnownHostsFile:        s.KnownHostsFile,
		InsecureIgnoreHostKey: s.InsecureIgnoreHostKey,
		Timeout:               s.Timeout,
		MaxOutputBytes:        s.MaxOutputBytes,
		AuthBackoff:           s.AuthBackoff,
	}
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return config.DefaultSSHTimeout
}

func (o Options) maxOutput() int64 {
	if o.MaxOutputBytes > 0 {
		return o.MaxOutputBytes
	}
	return config.DefaultMaxOutputBytes
}

// fingerprint identifies what a connection was authenticated with, so that
// a reload with other credentials or host key settings reconnects.
func (o Options) fingerprint() [sha256.Size]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("%q %q %q %q %t", o.User, o.Password.Reveal(), o.PrivateKey.Reveal(), o.KnownHostsFile, o.InsecureIgnoreHostKey)))
}

// credentials identifies the login alone: a refused login backs off until
// these change.
func (o Options) credentials() [sha256.Size]byte {
	return sha256.Sum256([]byte(fmt.Sprintf("%q %q %q", o.User, o.Password.Reveal(), o.PrivateKey.Reveal())))
}

// maxInteractiveRounds bounds keyboard-interactive exchanges: a server that
// keeps asking gets no more answers.
const maxInteractiveRounds = 3

func (o Options) authMethods() ([]ssh.AuthMethod, error) {
	var methods []ssh.AuthMethod
	if !o.PrivateKey.IsZero() {
		signer, err := ssh.ParsePrivateKey([]byte(o.PrivateKey.Reveal()))
		if err != nil {
			var missing *ssh.PassphraseMissingError
			if errors.As(err, &missing) {
				return nil, errors.New("private key is encrypted with a passphrase; use a key without one")
			}
			return nil, fmt.Errorf("private key unusable: %v", err)
		}
		methods = append(methods, ssh.PublicKeys(signer))
	}
	if pw := o.Password.Reveal(); pw != "" {
		rounds := 0
		methods = append(methods, ssh.Password(pw),
			// 3PAR arrays often offer only keyboard-interactive: answer the
			// password to every hidden prompt.
			ssh.KeyboardInteractive(func(name, instruction string, questions []string, echos []bool) ([]string, error) {
				if len(questions) == 0 {
					return nil, nil
				}
				if rounds++; rounds > maxInteractiveRounds {
					return nil, errors.New("keyboard-interactive: server keeps asking")
				}
				answers := make([]string, len(questions))
				for i := range questions {
					if i < len(echos) && !echos[i] {
						answers[i] = pw
					}
				}
				return answers, nil
			}))
	}
	if len(methods) == 0 {
		return nil, errors.New("no password or private key configured")
	}
	return methods, nil
}

// checkCommand enforces the allowlist: the first word must start with
// "show" unless changes are allowed, and no character the array's Tcl-based
// CLI would interpret ([ ] ; $ { } quotes, backslash, newlines...) may
// appear, so that a group name can never smuggle in a second command.
func checkCommand(command string, allowChanges bool) error {
	fields := strings.Fields(command)
	if len(fields) == 0 {
		return fmt.Errorf("%w: empty command", ErrNotAllowed)
	}
	for _, r := range command {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(" ._-,:/=+*", r)) {
			return fmt.Errorf("%w: %q contains %q; only letters, digits, spaces and . _ - , : / = + * are sent", ErrNotAllowed, command, r)
		}
	}
	if !allowChanges && !strings.HasPrefix(fields[0], "show") {
		return fmt.Errorf("%w: %q is not a read-only show* command", ErrNotAllowed, fields[0])
	}
	return nil
}
