package cim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// Intrinsic operations the handler serves.
const (
	OpEnumerateInstances     = "EnumerateInstances"
	OpEnumerateInstanceNames = "EnumerateInstanceNames"
	OpGetInstance            = "GetInstance"
)

// Request is one CIM operation request (a SIMPLEREQ).
type Request struct {
	ID        string // MESSAGE ID
	Method    string // IMETHODCALL or METHODCALL NAME
	Extrinsic bool   // a METHODCALL (not served by this project)
	Namespace string // "root/tpd"

	ClassName    string      // EnumerateInstances, EnumerateInstanceNames
	InstanceName *ObjectPath // GetInstance
	// PropertyList restricts the properties returned; nil means all,
	// an empty non-nil list means none but the keys.
	PropertyList []string
	// Params holds other IPARAMVALUEs with a simple VALUE (LocalOnly,
	// DeepInheritance, ...) by name, as sent.
	Params map[string]string
}

// Response is one CIM operation response (a SIMPLERSP).
type Response struct {
	ID        string
	Method    string
	Extrinsic bool
	Err       *Error // an ERROR element; nil on success

	// Instances: VALUE.NAMEDINSTANCE (EnumerateInstances; key properties
	// marked from the INSTANCENAME), INSTANCE (GetInstance) or
	// VALUE.OBJECTWITHPATH (Associators) results, in order.
	Instances []Instance
	// Names: INSTANCENAME or INSTANCEPATH results (EnumerateInstanceNames).
	Names []ObjectPath
	// PropertyList, when non-nil, restricts the properties EncodeResponse
	// writes in INSTANCE elements (case-insensitive); key bindings in
	// INSTANCENAME are always complete. Not set by DecodeResponse.
	PropertyList []string
}

// Protocol failure kinds, as the DSP0200 CIMError header names them.
const (
	CIMErrorNotWellFormed     = "request-not-well-formed"
	CIMErrorNotValid          = "request-not-valid"
	CIMErrorMultipleRequests  = "multiple-requests-unsupported"
	CIMErrorHeaderMismatch    = "header-mismatch"
	CIMErrorUnsupportedOpHTTP = "unsupported-operation"
)

// DecodeError is a message that could not be decoded. Kind is the CIMError
// header value a server sends back for it.
type DecodeError struct {
	Kind string
	Err  error
}

func (e *DecodeError) Error() string { return "CIM-XML: " + e.Err.Error() }
func (e *DecodeError) Unwrap() error { return e.Err }

func notWellFormed(err error) error { return &DecodeError{Kind: CIMErrorNotWellFormed, Err: err} }

func notValid(format string, args ...any) error {
	return &DecodeError{Kind: CIMErrorNotValid, Err: fmt.Errorf(format, args...)}
}

// classify turns an error of the token reader into a DecodeError: syntax,
// UTF-8 and depth problems are well-formedness failures.
func classify(err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		return err
	}
	return notWellFormed(err)
}

const xmlHeader = `<?xml version="1.0" encoding="utf-8" ?>` + "\n"

func namespaceOrDefault(ns string) string {
	if ns == "" {
		return "root/tpd"
	}
	return ns
}

// EncodeRequest writes r as a CIM-XML message.
func EncodeRequest(w io.Writer, r Request) error {
	x := &writer{w: w}
	x.raw(xmlHeader)
	x.open("CIM", "CIMVERSION", "2.0", "DTDVERSION", "2.0")
	x.open("MESSAGE", "ID", idOrDefault(r.ID), "PROTOCOLVERSION", "1.0")
	x.open("SIMPLEREQ")
	call := "IMETHODCALL"
	if r.Extrinsic {
		call = "METHODCALL"
	}
	x.open(call, "NAME", r.Method)
	writeLocalNamespace(x, namespaceOrDefault(r.Namespace))
	if r.ClassName != "" {
		x.open("IPARAMVALUE", "NAME", "ClassName")
		x.empty("CLASSNAME", "NAME", r.ClassName)
		x.close("IPARAMVALUE")
	}
	if r.InstanceName != nil {
		x.open("IPARAMVALUE", "NAME", "InstanceName")
		writeInstanceName(x, *r.InstanceName)
		x.close("IPARAMVALUE")
	}
	for _, name := range sortedKeys(r.Params) {
		x.open("IPARAMVALUE", "NAME", name)
		x.leaf("VALUE", r.Params[name])
		x.close("IPARAMVALUE")
	}
	if r.PropertyList != nil {
		x.open("IPARAMVALUE", "NAME", "PropertyList")
		x.open("VALUE.ARRAY")
		for _, p := range r.PropertyList {
			x.leaf("VALUE", p)
		}
		x.close("VALUE.ARRAY")
		x.close("IPARAMVALUE")
	}
	x.close(call)
	x.close("SIMPLEREQ")
	x.close("MESSAGE")
	x.close("CIM")
	x.raw("\n")
	return x.err
}

func idOrDefault(id string) string {
	if id == "" {
		return "1001"
	}
	return id
}

// EncodeResponse writes r as a CIM-XML message. Instances are written as
// INSTANCE for GetInstance and as VALUE.NAMEDINSTANCE otherwise; Names as
// INSTANCENAME. Instances whose property types or values would break the
// XML are escaped, never written half.
func EncodeResponse(w io.Writer, r Response) error {
	x := &writer{w: w}
	x.raw(xmlHeader)
	x.open("CIM", "CIMVERSION", "2.0", "DTDVERSION", "2.0")
	x.open("MESSAGE", "ID", idOrDefault(r.ID), "PROTOCOLVERSION", "1.0")
	x.open("SIMPLERSP")
	rsp := "IMETHODRESPONSE"
	if r.Extrinsic {
		rsp = "METHODRESPONSE"
	}
	x.open(rsp, "NAME", r.Method)
	if r.Err != nil {
		x.empty("ERROR", "CODE", strconv.Itoa(r.Err.Code), "DESCRIPTION", r.Err.Description)
	} else if !r.Extrinsic {
		var keep func(string) bool
		if r.PropertyList != nil {
			keep = func(name string) bool {
				return slices.ContainsFunc(r.PropertyList, func(p string) bool { return strings.EqualFold(p, name) })
			}
		}
		x.open("IRETURNVALUE")
		for _, in := range r.Instances {
			if r.Method == OpGetInstance {
				writeInstance(x, in, keep)
				continue
			}
			x.open("VALUE.NAMEDINSTANCE")
			writeInstanceName(x, in.Path())
			writeInstance(x, in, keep)
			x.close("VALUE.NAMEDINSTANCE")
		}
		for _, n := range r.Names {
			writeInstanceName(x, n)
		}
		x.close("IRETURNVALUE")
	}
	x.close(rsp)
	x.close("SIMPLERSP")
	x.close("MESSAGE")
	x.close("CIM")
	x.raw("\n")
	return x.err
}

func writeLocalNamespace(x *writer, ns string) {
	x.open("LOCALNAMESPACEPATH")
	for _, part := range strings.Split(ns, "/") {
		if part != "" {
			x.empty("NAMESPACE", "NAME", part)
		}
	}
	x.close("LOCALNAMESPACEPATH")
}

func writeInstanceName(x *writer, op ObjectPath) {
	x.open("INSTANCENAME", "CLASSNAME", op.ClassName)
	for _, k := range op.Keys {
		// An unnamed key is DSP0201's shorthand for a class with one key.
		if k.Name != "" {
			x.open("KEYBINDING", "NAME", k.Name)
		}
		if k.Ref != nil {
			writeValueReference(x, *k.Ref)
		} else {
			vt := k.ValueType
			if vt == "" {
				vt = "string"
			}
			x.leaf("KEYVALUE", k.Value, "VALUETYPE", vt)
		}
		if k.Name != "" {
			x.close("KEYBINDING")
		}
	}
	x.close("INSTANCENAME")
}

func writeValueReference(x *writer, op ObjectPath) {
	x.open("VALUE.REFERENCE")
	switch {
	case op.Host != "":
		x.open("INSTANCEPATH")
		x.open("NAMESPACEPATH")
		x.leaf("HOST", op.Host)
		writeLocalNamespace(x, namespaceOrDefault(op.Namespace))
		x.close("NAMESPACEPATH")
		writeInstanceName(x, op)
		x.close("INSTANCEPATH")
	case op.Namespace != "":
		x.open("LOCALINSTANCEPATH")
		writeLocalNamespace(x, op.Namespace)
		writeInstanceName(x, op)
		x.close("LOCALINSTANCEPATH")
	default:
		writeInstanceName(x, op)
	}
	x.close("VALUE.REFERENCE")
}

// writeInstance writes INSTANCE; when keep is non-nil only the properties
// it accepts are written (PropertyList).
func writeInstance(x *writer, in Instance, keep func(string) bool) {
	x.open("INSTANCE", "CLASSNAME", in.ClassName)
	for _, p := range in.Properties {
		if keep != nil && !keep(p.Name) {
			continue
		}
		writeProperty(x, p)
	}
	x.close("INSTANCE")
}

func writeProperty(x *writer, p Property) {
	typ := p.Type
	if typ == "" {
		typ = "string"
	}
	switch {
	case typ == TypeReference:
		x.open("PROPERTY.REFERENCE", "NAME", p.Name)
		if p.Ref != nil {
			writeValueReference(x, *p.Ref)
		}
		x.close("PROPERTY.REFERENCE")
	case p.IsArray:
		x.open("PROPERTY.ARRAY", "NAME", p.Name, "TYPE", typ)
		if p.Elements != nil {
			x.open("VALUE.ARRAY")
			for _, e := range p.Elements {
				x.leaf("VALUE", e)
			}
			x.close("VALUE.ARRAY")
		}
		x.close("PROPERTY.ARRAY")
	default:
		x.open("PROPERTY", "NAME", p.Name, "TYPE", typ)
		if p.Key {
			// Lets a GetInstance reader, which gets no INSTANCENAME, know the keys.
			x.open("QUALIFIER", "NAME", "Key", "TYPE", "boolean")
			x.leaf("VALUE", "TRUE")
			x.close("QUALIFIER")
		}
		if p.Value != nil {
			x.leaf("VALUE", *p.Value)
		}
		x.close("PROPERTY")
	}
}

// DecodeRequest reads one CIM-XML request message. Errors are *DecodeError.
func DecodeRequest(data []byte) (Request, error) {
	var req Request
	tr, err := newTokenReader(context.Background(), data)
	if err != nil {
		return req, notWellFormed(err)
	}
	msg, err := openMessage(tr)
	if err != nil {
		return req, classify(err)
	}
	req.ID = msg.id
	switch msg.kind {
	case "SIMPLEREQ":
	case "MULTIREQ":
		return req, &DecodeError{Kind: CIMErrorMultipleRequests, Err: errors.New("MULTIREQ is not supported")}
	default:
		return req, notValid("line %d: MESSAGE holds %s, want SIMPLEREQ", tr.line(), msg.kind)
	}
	start, err := tr.nextStart()
	if err != nil {
		return req, classify(err)
	}
	if start == nil || (start.Name.Local != "IMETHODCALL" && start.Name.Local != "METHODCALL") {
		return req, notValid("line %d: SIMPLEREQ holds no IMETHODCALL", tr.line())
	}
	call, err := tr.readElement(*start)
	if err != nil {
		return req, classify(err)
	}
	req.Extrinsic = call.name == "METHODCALL"
	req.Method, _ = call.attr("NAME")
	if req.Method == "" {
		return req, notValid("%s without NAME", call.name)
	}
	if lnp := call.child("LOCALNAMESPACEPATH"); lnp != nil {
		req.Namespace = decodeLocalNamespace(lnp)
	} else if lip := call.child("LOCALINSTANCEPATH"); lip != nil { // extrinsic on an instance
		if lnp := lip.child("LOCALNAMESPACEPATH"); lnp != nil {
			req.Namespace = decodeLocalNamespace(lnp)
		}
	}
	for _, p := range call.children("IPARAMVALUE") {
		name, _ := p.attr("NAME")
		switch {
		case strings.EqualFold(name, "ClassName"):
			cn := p.child("CLASSNAME")
			if cn == nil {
				return req, notValid("IPARAMVALUE ClassName without CLASSNAME")
			}
			req.ClassName, _ = cn.attr("NAME")
		case strings.EqualFold(name, "InstanceName"):
			in := p.child("INSTANCENAME")
			if in == nil {
				return req, notValid("IPARAMVALUE InstanceName without INSTANCENAME")
			}
			op, err := decodeInstanceName(in)
			if err != nil {
				return req, notValid("InstanceName: %v", err)
			}
			req.InstanceName = &op
		case strings.EqualFold(name, "PropertyList"):
			req.PropertyList = []string{}
			if va := p.child("VALUE.ARRAY"); va != nil {
				for _, v := range va.children("VALUE") {
					req.PropertyList = append(req.PropertyList, strings.TrimSpace(v.text))
				}
			} else {
				req.PropertyList = nil // NULL: all properties
			}
		default:
			if v := p.child("VALUE"); v != nil {
				if req.Params == nil {
					req.Params = map[string]string{}
				}
				req.Params[name] = strings.TrimSpace(v.text)
			}
		}
	}
	return req, nil
}

type messageStart struct{ id, kind string }

// openMessage reads CIM and MESSAGE start tags and the start of the
// SIMPLEREQ/SIMPLERSP inside.
func openMessage(tr *tokenReader) (messageStart, error) {
	var m messageStart
	start, err := tr.nextStart()
	if err != nil {
		return m, err
	}
	if start == nil || start.Name.Local != "CIM" {
		return m, notValid("line %d: root element is not CIM", tr.line())
	}
	start, err = tr.nextStart()
	if err != nil {
		return m, err
	}
	if start == nil || start.Name.Local != "MESSAGE" {
		return m, notValid("line %d: CIM holds no MESSAGE", tr.line())
	}
	for _, a := range start.Attr {
		if a.Name.Local == "ID" {
			m.id = a.Value
		}
	}
	start, err = tr.nextStart()
	if err != nil {
		return m, err
	}
	if start == nil {
		return m, notValid("line %d: empty MESSAGE", tr.line())
	}
	m.kind = start.Name.Local
	return m, nil
}

// DecodeResponse reads one CIM-XML response message. It converts the
// results one at a time, so memory stays near the size of what is kept.
// Errors are *DecodeError; a CIM ERROR element is not an error here but
// Response.Err.
func DecodeResponse(data []byte) (Response, error) {
	return DecodeResponseContext(context.Background(), data)
}

// DecodeResponseContext is DecodeResponse, stopping with an error that
// wraps the context's when ctx ends: decoding a large answer stays within
// the probe's deadline.
func DecodeResponseContext(ctx context.Context, data []byte) (Response, error) {
	var rsp Response
	tr, err := newTokenReader(ctx, data)
	if err != nil {
		return rsp, notWellFormed(err)
	}
	msg, err := openMessage(tr)
	if err != nil {
		return rsp, classify(err)
	}
	rsp.ID = msg.id
	if msg.kind != "SIMPLERSP" {
		return rsp, notValid("line %d: MESSAGE holds %s, want SIMPLERSP", tr.line(), msg.kind)
	}
	start, err := tr.nextStart()
	if err != nil {
		return rsp, classify(err)
	}
	if start == nil || (start.Name.Local != "IMETHODRESPONSE" && start.Name.Local != "METHODRESPONSE") {
		return rsp, notValid("line %d: SIMPLERSP holds no IMETHODRESPONSE", tr.line())
	}
	rsp.Extrinsic = start.Name.Local == "METHODRESPONSE"
	for _, a := range start.Attr {
		if a.Name.Local == "NAME" {
			rsp.Method = a.Value
		}
	}
	for {
		start, err := tr.nextStart()
		if err != nil {
			return rsp, classify(err)
		}
		if start == nil {
			break // end of IMETHODRESPONSE
		}
		switch start.Name.Local {
		case "ERROR":
			n, err := tr.readElement(*start)
			if err != nil {
				return rsp, classify(err)
			}
			e, err := decodeError(n)
			if err != nil {
				return rsp, notValid("line %d: %v", tr.line(), err)
			}
			rsp.Err = e
		case "IRETURNVALUE":
			if err := decodeReturnValue(tr, &rsp); err != nil {
				return rsp, classify(err)
			}
		default:
			if err := tr.skip(); err != nil {
				return rsp, classify(err)
			}
		}
	}
	// The rest (end tags of SIMPLERSP, MESSAGE, CIM) must still be well formed.
	for tr.depth > 0 {
		if _, err := tr.next(); err != nil {
			return rsp, classify(err)
		}
	}
	return rsp, nil
}

func decodeReturnValue(tr *tokenReader, rsp *Response) error {
	for {
		start, err := tr.nextStart()
		if err != nil {
			return err
		}
		if start == nil {
			return nil
		}
		line := tr.line()
		n, err := tr.readElement(*start)
		if err != nil {
			return err
		}
		switch n.name {
		case "VALUE.NAMEDINSTANCE":
			in, err := decodeNamedInstance(n)
			if err != nil {
				return notValid("line %d: %v", line, err)
			}
			rsp.Instances = append(rsp.Instances, in)
		case "INSTANCE":
			in, err := decodeInstance(n)
			if err != nil {
				return notValid("line %d: %v", line, err)
			}
			rsp.Instances = append(rsp.Instances, in)
		case "VALUE.OBJECTWITHPATH":
			inst := n.child("INSTANCE")
			if inst == nil {
				continue // a class with path: not used by this project
			}
			in, err := decodeInstance(inst)
			if err != nil {
				return notValid("line %d: %v", line, err)
			}
			if ip := n.child("INSTANCEPATH"); ip != nil {
				if op, err := decodeInstancePath(ip); err == nil {
					markKeys(&in, op)
				}
			}
			rsp.Instances = append(rsp.Instances, in)
		case "INSTANCENAME":
			op, err := decodeInstanceName(n)
			if err != nil {
				return notValid("line %d: %v", line, err)
			}
			rsp.Names = append(rsp.Names, op)
		case "INSTANCEPATH":
			op, err := decodeInstancePath(n)
			if err != nil {
				return notValid("line %d: %v", line, err)
			}
			rsp.Names = append(rsp.Names, op)
		}
	}
}

func decodeError(n *node) (*Error, error) {
	code, _ := n.attr("CODE")
	c, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		return nil, fmt.Errorf("ERROR with CODE %q, want a number", code)
	}
	desc, _ := n.attr("DESCRIPTION")
	return &Error{Code: c, Description: desc}, nil
}

func decodeNamedInstance(n *node) (Instance, error) {
	inst := n.child("INSTANCE")
	if inst == nil {
		return Instance{}, errors.New("VALUE.NAMEDINSTANCE without INSTANCE")
	}
	in, err := decodeInstance(inst)
	if err != nil {
		return in, err
	}
	name := n.child("INSTANCENAME")
	if name == nil {
		return in, errors.New("VALUE.NAMEDINSTANCE without INSTANCENAME")
	}
	op, err := decodeInstanceName(name)
	if err != nil {
		return in, err
	}
	markKeys(&in, op)
	return in, nil
}

// markKeys flags the properties named by the instance's key bindings and
// adds keys the INSTANCE left out (servers may omit them).
func markKeys(in *Instance, op ObjectPath) {
	for _, k := range op.Keys {
		if k.Name == "" {
			continue // unnamed single key: no property to name
		}
		found := false
		for i := range in.Properties {
			if strings.EqualFold(in.Properties[i].Name, k.Name) {
				in.Properties[i].Key = true
				if in.Properties[i].Type == TypeReference && in.Properties[i].Ref == nil {
					in.Properties[i].Ref = k.Ref
				}
				found = true
			}
		}
		if found {
			continue
		}
		p := Property{Name: k.Name, Key: true}
		if k.Ref != nil {
			p.Type, p.Ref = TypeReference, k.Ref
		} else {
			p.Type, p.Value = cimTypeOf(k.ValueType), Str(k.Value)
		}
		in.Properties = append(in.Properties, p)
	}
}

func cimTypeOf(valueType string) string {
	switch valueType {
	case "numeric":
		return "uint64" // the exact type is not on the wire
	case "boolean":
		return "boolean"
	default:
		return "string"
	}
}

func decodeInstance(n *node) (Instance, error) {
	in := Instance{}
	in.ClassName, _ = n.attr("CLASSNAME")
	if in.ClassName == "" {
		return in, errors.New("INSTANCE without CLASSNAME")
	}
	for _, k := range n.kids {
		name, _ := k.attr("NAME")
		typ, _ := k.attr("TYPE")
		switch k.name {
		case "PROPERTY":
			if name == "" {
				return in, fmt.Errorf("%s: PROPERTY without NAME", in.ClassName)
			}
			p := Property{Name: name, Type: typ, Key: hasKeyQualifier(k)}
			if v := k.child("VALUE"); v != nil {
				p.Value = Str(v.text)
			}
			in.Properties = append(in.Properties, p)
		case "PROPERTY.ARRAY":
			if name == "" {
				return in, fmt.Errorf("%s: PROPERTY.ARRAY without NAME", in.ClassName)
			}
			p := Property{Name: name, Type: typ, IsArray: true}
			if va := k.child("VALUE.ARRAY"); va != nil {
				p.Elements = []string{}
				for _, v := range va.kids {
					if v.name == "VALUE" || v.name == "VALUE.NULL" {
						p.Elements = append(p.Elements, v.text)
					}
				}
			}
			in.Properties = append(in.Properties, p)
		case "PROPERTY.REFERENCE":
			if name == "" {
				return in, fmt.Errorf("%s: PROPERTY.REFERENCE without NAME", in.ClassName)
			}
			p := Property{Name: name, Type: TypeReference, Key: hasKeyQualifier(k)}
			if vr := k.child("VALUE.REFERENCE"); vr != nil {
				op, err := decodeValueReference(vr)
				if err != nil {
					return in, fmt.Errorf("%s.%s: %w", in.ClassName, name, err)
				}
				p.Ref = &op
			}
			in.Properties = append(in.Properties, p)
		}
	}
	return in, nil
}

func hasKeyQualifier(n *node) bool {
	for _, q := range n.children("QUALIFIER") {
		if name, _ := q.attr("NAME"); strings.EqualFold(name, "Key") {
			v := q.child("VALUE")
			return v == nil || strings.EqualFold(strings.TrimSpace(v.text), "TRUE")
		}
	}
	return false
}

func decodeLocalNamespace(n *node) string {
	var parts []string
	for _, ns := range n.children("NAMESPACE") {
		if name, _ := ns.attr("NAME"); name != "" {
			parts = append(parts, name)
		}
	}
	return strings.Join(parts, "/")
}

func decodeInstanceName(n *node) (ObjectPath, error) {
	op := ObjectPath{}
	op.ClassName, _ = n.attr("CLASSNAME")
	if op.ClassName == "" {
		return op, errors.New("INSTANCENAME without CLASSNAME")
	}
	for _, k := range n.kids {
		switch k.name {
		case "KEYBINDING":
			name, _ := k.attr("NAME")
			if name == "" {
				return op, fmt.Errorf("%s: KEYBINDING without NAME", op.ClassName)
			}
			kb, err := decodeKeyValue(k)
			if err != nil {
				return op, fmt.Errorf("%s.%s: %w", op.ClassName, name, err)
			}
			kb.Name = name
			op.Keys = append(op.Keys, kb)
		case "KEYVALUE", "VALUE.REFERENCE": // single unnamed key
			kb, err := decodeKeyValue(&node{kids: []*node{k}})
			if err != nil {
				return op, fmt.Errorf("%s: %w", op.ClassName, err)
			}
			op.Keys = append(op.Keys, kb)
		}
	}
	return op, nil
}

func decodeKeyValue(kbNode *node) (KeyBinding, error) {
	if kv := kbNode.child("KEYVALUE"); kv != nil {
		vt, _ := kv.attr("VALUETYPE")
		if vt == "" {
			vt = "string"
		}
		return KeyBinding{Value: kv.text, ValueType: vt}, nil
	}
	if vr := kbNode.child("VALUE.REFERENCE"); vr != nil {
		op, err := decodeValueReference(vr)
		if err != nil {
			return KeyBinding{}, err
		}
		return KeyBinding{ValueType: TypeReference, Ref: &op}, nil
	}
	return KeyBinding{}, errors.New("KEYBINDING without KEYVALUE or VALUE.REFERENCE")
}

func decodeValueReference(n *node) (ObjectPath, error) {
	for _, k := range n.kids {
		switch k.name {
		case "INSTANCEPATH":
			return decodeInstancePath(k)
		case "LOCALINSTANCEPATH":
			in := k.child("INSTANCENAME")
			if in == nil {
				return ObjectPath{}, errors.New("LOCALINSTANCEPATH without INSTANCENAME")
			}
			op, err := decodeInstanceName(in)
			if lnp := k.child("LOCALNAMESPACEPATH"); lnp != nil {
				op.Namespace = decodeLocalNamespace(lnp)
			}
			return op, err
		case "INSTANCENAME":
			return decodeInstanceName(k)
		case "CLASSPATH", "LOCALCLASSPATH", "CLASSNAME":
			return ObjectPath{}, fmt.Errorf("VALUE.REFERENCE to a class (%s), want an instance", k.name)
		}
	}
	return ObjectPath{}, errors.New("empty VALUE.REFERENCE")
}

func decodeInstancePath(n *node) (ObjectPath, error) {
	in := n.child("INSTANCENAME")
	if in == nil {
		return ObjectPath{}, errors.New("INSTANCEPATH without INSTANCENAME")
	}
	op, err := decodeInstanceName(in)
	if err != nil {
		return op, err
	}
	if nsp := n.child("NAMESPACEPATH"); nsp != nil {
		if h := nsp.child("HOST"); h != nil {
			op.Host = strings.TrimSpace(h.text)
		}
		if lnp := nsp.child("LOCALNAMESPACEPATH"); lnp != nil {
			op.Namespace = decodeLocalNamespace(lnp)
		}
	}
	return op, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
