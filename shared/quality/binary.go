package quality

import (
	"errors"
	"fmt"
)

// binaryVersion is the first byte of an encoded Report. It changes when the
// layout or the meaning of the grades does, so stored grades from another
// version are recognised as stale rather than misread.
const binaryVersion = 1

// binaryLen is the length of an encoded Report: the version byte and one
// signed byte per metric.
const binaryLen = 1 + 10

// metrics lists pointers to the fields of r in their encoded order (the
// order of the struct).
func (r *Report) metrics() [10]*int {
	return [10]*int{
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
	}
}

// MarshalBinary encodes the report in 11 bytes: a version byte, then each
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
// bad in some metrics but not all.
func (r *Report) UnmarshalBinary(data []byte) error {
	if len(data) != binaryLen {
		return fmt.Errorf("quality: unmarshal report: %d bytes, want %d", len(data), binaryLen)
	}
	if data[0] != binaryVersion {
		return fmt.Errorf("quality: unmarshal report: version %d, want %d", data[0], binaryVersion)
	}
	var out Report
	for i, m := range out.metrics() {
		*m = int(int8(data[1+i]))
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
