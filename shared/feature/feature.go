// Package feature finds local features in grey planes — keypoints with a
// 256-bit binary descriptor each — so that a print can be recognised in a
// camera frame that shows it turned, tilted, small, partly covered or on a
// cluttered background, where the global hashes of shared/fingerprint see
// a different picture. Matching features and fitting the homography that
// verifies a match are the other half of the package (match, homography,
// verify).
//
// # Extraction
//
// Extract works on an *image.Gray, the luminance plane shared/luma makes
// on the server from the decoded picture and in the browser from canvas
// pixels (Plane makes it from a picture). It proceeds in these steps:
//
//  1. Working resolution. A plane whose long side exceeds Options.MaxSide
//     is first reduced to it by area averaging. Targets and queries work
//     at 640 pixels, the size a camera frame is sent at (512 found 2 %
//     fewer camera shots).
//  2. Pyramid. Options.Levels planes, each Options.Scale times smaller
//     than the one before, by area averaging in 16-bit fixed point. A
//     target has 8 levels 1.2 apart (3.6× from first to last), so that a
//     print seen at a quarter of its size meets its own features; a query
//     needs fewer, 4 levels √2 apart, which also leaves more features to
//     its finer levels, where a small print is (8 levels 1.2 apart found
//     4 % fewer shots, searching 60 % more pixels).
//  3. Corners. FAST-9 on every level: a pixel is a corner when 9
//     contiguous pixels of the 16 on the circle of radius 3 around it are
//     all brighter than it by more than Options.Threshold, or all darker
//     (fast9.go says how most pixels are rejected eight at a time).
//     Grid cells of the level where that finds nothing are searched again
//     at Options.LowThreshold, so weak but real corners of flat regions
//     still compete. A 3×3 non-maximum suppression on the FAST score (how
//     far beyond the threshold the corner's side of the circle goes,
//     summed) keeps one pixel per corner.
//  4. Ranking and spread. The corners of each grid cell with the best
//     FAST scores are ranked by their Harris response (det − trace²/25 of
//     the 7×7 structure tensor of Sobel gradients). Each level gets a
//     share of Options.Max that falls by 1/Scale a level (what a level
//     leaves unused passes to the next); within a level the strongest
//     corners are taken first, but at most Options.CellCap per grid cell
//     of Options.Cell pixels until every cell had its turn, so a textured
//     corner of the picture cannot take every slot (without it, 6 % fewer
//     camera shots were found).
//  5. Orientation: the direction from the keypoint to the intensity
//     centroid of the disc of radius 15 around it, by an integer CORDIC.
//  6. Descriptor: 256 binary tests on the level smoothed by a 5×5 box
//     filter; test i sets bit i when the smoothed value at its first point
//     is below that at its second. The points are the project's learned
//     pattern (Pattern): shared/internal/brieftrain learns it from ten of
//     the test photos as the ORB paper describes, tests of balanced
//     outcome and low correlation. They are turned by the keypoint's
//     orientation in AngleBins steps of 2.8°, so a turned picture gives
//     nearly the same bits, and a quarter turn exactly the same.
//
// The result is at most Options.Max features, strongest Harris response
// first. Keypoint coordinates are in pixels of the plane given to Extract,
// with the centre of its top-left pixel at (0, 0), rounded to 1/8 pixel;
// Size is the diameter of the described patch (31 pixels of its level) in
// those pixels; Angle is measured from the x axis towards the y axis
// (clockwise on the screen).
//
// # Determinism
//
// Everything from the plane's pixels to the descriptor is integer
// arithmetic and table look-ups, with one exact conversion to float32 at
// the end, so the same pixels give bit-identical features on amd64,
// arm64 and js/wasm. testdata/vectors.txt records a digest of every
// feature of the test photos with the Version that made them; TestVectors
// holds this build to it, and `make feature-vectors` runs it under Node
// too, as the browser's build. A change of any output needs a new Version
// (then `make feature-vectors`).
//
// # Geometric verification
//
// Verify decides whether a target is in a query frame, and where, from the
// features of both. It takes four steps, each usable on its own:
//
//  1. Match pairs each query feature with its nearest target feature by
//     Hamming distance, exactly (brute force), keeping a pair only when it
//     is distinctly nearer than the second nearest (Lowe's ratio test) and
//     within a distance bound; optionally mutual (a cross-check).
//  2. FitHomography finds, by RANSAC, the homography (the map from the
//     target's plane to the frame that a camera's view of a flat print
//     is) under which the most pairs land within a few pixels of each
//     other: deterministic for a seed, with an adaptive number of samples,
//     samples of nearly collinear or mirrored points skipped, and the best
//     refitted by least squares on its inliers.
//  3. CheckOutline projects the target's four corners into the frame and
//     asks whether a camera could have seen that quadrilateral: in front of
//     the camera, convex, not mirrored, of plausible area, angles and side
//     ratios. It rejects the degenerate fits that many inliers in a small
//     patch can produce, which a bound on the homography's determinant
//     catches only by also losing strongly tilted views.
//  4. The number of inliers, counting each target feature once, is the
//     evidence: at least VerifyOptions.MinInliers, spread over at least
//     VerifyOptions.MinSpread of the target, and the score rises with it
//     from 0.5 at that threshold towards 1.
//
// The homography maps target-plane pixels to frame pixels, so the corners
// Verify returns are where to draw the target's outline over the frame.
//
// # Records
//
// A target's features are stored as a Record: the size of the plane and
// its features, versioned, FeatureSize (45) bytes a feature, 32 of them
// the descriptor: 22.5 KB for the 500 features of TargetOptions.
//
// # Measured choices
//
// TestMeasure (go test ./shared/feature -run Measure -measure -v) shows
// each test photo as a print to a camera: on another photo, covering 50,
// 25 or 10 % of a 640×480 frame, tilted 20, 35 or 50°, turned 30°, and
// the combined camera recipe (tilted 25°, 35 % of the frame, blurred,
// darker, JPEG q70). It counts the target's features whose nearest query
// descriptor passes Lowe's ratio test (0.8) and lies where the print put
// the feature: the inliers a homography fit would find. With the chosen
// options, 110 of the 112 shots give at least 20 (the anchor pipeline's
// acceptance; camera-anchors.md), 52 to 226 on average by shot; the two
// short are 10 % pastes. 300 target features found 94.6 %, 800 the same
// 98.2 % with 35 % more inliers but 60 % more storage; 500 query
// features 90.2 %, 1500 99.1 %.
package feature

import (
	"image"
	"math/bits"
)

// Version identifies the features Extract produces. It changes whenever
// any output for some plane would change (TestVectors holds it to that):
// records of another version are refused (ErrVersion) and must be made
// again from the picture.
const Version uint16 = 1

// Bits is the length of a descriptor in bits.
const Bits = 256

// Keypoint is where a feature is and how it is framed.
type Keypoint struct {
	X, Y     float32 // centre, in pixels of the plane given to Extract
	Size     float32 // diameter of the described patch, in those pixels
	Angle    float32 // orientation, radians in [0, 2π)
	Response float32 // Harris response (larger is stronger)
	Octave   int8    // pyramid level
}

// Descriptor holds the 256 test bits of a feature, bit i of the pattern
// in word i/64 at bit i%64.
type Descriptor [4]uint64

// Distance is the Hamming distance between two descriptors, 0 to 256.
func Distance(a, b Descriptor) int {
	return bits.OnesCount64(a[0]^b[0]) + bits.OnesCount64(a[1]^b[1]) +
		bits.OnesCount64(a[2]^b[2]) + bits.OnesCount64(a[3]^b[3])
}

// Feature is a keypoint with its descriptor.
type Feature struct {
	Keypoint
	Desc Descriptor
}

// Extract returns the features of g, at most o.Max, strongest first (see
// the package documentation). A plane too small for a patch gives none.
// It may run on many goroutines at once.
func Extract(g *image.Gray, o Options) []Feature { return extract(g, o, &steered) }

// extract is Extract with the pattern turned to every angle bin, t.
func extract(g *image.Gray, o Options, t *table) []Feature {
	m := memories.Get().(*memory)
	defer memories.Put(m)
	d := detect(g, o, m)
	out := make([]Feature, len(d.points))
	for i, p := range d.points {
		out[i] = Feature{Keypoint: d.keypoint(p), Desc: d.describe(p, t)}
	}
	return out
}
