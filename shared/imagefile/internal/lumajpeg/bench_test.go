package lumajpeg

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// BenchmarkDecode decodes a 640×480 photo of quality 85 (image/jpeg's
// 4:2:0) at every scale and reports the time against image/jpeg's
// decode of the same file in the same run (x-vs-stdlib: how many times
// faster).
func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testphoto.Decoded("coffee", 640, 480), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	stdlib := timePerOp(b, func() error { _, err := jpeg.Decode(bytes.NewReader(data)); return err })
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("scale=1/%d", s), func(b *testing.B) {
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if _, err := Decode(data, s, nil); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(stdlib)/float64(per), "x-vs-stdlib")
		})
	}
}

// timePerOp returns how long f takes, measured over a few hundred
// milliseconds.
func timePerOp(b *testing.B, f func() error) time.Duration {
	b.Helper()
	n, start := 0, time.Now()
	for time.Since(start) < 300*time.Millisecond {
		if err := f(); err != nil {
			b.Fatal(err)
		}
		n++
	}
	return time.Since(start) / time.Duration(n)
}
