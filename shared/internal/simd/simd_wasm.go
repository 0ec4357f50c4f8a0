//go:build js && wasm && simd

package simd

import "unsafe"

// Available reports whether the kernels are built in (see the package
// documentation): they are in this build, and whoever starts it must
// provide them.
const Available = true

//go:wasmimport pixmatch_simd nearest
//go:noescape
func nearest(q unsafe.Pointer, qstride, n int32, ranges unsafe.Pointer, flat unsafe.Pointer, out unsafe.Pointer)

//go:wasmimport pixmatch_simd box5
//go:noescape
func box5(p unsafe.Pointer, w, h int32, cols, out unsafe.Pointer)

//go:wasmimport pixmatch_simd fast
//go:noescape
func fast(p unsafe.Pointer, w, t int32, blocks, score unsafe.Pointer, chunks int32)

// Nearest finds, for each of the n queries q[k*qstride:][:32] (256-bit
// descriptors), the nearest and second nearest of the descriptors
// flat[32*lo:32*hi], lo and hi ranges[2k] and ranges[2k+1], by Hamming
// distance, the first of equals the nearest: out[3k], out[3k+1] and
// out[3k+2] get their distances (257 when there is none) and the index
// into flat of the nearest (lo when there is none). The slices must hold
// what they are said to.
func Nearest(q []byte, qstride, n int, ranges []int32, flat []byte, out []int32) {
	if n == 0 {
		return
	}
	if len(q) < (n-1)*qstride+32 || len(ranges) < 2*n || len(out) < 3*n {
		panic("simd: Nearest's slices are too short")
	}
	for k := range n {
		if lo, hi := ranges[2*k], ranges[2*k+1]; lo < 0 || lo > hi || int(hi)*32 > len(flat) {
			panic("simd: a range of Nearest is outside flat")
		}
	}
	nearest(unsafe.Pointer(&q[0]), int32(qstride), int32(n), unsafe.Pointer(&ranges[0]), unsafe.Pointer(unsafe.SliceData(flat)), unsafe.Pointer(&out[0]))
}

// FAST sets, for each of the 16*chunks pixels from p[at] in a plane w
// pixels wide, its byte of blocks (byte k of blocks[j] for pixel 8j+k):
// the top bit when it is a FAST-9 corner of pixels brighter than it by
// more than t, the next bit when one of darker pixels, the rest 0. Of a
// corner, it sets score[at+k] to its score: how far its circle pixels go
// beyond the pixel's value plus t (or minus t, of a dark corner),
// summed; it leaves the other scores as they are. The pixels must lie 3
// rows and 3 columns inside the plane.
func FAST(p []byte, at, w, t int, blocks []uint64, score []uint16, chunks int) {
	if chunks == 0 {
		return
	}
	if at-3*w-3 < 0 || at+3*w+16*chunks+3 > len(p) || len(blocks) < 2*chunks || at+16*chunks > len(score) || t < 0 || t > 255 {
		panic("simd: FAST's plane, blocks or scores are too small")
	}
	fast(unsafe.Pointer(&p[at]), int32(w), int32(t), unsafe.Pointer(&blocks[0]), unsafe.Pointer(&score[at]), int32(chunks))
}

// Box5 sets out[y*w+x], for each pixel of the w×h plane p at least 2
// from its border, to the sum of the 25 pixels within 2 rows and 2
// columns of it, and leaves the rest of out as it is; cols is room for
// its work. The plane must be at least 5×5.
func Box5(p []byte, w, h int, cols, out []uint16) {
	if w < 5 || h < 5 || len(p) < w*h || len(out) < w*h || len(cols) < w {
		panic("simd: Box5's plane is under 5×5 or its slices too short")
	}
	box5(unsafe.Pointer(&p[0]), int32(w), int32(h), unsafe.Pointer(&cols[0]), unsafe.Pointer(&out[0]))
}

//go:wasmimport pixmatch_simd idct8
//go:noescape
func idct8(coef unsafe.Pointer, n int32, at unsafe.Pointer, plane unsafe.Pointer, stride int32)

// MaxCoefficient bounds the coefficients IDCT8 takes: within it every sum
// of the transform fits 32 bits.
const MaxCoefficient = 4096

// IDCT8 transforms the n blocks of dequantised coefficients coef[64i:][:64]
// (natural order, each within ±MaxCoefficient) into the 8×8 blocks of
// samples at plane[at[i]:], rows stride bytes apart, as package
// lumajpeg's inverse8 does.
func IDCT8(coef []int32, n int, at []int32, plane []byte, stride int) {
	if n == 0 {
		return
	}
	if len(coef) < 64*n || len(at) < n || stride < 8 {
		panic("simd: IDCT8's slices are too short")
	}
	for _, a := range at[:n] {
		if a < 0 || int(a)+7*stride+8 > len(plane) {
			panic("simd: a block of IDCT8 is outside the plane")
		}
	}
	idct8(unsafe.Pointer(&coef[0]), int32(n), unsafe.Pointer(&at[0]), unsafe.Pointer(&plane[0]), int32(stride))
}
