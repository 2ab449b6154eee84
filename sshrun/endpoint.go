package sshrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/threepar/rcopy-exporter/config"
)

// Endpoint returns the canonical endpoint of an array's address
// (HOST[:PORT], port 22 by default): "IP:PORT", with a host name
// lower-cased and resolved within ctx, an IPv4-mapped IPv6 address written
// as IPv4, and brackets around IPv6. Every spelling of one array
// (127.0.0.1:22, localhost, LOCALHOST:22, ::ffff:127.0.0.1) gives the same
// endpoint, so that the Pool's per-array slot and connections, and the
// callers that must agree with them (the exporter's CIM client cache, the
// drill's lab interlock), key on the array rather than on its spelling.
//
// A name with several addresses is the array at the lowest of them (IPv4
// before IPv6, then numerically), whatever order the resolver returns them
// in (round-robin DNS rotates it), and the Pool connects to that address
// only; the others are not tried. Give an array one management address, or
// write it as an address, when its name has several.
func Endpoint(ctx context.Context, address string) (string, error) {
	ep, _, err := resolve(ctx, address)
	if err != nil {
		return "", err
	}
	return ep.String(), nil
}

// lookupNetIP resolves host names; tests replace it.
var lookupNetIP = net.DefaultResolver.LookupNetIP

// resolve returns the canonical endpoint of address and the name to check
// the host key for: the address as written, host lower-cased (OpenSSH
// lower-cases host names before it looks them up in known_hosts too).
func resolve(ctx context.Context, address string) (netip.AddrPort, string, error) {
	norm, err := config.NormalizeAddress(address)
	if err != nil {
		return netip.AddrPort{}, "", err
	}
	host, portText, err := net.SplitHostPort(norm)
	if err != nil {
		return netip.AddrPort{}, "", err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return netip.AddrPort{}, "", fmt.Errorf("address %q: port %q: %v", address, portText, err)
	}
	host = strings.ToLower(host)
	name := net.JoinHostPort(host, portText)
	if ip, err := netip.ParseAddr(host); err == nil {
		return netip.AddrPortFrom(ip.Unmap(), uint16(port)), name, nil
	}
	start := time.Now()
	ips, err := lookupNetIP(ctx, "ip", host)
	if err != nil {
		if ctx.Err() != nil {
			return netip.AddrPort{}, name, &TimeoutError{Doing: "resolving " + host, After: time.Since(start)}
		}
		return netip.AddrPort{}, name, fmt.Errorf("resolving %s: %v", host, unwrapDNS(err))
	}
	if len(ips) == 0 {
		return netip.AddrPort{}, name, fmt.Errorf("resolving %s: no addresses", host)
	}
	lowest := ips[0].Unmap()
	for _, ip := range ips[1:] {
		if ip = ip.Unmap(); ip.Less(lowest) {
			lowest = ip
		}
	}
	return netip.AddrPortFrom(lowest, uint16(port)), name, nil
}

// unwrapDNS keeps the resolver's reason ("no such host") without repeating
// the name.
func unwrapDNS(err error) error {
	var de *net.DNSError
	if errors.As(err, &de) && de.Err != "" {
		return errors.New(de.Err)
	}
	return err
}
