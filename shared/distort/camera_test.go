package distort

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

var cameraNames = []string{
	"cam-tilt-20", "cam-tilt-35", "cam-tilt-50", "cam-rotate-30",
	"cam-paste-50", "cam-paste-25", "cam-paste-10", "cam-cover-30", "camera",
}

func TestCameraCatalogueNames(t *testing.T) {
	var names []string
	for _, e := range CameraCatalogue() {
		names = append(names, e.Name)
		if _, ok := e.Locate(Params{}); !ok || !e.Varies() {
			t.Errorf("%s: Locate %v, Varies %v; want both", e.Name, ok, e.Varies())
		}
		if slices.Contains(catalogueNames, e.Name) {
			t.Errorf("%s is a name of Catalogue too", e.Name)
		}
	}
	if !slices.Equal(names, cameraNames) {
		t.Errorf("CameraCatalogue names\n got %q\nwant %q", names, cameraNames)
	}
	for _, e := range Catalogue() {
		if _, ok := e.Locate(Params{}); ok {
			t.Errorf("%s of Catalogue says it reports corners", e.Name)
		}
	}
}

func TestCameraCatalogueIsDeterministic(t *testing.T) {
	src := Scale(0.25)(testphoto.Image("chelsea"))
	scene := Scale(0.25)(testphoto.Image("brick"))
	for _, e := range CameraCatalogue() {
		seen := map[string]bool{} // Locate and With make the same
		for seed := uint64(0); seed < 2; seed++ {
			p := Params{Seed: seed, Scene: scene}
			locate, _ := e.Locate(p)
			a, _ := locate(src)
			if !bytes.Equal(pixels(a), pixels(e.With(p)(src))) {
				t.Errorf("%s, seed %d: two runs differ", e.Name, seed)
			}
			seen[string(pixels(a))] = true
		}
		if len(seen) < 2 {
			t.Errorf("%s: two seeds give one picture", e.Name)
		}
	}
}

// The palette of the quartered test print and its scene.
var (
	quarterColours = [4]color.NRGBA{{230, 30, 30, 255}, {30, 200, 30, 255}, {30, 30, 230, 255}, {230, 230, 30, 255}}
	sceneColour    = color.NRGBA{200, 40, 220, 255}
)

// quartered returns a w×h print whose quarters are the four colours of
// quarterColours, clockwise from the top left: each corner has its own.
func quartered(w, h int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, r := range []image.Rectangle{
		image.Rect(0, 0, w/2, h/2), image.Rect(w/2, 0, w, h/2), image.Rect(w/2, h/2, w, h), image.Rect(0, h/2, w/2, h),
	} {
		draw.Draw(m, r, image.NewUniform(quarterColours[i]), image.Point{}, draw.Src)
	}
	return m
}

// nearestColour returns the index of the colour of the palette nearest to
// c: 0–3 the quarters, 4 the scene.
func nearestColour(c color.NRGBA) int {
	palette := append(quarterColours[:], sceneColour)
	best, bestD := 0, math.Inf(1)
	for i, p := range palette {
		dr, dg, db := float64(c.R)-float64(p.R), float64(c.G)-float64(p.G), float64(c.B)-float64(p.B)
		if d := dr*dr + dg*dg + db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

// TestCameraCornersAreWhereThePrintIs checks the ground truth: just inside
// each reported corner the frame shows that corner's quarter of the print,
// just outside it the scene, and the reported outline covers the share of
// the frame the recipe asks for.
func TestCameraCornersAreWhereThePrintIs(t *testing.T) {
	scene := solid(50, 50, sceneColour)
	areas := map[string]float64{"cam-tilt-20": 0.4, "cam-tilt-35": 0.4, "cam-tilt-50": 0.4, "cam-rotate-30": 0.4,
		"cam-paste-50": 0.5, "cam-paste-25": 0.25, "cam-paste-10": 0.1, "camera": 0.35}
	for _, e := range CameraCatalogue() {
		if e.Name == "cam-cover-30" {
			continue // TestCoverHidesItsShare
		}
		for seed := uint64(0); seed < 4; seed++ {
			size := image.Pt(300, 200) // landscape, then portrait
			if seed%2 == 1 {
				size = image.Pt(150, 260)
			}
			locate, _ := e.Locate(Params{Seed: seed, Scene: scene})
			img, q := locate(quartered(size.X, size.Y))
			checkFrame(t, e.Name, seed, cloneNRGBA(img), q, areas[e.Name])
		}
	}
}

// checkFrame checks one camera frame against its reported corners.
func checkFrame(t *testing.T, name string, seed uint64, out *image.NRGBA, q Quad, area float64) {
	t.Helper()
	if s := out.Rect.Size(); s != image.Pt(FrameLong, FrameShort) && s != image.Pt(FrameShort, FrameLong) {
		t.Errorf("%s, seed %d: frame %v", name, seed, s)
	}
	var cx, cy, shoelace float64
	for i, p := range q {
		cx, cy = cx+p.X/4, cy+p.Y/4
		shoelace += p.X*q[(i+1)%4].Y - q[(i+1)%4].X*p.Y
	}
	covered := math.Abs(shoelace) / 2 / float64(out.Rect.Dx()*out.Rect.Dy())
	// The outline covers the share asked for, or less when that would not
	// fit; never more.
	if covered > area+0.005 || covered < area*0.6 {
		t.Errorf("%s, seed %d: the outline covers %.3f of the frame, want %.2f", name, seed, covered, area)
	}
	for i, p := range q {
		in := image.Pt(int(p.X+0.07*(cx-p.X)), int(p.Y+0.07*(cy-p.Y)))
		if got := nearestColour(out.NRGBAAt(in.X, in.Y)); got != i {
			t.Errorf("%s, seed %d: inside corner %d at %v the frame shows colour %d, want %d", name, seed, i, in, got, i)
		}
		outside := image.Pt(int(p.X-0.05*(cx-p.X)), int(p.Y-0.05*(cy-p.Y)))
		if outside.In(out.Rect) {
			if got := nearestColour(out.NRGBAAt(outside.X, outside.Y)); got != 4 {
				t.Errorf("%s, seed %d: outside corner %d at %v the frame shows colour %d, want the scene", name, seed, i, outside, got)
			}
		}
	}
}

func TestCameraTiltsGrowWithTheAngle(t *testing.T) {
	// The ratio of the far side to the near side of the print's outline:
	// 1 for a print facing the camera, smaller the more it is tilted.
	shrink := func(tilt float64, seed uint64) float64 {
		pl := Shot{Tilt: tilt, Area: 0.4, Seed: seed}.plan(300, 300) // as Take places the corners
		var q Quad
		for i, c := range corners(300, 300) {
			q[i].X, q[i].Y = pl.forward(c.X, c.Y)
		}
		side := func(i int) float64 { return math.Hypot(q[(i+1)%4].X-q[i].X, q[(i+1)%4].Y-q[i].Y) }
		return min(side(0)/side(2), side(2)/side(0), side(1)/side(3), side(3)/side(1))
	}
	for seed := uint64(0); seed < 8; seed++ {
		a, b, c, d := shrink(0, seed), shrink(20, seed), shrink(35, seed), shrink(50, seed)
		if math.Abs(a-1) > 1e-9 || !(b < a && c < b && d < c) || d > 0.8 {
			t.Errorf("seed %d: far/near side at 0°, 20°, 35°, 50° = %.3f %.3f %.3f %.3f", seed, a, b, c, d)
		}
	}
}

func TestCoverHidesItsShare(t *testing.T) {
	src := testphoto.Image("coffee")
	scene := solid(64, 64, sceneColour)
	places := map[image.Rectangle]bool{}
	for seed := uint64(0); seed < 12; seed++ {
		locate, _ := CameraCatalogue()[7].Locate(Params{Seed: seed, Scene: scene})
		img, q := locate(src)
		out, in := cloneNRGBA(img), cloneNRGBA(src)
		if q != corners(480, 320) {
			t.Errorf("seed %d: corners %v, want the picture's own", seed, q)
		}
		changed := image.Rectangle{}
		hidden := 0
		for y := 0; y < 320; y++ {
			for x := 0; x < 480; x++ {
				if out.NRGBAAt(x, y) == in.NRGBAAt(x, y) {
					continue
				}
				if out.NRGBAAt(x, y) != sceneColour {
					t.Fatalf("seed %d: (%d, %d) changed to %v, not the scene", seed, x, y, out.NRGBAAt(x, y))
				}
				hidden++
				changed = changed.Union(image.Rect(x, y, x+1, y+1))
			}
		}
		if share := float64(hidden) / (480 * 320); math.Abs(share-0.3) > 0.01 || hidden != changed.Dx()*changed.Dy() {
			t.Errorf("seed %d: %.3f of the picture hidden in %v, want a 30 %% block", seed, share, changed)
		}
		places[changed] = true
	}
	if len(places) < 10 {
		t.Errorf("12 seeds hide %d different blocks", len(places))
	}
}
