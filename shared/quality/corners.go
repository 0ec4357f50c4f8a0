package quality

import (
	"cmp"
	"image"
	"slices"
)

// A corner is a point where the grey levels change in every direction, the
// kind of point a recogniser or tracker can find again.
type corner struct {
	x, y int
	// score is the smaller eigenvalue of the structure tensor, how
	// strongly the weakest direction still changes; divided by
	// tensorScale it is in squared grey levels per pixel.
	score int32
}

const (
	// cornerMargin keeps corners far enough from the border for the
	// gradient, the tensor window and an 8×8 patch around them.
	cornerMargin = 4
	// suppressRadius is the non-maximum suppression radius: a corner must
	// be the strongest response in its 5×5 neighbourhood, so one physical
	// corner counts once.
	suppressRadius = 2
	// tensorScale converts a raw tensor entry to squared grey levels per
	// pixel: the Sobel kernels are 8 times the derivative (64 squared)
	// and the binomial window weights add up to 256.
	tensorScale = 64 * 256
)

// detectCorners returns the Shi–Tomasi corners of p whose minimum
// eigenvalue, in squared grey levels per pixel, is at least minScore,
// strongest first (ties in raster order).
//
// The gradient is the Sobel operator, the structure tensor is summed over
// a 5×5 binomial window, and a corner must be the largest response within
// suppressRadius. All arithmetic is integer.
func detectCorners(p *image.Gray, minScore int) []corner {
	w, h := p.Rect.Dx(), p.Rect.Dy()
	if w < 2*cornerMargin+1 || h < 2*cornerMargin+1 {
		return nil
	}
	resp := make([]int32, w*h)
	raw := int64(minScore) * tensorScale
	var ring tensorRing
	ring.init(w)
	// Row y of the tensor needs the filtered products of rows y-2..y+2.
	for r := 1; r < h-cornerMargin+2; r++ {
		ring.addRow(p, r)
		if y := r - 2; y >= cornerMargin {
			respondRow(resp[y*w:(y+1)*w], &ring, y, raw)
		}
	}
	return suppress(resp, w, h)
}

// respondRow writes into out the minimum eigenvalue of the structure tensor
// at every pixel of row y that reaches raw, leaving the others zero.
func respondRow(out []int32, ring *tensorRing, y int, raw int64) {
	var xx, yy, xy [5][]int32
	for k := range 5 {
		xx[k], yy[k], xy[k] = ring.row(y - 2 + k)
	}
	for x := cornerMargin; x < len(out)-cornerMargin; x++ {
		a := int64(binomial(&xx, x))
		c := int64(binomial(&yy, x))
		slack := a + c - 2*raw // λmin ≥ raw ⇔ slack ≥ √((a−c)² + 4b²)
		if slack < 0 {
			continue
		}
		b := int64(binomial(&xy, x))
		d := uint64((a-c)*(a-c)) + 4*uint64(b*b)
		if uint64(slack)*uint64(slack) < d {
			continue
		}
		out[x] = int32((a + c - int64(isqrt(d))) / 2) // ≤ trace/2 < 2³¹
	}
}

// binomial returns the 1-4-6-4-1 weighted sum of column x of five rows.
func binomial(r *[5][]int32, x int) int32 {
	return r[0][x] + 4*r[1][x] + 6*r[2][x] + 4*r[3][x] + r[4][x]
}

// tensorRing holds the last five rows of the products gx², gy² and gx·gy
// of the Sobel gradients, each already summed along its row with the
// 1-4-6-4-1 binomial weights: the first half of the separable 5×5 window.
// Entries the window does not fit around are zero. The largest entry,
// 1020²·16, leaves room in an int32 for the vertical half (another 16).
type tensorRing struct {
	xx, yy, xy    [5][]int32
	gxx, gyy, gxy []int32 // unfiltered products of the row being added
}

// init sizes the ring for rows w pixels wide.
func (t *tensorRing) init(w int) {
	for k := range 5 {
		t.xx[k], t.yy[k], t.xy[k] = make([]int32, w), make([]int32, w), make([]int32, w)
	}
	t.gxx, t.gyy, t.gxy = make([]int32, w), make([]int32, w), make([]int32, w)
}

// row returns the filtered products of plane row y, which must be one of
// the last five added.
func (t *tensorRing) row(y int) (xx, yy, xy []int32) {
	return t.xx[y%5], t.yy[y%5], t.xy[y%5]
}

// addRow filters the products of row y (1 ≤ y < height-1) of p into the
// ring, replacing row y-5.
func (t *tensorRing) addRow(p *image.Gray, y int) {
	w := len(t.gxx)
	up := p.Pix[(y-1)*p.Stride : (y-1)*p.Stride+w]
	mid := p.Pix[y*p.Stride : y*p.Stride+w]
	dn := p.Pix[(y+1)*p.Stride : (y+1)*p.Stride+w]
	gxx, gyy, gxy := t.gxx[:w], t.gyy[:w], t.gxy[:w]
	for x := 1; x < w-1; x++ {
		l, r := x-1, x+1
		gx := int32(up[r]) + 2*int32(mid[r]) + int32(dn[r]) -
			int32(up[l]) - 2*int32(mid[l]) - int32(dn[l])
		gy := int32(dn[l]) + 2*int32(dn[x]) + int32(dn[r]) -
			int32(up[l]) - 2*int32(up[x]) - int32(up[r])
		gxx[x], gyy[x], gxy[x] = gx*gx, gy*gy, gx*gy
	}
	xx, yy, xy := t.row(y)
	filterRow(xx[:w], gxx)
	filterRow(yy[:w], gyy)
	filterRow(xy[:w], gxy)
}

// filterRow writes into dst the 1-4-6-4-1 weighted sums along src, where
// the products around them are known (from index 3 to len-4).
func filterRow(dst, src []int32) {
	src = src[:len(dst)]
	for x := 3; x+3 < len(dst); x++ {
		v := src[x-2 : x+3 : x+3]
		dst[x] = v[0] + 4*v[1] + 6*v[2] + 4*v[3] + v[4]
	}
}

// suppress keeps the responses that are the largest in their neighbourhood.
// Equal neighbours are resolved in raster order (the first one wins), so a
// plateau yields a single corner.
func suppress(resp []int32, w, h int) []corner {
	var out []corner
	for y := cornerMargin; y < h-cornerMargin; y++ {
		row := resp[y*w : (y+1)*w]
		for x := cornerMargin; x < w-cornerMargin; x++ {
			if v := row[x]; v != 0 && isPeak(resp, w, x, y, v) {
				out = append(out, corner{x: x, y: y, score: v})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b corner) int { return cmp.Compare(b.score, a.score) })
	return out
}

// isPeak reports whether v at x,y beats every response within
// suppressRadius: strictly those before it in raster order, at least
// equally those after. Corners keep cornerMargin > suppressRadius from the
// border, so the neighbourhood is always inside the plane.
func isPeak(resp []int32, w, x, y int, v int32) bool {
	for dy := -suppressRadius; dy <= suppressRadius; dy++ {
		row := resp[(y+dy)*w+x-suppressRadius : (y+dy)*w+x+suppressRadius+1]
		for dx, n := range row {
			if n > v || (n == v && (dy < 0 || (dy == 0 && dx < suppressRadius))) {
				return false
			}
		}
	}
	return true
}
