package lumajpeg

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"testing"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// oracleLuma decodes data with image/jpeg and returns its luma plane.
func oracleLuma(t testing.TB, data []byte) *image.Gray {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	switch m := img.(type) {
	case *image.Gray:
		return m
	case *image.YCbCr:
		return &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: m.Rect}
	}
	t.Fatalf("image/jpeg decoded a %T", img)
	return nil
}

// boxReduce returns g reduced by s, each pixel the rounded mean of the
// s×s pixels (fewer at the right and bottom edges) it stands for.
func boxReduce(g *image.Gray, s int) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, ceilDiv(w, s), ceilDiv(h, s)))
	for oy := range out.Rect.Dy() {
		for ox := range out.Rect.Dx() {
			sum, n := 0, 0
			for y := oy * s; y < min(h, (oy+1)*s); y++ {
				for x := ox * s; x < min(w, (ox+1)*s); x++ {
					sum += int(g.Pix[g.PixOffset(g.Rect.Min.X+x, g.Rect.Min.Y+y)])
					n++
				}
			}
			out.Pix[oy*out.Stride+ox] = uint8((sum + n/2) / n)
		}
	}
	return out
}

// difference is how far two planes of one size are apart.
type difference struct {
	max  int
	mean float64
}

// compare returns the difference of two planes over their first w×h
// pixels.
func compare(t testing.TB, got, want *image.Gray, w, h int) difference {
	t.Helper()
	if got.Rect.Size() != want.Rect.Size() {
		t.Fatalf("plane %v, want %v", got.Rect.Size(), want.Rect.Size())
	}
	var d difference
	sum := 0
	for y := range h {
		for x := range w {
			a := int(got.Pix[got.PixOffset(got.Rect.Min.X+x, got.Rect.Min.Y+y)])
			b := int(want.Pix[want.PixOffset(want.Rect.Min.X+x, want.Rect.Min.Y+y)])
			diff := a - b
			if diff < 0 {
				diff = -diff
			}
			d.max = max(d.max, diff)
			sum += diff
		}
	}
	d.mean = float64(sum) / float64(max(1, w*h))
	return d
}

// Tolerances against image/jpeg's luma: at full size, the two inverse
// transforms' roundings; reduced, the box mean of image/jpeg's rounded
// and clipped pixels against the mean computed from the coefficients,
// over the reduced pixels that stand for s×s pixels of the picture. At a
// right or bottom edge that is not a multiple of s, a reduced pixel
// stands for s×s pixels of the blocks, the encoder's padding included,
// where image/jpeg's box has fewer: those are not compared.
// Where image/jpeg's pixels were clipped (the ringing of a coarse
// quantisation overshoots 0 or 255), its box mean differs from the mean
// of the unclipped samples by up to a dozen levels; elsewhere by the
// rounding of both, which on the smallest planes is up to 0.7 on average.
var tolerance = map[int]difference{1: {2, 0.5}, 2: {12, 0.75}, 4: {12, 0.75}, 8: {12, 0.75}}

// oracleCase is a file to decode and where it came from.
type oracleCase struct {
	name string
	data []byte
}

func oracleCases(t testing.TB) []oracleCase {
	var cases []oracleCase
	for _, name := range testphoto.Names() {
		cases = append(cases, oracleCase{"photo " + name, testphoto.File(name)})
	}
	photo := testphoto.Image("coffee")
	crop := func(w, h int) image.Image {
		return photo.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(image.Rect(3, 5, 3+w, 5+h))
	}
	for _, size := range [][2]int{{480, 320}, {333, 217}, {17, 9}, {8, 8}, {1, 1}, {64, 1}} {
		img := crop(size[0], size[1])
		for _, q := range []int{25, 75, 85, 95, 100} {
			var b bytes.Buffer
			if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, oracleCase{fmt.Sprintf("image/jpeg %v q%d", size, q), b.Bytes()})
			grey := image.NewGray(img.Bounds())
			for y := grey.Rect.Min.Y; y < grey.Rect.Max.Y; y++ {
				for x := grey.Rect.Min.X; x < grey.Rect.Max.X; x++ {
					grey.Set(x, y, img.At(x, y))
				}
			}
			b.Reset()
			if err := jpeg.Encode(&b, grey, &jpeg.Options{Quality: q}); err != nil {
				t.Fatal(err)
			}
			cases = append(cases, oracleCase{fmt.Sprintf("image/jpeg grey %v q%d", size, q), b.Bytes()})
		}
	}
	layouts := map[string]layout{
		"4:4:4":                    {sampling: [][2]int{{1, 1}, {1, 1}, {1, 1}}, quality: 90},
		"4:2:2":                    {sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, quality: 80},
		"4:4:0":                    {sampling: [][2]int{{1, 2}, {1, 1}, {1, 1}}, quality: 80},
		"4:2:0 restart 1":          {sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, quality: 75, restart: 1},
		"4:2:2 restart 7":          {sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, quality: 85, restart: 7},
		"4:1:1":                    {sampling: [][2]int{{4, 1}, {1, 1}, {1, 1}}, quality: 85},
		"grey 2×2 restart 3":       {sampling: [][2]int{{2, 2}}, quality: 60, restart: 3},
		"4:2:0 separate scans":     {sampling: [][2]int{{2, 2}, {1, 1}, {1, 1}}, quality: 85, separate: true},
		"4:2:2 chroma scans first": {sampling: [][2]int{{2, 1}, {1, 1}, {1, 1}}, quality: 85, separate: true, chromaFirst: true},
		"quality 100":              {sampling: [][2]int{{1, 1}, {1, 1}, {1, 1}}, quality: 100},
	}
	for name, l := range layouts {
		for _, size := range [][2]int{{333, 217}, {40, 24}, {7, 13}} {
			cases = append(cases, oracleCase{fmt.Sprintf("%s %v", name, size), encodeTest(crop(size[0], size[1]), l)})
		}
	}
	return cases
}

// TestOracle compares the luma of every case, at every scale, with
// image/jpeg's luma (box-reduced for the reduced scales).
func TestOracle(t *testing.T) {
	worst := map[int]difference{}
	for _, c := range oracleCases(t) {
		want := oracleLuma(t, c.data)
		for _, s := range []int{1, 2, 4, 8} {
			got, err := Decode(c.data, s, nil)
			if err != nil {
				t.Errorf("%s at 1/%d: %v", c.name, s, err)
				continue
			}
			d := compare(t, got, boxReduce(want, s), want.Rect.Dx()/s, want.Rect.Dy()/s)
			if tol := tolerance[s]; d.max > tol.max || d.mean > tol.mean {
				t.Errorf("%s at 1/%d: max |diff| %d, mean %.3f; tolerance %d, %.2f", c.name, s, d.max, d.mean, tol.max, tol.mean)
			}
			w := worst[s]
			worst[s] = difference{max(w.max, d.max), math.Max(w.mean, d.mean)}
		}
	}
	for _, s := range []int{1, 2, 4, 8} {
		t.Logf("scale 1/%d: worst max |diff| %d, worst mean %.3f", s, worst[s].max, worst[s].mean)
	}
}

// TestFullSizeWeights: the constants of the full-size transform are the
// weights every other scale computes.
func TestFullSizeWeights(t *testing.T) {
	w := weights[8]
	for m, want := range [4][8]int64{
		{w4, w1, w2, w3, w4, w5, w6, w7},
		{w4, w3, w6, -w7, -w4, -w1, -w2, -w5},
		{w4, w5, -w6, -w1, -w4, w7, w2, w3},
		{w4, w7, -w2, -w5, w4, w3, -w6, -w1},
	} {
		if w[m] != want {
			t.Errorf("output %d: weights %v, constants %v", m, w[m], want)
		}
	}
}
