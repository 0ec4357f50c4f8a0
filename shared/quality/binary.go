package quality

import (
	"errors"
	"fmt"
)

// binaryVersion is the first byte of an encoded Report. It changes when the
// layout or the meaning of the grades does, so stored grades from another
// version are recognised as stale rather than misread. Version 1 had no
// DetectableFeatureStability; it is still read (see UnmarshalBinary).
const binaryVersion = 2

// binaryLen is the length of an encoded Report: the version byte and one
// signed byte per metric.
const binaryLen = 1 + 11

// metrics lists pointers to the fields of r in their encoded order:
// version 1's ten, then the stability.
func (r *Report) metrics() [11]*int {
	return [11]*int{
		&r.DetectableRate,
		&r.DetectableDistinctiveness,
		&r.DetectableFeatureCount,
		&r.DetectableFeatureDistribution,
		&r.TrackableRate,
		&r.TrackableDistinctiveness,
		&r.TrackableFeatureCount,
		&r.TrackableFeatureDistribution,
		&r.TrackablePatchContrast,
		&r.TrackablePatchAmbiguity,
		&r.DetectableFeatureStability,
	}
}

// MarshalBinary encodes the report in 12 bytes: a version byte, then each
// metric as a signed byte in field order. It fails on a report that
// UnmarshalBinary would reject.
func (r Report) MarshalBinary() ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("quality: marshal report: %w", err)
	}
	b := make([]byte, 0, binaryLen)
	b = append(b, binaryVersion)
	for _, m := range r.metrics() {
		b = append(b, byte(int8(*m)))
	}
	return b, nil
}

// UnmarshalBinary decodes a report written by MarshalBinary. It rejects
// another length or version, a metric outside -1..4, and a report that is
// bad in some metrics but not all. A version 1 report, stored before the
// stability was graded, reads with the stability of its feature count.
func (r *Report) UnmarshalBinary(data []byte) error {
	var out Report
	metrics := out.metrics()
	switch {
	case len(data) == binaryLen && data[0] == binaryVersion:
	case len(data) == 1+10 && data[0] == 1:
	case len(data) > 0 && data[0] != binaryVersion:
		return fmt.Errorf("quality: unmarshal report: version %d, want %d", data[0], binaryVersion)
	default:
		return fmt.Errorf("quality: unmarshal report: %d bytes, want %d", len(data), binaryLen)
	}
	for i, m := range metrics[:len(data)-1] {
		*m = int(int8(data[1+i]))
	}
	if len(data) == 1+10 {
		out.DetectableFeatureStability = out.DetectableFeatureCount
	}
	if err := out.validate(); err != nil {
		return fmt.Errorf("quality: unmarshal report: %w", err)
	}
	*r = out
	return nil
}

// errMixedBad reports a report that is -1 in some metrics only.
var errMixedBad = errors.New("some metrics are -1 (bad image) and others are not")

// validate checks that every metric is in -1..4 and that -1 appears in
// all of them or in none.
func (r *Report) validate() error {
	bad := 0
	for i, m := range r.metrics() {
		switch {
		case *m < -1 || *m > 4:
			return fmt.Errorf("metric %d is %d, outside -1..4", i, *m)
		case *m == -1:
			bad++
		}
	}
	if bad != 0 && bad != len(r.metrics()) {
		return errMixedBad
	}
	return nil
}
