package luma

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"testing"
)

func randomGray(rng *rand.Rand, w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(rng.IntN(256))
	}
	return g
}

// TestFromImageAgreesAcrossTypes checks that the same colours stored as
// different image types reduce to the same plane.
func TestFromImageAgreesAcrossTypes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	w, h := 97, 61
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255}
			nrgba.SetNRGBA(x, y, c)
			rgba.Set(x, y, c)
		}
	}
	generic := &wrapped{nrgba}
	for _, maxSide := range []int{0, 50, 32, 7} {
		a, b, c := FromImage(nrgba, maxSide), FromImage(rgba, maxSide), FromImage(generic, maxSide)
		if !equal(a, b) || !equal(a, c) {
			t.Errorf("maxSide %d: NRGBA, RGBA and generic planes differ", maxSide)
		}
		d := FromNRGBA(nrgba.Pix, w, h, maxSide)
		if !equal(a, d) {
			t.Errorf("maxSide %d: FromNRGBA differs from FromImage", maxSide)
		}
		if maxSide > 0 && max(a.Rect.Dx(), a.Rect.Dy()) > maxSide {
			t.Errorf("maxSide %d: plane is %v", maxSide, a.Rect)
		}
	}
}

// wrapped hides the concrete type, forcing the generic path.
type wrapped struct{ image.Image }

func equal(a, b *image.Gray) bool {
	if a.Rect != b.Rect {
		return false
	}
	for i := range a.Pix {
		if a.Pix[i] != b.Pix[i] {
			return false
		}
	}
	return true
}

func TestTransparentIsWhite(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{0, 0, 0, 0})    // transparent black
	img.SetNRGBA(1, 0, color.NRGBA{0, 0, 0, 0x80}) // half transparent black
	g := FromImage(img, 0)
	if g.Pix[0] != 255 {
		t.Errorf("transparent pixel: %d, want 255", g.Pix[0])
	}
	if g.Pix[1] < 125 || g.Pix[1] > 129 {
		t.Errorf("half transparent black: %d, want ~127", g.Pix[1])
	}
	rgba := image.NewRGBA(image.Rect(0, 0, 2, 1))
	rgba.Set(0, 0, color.NRGBA{0, 0, 0, 0})
	rgba.Set(1, 0, color.NRGBA{0, 0, 0, 0x80})
	if h := FromImage(rgba, 0); h.Pix[0] != g.Pix[0] || diff(h.Pix[1], g.Pix[1]) > 1 {
		t.Errorf("premultiplied %v, straight %v", h.Pix, g.Pix)
	}
}

// TestResampleMatchesAreaMean compares Resample with a floating-point
// area average computed independently.
func TestResampleMatchesAreaMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	src := randomGray(rng, 53, 37)
	tests := []struct {
		r    image.Rectangle
		w, h int
	}{
		{src.Rect, 64, 64}, {src.Rect, 10, 7}, {image.Rect(3, 5, 50, 30), 16, 16},
		{src.Rect, 53, 37}, {image.Rect(0, 0, 1, 1), 4, 4},
	}
	for _, tt := range tests {
		got := Resample(src, tt.r, tt.w, tt.h)
		for oy := 0; oy < tt.h; oy++ {
			for ox := 0; ox < tt.w; ox++ {
				want := areaMean(src, tt.r, tt.w, tt.h, ox, oy)
				if math.Abs(float64(got.GrayAt(ox, oy).Y)-want) > 0.5+1e-9 {
					t.Fatalf("%v→%d×%d at (%d,%d): %d, want %.3f", tt.r, tt.w, tt.h, ox, oy, got.GrayAt(ox, oy).Y, want)
				}
			}
		}
	}
	if src.Rect.Dx() == 53 && !equal(Resample(src, src.Rect, 53, 37), src) {
		t.Error("resampling to the same size changed the plane")
	}
}

func areaMean(src *image.Gray, r image.Rectangle, w, h, ox, oy int) float64 {
	sx, sy := float64(r.Dx())/float64(w), float64(r.Dy())/float64(h)
	x0, x1 := float64(ox)*sx, float64(ox+1)*sx
	y0, y1 := float64(oy)*sy, float64(oy+1)*sy
	var sum, area float64
	for y := int(y0); float64(y) < y1; y++ {
		for x := int(x0); float64(x) < x1; x++ {
			a := (math.Min(x1, float64(x+1)) - math.Max(x0, float64(x))) * (math.Min(y1, float64(y+1)) - math.Max(y0, float64(y)))
			sum += a * float64(src.GrayAt(r.Min.X+x, r.Min.Y+y).Y)
			area += a
		}
	}
	return sum / area
}

func TestDihedralGroup(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	src := randomGray(rng, 5, 3)
	seen := map[string]Dihedral{}
	for _, d := range Dihedrals {
		out := d.Apply(src)
		if d%2 == 1 && (out.Rect.Dx() != 3 || out.Rect.Dy() != 5) {
			t.Errorf("%d: quarter turn gave %v", d, out.Rect)
		}
		key := out.Rect.String() + string(out.Pix)
		if prev, dup := seen[key]; dup {
			t.Errorf("%d and %d give the same picture", d, prev)
		}
		seen[key] = d
		if back := d.Inverse().Apply(out); !equal(back, src) {
			t.Errorf("%d followed by its inverse %d is not the identity", d, d.Inverse())
		}
	}
	// A counter-clockwise quarter turn moves the top-right corner to the top-left.
	r := Rotate90.Apply(src)
	if r.GrayAt(0, 0) != src.GrayAt(4, 0) {
		t.Error("Rotate90 does not turn counter-clockwise")
	}
	m := Mirror.Apply(src)
	if m.GrayAt(0, 0) != src.GrayAt(4, 0) || m.GrayAt(0, 2) != src.GrayAt(4, 2) {
		t.Error("Mirror does not flip left to right")
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func BenchmarkFromImage(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewYCbCr(image.Rect(0, 0, 1024, 768), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = uint8(rng.IntN(256))
	}
	for b.Loop() {
		FromImage(img, 256)
	}
}

// TestIntegralResampleIsResample: the summed-area table resamples to the
// same pixels as Resample.
func TestIntegralResampleIsResample(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range [][2]int{{53, 37}, {256, 192}, {1, 1}, {300, 7}} {
		src := randomGray(rng, size[0], size[1])
		table := NewIntegral(src)
		for range 40 {
			x0, y0 := rng.IntN(size[0]), rng.IntN(size[1])
			r := image.Rect(x0, y0, x0+1+rng.IntN(size[0]-x0), y0+1+rng.IntN(size[1]-y0))
			w, h := 1+rng.IntN(70), 1+rng.IntN(70)
			if !equal(table.Resample(r, w, h), Resample(src, r, w, h)) {
				t.Fatalf("%v: %v → %d×%d differs from Resample", size, r, w, h)
			}
		}
	}
}

// TestTurnedUndoesATurn: sampling a turned picture turned back gives the
// upright picture's window, up to interpolation.
func TestTurnedUndoesATurn(t *testing.T) {
	// A smooth pattern, so that interpolation errors stay small.
	pattern := func(x, y float64) float64 {
		return 128 + 60*math.Sin(x/9) + 50*math.Cos(y/13+x/31)
	}
	const w, h = 240, 180
	cx, cy := float64(w)/2, float64(h)/2
	for _, deg := range []float64{0, 3, -7, 12} {
		turned := image.NewGray(image.Rect(0, 0, w, h))
		sin, cos := math.Sincos(deg * math.Pi / 180)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				// The turned picture at (x, y) shows the upright picture at
				// that point turned back.
				u, v := float64(x)+0.5-cx, float64(y)+0.5-cy
				turned.Pix[y*w+x] = uint8(math.Round(pattern(cx+u*cos-v*sin, cy+u*sin+v*cos)))
			}
		}
		got := NewIntegral(turned).Turned(cx, cy, 0.8*w, 0.8*h, deg, 32)
		worst := 0.0
		for oy := 0; oy < 32; oy++ {
			for ox := 0; ox < 32; ox++ {
				x := cx - 0.4*w + (float64(ox)+0.5)*0.8*w/32
				y := cy - 0.4*h + (float64(oy)+0.5)*0.8*h/32
				worst = math.Max(worst, math.Abs(got[oy*32+ox]-pattern(x, y)))
			}
		}
		if worst > 12 {
			t.Errorf("%v°: turned back, a pixel is %.1f grey levels off", deg, worst)
		}
	}
}
