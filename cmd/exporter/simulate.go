package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/threepar/rcopy-exporter/fakearray"
)

// simulation is the --simulate wiring: the built-in simulated pair running
// in-process on 127.0.0.1, and a private directory holding what a real
// deployment would have on disk (configuration, password files,
// known_hosts), so that the exporter runs exactly as it does in production.
type simulation struct {
	sim        *fakearray.Sim
	dir        string
	configFile string
}

// startSimulation starts fakearray's default scenario and writes a
// configuration with one target and one module per array (each array has
// its own CIM port) plus a "default" module for HOST:PORT probes.
func startSimulation(ctx context.Context, logger *slog.Logger) (s *simulation, err error) {
	sim, err := fakearray.Start(ctx, fakearray.DefaultScenario(), fakearray.Options{
		Logger: logger.With("component", "fakearray"),
	})
	if err != nil {
		return nil, fmt.Errorf("starting the simulated arrays: %w", err)
	}
	dir, err := os.MkdirTemp("", "rcopy-exporter-simulate-")
	if err != nil {
		_ = sim.Close()
		return nil, err
	}
	s = &simulation{sim: sim, dir: dir}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	arrays := sim.Arrays()
	lab := map[string]bool{}
	for _, a := range arrays {
		lab[a.Name] = true
	}
	if s.configFile, err = sim.WriteConfig(dir, fakearray.ConfigOptions{CIM: true, Lab: lab,
		Comment: "Written by exporter --simulate for the in-process simulated arrays."}); err != nil {
		return nil, err
	}
	for _, a := range arrays {
		logger.Info("simulated array running", "array", a.Name, "ssh", a.SSHAddress, "cim", a.CIMURL,
			"probe", "/probe?target="+a.Name)
	}
	admin, _ := sim.Admin()
	logger.Info("simulation ready", "config", s.configFile,
		"control", "ssh -p PORT "+admin+"@127.0.0.1 simctl status (see docs/simulator.md)")
	return s, nil
}

// probeURLs returns the /probe URL of every simulated array for an HTTP
// listen address with a known port (none for port 0 or a vsock address).
func (s *simulation) probeURLs(listen string) []string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil || port == "0" || strings.Contains(listen, "://") {
		return nil
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	var urls []string
	for _, a := range s.sim.Arrays() {
		urls = append(urls, "http://"+net.JoinHostPort(host, port)+"/probe?target="+a.Name)
	}
	return urls
}

// Close stops the arrays and removes the private directory.
func (s *simulation) Close() {
	_ = s.sim.Close()
	_ = os.RemoveAll(s.dir)
}
