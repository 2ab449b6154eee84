package cim

import (
	"bytes"
	"os"
	"testing"
)

// FuzzDecodeResponse: no input panics the decoder or makes it allocate
// without bound, and whatever decodes re-encodes to something that decodes
// to the same number of results.
func FuzzDecodeResponse(f *testing.F) {
	p := newTestProvider()
	for _, class := range []string{"tpd_storagevolume", "tpd_remotestoragesynchronized"} {
		f.Add(encodeResponse(f, Response{Method: OpEnumerateInstances, Instances: p.classes[class]}))
	}
	f.Add(encodeResponse(f, Response{Method: OpGetInstance, Instances: p.classes["tpd_storagevolume"][:1]}))
	f.Add(encodeResponse(f, Response{Method: OpEnumerateInstanceNames, Names: []ObjectPath{p.classes["tpd_remotestoragesynchronized"][0].Path()}}))
	f.Add(encodeResponse(f, Response{Method: OpEnumerateInstances, Err: &Error{Code: ErrInvalidClass, Description: "x"}}))
	if data, err := os.ReadFile("testdata/reference-enumerate.xml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(`<CIM><MESSAGE ID="1"><SIMPLERSP><IMETHODRESPONSE NAME="x"><IRETURNVALUE><VALUE.OBJECTWITHPATH><INSTANCEPATH><NAMESPACEPATH><HOST>h</HOST></NAMESPACEPATH><INSTANCENAME CLASSNAME="C"><KEYVALUE>1</KEYVALUE></INSTANCENAME></INSTANCEPATH><INSTANCE CLASSNAME="C"/></VALUE.OBJECTWITHPATH></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`))

	f.Fuzz(func(t *testing.T, data []byte) {
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
