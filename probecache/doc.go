// Package probecache remembers the last /probe answer of each target, gzip
// compressed, with the digest of the inputs it was written from
// (collector.Probe.Key). When the next probe of the target fetches the same
// showrcopy output and CIM answer, the answer is the same but for its
// duration series, so /probe sends the remembered bytes and compresses only
// that one series: the probe then costs little more than the SSH command.
//
// An answer is kept as raw deflate blocks ending in a sync flush, never a
// final block, with the CRC-32 and length of the text they hold. Gzip
// frames one standard single-member gzip stream (RFC 1952) around them and
// a freshly compressed tail; any gzip reader reads it.
//
// The cache is bounded by the total size of the compressed answers; the
// least recently used go first.
package probecache
