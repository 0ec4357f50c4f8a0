package lumajpeg

import (
	"bytes"
	"image/jpeg"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/internal/simd"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The inverse transform's kernel (package simd's IDCT8) is built in only
// under js/wasm with the tag simd (make test runs this package's tests
// so, under Node); there the tests below hold it to inverse8, and every
// other test of the package decodes through it.

// kernelBlocksCases returns blocks of coefficients to transform: the
// extremes of every coefficient alone and all together (the largest sums
// the kernel's 32 bits must hold), blocks as sparse as a photo's, and
// dense random ones, all within ±maxCoef.
func kernelBlocksCases() [][64]int32 {
	var out [][64]int32
	for _, v := range []int32{maxCoef, -maxCoef, 1, -1} {
		for k := range 64 {
			var b [64]int32
			b[k] = v
			out = append(out, b)
		}
		// The largest sums: every coefficient of one sign, for the
		// outputs whose weights are all positive, and the signs
		// alternating by column, by row or both, for those whose weights
		// alternate.
		for _, flip := range []func(row, col int) bool{
			func(int, int) bool { return false },
			func(_, col int) bool { return col%2 == 1 },
			func(row, _ int) bool { return row%2 == 1 },
			func(row, col int) bool { return (row+col)%2 == 1 },
		} {
			var b [64]int32
			for k := range b {
				if b[k] = v; flip(k/8, k%8) {
					b[k] = -v
				}
			}
			out = append(out, b)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		var b [64]int32
		for range 1 + rng.IntN(12) {
			b[rng.IntN(64)] = rng.Int32N(2*maxCoef+1) - maxCoef
		}
		out = append(out, b)
	}
	for range 500 {
		var b [64]int32
		for k := range b {
			b[k] = rng.Int32N(2*maxCoef+1) - maxCoef
		}
		out = append(out, b)
	}
	return out
}

// TestIDCTKernel transforms each case with the kernel, many blocks a
// call, into a plane whose other bytes it must leave alone, and with
// inverse8: the same samples.
func TestIDCTKernel(t *testing.T) {
	simd.NeedKernels(t)
	blocks := kernelBlocksCases()
	const across = 5 // blocks a row of the plane; a byte between them
	stride := across*9 + 3
	rows := (len(blocks) + across - 1) / across
	plane := bytes.Repeat([]byte{0xa5}, rows*9*stride)
	want := bytes.Clone(plane)
	coef := make([]int32, 0, 64*len(blocks))
	at := make([]int32, 0, len(blocks))
	var work [64]int32
	for i := range blocks {
		a := (i/across)*9*stride + (i%across)*9 + 1
		coef, at = append(coef, blocks[i][:]...), append(at, int32(a))
		b := blocks[i]
		inverse8(&b, &work, want[a:], stride)
	}
	for start := 0; start < len(at); start += 97 { // calls of up to 97 blocks
		n := min(97, len(at)-start)
		simd.IDCT8(coef[64*start:], n, at[start:], plane, stride)
	}
	if !bytes.Equal(plane, want) {
		for i, a := range at {
			for m := range 8 {
				got, w := plane[int(a)+m*stride:][:8], want[int(a)+m*stride:][:8]
				if !bytes.Equal(got, w) {
					t.Fatalf("block %d %v, row %d: %v, want %v", i, blocks[i], m, got, w)
				}
			}
		}
		t.Fatal("the kernel wrote outside its blocks")
	}
}

// TestDecodeKernel decodes every oracle case at full size with the
// kernel and without: the same luma, bit for bit.
func TestDecodeKernel(t *testing.T) {
	simd.NeedKernels(t)
	for _, c := range oracleCases(t) {
		got, err := Decode(c.data, 1, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		kernels = false
		want, err := Decode(c.data, 1, nil)
		kernels = true
		if err != nil {
			t.Fatalf("%s without the kernel: %v", c.name, err)
		}
		if !bytes.Equal(got.Pix, want.Pix) || got.Rect != want.Rect {
			t.Errorf("%s: the kernel's luma differs from Go's", c.name)
		}
	}
}

// BenchmarkDecodeKernel decodes the photo of BenchmarkDecode at full size
// with the kernel and without, in turn, so that the machine's load
// weighs on both alike: ns/luma is the kernel's decode, x-vs-go how many
// times faster it is than the decode without it.
func BenchmarkDecodeKernel(b *testing.B) {
	simd.NeedKernels(b)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testphoto.Decoded("coffee", 640, 480), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	var with, without time.Duration
	defer func() { kernels = true }()
	for b.Loop() {
		for _, k := range []bool{true, false} {
			kernels = k
			t0 := time.Now()
			if _, err := Decode(data, 1, nil); err != nil {
				b.Fatal(err)
			}
			if k {
				with += time.Since(t0)
			} else {
				without += time.Since(t0)
			}
		}
	}
	b.ReportMetric(float64(with.Nanoseconds())/float64(b.N), "ns/luma")
	b.ReportMetric(float64(without)/float64(with), "x-vs-go")
}
