package fingerprint

import (
	"errors"
	"image"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
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
	if len(b.Codes) != 2 {
		t.Fatalf("framed photo has %d codes, want 2 (whole and trimmed)", len(b.Codes))
	}
	if d := Distance(a.Codes[0], b.Codes[1]); d > 4 {
		t.Errorf("framed photo is %d bits from the photo", d)
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
	if back.Version != q.Version || len(back.Codes) != len(q.Codes) {
		t.Fatalf("round trip: %+v != %+v", back, q)
	}
	for i := range q.Codes {
		if back.Codes[i] != q.Codes[i] {
			t.Fatalf("code %d: %x != %x", i, back.Codes[i], q.Codes[i])
		}
	}
	bad := [][]byte{nil, {1}, b[:len(b)-1], append([]byte{}, b[:4]...)}
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
