// Package simd calls the kernels: loops of feature extraction, matching
// and JPEG decoding written by hand in WebAssembly with its 128-bit SIMD
// instructions, which Go's compiler does not emit, for the builds that
// run Go as WebAssembly and pay most for it (the Worker edition).
//
// The kernels are a second WebAssembly module, kernels.wasm: `make simd`
// splices the parts nearest.wat, fast.wat, box.wat and idct.wat (each a
// kernel's functions) into one module and assembles it with wabt's
// wat2wasm. The module imports the Go instance's memory as its own ("go"
// "mem"): every pointer passed is an address in it, and a kernel reads
// Go's slices where they are and writes its answers into them. Whoever instantiates the Go module gives it the
// kernels' exports as the import module "pixmatch_simd", and instantiates
// the kernels with the Go instance's memory once it exists (the imports
// are then forwarded to them): server/worker's worker.mjs does, and
// node_exec.js, with which the tests run under Node.
//
// They are built in only with the build tag simd (and js/wasm): without
// it Available is false, and the functions panic; the callers keep their
// Go code, which each kernel stands for exactly:
//
//   - Nearest is package feature's nearest descriptor loop (match.go,
//     nearest) for many queries at once, each against its own range of
//     one flat array of descriptors.
//   - FAST is package feature's FAST-9 (fast9.go: packedCandidates,
//     packedCorners, oppositePairs and the scores of the corners) for a
//     row, 16 pixels at a time, always exact: it answers which pixels
//     are corners, of which side, in the blocks package feature reads,
//     and writes their scores.
//   - Box5 is package feature's 5×5 box sums of a level (pyramid.go,
//     level.smoothed), 8 columns at a time.
//   - IDCT8 is package lumajpeg's full-size inverse transform (idct.go,
//     inverse8) of many blocks, four columns or rows at a time.
//
// The tests hold the kernels to that: package feature's, camera's and
// lumajpeg's, run under Node with the tag (make simd-test), compare both
// ways on random planes, descriptors, coefficients and photos, their
// oracles hold the kernels to the definitions, and feature's regression
// vectors (TestVectors) must come out the same.
package simd
