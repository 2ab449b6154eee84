package cim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Provider supplies the instances a Handler serves. The simulator implements
// it; the handler does the wire protocol around it.
type Provider interface {
	// EnumerateInstances returns every instance of className in namespace
	// (e.g. "root/tpd"). Return *Error (e.g. &Error{Code: ErrInvalidClass})
	// for CIM errors.
	EnumerateInstances(ctx context.Context, namespace, className string) ([]Instance, error)
}

// Instance is one CIM instance: its class and its properties in order.
type Instance struct {
	ClassName  string
	Properties []Property // key properties have Key=true; they form the INSTANCENAME's KEYBINDINGs
}

// Property is one property of an instance.
type Property struct {
	Name  string
	Type  string      // CIM type: "string", "uint16", "boolean", "datetime", ... ; "reference" for refs
	Key   bool        // part of the instance's name (KEYBINDING)
	Value *string     // nil = NULL
	Ref   *ObjectPath // set when Type == "reference"

	// IsArray marks a PROPERTY.ARRAY; its values are in Elements (nil =
	// NULL) and Value is unused. 3PAR volumes carry a few array properties
	// (OperationalStatus, ...) that the decoder must read without failing.
	IsArray  bool
	Elements []string
}

// TypeReference is the Property.Type of a reference property.
const TypeReference = "reference"

// ObjectPath names an instance: optionally on another host and namespace.
type ObjectPath struct {
	Host      string // "" for local; the peer system's WWN for the peer's volume
	Namespace string // "root/tpd"; "" when the path is local to the request's namespace
	ClassName string
	Keys      []KeyBinding
}

// KeyBinding is one key of an ObjectPath. ValueType is "string", "numeric"
// or "boolean" (the KEYVALUE VALUETYPE attribute); "" means "string".
// A reference key (TPD_RemoteStorageSynchronized's SystemElement and
// SyncedElement) has Ref set, ValueType "reference" and Value empty.
type KeyBinding struct {
	Name, Value, ValueType string
	Ref                    *ObjectPath
}

// CIM status codes (DSP0200) used by this project.
const (
	ErrFailed           = 1
	ErrAccessDenied     = 2
	ErrInvalidNamespace = 3
	ErrInvalidParameter = 4
	ErrInvalidClass     = 5
	ErrNotFound         = 6
	ErrNotSupported     = 7
)

var statusNames = map[int]string{
	ErrFailed:           "CIM_ERR_FAILED",
	ErrAccessDenied:     "CIM_ERR_ACCESS_DENIED",
	ErrInvalidNamespace: "CIM_ERR_INVALID_NAMESPACE",
	ErrInvalidParameter: "CIM_ERR_INVALID_PARAMETER",
	ErrInvalidClass:     "CIM_ERR_INVALID_CLASS",
	ErrNotFound:         "CIM_ERR_NOT_FOUND",
	ErrNotSupported:     "CIM_ERR_NOT_SUPPORTED",
}

// StatusName returns the DSP0200 name of a CIM status code, e.g.
// "CIM_ERR_INVALID_CLASS", or "CIM_ERR_<n>" for codes this package does not name.
func StatusName(code int) string {
	if n, ok := statusNames[code]; ok {
		return n
	}
	return fmt.Sprintf("CIM_ERR_%d", code)
}

// Error is a CIM error: an ERROR element in a method response.
type Error struct {
	Code        int
	Description string
}

func (e *Error) Error() string {
	if e.Description == "" {
		return fmt.Sprintf("CIM error %d (%s)", e.Code, StatusName(e.Code))
	}
	return fmt.Sprintf("CIM error %d (%s): %s", e.Code, StatusName(e.Code), e.Description)
}

// Is makes errors.Is(err, &Error{Code: ErrNotFound}) match on the code alone.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t != nil && t.Code == e.Code
}

// ErrUnauthorized is returned (wrapped) by the client when the server answers
// HTTP 401: wrong user or password.
var ErrUnauthorized = errors.New("CIM server rejected the credentials (HTTP 401)")

// Property returns the named property (case-insensitive, as CIM names are)
// and whether it exists.
func (in Instance) Property(name string) (Property, bool) {
	for _, p := range in.Properties {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Property{}, false
}

// Value returns the named property's value and whether it is present and
// not NULL.
func (in Instance) Value(name string) (string, bool) {
	p, ok := in.Property(name)
	if !ok || p.Value == nil {
		return "", false
	}
	return *p.Value, true
}

// Path returns the instance's name: its class and the key properties as key
// bindings, local to the namespace it was read from.
func (in Instance) Path() ObjectPath {
	op := ObjectPath{ClassName: in.ClassName}
	for _, p := range in.Properties {
		if !p.Key {
			continue
		}
		op.Keys = append(op.Keys, p.keyBinding())
	}
	return op
}

func (p Property) keyBinding() KeyBinding {
	if p.Type == TypeReference {
		return KeyBinding{Name: p.Name, ValueType: TypeReference, Ref: p.Ref}
	}
	kb := KeyBinding{Name: p.Name, ValueType: valueTypeOf(p.Type)}
	if p.Value != nil {
		kb.Value = *p.Value
	}
	return kb
}

// valueTypeOf maps a CIM type to a KEYVALUE VALUETYPE.
func valueTypeOf(cimType string) string {
	switch strings.ToLower(cimType) {
	case "boolean":
		return "boolean"
	case "uint8", "uint16", "uint32", "uint64", "sint8", "sint16", "sint32", "sint64", "real32", "real64":
		return "numeric"
	default:
		return "string"
	}
}

// Key returns the value of the named key binding (case-insensitive).
func (op ObjectPath) Key(name string) (string, bool) {
	for _, k := range op.Keys {
		if strings.EqualFold(k.Name, name) {
			return k.Value, true
		}
	}
	return "", false
}

// String renders the path the way wbemcli and most CIM tools print it:
// //host/namespace:Class.Key="value",...
func (op ObjectPath) String() string {
	var b strings.Builder
	if op.Host != "" {
		b.WriteString("//" + op.Host + "/")
	}
	if op.Namespace != "" {
		b.WriteString(op.Namespace + ":")
	}
	b.WriteString(op.ClassName)
	for i, k := range op.Keys {
		if i == 0 {
			b.WriteByte('.')
		} else {
			b.WriteByte(',')
		}
		switch {
		case k.Ref != nil:
			fmt.Fprintf(&b, "%s=%q", k.Name, k.Ref.String())
		case k.ValueType == "" || k.ValueType == "string":
			fmt.Fprintf(&b, "%s=%q", k.Name, k.Value)
		default:
			fmt.Fprintf(&b, "%s=%s", k.Name, k.Value)
		}
	}
	return b.String()
}

// Str returns a pointer to s, for building Property values.
func Str(s string) *string { return &s }

// HandlerOptions configures NewHandler.
//
// Authenticate, when set, decides on the Basic credentials of every request;
// a nil Authenticate lets every request in (tests only). Logger defaults to
// discarding. MaxRequestBytes caps a request body (default 1 MiB).
type HandlerOptions struct {
	Authenticate    func(user, pass string) bool
	Logger          *slog.Logger
	MaxRequestBytes int64
}
