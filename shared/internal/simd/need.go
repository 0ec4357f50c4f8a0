package simd

// Skipper is what NeedKernels takes of a test: testing.TB's Helper and
// Skip.
type Skipper interface {
	Helper()
	Skip(args ...any)
}

// NeedKernels skips the test t, of the kernels or of their callers, where
// the kernels are not built in.
func NeedKernels(t Skipper) {
	t.Helper()
	if !Available {
		t.Skip("the kernels are built in under js/wasm with the tag simd only")
	}
}
