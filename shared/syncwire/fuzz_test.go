package syncwire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/pixmatch/pixmatch/shared/index"
)

// FuzzDecode checks that Decode never panics, that what it refuses it
// refuses with ErrFormat, and that what it accepts re-encodes to the same
// bytes, decodes to the same batch and, if a snapshot, applies.
//
// The seeds are the round trip batches but the biggest (they carry 0 to
// index.Checks check words a code), the hand-made valid and invalid inputs
// of TestDecodeStrict (formats 1 and 2, tables, checks and codes out of
// range, codes cut short or of another batch's size, feature records cut
// short, of another version or off their plane among them), small random
// deltas with each number of checks and small snapshots with feature
// records.
func FuzzDecode(f *testing.F) {
	for _, tc := range roundTripCases() {
		if tc.name != "max values" { // too big to mutate usefully
			f.Add(mustEncode(f, tc.batch))
		}
	}
	for _, tc := range decodeCases() {
		f.Add([]byte(tc.data))
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	for checks := range index.Checks + 1 {
		f.Add(mustEncode(f, randomBatch(rnd, shape{kind: Delta, records: 3, tables: 14, checks: checks, maxCodes: 20})))
	}
	for checks := range index.Checks + 1 {
		f.Add(mustEncode(f, randomBatch(rnd, shape{kind: Snapshot, records: 3, tables: 14, checks: checks, maxCodes: 3, features: 4})))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Decode error %v does not wrap ErrFormat", err)
			}
			return
		}
		again, err := Encode(b)
		if err != nil {
			t.Fatalf("Encode of a decoded batch: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("decoded batch re-encodes to other bytes:\nin  % x\nout % x", data, again)
		}
		b2, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode of the re-encoded batch: %v", err)
		}
		sameBatch(t, b2, b)
		s := NewState(b.Tables)
		if err := s.Apply(b); err != nil && b.Kind == Snapshot {
			t.Fatalf("Apply of a decoded snapshot: %v", err)
		}
		if b.Kind == Snapshot {
			sameBatch(t, s.Snapshot(), b)
			if s.FeatureVersion() != b.FeatureVersion {
				t.Fatalf("FeatureVersion() = %d after a snapshot of %d", s.FeatureVersion(), b.FeatureVersion)
			}
			if s.Checks() != b.Checks {
				t.Fatalf("Checks() = %d after a snapshot of %d checks", s.Checks(), b.Checks)
			}
		}
	})
}
