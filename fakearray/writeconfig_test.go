package fakearray

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/threepar/rcopy-exporter/config"
)

func TestWriteConfig(t *testing.T) {
	s := startSim(t, DefaultScenario(), Options{})
	for _, tc := range []struct {
		name    string
		o       ConfigOptions
		modules []string
		module  string // module of target sim-b
		cim     bool
	}{
		{"per array with CIM", ConfigOptions{CIM: true, SSHTimeout: 2 * time.Second, CIMTimeout: 3 * time.Second, MaxOutputBytes: 1 << 20,
			Lab: map[string]bool{"sim-a": true, "sim-b": false}}, []string{"default", "sim-a", "sim-b"}, "sim-b", true},
		{"per array, SSH only", ConfigOptions{}, []string{"default", "sim-a", "sim-b"}, "sim-b", false},
		{"shared module", ConfigOptions{SharedModule: true, CIM: true}, []string{"default"}, "default", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path, err := s.WriteConfig(dir, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Load(path)
			if err != nil {
				t.Fatalf("config.Load rejects what WriteConfig wrote: %v", err)
			}
			if len(cfg.Modules) != len(tc.modules) {
				t.Errorf("modules %v, want %v", cfg.Modules, tc.modules)
			}
			for _, name := range tc.modules {
				if _, ok := cfg.Modules[name]; !ok {
					t.Errorf("no module %q", name)
				}
			}
			for _, a := range s.Arrays() {
				tg, ok := cfg.Targets[a.Name]
				if !ok {
					t.Fatalf("no target %q", a.Name)
				}
				if tg.Address != a.SSHAddress {
					t.Errorf("target %s address %q, want %q", a.Name, tg.Address, a.SSHAddress)
				}
				if want := tc.o.Lab[a.Name]; tg.Lab != want {
					t.Errorf("target %s lab %t, want %t", a.Name, tg.Lab, want)
				}
				m := cfg.Modules[tg.Module]
				if m.SSH.Password.Reveal() != a.Password || m.SSH.User != a.User {
					t.Errorf("target %s logs in as %q with the wrong password", a.Name, m.SSH.User)
				}
				if got := m.CIM != nil; got != tc.cim {
					t.Errorf("target %s has CIM %t, want %t", a.Name, got, tc.cim)
				} else if tc.cim && (m.CIM.URL != a.CIMURL || m.CIM.Password.Reveal() != a.Password) {
					t.Errorf("target %s CIM %+v, want URL %s and the array's password", a.Name, m.CIM, a.CIMURL)
				}
				if tc.o.SSHTimeout != 0 && m.SSH.Timeout != tc.o.SSHTimeout {
					t.Errorf("ssh timeout %s, want %s", m.SSH.Timeout, tc.o.SSHTimeout)
				}
				if tc.o.CIMTimeout != 0 && m.CIM.Timeout != tc.o.CIMTimeout {
					t.Errorf("cim timeout %s, want %s", m.CIM.Timeout, tc.o.CIMTimeout)
				}
				if tc.o.MaxOutputBytes != 0 && m.SSH.MaxOutputBytes != tc.o.MaxOutputBytes {
					t.Errorf("max_output_bytes %d, want %d", m.SSH.MaxOutputBytes, tc.o.MaxOutputBytes)
				}
			}
			if got := cfg.Targets["sim-b"].Module; got != tc.module {
				t.Errorf("sim-b uses module %q, want %q", got, tc.module)
			}
			yml, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range s.Arrays() {
				if strings.Contains(string(yml), a.Password) {
					t.Errorf("the password of %s is in rcopy.yml:\n%s", a.Name, yml)
				}
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			// Both arrays share one credential: one password file.
			if len(entries) != 3 {
				t.Errorf("files %v, want rcopy.yml, known_hosts and one password file", entries)
			}
			for _, e := range entries {
				fi, err := os.Stat(filepath.Join(dir, e.Name()))
				if err != nil {
					t.Fatal(err)
				}
				if fi.Mode().Perm() != 0o600 {
					t.Errorf("%s has mode %o, want 0600", e.Name(), fi.Mode().Perm())
				}
			}
		})
	}
}

func TestWriteConfigPrivateKeyAndSubset(t *testing.T) {
	s := startSim(t, DefaultScenario(), Options{})
	dir := t.TempDir()
	key := filepath.Join(dir, "id")
	path, err := s.WriteConfig(dir, ConfigOptions{Arrays: []string{"sim-a"}, SharedModule: true,
		PrivateKeyFile: key, User: "monitor", Comment: "for a test"})
	if err != nil {
		t.Fatal(err)
	}
	yml, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# for a test\n", "private_key_file: " + `"` + key + `"`, `user: "monitor"`, `"sim-a": {address:`} {
		if !strings.Contains(string(yml), want) {
			t.Errorf("rcopy.yml lacks %q:\n%s", want, yml)
		}
	}
	for _, unwanted := range []string{"password_file", "sim-b"} {
		if strings.Contains(string(yml), unwanted) {
			t.Errorf("rcopy.yml has %q:\n%s", unwanted, yml)
		}
	}
	if _, err := s.WriteConfig(t.TempDir(), ConfigOptions{Arrays: []string{"nope"}}); err == nil {
		t.Error("no error for a configuration without arrays")
	}
}
