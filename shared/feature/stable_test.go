package feature

import (
	"image"
	"image/color"
	"math"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestStable counts the stable features of the test photos: sharp
// detailed photos keep many, a brick wall (one brick looks like the
// next) few, a blur loses some, and a flat picture has none.
func TestStable(t *testing.T) {
	counts := map[string]int{}
	for _, n := range testphoto.Names() {
		counts[n] = StableOf(testphoto.Image(n))
		t.Logf("%-18s %3d stable", n, counts[n])
	}
	for _, n := range []string{"astronaut", "coffee", "chelsea", "china"} {
		if counts[n] < 55 {
			t.Errorf("%s: %d stable features, want at least 55 for a sharp detailed photo", n, counts[n])
		}
	}
	if counts["brick"] > 20 {
		t.Errorf("brick: %d stable features, want at most 20 for a repetitive picture", counts["brick"])
	}
	if blurred := StableOf(distort.Blur(3)(testphoto.Image("coffee"))); blurred >= counts["coffee"] {
		t.Errorf("coffee blurred: %d stable features, the original %d", blurred, counts["coffee"])
	}
	flat := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range flat.Pix {
		flat.Pix[i] = 90
	}
	if n := StableOf(flat); n != 0 {
		t.Errorf("a flat picture: %d stable features", n)
	}
	if n := StableOf(image.NewGray(image.Rect(0, 0, 8, 8))); n != 0 {
		t.Errorf("an 8×8 picture: %d stable features", n)
	}
}

// TestStableViewGeometry draws bright dots on a dark plane, shoots it
// with each view and checks that where the view says each dot went is
// where the shot is brightest around it.
func TestStableViewGeometry(t *testing.T) {
	plane := image.NewGray(image.Rect(0, 0, 640, 420))
	dots := []image.Point{{100, 80}, {540, 90}, {320, 210}, {90, 350}, {560, 330}}
	for _, d := range dots {
		for y := d.Y - 4; y <= d.Y+4; y++ {
			for x := d.X - 4; x <= d.X+4; x++ {
				plane.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	// The grade's views, and views tilted about turned axes as Enrol's.
	views := append(slices.Clone(stableViews), stableView{tilt: 50, axis: 60, side: 400}, stableView{tilt: 35, axis: 135, turn: 20, side: 300})
	for _, v := range views {
		shot, to, from := v.take(plane)
		for _, d := range dots {
			p, ok := to(float64(d.X)+0.5, float64(d.Y)+0.5)
			if !ok {
				t.Errorf("%+v: dot %v left the shot", v, d)
				continue
			}
			if back, ok := from(p.X, p.Y); !ok || math.Hypot(back.X-float64(d.X)-0.5, back.Y-float64(d.Y)-0.5) > 1e-6 {
				t.Errorf("%+v: dot %v went to (%.1f, %.1f), which comes back from (%.3f, %.3f) %v", v, d, p.X, p.Y, back.X, back.Y, ok)
			}
			// The centroid of the bright pixels near where it went.
			var sx, sy, sum float64
			for y := int(p.Y) - 12; y <= int(p.Y)+12; y++ {
				for x := int(p.X) - 12; x <= int(p.X)+12; x++ {
					if !(image.Point{x, y}.In(shot.Rect)) {
						continue
					}
					if g := float64(shot.GrayAt(x, y).Y); g > 128 {
						sx, sy, sum = sx+g*(float64(x)+0.5), sy+g*(float64(y)+0.5), sum+g
					}
				}
			}
			if sum == 0 {
				t.Errorf("%+v: no dot near (%.1f, %.1f) where %v went", v, p.X, p.Y, d)
				continue
			}
			if dist := math.Hypot(sx/sum-p.X, sy/sum-p.Y); dist > 1 {
				t.Errorf("%+v: dot %v at (%.1f, %.1f) in the shot, said (%.1f, %.1f)", v, d, sx/sum, sy/sum, p.X, p.Y)
			}
		}
	}
}
