package index

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkDecode reads back a snapshot of the gallery BenchmarkMultiIndex
// searches (-multisizes entries of real-shaped codes) and builds its
// multi-indexes, as a server's start from a snapshot does: the part of
// that start the index itself costs.
func BenchmarkDecode(b *testing.B) {
	for _, n := range multiSizeList(b) {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			f := shapedFixture(b, n)
			var buf bytes.Buffer
			if _, err := f.x.WriteTo(&buf); err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(buf.Len()))
			b.ResetTimer()
			for range b.N {
				x, err := Decode(buf.Bytes())
				if err != nil {
					b.Fatal(err)
				}
				x.MultiIndexRows(1 << 16)
				if x.Len() != n {
					b.Fatalf("decoded %d entries of %d", x.Len(), n)
				}
			}
		})
	}
}
