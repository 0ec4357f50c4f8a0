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

// The names the benchmark report uses, in its order.
var catalogueNames = []string{
	"jpeg-q20", "jpeg-q50", "resize-25", "resize-50", "blur-2", "noise-12",
	"brightness+30", "brightness-30", "gamma-0.5", "text", "logo",
	"rotate-2", "rotate-5", "rotate-10", "crop-5", "crop-10", "crop-20",
	"offcrop-80", "offcrop-60", "border-10", "border-25", "mirror",
	"rotate-90", "rotate-180", "rotate-270", "screenshot", "tilt-10", "tilt-20",
	"paste-50", "paste-25",
}

func TestCatalogueNames(t *testing.T) {
	var names []string
	for _, e := range Catalogue() {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, catalogueNames) {
		t.Errorf("Catalogue names\n got %q\nwant %q", names, catalogueNames)
	}
}

func TestCatalogueSizes(t *testing.T) {
	src := testphoto.Image("coffee") // 480×320
	if got := src.Bounds().Size(); got != image.Pt(480, 320) {
		t.Fatalf("coffee is %v, the table below assumes 480×320", got)
	}
	want := map[string]image.Point{
		"resize-25":  {120, 80},
		"resize-50":  {240, 160},
		"crop-5":     {432, 288},
		"crop-10":    {384, 256},
		"crop-20":    {288, 192},
		"offcrop-80": {384, 256},
		"offcrop-60": {288, 192},
		"border-10":  {576, 384},
		"border-25":  {720, 480},
		"rotate-90":  {320, 480},
		"rotate-270": {320, 480},
		"screenshot": {322, 216}, // 336×224, less 2 % (7 and 4 px) per side
		"paste-50":   {679, 453}, // ×√2
		"paste-25":   {960, 640}, // ×2
	}
	scene := testphoto.Image("grass")
	for _, e := range Catalogue() {
		got := e.With(Params{Seed: 3, Scene: scene})(src).Bounds().Size()
		w, ok := want[e.Name]
		if !ok {
			w = image.Pt(480, 320)
		}
		if e.Name == "tilt-10" || e.Name == "tilt-20" {
			continue // checked in TestTilt
		}
		if got != w {
			t.Errorf("%s: size %v, want %v", e.Name, got, w)
		}
	}
}

// pixels returns img's pixels as NRGBA bytes, for comparing pictures.
func pixels(img image.Image) []byte { return cloneNRGBA(img).Pix }

func TestCatalogueIsDeterministic(t *testing.T) {
	src := Scale(0.5)(testphoto.Image("chelsea"))
	scene := testphoto.Image("brick")
	for _, e := range Catalogue() {
		for _, seed := range []uint64{1, 12345} {
			p := Params{Seed: seed, Scene: scene}
			a, b := pixels(e.With(p)(src)), pixels(e.With(p)(src))
			if !bytes.Equal(a, b) {
				t.Errorf("%s, seed %d: two runs differ", e.Name, seed)
			}
		}
		if !bytes.Equal(pixels(e.Apply(src)), pixels(e.With(Params{})(src))) {
			t.Errorf("%s: Apply differs from With(Params{})", e.Name)
		}
	}
}

func TestSeedsVary(t *testing.T) {
	src := Scale(0.5)(testphoto.Image("astronaut"))
	scene := testphoto.Image("gravel")
	for _, e := range Catalogue() {
		if !e.Varies() {
			continue
		}
		seen := map[string]bool{}
		for seed := uint64(0); seed < 8; seed++ {
			seen[string(pixels(e.With(Params{Seed: seed, Scene: scene})(src)))] = true
		}
		if len(seen) < 2 {
			t.Errorf("%s: eight seeds give one picture", e.Name)
		}
	}
}

// meanAbsDiff returns the mean absolute difference of the RGB channels of
// two pictures of the same size.
func meanAbsDiff(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	pa, pb := cloneNRGBA(a), cloneNRGBA(b)
	if pa.Rect != pb.Rect {
		t.Fatalf("sizes differ: %v and %v", pa.Rect, pb.Rect)
	}
	var sum float64
	for i := 0; i < len(pa.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			sum += math.Abs(float64(pa.Pix[i+c]) - float64(pb.Pix[i+c]))
		}
	}
	return sum / float64(len(pa.Pix)/4*3)
}

func TestEditsChangeThePictureByTheirKind(t *testing.T) {
	src := testphoto.Image("coffee")
	for _, tc := range []struct {
		name     string
		edit     func(image.Image) image.Image
		min, max float64 // bounds of the mean absolute difference, grey levels
	}{
		{"rotate-0 is the identity", RotateBy(0), 0, 0.01},
		{"rotate-2 is not", RotateBy(2), 3, 60},
		{"blur-2 softens", Blur(2), 1, 20},
		{"blur-0.5 softens less", Blur(0.5), 0.2, 5},
		{"noise-12 adds about 12·√(2/π) ≈ 9.6", Noise(12, 7), 7, 11},
		{"gamma-1 is the identity", Gamma(1), 0, 0},
		{"gamma-0.5 darkens", Gamma(0.5), 10, 80},
		{"jpeg-q20 is lossy", JPEG(20), 1, 15},
		{"text covers a little", Text("SAMPLE"), 1, 25},
		{"logo covers a little", Logo(0), 1, 25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if d := meanAbsDiff(t, src, tc.edit(src)); d < tc.min || d > tc.max {
				t.Errorf("mean difference %.3f, want within [%g, %g]", d, tc.min, tc.max)
			}
		})
	}
}

// solid returns a w×h picture of one colour.
func solid(w, h int, c color.Color) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(m, m.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return m
}

func TestRotateByBlackensTheCorners(t *testing.T) {
	out := cloneNRGBA(RotateBy(10)(solid(200, 100, color.White)))
	if got := out.NRGBAAt(0, 0); got != (color.NRGBA{0, 0, 0, 255}) {
		t.Errorf("corner after rotation is %v, want black", got)
	}
	if got := out.NRGBAAt(100, 50); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("centre after rotation is %v, want white", got)
	}
}

func TestBlurKeepsFlatAreasAndWeights(t *testing.T) {
	for _, sigma := range []float64{0.5, 2, 5} {
		var sum float32
		for _, w := range gaussian(sigma) {
			sum += w
		}
		if math.Abs(float64(sum)-1) > 1e-5 {
			t.Errorf("σ %g: weights sum to %g", sigma, sum)
		}
	}
	grey := color.NRGBA{90, 120, 200, 255}
	out := cloneNRGBA(Blur(2)(solid(40, 30, grey)))
	for _, p := range []image.Point{{0, 0}, {39, 29}, {20, 15}} {
		if got := out.NRGBAAt(p.X, p.Y); got != grey {
			t.Errorf("flat picture blurred: %v at %v, want %v", got, p, grey)
		}
	}
}

func TestGammaTable(t *testing.T) {
	out := cloneNRGBA(Gamma(0.5)(solid(1, 1, color.NRGBA{0, 128, 255, 255})))
	if got, want := out.NRGBAAt(0, 0), (color.NRGBA{0, 64, 255, 255}); got != want {
		t.Errorf("gamma 0.5 of (0, 128, 255) = %v, want %v", got, want)
	}
}

func TestCropCornerKeepsACorner(t *testing.T) {
	src := testphoto.Image("camera")
	b := src.Bounds()
	corners := map[image.Point]bool{}
	for seed := uint64(0); seed < 16; seed++ {
		out := CropCorner(0.6, seed)(src)
		w, h := out.Bounds().Dx(), out.Bounds().Dy()
		found := false
		for _, at := range []image.Point{{0, 0}, {b.Dx() - w, 0}, {0, b.Dy() - h}, {b.Dx() - w, b.Dy() - h}} {
			if bytes.Equal(pixels(out), pixels(copyRect(src, image.Rectangle{Min: at, Max: at.Add(image.Pt(w, h))}))) {
				corners[at] = true
				found = true
			}
		}
		if !found {
			t.Errorf("seed %d: the crop is no corner of the picture", seed)
		}
	}
	if len(corners) != 4 {
		t.Errorf("16 seeds reach %d corners, want all 4", len(corners))
	}
}

// whiteRun returns the length of the longest run of bright pixels in row
// y, or in column x when y < 0.
func whiteRun(m *image.NRGBA, x, y int) int {
	n, best := m.Rect.Dx(), 0
	if y < 0 {
		n = m.Rect.Dy()
	}
	run := 0
	for i := 0; i < n; i++ {
		var c color.NRGBA
		if y >= 0 {
			c = m.NRGBAAt(i, y)
		} else {
			c = m.NRGBAAt(x, i)
		}
		if c.R > 200 {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// ratio returns the shorter of two lengths over the longer.
func ratio(a, b int) float64 { return float64(min(a, b)) / float64(max(a, b)) }

func TestTilt(t *testing.T) {
	axes := map[bool]bool{} // whether the picture turned about its vertical line
	for seed := uint64(0); seed < 8; seed++ {
		for _, deg := range []float64{10, 20} {
			out := cloneNRGBA(Tilt(deg, seed)(solid(300, 200, color.White)))
			w, h := out.Rect.Dx(), out.Rect.Dy()
			// The near and far sides are the outermost rows when the
			// picture turned about its horizontal middle line, the
			// outermost columns when about its vertical one: the pair
			// whose shorter side is the longer share of the canvas.
			top, bottom := whiteRun(out, 0, 1), whiteRun(out, 0, h-2)
			left, right := whiteRun(out, 1, -1), whiteRun(out, w-2, -1)
			tilt := ratio(top, bottom)
			vertical := float64(min(left, right))/float64(h) > float64(min(top, bottom))/float64(w)
			if vertical {
				tilt = ratio(left, right)
			}
			axes[vertical] = true
			lo, hi := 0.85, 0.95 // 10°
			if deg == 20 {
				lo, hi = 0.72, 0.85
			}
			if tilt < lo || tilt > hi {
				t.Errorf("seed %d, %g°: far/near side = %.3f, want within [%g, %g]", seed, deg, tilt, lo, hi)
			}
		}
	}
	if len(axes) != 2 {
		t.Errorf("eight seeds tilt about %d axes, want both", len(axes))
	}
}

func TestPasteCoversItsArea(t *testing.T) {
	for _, area := range []float64{0.5, 0.25} {
		out := cloneNRGBA(Paste(solid(100, 100, color.Black), area, 9)(solid(120, 80, color.White)))
		white := 0
		for i := 0; i < len(out.Pix); i += 4 {
			if out.Pix[i] == 255 {
				white++
			}
		}
		if got := float64(white) / float64(out.Rect.Dx()*out.Rect.Dy()); math.Abs(got-area) > 0.01 {
			t.Errorf("area %g: the picture covers %.3f of the result", area, got)
		}
	}
}

func TestOverlaysStayInPlace(t *testing.T) {
	src := solid(400, 300, color.NRGBA{40, 80, 120, 255})
	text := cloneNRGBA(Text("SAMPLE")(src))
	for y := 0; y < 300*5/7; y++ {
		for x := 0; x < 400; x++ {
			if text.NRGBAAt(x, y) != src.NRGBAAt(x, y) {
				t.Fatalf("text changed (%d, %d), above the bottom seventh", x, y)
			}
		}
	}
	logo := cloneNRGBA(Logo(0)(src))
	changed := image.Rectangle{}
	for y := 0; y < 300; y++ {
		for x := 0; x < 400; x++ {
			if logo.NRGBAAt(x, y) != src.NRGBAAt(x, y) {
				changed = changed.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	if changed.Empty() || changed.Dx() > 300/4 || changed.Dy() > 300/4 {
		t.Errorf("the logo changed %v, want a box at most 75 px square", changed)
	}
}
