package fakearray

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ConfigOptions shape the exporter/checker configuration WriteConfig writes
// for a running Sim. The zero value gives one module per array (SSH only,
// 10s timeout), a "default" module and a target per array.
type ConfigOptions struct {
	// SSHTimeout and CIMTimeout are the modules' timeouts (default 10s).
	SSHTimeout, CIMTimeout time.Duration
	// MaxOutputBytes caps a command's output (ssh.max_output_bytes); 0
	// leaves the configuration's default.
	MaxOutputBytes int64
	// CIM adds a cim: section (the array's own CIM URL and password) to
	// each array's module; not with SharedModule or PrivateKeyFile.
	CIM bool
	// Lab sets `lab:` of the named targets; arrays not in it get none
	// (false).
	Lab map[string]bool
	// Arrays limits the targets to these arrays (nil: every array).
	Arrays []string
	// SharedModule writes only the "default" module (SSH only) and points
	// every target at it (hundreds of arrays with the same credentials).
	SharedModule bool
	// PrivateKeyFile logs in with this key instead of a password file;
	// User then names the SSH user (default DefaultUser).
	PrivateKeyFile string
	User           string
	// Comment is written as the file's first line ("# ...").
	Comment string
}

// WriteConfig writes, in dir and with mode 0600, what a real deployment
// has on disk for the simulated arrays: a password file per distinct
// credential, known_hosts with every array's host key, and rcopy.yml (the
// returned path) with modules and targets for the arrays. Secrets are only
// in the password files, never in rcopy.yml.
func (s *Sim) WriteConfig(dir string, o ConfigOptions) (string, error) {
	if o.SSHTimeout <= 0 {
		o.SSHTimeout = 10 * time.Second
	}
	if o.CIMTimeout <= 0 {
		o.CIMTimeout = 10 * time.Second
	}
	write := func(name string, data []byte) (string, error) {
		p := filepath.Join(dir, name)
		return p, os.WriteFile(p, data, 0o600)
	}
	knownHosts, err := write("known_hosts", s.KnownHosts())
	if err != nil {
		return "", err
	}
	var arrays []ArrayInfo
	for _, a := range s.Arrays() {
		if o.Arrays == nil || slices.Contains(o.Arrays, a.Name) {
			arrays = append(arrays, a)
		}
	}
	if len(arrays) == 0 {
		return "", fmt.Errorf("fakearray: no array to write a configuration for (asked for %v)", o.Arrays)
	}
	passwordFiles := map[[2]string]string{} // {user, password} -> file
	module := func(a ArrayInfo) (string, error) {
		var b strings.Builder
		user := a.User
		auth := ""
		if o.PrivateKeyFile != "" {
			user = cmp.Or(o.User, DefaultUser)
			auth = "      private_key_file: " + strconv.Quote(o.PrivateKeyFile) + "\n"
		} else {
			if a.User == "" {
				return "", fmt.Errorf("fakearray: array %s has no password user; set ConfigOptions.PrivateKeyFile", a.Name)
			}
			cred := [2]string{a.User, a.Password}
			pw, ok := passwordFiles[cred]
			if !ok {
				var err error
				name := "password-" + strconv.Itoa(len(passwordFiles)+1)
				if pw, err = write(name, []byte(a.Password+"\n")); err != nil {
					return "", err
				}
				passwordFiles[cred] = pw
			}
			auth = "      password_file: " + strconv.Quote(pw) + "\n"
		}
		fmt.Fprintf(&b, "    ssh:\n      user: %s\n%s      known_hosts_file: %s\n      timeout: %s\n",
			strconv.Quote(user), auth, strconv.Quote(knownHosts), o.SSHTimeout)
		if o.MaxOutputBytes > 0 {
			fmt.Fprintf(&b, "      max_output_bytes: %d\n", o.MaxOutputBytes)
		}
		if o.CIM && a.CIMURL != "" && o.PrivateKeyFile == "" {
			fmt.Fprintf(&b, "    cim:\n      url: %s\n      namespace: root/tpd\n      user: %s\n      password_file: %s\n      timeout: %s\n",
				strconv.Quote(a.CIMURL), strconv.Quote(a.User), strconv.Quote(passwordFiles[[2]string{a.User, a.Password}]), o.CIMTimeout)
		}
		return b.String(), nil
	}

	var cfg strings.Builder
	if o.Comment != "" {
		cfg.WriteString("# " + o.Comment + "\n")
	}
	cfg.WriteString("modules:\n")
	// "default" serves HOST:PORT probes: the first array's SSH settings,
	// no CIM (each simulated array has its own CIM port).
	def := arrays[0]
	def.CIMURL = ""
	m, err := module(def)
	if err != nil {
		return "", err
	}
	cfg.WriteString("  default:\n" + m)
	if !o.SharedModule {
		for _, a := range arrays {
			if a.Name == "default" {
				return "", errors.New(`fakearray: an array named "default" needs ConfigOptions.SharedModule`)
			}
			m, err := module(a)
			if err != nil {
				return "", err
			}
			cfg.WriteString("  " + strconv.Quote(a.Name) + ":\n" + m)
		}
	}
	cfg.WriteString("targets:\n")
	for _, a := range arrays {
		mod := a.Name
		if o.SharedModule {
			mod = "default"
		}
		lab := ""
		if v, ok := o.Lab[a.Name]; ok {
			lab = ", lab: " + strconv.FormatBool(v)
		}
		fmt.Fprintf(&cfg, "  %s: {address: %s, module: %s%s}\n",
			strconv.Quote(a.Name), strconv.Quote(a.SSHAddress), strconv.Quote(mod), lab)
	}
	return write("rcopy.yml", []byte(cfg.String()))
}
