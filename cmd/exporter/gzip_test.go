package main

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                        false,
		"gzip":                    true,
		"GZIP":                    true,
		"deflate, gzip;q=0.5":     true,
		"gzip;q=0":                false,
		"gzip; q=0.0, identity":   false,
		"*":                       true,
		"*;q=0":                   false,
		"gzip;q=0, *":             false,
		"identity, *;q=0.1":       true,
		"br, zstd":                false,
		"x-gzip":                  false,
		"gzip;q=1.0, deflate;q=0": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

// TestProbeGzip checks that a probe answer gzipped at BestSpeed decodes to
// the same metrics as the plain answer, with the headers a client needs.
func TestProbeGzip(t *testing.T) {
	te := newTestExporter(t, nil)
	get := func(encoding string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, te.srv.URL+"/probe?target=array-a", nil)
		if err != nil {
			t.Fatal(err)
		}
		if encoding != "" {
			req.Header.Set("Accept-Encoding", encoding) // set by hand: the client then leaves the body as sent
		}
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	plainResp := get("identity")
	if ce := plainResp.Header.Get("Content-Encoding"); ce != "" {
		t.Fatalf("identity: Content-Encoding %q", ce)
	}
	plain, err := io.ReadAll(plainResp.Body)
	if err != nil {
		t.Fatal(err)
	}
	zipped := get("gzip")
	if zipped.StatusCode != http.StatusOK || zipped.Header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(zipped.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("gzip: status %d, headers %v", zipped.StatusCode, zipped.Header)
	}
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	// scrape_duration_seconds differs between the two probes.
	strip := func(b []byte) string {
		var keep []string
		for _, l := range strings.Split(string(b), "\n") {
			if !strings.HasPrefix(l, "threepar_rcopy_scrape_duration_seconds ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if !strings.Contains(string(plain), "\nthreepar_rcopy_up 1\n") || strip(plain) != strip(unzipped) {
		t.Fatalf("gzipped answer differs from the plain one:\nplain:\n%.500s\nunzipped:\n%.500s", plain, unzipped)
	}
}
