package quality

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"golang.org/x/image/draw"
)

// toRGBA copies img into a fresh RGBA image with its origin at 0,0.
func toRGBA(img image.Image) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(out, out.Rect, img, b.Min, draw.Src)
	return out
}

// boxBlur returns img averaged over a (2r+1)×(2r+1) square around every
// pixel, the square clipped at the borders.
func boxBlur(img image.Image, r int) *image.RGBA {
	src := toRGBA(img)
	tmp := image.NewRGBA(src.Rect)
	out := image.NewRGBA(src.Rect)
	boxPass(tmp, src, r, 1, 0)
	boxPass(out, tmp, r, 0, 1)
	return out
}

// boxPass averages src along one axis (dx,dy is the unit step) into dst,
// keeping a running sum over the window.
func boxPass(dst, src *image.RGBA, r, dx, dy int) {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	lines, length := h, w
	if dy != 0 {
		lines, length = w, h
	}
	at := func(line, i int) int { // byte offset of pixel i of a line
		if dy != 0 {
			return src.PixOffset(line, i)
		}
		return src.PixOffset(i, line)
	}
	for line := 0; line < lines; line++ {
		var acc [4]int
		n := 0
		for i := 0; i < min(r, length); i++ { // the window before pixel 0
			for c, v := range src.Pix[at(line, i) : at(line, i)+4] {
				acc[c] += int(v)
			}
			n++
		}
		for i := 0; i < length; i++ {
			if in := i + r; in < length {
				for c, v := range src.Pix[at(line, in) : at(line, in)+4] {
					acc[c] += int(v)
				}
				n++
			}
			if out := i - r - 1; out >= 0 {
				for c, v := range src.Pix[at(line, out) : at(line, out)+4] {
					acc[c] -= int(v)
				}
				n--
			}
			q := dst.Pix[at(line, i) : at(line, i)+4]
			for c := range acc {
				q[c] = uint8((acc[c] + n/2) / n)
			}
		}
	}
}

// squashContrast scales every channel's distance from mid-grey to pct
// percent.
func squashContrast(img image.Image, pct int) *image.RGBA {
	out := toRGBA(img)
	for i, v := range out.Pix {
		if i%4 != 3 {
			out.Pix[i] = uint8(128 + (int(v)-128)*pct/100)
		}
	}
	return out
}

// resize scales img to pct percent of its size with a bilinear filter.
func resize(img image.Image, pct int) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx()*pct/100, b.Dy()*pct/100))
	draw.BiLinear.Scale(out, out.Rect, img, b, draw.Src, nil)
	return out
}

// resizeTo scales img to exactly w×h with a Catmull-Rom filter and
// round-trips it through JPEG, so the result is a decoded photo
// (*image.YCbCr) as a server receives it.
func resizeTo(t testing.TB, img image.Image, w, h int) image.Image {
	t.Helper()
	scaled := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(scaled, scaled.Rect, img, img.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, scaled, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatalf("encode: %v", err)
	}
	out, err := jpeg.Decode(&buf)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return out
}

// tile repeats the size×size square of img at x0,y0 over a w×h image: a
// perfectly repetitive texture made of real photo content.
func tile(img image.Image, x0, y0, size, w, h int) *image.RGBA {
	src := toRGBA(img)
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			out.Set(x, y, src.At(x0+x%size, y0+y%size))
		}
	}
	return out
}

// checkerboard returns a w×h board of cell×cell squares in two greys.
func checkerboard(w, h, cell int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if (x/cell+y/cell)%2 == 0 {
				g.Pix[y*g.Stride+x] = 230
			} else {
				g.Pix[y*g.Stride+x] = 20
			}
		}
	}
	return g
}

// uniform returns a w×h image of one colour.
func uniform(w, h int, c color.Color) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Rect, image.NewUniform(c), image.Point{}, draw.Src)
	return out
}

// noisyGrey returns a w×h grey image of level v with independent noise
// uniform in -amp..amp on every pixel, from a fixed seed.
func noisyGrey(w, h int, v, amp int, seed uint64) *image.Gray {
	rng := rand.New(rand.NewPCG(seed, 1))
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = uint8(v + rng.IntN(2*amp+1) - amp)
	}
	return g
}

// ramp returns a w×h image that brightens smoothly from left to right:
// plenty of contrast, no corner anywhere.
func ramp(w, h int) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g.Pix[y*g.Stride+x] = uint8(20 + 210*x/(w-1))
		}
	}
	return g
}

// rank orders grades from best to worst: 0..4, then -1 (bad) as 5.
func rank(g int) int {
	if g < 0 {
		return 5
	}
	return g
}

// checkRange fails unless every metric of r is in -1..4 and r is either
// bad throughout or nowhere.
func checkRange(t *testing.T, name string, r Report) {
	t.Helper()
	if err := r.validate(); err != nil {
		t.Errorf("%s: %+v: %v", name, r, err)
	}
}
