package feature

import (
	"fmt"
	"image"
	"math"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// heldOut are the test photos shared/internal/brieftrain does not learn
// the pattern from: the photos the pattern is measured on.
var heldOut = []string{"astronaut", "chelsea", "china", "coffee"}

// An edit is a shared/distort edit and where it moves the points of the
// picture.
type edit struct {
	name  string
	apply func(image.Image) image.Image
	// to maps a point of a w×h picture, in continuous coordinates (the
	// top-left pixel covers [0, 1)²), to the edited picture; it is
	// given the edited picture to choose among the edit's variants.
	to func(w, h int, edited image.Image, orig image.Image) func(x, y float64) (float64, float64)
}

// identity is the map of edits that move nothing.
func identity(int, int, image.Image, image.Image) func(x, y float64) (float64, float64) {
	return func(x, y float64) (float64, float64) { return x, y }
}

// edits are the edits the extractor is measured under: turned 30° in
// the frame, halved, tilted 30° in perspective, JPEG quality 50 and a
// blur of σ 1.5.
func edits() []edit {
	return []edit{
		{"rotate-30", distort.RotateBy(30), turned(30)},
		{"scale-0.5", distort.Scale(0.5), scaled},
		{"tilt-30", distort.Tilt(30, 1), tilted(30)},
		{"jpeg-q50", distort.JPEG(50), identity},
		{"blur-1.5", distort.Blur(1.5), identity},
	}
}

// turned is the map of distort.RotateBy: about the picture's centre,
// counter-clockwise on the screen for a positive angle.
func turned(degrees float64) func(int, int, image.Image, image.Image) func(x, y float64) (float64, float64) {
	return func(w, h int, _, _ image.Image) func(x, y float64) (float64, float64) {
		sin, cos := math.Sincos(-degrees * math.Pi / 180)
		cx, cy := float64(w)/2, float64(h)/2
		return func(x, y float64) (float64, float64) {
			x, y = x-cx, y-cy
			return cos*x - sin*y + cx, sin*x + cos*y + cy
		}
	}
}

// scaled is the map of distort.Scale: the edited picture's size over the
// original's, along each axis.
func scaled(w, h int, edited, _ image.Image) func(x, y float64) (float64, float64) {
	sx, sy := float64(edited.Bounds().Dx())/float64(w), float64(edited.Bounds().Dy())/float64(h)
	return func(x, y float64) (float64, float64) { return x * sx, y * sy }
}

// tilted is the map of distort.Tilt, which seeds its choice of axis and
// direction: each of the four is tried, and the one whose projection of
// the original best agrees with the edited picture is taken.
func tilted(degrees float64) func(int, int, image.Image, image.Image) func(x, y float64) (float64, float64) {
	return func(w, h int, edited, orig image.Image) func(x, y float64) (float64, float64) {
		a, b := luma.FromImage(orig, 0), luma.FromImage(edited, 0)
		var best func(x, y float64) (float64, float64)
		bestErr := math.Inf(1)
		for side := range 4 {
			f := tiltMap(w, h, degrees, side)
			if e := disagreement(a, b, f); e < bestErr {
				best, bestErr = f, e
			}
		}
		return best
	}
}

// tiltMap is distort.Tilt's projection for one of its four choices:
// about the horizontal middle line (0, 1) or the vertical one (2, 3),
// the bottom or the top receding.
func tiltMap(w, h int, degrees float64, side int) func(x, y float64) (float64, float64) {
	fw, fh := float64(w), float64(h)
	if side >= 2 {
		fw, fh = fh, fw
	}
	theta, dist := degrees*math.Pi/180, 1.5*fh
	if side%2 == 1 {
		theta = -theta
	}
	sin, cos := math.Sincos(theta)
	forward := func(x, y float64) (float64, float64) {
		z := dist + y*sin
		return dist * x / z, dist * y * cos / z
	}
	minU, minV := math.Inf(1), math.Inf(1)
	for _, c := range [4][2]float64{{-fw / 2, -fh / 2}, {fw / 2, -fh / 2}, {-fw / 2, fh / 2}, {fw / 2, fh / 2}} {
		u, v := forward(c[0], c[1])
		minU, minV = min(minU, u), min(minV, v)
	}
	return func(x, y float64) (float64, float64) {
		if side >= 2 {
			x, y = y, x
		}
		u, v := forward(x-fw/2, y-fh/2)
		u, v = u-minU, v-minV
		if side >= 2 {
			u, v = v, u
		}
		return u, v
	}
}

// disagreement returns the mean absolute grey difference between a and
// b where f maps a's pixels into b (in continuous coordinates), over the
// pixels that land in b; 255 if none does.
func disagreement(a, b *image.Gray, f func(x, y float64) (float64, float64)) float64 {
	var sum float64
	n := 0
	for y := 2; y < a.Rect.Dy()-2; y += 7 {
		for x := 2; x < a.Rect.Dx()-2; x += 7 {
			u, v := f(float64(x)+0.5, float64(y)+0.5)
			bx, by := int(math.Floor(u)), int(math.Floor(v))
			if bx < 0 || by < 0 || bx >= b.Rect.Dx() || by >= b.Rect.Dy() {
				continue
			}
			sum += math.Abs(float64(a.GrayAt(x, y).Y) - float64(b.GrayAt(bx, by).Y))
			n++
		}
	}
	if n == 0 {
		return 255
	}
	return sum / float64(n)
}

// A view is a held-out photo's plane and an edit of it, with the map
// between their pixel coordinates (pixel centres at whole numbers).
type view struct {
	photo, edit string
	a, b        *image.Gray
	to          func(x, y float64) (float64, float64)
}

var (
	viewsOnce sync.Once
	allViews  []view
)

// views returns every measured photo under every edit, made once.
func views(t testing.TB) []view {
	viewsOnce.Do(func() {
		for _, name := range measuredPhotos() {
			img := testphoto.Image(name)
			a := Plane(img, TargetOptions)
			w, h := img.Bounds().Dx(), img.Bounds().Dy()
			for _, e := range edits() {
				out := e.apply(img)
				f := e.to(w, h, out, img)
				allViews = append(allViews, view{
					photo: name, edit: e.name, a: a, b: Plane(out, TargetOptions),
					to: func(x, y float64) (float64, float64) {
						u, v := f(x+0.5, y+0.5)
						return u - 0.5, v - 0.5
					},
				})
			}
		}
	})
	if len(allViews) == 0 {
		t.Fatal("no views")
	}
	return allViews
}

// TestViewsMapTruly checks the maps the measurements rely on: where a
// view maps the pixels of the original, the edited picture agrees with
// them better than 2 pixels off in any direction.
func TestViewsMapTruly(t *testing.T) {
	for _, v := range views(t) {
		if msg := mapsTruly(v.a, v.b, v.to); msg != "" {
			t.Errorf("%s %s: %s", v.photo, v.edit, msg)
		}
	}
}

// TestShotsMapTruly checks the maps of the camera shots the same way.
func TestShotsMapTruly(t *testing.T) {
	for _, c := range captures(measuredPhotos()) {
		if msg := mapsTruly(c.a, c.frame, c.to); msg != "" {
			t.Errorf("%s %s: %s", c.target, c.shot, msg)
		}
	}
}

// mapsTruly returns "" if to, from a's pixel coordinates to b's, makes a
// and b agree better than to shifted by 2 pixels each way; else what it
// found.
func mapsTruly(a, b *image.Gray, to func(x, y float64) (float64, float64)) string {
	at := func(dx, dy float64) func(x, y float64) (float64, float64) {
		return func(x, y float64) (float64, float64) {
			u, v := to(x-0.5, y-0.5)
			return u + 0.5 + dx, v + 0.5 + dy // disagreement works in pixel areas
		}
	}
	d := disagreement(a, b, at(0, 0))
	for _, s := range [4][2]float64{{2, 0}, {-2, 0}, {0, 2}, {0, -2}} {
		if off := disagreement(a, b, at(s[0], s[1])); off <= d {
			return fmt.Sprintf("mean difference %.1f grey levels where the map points, %.1f shifted by %v", d, off, s)
		}
	}
	return ""
}
