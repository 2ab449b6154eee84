package cim

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func encodeResponse(t testing.TB, rsp Response) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeResponse(&buf, rsp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestResponseRoundTrip(t *testing.T) {
	p := newTestProvider()
	for _, class := range []string{"TPD_StorageVolume", "TPD_RemoteStorageSynchronized", "TPD_RemoteReplicationGroup"} {
		t.Run(class, func(t *testing.T) {
			insts := p.classes[strings.ToLower(class)]
			data := encodeResponse(t, Response{ID: "77", Method: OpEnumerateInstances, Instances: insts})
			got, err := DecodeResponse(data)
			if err != nil {
				t.Fatalf("decode: %v\n%s", err, data)
			}
			if got.ID != "77" || got.Method != OpEnumerateInstances || got.Err != nil {
				t.Errorf("header fields: %+v", got)
			}
			if len(insts) == 0 {
				insts = nil
			}
			if !reflect.DeepEqual(got.Instances, insts) {
				t.Errorf("round trip differs\n got %#v\nwant %#v", got.Instances, insts)
			}
		})
	}
}

func TestGetInstanceResponseKeepsKeys(t *testing.T) {
	in := newTestProvider().classes["tpd_storagevolume"][1]
	got, err := DecodeResponse(encodeResponse(t, Response{Method: OpGetInstance, Instances: []Instance{in}}))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Instances) != 1 || !reflect.DeepEqual(got.Instances[0], in) {
		t.Fatalf("got %#v\nwant %#v", got.Instances, in)
	}
}

func TestNamesAndErrorRoundTrip(t *testing.T) {
	p := newTestProvider()
	var names []ObjectPath
	for _, in := range p.classes["tpd_remotestoragesynchronized"] {
		names = append(names, in.Path())
	}
	got, err := DecodeResponse(encodeResponse(t, Response{Method: OpEnumerateInstanceNames, Names: names}))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Names, names) {
		t.Errorf("names differ\n got %#v\nwant %#v", got.Names, names)
	}
	got, err = DecodeResponse(encodeResponse(t, Response{Method: "Associators", Err: &Error{Code: ErrNotSupported, Description: `no <"such"> & op`}}))
	if err != nil {
		t.Fatal(err)
	}
	if got.Err == nil || *got.Err != (Error{Code: ErrNotSupported, Description: `no <"such"> & op`}) {
		t.Errorf("error: %+v", got.Err)
	}
}

func TestRequestRoundTrip(t *testing.T) {
	sync := newTestProvider().classes["tpd_remotestoragesynchronized"][1]
	path := sync.Path()
	for _, req := range []Request{
		{ID: "5", Method: OpEnumerateInstances, Namespace: "root/tpd", ClassName: "TPD_StorageVolume",
			Params: map[string]string{"DeepInheritance": "TRUE", "LocalOnly": "FALSE"}},
		{ID: "6", Method: OpEnumerateInstances, Namespace: "root/tpd", ClassName: "TPD_StorageVolume", PropertyList: []string{"ElementName", "DeviceID"}},
		{ID: "7", Method: OpEnumerateInstances, Namespace: "interop", ClassName: "X", PropertyList: []string{}},
		{ID: "8", Method: OpGetInstance, Namespace: "root/tpd", InstanceName: &path},
		{ID: "9", Method: "RequestStateChange", Extrinsic: true, Namespace: "root/tpd"},
	} {
		var buf bytes.Buffer
		if err := EncodeRequest(&buf, req); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeRequest(buf.Bytes())
		if err != nil {
			t.Fatalf("%s: %v\n%s", req.ID, err, buf.Bytes())
		}
		if !reflect.DeepEqual(got, req) {
			t.Errorf("request %s differs\n got %#v\nwant %#v", req.ID, got, req)
		}
	}
}

func TestDecodeReferenceSample(t *testing.T) {
	data, err := os.ReadFile("testdata/reference-enumerate.xml")
	if err != nil {
		t.Fatal(err)
	}
	rsp, err := DecodeResponse(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(rsp.Instances) != 1 {
		t.Fatalf("%d instances, want 1", len(rsp.Instances))
	}
	in := rsp.Instances[0]
	if v, _ := in.Value("CopyState"); v != "4" {
		t.Errorf("CopyState %q", v)
	}
	if p, _ := in.Property("WhenSynced"); p.Value != nil || p.Type != "datetime" {
		t.Errorf("WhenSynced should be a NULL datetime: %+v", p)
	}
	if p, _ := in.Property("OperationalStatus"); !p.IsArray || !reflect.DeepEqual(p.Elements, []string{"2", "32768"}) {
		t.Errorf("OperationalStatus: %+v", p)
	}
	sys, _ := in.Property("SystemElement")
	syn, _ := in.Property("SyncedElement") // only in the INSTANCENAME: added by markKeys
	if !sys.Key || !syn.Key || sys.Ref == nil || syn.Ref == nil {
		t.Fatalf("reference keys: %+v %+v", sys, syn)
	}
	if syn.Ref.Host != "2FF70002AC005678" || syn.Ref.Namespace != "root/tpd" {
		t.Errorf("SyncedElement path: %+v", syn.Ref)
	}
	if id, _ := sys.Ref.Key("DeviceID"); id != "60002AC0000000000000000A00001234" {
		t.Errorf("SystemElement DeviceID %q", id)
	}
}

func TestEscaping(t *testing.T) {
	in := Instance{ClassName: "C", Properties: []Property{
		{Name: "S", Type: "string", Key: true, Value: Str("a&b<c>\"d'e\tf\ng")},
		{Name: "Bad", Type: "string", Value: Str("x\x01y\xffz")},
	}}
	rsp, err := DecodeResponse(encodeResponse(t, Response{Method: OpEnumerateInstances, Instances: []Instance{in}}))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := rsp.Instances[0].Value("S"); v != "a&b<c>\"d'e\tf\ng" {
		t.Errorf("S = %q", v)
	}
	if v, _ := rsp.Instances[0].Value("Bad"); v != "x\uFFFDy\uFFFDz" {
		t.Errorf("Bad = %q, want control and invalid bytes replaced", v)
	}
}

func TestDecodeErrors(t *testing.T) {
	head := `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstances">`
	tail := `</IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`
	ret := func(s string) string { return head + "<IRETURNVALUE>" + s + "</IRETURNVALUE>" + tail }
	for _, tc := range []struct {
		name, in, kind, want string
	}{
		{"empty", "", CIMErrorNotWellFormed, "unexpected end"},
		{"not xml", "hello", CIMErrorNotWellFormed, "unexpected end"},
		{"wrong root", "<FOO/>", CIMErrorNotValid, "root element is not CIM"},
		{"truncated", head + "<IRETURNVALUE><VALUE.NAMEDINSTANCE>", CIMErrorNotWellFormed, "unexpected EOF"},
		{"mismatched tags", head + "<IRETURNVALUE></IMETHODRESPONSE>", CIMErrorNotWellFormed, "element <IRETURNVALUE> closed by </IMETHODRESPONSE>"},
		{"invalid utf-8", head + "<IRETURNVALUE>\xff</IRETURNVALUE>" + tail, CIMErrorNotWellFormed, fmt.Sprintf("invalid UTF-8 at byte offset %d (line 1)", len(head)+len("<IRETURNVALUE>"))},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?>` + head, CIMErrorNotWellFormed, "ISO-8859-1"},
		{"deep", head + strings.Repeat("<X>", 10000) + strings.Repeat("</X>", 10000) + tail, CIMErrorNotWellFormed, "nested deeper than 64"},
		{"too many elements", ret("<INSTANCE CLASSNAME=\"C\">" + strings.Repeat("<QUALIFIER/>", maxElementsPerItem) + "</INSTANCE>"), CIMErrorNotWellFormed, "more than 100000 elements in one INSTANCE"},
		{"multi", `<CIM><MESSAGE ID="1"><MULTIRSP></MULTIRSP></MESSAGE></CIM>`, CIMErrorNotValid, "MULTIRSP"},
		{"bad code", head + `<ERROR CODE="x"/>` + tail, CIMErrorNotValid, `ERROR with CODE "x"`},
		{"instance without class", ret(`<INSTANCE/>`), CIMErrorNotValid, "INSTANCE without CLASSNAME"},
		{"named instance without name", ret(`<VALUE.NAMEDINSTANCE><INSTANCE CLASSNAME="C"/></VALUE.NAMEDINSTANCE>`), CIMErrorNotValid, "without INSTANCENAME"},
		{"keybinding without value", ret(`<INSTANCENAME CLASSNAME="C"><KEYBINDING NAME="k"/></INSTANCENAME>`), CIMErrorNotValid, "C.k: KEYBINDING without KEYVALUE"},
		{"class reference", ret(`<INSTANCE CLASSNAME="C"><PROPERTY.REFERENCE NAME="r"><VALUE.REFERENCE><CLASSNAME NAME="X"/></VALUE.REFERENCE></PROPERTY.REFERENCE></INSTANCE>`), CIMErrorNotValid, "C.r: VALUE.REFERENCE to a class"},
		{"trailing garbage inside", head + "<IRETURNVALUE/>" + `</IMETHODRESPONSE></SIMPLERSP></MESSAGE>`, CIMErrorNotWellFormed, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse([]byte(tc.in))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if de.Kind != tc.kind || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q (kind %s), want kind %s containing %q", err, de.Kind, tc.kind, tc.want)
			}
		})
	}
}

func TestDecodeRequestErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, kind, want string }{
		{"multireq", `<CIM><MESSAGE ID="1"><MULTIREQ/></MESSAGE></CIM>`, CIMErrorMultipleRequests, "MULTIREQ"},
		{"no call", `<CIM><MESSAGE ID="1"><SIMPLEREQ></SIMPLEREQ></MESSAGE></CIM>`, CIMErrorNotValid, "no IMETHODCALL"},
		{"no name", `<CIM><MESSAGE ID="1"><SIMPLEREQ><IMETHODCALL/></SIMPLEREQ></MESSAGE></CIM>`, CIMErrorNotValid, "IMETHODCALL without NAME"},
		{"bad instancename", `<CIM><MESSAGE ID="1"><SIMPLEREQ><IMETHODCALL NAME="GetInstance"><IPARAMVALUE NAME="InstanceName"><INSTANCENAME/></IPARAMVALUE></IMETHODCALL></SIMPLEREQ></MESSAGE></CIM>`, CIMErrorNotValid, "INSTANCENAME without CLASSNAME"},
		{"syntax", `<CIM><MESSAGE ID="1"><SIMPLEREQ>`, CIMErrorNotWellFormed, "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tc.in))
			var de *DecodeError
			if !errors.As(err, &de) || de.Kind != tc.kind || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want kind %s containing %q", err, tc.kind, tc.want)
			}
		})
	}
}

func TestObjectPathString(t *testing.T) {
	sync := newTestProvider().classes["tpd_remotestoragesynchronized"][0]
	got := sync.Path().String()
	want := `TPD_RemoteStorageSynchronized.SystemElement="//2FF70002AC001234/root/tpd:TPD_StorageVolume.CreationClassName=\"TPD_StorageVolume\",DeviceID=\"60002AC0000000000000000A00001234\",SystemCreationClassName=\"TPD_StorageSystem\",SystemName=\"2FF70002AC001234\"",SyncedElement=` +
		`"//2FF70002AC005678/root/tpd:TPD_StorageVolume.CreationClassName=\"TPD_StorageVolume\",DeviceID=\"60002AC0000000000000000B00005678\",SystemCreationClassName=\"TPD_StorageSystem\",SystemName=\"2FF70002AC005678\""`
	if got != want {
		t.Errorf("String()\n got %s\nwant %s", got, want)
	}
}
