package syncwire

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"testing"
)

// overheadPerTarget is the budget of a put beyond its codes, CodeSize
// bytes each, once gzipped: Seq, flags, attributes and name.
const overheadPerTarget = 8

// raceEnabled is set when the race detector is on (race_test.go).
var raceEnabled bool

// TestSnapshotSize encodes the snapshot of 100,000 posters with 2 and 3
// check words a code and checks that each fits the budget once gzipped,
// as the HTTP layer sends it: CodeSize(checks) bytes a code plus
// overheadPerTarget bytes a target.
func TestSnapshotSize(t *testing.T) {
	if raceEnabled {
		// Gzipping 80 MB takes about a minute with the race detector, and
		// the test starts no goroutines for it to watch.
		t.Skip("skipped under the race detector")
	}
	for _, checks := range []int{2, 3} {
		t.Run(strconv.Itoa(checks)+" checks", func(t *testing.T) {
			b := posterSnapshot(checks)
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
			codeBytes := CodeSize(checks) * codes
			t.Logf("%d targets, %d codes of %d bytes: %d bytes encoded (%.2f per target, %.2f per code), "+
				"%d gzipped (%.2f per target, %.2f per code; the codes alone are %.2f per target)",
				len(b.Records), codes, CodeSize(checks), len(data), float64(len(data))/n, float64(len(data))/float64(codes),
				zipped.Len(), float64(zipped.Len())/n, float64(zipped.Len())/float64(codes), float64(codeBytes)/n)
			if budget := codeBytes + overheadPerTarget*len(b.Records); zipped.Len() > budget {
				t.Fatalf("gzipped snapshot is %d bytes, over the budget of %d", zipped.Len(), budget)
			}
			got, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			sameBatch(t, got, b)
		})
	}
}

// benchChecks are the numbers of check words the benchmarks run with: the
// fewest a follower is likely to keep, and all.
var benchChecks = []int{2, 3}

func BenchmarkEncode(b *testing.B) {
	for _, checks := range benchChecks {
		b.Run("checks="+strconv.Itoa(checks), func(b *testing.B) {
			batch := posterSnapshot(checks)
			data := mustEncode(b, batch)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Encode(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, checks := range benchChecks {
		b.Run("checks="+strconv.Itoa(checks), func(b *testing.B) {
			data := mustEncode(b, posterSnapshot(checks))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeApply(b *testing.B) {
	for _, checks := range benchChecks {
		b.Run("checks="+strconv.Itoa(checks), func(b *testing.B) {
			data := mustEncode(b, posterSnapshot(checks))
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				batch, err := Decode(data)
				if err != nil {
					b.Fatal(err)
				}
				s := NewState(posterTables)
				if err := s.Apply(batch); err != nil {
					b.Fatal(err)
				}
				if s.Len() != posterTargets || s.Checks() != checks {
					b.Fatalf("Len(), Checks() = %d, %d; want %d, %d", s.Len(), s.Checks(), posterTargets, checks)
				}
			}
		})
	}
}
