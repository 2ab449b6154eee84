package cim

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// hostileAttributes is the hostile answer of docs/security.md: one element with
// millions of attributes, about 31 MiB, in an otherwise valid answer.
func hostileAttributes(size int) []byte {
	head := `<?xml version="1.0" encoding="utf-8"?><CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstances"><IRETURNVALUE><VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="TPD_StorageVolume"><KEYBINDING NAME="DeviceID"><KEYVALUE VALUETYPE="string">1</KEYVALUE></KEYBINDING></INSTANCENAME><INSTANCE CLASSNAME="TPD_StorageVolume"`
	tail := `><PROPERTY NAME="ElementName" TYPE="string"><VALUE>v</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE></IRETURNVALUE></IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`
	b := make([]byte, 0, size+len(tail)+64)
	b = append(b, head...)
	for i := 0; len(b) < size; i++ {
		b = append(b, " a"...)
		b = strconv.AppendInt(b, int64(i), 36)
		b = append(b, `="x"`...)
	}
	return append(b, tail...)
}

// serveBody answers every request with body, the request's message id
// put in.
func serveBody(t *testing.T, body []byte) string {
	t.Helper()
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, _ := io.ReadAll(r.Body)
		id := []byte("1")
		if m := messageID.FindSubmatch(req); m != nil {
			id = m[1]
		}
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		i := strings.Index(string(body[:200]), `<MESSAGE ID="1"`) + len(`<MESSAGE ID="`)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)-1+len(id)))
		_, _ = w.Write(body[:i])
		_, _ = w.Write(id)
		_, _ = w.Write(body[i+1:])
	}))
	return srv.URL
}

// The reproduction fails at once with a clear error, its memory bounded
// by the response size: it took 3.2 GB and 20 s, past the probe deadline.
func TestClientHostileAttributes(t *testing.T) {
	body := hostileAttributes(31 << 20)
	url := serveBody(t, body)
	c := newTestClient(t, url, nil)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := c.RemoteCopyVolumes(t.Context())
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than 64 attributes in one element") || !strings.Contains(err.Error(), url) {
		t.Fatalf("err = %v, want the attribute cap, naming the server", err)
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d MiB response: %v; %.1f MiB allocated", len(body)>>20, err, float64(allocated)/(1<<20))
	// The response itself is read into memory (at most max_response_bytes);
	// nothing may grow with the attributes beyond that.
	if limit := uint64(2 * len(body)); allocated > limit {
		t.Errorf("%d MiB allocated for a %d MiB response, want at most %d MiB", allocated>>20, len(body)>>20, limit>>20)
	}
}

func TestDecodeBounds(t *testing.T) {
	head := `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"><SIMPLERSP><IMETHODRESPONSE NAME="EnumerateInstances">`
	tail := `</IMETHODRESPONSE></SIMPLERSP></MESSAGE></CIM>`
	ret := func(s string) string { return head + "<IRETURNVALUE>" + s + "</IRETURNVALUE>" + tail }
	attrs := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(` a` + strconv.Itoa(i) + `="x"`)
		}
		return b.String()
	}
	ok := ret(`<INSTANCE CLASSNAME="C"` + attrs(maxAttributes-1) + `><PROPERTY NAME="p" TYPE="string"><VALUE>a=">"</VALUE></PROPERTY></INSTANCE>`)
	if rsp, err := DecodeResponse([]byte(ok)); err != nil || len(rsp.Instances) != 1 {
		t.Fatalf("at the attribute cap: %v", err)
	}
	for _, tc := range []struct{ name, in, want string }{
		{"too many attributes", ret("\n<INSTANCE CLASSNAME=\"C\"" + attrs(maxAttributes) + "/>"), "line 2: more than 64 attributes in one element"},
		{"too many attributes in an end tag's neighbour", ret(`<INSTANCE CLASSNAME="C"></INSTANCE><X` + attrs(100) + `/>`), "more than 64 attributes"},
		{"quoted > does not end the tag", ret(`<INSTANCE CLASSNAME="C>"` + attrs(maxAttributes) + `/>`), "more than 64 attributes"},
		{"too many elements", ret(strings.Repeat("<X/>", maxElements)), "more than 1000000 elements in one message"},
		{"entity declarations", `<?xml version="1.0"?><!DOCTYPE CIM [<!ENTITY x "y">]>` + ret(""), "DOCTYPE with declarations (ENTITY...) is not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse([]byte(tc.in))
			var de *DecodeError
			if !errors.As(err, &de) || de.Kind != CIMErrorNotWellFormed || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want a not-well-formed error containing %q", err, tc.want)
			}
			if _, err := DecodeRequest([]byte(tc.in)); err == nil {
				t.Errorf("DecodeRequest accepts it")
			}
		})
	}
	// Markup the scan must step over without counting: comments, CDATA,
	// processing instructions and a DOCTYPE without declarations.
	fine := `<?xml version="1.0"?><!DOCTYPE CIM SYSTEM "CIM_DTD_V22.dtd"><?pi a=1 b=2?>` + ret(`<!-- a="1" <X b="2"> -->`+
		`<INSTANCE CLASSNAME="C"><PROPERTY NAME="p" TYPE="string"><VALUE><![CDATA[<Y`+attrs(100)+`>]]></VALUE></PROPERTY></INSTANCE>`)
	if rsp, err := DecodeResponse([]byte(fine)); err != nil || len(rsp.Instances) != 1 {
		t.Errorf("comments, CDATA, PI, DOCTYPE: %v", err)
	}
}

// countdownCtx is a context that is cancelled after its Err was asked a
// number of times: deterministic cancellation in the middle of decoding.
type countdownCtx struct {
	context.Context
	left atomic.Int64
	done chan struct{}
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

// Decoding stops when the context ends, also halfway through a large
// answer: it is bounded by the probe's deadline, not only the reading.
func TestDecodeHonoursTheContext(t *testing.T) {
	insts := make([]Instance, 2000)
	for i := range insts {
		insts[i] = volume(strconv.Itoa(i), "vol."+strconv.Itoa(i))
	}
	data := encodeResponse(t, Response{Method: OpEnumerateInstances, Instances: insts})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := DecodeResponseContext(ctx, data); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	// Past the first scan of the bytes, during the decoding proper.
	cc := &countdownCtx{Context: t.Context(), done: make(chan struct{})}
	cc.left.Store(int64(len(data)>>20) + 3)
	_, err := DecodeResponseContext(cc, data)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "decoding stopped") {
		t.Errorf("cancelled midway: %v", err)
	}
	if rsp, err := DecodeResponseContext(t.Context(), data); err != nil || len(rsp.Instances) != len(insts) {
		t.Errorf("not cancelled: %d instances, %v", len(rsp.Instances), err)
	}
}

// Concurrent reads of one array through one client share one request per
// class, as concurrent probes share one showrcopy: 50 probes made 50 CIM
// requests to one array.
func TestRemoteCopyVolumesSharedByConcurrentCallers(t *testing.T) {
	p := newTestProvider()
	h := NewHandler(p, HandlerOptions{Authenticate: authenticate})
	var requests atomic.Int32
	release := make(chan struct{})
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		<-release
		h.ServeHTTP(w, r)
	}))
	c := newTestClient(t, srv.URL, nil)
	const n = 20
	var joined atomic.Int32
	testHookJoined = func() { joined.Add(1) }
	t.Cleanup(func() { testHookJoined = nil })
	var wg sync.WaitGroup
	results := make([][]RemoteCopyVolume, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = c.RemoteCopyVolumes(t.Context())
		}()
	}
	for joined.Load() < n {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	for i := range results {
		if errs[i] != nil || len(results[i]) != 2 {
			t.Fatalf("caller %d: %d volumes, %v", i, len(results[i]), errs[i])
		}
	}
	results[0][0].Volume = "changed" // callers own their copies
	if results[1][0].Volume == "changed" {
		t.Errorf("callers share one slice")
	}
	if got := requests.Load(); got != 2 {
		t.Errorf("%d requests for %d concurrent reads, want 2 (one per class)", got, n)
	}
	// A later read is a new one.
	if _, err := c.RemoteCopyVolumes(t.Context()); err != nil || requests.Load() != 4 {
		t.Errorf("next read: %v, %d requests", err, requests.Load())
	}
}

// A caller that gives up does not end the read the others wait for.
func TestRemoteCopyVolumesCallerGivesUp(t *testing.T) {
	p := newTestProvider()
	h := NewHandler(p, HandlerOptions{Authenticate: authenticate})
	release := make(chan struct{})
	started := make(chan struct{}, 4)
	srv := newTestServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
		h.ServeHTTP(w, r)
	}))
	c := newTestClient(t, srv.URL, nil)
	var joined atomic.Int32
	testHookJoined = func() { joined.Add(1) }
	t.Cleanup(func() { testHookJoined = nil })
	first, cancel := context.WithTimeout(t.Context(), time.Minute)
	firstErr := make(chan error, 1)
	go func() { _, err := c.RemoteCopyVolumes(first); firstErr <- err }()
	<-started
	secondErr := make(chan error, 1)
	go func() { _, err := c.RemoteCopyVolumes(t.Context()); secondErr <- err }()
	for joined.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-firstErr; !errors.Is(err, context.Canceled) {
		t.Errorf("the caller that gave up: %v", err)
	}
	close(release)
	if err := <-secondErr; err != nil {
		t.Errorf("the caller still waiting: %v", err)
	}
}

// Close closes the client's idle connections (a reload replaces clients:
// 300 reloads left 314 connections open on the CIM server), and those of
// requests still in flight once they end.
func TestClientCloseClosesConnections(t *testing.T) {
	p := newTestProvider()
	h := NewHandler(p, HandlerOptions{Authenticate: authenticate})
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	gate := make(chan struct{})
	inHandler := make(chan struct{}, 1)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("CIMMethod") == OpEnumerateInstances && r.URL.Query().Get("wait") != "" {
			inHandler <- struct{}{}
			<-gate
		}
		h.ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		defer mu.Unlock()
		switch s {
		case http.StateNew:
			open[c] = true
		case http.StateClosed, http.StateHijacked:
			delete(open, c)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	openConns := func() int { mu.Lock(); defer mu.Unlock(); return len(open) }
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still %d connections open", what, openConns())
			}
		}
	}

	c := newTestClient(t, srv.URL, nil)
	if _, err := c.RemoteCopyVolumes(t.Context()); err != nil {
		t.Fatal(err)
	}
	if openConns() == 0 {
		t.Fatalf("no connection kept alive after a read")
	}
	c.Close()
	waitFor("idle connection after Close", func() bool { return openConns() == 0 })

	// In flight during Close: closed once the request ends.
	slow := newTestClient(t, srv.URL+"/cimom?wait=1", nil)
	done := make(chan error, 1)
	go func() { _, err := slow.EnumerateInstances(t.Context(), ClassStorageVolume); done <- err }()
	<-inHandler
	slow.Close()
	close(gate)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor("connection of a request in flight during Close", func() bool { return openConns() == 0 })
	// A closed client still works, and keeps no connection.
	if _, err := c.RemoteCopyVolumes(t.Context()); err != nil {
		t.Errorf("after Close: %v", err)
	}
	waitFor("connections of a closed client's later read", func() bool { return openConns() == 0 })
}

// The CA file is read through safefile: /dev/zero used to be read until
// memory ran out.
func TestClientCAFileMustBeAFile(t *testing.T) {
	_, err := NewClient(ClientOptions{URL: "https://array", CAFile: "/dev/zero"})
	if err == nil || !strings.Contains(err.Error(), "/dev/zero: not a regular file (a character device)") {
		t.Errorf("CA file /dev/zero: %v", err)
	}
}
