package feature

import "sync"

// memory is what one extraction works in: the scratch its levels share
// one at a time, and each level's pixels, box sums and turned tests.
// extract takes one from a pool and gives it back when done, so that
// frame after frame (a camera sends them all at one size) reuses the
// same few megabytes rather than allocating them again: the browser's
// build collects the garbage on the thread that extracts. A detection
// made in it must not be used once it is given back.
type memory struct {
	scratch
	levels [MaxLevels]levelMemory
}

// levelMemory is the memory of the pyramid level of one index. The
// pixels and box sums are made again by every extraction; the turned
// tests depend only on the level's width and the pattern, and are kept
// while those stay the same, as they do frame after frame.
type levelMemory struct {
	pix    []uint8  // the level's pixels, from the second level on
	smooth []uint16 // its box sums
	// turned holds, by angle bin, the tests of pattern as offsets into a
	// level w pixels wide, made (and marked in made) when a keypoint of
	// the bin is first described.
	turned  [AngleBins]*[2 * Bits]int32
	made    [AngleBins / 64]uint64
	w       int
	pattern *table
}

// memories holds the memory of extractions that have ended.
var memories = sync.Pool{New: func() any { return new(memory) }}

// grow returns b with length n, reusing its room when it has enough.
// The contents are not cleared.
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
