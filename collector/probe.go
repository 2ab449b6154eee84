package collector

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strconv"
	"time"

	"github.com/threepar/rcopy-exporter/cim"
)

// Probe is one probe of an array, split in the steps that /probe caches
// around: Fetch does the I/O (showrcopy over SSH, the CIM read); Key
// digests what was fetched; WriteText parses, evaluates and writes the
// answer. When a target's showrcopy output (and CIM answer) is byte for
// byte what it was at the last probe, the answer is too, but for its
// duration series, so /probe can send the answer it wrote then instead of
// parsing and writing tens of thousands of series again.
type Probe struct {
	c     *Collector
	start time.Time
	res   probeResult
	done  bool // finish ran
}

// Fetch starts a probe and does its I/O. It never parses and never fails:
// a failure is part of the Probe.
func (c *Collector) Fetch() *Probe {
	start := time.Now()
	return &Probe{c: c, start: start, res: c.fetch(c.ctx)}
}

// finish parses the output (unless done) and logs a failure, once.
func (p *Probe) finish() {
	if p.done {
		return
	}
	p.done = true
	p.res = p.c.parse(p.res)
	p.c.up.Store(p.res.stage == "")
	if p.res.stage != "" {
		p.c.logFailure(p.res)
	}
}

// Elapsed is the time since the probe started.
func (p *Probe) Elapsed() time.Duration { return time.Since(p.start) }

// Key is a digest of a probe's inputs.
type Key [sha256.Size]byte

// Key digests everything the answer, but for its duration series, depends
// on that can change from one probe to the next: showrcopy's output, the
// CIM answer, the Strict flag and the time zone. ok is false when the I/O
// failed (a failure's answer is cheap; it is not worth keeping). The table
// is not part of the key: compare keys only between probes made with the
// same Table (/probe keeps one cache per loaded configuration).
func (p *Probe) Key() (k Key, ok bool) {
	if p.res.stage != "" || p.res.data == nil {
		return k, false
	}
	h := sha256.New()
	var num [8]byte
	putUint := func(v uint64) {
		binary.LittleEndian.PutUint64(num[:], v)
		h.Write(num[:])
	}
	putString := func(s string) {
		putUint(uint64(len(s)))
		h.Write([]byte(s))
	}
	putString("rcopy-exporter probe v1") // bump when the answer's layout changes
	putString(strconv.FormatBool(p.c.opts.Strict))
	if p.c.opts.Location != nil {
		putString(p.c.opts.Location.String())
	} else {
		putString("")
	}
	putUint(uint64(len(p.res.data)))
	h.Write(p.res.data)
	putString(strconv.FormatBool(p.res.cimRead))
	putUint(uint64(len(p.res.cim)))
	for i := range p.res.cim {
		writeCIMVolume(&p.res.cim[i], putUint, putString)
	}
	h.Sum(k[:0])
	return k, true
}

// writeCIMVolume feeds every field of v to the digest.
func writeCIMVolume(v *cim.RemoteCopyVolume, putUint func(uint64), putString func(string)) {
	for _, s := range []string{v.Volume, v.DeviceID, v.PeerDeviceID, v.PeerSystem, v.WhenSynced, v.Note} {
		putString(s)
	}
	var flags uint64
	for i, b := range []bool{v.LocalIsSystemElement, v.CopyStateNull, v.SyncStateNull, v.ProgressStatusNull,
		v.RoleReversed, v.RoleReversedNull} {
		if b {
			flags |= 1 << i
		}
	}
	putUint(flags)
	putUint(uint64(v.CopyState)<<32 | uint64(v.SyncState)<<16 | uint64(v.ProgressStatus))
}

// WriteText parses the fetched output, evaluates it and appends to b every
// series of the answer but scrape_duration_seconds (see AppendDuration),
// families in name order, in the Prometheus text format: version 0.0.4,
// which for this package's names (all legacy-valid) is also version 1.0.0
// byte for byte. It is what expfmt writes for Gather's families, without
// building them first (a test holds the two equal). It reports whether the
// probe succeeded (threepar_rcopy_up 1).
func (p *Probe) WriteText(b *bytes.Buffer) bool {
	p.finish()
	s := newTextSink()
	emitTo(s.gauge, p.res, p.c.opts, 0)
	s.write(b)
	return p.res.stage == ""
}

// AppendDuration appends the scrape_duration_seconds family with the value d.
func AppendDuration(dst []byte, d time.Duration) []byte {
	l := descs.layouts[descs.duration]
	dst = append(dst, l.textHead...)
	dst = append(dst, l.name...)
	dst = append(dst, ' ')
	dst = appendFloat(dst, d.Seconds())
	return append(dst, '\n')
}
