// Package cim owns the CIM-XML wire protocol (DMTF DSP0200/DSP0201) as far as
// this project needs it: encoding and decoding of EnumerateInstances,
// EnumerateInstanceNames and GetInstance messages, a small client that reads
// the remote copy instances of an array and joins them to volume names, and a
// server-side handler that the simulator uses. It imports nothing of the
// project; no Go WBEM module exists, so this is written on encoding/xml and
// net/http.
//
// Client side:
//
//	c, err := cim.NewClient(cim.ClientOptions{URL: "https://array:5989", User: "monitor",
//		Password: pw /* read from a file */, CAFile: "/etc/rcopy/array-ca.pem"})
//	vols, err := c.RemoteCopyVolumes(ctx) // TPD_RemoteStorageSynchronized joined to volume names
//
// Errors: a CIM ERROR element is an *Error (errors.Is(err, &cim.Error{Code:
// cim.ErrInvalidClass}) matches on the code), HTTP 401 wraps ErrUnauthorized,
// a passed deadline wraps context.DeadlineExceeded. No error or log line
// holds the password or the Authorization header; URLs with credentials are
// refused.
//
// Server side: NewHandler(provider, opts) serves POST and M-POST /cimom; the
// Provider only enumerates, the handler does authentication, headers,
// GetInstance lookup by key bindings, PropertyList and error rendering.
//
// Decoding is bounded: input must be valid UTF-8; before encoding/xml sees
// it, one scan of the bytes refuses more than 64 attributes in one element
// (encoding/xml collects them all before it returns the element), more
// than 1,000,000 elements in one message, nesting deeper than 64 and a
// DOCTYPE that declares entities; one result (instance or name) is at most
// 100,000 elements; results are converted one at a time, so memory follows
// what is kept; and DecodeResponseContext stops when its context ends. The
// client caps the response size (32 MiB by default) while reading, reads
// into one buffer, and decodes within the request's context.
//
// Concurrent RemoteCopyVolumes calls on one Client share one read; Close
// closes the client's idle connections (the exporter calls it for the
// clients a reload replaces).
package cim
