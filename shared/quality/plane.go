package quality

import (
	"image"
	"math"

	"github.com/pixmatch/pixmatch/shared/luma"
)

// workPlane returns the luma of img scaled down so that its longer side
// is exactly side pixels, so that every measurement made on it is
// independent of the resolution the image was uploaded at. An image that
// is smaller already is kept at its size: enlarging adds no detail, only
// smoothness that would make its patches look alike.
//
// The image is first box-shrunk by the largest whole factor that keeps the
// long side at least side pixels, then reduced by exact area averaging.
func workPlane(img image.Image, side int) *image.Gray {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	long := max(w, h)
	f := max(1, long/side)
	p := luma.FromImage(img, (long+f-1)/f) // shrinks by exactly f
	if long <= side {
		return p
	}
	ow, oh := fitLongSide(w, h, side)
	if p.Rect.Dx() == ow && p.Rect.Dy() == oh {
		return p
	}
	return luma.Resample(p, p.Rect, ow, oh)
}

// shrink returns p reduced by area averaging so that its longer side is at
// most side pixels, or p itself when it is small enough.
func shrink(p *image.Gray, side int) *image.Gray {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	if max(w, h) <= side {
		return p
	}
	ow, oh := fitLongSide(w, h, side)
	return luma.Resample(p, p.Rect, ow, oh)
}

// fitLongSide returns the size of a w×h rectangle scaled so that its longer
// side is side, rounding the shorter one and keeping it at least 1.
func fitLongSide(w, h, side int) (int, int) {
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// stdDev returns the standard deviation of the plane's grey levels,
// rounded down to a whole grey level.
func stdDev(p *image.Gray) int {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	n := uint64(w) * uint64(h)
	if n == 0 {
		return 0
	}
	var s, s2 uint64
	for y := 0; y < h; y++ {
		for _, v := range p.Pix[y*p.Stride : y*p.Stride+w] {
			s += uint64(v)
			s2 += uint64(v) * uint64(v)
		}
	}
	// n²·variance = n·Σv² − (Σv)²; both terms fit easily in 64 bits for
	// planes of a few hundred pixels a side.
	return int(isqrt(n*s2-s*s) / n)
}

// isqrt returns the floor of the square root of n, exactly on every
// platform: the float estimate is corrected with integer arithmetic.
func isqrt(n uint64) uint64 {
	r := uint64(math.Sqrt(float64(n)))
	for r > 0 && r*r > n {
		r--
	}
	for r < 1<<32-1 && (r+1)*(r+1) <= n {
		r++
	}
	return r
}
