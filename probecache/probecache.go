package probecache

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"sync"
)

// Answer is the compressed body of one /probe answer without its tail.
// It is immutable and safe for concurrent use.
type Answer struct {
	deflated []byte // deflate blocks, last one a sync flush (not final)
	crc      uint32 // CRC-32 (IEEE) of the text
	size     uint32 // length of the text, mod 2^32 as gzip wants
}

var flateWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level never fails
	return w
}}

// deflate compresses p as a sequence of non-final blocks ending on a byte
// boundary (sync flush), or final when last.
func deflate(dst *bytes.Buffer, p []byte, last bool) {
	w := flateWriters.Get().(*flate.Writer)
	w.Reset(dst)
	_, _ = w.Write(p) // a bytes.Buffer never fails
	if last {
		_ = w.Close()
	} else {
		_ = w.Flush()
	}
	w.Reset(nil)
	flateWriters.Put(w)
}

// Compress makes the Answer for text (at gzip's BestSpeed: a big array's
// answer is megabytes of text, and the default level costs several times
// the CPU for a few percent).
func Compress(text []byte) *Answer {
	var b bytes.Buffer
	b.Grow(len(text)/16 + 64)
	deflate(&b, text, false)
	return &Answer{deflated: bytes.Clone(b.Bytes()), crc: crc32.ChecksumIEEE(text), size: uint32(len(text))}
}

// Size is the compressed size, what the cache counts.
func (a *Answer) Size() int { return len(a.deflated) }

// gzipHeader is a gzip member header: deflate, no flags, no time, no
// extra flags, unknown OS.
var gzipHeader = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

// Gzip returns one gzip stream holding a's text followed by tail, as a
// whole so that its length can go in Content-Length.
func (a *Answer) Gzip(tail []byte) []byte {
	var t bytes.Buffer
	deflate(&t, tail, true)
	out := make([]byte, 0, len(gzipHeader)+len(a.deflated)+t.Len()+8)
	out = append(out, gzipHeader[:]...)
	out = append(out, a.deflated...)
	out = append(out, t.Bytes()...)
	out = binary.LittleEndian.AppendUint32(out, crc32.Update(a.crc, crc32.IEEETable, tail))
	return binary.LittleEndian.AppendUint32(out, a.size+uint32(len(tail)))
}
