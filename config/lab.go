package config

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// CheckLabTargets is the drill's interlock on addresses: each of names must
// be a target marked lab: true, and no target that is not marked lab: true
// may be the same array as one of them, under whatever name or spelling.
// Two targets are the same array when their addresses are equal ignoring
// case, or when endpoint (the SSH runner's canonicaliser, sshrun.Endpoint:
// host name lower-cased and resolved, IP and port) maps them to the same
// endpoint. A target whose address cannot be resolved is refused too: it
// might be the same array. ctx bounds the resolution.
func (c *Config) CheckLabTargets(ctx context.Context, names []string, endpoint func(context.Context, string) (string, error)) error {
	type lab struct{ name, address string }
	byEndpoint := map[string]lab{}
	byText := map[string]lab{}
	for _, name := range names {
		t, ok := c.Targets[name]
		switch {
		case !ok:
			return fmt.Errorf("%q is not a target (the drill works only on targets: entries marked lab: true)", name)
		case !t.Lab:
			return fmt.Errorf("target %q is not marked lab: true", name)
		}
		ep, err := endpoint(ctx, t.Address)
		if err != nil {
			return fmt.Errorf("lab target %q (%s): %w", name, t.Address, err)
		}
		byEndpoint[ep] = lab{name, t.Address}
		byText[strings.ToLower(t.Address)] = lab{name, t.Address}
	}
	others := make([]*Target, 0, len(c.Targets))
	for _, t := range c.Targets {
		if !t.Lab {
			others = append(others, t)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].Name < others[j].Name })
	resolved := map[string]string{} // address -> endpoint, one lookup per address
	for _, t := range others {
		same := func(l lab, ep string) error {
			how := ""
			if ep != "" {
				how = ": both are " + ep
			}
			return fmt.Errorf("target %q (%s, not lab: true) is the same array as lab target %q (%s)%s; the drill changes an array only when every target naming it is lab: true",
				t.Name, t.Address, l.name, l.address, how)
		}
		if l, ok := byText[strings.ToLower(t.Address)]; ok {
			return same(l, "")
		}
		ep, ok := resolved[t.Address]
		if !ok {
			var err error
			if ep, err = endpoint(ctx, t.Address); err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("target %q (%s): %w", t.Name, t.Address, err)
				}
				return fmt.Errorf("target %q (%s): cannot tell whether it is the same array as a lab target: %v", t.Name, t.Address, err)
			}
			resolved[t.Address] = ep
		}
		if l, ok := byEndpoint[ep]; ok {
			return same(l, ep)
		}
	}
	return nil
}
