package cim

import (
	"context"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func newTestClient(t *testing.T, url string, mod func(*ClientOptions)) *Client {
	t.Helper()
	opts := ClientOptions{URL: url, Namespace: "root/tpd", User: testUser, Password: testPassword}
	if mod != nil {
		mod(&opts)
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// noSecret fails the test when err's text reveals the password.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), testPassword) {
		t.Errorf("error reveals the password: %v", err)
	}
}

func TestClientAgainstHandler(t *testing.T) {
	p := newTestProvider()
	srv := newTestServer(t, NewHandler(p, HandlerOptions{Authenticate: authenticate}))
	c := newTestClient(t, srv.URL, nil)
	if c.URL() != srv.URL+CIMOMPath {
		t.Errorf("URL %q, want %q", c.URL(), srv.URL+CIMOMPath)
	}
	ctx := t.Context()

	vols, err := c.EnumerateInstances(ctx, ClassStorageVolume)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vols, p.classes["tpd_storagevolume"]) {
		t.Errorf("volumes differ:\n got %#v\nwant %#v", vols, p.classes["tpd_storagevolume"])
	}

	want := p.classes["tpd_remotestoragesynchronized"][1]
	got, err := c.GetInstance(ctx, want.Path())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetInstance:\n got %#v\nwant %#v", got, want)
	}

	missing := ObjectPath{ClassName: ClassStorageVolume, Keys: []KeyBinding{{Name: "DeviceID", Value: "nope"}}}
	_, err = c.GetInstance(ctx, missing)
	if !errors.Is(err, &Error{Code: ErrNotFound}) {
		t.Errorf("GetInstance of a missing instance: %v, want CIM_ERR_NOT_FOUND", err)
	}

	_, err = c.EnumerateInstances(ctx, "TPD_Nope")
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != ErrInvalidClass {
		t.Errorf("unknown class: %v, want *Error code 5", err)
	}
	if err != nil && !strings.Contains(err.Error(), "EnumerateInstances TPD_Nope at "+srv.URL) {
		t.Errorf("error does not say what failed where: %v", err)
	}

	rcv, err := c.RemoteCopyVolumes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantRCV := []RemoteCopyVolume{
		{Volume: "vol.one", DeviceID: devLocal1, PeerDeviceID: devPeer1, PeerSystem: peerWWN, LocalIsSystemElement: true,
			CopyState: 4, SyncState: 6, ProgressStatus: 2, WhenSynced: "20261130044500.000000+000"},
		{Volume: "vol<two>&\"", DeviceID: devLocal2, PeerDeviceID: devPeer2, PeerSystem: peerWWN,
			CopyState: 10, SyncState: 12, ProgressStatus: 2, RoleReversed: true},
	}
	if !reflect.DeepEqual(rcv, wantRCV) {
		t.Errorf("RemoteCopyVolumes:\n got %+v\nwant %+v", rcv, wantRCV)
	}
}

func TestClientWrongNamespace(t *testing.T) {
	srv := newTestServer(t, NewHandler(newTestProvider(), HandlerOptions{}))
	c := newTestClient(t, srv.URL+"/cimom", func(o *ClientOptions) { o.Namespace = "/root/other/" })
	_, err := c.EnumerateInstances(t.Context(), ClassStorageVolume)
	if !errors.Is(err, &Error{Code: ErrInvalidNamespace}) {
		t.Errorf("err = %v, want CIM_ERR_INVALID_NAMESPACE", err)
	}
}

func TestClientUnauthorized(t *testing.T) {
	srv := newTestServer(t, NewHandler(newTestProvider(), HandlerOptions{Authenticate: func(string, string) bool { return false }}))
	c := newTestClient(t, srv.URL, nil)
	_, err := c.RemoteCopyVolumes(t.Context())
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	noSecret(t, err)
}

func TestClientResponseSizeCap(t *testing.T) {
	srv := newTestServer(t, NewHandler(newTestProvider(), HandlerOptions{}))
	c := newTestClient(t, srv.URL, func(o *ClientOptions) { o.MaxResponseBytes = 1000 })
	_, err := c.EnumerateInstances(t.Context(), ClassStorageVolume)
	if err == nil || !strings.Contains(err.Error(), "is larger than 1000 bytes") {
		t.Fatalf("err = %v, want the size cap", err)
	}
	// Without a Content-Length the cap applies while reading.
	streaming := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("<!-- padding -->", 1024))
		for range 200 { // 3 MiB
			if _, err := w.Write(chunk); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	}))
	c = newTestClient(t, streaming.URL, func(o *ClientOptions) { o.MaxResponseBytes = 1 << 20 })
	_, err = c.EnumerateInstances(t.Context(), ClassStorageVolume)
	if err == nil || !strings.Contains(err.Error(), "response larger than 1048576 bytes") {
		t.Fatalf("streamed: err = %v, want the size cap", err)
	}
	// The same server answers within a larger cap.
	c = newTestClient(t, srv.URL, func(o *ClientOptions) { o.MaxResponseBytes = 100_000 })
	if _, err := c.EnumerateInstances(t.Context(), ClassStorageVolume); err != nil {
		t.Fatal(err)
	}
}

// A server that never ends its answer must not hold the client past the
// context's deadline.
func TestClientDeadline(t *testing.T) {
	release := make(chan struct{})
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("<CIM>"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	c := newTestClient(t, srv.URL, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.EnumerateInstances(ctx, ClassStorageVolume)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	noSecret(t, err)
}

func TestClientConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c := newTestClient(t, "http://"+addr, nil)
	_, err = c.EnumerateInstances(t.Context(), ClassStorageVolume)
	if err == nil || !strings.Contains(err.Error(), "connection failed") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want a connection error", err)
	}
	noSecret(t, err)
}

func TestClientHTTPErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"500 with CIMError", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("CIMError", "request-not-valid")
			w.WriteHeader(500)
		}, "HTTP 500 Internal Server Error, CIMError request-not-valid"},
		{"redirect not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://127.0.0.1:1/steal", http.StatusTemporaryRedirect)
		}, "HTTP 307"},
		{"200 with CIMError and no body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("CIMError", "unsupported-operation")
		}, "CIMError unsupported-operation: CIM-XML: line 1: unexpected end of document"},
		{"garbage", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) }, "root element is not CIM"},
		{"wrong message id", func(w http.ResponseWriter, r *http.Request) {
			_ = EncodeResponse(w, Response{ID: "1", Method: OpEnumerateInstances})
		}, `response MESSAGE ID "1"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, tc.handler)
			_, err := newTestClient(t, srv.URL, nil).EnumerateInstances(t.Context(), ClassStorageVolume)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestNewClientOptions(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://monitor:" + testPassword + "@array:5989", "must not contain credentials"},
		{"ftp://array", `scheme "ftp"`},
		{"https://", "no host"},
		{"://" + testPassword, "invalid URL"},
	} {
		_, err := NewClient(ClientOptions{URL: tc.url, Password: testPassword})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewClient(%q): %v, want %q", tc.url, err, tc.want)
		}
		noSecret(t, err)
	}
	c, err := NewClient(ClientOptions{URL: "https://array:5989/"})
	if err != nil || c.URL() != "https://array:5989/cimom" || c.Namespace() != "root/tpd" {
		t.Errorf("defaults: %v %v", c, err)
	}
	_, err = NewClient(ClientOptions{URL: "https://array", CAFile: filepath.Join(t.TempDir(), "missing.pem")})
	if err == nil || !strings.Contains(err.Error(), "reading CA file") {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(NewHandler(newTestProvider(), HandlerOptions{Authenticate: authenticate}))
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	_, err := newTestClient(t, srv.URL, nil).EnumerateInstances(ctx, ClassStorageVolume)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unknown CA: %v, want a certificate error", err)
	}
	if _, err := newTestClient(t, srv.URL, func(o *ClientOptions) { o.CAFile = caFile }).EnumerateInstances(ctx, ClassStorageVolume); err != nil {
		t.Errorf("with CA file: %v", err)
	}
	if _, err := newTestClient(t, srv.URL, func(o *ClientOptions) { o.InsecureSkipVerify = true }).EnumerateInstances(ctx, ClassStorageVolume); err != nil {
		t.Errorf("insecure: %v", err)
	}
}
