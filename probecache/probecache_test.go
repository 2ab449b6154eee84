package probecache

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/threepar/rcopy-exporter/internal/testtool"
)

func gunzipOne(t *testing.T, z []byte) []byte {
	t.Helper()
	text, err := testtool.GunzipOne(z)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func texts() map[string][2][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 300_000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	big := []byte(strings.Repeat("threepar_rcopy_volume_sync_status{group=\"g\",status=\"Synced\",volume=\"v\"} 1\n", 40_000))
	tail := []byte("# HELP threepar_rcopy_scrape_duration_seconds Time the probe took, in seconds.\n" +
		"# TYPE threepar_rcopy_scrape_duration_seconds gauge\nthreepar_rcopy_scrape_duration_seconds 0.0042\n")
	return map[string][2][]byte{
		"empty":           {nil, nil},
		"empty text":      {nil, tail},
		"empty tail":      {big, nil},
		"answer":          {big, tail},
		"incompressible":  {random, random[:1000]},
		"tail repeats it": {big[:5000], big[:5000]},
	}
}

func TestGzipRoundTrip(t *testing.T) {
	for name, tc := range texts() {
		t.Run(name, func(t *testing.T) {
			a := Compress(tc[0])
			want := append(bytes.Clone(tc[0]), tc[1]...)
			for range 2 { // an Answer is reused
				if got := gunzipOne(t, a.Gzip(tc[1])); !bytes.Equal(got, want) {
					t.Fatalf("got %d bytes, want %d", len(got), len(want))
				}
			}
		})
	}
}

// TestGzipToolReadsIt: GNU gzip checks the stream (CRC, length) and
// decompresses it.
func TestGzipToolReadsIt(t *testing.T) {
	gz := testtool.Require(t, "gzip")
	tc := texts()["answer"]
	z := Compress(tc[0]).Gzip(tc[1])
	test := exec.Command(gz, "-t")
	test.Stdin = bytes.NewReader(z)
	if out, err := test.CombinedOutput(); err != nil {
		t.Fatalf("gzip -t: %v: %s", err, out)
	}
	dc := exec.Command(gz, "-dc")
	dc.Stdin = bytes.NewReader(z)
	out, err := dc.Output()
	if err != nil {
		t.Fatalf("gzip -dc: %v", err)
	}
	if !bytes.Equal(out, append(bytes.Clone(tc[0]), tc[1]...)) {
		t.Fatal("gzip -dc gave other bytes")
	}
	// And a corrupted CRC is caught: the check above can fail.
	z[len(z)-5] ^= 1
	bad := exec.Command(gz, "-t")
	bad.Stdin = bytes.NewReader(z)
	if err := bad.Run(); err == nil {
		t.Fatal("gzip -t accepted a stream with a wrong CRC")
	}
}

func TestCache(t *testing.T) {
	small := Compress([]byte("a 1\n"))
	c := New(3 * small.Size())
	k1, k2 := Key{1}, Key{2}
	c.Put("x", k1, small)
	if c.Get("x", k1) != small {
		t.Fatal("miss after Put")
	}
	if c.Get("x", k2) != nil || c.Get("y", k1) != nil {
		t.Fatal("hit with another key or id")
	}
	c.Put("x", k2, small) // replaces
	if c.Get("x", k1) != nil || c.Get("x", k2) != small {
		t.Fatal("Put did not replace the old answer")
	}
	c.Put("y", k1, small)
	c.Put("z", k1, small)
	c.Get("x", k2)        // x is now the most recently used
	c.Put("w", k1, small) // evicts y
	if c.Get("y", k1) != nil || c.Get("x", k2) == nil || c.Get("z", k1) == nil || c.Get("w", k1) == nil {
		t.Fatal("not least recently used eviction")
	}
	if n, b := c.Stats(); n != 3 || b != 3*small.Size() {
		t.Fatalf("stats %d answers %d bytes", n, b)
	}
	huge := &Answer{deflated: make([]byte, 4*small.Size())} // bigger than the cache
	c.Put("x", k1, huge)
	if c.Get("x", k1) != nil || c.Get("x", k2) != nil {
		t.Fatal("an answer bigger than the cache was kept, or the old one was")
	}
	var off *Cache
	off.Put("x", k1, small)
	if off.Get("x", k1) != nil {
		t.Fatal("nil cache holds answers")
	}
	none := New(0)
	none.Put("x", k1, small)
	if none.Get("x", k1) != nil {
		t.Fatal("a cache of size 0 holds answers")
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := New(1 << 20)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := fmt.Sprint(i % 10)
				a := Compress([]byte(fmt.Sprint(g, i)))
				c.Put(id, Key{byte(g)}, a)
				if got := c.Get(id, Key{byte(g)}); got != nil {
					_ = got.Gzip([]byte("t"))
				}
			}
		})
	}
	wg.Wait()
	if n, _ := c.Stats(); n != 10 {
		t.Fatalf("%d answers, want 10", n)
	}
}

func BenchmarkGzip(b *testing.B) {
	tc := texts()["answer"]
	a := Compress(tc[0])
	b.SetBytes(int64(len(tc[0])))
	b.ReportAllocs()
	for b.Loop() {
		_ = a.Gzip(tc[1])
	}
}

func BenchmarkCompress(b *testing.B) {
	tc := texts()["answer"]
	b.SetBytes(int64(len(tc[0])))
	b.ReportAllocs()
	for b.Loop() {
		_ = Compress(tc[0])
	}
}
