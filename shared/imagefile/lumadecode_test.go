package imagefile

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func jpegAt(t *testing.T, img image.Image, quality int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestDecodeLuma: a baseline JPEG comes back as its luma plane at the
// scale asked, equal to image/jpeg's luma within a level at full size;
// what lumajpeg leaves to image/jpeg comes back whole.
func TestDecodeLuma(t *testing.T) {
	data := jpegAt(t, testphoto.Decoded("coffee", 641, 479), 85)
	whole, _, err := Decode(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []int{1, 2, 4, 8} {
		img, info, err := DecodeLuma(data, Limits{MaxPixels: 1 << 20}, s)
		if err != nil {
			t.Fatal(err)
		}
		g, ok := img.(*image.Gray)
		if !ok || g.Rect != image.Rect(0, 0, (641+s-1)/s, (479+s-1)/s) || info.Width != 641 || info.Height != 479 {
			t.Fatalf("scale %d: %T %v, info %+v", s, img, img.Bounds(), info)
		}
		if s != 1 {
			continue
		}
		want, got := luma.FromImage(whole, 0), luma.FromImage(g, 0)
		for i := range want.Pix {
			if d := int(want.Pix[i]) - int(got.Pix[i]); d < -1 || d > 1 {
				t.Fatalf("pixel %d: luma %d, image/jpeg's %d", i, got.Pix[i], want.Pix[i])
			}
		}
	}
	// An Adobe segment: image/jpeg decides the colours, whole.
	adobe := append([]byte{0xff, 0xd8, 0xff, 0xee, 0, 14}, "Adobe\x00\x64\x00\x00\x00\x00\x01"...)
	adobe = append(adobe, data[2:]...)
	if img, _, err := DecodeLuma(adobe, Limits{}, 2); err != nil || img.Bounds().Dx() != 641 {
		t.Errorf("Adobe JPEG: %v, %v", img.Bounds(), err)
	}
	// Other formats: decoded whole.
	if img, _, err := DecodeLuma(encode(t, PNG, testphoto.Image("coffee")), Limits{}, 4); err != nil || img.Bounds().Dx() != 480 {
		t.Errorf("PNG: %v, %v", img.Bounds(), err)
	}
}

// TestDecodeLumaRefuses: limits and damage are refused as by Decode.
func TestDecodeLumaRefuses(t *testing.T) {
	data := jpegAt(t, testphoto.Image("coffee"), 85)
	if _, _, err := DecodeLuma(data, Limits{MaxPixels: 1000}, 1); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	for _, cut := range []int{len(data) / 2, len(data) - 100, 400} {
		_, _, want := Decode(data[:cut], Limits{})
		if _, _, err := DecodeLuma(data[:cut], Limits{}, 2); !errors.Is(err, ErrCorrupt) || err.Error() != want.Error() {
			t.Errorf("cut at %d: %v, Decode says %v", cut, err, want)
		}
	}
}

func TestLumaScale(t *testing.T) {
	for _, c := range []struct {
		w, h  int
		sides []int
		want  int
	}{
		{640, 480, []int{256}, 1},            // shrunk by 3
		{640, 480, []int{256, 1280}, 1},      // the feature plane is the full picture
		{1024, 768, []int{256}, 4},           // by 4: a plane of 256
		{1024, 768, []int{256, 1280}, 1},     // the feature plane is the full picture
		{2048, 1536, []int{256, 1280}, 2},    // by 8 and 2
		{4096, 3072, []int{256, 1280}, 4},    // by 16 and 4
		{1000, 700, []int{256}, 4},           // 1000/4 = 250: 1 at 256
		{1030, 700, []int{256}, 1},           // by 5
		{8192, 100, []int{256}, 8},           // by 32
		{2048, 1536, []int{256, 1280, 0}, 1}, // and the full size
		{0, 0, []int{256}, 1},
	} {
		if got := LumaScale(c.w, c.h, c.sides...); got != c.want {
			t.Errorf("LumaScale(%d, %d, %v) = %d, want %d", c.w, c.h, c.sides, got, c.want)
		}
	}
}
