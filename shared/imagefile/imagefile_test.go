package imagefile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"runtime"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/pixmatch/pixmatch/shared/imagefile/imagefiletest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

func encode(t *testing.T, f Format, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	switch f {
	case JPEG:
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	case PNG:
		err = png.Encode(&b, img)
	case GIF:
		err = gif.Encode(&b, img, nil)
	case BMP:
		err = bmp.Encode(&b, img)
	case TIFF:
		err = tiff.Encode(&b, img, nil)
	case WEBP:
		return mustRead(t, "testdata/blue-purple-pink.lossy.webp")
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mustRead(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecodeFormats(t *testing.T) {
	photo := testphoto.Image("coffee")
	for _, f := range []Format{JPEG, PNG, GIF, BMP, TIFF, WEBP} {
		t.Run(string(f), func(t *testing.T) {
			data := encode(t, f, photo)
			img, info, err := Decode(data, Limits{MaxPixels: 1 << 20})
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != f {
				t.Errorf("format %q, want %q", info.Format, f)
			}
			if b := img.Bounds(); b.Dx() != info.Width || b.Dy() != info.Height {
				t.Errorf("decoded %v, header said %d×%d", b, info.Width, info.Height)
			}
			if f != WEBP && (info.Width != 480 || info.Height != 320) {
				t.Errorf("size %d×%d, want 480×320", info.Width, info.Height)
			}
		})
	}
}

// pngHeader returns a PNG file with a valid IHDR claiming w×h 8-bit RGB
// pixels and no pixels.
func pngHeader(w, h int) []byte { return imagefiletest.PNGHeader(w, h, 8, imagefiletest.RGB, false) }

func TestDecodeRefuses(t *testing.T) {
	photo := encode(t, JPEG, testphoto.Image("coffee"))
	tiny := encode(t, PNG, image.NewGray(image.Rect(0, 0, 1, 1)))
	lim := Limits{MaxPixels: 25_000_000, MinSide: 16}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrFormat},
		{"text", []byte("hello, this is not an image"), ErrFormat},
		{"truncated jpeg", photo[:len(photo)/2], ErrCorrupt},
		{"jpeg header only", photo[:20], ErrCorrupt},
		{"50000x50000 png header", pngHeader(50000, 50000), ErrTooLarge},
		{"1x1 png", tiny, ErrTooSmall},
		{"zero width png", pngHeader(0, 10), ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.data, lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		lim  Limits
		w, h int
		want error
	}{
		{Limits{}, 100000, 100000, nil},
		{Limits{MaxPixels: 100}, 10, 10, nil},
		{Limits{MaxPixels: 100}, 10, 11, ErrTooLarge},
		{Limits{MaxSide: 4096}, 4096, 100, nil},
		{Limits{MaxSide: 4096}, 4097, 100, ErrTooLarge},
		{Limits{MinSide: 100}, 100, 100, nil},
		{Limits{MinSide: 100}, 99, 4000, ErrTooSmall},
	}
	for _, tt := range tests {
		err := tt.lim.Check(Info{Width: tt.w, Height: tt.h})
		if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
			t.Errorf("%+v.Check(%d×%d) = %v, want %v", tt.lim, tt.w, tt.h, err, tt.want)
		}
	}
}

// exifTIFF builds a TIFF block with one IFD holding the orientation tag.
func exifTIFF(bo binary.ByteOrder, orientation uint16) []byte {
	var b bytes.Buffer
	if bo == binary.LittleEndian {
		b.WriteString("II")
	} else {
		b.WriteString("MM")
	}
	binary.Write(&b, bo, uint16(42))
	binary.Write(&b, bo, uint32(8))
	binary.Write(&b, bo, uint16(1))
	binary.Write(&b, bo, uint16(0x0112))
	binary.Write(&b, bo, uint16(3))
	binary.Write(&b, bo, uint32(1))
	binary.Write(&b, bo, orientation)
	binary.Write(&b, bo, uint16(0))
	binary.Write(&b, bo, uint32(0))
	return b.Bytes()
}

// withJPEGExif inserts an APP1 Exif segment after the SOI marker.
func withJPEGExif(jpg, tiffBlock []byte) []byte {
	seg := append([]byte("Exif\x00\x00"), tiffBlock...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xff, 0xe1, byte((len(seg)+2)>>8), byte(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// withPNGExif inserts an eXIf chunk after IHDR.
func withPNGExif(p, tiffBlock []byte) []byte {
	var b bytes.Buffer
	b.Write(p[:33]) // signature + IHDR
	imagefiletest.PNGChunk(&b, "eXIf", tiffBlock)
	b.Write(p[33:])
	return b.Bytes()
}

// marker is an asymmetric picture of 6×4 blocks of 16 px: black with the
// stored top-left block white and the block next to it grey, so every
// symmetry is distinct and JPEG cannot blur the marks away.
func marker() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 6*16, 4*16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			g.SetGray(x, y, color.Gray{255})
			g.SetGray(16+x, y, color.Gray{128})
		}
	}
	return g
}

// uprightAt maps a stored pixel (x, y) of a w×h picture to where the EXIF
// specification says it is displayed, for each orientation value.
func uprightAt(o, x, y, w, h int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return h - 1 - y, x
	case 7:
		return h - 1 - y, w - 1 - x
	case 8:
		return y, w - 1 - x
	}
	return x, y
}

func TestOrientation(t *testing.T) {
	src := marker()
	for o := 1; o <= 8; o++ {
		for _, bo := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			for _, f := range []Format{JPEG, PNG} {
				var data []byte
				if f == JPEG {
					data = withJPEGExif(encode(t, JPEG, src), exifTIFF(bo, uint16(o)))
				} else {
					data = withPNGExif(encode(t, PNG, src), exifTIFF(bo, uint16(o)))
				}
				plane, info, err := Plane(data, Limits{}, 0)
				if err != nil {
					t.Fatalf("o=%d %s: %v", o, f, err)
				}
				if info.Orientation != o {
					t.Fatalf("o=%d %s: read orientation %d", o, f, info.Orientation)
				}
				uw, uh := info.Size()
				if plane.Rect.Dx() != uw || plane.Rect.Dy() != uh {
					t.Fatalf("o=%d %s: plane %v, Size %d×%d", o, f, plane.Rect, uw, uh)
				}
				for _, blk := range []image.Point{{0, 0}, {1, 0}, {5, 3}} {
					ux, uy := uprightAt(o, blk.X, blk.Y, 6, 4)
					want := src.GrayAt(blk.X*16+8, blk.Y*16+8).Y
					if got := plane.GrayAt(ux*16+8, uy*16+8).Y; diff(got, want) > 16 {
						t.Errorf("o=%d %s: block %v shows at (%d,%d) as %d, want %d", o, f, blk, ux, uy, got, want)
					}
				}
			}
		}
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func TestBadOrientation(t *testing.T) {
	for _, v := range []uint16{0, 9, 255} {
		data := withPNGExif(encode(t, PNG, marker()), exifTIFF(binary.BigEndian, v))
		info, err := Inspect(data)
		if err != nil {
			t.Fatal(err)
		}
		if info.OrientationValid() {
			t.Errorf("orientation %d accepted as valid (read %d)", v, info.Orientation)
		}
		if info.Upright() != 0 {
			t.Errorf("orientation %d: Upright = %v, want identity", v, info.Upright())
		}
	}
	info, _ := Inspect(encode(t, PNG, marker()))
	if !info.OrientationValid() || info.Orientation != 0 {
		t.Errorf("no tag: %+v", info)
	}
}

func TestPNM(t *testing.T) {
	src := marker()
	var binary, plain, grey bytes.Buffer
	fmt.Fprintf(&binary, "P6\n# a comment\n%d %d\n255\n", 96, 64)
	fmt.Fprintf(&plain, "P3 %d %d 65535\n", 96, 64)
	fmt.Fprintf(&grey, "P5 %d %d 255\n", 96, 64)
	for _, v := range src.Pix {
		binary.Write([]byte{v, v, v})
		fmt.Fprintf(&plain, "%d %d %d\n", int(v)*257, int(v)*257, int(v)*257)
		grey.WriteByte(v)
	}
	for name, data := range map[string][]byte{"P6": binary.Bytes(), "P3": plain.Bytes(), "P5": grey.Bytes()} {
		plane, info, err := Plane(data, Limits{}, 0)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Format != PPM || info.Width != 96 || info.Height != 64 {
			t.Fatalf("%s: %+v", name, info)
		}
		if plane.GrayAt(8, 8).Y != 255 || plane.GrayAt(24, 8).Y != 128 || plane.GrayAt(50, 50).Y != 0 {
			t.Errorf("%s: wrong pixels", name)
		}
	}
	truncated := binary.Bytes()[:len(binary.Bytes())-10]
	if _, _, err := Decode(truncated, Limits{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("truncated PPM: %v", err)
	}
	if _, _, err := Decode([]byte("P6 70000 70000 255\n"), Limits{MaxPixels: 1 << 20}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge PPM header: %v", err)
	}
	if _, _, err := Decode([]byte("P6 -3 2 255\n"), Limits{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad PPM header: %v", err)
	}
}

// TestCostBoundsDecode checks that Info.Cost, computed from the header
// alone, is at least what decoding really allocates, for every decoder
// and pixel layout, bombs included: a server that sets Cost aside before
// decoding never holds more than it set aside.
func TestCostBoundsDecode(t *testing.T) {
	photo := testphoto.Image("coffee")
	gray := image.NewGray(photo.Bounds())
	draw.Draw(gray, gray.Rect, photo, image.Point{}, draw.Src)
	deep := image.NewRGBA64(photo.Bounds())
	draw.Draw(deep, deep.Rect, photo, image.Point{}, draw.Src)
	files := map[string][]byte{
		"jpeg 4:2:0":                  encode(t, JPEG, photo),
		"jpeg grey":                   encode(t, JPEG, gray),
		"png rgba":                    encode(t, PNG, photo),
		"png grey":                    encode(t, PNG, gray),
		"png 16-bit":                  encode(t, PNG, deep),
		"gif":                         encode(t, GIF, photo),
		"bmp":                         encode(t, BMP, photo),
		"tiff":                        encode(t, TIFF, photo),
		"tiff 16-bit":                 encode(t, TIFF, deep),
		"webp":                        encode(t, WEBP, photo),
		"ppm":                         []byte("P6 400 300 255\n" + string(make([]byte, 400*300*3))),
		"png 16-bit black 1024":       imagefiletest.PNGBlack(1024, 1024, 16, imagefiletest.RGBA),
		"png bomb 16-bit 2048":        imagefiletest.PNGHeader(2048, 2048, 16, imagefiletest.RGBA, false),
		"png bomb interlaced 2048":    imagefiletest.PNGHeader(2048, 2048, 8, imagefiletest.RGBA, true),
		"jpeg bomb progressive 4:2:0": imagefiletest.JPEGHeader(2048, 2048, 3, 2, 2, true),
		"jpeg bomb progressive grey":  imagefiletest.JPEGHeader(2048, 2048, 1, 1, 1, true),
		"jpeg bomb progressive 4:4:4": imagefiletest.JPEGHeader(2048, 2048, 3, 1, 1, true),
		"jpeg bomb progressive CMYK":  imagefiletest.JPEGHeader(2048, 2048, 4, 1, 1, true),
		"jpeg bomb baseline 4:2:0":    imagefiletest.JPEGHeader(2048, 2048, 3, 2, 2, false),
		"jpeg bomb progressive 4:1:1": imagefiletest.JPEGHeader(2048, 2048, 3, 4, 1, true),
	}
	for name, data := range files {
		info, err := Inspect(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		used := allocated(func() {
			image.Decode(bytes.NewReader(data)) // bombs fail after allocating: that is the point
		})
		t.Logf("%-28s %5d×%-5d cost %8d KB, decoding allocated %8d KB", name, info.Width, info.Height, info.Cost>>10, used>>10)
		if used > info.Cost {
			t.Errorf("%s: decoding allocated %d bytes, more than its cost %d", name, used, info.Cost)
		}
	}
}

// allocated returns the bytes f allocates, after a collection so that
// none of the collector's work before it is counted.
func allocated(f func()) int64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// TestCostLimit checks that Limits.MaxCost refuses a picture whose decode
// would take more memory than allowed, from its header alone.
func TestCostLimit(t *testing.T) {
	bomb := imagefiletest.PNGHeader(8192, 8192, 16, imagefiletest.RGBA, false)
	lim := Limits{MaxPixels: 8192 * 8192, MaxCost: 512 << 20}
	if _, _, err := Decode(bomb, lim); !errors.Is(err, ErrTooLarge) {
		t.Errorf("8192×8192 16-bit PNG under a 512 MB cost limit: %v, want ErrTooLarge", err)
	}
	small := imagefiletest.PNGBlack(64, 64, 16, imagefiletest.RGBA)
	if _, _, err := Decode(small, lim); err != nil {
		t.Errorf("64×64 16-bit PNG: %v", err)
	}
}
