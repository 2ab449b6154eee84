package cim

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	testUser     = "monitor"
	testPassword = "s3cret-Pa55"
)

func newTestServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h) // listens on 127.0.0.1, port 0
	t.Cleanup(srv.Close)
	return srv
}

func authenticate(user, pass string) bool { return user == testUser && pass == testPassword }

func requestBody(t *testing.T, req Request) string {
	t.Helper()
	var buf bytes.Buffer
	if err := EncodeRequest(&buf, req); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestHandler(t *testing.T) {
	srv := newTestServer(t, NewHandler(newTestProvider(), HandlerOptions{Authenticate: authenticate, MaxRequestBytes: 4096}))
	volPath := newTestProvider().classes["tpd_storagevolume"][1].Path()
	syncPath := newTestProvider().classes["tpd_remotestoragesynchronized"][1].Path()
	missing := volPath
	missing.Keys = append([]KeyBinding(nil), volPath.Keys...)
	missing.Keys[1].Value = "NOPE"

	ei := func(ns, class string) string {
		return requestBody(t, Request{Method: OpEnumerateInstances, Namespace: ns, ClassName: class})
	}
	std := map[string]string{"CIMOperation": "MethodCall", "CIMObject": "root/tpd"}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range std {
			h[k] = v
		}
		for k, v := range extra {
			if v == "" {
				delete(h, k)
			} else {
				h[k] = v
			}
		}
		return h
	}

	for _, tc := range []struct {
		name     string
		method   string
		path     string
		noAuth   bool
		password string
		headers  map[string]string
		body     string

		status      int
		respHeaders map[string]string
		cimErr      int // expected ERROR CODE, 0 for none
		instances   int
		names       int
		bodyHas     []string
		bodyHasNot  []string
	}{
		{name: "enumerate", headers: std, body: ei("root/tpd", "TPD_RemoteStorageSynchronized"),
			status: 200, instances: 2, respHeaders: map[string]string{"CIMOperation": "MethodResponse", "Content-Type": `application/xml; charset="utf-8"`},
			bodyHas: []string{"<VALUE.NAMEDINSTANCE>", `<PROPERTY NAME="CopyState" TYPE="uint16"><VALUE>10</VALUE>`, "<HOST>" + peerWWN + "</HOST>"}},
		{name: "percent-encoded CIMObject", headers: with(map[string]string{"CIMObject": "root%2Ftpd"}), body: ei("root/tpd", "TPD_StorageVolume"),
			status: 200, instances: 2},
		{name: "no CIMObject header", headers: with(map[string]string{"CIMObject": ""}), body: ei("root/tpd", "TPD_StorageVolume"),
			status: 200, instances: 2},
		{name: "empty class", headers: std, body: ei("root/tpd", "TPD_RemoteReplicationGroup"),
			status: 200, instances: 0, bodyHas: []string{"<IRETURNVALUE></IRETURNVALUE>"}},
		{name: "names", headers: std, body: requestBody(t, Request{Method: OpEnumerateInstanceNames, Namespace: "root/tpd", ClassName: "TPD_RemoteStorageSynchronized"}),
			status: 200, names: 2},
		{name: "property list", headers: std, body: requestBody(t, Request{Method: OpEnumerateInstances, Namespace: "root/tpd", ClassName: "TPD_StorageVolume", PropertyList: []string{"elementname"}}),
			status: 200, instances: 2, bodyHas: []string{`NAME="ElementName"`, `<KEYBINDING NAME="DeviceID">`}, bodyHasNot: []string{`<PROPERTY NAME="DeviceID"`, "OperationalStatus"}},
		{name: "get instance", headers: std, body: requestBody(t, Request{Method: OpGetInstance, Namespace: "root/tpd", InstanceName: &volPath}),
			status: 200, instances: 1, bodyHas: []string{"vol&lt;two&gt;&amp;&quot;"}, bodyHasNot: []string{"VALUE.NAMEDINSTANCE", "vol.one"}},
		{name: "get instance by reference keys", headers: std, body: requestBody(t, Request{Method: OpGetInstance, Namespace: "root/tpd", InstanceName: &syncPath}),
			status: 200, instances: 1, bodyHas: []string{"<VALUE>TRUE</VALUE>"}},
		{name: "get instance not found", headers: std, body: requestBody(t, Request{Method: OpGetInstance, Namespace: "root/tpd", InstanceName: &missing}),
			status: 200, cimErr: ErrNotFound},
		{name: "get instance without name", headers: std, body: requestBody(t, Request{Method: OpGetInstance, Namespace: "root/tpd"}),
			status: 200, cimErr: ErrInvalidParameter},
		{name: "unknown class", headers: std, body: ei("root/tpd", "TPD_Nope"), status: 200, cimErr: ErrInvalidClass},
		{name: "unknown namespace", headers: with(map[string]string{"CIMObject": "root/nope"}), body: ei("root/nope", "TPD_StorageVolume"), status: 200, cimErr: ErrInvalidNamespace},
		{name: "unknown operation", headers: std, body: requestBody(t, Request{Method: "Associators", Namespace: "root/tpd"}), status: 200, cimErr: ErrNotSupported},
		{name: "extrinsic method", headers: std, body: requestBody(t, Request{Method: "RequestStateChange", Extrinsic: true, Namespace: "root/tpd"}),
			status: 200, cimErr: ErrNotSupported, bodyHas: []string{"<METHODRESPONSE"}},
		{name: "M-POST", method: "M-POST", headers: map[string]string{"Man": manExtension + "; ns=73", "73-CIMOperation": "MethodCall", "73-CIMObject": "root%2Ftpd", "73-CIMMethod": "EnumerateInstances"},
			body: ei("root/tpd", "TPD_StorageVolume"), status: 200, instances: 2, respHeaders: map[string]string{"73-CIMOperation": "MethodResponse", "Ext": ""}},
		{name: "M-POST without Man", method: "M-POST", headers: std, body: ei("root/tpd", "TPD_StorageVolume"), status: http.StatusNotExtended},
		{name: "no credentials", noAuth: true, headers: std, body: ei("root/tpd", "TPD_StorageVolume"),
			status: 401, respHeaders: map[string]string{"WWW-Authenticate": `Basic realm="cimom"`}},
		{name: "wrong password", password: "wrong", headers: std, body: ei("root/tpd", "TPD_StorageVolume"), status: 401},
		{name: "GET", method: http.MethodGet, headers: std, status: 405, respHeaders: map[string]string{"Allow": "POST, M-POST"}},
		{name: "other path", path: "/", headers: std, body: ei("root/tpd", "TPD_StorageVolume"), status: 404},
		{name: "malformed XML", headers: std, body: "<CIM><MESSAGE>", status: 400, respHeaders: map[string]string{"CIMError": CIMErrorNotWellFormed}},
		{name: "invalid request", headers: std, body: "<HTML/>", status: 400, respHeaders: map[string]string{"CIMError": CIMErrorNotValid}},
		{name: "multiple requests", headers: std, body: `<CIM><MESSAGE ID="1"><MULTIREQ/></MESSAGE></CIM>`, status: 501, respHeaders: map[string]string{"CIMError": CIMErrorMultipleRequests}},
		{name: "no CIMOperation", headers: with(map[string]string{"CIMOperation": ""}), body: ei("root/tpd", "TPD_StorageVolume"), status: 400, respHeaders: map[string]string{"CIMError": CIMErrorUnsupportedOpHTTP}},
		{name: "CIMMethod mismatch", headers: with(map[string]string{"CIMMethod": "GetInstance"}), body: ei("root/tpd", "TPD_StorageVolume"), status: 400, respHeaders: map[string]string{"CIMError": CIMErrorHeaderMismatch}},
		{name: "CIMObject mismatch", headers: with(map[string]string{"CIMObject": "interop"}), body: ei("root/tpd", "TPD_StorageVolume"), status: 400, respHeaders: map[string]string{"CIMError": CIMErrorHeaderMismatch}},
		{name: "too large", headers: std, body: ei("root/tpd", strings.Repeat("X", 5000)), status: 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := tc.method
			if method == "" {
				method = http.MethodPost
			}
			path := tc.path
			if path == "" {
				path = CIMOMPath
			}
			req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			if !tc.noAuth {
				pw := tc.password
				if pw == "" {
					pw = testPassword
				}
				req.SetBasicAuth(testUser, pw)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			for k, v := range tc.respHeaders {
				if got, ok := resp.Header[http.CanonicalHeaderKey(k)]; !ok || got[0] != v {
					t.Errorf("header %s = %q, want %q", k, got, v)
				}
			}
			for _, s := range tc.bodyHas {
				if !strings.Contains(string(body), s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tc.bodyHasNot {
				if strings.Contains(string(body), s) {
					t.Errorf("body has %q:\n%s", s, body)
				}
			}
			if tc.status != 200 {
				return
			}
			rsp, err := DecodeResponse(body)
			if err != nil {
				t.Fatalf("decoding: %v\n%s", err, body)
			}
			switch {
			case tc.cimErr != 0 && (rsp.Err == nil || rsp.Err.Code != tc.cimErr):
				t.Errorf("CIM error %+v, want code %d", rsp.Err, tc.cimErr)
			case tc.cimErr == 0 && rsp.Err != nil:
				t.Errorf("unexpected CIM error %v", rsp.Err)
			}
			if len(rsp.Instances) != tc.instances || len(rsp.Names) != tc.names {
				t.Errorf("%d instances and %d names, want %d and %d", len(rsp.Instances), len(rsp.Names), tc.instances, tc.names)
			}
		})
	}
}

func TestManNamespace(t *testing.T) {
	for in, want := range map[string]string{
		manExtension + "; ns=73":         "73",
		`"` + manExtension + `" ; NS=01`: "01",
		manExtension:                     "",
		"http://example.com/x; ns=73":    "",
		manExtension + "; ns=":           "",
	} {
		got, ok := manNamespace(in)
		if got != want || ok != (want != "") {
			t.Errorf("manNamespace(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestHandlerLogsNoSecrets(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := newTestServer(t, NewHandler(newTestProvider(), HandlerOptions{Authenticate: authenticate, Logger: logger}))
	for _, pw := range []string{testPassword, "wrong-" + testPassword} {
		c := newTestClient(t, srv.URL, func(o *ClientOptions) { o.Password = pw })
		_, _ = c.EnumerateInstances(t.Context(), ClassStorageVolume)
	}
	if !strings.Contains(logs.String(), "authentication failed") || !strings.Contains(logs.String(), "method=EnumerateInstances") {
		t.Errorf("expected one rejected and one served request in the log:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), testPassword) {
		t.Errorf("log reveals a password:\n%s", logs.String())
	}
}
