package feature

import "math/bits"

// This file is a temporary stand-in for the extractor's types, so that the
// matching and verification files compile on their own. The extractor's
// version of these declarations replaces it when the branches merge.

// Keypoint is where a feature was found and how it was described.
type Keypoint struct {
	X, Y     float32 // centre, in pixels of the plane given to Extract
	Size     float32 // diameter of the described patch, in those pixels
	Angle    float32 // orientation, radians in [0, 2π)
	Response float32 // corner response (larger is stronger)
	Octave   int8    // pyramid level
}

// Descriptor is a 256-bit binary descriptor.
type Descriptor [4]uint64

// Distance is the Hamming distance between two descriptors, 0 to 256.
func Distance(a, b Descriptor) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// Feature is a keypoint and its descriptor.
type Feature struct {
	Keypoint
	Desc Descriptor
}
