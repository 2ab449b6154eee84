package cim

import (
	"bytes"
	"encoding/xml"
	"testing"
)

// FuzzDecodeResponse: no input panics the decoder or makes it allocate
// without bound, and whatever decodes re-encodes to something that decodes
// to the same number of results.
func FuzzDecodeResponse(f *testing.F) {
	// Seeds are small, one result each, and inputs above maxFuzzInput are
	// not run: the fuzzer minimizes every new interesting input, which on
	// kilobyte XML takes its whole time budget. Size limits are tested by
	// TestDecodeErrors and the client's size-cap tests instead.
	ref := &ObjectPath{Host: "h", Namespace: "n", ClassName: "V", Keys: []KeyBinding{{Name: "D", Value: "1", ValueType: "string"}}}
	f.Add(encodeResponse(f, Response{Method: OpEnumerateInstances, Instances: []Instance{{ClassName: "S", Properties: []Property{
		{Name: "E", Type: TypeReference, Key: true, Ref: ref},
		{Name: "C", Type: "uint16", Value: Str("4")},
		{Name: "W", Type: "datetime"},
		{Name: "A", Type: "uint16", IsArray: true, Elements: []string{"2", "3"}},
	}}}}))
	f.Add(encodeResponse(f, Response{Method: OpGetInstance, Instances: []Instance{{ClassName: "V", Properties: []Property{
		{Name: "D", Type: "string", Key: true, Value: Str("a&<>\"")}}}}}))
	f.Add(encodeResponse(f, Response{Method: OpEnumerateInstanceNames, Names: []ObjectPath{*ref}}))
	f.Add(encodeResponse(f, Response{Method: OpEnumerateInstances, Err: &Error{Code: ErrInvalidClass, Description: "x"}}))
	f.Add([]byte(`<CIM><MESSAGE ID="1"><SIMPLERSP><IMETHODRESPONSE NAME="x"><IRETURNVALUE>` +
		`<VALUE.OBJECTWITHPATH><INSTANCEPATH><NAMESPACEPATH><HOST>h</HOST></NAMESPACEPATH><INSTANCENAME CLASSNAME="C"><KEYVALUE>1</KEYVALUE></INSTANCENAME></INSTANCEPATH><INSTANCE CLASSNAME="C"/></VALUE.OBJECTWITHPATH>` +
		`<INSTANCE CLASSNAME="C"><PROPERTY.REFERENCE NAME="r"><VALUE.REFERENCE><LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="n"/></LOCALNAMESPACEPATH><INSTANCENAME CLASSNAME="D"/></LOCALINSTANCEPATH></VALUE.REFERENCE></PROPERTY.REFERENCE></INSTANCE>` +
		`</IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`))

	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		rsp, err := DecodeResponse(data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeResponse(&buf, rsp); err != nil {
			t.Fatalf("re-encoding a decoded response: %v", err)
		}
		again, err := DecodeResponse(buf.Bytes())
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v\n%s", err, buf.Bytes())
		}
		if len(again.Instances) != len(rsp.Instances) || len(again.Names) != len(rsp.Names) || (again.Err == nil) != (rsp.Err == nil) {
			t.Fatalf("re-encoding changed the results: %d/%d instances, %d/%d names", len(again.Instances), len(rsp.Instances), len(again.Names), len(rsp.Names))
		}
	})
}

// maxFuzzInput bounds the inputs the fuzz targets run (see FuzzDecodeResponse).
const maxFuzzInput = 2048

// FuzzDecodeRequest guards the handler's side the same way.
func FuzzDecodeRequest(f *testing.F) {
	path := newTestProvider().classes["tpd_remotestoragesynchronized"][0].Path()
	for _, req := range []Request{
		{Method: OpEnumerateInstances, Namespace: "root/tpd", ClassName: "TPD_StorageVolume", PropertyList: []string{"ElementName"}, Params: map[string]string{"LocalOnly": "FALSE"}},
		{Method: OpGetInstance, Namespace: "root/tpd", InstanceName: &path},
	} {
		var buf bytes.Buffer
		if err := EncodeRequest(&buf, req); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		req, err := DecodeRequest(data)
		if err != nil {
			return
		}
		var buf bytes.Buffer
		if err := EncodeRequest(&buf, req); err != nil {
			t.Fatalf("re-encoding a decoded request: %v", err)
		}
		if _, err := DecodeRequest(buf.Bytes()); err != nil {
			t.Fatalf("re-encoded request does not decode: %v\n%s", err, buf.Bytes())
		}
	})
}

// FuzzMarkupScan holds checkMarkup's reading of a tag to encoding/xml's:
// for every start element encoding/xml accepts, scanTag ends the tag at
// the same byte and counts the same attributes. The cap on attributes is
// only sound while this holds.
func FuzzMarkupScan(f *testing.F) {
	f.Add([]byte(`<a b="1" c = '2>' d="'"><!-- <x y="1"> --><![CDATA[<z q="1">]]><?p r="1"?><e/></a>`))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a SYSTEM "a>b.dtd"><a x:y="1" xmlns:x="u"/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > maxFuzzInput {
			return
		}
		dec := xml.NewDecoder(bytes.NewReader(data))
		dec.Strict = true
		var prev int64
		for {
			tok, err := dec.RawToken()
			if err != nil {
				return
			}
			off := dec.InputOffset()
			if se, ok := tok.(xml.StartElement); ok {
				n := 0
				end, tooMany := scanTag(data[prev:], &n)
				switch {
				case tooMany:
					if len(se.Attr) <= maxAttributes {
						t.Fatalf("scan counts more than %d attributes in %q, encoding/xml %d", maxAttributes, data[prev:off], len(se.Attr))
					}
				case int64(end) != off-prev || n != len(se.Attr):
					t.Fatalf("scan ends the tag %q at %d with %d attributes; encoding/xml at %d with %d", data[prev:], end, n, off-prev, len(se.Attr))
				}
			}
			prev = off
		}
	})
}
