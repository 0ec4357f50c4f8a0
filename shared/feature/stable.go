package feature

import (
	"image"
	"math"
)

// A target is found in a frame when enough of its features are found
// again there, in the right places. How many survive a hard view is what
// makes a picture easy or hard to recognise: a photo of fine random
// detail keeps hundreds, a smooth or blurred one a handful, a repetitive
// pattern many that match the wrong twin. Stable measures it the way
// ASIFT-style enrolment simulates views: it shows the target to a
// synthetic camera and counts the features found again.

// A stableView is how the synthetic camera sees a target: tilted by tilt
// degrees about an axis through its centre, the axis turned axis degrees
// from its vertical, then turned by turn degrees in the frame, its long
// side side pixels.
type stableView struct {
	tilt, axis, turn float64
	side             int
}

// stableViews are the synthetic camera's shots, modelled on the hardest
// camera recipes of make bench-quality: a 50° tilt, and a print small in
// the frame (10 % of a 640×480 frame is about 180 pixels a side), turned.
var stableViews = []stableView{
	{tilt: 50, side: 400},
	{turn: 30, side: 200},
}

// stableDistance is how near, in pixels of a view, a feature found in the
// view must be to where the view moved the target's feature.
const stableDistance = 3

// Stable returns how many of a target's features fs (Extract of plane
// with TargetOptions) a camera finds again in the hardest of the
// synthetic views: those whose nearest feature of the view by descriptor
// (Lowe's ratio, as Verify matches) lies within 3 pixels of where the
// view moved them, in the view where they are fewest. A target verifies
// with DefaultVerifyOptions.MinInliers such features; a few times that is
// a margin for blur, light and cover. The views are made from plane by
// area averaging and bilinear sampling.
func Stable(plane *image.Gray, fs []Feature) int {
	w, h := plane.Rect.Dx(), plane.Rect.Dy()
	if w < 16 || h < 16 || len(fs) == 0 {
		return 0
	}
	fewest := len(fs)
	for _, v := range stableViews {
		found, _ := v.look(plane, fs, 0)
		fewest = min(fewest, found)
	}
	return fewest
}

// StableOf is Stable of img's features, as a target.
func StableOf(img image.Image) int {
	plane := Plane(img, TargetOptions)
	return Stable(plane, Extract(plane, TargetOptions))
}

// take shoots plane with the view v: it returns the shot, where a point
// of plane lands in it, and where a point of the shot comes from in plane
// (false outside the shot, or beyond the plane's horizon).
func (v stableView) take(plane *image.Gray) (shot *image.Gray, to, from func(x, y float64) (Point, bool)) {
	w, h := plane.Rect.Dx(), plane.Rect.Dy()
	small := Plane(plane, Options{MaxSide: v.side})
	sw, sh := small.Rect.Dx(), small.Rect.Dy()
	sx, sy := float64(sw)/float64(w), float64(sh)/float64(h)
	// The view's homography, on the small plane's pixel centres: a pinhole
	// camera at distance d (focal length d, so the centre keeps its scale)
	// of the plane turned by tilt about its axis, then turned by turn in
	// the frame. The axis is made vertical first and turned back after.
	t, a, r := v.tilt*math.Pi/180, v.axis*math.Pi/180, (v.axis+v.turn)*math.Pi/180
	d := 1.5 * float64(max(sw, sh))
	cx, cy := float64(sw)/2, float64(sh)/2
	fw := project(float64(sw), float64(sh), t, a, r, d)
	outW, outH := int(math.Ceil(fw.X)), int(math.Ceil(fw.Y))
	// The sines and cosines of the angles, once: the warp below asks for
	// them at every pixel. With no axis turn the maps are exactly those
	// of a tilt about the vertical (sin 0 = 0, cos 0 = 1).
	sinT, cosT, sinA, cosA, sinR, cosR := math.Sin(t), math.Cos(t), math.Sin(a), math.Cos(a), math.Sin(r), math.Cos(r)
	// forward maps a small-plane point to the shot.
	forward := func(x, y float64) (Point, bool) {
		u, q := x-cx, y-cy
		u, q = u*cosA+q*sinA, -u*sinA+q*cosA
		z := u*sinT + d
		if z <= 0 {
			return Point{}, false
		}
		px, py := d*u*cosT/z, d*q/z
		px, py = px*cosR-py*sinR, px*sinR+py*cosR
		p := Point{X: px + float64(outW)/2, Y: py + float64(outH)/2}
		return p, p.X >= 0 && p.Y >= 0 && p.X < float64(outW) && p.Y < float64(outH)
	}
	// backward maps a shot point to the small plane.
	backward := func(x, y float64) (float64, float64) {
		px, py := x-float64(outW)/2, y-float64(outH)/2
		px, py = px*cosR+py*sinR, -px*sinR+py*cosR
		u := d * px / (d*cosT - px*sinT)
		q := py * (u*sinT + d) / d
		u, q = u*cosA-q*sinA, u*sinA+q*cosA
		return u + cx, q + cy
	}
	shot = image.NewGray(image.Rect(0, 0, outW, outH))
	for y := range outH {
		for x := range outW {
			sx, sy := backward(float64(x)+0.5, float64(y)+0.5)
			shot.Pix[y*shot.Stride+x] = bilinear(small, sx-0.5, sy-0.5)
		}
	}
	to = func(x, y float64) (Point, bool) { return forward(x*sx, y*sy) }
	from = func(x, y float64) (Point, bool) {
		px, py := x-float64(outW)/2, y-float64(outH)/2
		px = px*cosR + py*sinR
		if d*cosT-px*sinT <= 0 {
			return Point{}, false
		}
		u, q := backward(x, y)
		p := Point{X: u / sx, Y: q / sy}
		// Within the plane by the 1/16 pixel a record may round up by.
		return p, p.X >= 0 && p.Y >= 0 && p.X < float64(w)-1.0/16 && p.Y < float64(h)-1.0/16
	}
	return shot, to, from
}

// project returns the size of the box the stableView puts a w×h plane in:
// tilted about an axis turned axis from the vertical, then turned by turn
// (angles in radians, turn counted with the axis's).
func project(w, h, tilt, axis, turn, d float64) Point {
	var maxX, maxY float64
	for _, c := range [4][2]float64{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}} {
		u, q := c[0]*math.Cos(axis)+c[1]*math.Sin(axis), -c[0]*math.Sin(axis)+c[1]*math.Cos(axis)
		z := u*math.Sin(tilt) + d
		px, py := d*u*math.Cos(tilt)/z, d*q/z
		px, py = px*math.Cos(turn)-py*math.Sin(turn), px*math.Sin(turn)+py*math.Cos(turn)
		maxX, maxY = max(maxX, math.Abs(px)), max(maxY, math.Abs(py))
	}
	return Point{X: 2 * maxX, Y: 2 * maxY}
}

// bilinear samples g at (x, y), in pixel-centre coordinates; outside it
// is mid grey, a plain background.
func bilinear(g *image.Gray, x, y float64) uint8 {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	if x < 0 || y < 0 || x > float64(w-1) || y > float64(h-1) {
		return 128
	}
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := x-float64(x0), y-float64(y0)
	at := func(x, y int) float64 { return float64(g.Pix[y*g.Stride+x]) }
	top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
	bottom := at(x0, y1)*(1-fx) + at(x1, y1)*fx
	return uint8(top*(1-fy) + bottom*fy + 0.5)
}
