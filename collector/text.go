package collector

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
)

// The text writer below exists for speed: a 2400-volume probe is about
// 25,000 series, and building them as client_model structs, gathering and
// then encoding them with expfmt cost most of a probe. It writes the same
// bytes straight from emit's calls (TestWriteTextMatchesExpfmt and
// FuzzCollect hold it to expfmt's output).

// sample is one series: label values in label-name order, and the value.
type sample struct {
	labels []string
	value  float64
}

// textSink collects one probe's series by family.
type textSink struct {
	fams    [][]sample // by descriptor index (descs.all)
	strSlab []string
	strN    int
}

func newTextSink() *textSink { return &textSink{fams: make([][]sample, len(descs.all))} }

// gauge records one series; labels are in d's NewDesc order and may be
// reused by the caller after the call. scrape_duration_seconds is left to
// AppendDuration.
func (s *textSink) gauge(d *prometheus.Desc, v float64, labels ...string) {
	if d == descs.duration {
		return
	}
	l, ok := descs.layouts[d]
	if !ok || len(l.names) != len(labels) {
		panic("collector: series of an unknown descriptor or with a wrong label count: " + d.String())
	}
	n := len(labels)
	if len(s.strSlab) < n {
		s.strN = grow(s.strN)
		s.strSlab = make([]string, max(4*s.strN, n))
	}
	sorted := s.strSlab[:n:n]
	s.strSlab = s.strSlab[n:]
	for i, j := range l.order {
		v := labels[j]
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		sorted[i] = v
	}
	s.fams[l.index] = append(s.fams[l.index], sample{labels: sorted, value: v})
}

// write appends every non-empty family in name order, its series sorted by
// label values (a duplicate, which emit never sends, is dropped).
func (s *textSink) write(b *bytes.Buffer) {
	var line []byte
	for _, i := range descs.textOrder {
		samples := s.fams[i]
		if len(samples) == 0 {
			continue
		}
		l := descs.layouts[descs.all[i]]
		slices.SortFunc(samples, compareSamples)
		b.WriteString(l.textHead)
		for k := range samples {
			sm := &samples[k]
			if k > 0 && slices.Equal(sm.labels, samples[k-1].labels) {
				continue
			}
			line = append(line[:0], l.name...)
			for j, v := range sm.labels {
				line = append(line, l.labelPrefix[j]...)
				line = appendEscaped(line, v)
				line = append(line, '"')
			}
			if len(sm.labels) > 0 {
				line = append(line, '}')
			}
			line = append(line, ' ')
			line = appendFloat(line, sm.value)
			line = append(line, '\n')
			b.Write(line)
		}
	}
}

// compareSamples orders series by label values (all series of a family have
// the same label names). strings.Compare compares once where cmp.Compare,
// which slices.Compare uses, may compare twice: the sort is a fifth of a
// big probe.
func compareSamples(a, b sample) int {
	for i, v := range a.labels {
		if c := strings.Compare(v, b.labels[i]); c != 0 {
			return c
		}
	}
	return 0
}

// appendEscaped appends a label value escaped as the text format wants:
// backslash, double quote and newline.
func appendEscaped(dst []byte, v string) []byte {
	if !needsEscape(v) {
		return append(dst, v...)
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			dst = append(dst, `\\`...)
		case '"':
			dst = append(dst, `\"`...)
		case '\n':
			dst = append(dst, `\n`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func needsEscape(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '\\' || c == '"' || c == '\n' {
			return true
		}
	}
	return false
}

// appendFloat formats a sample value as expfmt does.
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(dst, '1')
	case f == 0:
		return append(dst, '0')
	case f == -1:
		return append(dst, "-1"...)
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, +1):
		return append(dst, "+Inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-Inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// textHead is a family's HELP and TYPE lines (HELP escapes backslash and
// newline).
func textHead(name, help string) string {
	help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	return "# HELP " + name + " " + help + "\n# TYPE " + name + " gauge\n"
}
