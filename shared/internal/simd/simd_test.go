package simd

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// These tests run where the kernels are built in (js/wasm, tag simd:
// make simd-test); package feature's hold them to the Go code they stand
// for on real work.

// TestNearest holds the kernel nearest to a brute force over random
// descriptors, ties and empty ranges included, with queries at a stride
// and ranges overlapping.
func TestNearest(t *testing.T) {
	NeedKernels(t)
	rng := rand.New(rand.NewPCG(1, 2))
	const m, stride = 300, 48
	flat := make([]byte, 32*m)
	for i := range flat {
		flat[i] = byte(rng.Uint32())
	}
	copy(flat[32*7:32*8], flat[32*3:32*4]) // a tie
	n := 200
	q := make([]byte, stride*n)
	ranges := make([]int32, 2*n)
	for k := range n {
		copy(q[k*stride:], flat[32*rng.IntN(m):][:32])
		q[k*stride+rng.IntN(32)] ^= byte(rng.Uint32()) // near one of flat, or not
		lo := rng.IntN(m + 1)
		ranges[2*k], ranges[2*k+1] = int32(lo), int32(lo+rng.IntN(m+1-lo))
	}
	out := make([]int32, 3*n)
	Nearest(q, stride, n, ranges, flat, out)
	for k := range n {
		lo, hi := int(ranges[2*k]), int(ranges[2*k+1])
		d1, d2, i1 := 257, 257, lo
		for j := lo; j < hi; j++ {
			d := 0
			for w := range 4 {
				d += bits.OnesCount64(binary.LittleEndian.Uint64(q[k*stride+8*w:]) ^ binary.LittleEndian.Uint64(flat[32*j+8*w:]))
			}
			switch {
			case d < d1:
				d1, d2, i1 = d, d1, j
			case d < d2:
				d2 = d
			}
		}
		if got := [3]int32{out[3*k], out[3*k+1], out[3*k+2]}; got != [3]int32{int32(d1), int32(d2), int32(i1)} {
			t.Fatalf("query %d over [%d, %d): got %v, want [%d %d %d]", k, lo, hi, got, d1, d2, i1)
		}
	}
}

// TestChecks holds the functions to refusing slices a kernel would read
// or write past: a kernel would not stop at a slice's end, only at the
// memory's.
func TestChecks(t *testing.T) {
	NeedKernels(t)
	panics := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	flat, q, out := make([]byte, 64), make([]byte, 32), make([]int32, 3)
	panics("a range past flat", func() { Nearest(q, 32, 1, []int32{1, 3}, flat, out) })
	panics("a range backwards", func() { Nearest(q, 32, 1, []int32{2, 1}, flat, out) })
	panics("short out", func() { Nearest(q, 32, 1, []int32{0, 2}, flat, out[:2]) })
	panics("short queries", func() { Nearest(q, 32, 2, []int32{0, 2, 0, 2}, flat, make([]int32, 6)) })
	p, blocks, score := make([]byte, 30*10), make([]uint64, 2), make([]uint16, 30*10)
	panics("too near the top", func() { FAST(p, 2*30+3, 30, 20, blocks, score, 1) })
	panics("past the end", func() { FAST(p, 6*30+20, 30, 20, blocks, score, 1) })
	panics("short blocks", func() { FAST(p, 3*30+3, 30, 20, blocks[:1], score, 1) })
	panics("short scores", func() { FAST(p, 3*30+3, 30, 20, blocks, score[:3*30+18], 1) })
	plane, coef := make([]byte, 16*12), make([]int32, 128)
	panics("a block past the plane", func() { IDCT8(coef, 2, []int32{0, 4*16 + 9}, plane, 16) })
	panics("a block before the plane", func() { IDCT8(coef, 1, []int32{-1}, plane, 16) })
	panics("short coefficients", func() { IDCT8(coef[:127], 2, []int32{0, 8}, plane, 16) })
	panics("short places", func() { IDCT8(coef, 2, []int32{0}, plane, 16) })
	panics("rows overlapping", func() { IDCT8(coef, 1, []int32{0}, plane, 7) })
	FAST(p, 3*30+3, 30, 20, blocks, score, 1) // room: no panic
	Nearest(q, 32, 1, []int32{0, 2}, flat, out)
	IDCT8(coef, 2, []int32{0, 4*16 + 8}, plane, 16)
}
