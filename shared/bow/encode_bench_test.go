package bow

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

var decodeSizes = flag.String("decodesizes", "100000", "comma-separated index sizes for BenchmarkDecodeIndex, e.g. 1000000 (about 9 GB)")

// BenchmarkDecodeIndex writes an index of -decodesizes documents of 500
// skewed features over the shipped vocabulary's 32,768 words (a camera
// tier's bags) and reads it back, reporting the reading, its ratio to
// building the index by Put from the same words (quantisation left out:
// it costs more still), the encoding's bytes a document and the heap a
// decoded document costs, and the CPU time a reading takes (every
// thread's: the wall time depends on what else the machine runs). 1M: -args -decodesizes 1000000 (about 9 GB at
// its peak, a minute or two).
func BenchmarkDecodeIndex(b *testing.B) {
	for _, field := range strings.Split(*decodeSizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || n <= 0 {
			b.Fatalf("bad -decodesizes entry %q", field)
		}
		b.Run(fmt.Sprintf("docs=%d", n), func(b *testing.B) { benchDecode(b, n) })
	}
}

func benchDecode(b *testing.B, n int) {
	const words, bag = 32768, 500
	rng := rand.New(rand.NewPCG(1, 2))
	x := NewIndex(words)
	t0 := time.Now()
	for i := range n {
		x.Put(fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), i), randomFeatures(rng, bag, words))
	}
	put := time.Since(t0)
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	x = nil
	enc := buf.Bytes()
	var took, cpu time.Duration
	var heap float64
	for b.Loop() {
		before := heapNow()
		t0, c0 := time.Now(), cpuTime()
		y, err := DecodeIndex(enc, words)
		if err != nil || y.Len() != n {
			b.Fatal(err)
		}
		took, cpu = took+time.Since(t0), cpu+cpuTime()-c0
		heap = float64(heapNow()-before) / float64(n)
		runtime.KeepAlive(y)
	}
	perDecode := took / time.Duration(b.N)
	b.ReportMetric(perDecode.Seconds(), "s-decode")
	b.ReportMetric((cpu / time.Duration(b.N)).Seconds(), "s-cpu-decode")
	b.ReportMetric(float64(put)/float64(perDecode), "x-faster-than-put")
	b.ReportMetric(float64(len(enc))/float64(n), "B/doc-encoded")
	b.ReportMetric(heap, "B/doc")
}

// heapNow returns the live heap after a collection.
func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
