package cim

import (
	"fmt"
	"testing"
)

// BenchmarkDecodeResponse decodes an EnumerateInstances answer of 1000
// volumes (a large array) and reports its size.
func BenchmarkDecodeResponse(b *testing.B) {
	insts := make([]Instance, 1000)
	for i := range insts {
		insts[i] = volume(fmt.Sprintf("60002AC00000000000000%011X", i), fmt.Sprintf("vol.%d", i))
	}
	data := encodeResponse(b, Response{Method: OpEnumerateInstances, Instances: insts})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rsp, err := DecodeResponse(data)
		if err != nil || len(rsp.Instances) != len(insts) {
			b.Fatalf("%d instances, err %v", len(rsp.Instances), err)
		}
	}
}

// BenchmarkDecodeHostileAttributes decodes the hostile answer of docs/security.md (one
// element with millions of attributes, 31 MiB): refused by the scan of the
// bytes, before encoding/xml builds the element.
func BenchmarkDecodeHostileAttributes(b *testing.B) {
	data := hostileAttributes(31 << 20)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeResponse(data); err == nil {
			b.Fatal("decoded")
		}
	}
}
