package subject

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// planeSide is the plane size callers are expected to pass.
const planeSide = 256

// detectOn runs Detect on img's 256-pixel plane and returns the region in
// img's pixels.
func detectOn(img image.Image) image.Rectangle {
	g := luma.FromImage(img, planeSide)
	return Scale(Detect(g), g.Rect.Size(), img.Bounds().Size())
}

// iou returns the intersection over union of two rectangles.
func iou(a, b image.Rectangle) float64 {
	in := a.Intersect(b)
	inter := float64(in.Dx() * in.Dy())
	union := float64(a.Dx()*a.Dy()+b.Dx()*b.Dy()) - inter
	if union == 0 {
		return 1
	}
	return inter / union
}

// coverage returns the share of frame's area that r covers.
func coverage(r, frame image.Rectangle) float64 {
	in := r.Intersect(frame)
	return float64(in.Dx()*in.Dy()) / float64(frame.Dx()*frame.Dy())
}

// A placement puts a photo on a canvas: the share, in percent, of the free
// space left of and above the photo.
type placement struct{ fx, fy int }

// placements are off-centre positions that leave at least a few percent
// of canvas on every side.
var placements = []placement{{15, 20}, {85, 30}, {30, 85}}

// canvases are the plain backgrounds products are shown on.
var canvases = []struct {
	name string
	c    color.Gray
}{{"white", color.Gray{255}}, {"grey", color.Gray{128}}}

// scaledPhotos caches scaledToArea, which the tests call for the same
// photo and area many times.
var scaledPhotos = map[struct {
	photo image.Image
	area  float64
}]image.Image{}

// scaledToArea returns photo scaled to about area pixels.
func scaledToArea(photo image.Image, area float64) image.Image {
	key := struct {
		photo image.Image
		area  float64
	}{photo, area}
	if img, ok := scaledPhotos[key]; ok {
		return img
	}
	b := photo.Bounds()
	img := distort.Scale(math.Sqrt(area / float64(b.Dx()*b.Dy())))(photo)
	scaledPhotos[key] = img
	return img
}

// composite pastes photo, scaled to 40% of the area of a 640×480 canvas of
// colour c, at position at, and returns the picture and where the photo lies.
func composite(photo image.Image, c color.Color, at placement) (image.Image, image.Rectangle) {
	const cw, ch = 640, 480
	scaled := scaledToArea(photo, 0.4*cw*ch)
	sb := scaled.Bounds()
	x := (cw - sb.Dx()) * at.fx / 100
	y := (ch - sb.Dy()) * at.fy / 100
	where := image.Rect(x, y, x+sb.Dx(), y+sb.Dy())
	dst := image.NewRGBA(image.Rect(0, 0, cw, ch))
	draw.Draw(dst, dst.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	draw.Draw(dst, where, scaled, sb.Min, draw.Src)
	return dst, where
}

// TestProductOnPlainBackground pastes every test photo onto white and grey
// canvases and expects the detected region to match the pasted rectangle.
func TestProductOnPlainBackground(t *testing.T) {
	for _, bg := range canvases {
		for _, name := range testphoto.Names() {
			for _, at := range placements {
				img, want := composite(testphoto.Image(name), bg.c, at)
				got := detectOn(img)
				score := iou(got, want)
				t.Logf("%-5s %-20s at %2d,%2d: pasted %v found %v IoU %.3f", bg.name, name, at.fx, at.fy, want, got, score)
				if score < 0.85 {
					t.Errorf("%s on %s at %v: IoU %.3f < 0.85 (pasted %v, found %v)", name, bg.name, at, score, want, got)
				}
			}
		}
	}
}

// TestFullFramePhotos expects photos with no plain surround to be their own
// subject, for all but a few whose background really is plain.
func TestFullFramePhotos(t *testing.T) {
	names := testphoto.Names()
	whole := 0
	for _, name := range names {
		img := testphoto.Image(name)
		got := detectOn(img)
		cov := coverage(got, img.Bounds())
		t.Logf("%-20s %v in %v: covers %.3f", name, got, img.Bounds(), cov)
		if cov >= 0.9 {
			whole++
		}
	}
	t.Logf("%d of %d photos covered at least 90%%", whole, len(names))
	if whole < 11 {
		t.Errorf("only %d of %d full-frame photos were kept (nearly) whole, want at least 11", whole, len(names))
	}
}

// An edit changes a composite. back, if set, maps a region found on the
// result back into the composite's pixels; without it the edit keeps the
// geometry.
type edit struct {
	name  string
	apply func(image.Image) image.Image
	back  func(r image.Rectangle, orig, edited image.Rectangle) image.Rectangle
}

// rescaled maps back edits that change the size.
func rescaled(r, orig, edited image.Rectangle) image.Rectangle {
	return Scale(r, edited.Size(), orig.Size())
}

// unframed maps back a 10% border.
func unframed(r, orig, _ image.Rectangle) image.Rectangle {
	bx, by := int(float64(orig.Dx())*0.1+0.5), int(float64(orig.Dy())*0.1+0.5)
	return r.Sub(image.Pt(bx, by)).Intersect(orig)
}

var edits = []edit{
	{"jpeg-q40", distort.JPEG(40), nil},
	{"resize-50", distort.Scale(0.5), rescaled},
	{"brightness+30", distort.Brightness(1.3), nil},
	{"border-10-black", distort.Border(0.1, color.Black), unframed},
}

// visible returns the bounding box of the pixels of img whose grey differs
// by more than 8 from the grey of its top-left corner: the part of a
// composite that can be told from the canvas at all.
func visible(img image.Image) image.Rectangle {
	g := luma.FromImage(img, 0)
	bg := int(g.Pix[0])
	var box image.Rectangle
	for y := 0; y < g.Rect.Dy(); y++ {
		for x, v := range g.Pix[y*g.Stride : y*g.Stride+g.Rect.Dx()] {
			if d := int(v) - bg; d > 8 || d < -8 {
				box = box.Union(image.Rect(x, y, x+1, y+1))
			}
		}
	}
	return box
}

// TestStability expects the region of every composite to survive the
// everyday edits, relative to the composite's content. Where an edit that
// keeps the geometry hides part of the photo (brightening a light sky
// until it is as white as the canvas), the region cannot stay the same;
// there it must still cover everything that remains visible.
//
// Each photo is tried at one placement, taking turns through them, so
// every placement and every photo is covered without multiplying the
// cases.
func TestStability(t *testing.T) {
	for b, bg := range canvases {
		for i, name := range testphoto.Names() {
			at := placements[(i+b)%len(placements)]
			img, _ := composite(testphoto.Image(name), bg.c, at)
			base, was := detectOn(img), visible(img)
			for _, e := range edits {
				label := fmt.Sprintf("%-5s %-18s at %2d,%2d %-15s", bg.name, name, at.fx, at.fy, e.name)
				stabilityCase(t, label, img, base, was, e)
			}
		}
	}
}

// stabilityCase applies e to img, whose region is base and whose visible
// part is was, and checks the region of the result.
func stabilityCase(t *testing.T, label string, img image.Image, base, was image.Rectangle, e edit) {
	edited := e.apply(img)
	got := detectOn(edited)
	if e.back != nil {
		got = e.back(got, img.Bounds(), edited.Bounds())
	}
	score := iou(got, base)
	if e.back == nil {
		if seen := visible(edited); coverage(seen, was) < 0.95 {
			t.Logf("%s IoU %.3f; the edit hid part of the photo: visible %v, was %v", label, score, seen, was)
			if !seen.In(got) {
				t.Errorf("%s: region %v does not cover what remains visible, %v", label, got, seen)
			}
			return
		}
	}
	t.Logf("%s IoU %.3f", label, score)
	if score < 0.9 {
		t.Errorf("%s: IoU %.3f < 0.9 (before %v, after %v)", label, score, base, got)
	}
}

// sweepComposite pastes photo, scaled to 30% of the area of a 640×480
// canvas, onto a backdrop that shades linearly from grey top at the top
// to grey bottom at the bottom, like a photographer's paper sweep.
func sweepComposite(photo image.Image, top, bottom int, at placement) (image.Image, image.Rectangle) {
	const cw, ch = 640, 480
	scaled := scaledToArea(photo, 0.3*cw*ch)
	sb := scaled.Bounds()
	x, y := (cw-sb.Dx())*at.fx/100, (ch-sb.Dy())*at.fy/100
	where := image.Rect(x, y, x+sb.Dx(), y+sb.Dy())
	dst := image.NewRGBA(image.Rect(0, 0, cw, ch))
	for row := 0; row < ch; row++ {
		grey := color.Gray{uint8(top + (bottom-top)*row/(ch-1))}
		draw.Draw(dst, image.Rect(0, row, cw, row+1), image.NewUniform(grey), image.Point{}, draw.Src)
	}
	draw.Draw(dst, where, scaled, sb.Min, draw.Src)
	return dst, where
}

// TestProductOnSweep expects a product on a shaded backdrop to be found
// like one on a flat canvas. A photo whose own edge matches the backdrop
// where it lies (the camera's pale sky against a pale top) is cut short,
// so one miss per backdrop is allowed.
func TestProductOnSweep(t *testing.T) {
	sweeps := []struct{ top, bottom int }{{190, 255}, {255, 170}, {60, 140}}
	for _, sw := range sweeps {
		misses := 0
		for _, name := range testphoto.Names() {
			img, want := sweepComposite(testphoto.Image(name), sw.top, sw.bottom, placement{40, 50})
			got := detectOn(img)
			score := iou(got, want)
			t.Logf("sweep %3d→%3d %-18s: pasted %v found %v IoU %.3f", sw.top, sw.bottom, name, want, got, score)
			if score < 0.85 {
				misses++
			}
		}
		if misses > 1 {
			t.Errorf("sweep %d→%d: %d photos found with IoU < 0.85, want at most 1", sw.top, sw.bottom, misses)
		}
	}
}

// TestFramedPhotos expects a full-frame photo inside a 10% border to be
// found as the photo: the border is a plain surround. The one photo whose
// own background is the border's colour (stars on black inside black)
// merges with it, so one miss per colour is allowed.
func TestFramedPhotos(t *testing.T) {
	for _, c := range []color.Gray{{0}, {255}, {128}} {
		misses := 0
		for _, name := range testphoto.Names() {
			img := testphoto.Image(name)
			framed := distort.Border(0.1, c)(img)
			b := img.Bounds()
			bx, by := int(float64(b.Dx())*0.1+0.5), int(float64(b.Dy())*0.1+0.5)
			want := image.Rect(bx, by, bx+b.Dx(), by+b.Dy())
			got := detectOn(framed)
			score := iou(got, want)
			t.Logf("border %3d %-18s: photo %v found %v, IoU %.3f", c.Y, name, want, got, score)
			if score < 0.85 {
				misses++
			}
		}
		if misses > 1 {
			t.Errorf("border %d: %d photos found with IoU < 0.85, want at most 1", c.Y, misses)
		}
	}
}

// TestNestedFrames peels a black border and a white mount to reach the
// dark square they surround.
func TestNestedFrames(t *testing.T) {
	g := filled(image.Rect(0, 0, 256, 192), 0)
	mount := image.Rect(30, 24, 226, 168)
	shape := image.Rect(90, 60, 150, 120)
	draw.Draw(g, mount, image.NewUniform(color.Gray{250}), image.Point{}, draw.Src)
	draw.Draw(g, shape, image.NewUniform(color.Gray{70}), image.Point{}, draw.Src)
	got := Detect(g)
	t.Logf("found %v for %v, IoU %.3f", got, shape, iou(got, shape))
	if !shape.In(got) || iou(got, shape) < 0.85 {
		t.Errorf("found %v, want a little more than %v", got, shape)
	}
}

// TestDegeneratePlanes checks planes with nothing to find.
func TestDegeneratePlanes(t *testing.T) {
	tests := []struct {
		name string
		g    *image.Gray
	}{
		{"empty", image.NewGray(image.Rectangle{})},
		{"1x1", image.NewGray(image.Rect(0, 0, 1, 1))},
		{"2x2", image.NewGray(image.Rect(0, 0, 2, 2))},
		{"2x2 offset", image.NewGray(image.Rect(5, 7, 7, 9))},
		{"1x300", image.NewGray(image.Rect(0, 0, 1, 300))},
		{"blank", image.NewGray(image.Rect(0, 0, 256, 192))},
		{"blank white", filled(image.Rect(0, 0, 256, 192), 255)},
		{"blank offset", filled(image.Rect(10, 20, 138, 84), 90)},
	}
	for _, tt := range tests {
		if got := Detect(tt.g); got != tt.g.Rect {
			t.Errorf("%s: Detect = %v, want the whole plane %v", tt.name, got, tt.g.Rect)
		}
	}
}

// TestOffsetPlane checks that a plane whose origin is not 0,0 gives the
// same region, shifted.
func TestOffsetPlane(t *testing.T) {
	img, _ := composite(testphoto.Image("chelsea"), color.White, placements[0])
	g := luma.FromImage(img, planeSide)
	want := Detect(g)
	d := image.Pt(37, -11)
	moved := &image.Gray{Pix: g.Pix, Stride: g.Stride, Rect: g.Rect.Add(d)}
	if got := Detect(moved); got != want.Add(d) {
		t.Errorf("offset plane: %v, want %v", got, want.Add(d))
	}
	sub := filled(image.Rect(0, 0, 400, 300), 0).SubImage(image.Rect(72, 22, 72+g.Rect.Dx(), 22+g.Rect.Dy())).(*image.Gray)
	draw.Draw(sub, sub.Rect, g, image.Point{}, draw.Src)
	if got := Detect(sub); got != want.Add(image.Pt(72, 22)) {
		t.Errorf("sub-image: %v, want %v", got, want.Add(image.Pt(72, 22)))
	}
}

// TestConcurrentCallsAgree runs Detect on planes of different sizes from
// several goroutines at once, sharing pooled buffers, and expects the
// answers of one call at a time.
func TestConcurrentCallsAgree(t *testing.T) {
	var planes []*image.Gray
	for i, name := range []string{"coffee", "coins", "astronaut", "rocket"} {
		img, _ := composite(testphoto.Image(name), canvases[i%2].c, placements[i%3])
		planes = append(planes, luma.FromImage(img, planeSide), luma.FromImage(testphoto.Image(name), 100+50*i))
	}
	want := make([]image.Rectangle, len(planes))
	for i, g := range planes {
		want[i] = Detect(g)
	}
	var wg sync.WaitGroup
	for worker := range 4 {
		wg.Go(func() {
			for k := range planes {
				i := (k + worker) % len(planes)
				if got := Detect(planes[i]); got != want[i] {
					t.Errorf("plane %d on worker %d: %v, want %v", i, worker, got, want[i])
				}
			}
		})
	}
	wg.Wait()
}

// TestSyntheticShapes checks boxes whose answer is known exactly.
func TestSyntheticShapes(t *testing.T) {
	tests := []struct {
		name   string
		bg, fg uint8
		frame  image.Rectangle
		shape  image.Rectangle
		whole  bool
	}{
		{"dark square on white", 255, 30, image.Rect(0, 0, 256, 192), image.Rect(40, 50, 120, 130), false},
		{"light bar on black", 0, 200, image.Rect(0, 0, 200, 200), image.Rect(120, 20, 170, 180), false},
		{"faint square on grey", 128, 160, image.Rect(0, 0, 256, 256), image.Rect(100, 100, 180, 200), false},
		{"nearly the whole frame", 255, 0, image.Rect(0, 0, 256, 192), image.Rect(4, 4, 252, 188), true},
		{"a speck", 255, 0, image.Rect(0, 0, 256, 192), image.Rect(100, 100, 104, 104), true},
	}
	for _, tt := range tests {
		g := filled(tt.frame, tt.bg)
		draw.Draw(g, tt.shape, image.NewUniform(color.Gray{tt.fg}), image.Point{}, draw.Src)
		got := Detect(g)
		if tt.whole {
			if got != tt.frame {
				t.Errorf("%s: %v, want the whole plane", tt.name, got)
			}
			continue
		}
		t.Logf("%s: %v for %v, IoU %.3f", tt.name, got, tt.shape, iou(got, tt.shape))
		if !got.In(tt.frame) || !tt.shape.In(got) || iou(got, tt.shape) < 0.85 {
			t.Errorf("%s: %v, want a little more than %v (IoU %.3f)", tt.name, got, tt.shape, iou(got, tt.shape))
		}
	}
}

// TestScale maps rectangles between sizes, rounding outwards and clipping.
func TestScale(t *testing.T) {
	tests := []struct {
		r        image.Rectangle
		from, to image.Point
		want     image.Rectangle
	}{
		{image.Rect(0, 0, 256, 192), image.Pt(256, 192), image.Pt(1024, 768), image.Rect(0, 0, 1024, 768)},
		{image.Rect(10, 20, 30, 40), image.Pt(100, 100), image.Pt(200, 50), image.Rect(20, 10, 60, 20)},
		{image.Rect(1, 1, 2, 2), image.Pt(3, 3), image.Pt(10, 10), image.Rect(3, 3, 7, 7)}, // rounded outwards
		{image.Rect(-5, 0, 300, 10), image.Pt(256, 256), image.Pt(512, 512), image.Rect(0, 0, 512, 20)},
		{image.Rect(2, 2, 4, 4), image.Pt(0, 10), image.Pt(50, 50), image.Rect(0, 0, 50, 50)},
		{image.Rect(50, 50, 100, 100), image.Pt(200, 200), image.Pt(20, 20), image.Rect(5, 5, 10, 10)},
	}
	for _, tt := range tests {
		if got := Scale(tt.r, tt.from, tt.to); got != tt.want {
			t.Errorf("Scale(%v, %v, %v) = %v, want %v", tt.r, tt.from, tt.to, got, tt.want)
		}
	}
}

// filled returns a plane over r of grey v.
func filled(r image.Rectangle, v uint8) *image.Gray {
	g := image.NewGray(r)
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

// BenchmarkDetect finds the subject on a 256×192 plane of a composite.
func BenchmarkDetect(b *testing.B) {
	img, _ := composite(testphoto.Image("astronaut"), color.White, placements[0])
	g := luma.FromImage(img, 0)
	g = luma.Resample(g, g.Rect, 256, 192)
	b.ReportAllocs()
	for b.Loop() {
		Detect(g)
	}
}

// BenchmarkDetectFullFrame times a photo with no plain surround, on a
// 256×171 plane.
func BenchmarkDetectFullFrame(b *testing.B) {
	g := luma.FromImage(testphoto.Image("china"), 0)
	g = luma.Resample(g, g.Rect, 256, 171)
	b.ReportAllocs()
	for b.Loop() {
		Detect(g)
	}
}
