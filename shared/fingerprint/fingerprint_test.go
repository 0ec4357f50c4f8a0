package fingerprint

import (
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func TestNoContent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	nearlyFlat := image.NewGray(image.Rect(0, 0, 300, 200))
	for i := range nearlyFlat.Pix {
		nearlyFlat.Pix[i] = uint8(120 + rng.IntN(5))
	}
	tests := []struct {
		name string
		img  image.Image
	}{
		{"uniform grey", image.NewUniform(color.Gray{128})},
		{"uniform white 500x400", solid(500, 400, color.White)},
		{"nearly flat", nearlyFlat},
		{"1x1", solid(1, 1, color.Black)},
		{"empty", image.NewRGBA(image.Rectangle{})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := tt.img
			if _, ok := img.(*image.Uniform); ok {
				img = solid(64, 64, color.Gray{128})
			}
			if _, err := Target(img); !errors.Is(err, ErrNoContent) {
				t.Errorf("Target: err = %v, want ErrNoContent", err)
			}
			if _, err := Query(img); !errors.Is(err, ErrNoContent) {
				t.Errorf("Query: err = %v, want ErrNoContent", err)
			}
		})
	}
}

func solid(w, h int, c color.Color) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	return img
}

func TestTrimBorder(t *testing.T) {
	photo := testphoto.Image("chelsea")
	framed := distort.Border(0.1, color.Black)(photo)
	a, err := Target(photo)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Target(framed)
	if err != nil {
		t.Fatal(err)
	}
	whole, trimmed := codeOf(a, Whole), codeOf(b, Trimmed)
	if trimmed == nil {
		t.Fatalf("framed photo has no trimmed window: %d codes", len(b.Codes))
	}
	if d := Distance(whole.Hash, trimmed.Hash); d > 4 {
		t.Errorf("framed photo is %d bits from the photo", d)
	}
}

// codeOf returns the upright code of window w in fp, nil without one.
func codeOf(fp Fingerprint, w Window) *Code {
	for i, c := range fp.Codes {
		if c.Window == w && c.Upright() {
			return &fp.Codes[i]
		}
	}
	return nil
}

// TestTargetWindows: a photograph has a code for every window, each once
// and upright; a product on white has none for windows that show only
// white.
func TestTargetWindows(t *testing.T) {
	fp, err := Target(testphoto.Image("chelsea"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[Window]bool{}
	for _, c := range fp.Codes {
		if !c.Upright() || seen[c.Window] {
			t.Errorf("code %+v: turned or repeated", c)
		}
		seen[c.Window] = true
	}
	for w := Whole; w < Windows; w++ {
		if !seen[w] && w != Trimmed {
			t.Errorf("no %v window", w)
		}
	}
	// A dark square in the top left of a white page: the other corners
	// and the centre are blank.
	page := image.NewGray(image.Rect(0, 0, 400, 300))
	for i := range page.Pix {
		page.Pix[i] = 255
	}
	for y := 10; y < 50; y++ {
		for x := 10; x < 70; x++ {
			page.Pix[y*400+x] = uint8(40 + (x*y)%90)
		}
	}
	fp, err = Target(page)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []Window{TopRight80, BottomRight80, BottomLeft80, Centre60} {
		if codeOf(fp, w) != nil {
			t.Errorf("blank %v window has a code", w)
		}
	}
	if codeOf(fp, TopLeft80) == nil || codeOf(fp, Trimmed) == nil {
		t.Errorf("the square's windows have no code")
	}
}

func TestWindowRects(t *testing.T) {
	plane := image.Rect(0, 0, 200, 100)
	content := image.Rect(10, 5, 190, 95)
	tests := []struct {
		w    Window
		want image.Rectangle
	}{
		{Whole, plane},
		{Trimmed, content},
		{Centre90, image.Rect(10, 5, 190, 95)},
		{Centre80, image.Rect(20, 10, 180, 90)},
		{Centre60, image.Rect(40, 20, 160, 80)},
		{TopLeft80, image.Rect(0, 0, 160, 80)},
		{TopRight80, image.Rect(40, 0, 200, 80)},
		{BottomLeft80, image.Rect(0, 20, 160, 100)},
		{BottomRight80, image.Rect(40, 20, 200, 100)},
	}
	for _, tt := range tests {
		if got := tt.w.rect(plane, content); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.w, got, tt.want)
		}
	}
}

// TestTurnedBack: a photo turned by a few degrees, turned back, describes
// nearly what the upright photo does; turned the wrong way it does not.
func TestTurnedBack(t *testing.T) {
	for _, name := range []string{"chelsea", "coffee", "astronaut"} {
		photo := testphoto.Image(name)
		target, err := Target(photo)
		if err != nil {
			t.Fatal(err)
		}
		want := codeOf(target, Centre80)
		for _, deg := range []int8{6, -9} {
			q, err := Query(distort.RotateBy(float64(deg))(photo))
			if err != nil {
				t.Fatal(err)
			}
			right, wrong := 64, 64
			for _, c := range q.Codes {
				switch c.Degrees {
				case deg:
					right = Distance(c.Hash, want.Hash)
				case -deg:
					wrong = Distance(c.Hash, want.Hash)
				}
			}
			if right > 6 || wrong <= right {
				t.Errorf("%s turned %d°: turned back %d bits from upright, the wrong way %d", name, deg, right, wrong)
			}
		}
	}
}

func TestGrainCode(t *testing.T) {
	ramp := make([]float64, grainSide*grainSide)
	for y := 0; y < grainSide; y++ {
		for x := 0; x < grainSide; x++ {
			ramp[y*grainSide+x] = float64(10 * x)
		}
	}
	if got := grainCode(ramp); got != ^uint64(0) {
		t.Errorf("rising ramp: %016x, want all ones", got)
	}
	if got := grainCode(turnGrid(ramp, luma.Mirror)); got != 0 {
		t.Errorf("falling ramp: %016x, want 0", got)
	}
	if got := grainCode(turnGrid(ramp, luma.Rotate90)); got != 0 {
		t.Errorf("ramp turned upright: %016x, want 0", got)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	q, err := Query(testphoto.Image("coffee"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := q.MarshalBinary()
	var back Fingerprint
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back.Version != q.Version || !slices.Equal(back.Codes, q.Codes) {
		t.Fatalf("round trip: %+v != %+v", back, q)
	}
	badWindow := append([]byte{}, b...)
	badWindow[4] = byte(Windows)
	bad := [][]byte{nil, {1}, b[:len(b)-1], append([]byte{}, b[:4]...), badWindow}
	future := append([]byte{}, b...)
	future[0] = 99
	for _, in := range bad {
		if err := new(Fingerprint).UnmarshalBinary(in); err == nil {
			t.Errorf("UnmarshalBinary(%x) accepted", in)
		}
	}
	if err := new(Fingerprint).UnmarshalBinary(future); !errors.Is(err, ErrVersion) {
		t.Errorf("future version: err = %v, want ErrVersion", err)
	}
}

func TestScore(t *testing.T) {
	tests := []struct {
		d    int
		want float64
	}{{0, 1}, {Threshold, 0.5}, {Threshold / 2, 0.75}}
	for _, tt := range tests {
		if got := Score(tt.d); got != tt.want {
			t.Errorf("Score(%d) = %v, want %v", tt.d, got, tt.want)
		}
	}
	for d := 0; d <= Bits; d++ {
		if s := Score(d); s <= 0 || s > 1 {
			t.Errorf("Score(%d) = %v outside (0,1]", d, s)
		}
	}
}
