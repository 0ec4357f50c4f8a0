package loadgen

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math/rand/v2"
	"strconv"

	xdraw "golang.org/x/image/draw"
)

// targetSide is the long side of a target's picture: 800×600.
const targetSide = 800

// queryPool and missPool are how many distinct queries a run sends: made
// once, before the measured phase, so that making them costs the clients
// no time while they measure.
const (
	queryPool = 256
	missPool  = 32
)

// missSeed turns a run's seed into one whose pictures are of no target.
const missSeed = 0x9e3779b97f4a7c15

// Name is the name of target i.
func Name(i int) string { return "loadgen-" + strconv.Itoa(i) }

// Picture draws picture i of a run seeded with seed: a gradient and 40
// coloured rectangles and discs at random places, side pixels wide and
// three quarters as high. Pictures of different i are unlike one another
// to the fingerprint and the features alike; the same (seed, i) always
// draws the same picture.
func Picture(seed uint64, i, side int) *image.RGBA {
	rnd := rand.New(rand.NewPCG(seed, uint64(i)))
	w, h := side, side*3/4
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	a, b := randomColor(rnd), randomColor(rnd)
	for y := range h {
		t := y * 255 / max(h-1, 1)
		c := color.RGBA{mix(a.R, b.R, t), mix(a.G, b.G, t), mix(a.B, b.B, t), 255}
		draw.Draw(img, image.Rect(0, y, w, y+1), image.NewUniform(c), image.Point{}, draw.Src)
	}
	for range 40 {
		x0, y0 := rnd.IntN(w), rnd.IntN(h)
		rw, rh := w/40+rnd.IntN(w/5), h/40+rnd.IntN(h/5)
		c := randomColor(rnd)
		if rnd.IntN(2) == 0 {
			draw.Draw(img, image.Rect(x0, y0, x0+rw, y0+rh), image.NewUniform(c), image.Point{}, draw.Src)
			continue
		}
		r := min(rw, rh) / 2
		for y := max(y0-r, 0); y < min(y0+r, h); y++ {
			for x := max(x0-r, 0); x < min(x0+r, w); x++ {
				if (x-x0)*(x-x0)+(y-y0)*(y-y0) <= r*r {
					img.SetRGBA(x, y, c)
				}
			}
		}
	}
	return img
}

func randomColor(rnd *rand.Rand) color.RGBA {
	return color.RGBA{uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), uint8(rnd.IntN(256)), 255}
}

// mix blends a into b by t/255.
func mix(a, b uint8, t int) uint8 { return uint8((int(a)*(255-t) + int(b)*t) / 255) }

// TargetJPEG is the file of target i of a run seeded with seed, as
// seeding adds it: its Picture 800 pixels wide, JPEG at quality 90.
func TargetJPEG(seed uint64, i int) ([]byte, error) {
	return encodeJPEG(Picture(seed, i, targetSide), 90)
}

// encodeJPEG encodes img at quality q.
func encodeJPEG(img image.Image, q int) ([]byte, error) {
	var buf bytes.Buffer
	err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: q})
	return buf.Bytes(), err
}

// Queried returns the targets whose copies a run sends as searches when
// the gallery holds held targets: at most 256, spread over them.
func Queried(held int) []int {
	n := min(held, queryPool)
	out := make([]int, n)
	for k := range n {
		out[k] = k * held / n
	}
	return out
}

// makeQueries makes the pictures searches send: copies of targets spread
// over those the gallery held when measuring began (c.next then), made
// o.Side wide and recompressed, and pictures of no target.
func (c *client) makeQueries() {
	queried := Queried(int(c.next.Load()))
	c.queries = make([][]byte, 0, len(queried))
	for _, i := range queried {
		src := Picture(c.o.Seed, i, targetSide)
		small := image.NewRGBA(image.Rect(0, 0, c.o.Side, c.o.Side*3/4))
		xdraw.ApproxBiLinear.Scale(small, small.Rect, src, src.Rect, xdraw.Src, nil)
		if b, err := encodeJPEG(small, 75); err == nil {
			c.queries, c.queryOf = append(c.queries, b), append(c.queryOf, i)
		}
	}
	for j := range missPool {
		if b, err := encodeJPEG(Picture(c.o.Seed^missSeed, j, c.o.Side), 75); err == nil {
			c.misses = append(c.misses, b)
		}
	}
}
