package feature

import "math"

// Point is a position in a picture, in pixels: x to the right, y down.
type Point struct{ X, Y float64 }

// Homography is a projective map between two planes: a 3×3 matrix in
// row-major order. Here it maps the target's plane (pixels of the plane its
// features were extracted from) to the query frame: (x, y) goes to
//
//	((h0·x + h1·y + h2) / w, (h3·x + h4·y + h5) / w),  w = h6·x + h7·y + h8.
//
// A matrix and its multiples by a positive factor are the same map. Its sign
// is not arbitrary: w > 0 on the part of the plane the camera sees, so a
// point with w ≤ 0 is on or beyond the horizon and has no image. The
// homographies FitHomography returns are scaled that way, with h8 = 1 when
// the target's origin is visible.
type Homography [9]float64

// Identity maps every point to itself.
var Identity = Homography{1, 0, 0, 0, 1, 0, 0, 0, 1}

// Project returns the image of p, and false when p has none: when p is on
// or beyond the horizon (w ≤ 0) or its image is not a finite point.
func (h Homography) Project(p Point) (Point, bool) {
	x, y, w := h.apply(p)
	if !(w > 0) {
		return Point{}, false
	}
	q := Point{x / w, y / w}
	if math.IsInf(q.X, 0) || math.IsInf(q.Y, 0) || math.IsNaN(q.X) || math.IsNaN(q.Y) {
		return Point{}, false
	}
	return q, true
}

// apply returns the homogeneous image of p.
func (h *Homography) apply(p Point) (x, y, w float64) {
	return h[0]*p.X + h[1]*p.Y + h[2], h[3]*p.X + h[4]*p.Y + h[5], h[6]*p.X + h[7]*p.Y + h[8]
}

// Mul returns the homography that applies g first, then h.
func (h Homography) Mul(g Homography) Homography {
	var m Homography
	for r := 0; r < 3; r++ {
		for c := 0; c < 3; c++ {
			m[3*r+c] = h[3*r]*g[c] + h[3*r+1]*g[3+c] + h[3*r+2]*g[6+c]
		}
	}
	return m
}

// Corners returns the images of the corners of a w×h target — (0, 0),
// (w, 0), (w, h), (0, h): clockwise from top-left as the target has them —
// and false when one has no image. The target's whole rectangle is then
// in front of the camera: w is affine on the plane, so it is positive
// inside the rectangle when it is at the four corners.
func (h Homography) Corners(width, height int) ([4]Point, bool) {
	var c [4]Point
	w, ht := float64(width), float64(height)
	for i, p := range [4]Point{{0, 0}, {w, 0}, {w, ht}, {0, ht}} {
		q, ok := h.Project(p)
		if !ok {
			return [4]Point{}, false
		}
		c[i] = q
	}
	return c, true
}

// similarity is a Hartley normalisation, p ↦ s·(p − c): it moves a point
// set's centroid c to the origin and its mean distance from c to √2, so
// that the linear systems below are well conditioned whatever the
// pictures' sizes.
type similarity struct{ cx, cy, s float64 }

// normaliser returns the normalisation of pts, and false when the points
// all coincide.
func normaliser(pts []Point) (similarity, bool) {
	var cx, cy float64
	for _, p := range pts {
		cx += p.X
		cy += p.Y
	}
	n := float64(len(pts))
	cx, cy = cx/n, cy/n
	var d float64
	for _, p := range pts {
		d += math.Hypot(p.X-cx, p.Y-cy)
	}
	if !(d > 0) || math.IsInf(d, 0) {
		return similarity{}, false
	}
	return similarity{cx, cy, math.Sqrt2 * n / d}, true
}

func (t similarity) apply(p Point) Point { return Point{t.s * (p.X - t.cx), t.s * (p.Y - t.cy)} }

// matrix returns t as a homography.
func (t similarity) matrix() Homography {
	return Homography{t.s, 0, -t.s * t.cx, 0, t.s, -t.s * t.cy, 0, 0, 1}
}

// inverse returns t's inverse as a homography.
func (t similarity) inverse() Homography {
	return Homography{1 / t.s, 0, t.cx, 0, 1 / t.s, t.cy, 0, 0, 1}
}

// The estimators below work on normalised points and fix h8 = 1, leaving
// eight unknowns. That loses nothing a plausible fit needs: h8 is w at the
// normalised origin, the centroid of the target's matched keypoints, which
// lies inside the target, where a view of it has w > 0. (A fit that needs
// h8 = 0 would put that centroid on the horizon.) It also makes an exact
// 8×8 solve enough for four points, with no SVD.

// dltRows returns the two rows of the linear system a correspondence
// (x, y) -> (u, v) adds, and their right-hand sides:
//
//	h0·x + h1·y + h2 − h6·x·u − h7·y·u = u
//	h3·x + h4·y + h5 − h6·x·v − h7·y·v = v
func dltRows(f, t Point) (r1, r2 [8]float64, u, v float64) {
	x, y, u, v := f.X, f.Y, t.X, t.Y
	return [8]float64{x, y, 1, 0, 0, 0, -x * u, -y * u},
		[8]float64{0, 0, 0, x, y, 1, -x * v, -y * v}, u, v
}

// fromFour returns the homography, h8 = 1, that maps the four normalised
// points f exactly to t, and false when the system is singular (three of
// the points collinear).
func fromFour(f, t *[4]Point) (Homography, bool) {
	var a [8][8]float64
	var b [8]float64
	for i := range 4 {
		a[2*i], a[2*i+1], b[2*i], b[2*i+1] = dltRows(f[i], t[i])
	}
	x, ok := solve8(&a, &b)
	return withH8(x), ok
}

// leastSquares returns the homography, h8 = 1, that best satisfies the
// linear system of all the correspondences f[i] -> t[i] (the algebraic
// least-squares fit, through the normal equations), and false when they
// do not determine one.
func leastSquares(f, t []Point) (Homography, bool) {
	var a [8][8]float64
	var b [8]float64
	for i := range f {
		r1, r2, u, v := dltRows(f[i], t[i])
		for j := range 8 {
			if r1[j] != 0 {
				for k := range 8 {
					a[j][k] += r1[j] * r1[k]
				}
				b[j] += r1[j] * u
			}
			if r2[j] != 0 {
				for k := range 8 {
					a[j][k] += r2[j] * r2[k]
				}
				b[j] += r2[j] * v
			}
		}
	}
	x, ok := solve8(&a, &b)
	return withH8(x), ok
}

func withH8(x [8]float64) Homography {
	return Homography{x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7], 1}
}

// solve8 solves a·x = b by Gaussian elimination with partial pivoting, and
// reports false when a is singular: a pivot vanishing against a's largest
// entry. a and b are overwritten.
func solve8(a *[8][8]float64, b *[8]float64) ([8]float64, bool) {
	var x [8]float64
	var big float64
	for i := range 8 {
		for j := range 8 {
			big = greater(big, math.Abs(a[i][j]))
		}
	}
	if !(big > 0) || math.IsInf(big, 0) {
		return x, false
	}
	for c := range 8 {
		p := c
		for r := c + 1; r < 8; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if math.Abs(a[p][c]) <= 1e-12*big {
			return x, false
		}
		a[c], a[p] = a[p], a[c]
		b[c], b[p] = b[p], b[c]
		for r := c + 1; r < 8; r++ {
			m := a[r][c] / a[c][c]
			for k := c; k < 8; k++ {
				a[r][k] -= m * a[c][k]
			}
			b[r] -= m * b[c]
		}
	}
	for r := 7; r >= 0; r-- {
		s := b[r]
		for k := r + 1; k < 8; k++ {
			s -= a[r][k] * x[k]
		}
		x[r] = s / a[r][r]
	}
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return x, false
		}
	}
	return x, true
}

// greater is max(a, b), NaN when either is, inlined: WebAssembly runs
// Go's max of floats as a call into the runtime, which cost RANSAC a
// tenth of its time there. It differs from max only on zeros of
// opposite signs (max(+0, −0) is +0, greater(+0, −0) is −0), which its
// callers never pass: they compare absolute values and sums of squares,
// +0 or more.
func greater(a, b float64) float64 {
	if a > b || a != a {
		return a
	}
	return b
}
