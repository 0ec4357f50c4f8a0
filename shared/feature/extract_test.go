package feature

import (
	"image"
	"image/color"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestExtractIsDeterministic extracts the same pixels twice, and from a
// plane whose rows have gaps and whose origin is not 0,0 (a sub-image):
// the features are identical.
func TestExtractIsDeterministic(t *testing.T) {
	g := Plane(testphoto.Image("coffee"), TargetOptions)
	want := Extract(g, TargetOptions)
	if len(want) == 0 {
		t.Fatal("no features")
	}
	if again := Extract(g, TargetOptions); !reflect.DeepEqual(again, want) {
		t.Error("a second extraction differs")
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	big := image.NewGray(image.Rect(-5, -7, w+20, h+3))
	for i := range big.Pix {
		big.Pix[i] = uint8(i * 31)
	}
	for y := range h {
		for x := range w {
			big.SetGray(x+10, y+2, g.GrayAt(x, y))
		}
	}
	sub := big.SubImage(image.Rect(10, 2, 10+w, 2+h)).(*image.Gray)
	if got := Extract(sub, TargetOptions); !reflect.DeepEqual(got, want) {
		t.Error("the same pixels as a sub-image give other features")
	}
}

// TestExtractConcurrently extracts planes of three sizes on four
// goroutines at once, each in its own order, twice: every extraction
// gives the features the plane gives alone. Extractions share memory
// from a pool between them; none may see another's, or what a larger
// plane left in it.
func TestExtractConcurrently(t *testing.T) {
	o := QueryOptions
	o.MaxSide = 320 // fast enough under the race detector
	g := Plane(testphoto.Image("coffee"), o)
	planes := []*image.Gray{g, Plane(testphoto.Image("coins"), TargetOptions).SubImage(image.Rect(30, 20, 251, 190)).(*image.Gray), Plane(testphoto.Image("chelsea"), o)}
	want := make([][]Feature, len(planes))
	for i, p := range planes {
		if want[i] = Extract(p, o); len(want[i]) == 0 {
			t.Fatalf("plane %d: no features", i)
		}
	}
	var wg sync.WaitGroup
	for start := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 2 * len(planes) {
				i := (start + n) % len(planes)
				if got := Extract(planes[i], o); !reflect.DeepEqual(got, want[i]) {
					t.Errorf("goroutine %d, plane %d: other features", start, i)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestExtractOutput checks what every feature promises: at most Max,
// strongest first, centres on the plane clear of its border, sizes and
// octaves of the pyramid, angles in [0, 2π), coordinates in 1/8 pixel.
func TestExtractOutput(t *testing.T) {
	for _, o := range []Options{TargetOptions, QueryOptions} {
		g := Plane(testphoto.Image("astronaut"), o)
		fs := Extract(g, o)
		if len(fs) != o.Max {
			t.Errorf("%d features of a detailed photo, want %d", len(fs), o.Max)
		}
		w, h := float32(g.Rect.Dx()), float32(g.Rect.Dy())
		levels := map[int8]bool{}
		for i, f := range fs {
			if i > 0 && f.Response > fs[i-1].Response {
				t.Fatalf("feature %d is stronger than the one before", i)
			}
			if f.X < edge-1 || f.Y < edge-1 || f.X > w-edge || f.Y > h-edge {
				t.Errorf("feature %d at (%g, %g) on a %g×%g plane", i, f.X, f.Y, w, h)
			}
			if f.Octave < 0 || int(f.Octave) >= o.Levels || f.Size < patchSide || f.Size > patchSide*4 {
				t.Errorf("feature %d: octave %d, size %g", i, f.Octave, f.Size)
			}
			if !(f.Angle >= 0 && f.Angle < 2*math.Pi) {
				t.Errorf("feature %d: angle %g", i, f.Angle)
			}
			if f.X*8 != float32(int(f.X*8)) || f.Y*8 != float32(int(f.Y*8)) {
				t.Errorf("feature %d at (%g, %g): not in 1/8 pixel", i, f.X, f.Y)
			}
			levels[f.Octave] = true
		}
		if len(levels) != o.Levels {
			t.Errorf("features on %d levels of %d", len(levels), o.Levels)
		}
	}
}

// TestExtractSpreadsFeatures checks the grid: a picture whose one
// corner is far more textured than the rest still gives features all
// over it.
func TestExtractSpreadsFeatures(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 400, 400))
	rng := rand.New(rand.NewPCG(3, 3))
	for y := range 400 {
		for x := range 400 {
			v := 100 // soft squares everywhere, whose corners are corners
			if x%50 < 25 && y%50 < 25 {
				v = 140
			}
			if x < 100 && y < 100 {
				v = rng.IntN(256) // noise: many strong corners
			}
			g.SetGray(x, y, color.Gray{uint8(v)})
		}
	}
	o := TargetOptions
	o.Levels = 1
	o.Max = 100
	outside := 0
	for _, f := range Extract(g, o) {
		if f.X >= 100 || f.Y >= 100 {
			outside++
		}
	}
	if outside < 50 {
		t.Errorf("%d of 100 features outside the noisy corner, want at least half", outside)
	}
}

// TestExtractNeverFails feeds planes with nothing to find and options
// out of every range: no panic, no features where there is no room.
func TestExtractNeverFails(t *testing.T) {
	for _, r := range []image.Rectangle{image.Rect(0, 0, 0, 0), image.Rect(0, 0, 1, 1), image.Rect(0, 0, 32, 300), image.Rect(0, 0, 300, 33)} {
		if fs := Extract(image.NewGray(r), TargetOptions); len(fs) != 0 {
			t.Errorf("%v: %d features", r, len(fs))
		}
	}
	flat := image.NewGray(image.Rect(0, 0, 200, 100))
	for i := range flat.Pix {
		flat.Pix[i] = 90
	}
	if fs := Extract(flat, QueryOptions); len(fs) != 0 {
		t.Errorf("a flat plane gives %d features", len(fs))
	}
	g := Plane(testphoto.Image("coins"), QueryOptions)
	for _, o := range []Options{
		{},
		{Max: -1, Levels: -3, Scale: math.NaN(), Threshold: -5, Cell: -1, CellCap: -1},
		{Max: 1 << 20, MaxSide: 1, Levels: 100, Scale: 100, Threshold: 1000, LowThreshold: 1000, Cell: 1 << 20, CellCap: 1 << 20},
		{Max: 10, MaxSide: 50, Levels: 1, Scale: math.Inf(1), Threshold: 1, LowThreshold: 1, Cell: 8, CellCap: 1},
	} {
		fs := Extract(g, o)
		if len(fs) > max(o.Max, 0) {
			t.Errorf("%+v: %d features", o, len(fs))
		}
	}
}

// TestPlaneWorkingResolution checks that Plane brings a large picture to
// the working side by area averaging and leaves a small one as it is.
func TestPlaneWorkingResolution(t *testing.T) {
	big := image.NewGray(image.Rect(0, 0, 1300, 975))
	for i := range big.Pix {
		big.Pix[i] = 200
	}
	if g := Plane(big, QueryOptions); g.Rect.Dx() != 640 || g.Rect.Dy() != 480 || g.Pix[1000] != 200 {
		t.Errorf("a 1300×975 picture makes a %v plane, pixel %d", g.Rect, g.Pix[1000])
	}
	small := testphoto.Image("rocket")
	if g := Plane(small, QueryOptions); g.Rect.Size() != small.Bounds().Size() {
		t.Errorf("a %v picture makes a %v plane", small.Bounds(), g.Rect)
	}
}

// TestShrinkAveragesAreas checks the fixed-point area averaging against
// the plain mean of the area each output pixel covers: the nearest grey
// level to it, for the pyramid's factors and others.
func TestShrinkAveragesAreas(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	l := &level{w: 97, h: 61, pix: make([]uint8, 97*61)}
	for i := range l.pix {
		l.pix[i] = uint8(rng.IntN(256))
	}
	for _, size := range [][2]int{{48, 30}, {69, 43}, {81, 51}, {97, 61}, {7, 5}} {
		got := shrink(l, size[0], size[1])
		for oy := range size[1] {
			for ox := range size[0] {
				want := areaMean(l, ox, oy, size[0], size[1])
				if d := math.Abs(float64(got.pix[oy*size[0]+ox]) - want); d > 0.51 {
					t.Fatalf("%v: pixel (%d, %d) = %d, area mean %.2f", size, ox, oy, got.pix[oy*size[0]+ox], want)
				}
			}
		}
	}
}

// areaMean is the mean of the part of l that output pixel (ox, oy) of a
// w×h reduction covers, fractional pixels weighted by their share.
func areaMean(l *level, ox, oy, w, h int) float64 {
	x0, x1 := float64(ox)*float64(l.w)/float64(w), float64(ox+1)*float64(l.w)/float64(w)
	y0, y1 := float64(oy)*float64(l.h)/float64(h), float64(oy+1)*float64(l.h)/float64(h)
	var sum, area float64
	for y := int(y0); y < int(math.Ceil(y1)); y++ {
		for x := int(x0); x < int(math.Ceil(x1)); x++ {
			a := (math.Min(x1, float64(x+1)) - math.Max(x0, float64(x))) * (math.Min(y1, float64(y+1)) - math.Max(y0, float64(y)))
			sum += a * float64(l.pix[y*l.w+x])
			area += a
		}
	}
	return sum / area
}

// TestSmoothedIsTheBoxSum holds the running sums to the plain sum of
// each 5×5 box.
func TestSmoothedIsTheBoxSum(t *testing.T) {
	l := compact(Plane(testphoto.Image("gravel"), TargetOptions))
	s := l.smoothed()
	for y := 2; y < l.h-2; y += 3 {
		for x := 2; x < l.w-2; x += 5 {
			want := 0
			for dy := -2; dy <= 2; dy++ {
				for dx := -2; dx <= 2; dx++ {
					want += int(l.pix[(y+dy)*l.w+x+dx])
				}
			}
			if int(s[y*l.w+x]) != want {
				t.Fatalf("box at (%d, %d) = %d, want %d", x, y, s[y*l.w+x], want)
			}
		}
	}
}

// TestDistance holds Distance to a bit-by-bit count.
func TestDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for range 1000 {
		var a, b Descriptor
		for k := range a {
			a[k], b[k] = rng.Uint64(), rng.Uint64()
		}
		want := 0
		for i := range Bits {
			if a[i/64]>>(i%64)&1 != b[i/64]>>(i%64)&1 {
				want++
			}
		}
		if got := Distance(a, b); got != want {
			t.Fatalf("Distance = %d, want %d", got, want)
		}
	}
	full := Descriptor{^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0)}
	if Distance(Descriptor{}, full) != Bits || Distance(full, full) != 0 {
		t.Error("Distance of the extremes")
	}
}
