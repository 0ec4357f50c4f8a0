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
// 4:2:0) at every scale, each decode followed by image/jpeg's decode of
// the same file, so that the machine's load weighs on both alike: ns/op
// is the pair, ns/luma the luma's alone, x-vs-stdlib how many times
// faster it is than image/jpeg.
func BenchmarkDecode(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testphoto.Decoded("coffee", 640, 480), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, s := range []int{1, 2, 4, 8} {
		b.Run(fmt.Sprintf("scale=1/%d", s), func(b *testing.B) {
			var mine, stdlib time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := Decode(data, s, nil); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
				mine, stdlib = mine+t1.Sub(t0), stdlib+time.Since(t1)
			}
			b.ReportMetric(float64(mine.Nanoseconds())/float64(b.N), "ns/luma")
			b.ReportMetric(float64(stdlib)/float64(mine), "x-vs-stdlib")
		})
	}
}
