package syncwire

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

// FuzzDecode checks that Decode never panics, that what it refuses it
// refuses with ErrFormat, and that what it accepts re-encodes to the same
// bytes and so decodes to the same batch.
func FuzzDecode(f *testing.F) {
	for _, tc := range roundTripCases() {
		if tc.name != "max values" { // too big to mutate usefully
			f.Add(mustEncode(f, tc.batch))
		}
	}
	rnd := rand.New(rand.NewPCG(5, 6))
	f.Add(mustEncode(f, randomBatch(rnd, Delta, 3, 64, 20)))
	f.Add([]byte("PXSY"))
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
		s := NewState(b.Bits)
		if err := s.Apply(b); err != nil && b.Kind == Snapshot {
			t.Fatalf("Apply of a decoded snapshot: %v", err)
		}
	})
}
