package fakearray

import (
	"context"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A client that gives up on a hanging (or slow) CIM server must not leave
// the request's handler behind: before the fix every abandoned request of
// the hang fault kept a goroutine until the simulation closed, which the
// exporter's leak test counted as its own.
func TestCIMHangDoesNotOutliveItsClient(t *testing.T) {
	sim, err := Start(context.Background(), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	a, _ := sim.Array("sim-a")
	for _, fault := range []string{FaultHang, FaultSlow + ":1h"} {
		if err := sim.InjectFault("sim-a", fault); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, a.CIMURL+"/cimom", strings.NewReader("<CIM/>"))
			req.Header.Set("Content-Type", "application/xml")
			resp, err := http.DefaultClient.Do(req)
			cancel()
			if err == nil {
				resp.Body.Close()
				t.Fatalf("%s: the CIM server answered %s", fault, resp.Status)
			}
		}
		if err := sim.ClearFault("sim-a", fault); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for n := cimHandlers(); n > 0; n = cimHandlers() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d CIM handlers still running after their clients gave up", fault, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// cimHandlers counts goroutines inside the simulator's CIM handler.
func cimHandlers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "fakearray.newCIMServer.func") && strings.Contains(g, "net/http.HandlerFunc.ServeHTTP") {
			n++
		}
	}
	return n
}
