package cim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultMaxRequestBytes caps a request body when HandlerOptions leaves
// MaxRequestBytes at 0. Requests are a few hundred bytes.
const DefaultMaxRequestBytes = 1 << 20

// CIMOMPath is where CIM-XML clients POST.
const CIMOMPath = "/cimom"

// manExtension is the mandatory-extension URI of an M-POST (DSP0200).
const manExtension = "http://www.dmtf.org/cim/mapping/http/v1.0"

type handler struct {
	p    Provider
	opts HandlerOptions
	log  *slog.Logger
}

// NewHandler serves CIM-XML operations from p at CIMOMPath: POST and M-POST,
// HTTP Basic authentication through opts.Authenticate, EnumerateInstances,
// EnumerateInstanceNames and GetInstance (found by key bindings among the
// class's instances); any other operation gets CIM_ERR_NOT_SUPPORTED. CIM
// errors are ERROR elements with HTTP 200; malformed requests get HTTP 400
// with a CIMError header.
func NewHandler(p Provider, opts HandlerOptions) http.Handler {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{p: p, opts: opts, log: log}
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != CIMOMPath {
		http.NotFound(w, r)
		return
	}
	// Extension headers of an M-POST carry a prefix "NN-" declared in Man.
	prefix := ""
	switch r.Method {
	case http.MethodPost:
	case "M-POST":
		ns, ok := manNamespace(r.Header.Get("Man"))
		if !ok {
			http.Error(w, "M-POST without a Man header naming "+manExtension, http.StatusNotExtended)
			return
		}
		prefix = ns + "-"
	default:
		w.Header().Set("Allow", "POST, M-POST")
		http.Error(w, "CIM-XML operations use POST or M-POST", http.StatusMethodNotAllowed)
		return
	}
	header := func(name string) string {
		if v := r.Header.Get(prefix + name); v != "" {
			return v
		}
		return r.Header.Get(name)
	}

	user := ""
	if h.opts.Authenticate != nil {
		u, pass, ok := r.BasicAuth()
		if !ok || !h.opts.Authenticate(u, pass) {
			h.log.Info("CIM request rejected: authentication failed", "remote", r.RemoteAddr, "user", u, "basic_auth_sent", ok)
			w.Header().Set("WWW-Authenticate", `Basic realm="cimom"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		user = u
	}

	if op := header("CIMOperation"); !strings.EqualFold(op, "MethodCall") {
		h.protocolError(w, http.StatusBadRequest, CIMErrorUnsupportedOpHTTP, fmt.Sprintf("CIMOperation header is %q, want MethodCall", op))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxRequestBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.protocolError(w, http.StatusRequestEntityTooLarge, CIMErrorNotValid, fmt.Sprintf("request larger than %d bytes", tooBig.Limit))
			return
		}
		h.protocolError(w, http.StatusBadRequest, CIMErrorNotWellFormed, "reading request: "+err.Error())
		return
	}
	req, err := DecodeRequest(body)
	if err != nil {
		status := http.StatusBadRequest
		kind := CIMErrorNotWellFormed
		var de *DecodeError
		if errors.As(err, &de) {
			kind = de.Kind
			if kind == CIMErrorMultipleRequests {
				status = http.StatusNotImplemented
			}
		}
		h.protocolError(w, status, kind, err.Error())
		return
	}
	if m := header("CIMMethod"); m != "" && !strings.EqualFold(m, req.Method) {
		h.protocolError(w, http.StatusBadRequest, CIMErrorHeaderMismatch, fmt.Sprintf("CIMMethod header %q, body calls %q", m, req.Method))
		return
	}
	if obj := header("CIMObject"); obj != "" && !req.Extrinsic {
		if ns := headerNamespace(obj); !strings.EqualFold(ns, strings.Trim(req.Namespace, "/")) {
			h.protocolError(w, http.StatusBadRequest, CIMErrorHeaderMismatch, fmt.Sprintf("CIMObject header names namespace %q, body %q", ns, req.Namespace))
			return
		}
	}

	rsp := h.serve(r, req)
	var out bytes.Buffer
	if err := EncodeResponse(&out, rsp); err != nil {
		h.log.Error("encoding CIM response", "err", err)
		http.Error(w, "encoding response failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.Header().Set("Content-Length", strconv.Itoa(out.Len()))
	if prefix != "" {
		w.Header().Set("Ext", "")
	}
	w.Header().Set(prefix+"CIMOperation", "MethodResponse")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out.Bytes())
	attrs := []any{"remote", r.RemoteAddr, "user", user, "method", req.Method, "namespace", req.Namespace,
		"class", req.ClassName, "instances", len(rsp.Instances) + len(rsp.Names)}
	if rsp.Err != nil {
		attrs = append(attrs, "cim_error", rsp.Err.Code)
	}
	h.log.Debug("CIM request", attrs...)
}

// serve runs one decoded operation against the provider.
func (h *handler) serve(r *http.Request, req Request) Response {
	rsp := Response{ID: req.ID, Method: req.Method, Extrinsic: req.Extrinsic, PropertyList: req.PropertyList}
	if req.Extrinsic {
		rsp.Err = &Error{Code: ErrNotSupported, Description: "extrinsic method " + req.Method + " is not supported"}
		return rsp
	}
	ctx := r.Context()
	switch req.Method {
	case OpEnumerateInstances, OpEnumerateInstanceNames:
		if req.ClassName == "" {
			rsp.Err = &Error{Code: ErrInvalidParameter, Description: "ClassName parameter missing"}
			return rsp
		}
		insts, err := h.p.EnumerateInstances(ctx, req.Namespace, req.ClassName)
		if err != nil {
			rsp.Err = asCIMError(err)
			return rsp
		}
		if req.Method == OpEnumerateInstanceNames {
			for _, in := range insts {
				rsp.Names = append(rsp.Names, in.Path())
			}
		} else {
			rsp.Instances = insts
		}
	case OpGetInstance:
		if req.InstanceName == nil {
			rsp.Err = &Error{Code: ErrInvalidParameter, Description: "InstanceName parameter missing"}
			return rsp
		}
		insts, err := h.p.EnumerateInstances(ctx, req.Namespace, req.InstanceName.ClassName)
		if err != nil {
			rsp.Err = asCIMError(err)
			return rsp
		}
		for _, in := range insts {
			if SamePath(in.Path(), *req.InstanceName) {
				rsp.Instances = []Instance{in}
				return rsp
			}
		}
		rsp.Err = &Error{Code: ErrNotFound, Description: "no instance " + req.InstanceName.String()}
	default:
		rsp.Err = &Error{Code: ErrNotSupported, Description: "operation " + req.Method + " is not supported"}
	}
	return rsp
}

func asCIMError(err error) *Error {
	var ce *Error
	if errors.As(err, &ce) {
		return ce
	}
	return &Error{Code: ErrFailed, Description: err.Error()}
}

func (h *handler) protocolError(w http.ResponseWriter, status int, kind, msg string) {
	h.log.Info("CIM request rejected", "status", status, "cim_error", kind, "reason", msg)
	w.Header().Set("CIMError", kind)
	http.Error(w, msg, status)
}

// manNamespace returns NN from `Man: http://www.dmtf.org/cim/mapping/http/v1.0; ns=NN`.
func manNamespace(man string) (string, bool) {
	parts := strings.Split(man, ";")
	if len(parts) < 2 || strings.Trim(strings.TrimSpace(parts[0]), `"`) != manExtension {
		return "", false
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "ns") && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// headerNamespace extracts the namespace from a CIMObject header: plain
// ("root/tpd") or percent-encoded ("root%2Ftpd"), possibly followed by
// ":Class.key=..." for operations on an instance.
func headerNamespace(obj string) string {
	if dec, err := url.PathUnescape(obj); err == nil {
		obj = dec
	}
	ns, _, _ := strings.Cut(obj, ":")
	return strings.Trim(ns, "/")
}

// SamePath reports whether two instance paths name the same instance: the
// same class and the same keys with equal values (names case-insensitive,
// reference keys compared recursively; hosts and namespaces are ignored,
// because clients spell them differently).
func SamePath(a, b ObjectPath) bool {
	if !strings.EqualFold(a.ClassName, b.ClassName) || len(a.Keys) != len(b.Keys) {
		return false
	}
	for _, ka := range a.Keys {
		matched := false
		for _, kb := range b.Keys {
			if !strings.EqualFold(ka.Name, kb.Name) {
				continue
			}
			switch {
			case ka.Ref != nil && kb.Ref != nil:
				matched = SamePath(*ka.Ref, *kb.Ref)
			case ka.Ref == nil && kb.Ref == nil:
				matched = ka.Value == kb.Value || (ka.ValueType == "boolean" && strings.EqualFold(ka.Value, kb.Value))
			}
			break
		}
		if !matched {
			return false
		}
	}
	return true
}
