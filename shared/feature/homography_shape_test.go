package feature

import (
	"math"
	"math/rand/v2"
	"testing"
)

// triangleByDefinition is the orientation wellShaped tests, its slow
// twin: +1 clockwise on the screen, −1 counter-clockwise, 0 when the
// triangle's height is below minSampleHeight.
func triangleByDefinition(a, b, c Point) int {
	abx, aby, acx, acy := b.X-a.X, b.Y-a.Y, c.X-a.X, c.Y-a.Y
	cross := abx*acy - aby*acx
	bcx, bcy := c.X-b.X, c.Y-b.Y
	long2 := max(abx*abx+aby*aby, acx*acx+acy*acy, bcx*bcx+bcy*bcy)
	if !(cross*cross >= minSampleHeight*minSampleHeight*long2) || long2 == 0 {
		return 0
	}
	if cross > 0 {
		return 1
	}
	return -1
}

// wellShapedByDefinition is wellShaped as its doc defines it: every
// triangle tall in both planes and turning the same way in both.
func wellShapedByDefinition(r *ransac, idx *[4]int) bool {
	for _, tri := range [4][3]int{{0, 1, 2}, {0, 1, 3}, {0, 2, 3}, {1, 2, 3}} {
		a, b, c := idx[tri[0]], idx[tri[1]], idx[tri[2]]
		sf := triangleByDefinition(r.from[a], r.from[b], r.from[c])
		st := triangleByDefinition(r.to[a], r.to[b], r.to[c])
		if sf == 0 || sf != st {
			return false
		}
	}
	return true
}

// TestWellShapedAsDefined holds wellShaped, which works the triangles
// out in its own loop, to its definition on samples of every kind: random points, points
// mapped by a homography (mostly well shaped), mirrored, nearly and
// exactly collinear, repeated, and NaN, infinite or huge coordinates.
func TestWellShapedAsDefined(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	h := camera(fitViews[3].v, targetW, targetH, frameW, frameH)
	odd := []float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e300, -1e300, 0}
	point := func(kind int) Point {
		p := Point{rng.Float64() * targetW, rng.Float64() * targetH}
		switch kind {
		case 1: // on a line, give or take a pixel
			x := rng.Float64() * targetW
			p = Point{x, 0.5*x + 3*rng.Float64()}
		case 2:
			p.X = odd[rng.IntN(len(odd))]
		}
		return p
	}
	accepted, n := 0, 0
	for kind := range 3 {
		for range 20000 {
			var from, to [4]Point
			for k := range from {
				from[k] = point(kind)
				switch rng.IntN(4) {
				case 0: // unrelated
					to[k] = point(kind)
				case 1: // mirrored
					to[k] = Point{targetW - from[k].X, from[k].Y}
				default: // seen by the camera
					to[k], _ = h.Project(from[k])
				}
			}
			if rng.IntN(20) == 0 {
				from[3], to[3] = from[rng.IntN(3)], to[rng.IntN(3)]
			}
			r := &ransac{from: from[:], to: to[:]}
			idx := [4]int{0, 1, 2, 3}
			got, want := r.wellShaped(&idx), wellShapedByDefinition(r, &idx)
			if got != want {
				t.Fatalf("from %v to %v: wellShaped %v, by definition %v", from, to, got, want)
			}
			n++
			if got {
				accepted++
			}
		}
	}
	t.Logf("%d of %d samples well shaped", accepted, n)
	if accepted < n/20 {
		t.Errorf("only %d of %d samples well shaped: the test proves little", accepted, n)
	}
}
