package lumajpeg

import (
	"bytes"
	"errors"
	"image"
	"image/jpeg"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// small returns a small JPEG of the coffee photo, encoded by image/jpeg.
func small(t testing.TB, w, h, quality int) []byte {
	t.Helper()
	img := testphoto.Image("coffee").(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(100, 100, 100+w, 100+h))
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// withSegment returns data with a segment inserted after its SOI.
func withSegment(data []byte, marker byte, body []byte) []byte {
	n := len(body) + 2
	out := append([]byte{0xff, markSOI, 0xff, marker, byte(n >> 8), byte(n)}, body...)
	return append(out, data[2:]...)
}

// sofAt returns the index of the frame header's marker byte.
func sofAt(t *testing.T, data []byte) int {
	i := bytes.Index(data, []byte{0xff, markSOF0})
	if i < 0 {
		t.Fatal("no SOF0")
	}
	return i + 1
}

// TestUnsupported: the kinds of JPEG left to image/jpeg say so.
func TestUnsupported(t *testing.T) {
	base := small(t, 64, 48, 85)
	progressive := bytes.Clone(base)
	progressive[sofAt(t, progressive)] = 0xc2
	arithmetic := bytes.Clone(base)
	arithmetic[sofAt(t, arithmetic)] = 0xc9
	twelveBit := bytes.Clone(base)
	twelveBit[sofAt(t, twelveBit)+3] = 12
	rgb := bytes.Clone(base)
	i := sofAt(t, rgb) + 9
	rgb[i], rgb[i+3], rgb[i+6] = 'R', 'G', 'B'
	adobe := withSegment(base, markAPPE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
	separate := encodeTest(testphoto.Image("coffee"), layout{sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, quality: 80, separate: true, restart: 4})
	chromaFull := encodeTest(testphoto.Image("coffee"), layout{sampling: [][2]int{{1, 1}, {2, 2}, {1, 1}}, quality: 80})
	for name, data := range map[string][]byte{
		"progressive": progressive, "arithmetic": arithmetic, "12-bit": twelveBit, "R, G, B": rgb,
		"Adobe": adobe, "separate scans with restarts": separate, "luma below chroma": chromaFull,
	} {
		if _, err := Decode(data, 1, nil); !errors.Is(err, ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", name, err)
		}
	}
}

// TestAdmit: the admit function sees the frame's size before the plane
// is allocated, and its refusal is returned as it is.
func TestAdmit(t *testing.T) {
	data := small(t, 64, 48, 85)
	refused := errors.New("too large")
	var w, h int
	g, err := Decode(data, 2, func(width, height int) error { w, h = width, height; return refused })
	if err != refused || g != nil || w != 64 || h != 48 {
		t.Errorf("Decode = %v, %v after admit(%d, %d)", g, err, w, h)
	}
	// A header declaring 65535×65535 pixels over 100 bytes of data is
	// refused before its 4 GB plane is allocated.
	huge := bytes.Clone(data)
	i := sofAt(t, huge) + 4
	copy(huge[i:], []byte{0xff, 0xff, 0xff, 0xff})
	if _, err := Decode(huge[:len(huge)], 1, func(width, height int) error {
		if width*height > 1<<24 {
			return refused
		}
		return nil
	}); err != refused {
		t.Errorf("65535×65535: %v", err)
	}
}

// TestCutShort: a file cut anywhere is an error (never a panic, never a
// plane of made-up pixels), however little of it is left.
func TestCutShort(t *testing.T) {
	for _, data := range [][]byte{
		small(t, 40, 24, 90),
		encodeTest(testphoto.Image("coffee").(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(0, 0, 40, 24)), layout{sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, quality: 90, restart: 2}),
	} {
		for n := range len(data) - 2 { // the last two bytes are the EOI
			if g, err := Decode(data[:n], 1, nil); err == nil {
				t.Fatalf("cut at %d of %d bytes: decoded %v", n, len(data), g.Rect)
			}
		}
	}
}

// TestScales refuses scales other than 1, 2, 4 and 8.
func TestScales(t *testing.T) {
	data := small(t, 16, 16, 85)
	for _, s := range []int{0, 3, 16, -1} {
		if _, err := Decode(data, s, nil); err == nil {
			t.Errorf("scale %d accepted", s)
		}
	}
}

// FuzzLumaJPEG: no input panics, and what the decoder accepts,
// image/jpeg decodes to the same luma within the oracle's tolerance.
func FuzzLumaJPEG(f *testing.F) {
	f.Add(small(f, 16, 16, 85), 1)
	f.Add(small(f, 23, 9, 50), 2)
	f.Add(small(f, 8, 8, 100), 8)
	sub := testphoto.Image("coffee").(interface {
		SubImage(image.Rectangle) image.Image
	})
	f.Add(encodeTest(sub.SubImage(image.Rect(0, 0, 24, 16)), layout{sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, quality: 80, restart: 1}), 1)
	f.Add(encodeTest(sub.SubImage(image.Rect(0, 0, 17, 9)), layout{sampling: [][2]int{{1, 1}}, quality: 90, restart: 2}), 4)
	f.Add(encodeTest(sub.SubImage(image.Rect(0, 0, 16, 16)), layout{sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, quality: 70, separate: true, chromaFirst: true}), 1)
	f.Fuzz(func(t *testing.T, data []byte, scale int) {
		scale = 1 << (uint(scale) % 4)
		g, err := Decode(data, scale, func(w, h int) error {
			if w*h > 1<<16 {
				return errors.New("too large")
			}
			return nil
		})
		if err != nil {
			return
		}
		img, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("decoded %v, which image/jpeg refuses: %v", g.Rect, err)
		}
		want := oracleLuma(t, data)
		if b := img.Bounds(); g.Rect.Dx() != ceilDiv(b.Dx(), scale) || g.Rect.Dy() != ceilDiv(b.Dy(), scale) {
			t.Fatalf("plane %v at 1/%d of %v", g.Rect, scale, b)
		}
		if scale == 1 {
			if d := compare(t, g, want, want.Rect.Dx(), want.Rect.Dy()); d.max > tolerance[1].max {
				t.Fatalf("max |diff| %d from image/jpeg", d.max)
			}
		}
	})
}
