package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Redacted is what a Secret prints as, everywhere.
const Redacted = "<secret>"

// Secret holds a credential read from a file (a password or a private key).
// Every way of printing it (fmt verbs, YAML, JSON, slog) gives "<secret>";
// only Reveal returns the value, so that a leak needs an explicit call.
type Secret struct{ value string }

// NewSecret wraps a credential, e.g. one read from a file by a test or by
// the exporter's --simulate wiring.
func NewSecret(value string) Secret { return Secret{value: value} }

// Reveal returns the credential itself, for the one place that needs it
// (the SSH or HTTP client).
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no credential is set (also used by YAML omitempty).
func (s Secret) IsZero() bool { return s.value == "" }

// String implements fmt.Stringer.
func (s Secret) String() string { return Redacted }

// GoString implements fmt.GoStringer (%#v).
func (s Secret) GoString() string { return `config.Secret("` + Redacted + `")` }

// Format implements fmt.Formatter so that no verb (%x, %q, %d...) can print
// the value.
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'v' && f.Flag('#') {
		fmt.Fprint(f, s.GoString())
		return
	}
	fmt.Fprint(f, Redacted)
}

// MarshalYAML implements yaml.Marshaler.
func (s Secret) MarshalYAML() (any, error) { return Redacted, nil }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText implements encoding.TextMarshaler (used by other encoders).
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }
