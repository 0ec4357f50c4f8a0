package fingerprint

import (
	"testing"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkHash compares pixmatch's fingerprints with goimagehash's own
// PerceptionHash on the same decoded 1024×768 photo: the baseline is the
// ratio's denominator.
func BenchmarkHash(b *testing.B) {
	img := testphoto.Decoded("china", 1024, 768)
	b.Run("baseline=goimagehash.PerceptionHash", func(b *testing.B) {
		for b.Loop() {
			if _, err := goimagehash.PerceptionHash(img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Target", func(b *testing.B) {
		for b.Loop() {
			if _, err := Target(img); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Query", func(b *testing.B) {
		for b.Loop() {
			if _, err := Query(img); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSpeedup times goimagehash.PerceptionHash and Target on the same
// decoded 1024×768 photo in alternation, so both see the same machine
// load, and reports how many times faster Target is.
func BenchmarkSpeedup(b *testing.B) {
	img := testphoto.Decoded("china", 1024, 768)
	var base, ours time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := goimagehash.PerceptionHash(img); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := Target(img); err != nil {
			b.Fatal(err)
		}
		base += t1.Sub(t0)
		ours += time.Since(t1)
	}
	b.ReportMetric(float64(base)/float64(ours), "x-faster-than-goimagehash")
}
