package syncwire

import (
	"bytes"
	"compress/gzip"
	"testing"
)

// maxGzippedSnapshot is the budget for the gzipped snapshot of
// posterTargets targets.
const maxGzippedSnapshot = 3_000_000

// TestSnapshotSize encodes the snapshot of 100,000 posters and checks that
// it fits the budget once gzipped, as the HTTP layer sends it.
func TestSnapshotSize(t *testing.T) {
	b := posterSnapshot()
	data := mustEncode(t, b)
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	codes := 0
	for _, r := range b.Records {
		codes += len(r.Codes)
	}
	n := float64(len(b.Records))
	t.Logf("%d targets, %d codes: %d bytes encoded (%.2f per target), %d gzipped (%.2f per target; the codes alone are %.2f)",
		len(b.Records), codes, len(data), float64(len(data))/n, zipped.Len(), float64(zipped.Len())/n, float64(8*codes)/n)
	if zipped.Len() > maxGzippedSnapshot {
		t.Fatalf("gzipped snapshot is %d bytes, over the budget of %d", zipped.Len(), maxGzippedSnapshot)
	}
	got, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	sameBatch(t, got, b)
}

func BenchmarkEncode(b *testing.B) {
	batch := posterSnapshot()
	data := mustEncode(b, batch)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	data := mustEncode(b, posterSnapshot())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeApply(b *testing.B) {
	data := mustEncode(b, posterSnapshot())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		batch, err := Decode(data)
		if err != nil {
			b.Fatal(err)
		}
		s := NewState(64)
		if err := s.Apply(batch); err != nil {
			b.Fatal(err)
		}
		if s.Len() != posterTargets {
			b.Fatalf("Len() = %d, want %d", s.Len(), posterTargets)
		}
	}
}
