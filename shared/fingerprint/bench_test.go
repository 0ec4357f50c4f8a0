package fingerprint

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/corona10/goimagehash"
	xdraw "golang.org/x/image/draw"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// photo1024 returns a 1024×768 photograph decoded from JPEG, the way the
// server receives one (*image.YCbCr).
func photo1024(b *testing.B) image.Image {
	src := testphoto.Image("china")
	big := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	xdraw.CatmullRom.Scale(big, big.Rect, src, src.Bounds(), xdraw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, big, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	img, err := jpeg.Decode(&buf)
	if err != nil {
		b.Fatal(err)
	}
	return img
}

// BenchmarkHash compares pixmatch's fingerprints with goimagehash's own
// PerceptionHash on the same decoded 1024×768 photo: the baseline is the
// ratio's denominator.
func BenchmarkHash(b *testing.B) {
	img := photo1024(b)
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
	img := photo1024(b)
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
