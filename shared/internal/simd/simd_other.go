//go:build !(js && wasm && simd)

package simd

// Available reports whether the kernels are built in (see the package
// documentation); they are not in this build.
const Available = false

// Nearest is the kernel nearest; see simd_wasm.go.
func Nearest(q []byte, qstride, n int, ranges []int32, flat []byte, out []int32) {
	panic("simd: the kernels are not built in")
}

// FAST is the kernel fast; see simd_wasm.go.
func FAST(p []byte, at, w, t int, blocks []uint64, score []uint16, chunks int) {
	panic("simd: the kernels are not built in")
}

// Box5 is the kernel box5; see simd_wasm.go.
func Box5(p []byte, w, h int, cols, out []uint16) {
	panic("simd: the kernels are not built in")
}

// MaxCoefficient bounds the coefficients IDCT8 takes; see simd_wasm.go.
const MaxCoefficient = 4096

// IDCT8 is the kernel idct8; see simd_wasm.go.
func IDCT8(coef []int32, n int, at []int32, plane []byte, stride int) {
	panic("simd: the kernels are not built in")
}
