package feature

import (
	"errors"
	"math"
)

// OutlineLimits bounds the shapes a target's outline — its four corners
// projected into the query frame — may take for a fit to be believed.
//
// The outline, not the homography's determinant, is what tells a camera's
// view from a degenerate fit: a determinant bound that removed squashed
// fits also lost a fifth of the 50° tilts in the anchor run
// (camera-anchors.md §1), because strong perspective scales the near and
// far ends of a print very differently.
type OutlineLimits struct {
	// MinArea is the least area of the outline, as a fraction of the
	// frame's: a print smaller than that has too few features to trust.
	MinArea float64
	// MaxArea is the largest area of the outline, as a multiple of the
	// frame's: a frame shows at least 1/MaxArea of the print.
	MaxArea float64
	// MinOpposite is the least ratio of the shorter to the longer of two
	// opposite sides (perspective shrinks the far side).
	MinOpposite float64
	// MaxAspect is the largest factor by which the outline's aspect ratio
	// — its mean width over its mean height, measured along its sides —
	// may differ from the target's, either way (foreshortening).
	MaxAspect float64
	// MinAngle is the least interior angle, in degrees; the largest is
	// 180 − MinAngle.
	MinAngle float64
}

// DefaultOutlineLimits accept every view of a print tilted up to 70° from
// facing the camera and reject the first views only beyond 75°, measured
// on 400,000 simulated camera views per tilt: a pinhole camera of 0.6 to 2
// frame-widths' focal length (a wide phone camera to a zoom), the print's
// centre anywhere in the middle 80 % of the frame, at 1 to 20 print-lengths
// from the camera, rolled and tilted about any axis, of aspect 1:3 to 3:1.
// The extremes seen up to 65° (the tilt the tier is built for) were an
// opposite-side ratio of 0.17, an aspect change of 2.7 and interior angles
// of 15.6° and 156.7°; the limits leave a margin over them for the error
// of a fit extrapolated from inliers in one part of the print. The share
// of views rejected was 0 up to 70°, 0.006 % at 75°, 4 % at 80° and 28 %
// at 85°. An aspect change of 4 is a 75.5° tilt without perspective.
//
// The area bounds: at least 0.5 % of the frame (a print 45 pixels square
// in a 640×480 frame), at most 16 frames (a frame showing a quarter of the
// print's width and height; the off-centre crop keeping 60 % is
// 2.8 frames).
var DefaultOutlineLimits = OutlineLimits{MinArea: 0.005, MaxArea: 16, MinOpposite: 0.1, MaxAspect: 4, MinAngle: 10}

// The reasons CheckOutline rejects an outline.
var (
	ErrOutlineHorizon  = errors.New("feature: the target's outline reaches the horizon")
	ErrOutlineConvex   = errors.New("feature: the target's outline is not a convex quadrilateral")
	ErrOutlineMirrored = errors.New("feature: the target's outline is mirrored")
	ErrOutlineArea     = errors.New("feature: the target's outline is too small or too large for the frame")
	ErrOutlineShape    = errors.New("feature: the target's outline is too distorted for a camera's view")
)

// CheckOutline reports whether c, the corners of a targetW×targetH target
// in a frameW×frameH query frame (the images of (0, 0), (w, 0), (w, h),
// (0, h)), could be a camera's view of the printed target, and if not,
// why:
//
//   - ErrOutlineConvex: c is not a convex quadrilateral, because it
//     crosses itself, folds, or has a corner that is not finite;
//   - ErrOutlineMirrored: c is convex but turns the wrong way (a view of
//     the print's back, or of its mirror image; the hash tier finds
//     mirrored copies);
//   - ErrOutlineArea: its area is outside l's bounds;
//   - ErrOutlineShape: an interior angle, the ratio of two opposite sides
//     or the change of aspect ratio is outside l's bounds.
//
// Whether the corners are in front of the camera at all (ErrOutlineHorizon)
// is the homography's to say: see Homography.Corners.
func CheckOutline(c [4]Point, targetW, targetH, frameW, frameH int, l OutlineLimits) error {
	var side [4]Point // side[i] runs from c[i] to c[i+1]
	var length [4]float64
	for i := range c {
		side[i] = Point{c[(i+1)%4].X - c[i].X, c[(i+1)%4].Y - c[i].Y}
		length[i] = math.Hypot(side[i].X, side[i].Y)
	}
	// Clockwise on the screen (y down) is a positive turn at every corner.
	turns := 0
	for i := range side {
		switch t := cross(side[(i+3)%4], side[i]); {
		case t > 0:
			turns++
		case t < 0:
			turns--
		default: // zero or NaN
			return ErrOutlineConvex
		}
	}
	switch turns {
	case 4:
	case -4:
		return ErrOutlineMirrored
	default:
		return ErrOutlineConvex
	}
	// Convex and clockwise: the shoelace sum is twice the area.
	area := 0.0
	for i := range c {
		area += cross(c[i], c[(i+1)%4])
	}
	frame := float64(frameW) * float64(frameH)
	if !(area/2 >= l.MinArea*frame && area/2 <= l.MaxArea*frame) {
		return ErrOutlineArea
	}
	if !shapeWithin(side, length, float64(targetW)/float64(targetH), l) {
		return ErrOutlineShape
	}
	return nil
}

// shapeWithin checks the angles, opposite sides and aspect ratio of a
// convex, clockwise outline whose target has the aspect ratio aspect.
func shapeWithin(side [4]Point, length [4]float64, aspect float64, l OutlineLimits) bool {
	lo := l.MinAngle * math.Pi / 180
	for i := range side {
		p, q := side[(i+3)%4], side[i]
		// The interior angle between −p and q.
		a := math.Atan2(cross(p, q), -(p.X*q.X + p.Y*q.Y))
		if !(a >= lo && a <= math.Pi-lo) {
			return false
		}
	}
	for i := range 2 {
		a, b := length[i], length[i+2]
		if !(min(a, b) >= l.MinOpposite*max(a, b)) {
			return false
		}
	}
	change := (length[0] + length[2]) / (length[1] + length[3]) / aspect
	return change <= l.MaxAspect && change >= 1/l.MaxAspect
}

// cross is the z component of the cross product of a and b.
func cross(a, b Point) float64 { return a.X*b.Y - a.Y*b.X }
