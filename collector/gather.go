package collector

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Gather probes the array and returns the metric families, as a
// prometheus.Registry holding only this Collector returns them: families
// by name, series ordered by label values. It skips what the registry
// spends most of a big probe's time on and this package guarantees
// already: hashing every series to find duplicates (emit sends none; a
// duplicate would still be dropped and reported here) and validating label
// names and values (constant names; values made valid UTF-8 by
// seriesMaker). So /probe serves it with promhttp.HandlerFor directly.
func (c *Collector) Gather() ([]*dto.MetricFamily, error) {
	ch := make(chan prometheus.Metric, 1024)
	go func() {
		defer close(ch)
		c.Collect(ch)
	}()
	return gatherFrom(ch)
}

// gatherFrom groups the series read from ch into sorted families.
func gatherFrom(ch <-chan prometheus.Metric) ([]*dto.MetricFamily, error) {
	families := make(map[*prometheus.Desc]*dto.MetricFamily, len(descs.all))
	var errs prometheus.MultiError
	var slab []dto.Metric
	slabN := 0
	for m := range ch {
		d := m.Desc()
		mf, ok := families[d]
		if !ok {
			layout, known := descs.layouts[d]
			if !known {
				errs = append(errs, fmt.Errorf("series of an unknown descriptor %s", d))
				continue
			}
			mf = &dto.MetricFamily{Name: &layout.name, Help: &layout.help, Type: dto.MetricType_GAUGE.Enum()}
			families[d] = mf
		}
		if len(slab) == 0 {
			slabN = grow(slabN)
			slab = make([]dto.Metric, slabN)
		}
		dm := &slab[0]
		if err := m.Write(dm); err != nil {
			errs = append(errs, fmt.Errorf("series of %s: %w", mf.GetName(), err))
			continue
		}
		slab = slab[1:]
		mf.Metric = append(mf.Metric, dm)
	}

	out := make([]*dto.MetricFamily, 0, len(families))
	for _, mf := range families {
		if len(mf.Metric) == 0 {
			continue
		}
		slices.SortFunc(mf.Metric, compareLabels)
		// Sorted, a duplicate sits next to its twin.
		kept := mf.Metric[:1]
		for _, m := range mf.Metric[1:] {
			if compareLabels(kept[len(kept)-1], m) == 0 {
				errs = append(errs, fmt.Errorf("duplicate series %s%v dropped", mf.GetName(), m.Label))
				continue
			}
			kept = append(kept, m)
		}
		mf.Metric = kept
		out = append(out, mf)
	}
	slices.SortFunc(out, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return out, errs.MaybeUnwrap()
}

// compareLabels orders series of one family by their label values in
// label-name order, as the registry does. Label pairs shared within a probe
// compare equal by pointer, without reading the strings.
func compareLabels(a, b *dto.Metric) int {
	if c := cmp.Compare(len(a.Label), len(b.Label)); c != 0 {
		return c
	}
	for i, la := range a.Label {
		lb := b.Label[i]
		if la == lb {
			continue
		}
		if c := strings.Compare(la.GetValue(), lb.GetValue()); c != 0 {
			return c
		}
	}
	return 0
}
