package testtool

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
)

// GunzipOne decompresses a gzip stream that must be exactly one member
// (RFC 1952): a second member or trailing bytes are an error, as are a bad
// CRC or length.
func GunzipOne(z []byte) ([]byte, error) {
	in := bytes.NewReader(z) // an io.ByteReader: gzip reads no further than the member
	r, err := gzip.NewReader(in)
	if err != nil {
		return nil, err
	}
	r.Multistream(false)
	text, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading the gzip member: %w", err)
	}
	if in.Len() != 0 {
		return nil, fmt.Errorf("%d bytes after the gzip member", in.Len())
	}
	return text, nil
}
