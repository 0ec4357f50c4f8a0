package imagefile

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/imagefile/imagefiletest"
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
		img, info, err := DecodeLuma(data, Limits{MaxPixels: 1 << 20}, s, nil)
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
	if img, _, err := DecodeLuma(adobe, Limits{}, 2, nil); err != nil || img.Bounds().Dx() != 641 {
		t.Errorf("Adobe JPEG: %v, %v", img.Bounds(), err)
	}
	// Other formats: decoded whole.
	if img, _, err := DecodeLuma(encode(t, PNG, testphoto.Image("coffee")), Limits{}, 4, nil); err != nil || img.Bounds().Dx() != 480 {
		t.Errorf("PNG: %v, %v", img.Bounds(), err)
	}
}

// TestDecodeLumaRefuses: limits and damage are refused as by Decode.
func TestDecodeLumaRefuses(t *testing.T) {
	data := jpegAt(t, testphoto.Image("coffee"), 85)
	if _, _, err := DecodeLuma(data, Limits{MaxPixels: 1000}, 1, nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("over the limit: %v", err)
	}
	for _, cut := range []int{len(data) / 2, len(data) - 100, 400} {
		_, _, want := Decode(data[:cut], Limits{})
		if _, _, err := DecodeLuma(data[:cut], Limits{}, 2, nil); !errors.Is(err, ErrCorrupt) || err.Error() != want.Error() {
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

// TestLumaCostBoundsLumaJPEG: LumaCost, computed from the header alone,
// is at least what lumajpeg allocates, for every scale, for sizes that
// do not fill their last MCU, grey and colour, and for baseline bombs
// (a header declaring a large frame and no data); the plane it counts is
// what lumajpeg makes of a file with its data; and it is never more than
// Info.Cost, image/jpeg's.
func TestLumaCostBoundsLumaJPEG(t *testing.T) {
	files := map[string][]byte{
		"4:2:0 641×479":         jpegAt(t, testphoto.Decoded("coffee", 641, 479), 85),
		"grey 641×479":          encode(t, JPEG, luma.FromImage(testphoto.Decoded("coffee", 641, 479), 0)),
		"bomb baseline 4:2:0":   imagefiletest.JPEGHeader(2047, 2049, 3, 2, 2, false),
		"bomb baseline 4:1:1":   imagefiletest.JPEGHeader(2049, 2047, 3, 4, 1, false),
		"bomb baseline grey":    imagefiletest.JPEGHeader(2049, 2049, 1, 1, 1, false),
		"bomb baseline 4:4:4":   imagefiletest.JPEGHeader(2041, 2047, 3, 1, 1, false),
		"bomb grey sampled 4×4": imagefiletest.JPEGHeader(2041, 2047, 1, 4, 4, false),
	}
	for name, data := range files {
		info, err := Inspect(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, s := range []int{1, 2, 4, 8} {
			cost := LumaCost(data, info, s)
			if cost > info.Cost {
				t.Errorf("%s at 1/%d: LumaCost %d over Info.Cost %d", name, s, cost, info.Cost)
			}
			used := allocated(func() {
				lumaJPEG(data, s, nil) // bombs fail after allocating: that is the point
			})
			if used > cost {
				t.Errorf("%s at 1/%d: lumajpeg allocated %d bytes, more than its LumaCost %d", name, s, used, cost)
			}
			// A file with its data makes the plane LumaCost counts (a bomb
			// fails before it): the count is not far above it.
			if !strings.HasPrefix(name, "bomb") && used < cost-decoderOverhead {
				t.Errorf("%s at 1/%d: lumajpeg allocated %d bytes, less than the plane LumaCost counts (%d)", name, s, used, cost-decoderOverhead)
			}
		}
	}
	for name, data := range map[string][]byte{
		"progressive": imagefiletest.JPEGHeader(2048, 2048, 3, 2, 2, true),
		"CMYK":        imagefiletest.JPEGHeader(2048, 2048, 4, 1, 1, false),
		"png":         encode(t, PNG, testphoto.Image("coffee")),
	} {
		info, err := Inspect(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if cost := LumaCost(data, info, 2); cost != info.Cost {
			t.Errorf("%s, decoded whole: LumaCost %d, want Info.Cost %d", name, cost, info.Cost)
		}
	}
}

// TestDecodeLumaCost: a baseline JPEG is held to MaxCost by its
// LumaCost, so one whose whole decode would take more than MaxCost is
// decoded to its luma; should lumajpeg give it to image/jpeg (a damaged
// file), it is held to MaxCost by Info.Cost, and more is asked for the
// rest of Info.Cost before image/jpeg begins, its error returned as it
// is.
func TestDecodeLumaCost(t *testing.T) {
	data := jpegAt(t, testphoto.Decoded("coffee", 640, 480), 85)
	info, err := Inspect(data)
	if err != nil {
		t.Fatal(err)
	}
	between := Limits{MaxCost: (LumaCost(data, info, 1) + info.Cost) / 2}
	if img, _, err := DecodeLuma(data, between, 1, nil); err != nil || img.Bounds() != image.Rect(0, 0, 640, 480) {
		t.Errorf("within its LumaCost, over its Info.Cost: %v, %v", img, err)
	}
	if _, _, err := Decode(data, between); !errors.Is(err, ErrTooLarge) {
		t.Errorf("decoded whole under the same limit: %v, want ErrTooLarge", err)
	}
	damaged := data[:len(data)/2]
	var asked []int64
	more := func(n int64) error { asked = append(asked, n); return nil }
	if _, _, err := DecodeLuma(damaged, between, 1, more); !errors.Is(err, ErrTooLarge) || len(asked) != 0 {
		t.Errorf("damaged, over the limit when decoded whole: %v, asked for %v", err, asked)
	}
	rest := info.Cost - LumaCost(data, info, 1)
	if _, _, err := DecodeLuma(damaged, Limits{}, 1, more); !errors.Is(err, ErrCorrupt) || len(asked) != 1 || asked[0] != rest {
		t.Errorf("damaged: %v, asked for %v, want ErrCorrupt after asking for %d", err, asked, rest)
	}
	busy := errors.New("no room")
	if _, _, err := DecodeLuma(damaged, Limits{}, 1, func(int64) error { return busy }); err != busy {
		t.Errorf("damaged, no room for the whole decode: %v, want %v", err, busy)
	}
}
