package feature

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// corners returns the outline of a targetW×targetH target in pose v.
func corners(t *testing.T, v pose) [4]Point {
	t.Helper()
	c, ok := camera(v, targetW, targetH, frameW, frameH).Corners(targetW, targetH)
	if !ok {
		t.Fatalf("%+v: a corner is behind the camera", v)
	}
	return c
}

// TestCheckOutline accepts cameras' synthViews up to 65° and rejects squashed,
// folded, self-intersecting, mirrored, tiny and huge outlines, each for
// its reason.
func TestCheckOutline(t *testing.T) {
	mirror := func(c [4]Point) [4]Point { // the pose of the print's mirror image
		return [4]Point{c[1], c[0], c[3], c[2]}
	}
	rect := func(x, y, w, h float64) [4]Point { return [4]Point{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}} }
	persp65 := corners(t, pose{Tilt: 65, Azimuth: 90, F: 0.7, Dist: 1.2})
	cases := []struct {
		name string
		c    [4]Point
		want error
	}{
		{"facing, 70 % of the frame", corners(t, pose{F: 1, Dist: 1 / 0.7}), nil},
		{"rotated 30°", corners(t, pose{Roll: 30, F: 1, Dist: 1.5}), nil},
		{"upside down, small", corners(t, pose{Roll: 180, F: 1, Dist: 8}), nil},
		{"tilt 20°", corners(t, pose{Tilt: 20, Azimuth: 0, F: 0.8, Dist: 1.2}), nil},
		{"tilt 35° off-centre", corners(t, pose{Tilt: 35, Azimuth: 45, Roll: 10, F: 0.7, Dist: 1.5, U: 0.3, V: -0.3}), nil},
		{"tilt 50°", corners(t, pose{Tilt: 50, Azimuth: 200, F: 0.6, Dist: 1}), nil},
		{"tilt 60° near", corners(t, pose{Tilt: 60, Azimuth: 300, Roll: -40, F: 0.6, Dist: 1}), nil},
		{"tilt 65°", persp65, nil},
		{"cropped: 3 frames", rect(-300, -200, 1100, 840), nil},
		{"squashed", rect(100, 200, 400, 30), ErrOutlineShape},
		{"nearly a triangle", [4]Point{{100, 100}, {300, 98}, {500, 104}, {300, 400}}, ErrOutlineShape},
		{"far side 5 % of the near", [4]Point{{300, 100}, {320, 100}, {620, 400}, {20, 400}}, ErrOutlineShape},
		{"a sliver, turned", [4]Point{{100, 100}, {500, 140}, {510, 160}, {110, 118}}, ErrOutlineShape},
		{"self-intersecting", [4]Point{persp65[0], persp65[1], persp65[3], persp65[2]}, ErrOutlineConvex},
		{"folded (a dart)", [4]Point{{100, 100}, {500, 100}, {300, 200}, {300, 400}}, ErrOutlineConvex},
		{"a corner twice", [4]Point{{100, 100}, {500, 100}, {500, 100}, {100, 400}}, ErrOutlineConvex},
		{"all at one point", [4]Point{{5, 5}, {5, 5}, {5, 5}, {5, 5}}, ErrOutlineConvex},
		{"a NaN corner", [4]Point{{100, 100}, {500, 100}, {math.NaN(), 400}, {100, 400}}, ErrOutlineConvex},
		{"an infinite corner", [4]Point{{100, 100}, {500, 100}, {math.Inf(1), 400}, {100, 400}}, ErrOutlineConvex},
		{"mirrored", mirror(corners(t, pose{Roll: 10, F: 1, Dist: 1.5})), ErrOutlineMirrored},
		{"mirrored at 50°", mirror(corners(t, pose{Tilt: 50, Azimuth: 200, F: 0.6, Dist: 1})), ErrOutlineMirrored},
		{"tiny: 0.4 % of the frame", rect(300, 200, 40, 30), ErrOutlineArea},
		{"huge: 20 frames", rect(-1200, -900, 640*4.5, 480*4.5), ErrOutlineArea},
	}
	for _, c := range cases {
		if err := CheckOutline(c.c, targetW, targetH, frameW, frameH, DefaultOutlineLimits); !errors.Is(err, c.want) {
			t.Errorf("%s %v: %v, want %v", c.name, c.c, err, c.want)
		}
	}
}

// TestCheckOutlineEnvelope checks DefaultOutlineLimits against the
// simulation that chose them: random cameras' synthViews of prints tilted up
// to 65° are all accepted (bar the area bounds), while synthViews at 80 to 85°
// start to be rejected, so the limits are not vacuous.
func TestCheckOutlineEnvelope(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	aspects := []float64{1, 4.0 / 3, 3.0 / 4, 16.0 / 9, 9.0 / 16, 2, 0.5, 3, 1.0 / 3}
	rejected := func(lo, hi float64, n int) (shape, all int) {
		for range n {
			a := aspects[rng.IntN(len(aspects))]
			w, h := 600.0, 600.0/a
			if a < 1 {
				w, h = 600*a, 600
			}
			v := pose{Tilt: lo + (hi-lo)*rng.Float64(), Azimuth: 360 * rng.Float64(), Roll: 360 * rng.Float64(),
				F: 0.6 + 1.4*rng.Float64(), Dist: 1 / (0.05 + 0.95*rng.Float64()),
				U: 0.8 * (rng.Float64() - 0.5), V: 0.8 * (rng.Float64() - 0.5)}
			c, ok := camera(v, w, h, frameW, frameH).Corners(int(w), int(h))
			if !ok {
				t.Fatalf("%+v: a corner is behind the camera", v)
			}
			switch err := CheckOutline(c, int(w), int(h), frameW, frameH, DefaultOutlineLimits); err {
			case nil, ErrOutlineArea:
			default:
				all++
				if err == ErrOutlineShape {
					shape++
				}
			}
		}
		return shape, all
	}
	if _, n := rejected(0, 65, 20000); n > 0 {
		t.Errorf("%d of 20,000 synthViews tilted up to 65° rejected", n)
	}
	if shape, n := rejected(80, 85, 20000); shape < 400 || shape != n {
		t.Errorf("%d of 20,000 synthViews tilted 80 to 85° rejected for their shape, %d in all", shape, n)
	}
}
